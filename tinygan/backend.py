"""One code path for NumPy and CuPy.

Every array carries its device. Layer code never asks "am I on the GPU?": it takes the
array module from its input, ``xp = array_module(x)``, and calls ``xp.maximum`` or
``xp.exp`` exactly as it would call ``numpy``. This is the only module that imports CuPy.

Devices are named by strings: ``"numpy"`` (host memory, CPU) and ``"cupy"`` (the current
CUDA device).

Matrix products go through ``matmul``: NumPy's ``@`` on the CPU, and on CuPy one cuBLAS call
through tinygan's own handle (``Cublas``), because CuPy refuses every cuBLAS call of its own while
a CUDA graph is being captured.

One exception to "the same code on both": at small batches a GPU's time goes to launching
kernels, one per array operation, so a few hot elementwise formulas (the optimisers' updates,
the sigmoid, dropout) are also written once as a CUDA expression that CuPy compiles into a
single kernel (``elementwise``). The NumPy function stays beside it as its twin, and the tests
hold the two to the same numbers.
"""
import contextlib
import ctypes
import ctypes.util
import functools
import json
import os

import numpy as np

DEVICES = ("numpy", "cupy")

_GPU_HELP = (
    "The 'cupy' device needs CuPy and a CUDA GPU. Install the CuPy wheel that matches "
    "your CUDA toolkit, e.g. `pip install cupy-cuda12x` (CUDA 12) or `pip install "
    "cupy-cuda13x` (CUDA 13), or use --device numpy."
)


@functools.cache
def _cupy_or_none():
    """CuPy if it is importable, else None (never raises). Cached: a failed import is not
    remembered by Python, and retrying it on every ``array_module`` call costs milliseconds."""
    try:
        import cupy
    except Exception:  # ImportError, or a broken CUDA install raising on import
        return None
    return cupy


def get_xp(device):
    """The array module for a device name: ``numpy`` or ``cupy``.

    Raises ValueError for an unknown name, RuntimeError with install instructions when
    CuPy is missing or no CUDA GPU can be used.
    """
    if device == "numpy":
        return np
    if device != "cupy":
        raise ValueError(f"unknown device {device!r}: expected one of {DEVICES}")
    cupy = _cupy_or_none()
    if cupy is None:
        raise RuntimeError("CuPy is not installed. " + _GPU_HELP)
    try:
        n_gpus = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # no driver, no device, driver too old
        raise RuntimeError(f"CuPy cannot reach a CUDA GPU ({error}). " + _GPU_HELP) from None
    if n_gpus == 0:
        raise RuntimeError("CuPy found no CUDA GPU. " + _GPU_HELP)
    return cupy


def gpu_available():
    """True when the 'cupy' device can be used here."""
    try:
        get_xp("cupy")
    except RuntimeError:
        return False
    return True


def array_module(*arrays):
    """The module (numpy or cupy) that owns these arrays, as Chainer's get_array_module."""
    cupy = _cupy_or_none()
    if cupy is not None:
        return cupy.get_array_module(*arrays)
    return np


class Elementwise:
    """A NumPy function and the same formula as one CUDA kernel (``cupy.ElementwiseKernel``).

    Called with NumPy arrays it runs the NumPy function; called with any device array it runs the
    kernel, compiled for that array module on first use. Arguments are the kernel's: inputs, then,
    optionally, outputs to write in place (the NumPy twin must do the same with them); scalars
    and arrays broadcast as in NumPy, and the type placeholder T is the arrays' dtype.
    """

    def __init__(self, numpy_twin, in_params, out_params, operation, preamble=""):
        functools.update_wrapper(self, numpy_twin)
        self.numpy_twin, self.in_params, self.out_params, self.operation, self.preamble = (
            numpy_twin, in_params, out_params, operation, preamble)
        self.name = "tinygan_" + "_".join(part.strip("_") for part in self.__qualname__.split("."))
        self._kernels = {}     # {array module: its compiled kernel}

    def __call__(self, *args):
        xp = array_module(*args)
        if xp is np:
            return self.numpy_twin(*args)
        if xp not in self._kernels:
            self._kernels[xp] = xp.ElementwiseKernel(self.in_params, self.out_params, self.operation, self.name,
                                                     preamble=self.preamble)
        return self._kernels[xp](*args)

    @property
    def reads_raw(self):
        """True for a kernel that indexes some input itself (``raw T z`` and the index ``i``): its
        outputs must be passed, and its body is C with loops and branches, not one formula."""
        return "raw " in self.in_params + self.out_params


ELEMENTWISE = []   # every Elementwise defined, for the tests that compare each with its twin


