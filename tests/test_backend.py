"""The backend: device names, clear errors without a GPU, host/device round trips."""
import numpy as np
import pytest

from tinygan import backend


def test_numpy_device_is_numpy():
    assert backend.get_xp("numpy") is np
    assert backend.array_module(np.zeros(1)) is np
    assert backend.device_of(np.zeros(1)) == "numpy"


def test_unknown_device_is_named():
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        backend.get_xp("gpu")


def test_cupy_without_a_gpu_says_how_to_install():
    if backend.gpu_available():
        pytest.skip("a GPU is present: the error path cannot be reached")
    with pytest.raises(RuntimeError, match="pip install cupy-cuda12x"):
        backend.get_xp("cupy")


def test_round_trip_to_device_and_back(device):
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    on_device = backend.to_device(host, device)
    assert backend.device_of(on_device) == device
    np.testing.assert_array_equal(backend.to_host(on_device), host)


def test_seeded_generators_repeat_and_draw_float32(device):
    first = backend.default_rng(5, device).random((3, 4), dtype=np.float32)
    second = backend.default_rng(5, device).random((3, 4), dtype=np.float32)
    assert first.dtype == np.float32
    np.testing.assert_array_equal(backend.to_host(first), backend.to_host(second))


def test_numpy_generator_state_resumes_exactly():
    rng = backend.default_rng(3)
    rng.random(10)
    state = backend.rng_state(rng)
    expected = rng.random(5)
    resumed = backend.restore_rng(state, "numpy", fallback_seed=0)
    np.testing.assert_array_equal(resumed.random(5), expected)
