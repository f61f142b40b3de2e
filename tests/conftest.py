"""Shared fixtures: every backend-aware test runs once per device.

"numpy" is the CPU. "cupy" is a CUDA GPU through CuPy, skipped with the reason where there is
none. "strict" runs the backend's CuPy code path on the CPU through ``strict_xp``, a stand-in
for CuPy that refuses implicit host conversions and counts host reads, so every CI run catches
the bugs that would break the GPU path. Test data is drawn on the host from seeded NumPy
generators and moved to the device, so every device sees the same numbers.
"""
import numpy as np
import pytest

import strict_xp
from tinygan import backend

GPU_SKIP_REASON = "no CUDA GPU with CuPy here (pip install cupy-cuda12x on a GPU machine)"
GRAD_TOL = 1e-6   # worst float64 relative error a gradient check allows (correct code: ~1e-10)


def _use(name, monkeypatch):
    """The device name to pass to tinygan for a fixture parameter: "numpy" or "cupy" (the strict
    stand-in answers to "cupy" too); skips "cupy" where there is no GPU."""
    if name == "cupy" and not backend.gpu_available():
        pytest.skip(GPU_SKIP_REASON)
    if name == "strict":
        strict_xp.install(monkeypatch)
        return "cupy"
    return name


@pytest.fixture(params=["numpy", "cupy", "strict"])
def device(request, monkeypatch):
    """Every device: the test runs once on each."""
    return _use(request.param, monkeypatch)


@pytest.fixture(params=["cupy", "strict"])
def accelerator(request, monkeypatch):
    """The device path alone (CuPy on a GPU; the strict stand-in everywhere), for tests that
    compare it with NumPy."""
    return _use(request.param, monkeypatch)


@pytest.fixture
def strict(monkeypatch):
    """The strict stand-in for CuPy installed as the "cupy" device; yields the host-read counter."""
    strict_xp.install(monkeypatch)
    strict_xp.HOST_READS["count"] = 0
    return strict_xp.HOST_READS


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