def elementwise(in_params, out_params, operation, preamble=""):
    """Decorator: the NumPy function below, fused into one kernel on CuPy.

    in_params, out_params: CuPy's parameter lists, e.g. ``"T d_out, T y"`` and ``"T d_x"``;
    operation: the kernel's body in CUDA C++, one element at a time, e.g.
    ``"d_x = d_out * y * (1 - y)"`` (functions: exp, log1p, tanh, sqrt, fabs, max, min). An input
    declared ``raw`` is indexed by the body itself, with ``i`` the output element's flat index
    (Maxout's max over pieces). preamble: CUDA functions the body calls.
    """
    def wrap(numpy_twin):
        op = Elementwise(numpy_twin, in_params, out_params, operation, preamble)
        ELEMENTWISE.append(op)
        return op
    return wrap


# ----------------------------------------------------------------------------- matrix products

def matmul(a, b, out=None):
    """a · b: (m, k) · (k, n) -> (m, n), both float32 or both float64, on one device.

    NumPy: ``a @ b``. CuPy: one GEMM through tinygan's cuBLAS handle (``Cublas``), which a CUDA
    graph can record; transposed views such as ``W.T`` reach cuBLAS as a transpose flag, not a
    copy. out: an optional C-contiguous (m, n) array of the same dtype to write into.
    """
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul: expected (m, k) · (k, n) matrices, got {tuple(a.shape)} · {tuple(b.shape)}")
    if a.dtype != b.dtype or a.dtype not in GEMM_DTYPES:
        raise TypeError(f"matmul: expected two float32 or two float64 matrices, got {a.dtype} and {b.dtype}")
    xp = array_module(a, b)
    if xp is np:
        return np.matmul(a, b, out=out)
    return cublas(xp).gemm(a, b, out)


GEMM_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_TF32 = {"on": False}


def use_tf32(on=True):
    """Float32 matrix products on CuPy in TF32 from now on (tensor cores; 10-bit mantissas in the
    products, float32 sums), or back in full float32. NumPy's products stay float32."""
    _TF32["on"] = bool(on)
    for handle in _CUBLAS.values():
        handle.set_math_mode()


def sum_rows(x):
    """Σₙ x[n, :] of an (N, d) matrix -> (d,). NumPy sums the columns itself (pairwise); on the
    GPU it is one product, ones(1, N) · x, which cuBLAS runs at the memory's speed where CuPy's
    reduction kernel did not (the ones are kept per size, dtype and device)."""
    xp, n = array_module(x), len(x)
    if xp is np:
        return x.sum(axis=0)
    key = (xp, n, x.dtype)
    if key not in _ONES:
        _ONES[key] = xp.ones((1, n), dtype=x.dtype)
    return matmul(_ONES[key], x).reshape(-1)


_ONES = {}


