"""Evaluation: nearest neighbours, the Parzen-window log-likelihood of the paper's Table 1, and
the quantities of its theory (D*, JSD, C(G)). Arrays may live on either device.
"""
import numpy as np

from . import backend

PAPER_SIGMAS = np.logspace(-1, 0, 10)   # the paper's code's σ grid
BLOCK_ROWS = 1000                       # rows of x per distance block: 1000 × 10,000 floats


def squared_norms(a):
    """‖aᵢ‖² for every row of a (n, d), accumulated in float64 a block of rows at a time (so no
    float64 copy of a large a is ever made), returned in a's dtype."""
    xp = backend.array_module(a)
    return xp.concatenate([(a[i:i + BLOCK_ROWS].astype(np.float64) ** 2).sum(axis=1)
                           for i in range(0, len(a), BLOCK_ROWS)]).astype(a.dtype)


def squared_distances(x, mu, mu_sq_norms=None):
    """‖xᵢ − μⱼ‖² for x: (n, d), μ: (k, d) -> (n, k) in the inputs' dtype, as
    ‖x‖² + ‖μ‖² − 2·x·μᵀ: one matrix product at GEMM speed.

    The squared norms are accumulated in float64 (sums of d squares), and the small negative
    results that cancellation leaves for nearly equal rows are clipped to 0. For [0, 1] pixels
    in float32 the error in ‖x − μ‖² is about 1e−5, well below a Parzen window's 2σ² ≥ 0.02.
    """
    xp = backend.array_module(x, mu)
    if mu_sq_norms is None:
        mu_sq_norms = squared_norms(mu)
    x_sq_norms = squared_norms(x)
    distances = x @ mu.T
    distances *= -2
    distances += x_sq_norms[:, None]
    distances += mu_sq_norms[None, :]
    return xp.maximum(distances, 0, out=distances)


def nearest_rows(queries, pool):
    """For each row of queries (n, d): the index in pool (k, d) of its nearest row (L2) and the
    squared distance to it, as two (n,) arrays."""
    xp = backend.array_module(queries, pool)
    pool_sq_norms = squared_norms(pool)
    index, squared = [], []
    for i in range(0, len(queries), BLOCK_ROWS):        # one (BLOCK_ROWS, k) block alive at a time
        sq = squared_distances(queries[i:i + BLOCK_ROWS], pool, pool_sq_norms)
        index.append(sq.argmin(axis=1))
        squared.append(sq.min(axis=1))
    return xp.concatenate(index), xp.concatenate(squared)


def kmeans(x, k, iterations, rng):
    """Lloyd's k-means: (k, d) centroids of the rows of x (n, d), started from k distinct rows
    drawn by the host generator ``rng``; each iteration assigns every row to its nearest centroid
    (``nearest_rows``) and moves each centroid to the mean of its rows (an empty cluster keeps
    its centroid). Theis et al. (2016) score such centroids with a Parzen window."""
    xp = backend.array_module(x)
    centroids = x[backend.to_device(rng.choice(len(x), k, replace=False), backend.device_of(x))].astype(np.float64)
    for _ in range(iterations):
        nearest, _ = nearest_rows(x, centroids.astype(x.dtype))
        sums = xp.stack([xp.bincount(nearest, weights=x[:, j], minlength=k) for j in range(x.shape[1])], axis=1)
        counts = xp.bincount(nearest, minlength=k)[:, None]
        centroids = xp.where(counts > 0, sums / xp.maximum(counts, 1), centroids)
    return centroids.astype(x.dtype)


def log_mean_exp(a, axis):
    """log(mean(exp(a))) along ``axis`` as float64, shifted by the maximum so exp never
    overflows and the largest term is exactly 1."""
    xp = backend.array_module(a)
    top = a.max(axis=axis, keepdims=True)
    mean = xp.exp(a - top).mean(axis=axis, keepdims=True, dtype=np.float64)
    return (top.astype(np.float64) + xp.log(mean)).squeeze(axis)


def parzen_log_likelihood(samples, x, sigma):
    """log p̂(xᵢ) under a Gaussian Parzen window of width σ on ``samples`` (k, d):

        log p̂(x) = logmeanexp_j(−‖x − μⱼ‖² / 2σ²) − (d/2)·log(2πσ²)

    x: (n, d). Returns (n,) float64 on x's device; σ may also be a sequence, giving (len(σ), n)
    from one distance computation per block. The exponentials run in the inputs' dtype (float32
    for real runs: twice as fast), the sums of the window's terms in float64."""
    sigmas = np.atleast_1d(np.asarray(sigma, dtype=np.float64))
    xp = backend.array_module(samples, x)
    d = x.shape[1]
    mu_sq_norms = squared_norms(samples)
    blocks = []
    for i in range(0, len(x), BLOCK_ROWS):
        sq = squared_distances(x[i:i + BLOCK_ROWS], samples, mu_sq_norms)
        blocks.append(xp.stack([log_mean_exp(sq * sq.dtype.type(-0.5 / s ** 2), axis=1)
                                - 0.5 * d * np.log(2 * np.pi * s ** 2) for s in sigmas]))
    result = xp.concatenate(blocks, axis=1)
    return result if np.ndim(sigma) else result[0]


def choose_sigma(samples, valid, sigmas=PAPER_SIGMAS):
    """The protocol's σ: the one in ``sigmas`` under which the rows of ``valid`` (n, d) have the
    highest mean log-likelihood. Returns (σ, {σ: mean log-likelihood}) as Python floats."""
    means = backend.to_host(parzen_log_likelihood(samples, valid, sigmas).mean(axis=1))
    return float(sigmas[int(np.argmax(means))]), dict(zip(map(float, sigmas), map(float, means)))


