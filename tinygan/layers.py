"""Layers with hand-written backward passes.

Every layer has
  * ``params`` and ``grads``: dicts of arrays with the same keys (empty for activations), and
    ``buffers``: arrays it keeps but does not learn by gradient (BatchNorm's running statistics);
  * ``forward(x, train=True) -> y``, which reads its parameters from ``params`` and keeps what
    backward needs in one cache slot;
  * for a layer whose output ends in "+ b" (Linear, the convolutions): ``forward_leaving_bias``,
    the same forward without that add, and for an activation: ``forward(x, bias=b)``, f(x + b) in
    one kernel; ``Sequential`` pairs the two, so that x·W + b and f take one pass over memory;
  * ``backward(d_out) -> d_x``, which reads that cache, *assigns* ``grads`` (no hidden
    accumulation) and returns dL/dx; ``backward_input`` and ``backward_params`` do one half each.

Shapes below: N is the batch size. Arrays keep the dtype they are given: float32 for
training, float64 for gradient checks. Parameters are created on the host (NumPy) from a
seeded generator, so a network starts from the same weights on every device; ``Sequential.to``
moves them.
"""
import functools

import numpy as np

from . import backend
from .losses import sigmoid


# ----------------------------------------------------------------------------- initialisers
# Each takes (shape, rng) with shape = (fan_in, fan_out) and returns a float64 host array.

def uniform(irange):
    """U(−irange, irange), the paper's code's initialiser (pylearn2 ``irange``)."""
    def init(shape, rng):
        return rng.uniform(-irange, irange, size=shape)
    return init


def normal(std):
    """N(0, std²): DCGAN's initialiser, std = 0.02 (Radford et al., 2016)."""
    def init(shape, rng):
        return rng.standard_normal(shape) * std
    return init


def glorot_uniform(shape, rng):
    """U(±√(6 / (fan_in + fan_out))), Glorot & Bengio (2010)."""
    limit = np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape)


def he_normal(shape, rng):
    """N(0, 2 / fan_in), He et al. (2015), for ReLU layers."""
    return rng.standard_normal(shape) * np.sqrt(2.0 / shape[0])


def sigmoid_bias_from_means(means, eps=1e-7):
    """Bias b with sigmoid(b) = the data's per-feature means, clipped to [eps, 1 − eps] as in
    the paper's code (a pixel that is always 0 gets logit(1e-7) ≈ −16).

    The paper's code starts G's output layer here, so G's first samples already have the
    data's average brightness at every pixel. means: (n_pixels,) in [0, 1]; returns (n_pixels,) float64.
    """
    means = np.clip(np.asarray(means, dtype=np.float64), eps, 1.0 - eps)
    return np.log(means / (1.0 - means))


# ----------------------------------------------------------------------------- the base class

_NO_CACHE = object()  # the cache slot's value when no forward awaits its backward

