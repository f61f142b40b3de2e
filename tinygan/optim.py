"""Optimisers and the paper's schedules.

Every optimiser keeps, for each parameter θ with gradient g, a few state arrays of θ's shape,
dtype and device, created on the first step:

    momentum SGD (the paper's code, pylearn2):   v ← μ·v − lr·g;   θ ← θ + v
    RMSProp (Tieleman & Hinton; WGAN):           s ← ρ·s + (1 − ρ)·g²;   θ ← θ − lr·g / (√s + ε)
    Adam (Kingma & Ba, 2015; DCGAN recipes):     m ← β₁·m + (1 − β₁)·g;   s ← β₂·s + (1 − β₂)·g²
                                                 θ ← θ − lr·m̂ / (√ŝ + ε),  m̂ = m / (1 − β₁ᵗ), ŝ = s / (1 − β₂ᵗ)
"""
from . import backend


class Optimizer:
    """Updates every parameter of a ``Sequential`` from the gradients of the last backward pass.

    Subclasses name their per-parameter state arrays in STATE, give the numbers step t uses as
    a tuple ``scalars(t)`` and implement ``_update(theta, grad, state, scalars)``, changing θ and
    the state in place. lr (and any other hyper-parameter) is a plain attribute that schedules may
    set between steps. ``step`` takes its numbers from ``numbers(t)``, which is ``scalars`` unless
    a CUDA graph has put its own there (``tinygan.graph``).
    """

    STATE = ()

    def __init__(self, network, lr):
        self.network, self.lr = network, lr
        self.state = {}      # {parameter name: {state name: array}}
        self.steps = 0
        self.numbers = self.scalars

    def step(self):
        """One update of every parameter; ``steps`` counts them (Adam's t)."""
        self.steps += 1
        scalars = self.numbers(self.steps)
        for name, theta, grad in self.network.parameters():
            if name not in self.state:
                xp = backend.array_module(theta)
                self.state[name] = {s: xp.zeros_like(theta) for s in self.STATE}
            self._update(theta, grad, self.state[name], scalars)

    def state_dict(self):
        """{"<state>.<parameter name>": host array, "steps": count}, for checkpoints."""
        arrays = {f"{s}.{name}": backend.to_host(array)
                  for name, state in self.state.items() for s, array in state.items()}
        return {**arrays, "steps": self.steps}

    def load_state_dict(self, state):
        """Restores ``state_dict()`` output onto the parameters' device; ValueError names any
        entry that does not fit this network."""
        own = {name: theta for name, theta, _ in self.network.parameters()}
        self.state = {}
        for entry, value in state.items():
            if entry == "steps":
                continue
            kind, _, name = entry.partition(".")
            if kind not in self.STATE or name not in own or own[name].shape != value.shape:
                raise ValueError(f"optimiser state {entry} of shape {value.shape} does not match "
                                 f"this model's parameters and {type(self).__name__}'s state {self.STATE}")
            xp = backend.array_module(own[name])
            self.state.setdefault(name, {})[kind] = xp.asarray(value, dtype=own[name].dtype)
        self.steps = int(state["steps"])


class MomentumSGD(Optimizer):
    """The paper's optimiser; ``momentum`` is an attribute the paper's schedule ramps."""

    STATE = ("v",)

    def __init__(self, network, lr=0.1, momentum=0.5):
        super().__init__(network, lr)
        self.momentum = momentum

    def scalars(self, t):
        return self.lr, self.momentum

    def _update(self, theta, grad, state, scalars):
        self._momentum_step(grad, *scalars, theta, state["v"])

    @staticmethod
    @backend.elementwise("T g, T lr, T mu", "T theta, T v", "v = mu * v - lr * g; theta += v")
    def _momentum_step(g, lr, mu, theta, v):
        v *= mu
        v -= lr * g                                           # v ← μ·v − lr·g
        theta += v                                            # θ ← θ + v


