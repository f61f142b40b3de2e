"""backend.matmul: NumPy's product on the CPU, one cuBLAS GEMM through tinygan's own handle on the
device, held to NumPy for every layout a layer hands it, outside and inside a CUDA-graph capture.
On the strict stand-in the GEMM is FakeCublas: the same ctypes calls, computed from the memory at
the addresses they name, so a wrong leading dimension or transpose flag fails on the CPU too."""
import ctypes
import itertools
from dataclasses import replace

import numpy as np
import pytest

import strict_xp
from tinygan import backend
from tinygan.graph import CaptureError, CapturedIteration
from tinygan.models import build_gan
from tinygan.presets import PRESETS

SHAPES = [(1, 1, 1), (3, 5, 2), (7, 1, 4), (1, 6, 1), (5, 4, 9), (33, 17, 65)]   # (m, k, n)


def layouts(matrix, transposed, xp):
    """``matrix`` (rows, cols) on the device as a row-major array, or as the transpose of a
    row-major (cols, rows) array: what ``W.T`` hands a product."""
    return xp.asarray(np.ascontiguousarray(matrix.T)).T if transposed else xp.asarray(matrix)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_t, b_t", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("m, k, n", SHAPES)
def test_every_layout_and_shape_matches_numpy(m, k, n, a_t, b_t, dtype, device, rng):
    xp = backend.get_xp(device)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    product = backend.matmul(layouts(a, a_t, xp), layouts(b, b_t, xp))
    assert product.shape == (m, n) and product.dtype == dtype
    np.testing.assert_allclose(backend.to_host(product), a.astype(np.float64) @ b, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)


def test_slices_broadcasts_empty_and_out(device, rng):
    xp = backend.get_xp(device)
    wide = rng.standard_normal((6, 9))
    a = xp.asarray(wide)[:, :4]                        # row stride 9: a leading dimension > cols
    b = xp.broadcast_to(xp.asarray(rng.standard_normal((1, 3))), (4, 3))   # stride 0: copied first
    out = xp.zeros((6, 3))
    assert backend.matmul(a, b, out=out) is out
    np.testing.assert_allclose(backend.to_host(out), wide[:, :4] @ np.broadcast_to(backend.to_host(b), (4, 3)), rtol=1e-12)
    np.testing.assert_array_equal(backend.to_host(backend.matmul(xp.ones((2, 0)), xp.ones((0, 3)))), np.zeros((2, 3)))
    assert backend.matmul(xp.ones((0, 2)), xp.ones((2, 3))).shape == (0, 3)


