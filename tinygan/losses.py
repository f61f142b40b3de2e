"""GAN losses, computed from D's logits a (D(x) = σ(a)) so that no log ever sees 0.

    log D(x)       = log σ(a)     = −softplus(−a)
    log(1 − D(x))  = log σ(−a)    = −softplus(a)
    softplus(a)    = log(1 + eᵃ)  = max(a, 0) + log1p(e^(−|a|))   (finite for any a)

Every loss takes logits of shape (N,) or (N, 1) and returns ``(mean_loss, d_logits)``: the mean
over the N rows as a 0-d array on the logits' device, and dL/dlogits with the logits' shape and
dtype. Losses are *minimised*; D ascending V(G, D) is D descending the BCE below.
"""
from . import backend


@backend.elementwise("T a", "T y", "y = max(a, T(0)) + log1p(exp(-fabs(a)))")
def softplus(a):
    """log(1 + eᵃ), stable for any a, same dtype as a."""
    xp = backend.array_module(a)
    return xp.maximum(a, 0) + xp.log1p(xp.exp(-xp.abs(a)))


@backend.elementwise("T a", "T y", "y = T(0.5) * tanh(T(0.5) * a) + T(0.5)")
def sigmoid(a):
    """σ(a) = ½·tanh(½a) + ½, stable for any a, same dtype as a."""
    return 0.5 * backend.array_module(a).tanh(0.5 * a) + 0.5


def softmax(a):
    """Rows of (N, C) scores -> (N, C) probabilities exp(aᵢ) / Σⱼ exp(aⱼ), computed from a − max(a)
    so that no exp overflows."""
    e = backend.array_module(a).exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def bce_with_logits(logits, targets):
    """Binary cross-entropy −[t·log σ(a) + (1 − t)·log(1 − σ(a))], mean over rows.

    targets: same shape as logits, in [0, 1] (soft targets allowed).
    """
    if targets.shape != logits.shape:
        raise ValueError(f"bce_with_logits: targets of shape {targets.shape} do not match "
                         f"logits of shape {logits.shape}")
    n = len(logits)
    loss = softplus(logits) - targets * logits       # = t·softplus(−a) + (1 − t)·softplus(a)
    return loss.mean(), (sigmoid(logits) - targets) / n      # dL/da = (σ(a) − t) / N


def minimax_generator_loss(fake_logits):
    """The paper's minimax cost for G: mean log(1 − D(G(z))) = mean −softplus(a).

    It saturates: when D confidently rejects the fakes (a ≪ 0) its gradient vanishes.
    """
    n = len(fake_logits)
    return (-softplus(fake_logits)).mean(), -sigmoid(fake_logits) / n    # dL/da = −σ(a) / N


def non_saturating_generator_loss(fake_logits):
    """The paper's recommended cost for G: mean −log D(G(z)) = mean softplus(−a).

    Same fixed point as the minimax cost, but strong gradients early in training (§3).
    """
    n = len(fake_logits)
    return softplus(-fake_logits).mean(), (sigmoid(fake_logits) - 1) / n  # dL/da = (σ(a)−1)/N


MAX_LOGIT_FOR_EXP = 50.0  # e^50 ≈ 5e21: finite in float32; σ(50) = 1 − 2e−22, D is certain


def maximum_likelihood_generator_loss(fake_logits):
    """Goodfellow (2014), "On distinguishability criteria": mean −½·exp(σ⁻¹(D(G(z)))) =
    mean −½·eᵃ, whose expected gradient is that of maximum likelihood when D is optimal
    (Deep Learning book §20.10.4).

    The cost grows without bound in a, so a is clipped at MAX_LOGIT_FOR_EXP to stay finite.
    """
    xp = backend.array_module(fake_logits)
    n = len(fake_logits)
    half_exp = 0.5 * xp.exp(xp.minimum(fake_logits, MAX_LOGIT_FOR_EXP))
    d_logits = xp.where(fake_logits < MAX_LOGIT_FOR_EXP, -half_exp / n, 0)   # dL/da = −½eᵃ / N
    return (-half_exp).mean(), d_logits.astype(fake_logits.dtype, copy=False)


def critic_loss(scores, targets):
    """WGAN's critic cost (Arjovsky et al., 2017), minimised: mean f(fake) − mean f(real).

    scores: (N, 1) critic outputs f(x), not squashed; targets: same shape, 1 on real rows and 0
    on fake ones. −loss is the critic's estimate of the Wasserstein-1 distance (times the
    Lipschitz constant that weight clipping allows). dL/df = 1/n_fake on a fake row, −1/n_real
    on a real one.
    """
    n_real = targets.sum()
    d_scores = (1 - targets) / (len(targets) - n_real) - targets / n_real
    return (d_scores * scores).sum(), d_scores.astype(scores.dtype, copy=False)


