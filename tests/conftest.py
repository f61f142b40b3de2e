"""Shared fixtures: every backend-aware test runs once per device.

The 'cupy' runs are skipped, with the reason, where CuPy or a CUDA GPU is missing. Test data is
drawn on the host from seeded NumPy generators and moved to the device, so both devices see the
same numbers.
"""
import numpy as np
import pytest

from tinygan import backend

GPU_SKIP_REASON = "no CUDA GPU with CuPy here (pip install cupy-cuda12x on a GPU machine)"


@pytest.fixture(params=backend.DEVICES)
def device(request):
    if request.param == "cupy" and not backend.gpu_available():
        pytest.skip(GPU_SKIP_REASON)
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