class Cublas:
    """tinygan's own cuBLAS handle on the current GPU, called through ctypes.

    CuPy refuses its own cuBLAS calls while a stream captures a CUDA graph; a handle that CuPy
    does not manage is accepted, if it is bound to the capturing stream and owns its workspace
    (cuBLAS must not allocate during a capture). So the handle is bound to whichever stream is
    current when it multiplies (``bind``; ``Graph.capture`` binds it to its stream before the
    capture begins), each time with the workspace it owns.

    cuBLAS is column-major and tinygan row-major. A row-major (m, n) matrix is, read
    column-major, its transpose: C = A·B is computed as Cᵀ = Bᵀ·Aᵀ, i.e. cuBLAS is handed B's
    memory first. library: libcublas as ctypes loads it (``load_cublas``).
    """

    OP_N, OP_T = 0, 1                       # cublasOperation_t
    MATH_MODE = {False: 0, True: 3}         # CUBLAS_DEFAULT_MATH, CUBLAS_TF32_TENSOR_OP_MATH
    WORKSPACE_BYTES = 32 << 20
    GEMM = {GEMM_DTYPES[0]: ("cublasSgemm_v2", ctypes.c_float), GEMM_DTYPES[1]: ("cublasDgemm_v2", ctypes.c_double)}

    def __init__(self, xp, library):
        self.xp, self.library = xp, library
        self.handle = ctypes.c_void_p()
        self._check("cublasCreate_v2", ctypes.byref(self.handle))
        self.workspace = xp.empty(self.WORKSPACE_BYTES, dtype=np.uint8)
        self.stream = None                  # the stream the handle is bound to (its address)
        self.gemm_calls = {dtype: (function, c_type(1), c_type(0))     # C = 1·A·B + 0·C
                           for dtype, (function, c_type) in self.GEMM.items()}
        self.set_math_mode()

    def set_math_mode(self):
        self._check("cublasSetMathMode", self.handle, self.MATH_MODE[_TF32["on"]])

    def bind(self, stream):
        """Queue this handle's products on ``stream`` (a CuPy stream), with its own workspace."""
        if stream.ptr != self.stream:
            self._check("cublasSetStream_v2", self.handle, stream.ptr)
            self._check("cublasSetWorkspace_v2", self.handle, self.workspace.data.ptr, self.WORKSPACE_BYTES)
            self.stream = stream.ptr

    def gemm(self, a, b, out=None):
        """a · b (see ``matmul``) on the current stream."""
        (m, k), n = a.shape, b.shape[1]
        if out is None:
            out = self.xp.empty((m, n), dtype=a.dtype)
        elif out.shape != (m, n) or out.dtype != a.dtype or not out.flags.c_contiguous:
            raise ValueError(f"matmul: out must be a C-contiguous {(m, n)} {a.dtype} array")
        if m == 0 or n == 0:
            return out
        if k == 0:
            out.fill(0)
            return out
        (op_a, ld_a, a), (op_b, ld_b, b) = self._operand(a), self._operand(b)
        self.bind(self.xp.cuda.get_current_stream())
        function, alpha, beta = self.gemm_calls[a.dtype]
        self._check(function, self.handle, op_b, op_a, n, m, k, ctypes.addressof(alpha),
                    b.data.ptr, ld_b, a.data.ptr, ld_a, ctypes.addressof(beta), out.data.ptr, n)
        return out

    def _operand(self, x):
        """(cuBLAS op, leading dimension, x) for a row-major operand: op N with the row stride
        for a row-major layout, op T with the column stride for a transposed view (column-major),
        and a row-major copy for anything else (broadcast or negative strides)."""
        (rows, cols), (row_step, col_step) = x.shape, (s // x.itemsize for s in x.strides)
        if cols == 1 or col_step == 1:
            ld = cols if rows == 1 else row_step
            if ld >= max(cols, 1):
                return self.OP_N, ld, x
        if rows == 1 or row_step == 1:
            ld = rows if cols == 1 else col_step
            if ld >= max(rows, 1):
                return self.OP_T, ld, x
        return self.OP_N, max(cols, 1), self.xp.ascontiguousarray(x)

    def _check(self, function, *args):
        status = getattr(self.library, function)(*args)
        if status != 0:
            raise RuntimeError(f"cuBLAS: {function} failed with status {status} "
                               f"({_CUBLAS_STATUS.get(status, 'unknown')})")


_CUBLAS_STATUS = {1: "CUBLAS_STATUS_NOT_INITIALIZED", 3: "CUBLAS_STATUS_ALLOC_FAILED",
                  7: "CUBLAS_STATUS_INVALID_VALUE", 8: "CUBLAS_STATUS_ARCH_MISMATCH",
                  11: "CUBLAS_STATUS_MAPPING_ERROR", 13: "CUBLAS_STATUS_EXECUTION_FAILED",
                  14: "CUBLAS_STATUS_INTERNAL_ERROR", 15: "CUBLAS_STATUS_NOT_SUPPORTED"}
_CUBLAS = {}    # {array module: its Cublas}


def cublas(xp):
    """The Cublas handle of the array module ``xp`` (created on first use)."""
    if xp not in _CUBLAS:
        _CUBLAS[xp] = Cublas(xp, load_cublas(xp))
    return _CUBLAS[xp]


def load_cublas(xp):
    """libcublas through ctypes: the copy CuPy loaded, else the CUDA runtime's version by name.
    RuntimeError in one line naming what was tried."""
    try:
        xp.cuda.device.get_cublas_handle()             # makes CuPy load its libcublas
        major = xp.cuda.runtime.runtimeGetVersion() // 1000
    except Exception as error:
        raise RuntimeError(f"cuBLAS: CuPy could not load it ({error})") from None
    tried = _loaded("libcublas.so") + [f"libcublas.so.{major}", ctypes.util.find_library("cublas")]
    for name in filter(None, tried):
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        gemm_args = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                     ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                     ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        for function, args in (("cublasSgemm_v2", gemm_args), ("cublasDgemm_v2", gemm_args),
                               ("cublasSetStream_v2", [ctypes.c_void_p, ctypes.c_void_p]),
                               ("cublasSetWorkspace_v2", [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]),
                               ("cublasSetMathMode", [ctypes.c_void_p, ctypes.c_int])):
            getattr(library, function).argtypes = args
        return library
    raise RuntimeError(f"cuBLAS library not found (tried {', '.join(filter(None, tried))}): tinygan's "
                       "matrix products on CuPy call it directly; install the cuBLAS that matches CuPy's CUDA")


def _loaded(prefix):
    """Paths of the shared libraries named ``prefix``* that this process has loaded (Linux)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/" in line}
    except OSError:
        return []
    return sorted(path for path in paths if os.path.basename(path).startswith(prefix + "."))


def device_of(array):
    """'cupy' for a CuPy array, 'numpy' for anything else."""
    return "numpy" if array_module(array) is np else "cupy"


def to_device(array, device):
    """Copy a host or device array to ``device`` (a no-op when it is already there)."""
    return get_xp(device).asarray(array)


def to_host(array):
    """A NumPy copy of the array (a device→host copy for CuPy arrays), safe to keep while the
    original is updated in place."""
    if array_module(array) is np:
        return np.array(array)
    return array.get()


def default_rng(seed, device="numpy"):
    """A seeded random generator that draws arrays on ``device``: NumPy's own generator (PCG64)
    on the CPU, a ``CounterRNG`` on the GPU. Both offer ``random(size, dtype=...)`` and
    ``standard_normal(size, dtype=...)``, which tinygan uses to draw noise and labels directly in
    float32. seed: an int or a sequence of ints."""
    if device == "numpy":
        return np.random.default_rng(seed)
    return CounterRNG(seed, get_xp(device))


# ----------------------------------------------------------------------------- counter-based random numbers
# Element i of draw d is U = mix(key + (d·2³² + i)·γ) / 2⁶⁴: SplitMix64's finaliser applied to a Weyl
# sequence (Steele, Lea & Flood, 2014), a hash of (key, draw, index) rather than a state that steps.

GOLDEN_GAMMA = 0x9E3779B97F4A7C15
COUNTER_PREAMBLE = """
__device__ unsigned long long tinygan_mix(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
template <typename T> __device__ T tinygan_uniform(unsigned long long key, unsigned long long draw, long long i) {
    unsigned long long z = tinygan_mix(key + ((draw << 32) + (unsigned long long) i) * 0x9E3779B97F4A7C15ull);
    return sizeof(T) == 4 ? T(z >> 40) * T(5.9604644775390625e-08) : T(z >> 11) * T(1.1102230246251565e-16);
}
"""


def counter_uniform(key, draw, n, dtype):
    """The NumPy twin of ``tinygan_uniform``: elements 0 … n−1 of draw ``draw`` in [0, 1), with
    24 random bits for float32 and 53 for float64 (so both devices give the same numbers)."""
    z = np.uint64(key) + ((np.uint64(draw) << np.uint64(32)) + np.arange(n, dtype=np.uint64)) * np.uint64(GOLDEN_GAMMA)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    if np.dtype(dtype) == np.float32:
        return (z >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


class CounterRNG:
    """Random numbers computed inside the kernels that use them: a counter-based generator.

    Each draw has a number; element i of draw d is a hash of (key, d, i) (``counter_uniform``),
    so drawing is no separate state update, costs one cheap kernel (or none: dropout computes its
    mask in its own kernel), and gives the same numbers on NumPy and CuPy. The draw number is
    ``base + offset``: base a device array the kernels read, offset a Python number that each draw
    passes and advances. A CUDA graph records its draws' offsets as constants; before each replay
    ``replayed`` moves base so that the replay's draws continue the sequence.
    seed: an int or a sequence of ints; xp: the array module the numbers are drawn on.
    """

    def __init__(self, seed, xp, position=0):
        self.xp, self.seed = xp, seed
        self.key = np.uint64(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0])
        self.base, self.base_value, self.offset = xp.zeros(1, dtype=np.uint64), 0, position

    @property
    def position(self):
        """Draws made so far: the next draw's number."""
        return self.base_value + self.offset

    def next_draw(self):
        """(base, offset) of a new draw, for a kernel that computes it."""
        self.offset += 1
        return self.base, self.offset - 1

    def replayed(self, first, count):
        """The next ``count`` draws are a graph replay's, recorded as offsets first … first+count−1."""
        self.base_value = self.position - first
        self.base.fill(self.base_value)
        self.offset = first + count

    def random(self, size, dtype=np.float64):
        """U(0, 1) of shape ``size`` in ``dtype``."""
        u = self.xp.empty(size, dtype=dtype)
        _counter_uniform(*self.next_draw(), self.key, u)
        return u

    def standard_normal(self, size, dtype=np.float64):
        """N(0, 1) of shape ``size`` by Box–Muller on elements 2j and 2j+1 of one draw."""
        z = self.xp.empty(size, dtype=dtype)
        _counter_normal(*self.next_draw(), self.key, z)
        return z

    def state(self):
        return {"counter_rng": {"seed": self.seed, "position": self.position}}


@elementwise("raw uint64 base, uint64 offset, uint64 key", "T u", "u = tinygan_uniform<T>(key, base[0] + offset, i)",
             preamble=COUNTER_PREAMBLE)
def _counter_uniform(base, offset, key, u):
    u[...] = counter_uniform(key, int(base[0]) + offset, u.size, u.dtype).reshape(u.shape)


@elementwise("raw uint64 base, uint64 offset, uint64 key", "T z",
             "T u1 = tinygan_uniform<T>(key, base[0] + offset, 2 * i);"
             "T u2 = tinygan_uniform<T>(key, base[0] + offset, 2 * i + 1);"
             "z = sqrt(T(-2) * log(T(1) - u1)) * cos(T(6.283185307179586) * u2)", preamble=COUNTER_PREAMBLE)
def _counter_normal(base, offset, key, z):
    u = counter_uniform(key, int(base[0]) + offset, 2 * z.size, z.dtype)    # z = √(−2 ln(1 − u₁)) · cos(2π u₂)
    T = z.dtype.type
    z[...] = (np.sqrt(T(-2) * np.log(T(1) - u[0::2])) * np.cos(T(6.283185307179586) * u[1::2])).reshape(z.shape)


def rng_state(rng):
    """The generator's state as a JSON string, for checkpoints: NumPy's bit generator state, or a
    CounterRNG's seed and position, which is all of its state (so a GPU run resumes exactly)."""
    return json.dumps(rng.state() if isinstance(rng, CounterRNG) else rng.bit_generator.state)


def restore_rng(state, device, fallback_seed):
    """A generator in ``state`` (from ``rng_state``) on ``device``.

    A generator resumes exactly on the device kind it was saved from. Otherwise (a run saved on
    the CPU and resumed on the GPU, or the other way, or no state) it is reseeded from
    ``fallback_seed``: the run continues reproducibly, but not bit-identically to an
    uninterrupted one.
    """
    saved = json.loads(state) if state else {}
    if device == "numpy" and "bit_generator" in saved:
        rng = np.random.default_rng()
        rng.bit_generator.state = saved
        return rng
    if device != "numpy" and "counter_rng" in saved:
        return CounterRNG(saved["counter_rng"]["seed"], get_xp(device), saved["counter_rng"]["position"])
    return default_rng(fallback_seed, device)


class Graph:
    """Work recorded once as a CUDA graph, then replayed with one launch.

    A replay runs the same kernels on the same memory: the arrays the work read and wrote at
    capture, the Python numbers it passed then, and random draws that advance a generator's
    state on the device (new numbers each replay). So that no other array is ever placed in
    memory the graph uses, everything allocated on the graph's behalf (``run`` before the
    capture, the capture itself) comes from a memory pool of its own, never used for anything
    else, on a stream of its own, ordered after the caller's queued work and before its next.
    """

    def __init__(self, xp):
        self.xp, self.graph = xp, None
        self.pool, self.stream = xp.cuda.MemoryPool(), xp.cuda.Stream(non_blocking=True)

    def run(self, work):
        """work() now, on the graph's stream and pool (calls before the capture leave the pool
        holding every size the work allocates, so the capture needs no new memory)."""
        with self._ordered():
            return work()

    def capture(self, work):
        """Records work() as the graph and runs it once; returns what work() returned (arrays
        that each replay rewrites)."""
        with self._ordered():
            cublas(self.xp).bind(self.stream)          # before the capture: binding is not recorded
            self.stream.begin_capture()
            try:
                result = work()
            except BaseException:
                with contextlib.suppress(Exception):     # leave no stream capturing
                    self.stream.end_capture()
                raise
            self.graph = self.stream.end_capture()
            self.graph.launch(self.stream)
        return result

    def replay(self):
        with self._ordered():
            self.graph.launch(self.stream)

    @contextlib.contextmanager
    def _ordered(self):
        caller = self.xp.cuda.get_current_stream()
        self.stream.wait_event(caller.record())
        with self.stream, self.xp.cuda.using_allocator(self.pool.malloc):
            yield
        caller.wait_event(self.stream.record())


def synchronize(xp):
    """Wait for queued GPU work (for honest timings); nothing to do on NumPy."""
    if xp is not np:
        xp.cuda.get_current_stream().synchronize()
