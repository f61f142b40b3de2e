"""One code path for NumPy and CuPy.

Every array carries its device. Layer code never asks "am I on the GPU?": it takes the
array module from its input, ``xp = array_module(x)``, and calls ``xp.maximum`` or
``xp.exp`` exactly as it would call ``numpy``. This is the only module that imports CuPy.

Devices are named by strings: ``"numpy"`` (host memory, CPU) and ``"cupy"`` (the current
CUDA device).
"""
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


def synchronize(xp):
    """Wait for queued GPU work (for honest timings); nothing to do on NumPy."""
    if xp is not np:
        xp.cuda.get_current_stream().synchronize()
