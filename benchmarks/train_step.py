"""Time one training iteration of the paper's MNIST GAN (Algorithm 1, k = 1).

    python benchmarks/train_step.py --device numpy --batch-size 100 --json

Prints ms per iteration (median of --repeats means over --iters iterations, after --warmup),
samples/s, the iteration's GFLOP and rate, and the GEMM-only time of the same matrix products.
Random pixels stand in for MNIST: the shapes, not the values, set the time.

    python benchmarks/train_step.py --device cupy --cuda-graph --json

times replays of one iteration captured as a CUDA graph: every kernel of it, the noise and the
dropout masks drawn inside, in one launch. Its lr and momentum stay those of the capture, so
this is the cost of an iteration without Python's launches, not a training run.
"""
from dataclasses import replace

import numpy as np

from common import gemm_bound_ms, median_ms, report, step_gflop, threads

from tinygan import backend, cli
from tinygan.gan import UPDATES
from tinygan.presets import PRESETS, paper_gan, pixel_means_of


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--device", choices=backend.DEVICES, default="numpy")
    parser.add_argument("--batch-size", type=cli.positive_int, default=100)
    parser.add_argument("--update", choices=UPDATES, default="alternating")
    parser.add_argument("--iters", type=cli.positive_int, default=20)
    parser.add_argument("--warmup", type=cli.positive_int, default=5)
    parser.add_argument("--repeats", type=cli.positive_int, default=5)
    parser.add_argument("--cuda-graph", action="store_true", help="replay one captured iteration (cupy)")
    parser.add_argument("--no-gemm-bound", action="store_true", help="skip timing the GEMM-only bound")
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args(argv)
    if args.cuda_graph and args.device != "cupy":
        parser.error("--cuda-graph needs --device cupy")
    xp = cli.array_module(args.device)
    m = args.batch_size
    images = backend.to_device(np.random.default_rng(0).integers(0, 256, (max(m, 1000), 784), dtype=np.uint8), args.device)
    config = replace(PRESETS["paper"], batch_size=m, update=args.update)
    gan = paper_gan(config, pixel_means_of(images), args.device)
    batch = images[:m].astype(np.float32) / 255

    def batches():
        while True:
            yield batch
    real = batches()
    step, sync = (lambda: gan.train_iteration(real)), (lambda: backend.synchronize(xp))
    if args.cuda_graph:
        step, sync = captured(step, xp)
    ms = median_ms(step, args.iters, args.warmup, args.repeats, sync)
    result = {"library": "tinygan", "device": args.device, "batch": m, "update": args.update,
              "cuda_graph": args.cuda_graph,
              "ms_per_iter": round(ms, 3), "samples_per_s": round(m / ms * 1e3, 1),
              "gflop_per_iter": round(step_gflop(m), 3), "gflops": round(step_gflop(m) / ms * 1e3, 1),
              "threads": threads(), "numpy": np.__version__}
    if not args.no_gemm_bound:
        bound = gemm_bound_ms(m, xp, args.iters, args.warmup, args.repeats, sync)
        result.update(gemm_bound_ms=round(bound, 3), ratio_to_gemm_bound=round(ms / bound, 3))
    report(result, args.json)
    return result


def captured(step, xp):
    """``step`` recorded once as a CUDA graph on a stream of its own -> (replay, synchronise).

    One call before the capture leaves the stream's memory pool holding blocks of every size
    the iteration allocates, so the capture itself allocates nothing new."""
    stream = xp.cuda.Stream(non_blocking=True)
    try:
        with stream:
            step()
            stream.synchronize()
            stream.begin_capture()
            step()
            graph = stream.end_capture()
    except Exception as error:             # an operation CuPy cannot capture
        raise SystemExit(f"error: CUDA graph capture failed: {type(error).__name__}: {error}") from None
    return (lambda: graph.launch(stream)), stream.synchronize


if __name__ == "__main__":
    main()
