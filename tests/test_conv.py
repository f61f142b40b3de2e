"""Convolutions, BatchNorm and the shape layers: float64 gradient checks, forward values against
direct loops and closed forms, and the adjoint identity that ties im2col to col2im."""
import numpy as np
import pytest

from conftest import GRAD_TOL
from tinygan import backend, gradcheck
from tinygan.conv import Conv2D, ConvTranspose2D, ImageAndLabels, Reshape, col2im, im2col, out_size
from tinygan.layers import BatchNorm


def on(layer, device):
    """The layer with its parameters and buffers moved to ``device``."""
    for arrays in (layer.params, layer.buffers):
        for key in arrays:
            arrays[key] = backend.to_device(arrays[key], device)
    return layer


LAYERS = {   # name: (layer, input shape)
    "Conv2D 3×3": (lambda rng: Conv2D(2, 3, 3, rng=rng, init=lambda s, r: r.standard_normal(s), dtype=np.float64), (2, 5, 5, 2)),
    "Conv2D 4×4 stride 2 padding 1": (lambda rng: Conv2D(2, 3, 4, 2, 1, rng=rng, dtype=np.float64), (2, 6, 6, 2)),
    "Conv2D 3×3 stride 2, odd size": (lambda rng: Conv2D(1, 2, 3, 2, 0, rng=rng, dtype=np.float64), (3, 7, 7, 1)),
    "ConvTranspose2D 4×4 stride 2 padding 1": (lambda rng: ConvTranspose2D(3, 2, 4, 2, 1, rng=rng, dtype=np.float64), (2, 3, 3, 3)),
    "ConvTranspose2D 3×3 stride 1": (lambda rng: ConvTranspose2D(2, 2, 3, rng=rng, dtype=np.float64), (2, 4, 4, 2)),
    "BatchNorm of images": (lambda rng: BatchNorm(3, dtype=np.float64), (4, 2, 2, 3)),
    "BatchNorm of rows": (lambda rng: BatchNorm(5, dtype=np.float64), (6, 5)),
    "BatchNorm of two groups": (lambda rng: BatchNorm(3, group_size=2, dtype=np.float64), (4, 2, 3, 3)),
    "Reshape": (lambda rng: Reshape(2, 3, 4), (2, 24)),
    "ImageAndLabels": (lambda rng: ImageAndLabels((3, 3, 1), 4), (2, 13)),
}


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("train", [True, False])
def test_gradient_check(name, train, device, rng):
    make, shape = LAYERS[name]
    layer = on(make(np.random.default_rng(0)), device)
    if isinstance(layer, BatchNorm):        # running statistics away from (0, 1), so evaluation is a real test
        layer.buffers["running_mean"] += 0.3
        layer.buffers["running_var"] *= 2.0
        layer.params["gamma"] = backend.to_device(rng.uniform(0.5, 1.5, layer.features), device)
        layer.params["beta"] = backend.to_device(rng.standard_normal(layer.features), device)
    x = backend.to_device(rng.standard_normal(shape), device)
    errors = gradcheck.check_layer(layer, x, train=train)
    assert set(errors) == {"x", *layer.params}
    for array_name, error in errors.items():
        assert error < GRAD_TOL, f"{layer}: {array_name} relative error {error:.2e}"


def direct_conv(x, W, b, kernel, stride, padding):
    """y[n, i, j, f] = Σ_u,v,c x_padded[n, i·s + u, j·s + v, c] · W[(u, v, c), f] + b[f], by loops."""
    n, h, w, c = x.shape
    x = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    oh, ow = out_size(h, kernel, stride, padding), out_size(w, kernel, stride, padding)
    W = W.reshape(kernel, kernel, c, -1)
    y = np.zeros((n, oh, ow, W.shape[-1]))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
            y[:, i, j] = np.einsum("nuvc,uvcf->nf", patch, W) + b
    return y


def direct_conv_transpose(x, W, b, kernel, stride, padding):
    """Each input pixel x[n, i, j] · W paints a k×k patch of every output channel at (i·s, j·s)
    of the padded output, overlapping patches adding up; then the padding is cut off."""
    n, h, w, c = x.shape
    W = W.reshape(c, kernel, kernel, -1)
    f = W.shape[-1]
    full = np.zeros((n, (h - 1) * stride + kernel, (w - 1) * stride + kernel, f))
    for i in range(h):
        for j in range(w):
            full[:, i * stride:i * stride + kernel, j * stride:j * stride + kernel] += \
                np.einsum("nc,cuvf->nuvf", x[:, i, j], W)
    cut = full[:, padding:full.shape[1] - padding, padding:full.shape[2] - padding]
    return cut + b


@pytest.mark.parametrize("kernel, stride, padding", [(3, 1, 0), (3, 1, 1), (4, 2, 1), (3, 2, 0), (5, 3, 2)])
def test_conv2d_and_its_transpose_match_direct_loops(kernel, stride, padding, device, rng):
    x = rng.standard_normal((2, 9, 8, 3))
    conv = on(Conv2D(3, 4, kernel, stride, padding, rng=rng, dtype=np.float64), device)
    conv.params["b"] = backend.to_device(rng.standard_normal(4), device)
    y = backend.to_host(conv.forward(backend.to_device(x, device)))
    np.testing.assert_allclose(y, direct_conv(x, backend.to_host(conv.params["W"]), backend.to_host(conv.params["b"]),
                                              kernel, stride, padding), rtol=1e-12, atol=1e-12)
    up = on(ConvTranspose2D(4, 3, kernel, stride, padding, rng=rng, dtype=np.float64), device)
    up.params["b"] = backend.to_device(rng.standard_normal(3), device)
    z = rng.standard_normal(y.shape)
    got = backend.to_host(up.forward(backend.to_device(z, device)))
    np.testing.assert_allclose(got, direct_conv_transpose(z, backend.to_host(up.params["W"]), backend.to_host(up.params["b"]),
                                                          kernel, stride, padding), rtol=1e-12, atol=1e-12)