class Layer:
    """Cache discipline and boundary checks shared by every layer.

    Subclasses implement ``_forward(x, train) -> (y, cache)`` (or, for an output that ends in
    "+ b", ``_forward_unbiased``: all but the add), ``_grad_input(d_out, cache) -> d_x`` and, if
    they have parameters, ``_grad_params(d_out, cache)``, which assigns ``grads``. The cache that
    ``forward`` keeps is read by the backward methods below: dL/dx may be taken from it any
    number of times, but parameter gradients only once, which ends the cache's life. So a
    learning step that forgot its forward is an error, never a gradient computed from another
    call's cache.
    """

    in_features = None     # set by layers that expect (N, in_features) inputs
    hands_on_bias = False  # True: y = (…) + b, and the "+ b" may be left to an activation (forward_leaving_bias)
    takes_bias = False     # True: an activation, which adds such a bias in its own kernel (forward(x, bias=b))

    def __init__(self):
        self.params, self.grads, self.buffers = {}, {}, {}
        self._cache, self._out = _NO_CACHE, None

    def forward(self, x, train=True):
        """x: (N, in_features) or any shape for elementwise layers -> y."""
        return self._keep(self._forward, x, train)

    def forward_leaving_bias(self, x, train=True):
        """For a layer with ``hands_on_bias``: (y − b, b), the forward pass without its last "+ b",
        for the activation after it to add in its own kernel. The backward pass is unchanged."""
        return self._keep(self._forward_unbiased, x, train), self.params["b"]

    def _keep(self, forward, x, train):
        """y of forward(x, train) -> (y, cache), after the input checks; keeps the cache."""
        self._check_input(x)
        y, self._cache = forward(x, train)
        self._out = (y.shape, y.dtype)
        return y

    def _forward(self, x, train):
        """The forward pass of a layer that defines ``_forward_unbiased``: that, then + b."""
        y, cache = self._forward_unbiased(x, train)
        y += self.params["b"]                                   # (in place: no second array)
        return y, cache

    def backward(self, d_out):
        """d_out: dL/dy (the shape and dtype of the last forward's y) -> dL/dx, with the
        parameter gradients assigned to ``grads``. Ends the cache's life."""
        cache = self._cache_for(d_out)
        self._cache = _NO_CACHE
        return self._grad_input_and_params(d_out, cache)

    def backward_input(self, d_out):
        """dL/dy -> dL/dx only: ``grads`` and the cache stay as they are (G's step reaches
        dL/dG(z) through D without touching D)."""
        return self._grad_input(d_out, self._cache_for(d_out))

    def backward_params(self, d_out):
        """dL/dy -> the parameter gradients only, assigned to ``grads`` (no dL/dx: nothing needs
        dL/d(pixels) when D learns). Ends the cache's life."""
        cache = self._cache_for(d_out)
        self._cache = _NO_CACHE
        self._grad_params(d_out, cache)

    def _grad_params(self, d_out, cache):
        """Layers without parameters have no parameter gradients."""

    def _grad_input_and_params(self, d_out, cache):
        """Both halves of ``backward``; a layer whose halves share work (Maxout's routing,
        ConvTranspose2D's im2col) overrides this to do that work once."""
        d_x = self._grad_input(d_out, cache)
        self._grad_params(d_out, cache)
        return d_x

    def _cache_for(self, d_out):
        if self._cache is _NO_CACHE:
            raise RuntimeError(f"{self}: backward called without a matching forward (or after "
                               "that forward's parameter gradients were taken)")
        if (d_out.shape, d_out.dtype) != self._out:
            raise ValueError(f"{self}: backward expected d_out of shape {self._out[0]} and "
                             f"dtype {self._out[1]}, got {d_out.shape} {d_out.dtype}")
        return self._cache

    def parameters(self):
        """Yields (name, value, gradient) for every parameter: the arrays themselves, which an
        optimiser updates in place; the gradient is None before the first backward pass."""
        for name, value in self.params.items():
            yield name, value, self.grads.get(name)

    @property
    def dtype(self):
        """The parameters' dtype (None for a layer without parameters)."""
        return next(iter(self.params.values())).dtype if self.params else None

    def _check_input(self, x):
        if self.in_features is not None and (x.ndim != 2 or x.shape[1] != self.in_features):
            raise ValueError(f"{self}: expected input of shape (N, {self.in_features}), "
                             f"got {tuple(x.shape)}")
        if self.params and x.dtype != self.dtype:
            raise TypeError(f"{self}: expected input of dtype {self.dtype} (the parameters' "
                            f"dtype), got {x.dtype}")

    def __repr__(self):
        return type(self).__name__ + "()"


# ----------------------------------------------------------------------------- affine layers

class Linear(Layer):
    """y = x·W + b, with W: (n_in, n_out), b: (n_out,)."""

    hands_on_bias = True

    def __init__(self, n_in, n_out, init=glorot_uniform, rng=None, dtype=np.float32):
        super().__init__()
        rng = np.random.default_rng() if rng is None else rng
        self.in_features = n_in
        self.params["W"] = init((n_in, n_out), rng).astype(dtype)
        self.params["b"] = np.zeros(n_out, dtype=dtype)

    def _forward_unbiased(self, x, train):                      # y = x·W + b, where "+ b" is Layer._forward's,
        return backend.matmul(x, self.params["W"]), x           # or the next activation's (f(x·W + b), one kernel)

    def _grad_params(self, d_out, x):
        self.grads["W"] = backend.matmul(x.T, d_out)            # dL/dW = xᵀ · dL/dy
        self.grads["b"] = backend.sum_rows(d_out)               # dL/db = Σₙ dL/dy = 1ᵀ · dL/dy

    def _grad_input(self, d_out, x):
        return backend.matmul(d_out, self.params["W"].T)        # dL/dx = dL/dy · Wᵀ

    @property
    def out_features(self):
        return self.params["W"].shape[1]

    def __repr__(self):
        n_in, n_out = self.params["W"].shape
        return f"Linear({n_in} → {n_out})"