def wasserstein_generator_loss(scores):
    """G's WGAN cost: −mean f(G(z)), so G raises the critic's score of its samples."""
    n = len(scores)
    return -scores.mean(), backend.array_module(scores).full_like(scores, -1.0 / n)   # dL/df = −1/N


GENERATOR_LOSSES = {
    "non-saturating": non_saturating_generator_loss,
    "minimax": minimax_generator_loss,
    "maximum-likelihood": maximum_likelihood_generator_loss,
    "wasserstein": wasserstein_generator_loss,
}


# ----------------------------------------------------------------------------- objectives
# An objective is one value holding what D's output means, D's cost on m real rows then m fakes,
# G's cost, and what follows D's step. D's cost returns (mean cost, dL/dlogits) as every loss here.

def real_then_fake(logits):
    """The targets of (2m, 1) logits whose first m rows are real: 1 on those, 0 on the fakes."""
    xp, m = backend.array_module(logits), len(logits) // 2
    return xp.concatenate([xp.ones((m, 1), logits.dtype), xp.zeros((m, 1), logits.dtype)])


class GANObjective:
    """Goodfellow et al. (2014): D(x) = σ(a) is the probability that x is real, and D descends

        weight · [BCE(D(x), 1) + BCE(D(G(z)), 0)],   each BCE a mean over its m rows.

    Weight 1 is Algorithm 1 as printed (descending the BCE is ascending V); the released code used
    ½, the mean over the 2m rows; scaling a cost by c scales D's step by c. G descends one of the
    GENERATOR_LOSSES (the non-saturating −log D(G(z)) by default, the paper's §3)."""

    def __init__(self, generator_loss="non-saturating", weight=1.0):
        allowed = sorted(set(GENERATOR_LOSSES) - {"wasserstein"})
        if generator_loss not in allowed:
            raise ValueError(f"generator loss {generator_loss!r}: expected one of {allowed} (a WGAN's "
                             "critic goes with the 'wasserstein' loss: WassersteinObjective)")
        self.generator_loss, self.weight = GENERATOR_LOSSES[generator_loss], weight

    def disc_cost(self, logits):
        mean_of_2m, d_logits = bce_with_logits(logits, real_then_fake(logits))   # = ½[BCE real + BCE fake]
        scale = logits.dtype.type(2 * self.weight)
        return scale * mean_of_2m, scale * d_logits

    @staticmethod
    def outputs(logits):
        """What D says of each row: D(x) = σ(a)."""
        return sigmoid(logits)

    def after_step(self, discriminator):
        """Nothing follows D's step."""


class WassersteinObjective:
    """Arjovsky et al. (2017): D is a critic f whose cost is mean f(G(z)) − mean f(x) (``critic_loss``),
    G descends −mean f(G(z)), and after each of its steps every critic weight is clipped back into
    [−clip, clip], a crude Lipschitz constraint (0: no clipping)."""

    generator_loss = staticmethod(wasserstein_generator_loss)

    def __init__(self, clip=0.0):
        self.clip = clip

    @staticmethod
    def disc_cost(logits):
        return critic_loss(logits, real_then_fake(logits))

    @staticmethod
    def outputs(logits):
        """What the critic says of each row: its score f(x), not squashed."""
        return logits

    def after_step(self, discriminator):
        if self.clip:
            for _, theta, _ in discriminator.parameters():
                backend.array_module(theta).clip(theta, -self.clip, self.clip, out=theta)


def softmax_cross_entropy(logits, labels):
    """Cross-entropy of a softmax classifier, mean over rows: −log softmax(a)[y].

    logits: (N, C) scores a; labels: (N,) integer classes y in 0 … C−1. With p = softmax(a),

        L = mean over n of  logsumexp(aₙ) − aₙ[yₙ],      dL/da = (p − onehot(y)) / N

    and logsumexp(a) = m + log Σⱼ exp(aⱼ − m), m = max(a), finite for any a.
    """
    if logits.ndim != 2 or labels.shape != (len(logits),):
        raise ValueError(f"softmax_cross_entropy: expected (N, C) logits and (N,) labels, got "
                         f"{tuple(logits.shape)} and {tuple(labels.shape)}")
    xp = backend.array_module(logits)
    n, rows = len(logits), xp.arange(len(logits))
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_total = xp.log(xp.exp(shifted).sum(axis=1))
    loss = (log_total - shifted[rows, labels]).mean()
    d_logits = xp.exp(shifted - log_total[:, None])          # p = softmax(a)
    d_logits[rows, labels] -= 1                              # p − onehot(y)
    return loss, d_logits / logits.dtype.type(n)
