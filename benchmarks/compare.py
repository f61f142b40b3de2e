"""tinygan beside PyTorch, measured alternately in one run: each round runs
benchmarks/train_step.py and then benchmarks/torch_reference.py (fresh processes, the same
flags and thread count), and the medians over rounds give the ratios.

    python benchmarks/compare.py --rounds 5 --json
    python benchmarks/compare.py --preset dcgan --batch-size 64 --json          # the convolutional GAN
    python benchmarks/compare.py --device cupy --batch-size 10000 --json     # CuPy beside PyTorch on CUDA
    python benchmarks/compare.py --device cupy --cuda-graph --json           # both replaying a captured iteration

Alternating rounds share the machine's slow and fast moments between both libraries, so the
ratios stay meaningful on a noisy machine where the absolute times do not. The fastest round of
each library is printed too: on a shared machine it is the least disturbed measurement.
"""
import json
import os
import statistics
import subprocess
import sys

from common import add_gpu_flags, add_timing_flags, check_gpu_flags, report, timing_flags

from tinygan import backend, cli

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_DEVICE = {"numpy": "cpu", "cupy": "cuda"}   # the same hardware under PyTorch's name


def run(script, flags):
    """One benchmark process -> its JSON result, or None when it printed 'skipped'."""
    done = subprocess.run([sys.executable, os.path.join(HERE, script), "--json", *flags],
                          capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1].removeprefix("error: ")
        raise SystemExit(f"error: {script} {' '.join(flags)} failed: {last}")
    line = done.stdout.strip().splitlines()[-1]
    return None if line.startswith("skipped") else json.loads(line)


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--rounds", type=cli.positive_int, default=5)
    parser.add_argument("--device", choices=backend.DEVICES, default="numpy",
                        help="numpy: both on the CPU; cupy: tinygan on CuPy, PyTorch on CUDA")
    add_timing_flags(parser)
    add_gpu_flags(parser, "cupy")
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args(argv)
    gpu_flags = check_gpu_flags(parser, args, "cupy")
    cli.array_module(args.device)
    flags = timing_flags(args) + gpu_flags
    ours, theirs = [], []
    for _ in range(args.rounds):
        ours.append(run("train_step.py", flags + ["--device", args.device]))
        theirs.append(run("torch_reference.py", flags + ["--device", TORCH_DEVICE[args.device]]))

    def median(results, key):
        return round(statistics.median(result[key] for result in results), 3)
    result = {"benchmark": "compare", "preset": args.preset, "device": args.device, "batch": args.batch_size, "update": args.update,
              "cuda_graph": args.cuda_graph, "tf32": args.tf32, "rounds": args.rounds, "threads": ours[0]["threads"],
              "tinygan_ms": median(ours, "ms_per_iter"), "gemm_bound_ms": median(ours, "gemm_bound_ms"),
              "tinygan_gflops": median(ours, "gflops"), "gemm_bound_gflops": median(ours, "gemm_bound_gflops"),
              "tinygan_over_gemm_bound": median(ours, "ratio_to_gemm_bound"),
              "tinygan_best_ms": min(r["ms_per_iter"] for r in ours),
              "tinygan_rounds_ms": [r["ms_per_iter"] for r in ours]}
    if theirs[0] is None:
        result["torch"] = "skipped: PyTorch is not installed"
    else:
        result.update(torch_ms=median(theirs, "ms_per_iter"), torch_gflops=median(theirs, "gflops"),
                      torch_best_ms=min(r["ms_per_iter"] for r in theirs),
                      torch_rounds_ms=[r["ms_per_iter"] for r in theirs],
                      tinygan_over_torch=round(statistics.median(
                          a["ms_per_iter"] / b["ms_per_iter"] for a, b in zip(ours, theirs)), 3))
    report(result, args.json)
    return result


if __name__ == "__main__":
    main()
