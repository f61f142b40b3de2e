"""Losses: gradient checks, closed forms and stability at extreme logits."""
import numpy as np
import pytest

from conftest import GRAD_TOL
from tinygan import backend, gradcheck
from tinygan.losses import (GENERATOR_LOSSES, bce_with_logits, critic_loss, wasserstein_generator_loss, maximum_likelihood_generator_loss,
                            minimax_generator_loss, non_saturating_generator_loss, softmax,
                            softmax_cross_entropy, softplus)


def _logits(shape, device, scale=3.0, seed=0):
    return backend.to_device(np.random.default_rng(seed).standard_normal(shape) * scale, device)


@pytest.mark.parametrize("shape", [(1, 1), (7, 1), (5,)])
def test_bce_gradient_check(shape, device):
    targets = backend.to_device(np.random.default_rng(1).random(shape), device)  # soft targets
    assert gradcheck.check_loss(bce_with_logits, _logits(shape, device), targets) < GRAD_TOL


@pytest.mark.parametrize("name", sorted(GENERATOR_LOSSES))
@pytest.mark.parametrize("shape", [(1, 1), (7, 1), (5,)])
def test_generator_loss_gradient_check(name, shape, device):
    assert gradcheck.check_loss(GENERATOR_LOSSES[name], _logits(shape, device)) < GRAD_TOL


def test_closed_forms():
    a = np.array([[-2.0], [0.0], [1.5]])
    d = 1 / (1 + np.exp(-a))
    t = np.array([[1.0], [0.0], [1.0]])
    expected_bce = -np.mean(t * np.log(d) + (1 - t) * np.log(1 - d))
    np.testing.assert_allclose(bce_with_logits(a, t)[0], expected_bce, rtol=1e-12)
    np.testing.assert_allclose(minimax_generator_loss(a)[0], np.mean(np.log(1 - d)), rtol=1e-12)
    np.testing.assert_allclose(non_saturating_generator_loss(a)[0], -np.mean(np.log(d)), rtol=1e-12)
    # −½·exp(σ⁻¹(D)) with σ⁻¹(D) = log(D / (1 − D))
    np.testing.assert_allclose(maximum_likelihood_generator_loss(a)[0],
                               -0.5 * np.mean(d / (1 - d)), rtol=1e-12)
    np.testing.assert_allclose(softplus(np.array([0.0])), [np.log(2.0)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_for_extreme_logits(dtype, device):
    a = backend.to_device(np.array([[1e4], [-1e4], [0.0]], dtype=dtype), device)
    t = backend.to_device(np.array([[0.0], [1.0], [1.0]], dtype=dtype), device)
    results = [bce_with_logits(a, t)] + [loss(a) for loss in GENERATOR_LOSSES.values()]
    for loss, d_logits in results:
        assert np.isfinite(backend.to_host(loss)).all()
        assert np.isfinite(backend.to_host(d_logits)).all()
        assert d_logits.dtype == dtype and d_logits.shape == a.shape
    # confidently wrong by 1e4 costs 1e4 (not inf)
    np.testing.assert_allclose(backend.to_host(bce_with_logits(a[:2], t[:2])[0]), 1e4)


def test_minimax_saturates_and_non_saturating_does_not():
    rejected = np.array([[-10.0]])          # D is sure the fake is fake
    assert abs(minimax_generator_loss(rejected)[1].item()) < 1e-4
    assert abs(non_saturating_generator_loss(rejected)[1].item()) > 0.99


def test_bce_refuses_mismatched_targets():
    with pytest.raises(ValueError, match=r"targets of shape \(3,\) do not match logits of shape \(3, 1\)"):
        bce_with_logits(np.zeros((3, 1)), np.zeros(3))


@pytest.mark.parametrize("shape", [(1, 3), (6, 10)])
def test_softmax_cross_entropy_gradient_check(shape, device):
    labels = backend.to_device(np.random.default_rng(2).integers(0, shape[1], shape[0]), device)
    assert gradcheck.check_loss(softmax_cross_entropy, _logits(shape, device), labels) < GRAD_TOL


def test_softmax_cross_entropy_closed_form_and_extremes():
    a = np.array([[1.0, 2.0, 0.5], [0.0, 0.0, 0.0]])
    p = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    loss, d_logits = softmax_cross_entropy(a, np.array([1, 2]))
    assert loss == pytest.approx(-(np.log(p[0, 1]) + np.log(1 / 3)) / 2, rel=1e-12)
    np.testing.assert_allclose(d_logits, (p - np.eye(3)[[1, 2]]) / 2, rtol=1e-12)
    np.testing.assert_allclose(softmax(a), p, rtol=1e-12)
    loss, d_logits = softmax_cross_entropy(np.array([[1e4, -1e4]], np.float32), np.array([1]))
    assert loss == 2e4 and np.isfinite(d_logits).all() and d_logits.dtype == np.float32
    with pytest.raises(ValueError, match=r"expected \(N, C\) logits and \(N,\) labels"):
        softmax_cross_entropy(np.zeros((2, 3)), np.zeros(3, int))


@pytest.mark.parametrize("shape", [(2, 1), (7, 1)])
def test_critic_loss_gradient_check_and_closed_form(shape, device):
    targets = backend.to_device((np.arange(shape[0]) % 2 == 0).astype(np.float64).reshape(shape), device)
    scores = _logits(shape, device)
    assert gradcheck.check_loss(critic_loss, scores, targets) < GRAD_TOL
    f, t = backend.to_host(scores), backend.to_host(targets)
    expected = f[t == 0].mean() - f[t == 1].mean()            # mean f(fake) − mean f(real)
    assert float(backend.to_host(critic_loss(scores, targets)[0])) == pytest.approx(expected, rel=1e-12)


def test_wasserstein_generator_loss_gradient_check(device):
    scores = _logits((5, 1), device)
    assert gradcheck.check_loss(wasserstein_generator_loss, scores) < GRAD_TOL
    assert float(backend.to_host(wasserstein_generator_loss(scores)[0])) == pytest.approx(
        -backend.to_host(scores).mean(), rel=1e-12)
