"""Momentum SGD and the paper's schedules, against hand-computed values."""
import numpy as np
import pytest

from tinygan.layers import Linear
from tinygan.network import Sequential
from tinygan.optim import MomentumSGD, exponential_decay, linear_ramp


def one_param_net(value):
    net = Sequential(Linear(1, 1, dtype=np.float64))
    net.layers[0].params["W"][...] = value
    net.layers[0].params["b"][...] = 0.0
    return net


def set_grads(net, g):
    layer = net.layers[0]
    layer.grads["W"], layer.grads["b"] = np.full((1, 1), g), np.zeros(1)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_update_matches_hand_computation(nesterov):
    net = one_param_net(1.0)
    opt = MomentumSGD(net, lr=0.1, momentum=0.5, nesterov=nesterov)
    theta, v = 1.0, 0.0
    for g in [2.0, -1.0, 0.5]:
        set_grads(net, g)
        opt.step()
        v = 0.5 * v - 0.1 * g
        theta += 0.5 * v - 0.1 * g if nesterov else v
        assert net.layers[0].params["W"].item() == pytest.approx(theta, abs=1e-15)
    assert opt.steps == 3


def test_sgd_descends_a_quadratic():
    net = one_param_net(5.0)
    opt = MomentumSGD(net, lr=0.1, momentum=0.7)
    for _ in range(200):
        set_grads(net, 2 * net.layers[0].params["W"].item())   # d/dw w²
        opt.step()
    assert abs(net.layers[0].params["W"].item()) < 1e-6


def test_optimizer_state_round_trip():
    net = one_param_net(1.0)
    opt = MomentumSGD(net, lr=0.1, momentum=0.5)
    set_grads(net, 1.0)
    opt.step()
    state = opt.state_dict()
    fresh = MomentumSGD(net, lr=0.1, momentum=0.5)
    fresh.load_state_dict(state)
    assert fresh.steps == 1
    np.testing.assert_array_equal(fresh.velocities["0.W"], opt.velocities["0.W"])
    state["v.0.W"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match="v.0.W"):
        fresh.load_state_dict(state)


def test_the_papers_learning_rate_decay():
    assert exponential_decay(0.1, 1.000004, 1e-6, 0) == 0.1
    assert exponential_decay(0.1, 1.000004, 1e-6, 500) == pytest.approx(0.1 / 1.000004 ** 500)
    assert exponential_decay(0.1, 1.000004, 1e-6, 10**8) == 1e-6   # the floor


def test_the_papers_momentum_ramp():
    ramp = [linear_ramp(0.5, 0.7, 1, 250, epoch) for epoch in (0, 1, 2, 125.5, 250, 400)]
    assert ramp == pytest.approx([0.5, 0.5, 0.5 + 0.2 / 249, 0.6, 0.7, 0.7])


def test_presets_scale_each_networks_lr():
    from dataclasses import replace

    from tinygan.presets import PRESETS, apply_paper_schedule, small_gan
    gan = small_gan(1)
    config = replace(PRESETS["paper"], D_lr_scale=0.5, G_lr_scale=2.0)
    lr, momentum = apply_paper_schedule(gan, config, iteration=0, epoch=0)
    assert (gan.D_optimizer.lr, gan.G_optimizer.lr, momentum) == (0.05, 0.2, 0.5) and lr == 0.1


@pytest.mark.parametrize("field, value, expected", [
    ("D_keep_input", 1.5, "keep probability"), ("D_pieces", 0, "≥ 1"), ("update", "both", "one of"),
    ("lr_decay", 0.5, "≥ 1"), ("momentum_end", 1.0, r"\[0, 1\)")])
def test_a_configuration_out_of_range_names_the_field(field, value, expected):
    from dataclasses import replace

    from tinygan.presets import PRESETS, ConfigError
    with pytest.raises(ConfigError, match=f"{field}: expected .*{expected}"):
        replace(PRESETS["paper"], **{field: value})