class Maxout(Linear):
    """Maxout (Goodfellow et al., 2013): an affine map to pieces·units columns, then
    y[:, j] = max over p of z[:, p·units + j], the max of unit j's pieces.

    The columns are piece-major (piece p of every unit, then piece p + 1), so the max runs
    over a short axis of contiguous rows: an order of magnitude faster in NumPy than the
    unit-major layout of the paper's code (pylearn2: column j·pieces + p), which is the same
    model with W's columns permuted.

    W: (n_in, pieces·units), b: (pieces·units,); x: (N, n_in) -> y: (N, units).
    """

    hands_on_bias = False      # b, one per piece, is added inside the max's kernel

    def __init__(self, n_in, units, pieces, init=glorot_uniform, rng=None, dtype=np.float32):
        super().__init__(n_in, units * pieces, init, rng, dtype)
        self.units, self.pieces = units, pieces

    @property
    def out_features(self):
        return self.units

    def pieces_of(self, z):
        """(N, pieces·units) pre-activations as an (N, pieces, units) view."""
        return z.reshape(len(z), self.pieces, self.units)

    def _forward(self, x, train):
        z = backend.matmul(x, self.params["W"])                # z = x·W; b is added in the kernel
        xp = backend.array_module(z)
        y, winner = xp.empty((len(z), self.units), z.dtype), xp.empty((len(z), self.units), np.int32)
        self._max_and_winner(z, self.params["b"], self.pieces, self.units, y, winner)  # y = maxₚ (zₚ + bₚ), that p
        return y, (x, winner)

    def _grad_params(self, d_out, cache):
        x, winner = cache
        super()._grad_params(self._route(d_out, winner), x)

    def _grad_input(self, d_out, cache):
        x, winner = cache
        return super()._grad_input(self._route(d_out, winner), x)

    def _grad_input_and_params(self, d_out, cache):
        x, winner = cache
        d_z = self._route(d_out, winner)                       # one routing serves both halves
        super()._grad_params(d_z, x)
        return super()._grad_input(d_z, x)

    def _route(self, d_out, winner):
        """dL/dz from dL/dy: dL/dzₚ = dL/dy where piece p won, else 0. A tie goes to the lowest
        piece, which takes the whole gradient (a valid subgradient, as any split would be)."""
        d_z = backend.array_module(d_out).empty((len(d_out), self.pieces * self.units), d_out.dtype)
        self._to_winners(d_out, winner, self.pieces, self.units, d_z)
        return d_z

    @staticmethod
    @backend.elementwise(
        "raw T z, raw T b, int32 pieces, int32 units", "T y, int32 winner",
        "ptrdiff_t u = i % units, first = (i / units) * pieces * units + u;"
        "T best = z[first] + b[u]; int w = 0;"
        "for (int p = 1; p < pieces; ++p) { T v = z[first + p * units] + b[p * units + u]; if (v > best) { best = v; w = p; } }"
        "y = best; winner = w;")
    def _max_and_winner(z, b, pieces, units, y, winner):
        z = (z + b).reshape(len(y), pieces, units)
        np.max(z, axis=1, out=y)
        winner.fill(pieces)
        for p in range(pieces - 1, -1, -1):                  # the lowest piece that reaches the max,
            winner -= (winner - p) * (z[:, p] == y)          # as the kernel's strict >

    @staticmethod
    @backend.elementwise(
        "T d_out, int32 winner, int32 pieces, int32 units", "raw T d_z",
        "ptrdiff_t first = (i / units) * pieces * units + i % units;"
        "for (int p = 0; p < pieces; ++p) d_z[first + p * units] = p == winner ? d_out : T(0);")
    def _to_winners(d_out, winner, pieces, units, d_z):
        d_z = d_z.reshape(len(d_out), pieces, units)
        for p in range(pieces):
            np.multiply(d_out, winner == p, out=d_z[:, p])

    def __repr__(self):
        return f"Maxout({self.in_features} → {self.units}×{self.pieces})"


