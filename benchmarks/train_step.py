"""Time one training iteration of the paper's MNIST GAN (Algorithm 1, k = 1), or of the DCGAN.

    python benchmarks/train_step.py --device numpy --batch-size 100 --json
    python benchmarks/train_step.py --preset dcgan --batch-size 64 --json

Prints ms per iteration (median of --repeats means over --iters iterations, after --warmup),
samples/s, the iteration's GFLOP and rate, and the GEMM-only time of the same matrix products.
Random pixels stand in for MNIST: the shapes, not the values, set the time.

    python benchmarks/train_step.py --device cupy --cuda-graph --json

times the iteration as ``mnist_gan.py --cuda-graph`` trains it: recorded once as a CUDA graph
(tinygan.graph), then each iteration one graph launch and the few launches that feed it.
"""
import numpy as np

from common import (add_gpu_flags, add_timing_flags, check_gpu_flags, gemm_bound_ms, median_ms, report, step_gflop,
                    step_matmuls, threads, training_iteration)

from tinygan import backend, cli
from tinygan.graph import CaptureError, CapturedIteration


def timed_iteration(preset, device, m, update, cuda_graph):
    """A function that trains ``preset``'s GAN for one iteration at batch m on ``device``
    (through a CapturedIteration with cuda_graph), on one fixed minibatch of random pixels."""
    gan, real = training_iteration(preset, m, update, device)
    iterate = CapturedIteration(gan) if cuda_graph else gan.train_iteration
    return lambda: iterate(real)


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--device", choices=backend.DEVICES, default="numpy")
    add_timing_flags(parser)
    add_gpu_flags(parser, "cupy")
    parser.add_argument("--no-gemm-bound", action="store_true", help="skip timing the GEMM-only bound")
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args(argv)
    check_gpu_flags(parser, args, "cupy")
    xp = cli.array_module(args.device)
    backend.use_tf32(args.tf32)
    m = args.batch_size
    iterate = timed_iteration(args.preset, args.device, m, args.update, args.cuda_graph)
    sync = lambda: backend.synchronize(xp)  # noqa: E731
    try:
        ms = median_ms(iterate, args.iters, args.warmup, args.repeats, sync)
    except CaptureError as error:
        raise SystemExit(f"error: {error}") from None
    gflop = step_gflop(args.preset, m, args.update)
    result = {"library": "tinygan", "preset": args.preset, "device": args.device, "batch": m, "update": args.update,
              "cuda_graph": args.cuda_graph, "tf32": args.tf32,
              "ms_per_iter": round(ms, 3), "samples_per_s": round(m / ms * 1e3, 1),
              "gflop_per_iter": round(gflop, 3), "gflops": round(gflop / ms * 1e3, 1),
              "threads": threads(), "numpy": np.__version__}
    if not args.no_gemm_bound:
        bound = gemm_bound_ms(step_matmuls(args.preset, m, args.update), xp, args.iters, args.warmup, args.repeats, sync)
        result.update(gemm_bound_ms=round(bound, 3), gemm_bound_gflops=round(gflop / bound * 1e3, 1),
                      ratio_to_gemm_bound=round(ms / bound, 3))
    report(result, args.json)
    return result


if __name__ == "__main__":
    main()
