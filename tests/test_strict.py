"""The strict stand-in for CuPy catches what would break on a GPU, and with it: a training
iteration reads nothing back to the host, and the training log reads once per window."""
from dataclasses import replace

import numpy as np
import pytest

import strict_xp
from tinygan import backend, layers
from tinygan.logbook import Logbook
from tinygan.network import Sequential
from tinygan.optim import Adam, MomentumSGD, RMSProp
from tinygan.models import build_gan
from tinygan.presets import PRESETS


def test_the_guard_refuses_implicit_conversions_and_counts_host_reads(strict):
    x = backend.to_device(np.arange(6.0).reshape(2, 3), "cupy")
    assert backend.array_module(x) is not np
    with pytest.raises(TypeError, match="implicit conversion"):
        np.asarray(x)
    with pytest.raises(TypeError, match="numpy.concatenate called on a device array"):
        np.concatenate([x, x])
    with pytest.raises(TypeError, match="NumPy array was mixed with a device array"):
        x + np.ones(3)
    assert strict["count"] == 0
    float(x.sum()), x[0, 0].item(), backend.to_host(x)
    assert strict["count"] == 3
    np.testing.assert_array_equal(backend.to_host(x * 2 + np.float32(1)), np.arange(6.0).reshape(2, 3) * 2 + 1)


@pytest.mark.parametrize("preset, update", [("paper", "alternating"), ("paper", "simultaneous"),
                                            ("wgan", "alternating"), ("cgan", "alternating")])
def test_a_training_iteration_reads_nothing_back_to_the_host(preset, update, strict):
    images = backend.to_device(np.random.default_rng(0).integers(0, 256, (200, 784), dtype=np.uint8), "cupy")
    config = replace(PRESETS[preset], update=update, G_hidden=32, D_units=16, batch_size=20)
    gan = build_gan(config, np.full(784, 0.2), "cupy")
    batch = images[:20].astype(np.float32) / 255
    labels = backend.to_device(np.arange(20) % 10, "cupy")

    def batches():
        while True:
            yield (batch, labels) if config.n_classes else batch
    real = batches()
    gan.train_iteration(real)                          # first step: the optimisers' state is created
    strict["count"] = 0
    stats = [gan.train_iteration(real) for _ in range(3)]
    assert strict["count"] == 0
    assert backend.array_module(stats[0]) is not np and stats[0].shape == (4,)


def test_the_log_reads_the_host_once_per_window(strict, tmp_path, capsys):
    log = Logbook(str(tmp_path / "m.csv"), ["a", "b"], total_iterations=10)
    for i in range(5):
        log.record(backend.to_device(np.array([i, 2.0 * i]), "cupy"))
    strict["count"] = 0
    log.read_window(5)
    assert strict["count"] == 1
    assert "iter 5/10" in capsys.readouterr().out
    row = log.end_epoch(1, 5)
    assert (row["a"], row["b"]) == (2.0, 4.0)


def test_the_stand_in_runs_a_kernels_cuda_body_so_a_formula_unlike_its_twin_shows(strict):
    tripled = backend.Elementwise(lambda a: 2 * a, "T a", "T y", "T twice = T(2) * a; y = twice + a")
    a = np.arange(4, dtype=np.float32)
    np.testing.assert_array_equal(tripled(a), 2 * a)                           # the NumPy twin
    np.testing.assert_array_equal(backend.to_host(tripled(backend.to_device(a, "cupy"))), 3 * a)


@pytest.mark.parametrize("optimizer, kernel", [(MomentumSGD, "tinygan_MomentumSGD_momentum_step"),
                                               (RMSProp, "tinygan_RMSProp_step"), (Adam, "tinygan_Adam_step")])
def test_an_optimiser_step_is_one_kernel_launch_per_parameter(optimizer, kernel, strict):
    net = Sequential(layers.Linear(3, 4, rng=np.random.default_rng(0)), layers.ReLU(),
                     layers.Linear(4, 2, rng=np.random.default_rng(1))).to("cupy")
    x = backend.to_device(np.ones((5, 3), np.float32), "cupy")
    net.forward(x)
    net.backward(backend.to_device(np.ones((5, 2), np.float32), "cupy"))
    opt = optimizer(net, lr=0.1)
    opt.step()                                         # the first step creates the state arrays
    net.forward(x)
    net.backward(backend.to_device(np.ones((5, 2), np.float32), "cupy"))
    strict_xp.LAUNCHES.clear()
    opt.step()
    assert strict_xp.LAUNCHES == {kernel: len(list(net.parameters()))} and len(list(net.parameters())) == 4


def test_dropout_on_the_device_is_one_kernel_that_draws_its_own_mask_and_the_backward_draws_it_again(strict):
    """Forward and backward are one kernel each, and the layer keeps no mask: its backward
    computes the same one from the draw's number."""
    layer = layers.Dropout(0.5, rng=backend.default_rng(0, "cupy"))
    x = backend.to_device(np.ones((4, 6), np.float32), "cupy")
    strict_xp.LAUNCHES.clear()
    y = layer.forward(x)
    assert strict_xp.LAUNCHES == {"tinygan_counter_drop": 1}
    assert set(np.unique(backend.to_host(y))) <= {0.0, 2.0}
    d_out = 3 * x
    strict_xp.LAUNCHES.clear()
    d_x = layer.backward(d_out)
    assert strict_xp.LAUNCHES == {"tinygan_counter_drop": 1}
    np.testing.assert_array_equal(backend.to_host(d_x), 3 * backend.to_host(y))