# ----------------------------------------------------------------------------- activations

class Activation(Layer):
    """y = f(x + b), elementwise, any shape; its dL/dx is a formula in y, so y is the cache.

    b is the bias of the layer below when that layer left it out (``forward_leaving_bias``;
    ``Sequential`` pairs them), else 0: the add and f are one kernel, one pass over memory instead
    of two. Subclasses define ``_activate(x, b) -> f(x + b)`` and ``_grad_input(d_out, y)``.
    """

    takes_bias = True

    def forward(self, x, train=True, bias=None):
        """x (any shape) -> f(x + bias); bias: None, or (x.shape[-1],) of x's dtype."""
        return self._keep(functools.partial(self._forward, bias=bias), x, train)

    def _forward(self, x, train, bias=None):
        y = self._activate(x, x.dtype.type(0) if bias is None else bias)
        return y, y


class ReLU(Activation):
    """y = max(x, 0)."""

    @staticmethod
    @backend.elementwise("T x, T b", "T y", "T v = x + b; y = v < T(0) ? T(0) : v")   # (a NaN stays NaN)
    def _activate(x, b):
        y = x + b
        return np.maximum(y, 0, out=y)    # y = max(x + b, 0)

    @staticmethod
    @backend.elementwise("T d_out, T y", "T d_x", "d_x = d_out * (y > T(0))")
    def _grad_input(d_out, y):
        return d_out * (y > 0)            # dL/dx = dL/dy · [x > 0]; we take 0 at x = 0


class LeakyReLU(Activation):
    """y = x for x > 0, slope·x otherwise; slope ≥ 0, so y > 0 exactly where x > 0."""

    def __init__(self, slope=0.2):
        super().__init__()
        if not slope >= 0:
            raise ValueError(f"LeakyReLU: slope must be ≥ 0, got {slope}")
        self.slope = slope

    def _activate(self, x, b):
        return self._leaky(x, b, x.dtype.type(self.slope))

    def _grad_input(self, d_out, y):
        return self._d_leaky(d_out, y, y.dtype.type(self.slope))

    @staticmethod
    @backend.elementwise("T x, T b, T slope", "T y", "T v = x + b; y = v > T(0) ? v : slope * v")
    def _leaky(x, b, slope):
        v = x + b
        return np.where(v > 0, v, slope * v)               # y = x + b where positive, else slope·(x + b)

    @staticmethod
    @backend.elementwise("T d_out, T y, T slope", "T d_x", "d_x = y > T(0) ? d_out : slope * d_out")
    def _d_leaky(d_out, y, slope):
        return np.where(y > 0, d_out, slope * d_out)       # dL/dx = dL/dy · (1 if y > 0 else slope)

    def __repr__(self):
        return f"LeakyReLU({self.slope})"


class Sigmoid(Activation):
    """y = 1 / (1 + e^(−x)), computed as ½·tanh(½x) + ½ (``losses.sigmoid``): no overflow,
    keeps the dtype."""

    @staticmethod
    @backend.elementwise("T x, T b", "T y", "y = T(0.5) * tanh(T(0.5) * (x + b)) + T(0.5)")
    def _activate(x, b):
        return sigmoid(x + b)

    @staticmethod
    @backend.elementwise("T d_out, T y", "T d_x", "d_x = d_out * y * (1 - y)")
    def _grad_input(d_out, y):
        return d_out * y * (1 - y)        # dL/dx = dL/dy · y(1 − y)


class Tanh(Activation):
    """y = tanh(x)."""

    @staticmethod
    @backend.elementwise("T x, T b", "T y", "y = tanh(x + b)")
    def _activate(x, b):
        return np.tanh(x + b)

    @staticmethod
    @backend.elementwise("T d_out, T y", "T d_x", "d_x = d_out * (1 - y * y)")
    def _grad_input(d_out, y):
        return d_out * (1 - y * y)        # dL/dx = dL/dy · (1 − y²)


