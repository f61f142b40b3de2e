"""Convolutions by hand: a convolution is a Linear layer applied to every patch of an image.

im2col lays every k×k patch (all channels deep) out as one row of a matrix, so a convolution is
one matrix product, rows · W, through the backend's matmul — the dense layer's math, patch by
patch. Its adjoint, col2im, adds each row back onto the patch it was read from; it carries a
convolution's dL/dx, and it *is* the forward pass of the transposed ("de-") convolution, whose
backward pass is in turn an im2col.

Images are (N, H, W, C): batch, rows, columns, channels, each pixel's channels side by side (as
Pillow and NumPy hold a picture). Then a patch is k·k·C contiguous-in-order values and a
convolution's output rows (N·OH·OW, F) *are* the output image: reshapes, never transposes.

    im2col: (N, H, W, C) -> (N·OH·OW, k·k·C),   OH = (H + 2p − k) // s + 1
    col2im: (N·OH·OW, k·k·C) -> (N, H, W, C),   each row's patch added where it was read
"""
import numpy as np

from . import backend
from .layers import Layer, normal


def out_size(size, kernel, stride, padding):
    """Positions a k-wide window takes, s apart, along ``size`` cells padded by p each side."""
    return (size + 2 * padding - kernel) // stride + 1


def windows(x, kernel, stride):
    """(N, H, W, C) -> the (N, OH, OW, k, k, C) view of every k×k window, s apart: no copy, one
    array whose strides step s pixels between windows and one pixel within a window."""
    n, h, w, c = x.shape
    sn, sh, sw, sc = x.strides
    shape = (n, (h - kernel) // stride + 1, (w - kernel) // stride + 1, kernel, kernel, c)
    xp = backend.array_module(x)
    return xp.lib.stride_tricks.as_strided(x, shape, (sn, sh * stride, sw * stride, sh, sw, sc))


def im2col(x, kernel, stride, padding):
    """(N, H, W, C) -> (N·OH·OW, k·k·C): one row per output position, its patch flattened in
    (row, column, channel) order. The window view is free; the reshape makes the one copy."""
    xp = backend.array_module(x)
    if padding:
        x = xp.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    patches = windows(x, kernel, stride)                          # (N, OH, OW, k, k, C)
    n, oh, ow = patches.shape[:3]
    return patches.reshape(n * oh * ow, -1)


def col2im(rows, shape, kernel, stride, padding):
    """The adjoint of im2col: (N·OH·OW, k·k·C) rows -> an (N, H, W, C) image (``shape``), each row
    added onto the patch it stands for; where patches overlap, their values add up."""
    n, h, w, c = shape
    oh, ow = out_size(h, kernel, stride, padding), out_size(w, kernel, stride, padding)
    patches = rows.reshape(n, oh, ow, kernel, kernel, c)
    xp = backend.array_module(rows)
    image = xp.zeros((n, h + 2 * padding, w + 2 * padding, c), rows.dtype)
    for i in range(kernel):                        # k² strided adds, each over the whole batch
        for j in range(kernel):
            image[:, i:i + stride * oh:stride, j:j + stride * ow:stride] += patches[:, :, :, i, j]
    return image[:, padding:padding + h, padding:padding + w]


class _Convolution(Layer):
    """What Conv2D and ConvTranspose2D share: k×k kernels, stride s, padding p, a bias per output
    channel, and a check that the input is (N, H, W, in_channels)."""

    hands_on_bias = True

    def __init__(self, in_channels, out_channels, kernel, stride, padding, W_shape, init, rng, dtype):
        super().__init__()
        rng = np.random.default_rng() if rng is None else rng
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.params["W"] = init(W_shape, rng).astype(dtype)
        self.params["b"] = np.zeros(out_channels, dtype=dtype)

    def _check_input(self, x):
        if x.ndim != 4 or x.shape[3] != self.in_channels:
            raise ValueError(f"{self}: expected images of shape (N, H, W, {self.in_channels}), got {tuple(x.shape)}")
        super()._check_input(x)

    def __repr__(self):
        return (f"{type(self).__name__}({self.in_channels} → {self.out_channels}, {self.kernel}×{self.kernel}, "
                f"stride {self.stride}, padding {self.padding})")


class Conv2D(_Convolution):
    """y[n, i, j] = (the k×k patch of x[n] at (i·s, j·s), all C channels) · W + b.

    x: (N, H, W, C) -> y: (N, OH, OW, F), OH = (H + 2p − k) // s + 1 (OW likewise).
    W: (k·k·C, F), the weights of a patch's values in (row, column, channel) order; b: (F,).
    """

    def __init__(self, in_channels, out_channels, kernel, stride=1, padding=0, init=normal(0.02), rng=None,
                 dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel, stride, padding,
                         (kernel * kernel * in_channels, out_channels), init, rng, dtype)

    def _forward_unbiased(self, x, train):
        n, h, w, _ = x.shape
        oh, ow = out_size(h, self.kernel, self.stride, self.padding), out_size(w, self.kernel, self.stride, self.padding)
        cols = im2col(x, self.kernel, self.stride, self.padding)          # (N·OH·OW, k·k·C)
        y = backend.matmul(cols, self.params["W"])                        # y = cols · W (+ b)
        return y.reshape(n, oh, ow, -1), (cols, x.shape)

    def _grad_params(self, d_out, cache):
        cols, _ = cache
        d_y = d_out.reshape(-1, self.out_channels)                        # (N·OH·OW, F)
        self.grads["W"] = backend.matmul(cols.T, d_y)                     # dL/dW = colsᵀ · dL/dy
        self.grads["b"] = backend.sum_rows(d_y)                           # dL/db = Σ dL/dy

    def _grad_input(self, d_out, cache):
        _, x_shape = cache
        d_cols = backend.matmul(d_out.reshape(-1, self.out_channels), self.params["W"].T)   # dL/dcols = dL/dy · Wᵀ
        return col2im(d_cols, x_shape, self.kernel, self.stride, self.padding)   # dL/dx = col2im(dL/dcols)


class ConvTranspose2D(_Convolution):
    """The transposed convolution (DCGAN's "deconvolution"): Conv2D's dL/dx map, run forward.

    Each input pixel's C values, times W, become a k×k patch of every output channel, laid s
    apart and added where they overlap (col2im), so a stride of 2 doubles the size:
    x: (N, H, W, C) -> y: (N, OH, OW, F), OH = (H − 1)·s − 2p + k (OW likewise).
    W: (C, k·k·F); b: (F,). Its backward pass is a convolution: im2col of dL/dy, times Wᵀ.
    """

    def __init__(self, in_channels, out_channels, kernel, stride=1, padding=0, init=normal(0.02), rng=None,
                 dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel, stride, padding,
                         (in_channels, kernel * kernel * out_channels), init, rng, dtype)

    def out_shape(self, h, w):
        """(OH, OW) of an H × W input."""
        k, s, p = self.kernel, self.stride, self.padding
        return (h - 1) * s - 2 * p + k, (w - 1) * s - 2 * p + k

    def _forward_unbiased(self, x, train):
        n, h, w, _ = x.shape
        rows = x.reshape(-1, self.in_channels)                            # (N·H·W, C): one row per pixel
        patches = backend.matmul(rows, self.params["W"])                  # (N·H·W, k·k·F) = rows · W
        y = col2im(patches, (n, *self.out_shape(h, w), self.out_channels), self.kernel, self.stride, self.padding)
        return y, (rows, x.shape)                                         # y = col2im(rows · W) (+ b)

    def _grad_params(self, d_out, cache):
        self._grad_params_from(d_out, cache, im2col(d_out, self.kernel, self.stride, self.padding))

    def _grad_input(self, d_out, cache):
        return self._grad_input_from(cache, im2col(d_out, self.kernel, self.stride, self.padding))

    def _grad_input_and_params(self, d_out, cache):
        d_patches = im2col(d_out, self.kernel, self.stride, self.padding)   # one im2col serves both halves
        self._grad_params_from(d_out, cache, d_patches)
        return self._grad_input_from(cache, d_patches)

    def _grad_params_from(self, d_out, cache, d_patches):
        rows, _ = cache                                                   # d_patches: (N·H·W, k·k·F)
        self.grads["W"] = backend.matmul(rows.T, d_patches)               # dL/dW = rowsᵀ · im2col(dL/dy)
        self.grads["b"] = backend.sum_rows(d_out.reshape(-1, self.out_channels))   # dL/db = Σ dL/dy

    def _grad_input_from(self, cache, d_patches):
        _, x_shape = cache
        return backend.matmul(d_patches, self.params["W"].T).reshape(x_shape)   # dL/dx = im2col(dL/dy) · Wᵀ


class Reshape(Layer):
    """(N, *any) -> (N, *shape): the same numbers, another shape. Reshape(784) flattens a
    (N, 28, 28, 1) image to rows; Reshape(28, 28, 1) makes rows images again."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    @property
    def out_features(self):
        """The width of the output rows (a flattening Reshape's), which a GAN reads as its image size."""
        return int(np.prod(self.shape))

    def _forward(self, x, train):
        return x.reshape(len(x), *self.shape), x.shape

    def _grad_input(self, d_out, x_shape):
        return d_out.reshape(x_shape)                                     # dL/dx = dL/dy, reshaped back

    def __repr__(self):
        return f"Reshape({', '.join(map(str, self.shape))})"


class ImageAndLabels(Layer):
    """A conditional D's first layer: rows x ⊕ onehot(y) -> the image with one constant plane per
    class beside its channels, so every convolution sees which class the image claims to be.

    (N, H·W·C + K) -> (N, H, W, C + K), image_shape = (H, W, C), K = n_classes (0: the image alone).
    """

    def __init__(self, image_shape, n_classes=0):
        super().__init__()
        self.image_shape, self.n_classes = tuple(image_shape), n_classes
        self.in_features = int(np.prod(image_shape)) + n_classes

    def _forward(self, x, train):
        n, (h, w, c), xp = len(x), self.image_shape, backend.array_module(x)
        image = x[:, :h * w * c].reshape(n, h, w, c)
        if not self.n_classes:
            return image, None
        planes = xp.broadcast_to(x[:, h * w * c:].reshape(n, 1, 1, self.n_classes), (n, h, w, self.n_classes))
        return xp.concatenate([image, planes], axis=3), None

    def _grad_input(self, d_out, cache):
        n, c, xp = len(d_out), self.image_shape[2], backend.array_module(d_out)
        d_image = d_out[..., :c].reshape(n, -1)                          # dL/dx = dL/dy's image channels ...
        d_labels = d_out[..., c:].sum(axis=(1, 2))                        # ... and each plane's sum
        return xp.concatenate([d_image, d_labels], axis=1) if self.n_classes else d_image

    def __repr__(self):
        return f"ImageAndLabels({'×'.join(map(str, self.image_shape))} + {self.n_classes} classes)"
