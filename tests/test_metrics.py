"""Parzen windows against a direct broadcast implementation; nearest neighbours."""
import numpy as np
import pytest

from tinygan import backend, metrics

PARZEN_RTOL = 1e-6


def direct_parzen(samples, x, sigma):
    """The formula written out: every difference materialised, (n, k, d)."""
    sq = ((x[:, None, :] - samples[None, :, :]) ** 2).sum(axis=2)
    a = -sq / (2 * sigma ** 2)
    top = a.max(axis=1, keepdims=True)
    lme = top[:, 0] + np.log(np.exp(a - top).mean(axis=1))
    return lme - 0.5 * x.shape[1] * np.log(2 * np.pi * sigma ** 2)


@pytest.mark.parametrize("sigma", [0.1, 0.3, 1.0])
def test_parzen_matches_the_direct_formula(sigma, device, monkeypatch):
    monkeypatch.setattr(metrics, "BLOCK_ROWS", 7)          # several blocks, one ragged
    rng = np.random.default_rng(0)
    samples, x = rng.random((40, 16)), rng.random((23, 16))
    got = backend.to_host(metrics.parzen_log_likelihood(*(backend.to_device(a, device) for a in (samples, x)), sigma))
    np.testing.assert_allclose(got, direct_parzen(samples, x, sigma), rtol=PARZEN_RTOL)


def test_float32_inputs_stay_close_to_float64():
    rng = np.random.default_rng(1)
    samples, x = rng.random((200, 784)), rng.random((50, 784))
    exact = direct_parzen(samples, x, 0.2)
    fast = metrics.parzen_log_likelihood(samples.astype(np.float32), x.astype(np.float32), 0.2)
    assert fast.dtype == np.float64
    np.testing.assert_allclose(fast, exact, rtol=1e-4)


def test_sigma_grid_shares_one_distance_computation():
    rng = np.random.default_rng(2)
    samples, x = rng.random((30, 5)), rng.random((9, 5))
    by_sigma = metrics.parzen_log_likelihood(samples, x, metrics.PAPER_SIGMAS)
    assert by_sigma.shape == (10, 9)
    for row, sigma in zip(by_sigma, metrics.PAPER_SIGMAS):
        np.testing.assert_allclose(row, direct_parzen(samples, x, sigma), rtol=PARZEN_RTOL)


def test_protocol_picks_the_best_validation_sigma_and_reports_the_standard_error():
    rng = np.random.default_rng(3)
    samples = rng.random((100, 8))
    valid, test = rng.random((50, 8)), rng.random((60, 8))
    result = metrics.parzen_protocol(samples, valid, test, n_valid=20)
    by_sigma = result["valid_log_likelihood_by_sigma"]
    assert result["sigma"] == max(by_sigma, key=by_sigma.get)
    ll = direct_parzen(samples, test, result["sigma"])
    assert result["log_likelihood"] == pytest.approx(ll.mean(), rel=PARZEN_RTOL)
    assert result["standard_error"] == pytest.approx(ll.std() / np.sqrt(60), rel=1e-5)


def test_validation_score_uses_the_protocols_sigma_on_the_rows_the_sigma_choice_did_not_see():
    rng = np.random.default_rng(4)
    samples, valid = rng.random((100, 8)), rng.random((50, 8))
    sigma, score = metrics.parzen_validation_score(samples, valid, n_valid=20)
    assert sigma == metrics.parzen_protocol(samples, valid, valid, n_valid=20)["sigma"]
    assert score == pytest.approx(direct_parzen(samples, valid[20:], sigma).mean(), rel=PARZEN_RTOL)


def test_rank_correlation_sees_order_not_scale():
    rising = [0.1, 0.5, 0.7, 3.0]
    assert metrics.rank_correlation(rising, [1, 2, 30, 400]) == pytest.approx(1)
    assert metrics.rank_correlation(rising, [9, 8, 7, -1]) == pytest.approx(-1)
    assert metrics.rank_correlation(rising, [2, 1, 4, 3]) == pytest.approx(0.6)


def test_nearest_rows(device):
    pool = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    queries = np.array([[9.0, 1.0], [1.0, 1.0], [0.0, 8.0]])
    found, squared = metrics.nearest_rows(*(backend.to_device(a, device) for a in (queries, pool)))
    np.testing.assert_array_equal(backend.to_host(found), [1, 0, 2])
    np.testing.assert_allclose(backend.to_host(squared), [2.0, 2.0, 4.0])


# ----------------------------------------------------------------------------- sample quality

def test_frechet_distance_closed_forms():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((5, 5))
    cov = a @ a.T + np.eye(5)
    stats = (np.zeros(5), cov)
    assert metrics.frechet_distance(stats, stats) == pytest.approx(0, abs=1e-9)
    # diagonal covariances: ‖μa − μb‖² + Σ (σa − σb)²
    mu_a, mu_b, var_a, var_b = np.array([1.0, 0.0]), np.array([0.0, 2.0]), np.array([4.0, 1.0]), np.array([1.0, 9.0])
    expected = 1 + 4 + (2 - 1) ** 2 + (1 - 3) ** 2
    assert metrics.frechet_distance((mu_a, np.diag(var_a)), (mu_b, np.diag(var_b))) == pytest.approx(expected)


def test_inception_score_and_class_shares_closed_forms():
    confident = np.eye(10)[np.arange(1000) % 10]
    assert metrics.inception_score(confident) == pytest.approx(10, rel=1e-6)
    assert metrics.inception_score(np.tile(confident[:1], (1000, 1))) == pytest.approx(1, rel=1e-6)
    assert metrics.inception_score(np.full((50, 10), 0.1)) == pytest.approx(1, rel=1e-6)
    shares = metrics.class_shares(np.array([0, 0, 0, 1]), n_classes=3)
    np.testing.assert_allclose(shares, [0.75, 0.25, 0.0])


def test_sample_quality_tells_real_digits_from_a_collapsed_generator(device):
    from tinygan import classifier, data
    model, _ = classifier.load(device=device)
    splits = data.load_mnist()
    test = backend.to_device(data.to_unit_float(splits["test"][0][:2000]), device)
    reference = metrics.gaussian_statistics(model.classify(test)[0])
    real = metrics.sample_quality(backend.to_device(data.to_unit_float(splits["valid"][0][:2000]), device),
                                  model, reference)
    assert real["classes"] == 10 and real["top_share"] < 0.15 and real["inception"] > 9 and real["frechet"] < 5
    collapsed = metrics.sample_quality(test[:1].repeat(2000, axis=0), model, reference)
    assert collapsed["classes"] == 1 and collapsed["top_share"] == 1 and collapsed["frechet"] > 50


def test_kmeans_ends_at_a_fixed_point_of_lloyds_iteration(device):
    rng = np.random.default_rng(0)
    host = np.concatenate([rng.normal(c, 0.3, (60, 2)) for c in ([0, 0], [4, 4], [0, 4], [4, 0])]).astype(np.float32)
    x = backend.to_device(host, device)
    centroids = backend.to_host(metrics.kmeans(x, 4, 20, np.random.default_rng(1)))
    nearest = ((host[:, None, :] - centroids[None]) ** 2).sum(axis=2).argmin(axis=1)
    for j, centroid in enumerate(centroids):                    # each centroid is its points' mean
        np.testing.assert_allclose(centroid, host[nearest == j].mean(axis=0), rtol=1e-5, atol=1e-6)