# ----------------------------------------------------------------------------- normalisation

class BatchNorm(Layer):
    """Batch normalisation (Ioffe & Szegedy, 2015): y = γ·x̂ + β, x̂ = (x − μ) / √(σ² + ε), per
    feature, the last axis: per column of (N, D) rows, per channel of (N, H, W, C) images.

    In training μ and σ² are the minibatch's (over every axis but the last), and the running
    averages in ``buffers`` move towards them by ``momentum`` (σ²'s unbiased); in evaluation
    those running averages stand in, so a sample does not depend on its batch-mates.
    group_size: in training, each block of this many consecutive rows (images) is normalised by
    its own statistics; None: the whole batch is one block. A D that judges m real rows and then
    m fakes in one pass takes group_size=m, so real and fake images never share statistics — as
    when each is its own minibatch — and m fakes alone (G's step) are normalised as in D's step.
    γ, β: (features,); buffers running_mean, running_var: (features,).
    """

    def __init__(self, features, momentum=0.1, eps=1e-5, group_size=None, dtype=np.float32):
        super().__init__()
        self.features, self.momentum, self.eps, self.group_size = features, momentum, eps, group_size
        self.params["gamma"], self.params["beta"] = np.ones(features, dtype), np.zeros(features, dtype)
        self.buffers["running_mean"], self.buffers["running_var"] = np.zeros(features, dtype), np.ones(features, dtype)

    def _grouped(self, x):
        """x (N, …, features) -> (N / group_size, group_size·…, features): a group's values of a
        feature in one column."""
        if self.group_size and len(x) % self.group_size:
            raise ValueError(f"{self}: training needs a multiple of {self.group_size} rows, got {len(x)}")
        return x.reshape(len(x) // (self.group_size or len(x)), -1, self.features)

    def _forward(self, x, train):
        if train:
            grouped = self._grouped(x)
            mean, var = grouped.mean(axis=1, keepdims=True), grouped.var(axis=1, keepdims=True)
            count, m = grouped.shape[1], x.dtype.type(self.momentum)
            self.buffers["running_mean"] += m * (mean.mean(axis=(0, 1)) - self.buffers["running_mean"])
            unbiased = var.mean(axis=(0, 1)) * x.dtype.type(count / max(count - 1, 1))
            self.buffers["running_var"] += m * (unbiased - self.buffers["running_var"])
        else:
            grouped = x.reshape(1, -1, self.features)
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
        inv_std = (var + x.dtype.type(self.eps)) ** x.dtype.type(-0.5)
        x_hat = (grouped - mean) * inv_std                                   # x̂ = (x − μ) / √(σ² + ε)
        y = x_hat * self.params["gamma"] + self.params["beta"]               # y = γ·x̂ + β
        return y.reshape(x.shape), (x_hat, inv_std, train)

    def _grad_params(self, d_out, cache):
        x_hat, d_y = cache[0], d_out.reshape(-1, self.features)
        self.grads["gamma"] = (d_y * x_hat.reshape(-1, self.features)).sum(axis=0)   # dL/dγ = Σ dL/dy · x̂
        self.grads["beta"] = d_y.sum(axis=0)                                 # dL/dβ = Σ dL/dy

    def _grad_input(self, d_out, cache):
        x_hat, inv_std, train = cache
        scale = self.params["gamma"] * inv_std                               # γ / √(σ² + ε)
        d_y = d_out.reshape(x_hat.shape)
        if not train:                                                        # fixed statistics: an affine map
            return (d_y * scale).reshape(d_out.shape)                        # dL/dx = dL/dy · γ/σ
        mean_d = d_y.mean(axis=1, keepdims=True)                             # μ and σ² depend on x too:
        mean_d_x_hat = (d_y * x_hat).mean(axis=1, keepdims=True)
        d_x = scale * (d_y - mean_d - x_hat * mean_d_x_hat)   # dL/dx = γ/σ · (dL/dy − mean dL/dy − x̂ · mean(dL/dy · x̂))
        return d_x.reshape(d_out.shape)

    def _check_input(self, x):
        if x.ndim not in (2, 4) or x.shape[-1] != self.features:
            raise ValueError(f"{self}: expected (N, {self.features}) rows or (N, H, W, {self.features}) images, "
                             f"got {tuple(x.shape)}")
        super()._check_input(x)

    def __repr__(self):
        return f"BatchNorm({self.features}" + (f", group_size={self.group_size})" if self.group_size else ")")


# ----------------------------------------------------------------------------- regularisers

class Dropout(Layer):
    """Inverted dropout: in training y = x · mask, mask = [u < keep_prob] / keep_prob with
    u ~ U(0, 1) from ``rng``, so E[y] = x; in evaluation y = x.

    keep_prob is the probability of *keeping* a unit (the paper's code: 0.8 on D's pixels,
    0.5 on its hidden units). columns: drop among the first ``columns`` columns of x (m, d)
    only, and pass the rest whole (a conditional D's label columns); None: all of them.
    rng: a generator on the device of x (``backend.default_rng``); ``Sequential.set_rng`` hands
    one to every dropout layer of a network.
    """

    def __init__(self, keep_prob, rng=None, columns=None):
        super().__init__()
        if not 0.0 < keep_prob <= 1.0:
            raise ValueError(f"Dropout: keep_prob must be in (0, 1], got {keep_prob}")
        self.keep_prob, self.rng, self.columns = keep_prob, rng, columns

    def _forward(self, x, train):
        if not train or self.keep_prob == 1:
            return x, None
        if self.rng is None:
            raise RuntimeError(f"{self}: training mode needs a random generator: pass rng= "
                               "or call Sequential.set_rng")
        masked = dropout_mask(self.rng, x, self.keep_prob, x.shape[1] if self.columns is None else self.columns)
        return masked(x), masked                         # y = x · mask

    def _grad_input(self, d_out, masked):
        return d_out if masked is None else masked(d_out)   # dL/dx = dL/dy · mask

    def __repr__(self):
        return f"Dropout(keep_prob={self.keep_prob}" + (f", columns={self.columns})" if self.columns else ")")


@functools.singledispatch
def dropout_mask(rng, x, keep_prob, columns):
    """A new inverted-dropout mask for arrays shaped like x (m, d), as the function a ↦ a · mask
    (the forward pass applies it to x, the backward pass to dL/dy): mask = [u < keep_prob] /
    keep_prob in the first ``columns`` columns and 1 in the rest. How is the generator's choice:
    NumPy's draws u and keeps the mask; a ``backend.CounterRNG`` keeps only the draw's number, and
    the kernel that applies the mask computes u from it, each time, so no mask is stored."""
    xp, scale = backend.array_module(x), x.dtype.type(1.0 / keep_prob)
    u = rng.random((len(x), columns), dtype=x.dtype)
    mask = xp.ones_like(x)
    mask[:, :columns] = (u < keep_prob) * scale       # kept with probability keep_prob, 1/keep folded in
    return lambda a: a * mask


@dropout_mask.register
def _(rng: backend.CounterRNG, x, keep_prob, columns):
    draw, T = rng.next_draw(), x.dtype.type

    def masked(a):
        y = rng.xp.empty_like(a)
        _counter_drop(a, *draw, rng.key, T(keep_prob), T(1.0 / keep_prob), columns, a.shape[1], y)
        return y
    return masked


@backend.elementwise(
    "T x, raw uint64 base, uint64 offset, uint64 key, T keep_prob, T scale, int32 columns, int32 width", "T y",
    "T mask = i % width < columns ? (tinygan_uniform<T>(key, base[0] + offset, i) < keep_prob) * scale : T(1);"
    "y = x * mask", preamble=backend.COUNTER_PREAMBLE)
def _counter_drop(x, base, offset, key, keep_prob, scale, columns, width, y):
    u = backend.counter_uniform(key, int(base[0]) + offset, x.size, x.dtype).reshape(x.shape)
    y[...] = x * np.where(np.arange(width) < columns, (u < keep_prob) * scale, x.dtype.type(1))
