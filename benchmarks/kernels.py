"""Where a GPU iteration's time goes: every kernel of the paper preset's iteration, by total GPU
time, with the wall time beside the time the GPU was busy.

    python benchmarks/kernels.py --batch-size 100 --cuda-graph --json
    python benchmarks/kernels.py --batch-size 10000 --top 15

The kernels are recorded by CUPTI through PyTorch's profiler (``torch.profiler``), which sees
every kernel in the process, CuPy's and cuBLAS's included, and inside a replayed CUDA graph too.
Needs a CUDA GPU, CuPy and PyTorch; without PyTorch it says so and exits 0. Busy time is the sum
of kernel times (kernels that overlap would count twice; tinygan queues them on one stream).
"""
import collections
import time

from common import PRESET_NAMES, add_gpu_flags, check_gpu_flags, report
from train_step import timed_iteration

from tinygan import backend, cli
from tinygan.graph import CaptureError
from tinygan.gan import UPDATES


def kernel_times(profiler):
    """{kernel name: [calls, total µs]} of the GPU kernels the profiler recorded."""
    kernels = collections.defaultdict(lambda: [0, 0.0])
    for event in profiler.events():
        if str(event.device_type).endswith("CUDA"):
            kernels[event.name][0] += 1
            kernels[event.name][1] += event.device_time_total
    return kernels


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--device", choices=["cupy"], default="cupy")
    parser.add_argument("--preset", choices=PRESET_NAMES, default="paper")
    parser.add_argument("--batch-size", type=cli.positive_int, default=100)
    parser.add_argument("--update", choices=UPDATES, default="alternating")
    parser.add_argument("--iters", type=cli.positive_int, default=20)
    parser.add_argument("--top", type=cli.positive_int, default=12, help="kernels listed")
    add_gpu_flags(parser, "cupy")
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args(argv)
    check_gpu_flags(parser, args, "cupy")
    xp = cli.array_module(args.device)
    backend.use_tf32(args.tf32)
    try:
        from torch.profiler import ProfilerActivity, profile
    except ImportError:
        print("skipped: PyTorch is not installed (its profiler reads CUPTI)")
        return None
    iterate = timed_iteration(args.preset, args.device, args.batch_size, args.update, args.cuda_graph)
    try:
        for _ in range(5):                       # the optimisers' state, the compiles, the capture
            iterate()
    except CaptureError as error:
        raise SystemExit(f"error: {error}") from None
    backend.synchronize(xp)
    with profile(activities=[ProfilerActivity.CUDA]) as profiler:
        start = time.perf_counter()
        for _ in range(args.iters):
            iterate()
        backend.synchronize(xp)
        wall_ms = (time.perf_counter() - start) / args.iters * 1e3
    kernels = kernel_times(profiler)
    per_iteration = sorted(((name, calls / args.iters, us / args.iters) for name, (calls, us) in kernels.items()),
                           key=lambda kernel: -kernel[2])
    busy_ms = sum(us for _, _, us in per_iteration) / 1e3
    report({"benchmark": "kernels", "batch": args.batch_size, "update": args.update, "cuda_graph": args.cuda_graph,
            "tf32": args.tf32, "wall_ms": round(wall_ms, 3), "gpu_busy_ms": round(busy_ms, 3),
            "kernels_per_iter": round(sum(calls for _, calls, _ in per_iteration), 1),
            "top": [[name[:90], round(calls, 2), round(us, 1)] for name, calls, us in per_iteration[:args.top]]},
           args.json)


if __name__ == "__main__":
    main()
