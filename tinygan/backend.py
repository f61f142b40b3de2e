"""One code path for NumPy and CuPy.

Every array carries its device. Layer code never asks "am I on the GPU?": it takes the
array module from its input, ``xp = array_module(x)``, and calls ``xp.maximum`` or
``xp.exp`` exactly as it would call ``numpy``. This is the only module that imports CuPy.

Devices are named by strings: ``"numpy"`` (host memory, CPU) and ``"cupy"`` (the current
CUDA device).

One exception to "the same code on both": at small batches a GPU's time goes to launching
kernels, one per array operation, so a few hot elementwise formulas (the optimisers' updates,
the sigmoid, dropout) are also written once as a CUDA expression that CuPy compiles into a
single kernel (``elementwise``). The NumPy function stays beside it as its twin, and the tests
hold the two to the same numbers.
"""
import contextlib
import functools
import json

import numpy as np

DEVICES = ("numpy", "cupy")

_GPU_HELP = (
    "The 'cupy' device needs CuPy and a CUDA GPU. Install the CuPy wheel that matches "
    "your CUDA toolkit, e.g. `pip install cupy-cuda12x` (CUDA 12) or `pip install "
    "cupy-cuda13x` (CUDA 13), or use --device numpy."
)


@functools.cache
def _cupy_or_none():
    """CuPy if it is importable, else None (never raises). Cached: a failed import is not
    remembered by Python, and retrying it on every ``array_module`` call costs milliseconds."""
    try:
        import cupy
    except Exception:  # ImportError, or a broken CUDA install raising on import
        return None
    return cupy


def get_xp(device):
    """The array module for a device name: ``numpy`` or ``cupy``.

    Raises ValueError for an unknown name, RuntimeError with install instructions when
    CuPy is missing or no CUDA GPU can be used.
    """
    if device == "numpy":
        return np
    if device != "cupy":
        raise ValueError(f"unknown device {device!r}: expected one of {DEVICES}")
    cupy = _cupy_or_none()
    if cupy is None:
        raise RuntimeError("CuPy is not installed. " + _GPU_HELP)
    try:
        n_gpus = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # no driver, no device, driver too old
        raise RuntimeError(f"CuPy cannot reach a CUDA GPU ({error}). " + _GPU_HELP) from None
    if n_gpus == 0:
        raise RuntimeError("CuPy found no CUDA GPU. " + _GPU_HELP)
    return cupy


def gpu_available():
    """True when the 'cupy' device can be used here."""
    try:
        get_xp("cupy")
    except RuntimeError:
        return False
    return True


def array_module(*arrays):
    """The module (numpy or cupy) that owns these arrays, as Chainer's get_array_module."""
    cupy = _cupy_or_none()
    if cupy is not None:
        return cupy.get_array_module(*arrays)
    return np


class Elementwise:
    """A NumPy function and the same formula as one CUDA kernel (``cupy.ElementwiseKernel``).

    Called with NumPy arrays it runs the NumPy function; called with any device array it runs the
    kernel, compiled for that array module on first use. Arguments are the kernel's: inputs, then,
    optionally, outputs to write in place (the NumPy twin must do the same with them); scalars
    and arrays broadcast as in NumPy, and the type placeholder T is the arrays' dtype.
    """

    def __init__(self, numpy_twin, in_params, out_params, operation):
        functools.update_wrapper(self, numpy_twin)
        self.numpy_twin, self.in_params, self.out_params, self.operation = (
            numpy_twin, in_params, out_params, operation)
        self._kernels = {}     # {array module: its compiled kernel}

    def __call__(self, *args):
        xp = array_module(*args)
        if xp is np:
            return self.numpy_twin(*args)
        if xp not in self._kernels:
            name = "tinygan_" + "_".join(part.strip("_") for part in self.__qualname__.split("."))
            self._kernels[xp] = xp.ElementwiseKernel(self.in_params, self.out_params, self.operation, name)
        return self._kernels[xp](*args)


ELEMENTWISE = []   # every Elementwise defined, for the tests that compare each with its twin