def test_col2im_is_the_adjoint_of_im2col(device, rng):
    """⟨im2col(x), r⟩ = ⟨x, col2im(r)⟩ for every x and r: col2im carries a convolution's gradient."""
    x = rng.standard_normal((2, 7, 6, 3))
    cols = im2col(backend.to_device(x, device), 3, 2, 1)
    r = rng.standard_normal(cols.shape)
    back = col2im(backend.to_device(r, device), x.shape, 3, 2, 1)
    assert float(np.sum(backend.to_host(cols) * r)) == pytest.approx(float(np.sum(x * backend.to_host(back))), rel=1e-12)


def test_dcgan_sizes_halve_and_double():
    """A 4×4 kernel, stride 2, padding 1 takes 28 → 14 → 7; its transpose 7 → 14 → 28."""
    x = np.zeros((1, 28, 28, 1), np.float32)
    down = Conv2D(64, 128, 4, 2, 1).forward(Conv2D(1, 64, 4, 2, 1).forward(x))
    assert down.shape == (1, 7, 7, 128)
    up = ConvTranspose2D(64, 1, 4, 2, 1).forward(ConvTranspose2D(128, 64, 4, 2, 1).forward(down))
    assert up.shape == (1, 28, 28, 1) and up.dtype == np.float32


def test_batchnorm_normalises_in_training_and_uses_its_running_averages_in_evaluation(device, rng):
    x = rng.standard_normal((50, 4, 4, 3)) * np.array([1.0, 3.0, 0.5]) + 2.0
    layer = on(BatchNorm(3, momentum=0.5, dtype=np.float64), device)
    y = backend.to_host(layer.forward(backend.to_device(x, device)))
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 1, 2)), 1 / (1 + 1e-5 / x.var(axis=(0, 1, 2))), rtol=1e-9)
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2), ddof=1)   # the running variance is unbiased
    np.testing.assert_allclose(backend.to_host(layer.buffers["running_mean"]), 0.5 * mean, rtol=1e-12)
    np.testing.assert_allclose(backend.to_host(layer.buffers["running_var"]), 0.5 + 0.5 * var, rtol=1e-12)
    z = backend.to_host(layer.forward(backend.to_device(x[:1], device), train=False))
    expected = (x[:1] - 0.5 * mean) / np.sqrt(0.5 + 0.5 * var + 1e-5)
    np.testing.assert_allclose(z, expected, rtol=1e-12)


def test_image_and_labels_puts_one_constant_plane_per_class_beside_the_image():
    rows = np.concatenate([np.arange(18.0).reshape(2, 9), np.eye(3)[[2, 0]]], axis=1)
    planes = ImageAndLabels((3, 3, 1), 3).forward(rows)
    assert planes.shape == (2, 3, 3, 4)
    np.testing.assert_array_equal(planes[..., 0], np.arange(18.0).reshape(2, 3, 3))
    np.testing.assert_array_equal(planes[1, ..., 1:].max(axis=(0, 1)), [1, 0, 0])
    np.testing.assert_array_equal(planes[1, ..., 1:].min(axis=(0, 1)), [1, 0, 0])
    assert ImageAndLabels((3, 3, 1)).forward(rows[:, :9]).shape == (2, 3, 3, 1)


@pytest.mark.parametrize("layer, shape", [(Conv2D(3, 4, 3), (2, 5, 5, 2)), (Conv2D(3, 4, 3), (2, 75)),
                                          (ConvTranspose2D(3, 4, 3), (2, 5, 5, 4)), (BatchNorm(3), (2, 4))])
def test_a_wrong_input_shape_names_the_layer(layer, shape):
    with pytest.raises(ValueError, match=rf"{type(layer).__name__}\(.*expected"):
        layer.forward(np.zeros(shape, np.float32))


def test_batchnorm_group_size_normalises_each_minibatch_as_its_own_batch(rng):
    """Real rows then fakes in one pass, group_size=8: each half comes out as it would alone, and
    eight fakes alone (G's step) come out as they did beside the real rows (D's step)."""
    x = np.concatenate([rng.standard_normal((8, 3, 3, 2)) + 5, rng.standard_normal((8, 3, 3, 2)) * 4])
    layer = BatchNorm(2, group_size=8, dtype=np.float64)
    together = layer.forward(x)
    for half in (slice(0, 8), slice(8, 16)):
        np.testing.assert_allclose(together[half], BatchNorm(2, dtype=np.float64).forward(x[half]), rtol=1e-12)
    np.testing.assert_allclose(layer.forward(x[8:]), together[8:], rtol=1e-12)
    assert layer.forward(x[:5], train=False).shape == (5, 3, 3, 2)     # evaluation: any number of rows
    with pytest.raises(ValueError, match=r"BatchNorm\(2, group_size=8\): training needs a multiple of 8 rows, got 5"):
        layer.forward(x[:5])
