"""Momentum SGD and the paper's schedules, against hand-computed values."""
import numpy as np
import pytest

from tinygan.layers import Linear
from tinygan.network import Sequential
from tinygan.optim import Adam, MomentumSGD, RMSProp, exponential_decay, linear_ramp


def one_param_net(value):
    net = Sequential(Linear(1, 1, dtype=np.float64))
    net.layers[0].params["W"][...] = value
    net.layers[0].params["b"][...] = 0.0
    return net


def set_grads(net, g):
    layer = net.layers[0]
    layer.grads["W"], layer.grads["b"] = np.full((1, 1), g), np.zeros(1)


def test_momentum_update_matches_hand_computation():
    net = one_param_net(1.0)
    opt = MomentumSGD(net, lr=0.1, momentum=0.5)
    theta, v = 1.0, 0.0
    for g in [2.0, -1.0, 0.5]:
        set_grads(net, g)
        opt.step()
        v = 0.5 * v - 0.1 * g
        theta += v
        assert net.layers[0].params["W"].item() == pytest.approx(theta, abs=1e-15)
    assert opt.steps == 3


def test_sgd_descends_a_quadratic():
    net = one_param_net(5.0)
    opt = MomentumSGD(net, lr=0.1, momentum=0.7)
    for _ in range(200):
        set_grads(net, 2 * net.layers[0].params["W"].item())   # d/dw w²
        opt.step()
    assert abs(net.layers[0].params["W"].item()) < 1e-6


def test_rmsprop_matches_hand_computation():
    net = one_param_net(1.0)
    opt = RMSProp(net, lr=0.01, rho=0.9, eps=1e-8)
    theta, s = 1.0, 0.0
    for g in [2.0, -1.0, 0.5]:
        set_grads(net, g)
        opt.step()
        s = 0.9 * s + 0.1 * g * g
        theta -= 0.01 * g / (np.sqrt(s) + 1e-8)
        assert net.layers[0].params["W"].item() == pytest.approx(theta, abs=1e-15)


def test_adam_matches_hand_computation():
    net = one_param_net(1.0)
    opt = Adam(net, lr=0.01, beta1=0.5, beta2=0.999, eps=1e-8)
    theta, m, s = 1.0, 0.0, 0.0
    for t, g in enumerate([2.0, -1.0, 0.5], start=1):
        set_grads(net, g)
        opt.step()
        m, s = 0.5 * m + 0.5 * g, 0.999 * s + 0.001 * g * g
        theta -= 0.01 * (m / (1 - 0.5 ** t)) / (np.sqrt(s / (1 - 0.999 ** t)) + 1e-8)
        assert net.layers[0].params["W"].item() == pytest.approx(theta, abs=1e-15)
    # Adam's first step moves every parameter by lr, whatever the gradient's size
    net = one_param_net(0.0)
    set_grads(net, 1e-3)
    Adam(net, lr=0.01).step()
    assert net.layers[0].params["W"].item() == pytest.approx(-0.01, rel=1e-3)


@pytest.mark.parametrize("make", [lambda n: MomentumSGD(n, 0.1, 0.5), lambda n: RMSProp(n, 0.01),
                                  lambda n: Adam(n, 0.01)])
def test_an_optimiser_resumed_from_its_state_continues_exactly(make):
    grads = [2.0, -1.0, 0.5, 0.25]
    straight, split = one_param_net(1.0), one_param_net(1.0)
    opt = make(straight)
    for g in grads:
        set_grads(straight, g)
        opt.step()
    first = make(split)
    for g in grads[:2]:
        set_grads(split, g)
        first.step()
    resumed = make(split)
    resumed.load_state_dict(first.state_dict())
    for g in grads[2:]:
        set_grads(split, g)
        resumed.step()
    assert split.layers[0].params["W"].item() == straight.layers[0].params["W"].item()
    assert resumed.steps == 4


def test_optimiser_state_of_another_shape_is_named():
    net = one_param_net(1.0)
    opt = MomentumSGD(net, lr=0.1, momentum=0.5)
    set_grads(net, 1.0)
    opt.step()
    state = opt.state_dict()
    state["v.0.W"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match="v.0.W"):
        MomentumSGD(net).load_state_dict(state)


def test_the_papers_learning_rate_decay():
    assert exponential_decay(0.1, 1.000004, 1e-6, 0) == 0.1
    assert exponential_decay(0.1, 1.000004, 1e-6, 500) == pytest.approx(0.1 / 1.000004 ** 500)
    assert exponential_decay(0.1, 1.000004, 1e-6, 10**8) == 1e-6   # the floor


def test_the_papers_momentum_ramp():
    ramp = [linear_ramp(0.5, 0.7, 1, 250, epoch) for epoch in (0, 1, 2, 125.5, 250, 400)]
    assert ramp == pytest.approx([0.5, 0.5, 0.5 + 0.2 / 249, 0.6, 0.7, 0.7])


def test_presets_scale_each_networks_lr():
    from dataclasses import replace

    from test_gan import small_gan
    from tinygan.optim import apply_paper_schedule
    from tinygan.presets import PRESETS
    gan = small_gan(1)
    config = replace(PRESETS["paper"], D_lr_scale=0.5, G_lr_scale=2.0)
    lr, momentum = apply_paper_schedule(gan, config, iteration=0, epoch=0)
    assert (gan.D_optimizer.lr, gan.G_optimizer.lr, momentum) == (0.05, 0.2, 0.5) and lr == 0.1


def test_a_configuration_is_named_by_its_preset_whatever_its_seed_and_by_what_differs():
    from dataclasses import replace

    from tinygan.presets import PRESETS, preset_name
    assert preset_name(replace(PRESETS["default"], seed=3)) == "default" and preset_name(PRESETS["wgan"]) == "wgan"
    assert preset_name(replace(PRESETS["paper"], update="simultaneous")) == "paper with update=simultaneous"
    assert preset_name(replace(PRESETS["default"], batch_size=50, k=2)) == "default with batch_size=50, k=2"


@pytest.mark.parametrize("field, value, expected", [
    ("D_keep_input", 1.5, "keep probability"), ("D_pieces", 0, "≥ 1"), ("update", "both", "one of"),
    ("lr_decay", 0.5, "≥ 1"), ("momentum_end", 1.0, r"\[0, 1\)"), ("noise_prior", "laplace", "one of")])
def test_a_configuration_out_of_range_names_the_field(field, value, expected):
    from dataclasses import replace

    from tinygan.gan import OptionError
    from tinygan.presets import PRESETS
    with pytest.raises(OptionError, match=f"{field}: expected .*{expected}"):
        replace(PRESETS["paper"], **{field: value})
