"""Gradient checking: analytic backward passes against float64 central differences.

For a layer y = f(x; θ) and a random upstream gradient d_out, the scalar L = Σ y ⊙ d_out has
dL/dx = backward(d_out). Each entry is compared with

    (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h,         h = 1e−5,

whose error is O(h²) for smooth functions. The reported error of an array is
max|analytic − numeric| / max(max|analytic|, max|numeric|): about 1e−10 for a correct smooth
layer in float64, above 1e−2 for a bug. In float32 the same check reports ~1e−1 on a correct
layer, so the checker refuses anything but float64.
"""
import numpy as np

from . import backend
from .layers import LeakyReLU, Maxout, ReLU

H = 1e-5
KINK_MARGIN = 100 * H  # inputs closer than this to a kink (ReLU at 0, a Maxout tie) are redrawn


def relative_error(analytic, numeric):
    """max|a − n| / max(max|a|, max|n|) over an array (0 when both are all zero)."""
    a, n = backend.to_host(analytic), backend.to_host(numeric)
    scale = max(np.abs(a).max(), np.abs(n).max())
    return 0.0 if scale == 0 else float(np.abs(a - n).max() / scale)


def numeric_gradient(f, array):
    """Central differences of the scalar function f() with respect to every entry of
    ``array``, which f reads and which is perturbed in place (and restored)."""
    if not array.flags.c_contiguous:
        raise ValueError("numeric_gradient perturbs the array through a flat view: it must be "
                         "C-contiguous")
    flat = array.reshape(-1)        # a view: writing it perturbs the array f reads
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        original = flat[i].item()
        flat[i] = original + H
        f_plus = f()
        flat[i] = original - H
        f_minus = f()
        flat[i] = original
        grad[i] = (f_plus - f_minus) / (2 * H)
    return grad.reshape(array.shape)


def _layers(model):
    return model.layers if hasattr(model, "layers") else [model]


def _reseed(model, seed, device):
    """Fresh, identically seeded generators for every dropout layer: the same masks each call."""
    for layer in _layers(model):
        if hasattr(layer, "rng"):
            layer.rng = backend.default_rng(seed, device)


def check_layer(model, x, train=True, seed=0):
    """Checks dL/dx and every parameter gradient of a Layer or Sequential at input x.

    x and the parameters must be float64. Dropout masks are held fixed by reseeding before
    every forward. Returns {"x": error, "<param name>": error, ...}.
    """
    if x.dtype != np.float64 or any(value.dtype != np.float64 for _, value, _ in model.parameters()):
        raise TypeError("gradcheck needs float64 inputs and parameters (build layers with "
                        "dtype=np.float64): float32 rounding swamps a central difference")
    device = backend.device_of(x)
    xp = backend.array_module(x)
    _reseed(model, seed, device)
    y = model.forward(x, train)
    d_out = backend.to_device(np.random.default_rng(seed).standard_normal(y.shape), device)

    def loss():
        _reseed(model, seed, device)
        return float(xp.sum(model.forward(x, train) * d_out))

    d_x = model.backward_input(d_out)
    model.backward(d_out)
    errors = {"x": relative_error(d_x, numeric_gradient(loss, x))}
    for name, value, grad in model.parameters():
        errors[name] = relative_error(grad, numeric_gradient(loss, value))
    return errors


def check_loss(loss_fn, logits, *args):
    """Checks d_logits of ``loss_fn(logits, *args) -> (mean_loss, d_logits)``; returns the error."""
    if logits.dtype != np.float64:
        raise TypeError("gradcheck needs float64 logits")
    _, d_logits = loss_fn(logits, *args)
    numeric = numeric_gradient(lambda: float(loss_fn(logits, *args)[0]), logits)
    return relative_error(d_logits, numeric)


def distance_to_kink(layer, x):
    """How far x is from the nearest point where ``layer`` is not differentiable:
    |x| for ReLU/LeakyReLU, the gap between the two largest pieces for Maxout, inf otherwise."""
    if isinstance(layer, (ReLU, LeakyReLU)):
        return float(abs(x).min())
    if isinstance(layer, Maxout):
        z = layer.pieces_of(backend.matmul(x, layer.params["W"]) + layer.params["b"])
        top_two = backend.array_module(z).sort(z, axis=1)[:, -2:, :]
        return float((top_two[:, 1] - top_two[:, 0]).min())
    return float("inf")


def kink_free_input(layer, shape, rng, device="numpy", max_tries=100):
    """A float64 N(0, 1) input of ``shape`` at least KINK_MARGIN from every kink of ``layer``,
    drawn from the host generator ``rng`` and moved to ``device``."""
    for _ in range(max_tries):
        x = backend.to_device(rng.standard_normal(shape), device)
        if distance_to_kink(layer, x) > KINK_MARGIN:
            return x
    raise RuntimeError(f"no kink-free input for {layer} in {max_tries} draws of shape {shape}")