def elementwise(in_params, out_params, operation):
    """Decorator: the NumPy function below, fused into one kernel on CuPy.

    in_params, out_params: CuPy's parameter lists, e.g. ``"T d_out, T y"`` and ``"T d_x"``;
    operation: the kernel's body in CUDA C++, one element at a time, e.g.
    ``"d_x = d_out * y * (1 - y)"`` (functions: exp, log1p, tanh, sqrt, fabs, max, min).
    """
    def wrap(numpy_twin):
        op = Elementwise(numpy_twin, in_params, out_params, operation)
        ELEMENTWISE.append(op)
        return op
    return wrap


def device_of(array):
    """'cupy' for a CuPy array, 'numpy' for anything else."""
    return "numpy" if array_module(array) is np else "cupy"


def to_device(array, device):
    """Copy a host or device array to ``device`` (a no-op when it is already there)."""
    return get_xp(device).asarray(array)


def to_host(array):
    """A NumPy copy of the array (a device→host copy for CuPy arrays), safe to keep while the
    original is updated in place."""
    if array_module(array) is np:
        return np.array(array)
    return array.get()


def default_rng(seed, device="numpy"):
    """A seeded random generator that draws arrays on ``device``.

    Both backends' generators offer ``random(size, dtype=...)``, which tinygan uses to draw
    noise and dropout masks directly in float32.
    """
    return get_xp(device).random.default_rng(seed)


def rng_state(rng):
    """The generator's state as a JSON string, for checkpoints (NumPy generators only).

    Returns None for a CuPy generator, whose state lives on the GPU; a resumed CuPy run
    reseeds instead (see ``restore_rng``).
    """
    if not isinstance(rng, np.random.Generator):
        return None
    return json.dumps(rng.bit_generator.state)


def restore_rng(state, device, fallback_seed):
    """A generator in ``state`` (from ``rng_state``) on ``device``.

    NumPy generators resume exactly. Where no NumPy state exists (a run saved on, or
    resumed on, the GPU) the generator is reseeded from ``fallback_seed``: the run
    continues reproducibly, but not bit-identically to an uninterrupted one.
    """
    if state is None or device != "numpy":
        return default_rng(fallback_seed, device)
    rng = np.random.default_rng()
    rng.bit_generator.state = json.loads(state)
    return rng


class Graph:
    """Work recorded once as a CUDA graph, then replayed with one launch.

    A replay runs the same kernels on the same memory: the arrays the work read and wrote at
    capture, the Python numbers it passed then, and random draws that advance a generator's
    state on the device (new numbers each replay). So that no other array is ever placed in
    memory the graph uses, everything allocated on the graph's behalf (``run`` before the
    capture, the capture itself) comes from a memory pool of its own, never used for anything
    else, on a stream of its own, ordered after the caller's queued work and before its next.
    """

    def __init__(self, xp):
        self.xp, self.graph = xp, None
        self.pool, self.stream = xp.cuda.MemoryPool(), xp.cuda.Stream(non_blocking=True)

    def run(self, work):
        """work() now, on the graph's stream and pool (calls before the capture leave the pool
        holding every size the work allocates, so the capture needs no new memory)."""
        with self._ordered():
            return work()

    def capture(self, work):
        """Records work() as the graph and runs it once; returns what work() returned (arrays
        that each replay rewrites)."""
        with self._ordered():
            self.stream.begin_capture()
            result = work()
            self.graph = self.stream.end_capture()
            self.graph.launch(self.stream)
        return result

    def replay(self):
        with self._ordered():
            self.graph.launch(self.stream)

    @contextlib.contextmanager
    def _ordered(self):
        caller = self.xp.cuda.get_current_stream()
        self.stream.wait_event(caller.record())
        with self.stream, self.xp.cuda.using_allocator(self.pool.malloc):
            yield
        caller.wait_event(self.stream.record())


def synchronize(xp):
    """Wait for queued GPU work (for honest timings); nothing to do on NumPy."""
    if xp is not np:
        xp.cuda.get_current_stream().synchronize()