def test_sum_rows_is_the_column_sums(device, rng):
    x = rng.standard_normal((13, 5))
    np.testing.assert_allclose(backend.to_host(backend.sum_rows(backend.to_device(x, device))), x.sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("a, b, error, message", [
    ((2, 3), (4, 5), ValueError, r"matmul: expected \(m, k\) · \(k, n\) matrices, got \(2, 3\) · \(4, 5\)"),
    ((3,), (3, 2), ValueError, r"got \(3,\) · \(3, 2\)"),
])
def test_wrong_shapes_are_named(a, b, error, message):
    with pytest.raises(error, match=message):
        backend.matmul(np.ones(a), np.ones(b))


def test_mixed_or_integer_dtypes_are_named():
    with pytest.raises(TypeError, match="expected two float32 or two float64 matrices, got float32 and float64"):
        backend.matmul(np.ones((2, 2), np.float32), np.ones((2, 2)))
    with pytest.raises(TypeError, match="got int64 and int64"):
        backend.matmul(np.ones((2, 2), np.int64), np.ones((2, 2), np.int64))


@pytest.mark.parametrize("a_t, b_t", [(False, False), (True, True)])
def test_a_captured_product_replays_on_new_inputs(a_t, b_t, accelerator, rng):
    xp = backend.get_xp(accelerator)
    graph = backend.Graph(xp)
    a = layouts(rng.standard_normal((5, 7)).astype(np.float32), a_t, xp)
    b = layouts(rng.standard_normal((7, 3)).astype(np.float32), b_t, xp)
    product = graph.capture(lambda: backend.matmul(a, b))
    for _ in range(2):
        new_a, new_b = rng.standard_normal((5, 7)).astype(np.float32), rng.standard_normal((7, 3)).astype(np.float32)
        a[...], b[...] = xp.asarray(new_a), xp.asarray(new_b)
        graph.replay()
        backend.synchronize(xp)
        np.testing.assert_allclose(backend.to_host(product), new_a @ new_b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("operation", [lambda xp, a: a @ a, lambda xp, a: xp.matmul(a, a), lambda xp, a: xp.dot(a, a),
                                       lambda xp, a: xp.tensordot(a, a, 1), lambda xp, a: xp.einsum("ij,jk", a, a)],
                         ids=["@", "matmul", "dot", "tensordot", "einsum"])
def test_the_array_modules_own_products_are_refused_during_a_capture(operation, accelerator):
    """What CuPy does on a GPU (its cuBLAS wrappers check for a capture), the stand-in does too."""
    xp = backend.get_xp(accelerator)
    a = xp.ones((4, 4), dtype=np.float32)
    with pytest.raises(NotImplementedError, match="calling cuBLAS API during stream capture is currently unsupported"):
        backend.Graph(xp).capture(lambda: operation(xp, a))
    assert float(backend.matmul(a, a).sum()) == 64     # and the stream captures nothing any more


def test_tf32_sets_the_handles_math_mode(strict):
    xp = backend.get_xp("cupy")
    handle = backend.cublas(xp)
    try:
        backend.use_tf32(True)
        assert handle.library.math_mode_of[handle.handle.value] == 3
    finally:
        backend.use_tf32(False)
    assert handle.library.math_mode_of[handle.handle.value] == 0


def test_a_gemm_cublas_refuses_is_one_line(strict):
    handle = backend.cublas(backend.get_xp("cupy"))
    with pytest.raises(RuntimeError, match=r"^cuBLAS: cublasSgemm_v2 failed with status 7 \(CUBLAS_STATUS_INVALID_VALUE\)$"):
        handle._check("cublasSgemm_v2", handle.handle, 0, 0, 4, 4, 4, 0, 0, 1, 0, 4, 0, 0, 4)   # lda 1 < 4


def test_a_product_queued_on_another_stream_during_a_capture_is_refused(strict):
    """A GEMM bound to a stream that is not the capturing one would run outside the graph."""
    xp = backend.get_xp("cupy")
    a = xp.ones((2, 2), dtype=np.float32)
    backend.matmul(a, a)                               # the handle now bound to the caller's stream
    capturing = xp.cuda.Stream()
    with capturing:
        capturing.begin_capture()
        with pytest.raises(RuntimeError, match="queued on a stream other than the capturing one"):
            backend.cublas(xp)._check("cublasSgemm_v2", backend.cublas(xp).handle, 0, 0, 2, 2, 2,
                                      *_gemm_pointers(backend.cublas(xp), a))
        capturing.end_capture()


def _gemm_pointers(handle, a):
    """The pointer arguments of a 2×2 float32 GEMM a·a into a (for calling the library by hand)."""
    _, alpha, beta = handle.gemm_calls[a.dtype]
    return (ctypes.addressof(alpha), a.data.ptr, 2, a.data.ptr, 2, ctypes.addressof(beta), a.data.ptr, 2)


def test_a_missing_cublas_is_one_line(monkeypatch):
    class FakeCuda:
        device = type("device", (), {"get_cublas_handle": staticmethod(lambda: None)})
        runtime = type("runtime", (), {"runtimeGetVersion": staticmethod(lambda: 99000)})
    monkeypatch.setattr(backend, "_loaded", lambda prefix: [])
    monkeypatch.setattr(backend.ctypes.util, "find_library", lambda name: None)
    with pytest.raises(RuntimeError, match=r"^cuBLAS library not found \(tried libcublas\.so\.99\): tinygan's "):
        backend.load_cublas(type("xp", (), {"cuda": FakeCuda}))


def test_todays_products_fail_a_capture_of_a_whole_iteration_as_on_the_gpu(strict, monkeypatch):
    """The iteration as it multiplied before backend.matmul (``x @ W``): refused by the capture,
    with CuPy's message, as on a real GPU; the same iteration through backend.matmul is accepted
    (test_graph replays it against the eager one)."""
    config = replace(PRESETS["default"], G_hidden=8, D_units=4, batch_size=10)
    x = backend.to_device(np.random.default_rng(0).random((10, 784), dtype=np.float32), "cupy")
    batches = itertools.repeat(x)
    iterate = CapturedIteration(build_gan(config, np.full(784, 0.2), "cupy"))
    iterate(batches), iterate(batches), iterate(batches)          # warm-up, warm-up, capture: accepted
    monkeypatch.setattr(backend, "matmul", lambda a, b, out=None: a @ b)
    iterate = CapturedIteration(build_gan(config, np.full(784, 0.2), "cupy"))
    iterate(batches), iterate(batches)
    with pytest.raises(CaptureError, match="NotImplementedError: calling cuBLAS API during stream capture is currently unsupported"):
        iterate(batches)
    assert not strict_xp._CAPTURING