def parzen_protocol(samples, valid, test, sigmas=PAPER_SIGMAS, n_valid=1000):
    """The paper's evaluation: choose σ from ``sigmas`` by the mean log-likelihood of the first
    ``n_valid`` validation rows, then score every test row with that σ.

    samples: (10000, d) generator samples; valid, test: (n, d) in [0, 1]. Returns a dict with
    sigma, the mean test log-likelihood, its standard error (std/√N) and the validation means.
    """
    sigma, valid_means = choose_sigma(samples, valid[:n_valid], sigmas)
    test_ll = backend.to_host(parzen_log_likelihood(samples, test, sigma))
    return {"sigma": sigma, "log_likelihood": float(test_ll.mean()),
            "standard_error": float(test_ll.std() / np.sqrt(len(test_ll))),
            "valid_log_likelihood_by_sigma": valid_means}


def parzen_validation_score(samples, valid, sigmas=PAPER_SIGMAS, n_valid=1000):
    """Model selection without the test set: σ chosen as ``parzen_protocol`` does (the first
    ``n_valid`` rows of valid), then the mean log-likelihood of the other rows (the paper's
    split: train[51000:60000]) under it. Returns (σ, that mean) as Python floats."""
    sigma, _ = choose_sigma(samples, valid[:n_valid], sigmas)
    return sigma, float(parzen_log_likelihood(samples, valid[n_valid:], sigma).mean())


# ----------------------------------------------------------------------------- sample quality

COVERED_SHARE = 0.02   # a class counts as covered when at least 2 % of the samples fall in it


def class_shares(predicted, n_classes=10):
    """(n_classes,) float64 host array: the share of ``predicted`` labels (N,) in each class."""
    counts = backend.to_host(backend.array_module(predicted).bincount(predicted, minlength=n_classes))
    return counts / counts.sum()


def inception_score(probabilities):
    """exp(E_x KL(p(y|x) ‖ p(y))) (Salimans et al., 2016) from (N, C) class probabilities:
    between 1 (every sample the same, or every prediction unsure) and C (confident predictions
    spread evenly over the classes). Returns a float."""
    p = backend.to_host(probabilities).astype(np.float64)
    marginal = p.mean(axis=0)
    kl = (p * (np.log(p + 1e-12) - np.log(marginal + 1e-12))).sum(axis=1)
    return float(np.exp(kl.mean()))


def gaussian_statistics(features):
    """(mean (d,), covariance (d, d)) of (N, d) features, float64 on the host."""
    f = backend.to_host(features).astype(np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_distance(stats_a, stats_b):
    """The Fréchet distance between two Gaussians (mean, covariance):

        ‖μa − μb‖² + tr(Σa + Σb − 2·(Σa·Σb)^½)

    tr((Σa·Σb)^½) is the sum of the square roots of the eigenvalues of Σa·Σb, which equal those
    of the symmetric Sa·Σb·Sa with Sa = Σa^½: two symmetric eigendecompositions, no sqrtm."""
    (mu_a, cov_a), (mu_b, cov_b) = stats_a, stats_b
    values, vectors = np.linalg.eigh(cov_a)
    sqrt_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    product = np.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a)
    trace_sqrt = np.sqrt(np.clip(product, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt)


def sample_quality(samples, classifier, reference_stats):
    """What a classifier sees in a batch of samples (N, 784) in [0, 1]:

        classes        how many classes hold ≥ 2 % of the samples (10 for MNIST-like samples)
        top_share      the largest class's share (0.1 when balanced; 1 when collapsed)
        inception      the Inception-style score (``inception_score``)
        frechet        the Fréchet distance between the samples' penultimate features and
                       ``reference_stats`` (``gaussian_statistics`` of real images' features)

    classifier: a ``tinygan.classifier.Classifier`` on the samples' device. The Fréchet distance
    here is FID's idea (Heusel et al., 2017) in the feature space of tinygan's own MNIST
    classifier: comparable between tinygan runs, not with published FID values."""
    features, probabilities = classifier.classify(samples)
    shares = class_shares(probabilities.argmax(axis=1), probabilities.shape[1])
    return {"classes": int((shares >= COVERED_SHARE).sum()), "top_share": float(shares.max()),
            "inception": inception_score(probabilities),
            "frechet": frechet_distance(gaussian_statistics(features), reference_stats)}


def rank_correlation(a, b):
    """Spearman's ρ of two host sequences of equal length (no ties assumed): the correlation of
    their ranks, 1 when one rises exactly where the other does. A float."""
    ranks = [np.argsort(np.argsort(np.asarray(v))) for v in (a, b)]
    return float(np.corrcoef(*ranks)[0, 1])


# ----------------------------------------------------------------------------- the theory (§4)

def optimal_discriminator(p_data, p_g):
    """Proposition 1: for fixed G, D*(x) = p_data(x) / (p_data(x) + p_g(x))."""
    return p_data / (p_data + p_g)


def value(d, p_data, p_g):
    """V(G, D) = E_pdata[log D(x)] + E_pg[log(1 − D(x))] for a discrete x with probabilities
    p_data, p_g and discriminator outputs d (arrays over the same support)."""
    return float(np.sum(p_data * np.log(d)) + np.sum(p_g * np.log(1 - d)))


def jensen_shannon(p, q):
    """JSD(p‖q) = ½ KL(p‖m) + ½ KL(q‖m), m = (p + q)/2, in nats (terms with p = 0 count 0)."""
    m = (p + q) / 2

    def kl(a, b):
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / b[mask])))
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def virtual_training_criterion(p_data, p_g):
    """Theorem 1: C(G) = max_D V(G, D) = −log 4 + 2·JSD(p_data‖p_g)."""
    return -np.log(4) + 2 * jensen_shannon(p_data, p_g)
