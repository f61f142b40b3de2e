"""The paper's theory (§4), checked numerically with tinygan's own layers, losses and optimiser:
Proposition 1 (the optimal D), Theorem 1 (C(G) = −log 4 + 2·JSD), and the bilinear game."""
import numpy as np
import pytest

from examples_helper import load_example
from tinygan import metrics
from tinygan.layers import Linear
from tinygan.losses import bce_with_logits, sigmoid
from tinygan.network import Sequential
from tinygan.optim import MomentumSGD

P_DATA = np.array([0.05, 0.10, 0.20, 0.40, 0.25])
P_G = np.array([0.30, 0.30, 0.20, 0.10, 0.10])
D_TOLERANCE = 0.03      # |D − D*| after training on sampled minibatches
C_TOLERANCE = 0.01      # |V(G, D_trained) − C(G)| in nats


def train_discriminator(p_data, p_g, steps=3000, m=500, seed=0):
    """D over a discrete x ∈ {0 … K−1}: one logit per value (Linear on one-hot inputs), trained
    by tinygan on m samples from each distribution per step. Returns D(x) for every x."""
    rng = np.random.default_rng(seed)
    k = len(p_data)
    d = Sequential(Linear(k, 1, rng=rng, dtype=np.float64))
    optimizer = MomentumSGD(d, lr=1.0, momentum=0.5)
    one_hot = np.eye(k)
    targets = np.concatenate([np.ones((m, 1)), np.zeros((m, 1))])
    for _ in range(steps):
        x = one_hot[np.concatenate([rng.choice(k, m, p=p_data), rng.choice(k, m, p=p_g)])]
        _, d_logits = bce_with_logits(d.forward(x), targets)
        d.backward(d_logits)
        optimizer.step()
    return sigmoid(d.forward(one_hot, train=False))[:, 0]


def test_trained_discriminator_approaches_d_star():
    d = train_discriminator(P_DATA, P_G)
    np.testing.assert_allclose(d, metrics.optimal_discriminator(P_DATA, P_G), atol=D_TOLERANCE)


def test_value_of_trained_d_is_c_of_g_equals_minus_log4_plus_2_jsd():
    d = train_discriminator(P_DATA, P_G)
    c_of_g = metrics.virtual_training_criterion(P_DATA, P_G)
    assert c_of_g == pytest.approx(metrics.value(metrics.optimal_discriminator(P_DATA, P_G), P_DATA, P_G), abs=1e-12)
    assert metrics.value(d, P_DATA, P_G) == pytest.approx(c_of_g, abs=C_TOLERANCE)
    assert metrics.value(d, P_DATA, P_G) <= c_of_g + 1e-12   # C(G) is the maximum over D
    m = (P_DATA + P_G) / 2                                    # JSD written out for these two
    jsd = 0.5 * np.sum(P_DATA * np.log(P_DATA / m)) + 0.5 * np.sum(P_G * np.log(P_G / m))
    assert c_of_g == pytest.approx(-np.log(4) + 2 * jsd, abs=1e-12) and jsd > 0.1


def test_at_p_g_equal_p_data_d_is_one_half_and_c_is_minus_log_4():
    d = train_discriminator(P_DATA, P_DATA)
    np.testing.assert_allclose(d, 0.5, atol=D_TOLERANCE)
    assert metrics.virtual_training_criterion(P_DATA, P_DATA) == -np.log(4)
    assert metrics.value(d, P_DATA, P_DATA) == pytest.approx(-np.log(4), abs=C_TOLERANCE)


def test_continuous_case_logistic_d_finds_the_log_density_ratio():
    """p_data = N(0, 1), p_g = N(1, 1): D*(x) = σ(log p_data − log p_g) = σ(½ − x), which a
    single Linear unit represents exactly; training must find W ≈ −1, b ≈ ½."""
    rng = np.random.default_rng(0)
    d = Sequential(Linear(1, 1, rng=rng, dtype=np.float64))
    optimizer = MomentumSGD(d, lr=0.5, momentum=0.5)
    m = 2000
    targets = np.concatenate([np.ones((m, 1)), np.zeros((m, 1))])
    for _ in range(2000):
        x = np.concatenate([rng.standard_normal((m, 1)), 1 + rng.standard_normal((m, 1))])
        d.backward(bce_with_logits(d.forward(x), targets)[1])
        optimizer.step()
    assert d.layers[0].params["W"].item() == pytest.approx(-1.0, abs=0.05)
    assert d.layers[0].params["b"].item() == pytest.approx(0.5, abs=0.05)


def test_jensen_shannon_closed_forms():
    assert metrics.jensen_shannon(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(np.log(2))
    assert metrics.jensen_shannon(P_DATA, P_DATA) == 0.0


def test_simultaneous_play_on_ab_spirals_out_and_alternating_play_circles():
    play, eta, steps = load_example("bilinear_game").play, 0.1, 1000
    radius = np.hypot(*play(1.0, 0.0, eta, steps, simultaneous=True).T)
    np.testing.assert_allclose(radius, (1 + eta ** 2) ** (np.arange(steps + 1) / 2), rtol=1e-9)
    radius = np.hypot(*play(1.0, 0.0, eta, steps, simultaneous=False).T)
    assert 0.9 < radius.min() and radius.max() < 1.1          # bounded: an orbit ...
    assert radius[-100:].min() > 0.9                           # ... that never reaches (0, 0)


@pytest.mark.parametrize("simultaneous", [True, False])
def test_the_mean_of_the_points_of_play_on_ab_is_its_closed_form_and_nears_the_equilibrium(simultaneous):
    play, eta, steps = load_example("bilinear_game").play, 0.1, 1000
    path = play(1.0, 0.0, eta, steps, simultaneous)
    M = np.array([[1, -eta], [eta, 1]]) if simultaneous else np.array([[1, -eta], [eta, 1 - eta ** 2]])  # x ← M·x
    after = M @ path[-1]                                        # x_T+1
    np.testing.assert_allclose(path.sum(axis=0), np.linalg.solve(np.eye(2) - M, path[0] - after), atol=1e-9)
    if not simultaneous:                                        # the orbit's points never near (0, 0) ...
        assert np.hypot(*path.mean(axis=0)) < 2 / (eta * steps)  # ... their mean does
