"""Shared by the benchmarks: a preset's training iteration and its matrix products, medians of
repeated timings, and one JSON line of results."""
import functools
import itertools
import json
import os
import platform
import statistics
import time
from dataclasses import replace

import numpy as np

from tinygan import backend, cli
from tinygan.gan import UPDATES
from tinygan.models import build_gan, pixel_means_of
from tinygan.presets import PRESETS

PRESET_NAMES = ("paper", "dcgan")        # the networks a benchmark can time (tinygan.presets.PRESETS)


def training_iteration(preset, m, update="alternating", device="numpy"):
    """(gan, minibatches): ``preset``'s GAN at batch m on ``device``, and an endless stream of one
    fixed minibatch of random pixels (the shapes, not the values, set the time)."""
    images = backend.to_device(np.random.default_rng(0).integers(0, 256, (max(m, 1000), 784), dtype=np.uint8), device)
    gan = build_gan(replace(PRESETS[preset], batch_size=m, update=update), pixel_means_of(images, (28, 28, 1)), device)
    return gan, itertools.repeat(images[:m].astype(np.float32) / 255)


@functools.lru_cache
def step_matmuls(preset, m, update="alternating"):
    """(rows, inner, cols) of every matrix product of one training iteration at batch m, as
    tinygan performs them: recorded from ``backend.matmul`` while the iteration runs on NumPy."""
    gan, minibatches = training_iteration(preset, m, update)
    shapes, multiply = [], backend.matmul

    def recording(a, b, out=None):
        shapes.append((a.shape[0], a.shape[1], b.shape[1]))
        return multiply(a, b, out)
    backend.matmul = recording
    try:
        gan.train_iteration(minibatches)
    finally:
        backend.matmul = multiply
    return tuple(shapes)


def step_gflop(preset, m, update="alternating"):
    """Floating-point operations (2 per multiply-add) of one iteration's matrix products, 1e9."""
    return sum(2 * rows * inner * cols for rows, inner, cols in step_matmuls(preset, m, update)) / 1e9


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


def gemm_bound_ms(matmuls, xp, iterations, warmup, repeats, sync=lambda: None):
    """Time of an iteration's matrix products alone (``step_matmuls``; float32, preallocated
    operands and results, through backend.matmul as tinygan multiplies): the floor a framework
    built on this BLAS cannot beat."""
    rng = np.random.default_rng(0)
    operands = [(xp.asarray(rng.random((r, i), dtype=np.float32)), xp.asarray(rng.random((i, c), dtype=np.float32)),
                 xp.empty((r, c), dtype=np.float32)) for r, i, c in matmuls]

    def products():
        for a, b, out in operands:
            backend.matmul(a, b, out=out)
    return median_ms(products, iterations, warmup, repeats, sync)


TIMING_FLAGS = {"--batch-size": 100, "--iters": 20, "--warmup": 5, "--repeats": 5}


def add_timing_flags(parser):
    """The flags every timed benchmark takes: the networks, the batch, the update, and how many
    iterations are timed (--iters, after --warmup, --repeats times; the median is reported)."""
    parser.add_argument("--preset", choices=PRESET_NAMES, default="paper",
                        help="paper: the MNIST GAN of mnist.yaml (default); dcgan: the convolutional one")
    for flag, default in TIMING_FLAGS.items():
        parser.add_argument(flag, type=cli.positive_int, default=default)
    parser.add_argument("--update", choices=UPDATES, default="alternating")


def timing_flags(args):
    """The timing flags of parsed ``args`` as a command line, to hand to another benchmark."""
    given = [[flag, str(getattr(args, flag[2:].replace("-", "_")))] for flag in TIMING_FLAGS]
    return [word for pair in given for word in pair] + ["--update", args.update, "--preset", args.preset]


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
