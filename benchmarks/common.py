"""Shared by the benchmarks: medians of repeated timings, the paper step's matrix products,
and one JSON line of results."""
import json
import os
import platform
import statistics
import time

import numpy as np

from tinygan import backend, cli
from tinygan.gan import UPDATES

G_SHAPES = [(100, 1200), (1200, 1200), (1200, 784)]       # (n_in, n_out) of G's layers
D_SHAPES = [(784, 1200), (240, 1200), (240, 1)]           # D's (Maxout 240×5 has 1200 columns)


def step_matmuls(m):
    """(rows, inner, cols) of every matrix product in one alternating k=1 iteration at batch m,
    as tinygan performs them: forward y = x·W, backward dW = xᵀ·dy and dx = dy·Wᵀ, where dx
    of a network's first layer is skipped unless something needs it (D's input in G's step)."""
    def forward(shapes, rows):
        return [(rows, n_in, n_out) for n_in, n_out in shapes]

    def backward(shapes, rows, weights=True, input_grad=False):
        d_weights = [(n_in, rows, n_out) for n_in, n_out in shapes] if weights else []
        d_inputs = [(rows, n_out, n_in) for n_in, n_out in shapes[0 if input_grad else 1:]]
        return d_weights + d_inputs
    d_step = forward(G_SHAPES, m) + forward(D_SHAPES, 2 * m) + backward(D_SHAPES, 2 * m)
    g_step = forward(G_SHAPES, m) + forward(D_SHAPES, m) \
        + backward(D_SHAPES, m, weights=False, input_grad=True) + backward(G_SHAPES, m)
    return d_step + g_step


def step_gflop(m):
    """Floating-point operations (2 per multiply-add) of one iteration's matrix products, 1e9."""
    return sum(2 * rows * inner * cols for rows, inner, cols in step_matmuls(m)) / 1e9


def median_ms(run_once, iterations, warmup, repeats, sync=lambda: None):
    """Median over ``repeats`` of the mean time of ``iterations`` calls, after ``warmup`` calls."""
    for _ in range(warmup):
        run_once()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            run_once()
        sync()
        times.append((time.perf_counter() - start) / iterations * 1e3)
    return statistics.median(times)


def gemm_bound_ms(m, xp, iterations, warmup, repeats, sync=lambda: None):
    """Time of the iteration's matrix products alone (float32, preallocated operands and
    results, through backend.matmul as tinygan multiplies): the floor a framework built on this
    BLAS cannot beat."""
    rng = np.random.default_rng(0)
    operands = [(xp.asarray(rng.random((r, i), dtype=np.float32)), xp.asarray(rng.random((i, c), dtype=np.float32)),
                 xp.empty((r, c), dtype=np.float32)) for r, i, c in step_matmuls(m)]

    def products():
        for a, b, out in operands:
            backend.matmul(a, b, out=out)
    return median_ms(products, iterations, warmup, repeats, sync)


TIMING_FLAGS = {"--batch-size": 100, "--iters": 20, "--warmup": 5, "--repeats": 5}


def add_timing_flags(parser):
    """The flags every timed benchmark takes: the batch, the update, and how many iterations are
    timed (--iters, after --warmup, --repeats times; the median is reported)."""
    for flag, default in TIMING_FLAGS.items():
        parser.add_argument(flag, type=cli.positive_int, default=default)
    parser.add_argument("--update", choices=UPDATES, default="alternating")


def timing_flags(args):
    """The timing flags of parsed ``args`` as a command line, to hand to another benchmark."""
    given = [[flag, str(getattr(args, flag[2:].replace("-", "_")))] for flag in TIMING_FLAGS]
    return [word for pair in given for word in pair] + ["--update", args.update]


GPU_FLAGS = {"--cuda-graph": "iterate by replaying a CUDA graph of the iteration",
             "--tf32": "matrix products in TF32 (default float32)"}


def add_gpu_flags(parser, gpu_device):
    """The flags that only a GPU run takes; ``check_gpu_flags`` refuses them elsewhere."""
    for flag, text in GPU_FLAGS.items():
        parser.add_argument(flag, action="store_true", help=f"{text} (--device {gpu_device})")


def check_gpu_flags(parser, args, gpu_device):
    """A one-line usage error for a GPU-only flag without ``--device gpu_device``; returns the
    flags given, to pass on."""
    given = [flag for flag in GPU_FLAGS if getattr(args, flag[2:].replace("-", "_"))]
    if given and not args.device.startswith(gpu_device):
        parser.error(f"{given[0]} needs --device {gpu_device}")
    return given


def threads():
    return int(os.environ.get("OMP_NUM_THREADS") or os.environ.get("OPENBLAS_NUM_THREADS") or os.cpu_count())


def report(result, as_json):
    result.setdefault("python", platform.python_version())
    if as_json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")