class RMSProp(Optimizer):
    """Divides each step by a running root-mean-square of the gradient (the WGAN paper's
    optimiser, lr = 5e-5)."""

    STATE = ("s",)

    def __init__(self, network, lr=5e-5, rho=0.99, eps=1e-8):
        super().__init__(network, lr)
        self.rho, self.eps = rho, eps

    def scalars(self, t):
        return self.lr, self.rho, 1 - self.rho, self.eps

    def _update(self, theta, grad, state, scalars):
        self._step(grad, *scalars, theta, state["s"])

    @staticmethod
    @backend.elementwise("T g, T lr, T rho, T one_minus_rho, T eps", "T theta, T s",
                         "s = rho * s + one_minus_rho * g * g; theta -= lr * g / (sqrt(s) + eps)")
    def _step(g, lr, rho, one_minus_rho, eps, theta, s):
        s *= rho
        s += one_minus_rho * g * g                            # s ← ρ·s + (1 − ρ)·g²
        theta -= lr * g / (backend.array_module(s).sqrt(s) + eps)


class Adam(Optimizer):
    """Momentum on the gradient and on its square, both bias-corrected (DCGAN: lr = 2e-4,
    β₁ = 0.5)."""

    STATE = ("m", "s")

    def __init__(self, network, lr=2e-4, beta1=0.5, beta2=0.999, eps=1e-8):
        super().__init__(network, lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def scalars(self, t):
        b1, b2 = self.beta1, self.beta2
        return self.lr, b1, 1 - b1, b2, 1 - b2, 1 - b1 ** t, 1 - b2 ** t, self.eps

    def _update(self, theta, grad, state, scalars):
        self._step(grad, *scalars, theta, state["m"], state["s"])

    @staticmethod
    @backend.elementwise("T g, T lr, T b1, T one_minus_b1, T b2, T one_minus_b2, T c1, T c2, T eps",
                         "T theta, T m, T s",
                         "m = b1 * m + one_minus_b1 * g; s = b2 * s + one_minus_b2 * g * g; "
                         "theta -= lr * (m / c1) / (sqrt(s / c2) + eps)")
    def _step(g, lr, b1, one_minus_b1, b2, one_minus_b2, c1, c2, eps, theta, m, s):
        m *= b1
        m += one_minus_b1 * g                                 # m ← β₁·m + (1 − β₁)·g
        s *= b2
        s += one_minus_b2 * g * g                             # s ← β₂·s + (1 − β₂)·g²
        m_hat, s_hat = m / c1, s / c2                         # c = 1 − βᵗ: the bias corrections
        theta -= lr * m_hat / (backend.array_module(s).sqrt(s_hat) + eps)


def exponential_decay(lr0, decay_factor, min_lr, step):
    """lr after ``step`` updates when each update divides it by decay_factor, floored at
    min_lr (pylearn2's ExponentialDecay; the paper: 0.1, 1.000004, 1e-6)."""
    return max(lr0 / decay_factor ** step, min_lr)


def linear_ramp(start_value, end_value, start_epoch, end_epoch, epoch):
    """``start_value`` until ``start_epoch``, then linear to ``end_value`` at ``end_epoch`` and
    constant after (pylearn2's MomentumAdjustor; the paper: 0.5 → 0.7 over epochs 1–250).
    ``epoch`` counts completed epochs."""
    if epoch <= start_epoch:
        return start_value
    if epoch >= end_epoch:
        return end_value
    alpha = (epoch - start_epoch) / (end_epoch - start_epoch)
    return (1 - alpha) * start_value + alpha * end_value


def apply_paper_schedule(gan, config, iteration, epoch):
    """The paper's schedules (a ``presets.Config``'s numbers) applied to a GAN's two optimisers:
    both lr for ``iteration`` updates done and momentum for ``epoch`` epochs done. One update = one iteration of Algorithm 1 (one SGD step in the paper's code).
    Returns (lr, momentum) before the per-network lr scales."""
    lr = exponential_decay(config.lr, config.lr_decay, config.min_lr, iteration)
    momentum = linear_ramp(config.momentum_start, config.momentum_end,
                           config.momentum_start_epoch, config.momentum_end_epoch, epoch)
    for optimizer, scale in ((gan.G_optimizer, config.G_lr_scale), (gan.D_optimizer, config.D_lr_scale)):
        optimizer.lr = lr * scale
        if isinstance(optimizer, MomentumSGD):
            optimizer.momentum = momentum
    return lr, momentum
