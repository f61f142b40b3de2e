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


# ----------------------------------------------------------------------------- the counter-based generator

def counter_rngs(device, seed=7):
    """The same CounterRNG on the host and on ``device``."""
    return backend.CounterRNG(seed, np), backend.CounterRNG(seed, backend.get_xp(device))


def test_a_counter_rng_draws_the_same_numbers_on_every_device(device):
    host, on_device = counter_rngs(device)
    for dtype in (np.float32, np.float64):
        np.testing.assert_array_equal(backend.to_host(on_device.random((3, 5), dtype)), host.random((3, 5), dtype))
        np.testing.assert_allclose(backend.to_host(on_device.standard_normal((4,), dtype)),
                                   host.standard_normal((4,), dtype), rtol=1e-5 if dtype == np.float32 else 1e-12)
    assert host.position == on_device.position == 4


def test_counter_rng_numbers_are_uniform_and_normal_and_each_draw_new():
    rng = backend.CounterRNG(0, np)
    u, again, z = rng.random(200_000), rng.random(200_000), rng.standard_normal(200_000, np.float32)
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.003 and abs(u.var() - 1 / 12) < 0.002
    assert np.corrcoef(u, again)[0, 1] < 0.01 and not np.array_equal(u, again)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01 and z.dtype == np.float32
    assert np.all(np.isfinite(z))


def test_a_replay_continues_the_sequence_where_it_stands():
    """A graph recorded draws at offsets 2 and 3; replayed later, with other draws between, its
    draws are the sequence's next two, as if they had been made eagerly there."""
    eager, graphed = backend.CounterRNG(1, np), backend.CounterRNG(1, np)
    expected = [eager.random(4) for _ in range(7)]
    graphed.random(4), graphed.random(4)
    recorded = (graphed.offset, 2)
    graphed.random(4), graphed.random(4)                   # the capture's own run: draws 2 and 3
    graphed.random(4)                                      # an eager draw: 4
    graphed.replayed(*recorded)                            # the replay's kernels draw base + 2, base + 3:
    for i in range(2):
        draw = int(graphed.base[0]) + recorded[0] + i
        np.testing.assert_array_equal(backend.counter_uniform(graphed.key, draw, 4, np.float64), expected[5 + i])
    assert graphed.position == 7
    np.testing.assert_array_equal(graphed.random(4), eager.random(4))    # and the next eager draw is 7


def test_a_counter_rng_resumes_exactly_from_its_state(device):
    if device == "numpy":
        pytest.skip("the CPU's generator is NumPy's (test_numpy_generator_state_resumes_exactly)")
    rng = backend.default_rng([3, 9], device)
    rng.random(10)
    state = backend.rng_state(rng)
    expected = backend.to_host(rng.random(5))
    resumed = backend.restore_rng(state, device, fallback_seed=0)
    np.testing.assert_array_equal(backend.to_host(resumed.random(5)), expected)
    assert isinstance(backend.restore_rng(state, "numpy", fallback_seed=0), np.random.Generator)  # reseeded
