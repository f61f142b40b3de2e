"""A stand-in for CuPy that runs on the CPU and is stricter than CuPy about the host.

The bugs that break a NumPy/CuPy code path on the GPU are implicit host conversions:
``np.asarray`` or an ``np.*`` function applied to a device array, a device array mixed with a
NumPy array, ``float()``/``.item()`` reading a value back in the middle of a loop. None of them
shows on a machine without a GPU. This module makes them show: ``StrictArray`` wraps a NumPy
array and

  * refuses ``np.asarray``/``np.array`` (as CuPy does) and every ``np.*`` function call;
  * refuses to mix with a NumPy array in arithmetic (as CuPy does; NumPy scalars are fine);
  * counts every explicit read to the host — ``float``, ``int``, ``bool``, ``.item()``,
    ``.tolist()``, ``.get()`` — in ``HOST_READS``, so a test can prove that a training
    iteration reads nothing back;
  * counts every operation that would launch a GPU kernel — a ufunc, an ``xp.*`` function, an
    array method that computes (not a view: ``reshape``, ``T``), a random draw, a write through
    ``[]`` or a gather by an index array — in ``LAUNCHES``: at small batches the GPU's time goes
    to launches, so this count is the CPU's view of what an iteration costs there.

``ElementwiseKernel`` stands in for CuPy's: it runs a kernel's CUDA body on the CPU, statement
by statement, as Python (the arithmetic tinygan's kernels use reads the same in both), so the
CUDA formulas are held to their NumPy twins in every CI run; a GPU still has to compile them.

Streams capture CUDA graphs as on a GPU: while a stream captures, a launch is recorded, not
run (one that returns new arrays returns zeros of their shape, which each replay fills), a host
read or a host-to-device copy is an error, and ``Graph.launch`` runs the recorded launches again
on the same arrays. So a test can replay a captured training iteration and hold it to the eager
one, bit for bit. What a capture refuses on a real GPU (CuPy 14, CUDA 13), it refuses here:

  * every CuPy operation that calls cuBLAS (``@``, ``matmul``, ``dot``, ``tensordot``, ``einsum``,
    …) raises CuPy's own ``NotImplementedError`` — CuPy checks for a capture before each call;
  * reading a device value (``float``, ``.item()``, ``.get()``), synchronising a stream and copying
    host data to the device (``asarray``) are errors: synchronous transfers cannot be captured.

What it accepts: random draws (a replay draws new numbers), reductions, elementwise kernels, and
allocations (CuPy captures in relaxed mode, so its pool may grow; the graph's own pool keeps the
memory), and cuBLAS called through a handle that tinygan owns. ``FakeCublas`` is that library:
libcublas's entry points with ctypes' arguments (handles, streams and matrices as addresses,
column-major with leading dimensions), computed by NumPy from the memory at those addresses, so
the backend's translation to cuBLAS is checked on the CPU too. A product during a capture must
come from a handle bound to the capturing stream, and the handle cannot be rebound meanwhile.

``install(monkeypatch)`` makes tinygan's backend take this module for CuPy, so the device named
"cupy" runs through it: the backend's real CuPy code path, on the CPU, in every CI run.
"""
import collections
import contextlib
import ctypes
import itertools
import operator
import re
import types
import weakref

import numpy as np

HOST_READS = {"count": 0}
LAUNCHES = collections.Counter()    # {operation name: launches}
_VIEWS = {"reshape", "view", "transpose", "T", "shape", "ndim", "dtype", "size", "strides"}
_CAPTURING = []    # the launches being recorded by a capturing stream (a list), if one is
_CUBLAS_OPS = {"matmul", "dot", "vdot", "inner", "tensordot", "einsum"}   # CuPy calls cuBLAS for these
_NO_LAUNCH = {"empty", "empty_like"}       # allocations: no kernel
_POINTED = []      # arrays whose device address was taken (``.data.ptr``) since the last cuBLAS call


def _refuse_cublas(name):
    """CuPy's refusal of its own cuBLAS calls during a capture (cupy_backends' cuBLAS wrappers)."""
    if name in _CUBLAS_OPS and _CAPTURING:
        raise NotImplementedError("calling cuBLAS API during stream capture is currently unsupported")


def _read():
    if _CAPTURING:
        raise RuntimeError("a device value was read back to the host during a CUDA graph capture")
    HOST_READS["count"] += 1


def _launch(name, compute, in_place=False, like=None):
    """One kernel launch: ``compute()`` does its work in NumPy and returns its result. Outside a
    capture it runs now. During one it is recorded instead: an in-place launch as it is, one that
    returns new arrays as a fill of zeros of their shape (``like()`` gives it, by default
    ``compute()`` run for the shape alone), which are returned and which each replay refills."""
    LAUNCHES[name] += 1
    if not _CAPTURING:
        return compute()
    if in_place:
        _CAPTURING[-1].append(compute)
        return None
    with np.errstate(all="ignore"):
        shaped = (like or compute)()
    placeholders = _map(lambda r: np.zeros(np.shape(r), np.asarray(r).dtype), shaped)
    _CAPTURING[-1].append(lambda: _refill(placeholders, compute()))
    return placeholders


def _map(function, value):
    return tuple(map(function, value)) if isinstance(value, tuple) else function(value)


def _refill(placeholders, results):
    for placeholder, result in (zip(placeholders, results) if isinstance(placeholders, tuple)
                                else [(placeholders, results)]):
        placeholder[...] = result


def _unwrap(value, allow_host=False):
    """StrictArray -> its NumPy array, recursively through lists, tuples and dicts. A NumPy array
    where a device array belongs is an error, as in CuPy (0-d ones and NumPy scalars pass)."""
    if isinstance(value, StrictArray):
        return value._a
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, allow_host) for v in value)
    if isinstance(value, dict):
        return {key: _unwrap(v, allow_host) for key, v in value.items()}
    if isinstance(value, np.ndarray) and value.ndim > 0 and not allow_host:
        raise TypeError("a NumPy array was mixed with a device array (CuPy refuses this): "
                        "move it with backend.to_device first")
    return value


def _wrap(value):
    """NumPy results back onto the 'device': arrays and NumPy scalars become StrictArrays."""
    if isinstance(value, (np.ndarray, np.generic)):
        return StrictArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    return value


class StrictArray(np.lib.mixins.NDArrayOperatorsMixin):
    """A 'device array': a NumPy array that will not quietly become one."""

    def __init__(self, array):
        self._a = array

    # --- what CuPy refuses
    def __array__(self, dtype=None, copy=None):
        raise TypeError("implicit conversion of a device array to NumPy (np.asarray, np.array, or a "
                        "NumPy function): use backend.to_host, or the array module xp")

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"numpy.{func.__name__} called on a device array: call it through the "
                        "array module (xp = backend.array_module(x))")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name, args = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}", _unwrap(inputs)
        _refuse_cublas(name)
        if "out" not in kwargs:
            return _wrap(_launch(name, lambda: getattr(ufunc, method)(*args, **kwargs)))
        kwargs["out"] = _unwrap(kwargs["out"])
        _launch(name, lambda: getattr(ufunc, method)(*args, **kwargs), in_place=True)
        out = tuple(i for i in inputs + (self,) if isinstance(i, StrictArray) and i._a is kwargs["out"][0])
        return out[0] if out else _wrap(kwargs["out"][0])    # in place: the same wrapper

    # --- explicit reads to the host, counted
    def get(self):
        _read()
        return self._a.copy()

    def item(self, *args):
        _read()
        return self._a.item(*args)

    def tolist(self):
        _read()
        return self._a.tolist()

    def __float__(self):
        _read()
        return float(self._a)

    def __int__(self):
        _read()
        return int(self._a)

    def __index__(self):
        _read()
        return self._a.__index__()

    def __bool__(self):
        _read()
        return bool(self._a)

    # --- the device address, for libraries called through ctypes (FakeCublas)
    @property
    def data(self):
        _POINTED.append(self._a)
        return types.SimpleNamespace(ptr=self._a.ctypes.data)

    # --- everything else behaves like the array it wraps, on the 'device'
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    def __getitem__(self, key):
        key = _unwrap(key)
        if any(isinstance(k, np.ndarray) for k in (key if isinstance(key, tuple) else (key,))):
            return _wrap(_launch("gather", lambda: self._a[key]))
        return _wrap(self._a[key])                   # a slice is a view, no launch

    def __setitem__(self, key, value):
        key, value = _unwrap(key), _unwrap(value)
        _launch("setitem", lambda: self._a.__setitem__(key, value), in_place=True)

    def __getattr__(self, name):
        if name.startswith("__"):                    # no __array_interface__ and friends
            raise AttributeError(name)
        attribute = getattr(self._a, name)
        if not callable(attribute):
            return _wrap(attribute)

        def method(*args, **kwargs):
            args, kwargs = _unwrap(args), _unwrap(kwargs)
            _refuse_cublas(name)
            if name in _VIEWS:
                result = attribute(*args, **kwargs)
                if not isinstance(result, np.ndarray) or np.may_share_memory(result, self._a):
                    return _wrap(result)
                return _wrap(_launch(name, lambda: attribute(*args, **kwargs)))   # a reshape that must copy: a kernel
            if name == "fill":
                return _launch(name, lambda: attribute(*args, **kwargs), in_place=True)
            return _wrap(_launch(name, lambda: attribute(*args, **kwargs)))
        return method

    def __repr__(self):
        return f"StrictArray({self._a!r})"


class _Generator:
    """``xp.random.default_rng(seed)``: draws on the 'device'."""

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64):
        return _wrap(_launch("random", lambda: self._rng.random(size, dtype=dtype),
                             like=lambda: np.empty(size, dtype)))

    def standard_normal(self, size=None, dtype=np.float64):
        return _wrap(_launch("standard_normal", lambda: self._rng.standard_normal(size, dtype=dtype),
                             like=lambda: np.empty(size, dtype)))


class ElementwiseKernel:
    """``cupy.ElementwiseKernel(in_params, out_params, operation, name)``, run as Python.

    Each statement of ``operation`` is ``[T] name = expression`` (or ``+=``, ``-=``, ``*=``,
    ``/=``); the expression is evaluated with NumPy arrays for the parameters, ``T`` for the
    arrays' dtype, NumPy for CUDA's math functions and ``np.where(c, a, b)`` for ``c ? a : b``.
    As in CuPy, outputs passed after the inputs are written in place, otherwise they are
    allocated in the broadcast shape; one output is returned as an array, several as a tuple.
    One call is one launch.

    A kernel that reads ``raw`` inputs (loops and branches in C, indexed by ``i``) cannot be read
    as Python: here it runs its NumPy twin (``backend.Elementwise``, found by the kernel's name),
    and only a GPU holds its CUDA body to that twin (tests/test_devices.py).
    """

    FUNCTIONS = {"exp": np.exp, "log1p": np.log1p, "tanh": np.tanh, "sqrt": np.sqrt,
                 "fabs": np.abs, "max": np.maximum, "min": np.minimum, "where": np.where}
    STATEMENT = re.compile(r"^(?:T\s+)?(\w+)\s*([-+*/]?=)\s*(.+)$")
    CHOICE = re.compile(r"^([^?:]+)\?([^?:]+):([^?:]+)$")      # c ? a : b
    ASSIGN = {"=": lambda old, new: new, "+=": operator.add, "-=": operator.sub,
              "*=": operator.mul, "/=": operator.truediv}

    def __init__(self, in_params, out_params, operation, name, preamble=""):
        self.inputs, self.outputs = ([p.split()[-1] for p in params.split(",")]
                                     for params in (in_params, out_params))
        self.name, self.twin = name, None
        if "raw " in in_params + out_params:
            from tinygan import backend
            self.twin = next(op.numpy_twin for op in backend.ELEMENTWISE if op.name == name)
        else:
            self.statements = [(target, assign, self.CHOICE.sub(r"where(\1, \2, \3)", expression))
                               for target, assign, expression in (self.STATEMENT.match(s.strip()).groups()
                                                                  for s in operation.split(";") if s.strip())]

    def __call__(self, *args):
        given = args[len(self.inputs):]
        if self.twin:                                # a raw kernel: its twin writes the outputs given
            _launch(self.name, lambda: self.twin(*_unwrap(args)), in_place=True)
            return given[0] if len(given) == 1 else tuple(given)
        if given:
            _launch(self.name, lambda: self._run(_unwrap(args)), in_place=True)
            return given[0] if len(given) == 1 else tuple(given)
        results = tuple(map(StrictArray, _launch(self.name, lambda: self._run(_unwrap(args)))))
        return results[0] if len(results) == 1 else results

    def _run(self, values):
        """The kernel on NumPy arrays: writes the outputs among ``values`` in place, if given, and
        returns the results (a tuple of arrays)."""
        arrays = [v for v in values if isinstance(v, np.ndarray)]
        T = arrays[0].dtype.type
        names = {**self.FUNCTIONS, "T": T,
                 **{n: np.asarray(v, dtype=T) for n, v in zip(self.inputs + self.outputs, values)}}
        for target, assign, expression in self.statements:
            value = eval(expression, {"__builtins__": {}}, names)
            names[target] = self.ASSIGN[assign](names.get(target), value)
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        results = tuple(np.array(np.broadcast_to(names[n], shape), dtype=T) for n in self.outputs)
        for out, result in zip(values[len(self.inputs):], results):
            out[...] = result
        return results


def _module_function(name):
    function = getattr(np, name)

    def call(*args, **kwargs):
        args, kwargs = _unwrap(args), _unwrap(kwargs)
        _refuse_cublas(name)
        if name in _NO_LAUNCH:
            return _wrap(function(*args, **kwargs))
        if "out" in kwargs:
            _launch(name, lambda: function(*args, **kwargs), in_place=True)
            return _wrap(kwargs["out"])
        return _wrap(_launch(name, lambda: function(*args, **kwargs)))
    return call


class _Stream:
    """``xp.cuda.Stream``: work is in order anyway; what it adds is capture. ``ptr`` is its
    address as CUDA would give it, which a cuBLAS handle is bound to."""

    _addresses = itertools.count(0x5000)

    def __init__(self):
        self.ptr, self.launches = next(self._addresses), None      # launches: its capture's, if any
        _STREAM_AT[self.ptr] = self

    def __enter__(self):
        _STREAMS.append(self)
        return self

    def __exit__(self, *exc):
        _STREAMS.pop()

    def begin_capture(self):
        self.launches = []
        _CAPTURING.append(self.launches)

    def end_capture(self):
        self.launches = None
        return _Graph(_CAPTURING.pop())

    def record(self):
        return None                                  # an event: nothing to wait for here

    def wait_event(self, event):
        pass

    def synchronize(self):
        if _CAPTURING:
            raise RuntimeError("a stream was synchronised during a CUDA graph capture")


class _Graph:
    """``cupy.cuda.Graph``: ``launch`` runs the captured launches again, as one launch."""

    def __init__(self, launches):
        self.launches = launches

    def launch(self, stream=None):
        LAUNCHES["graph"] += 1
        for launch in self.launches:
            launch()


_STREAM_AT = weakref.WeakValueDictionary()           # {address: stream}
_STREAMS = [_Stream()]                               # the current stream is the last


class FakeCublas:
    """libcublas as tinygan's backend calls it through ctypes, on host memory.

    Handles and streams are addresses; a GEMM reads column-major matrices at the addresses it is
    given, with their leading dimensions, exactly as cuBLAS would, and answers a non-zero status
    where cuBLAS would (CUBLAS_STATUS_INVALID_VALUE for a leading dimension too small). Addresses
    must lie inside device arrays whose ``.data.ptr`` was taken for the call (otherwise this would
    read wild memory); during a capture the GEMM is recorded with those arrays kept alive, as the
    graph's memory pool keeps them on a GPU.
    """

    INVALID_VALUE = 7
    C_TYPES = {np.float32: ctypes.c_float, np.float64: ctypes.c_double}

    def __init__(self):
        self.stream_of = {}                          # {handle: the stream address it is bound to}
        self.workspace_of, self.math_mode_of = {}, {}

    def cublasCreate_v2(self, handle_ref):
        handle_ref._obj.value = 0x100 + len(self.stream_of)
        self.stream_of[handle_ref._obj.value] = 0    # the default stream, as cuBLAS
        return 0

    def cublasSetStream_v2(self, handle, stream):
        if _CAPTURING:
            raise RuntimeError("a cuBLAS handle was rebound to a stream during a CUDA graph capture: "
                               "bind it before the capture begins")
        self.stream_of[_address(handle)] = stream
        self.workspace_of.pop(_address(handle), None)     # cuBLAS: setting a stream resets the workspace
        return 0

    def cublasSetWorkspace_v2(self, handle, pointer, size):
        self.workspace_of[_address(handle)] = (pointer, size)
        _POINTED.clear()
        return 0

    def cublasSetMathMode(self, handle, mode):
        self.math_mode_of[_address(handle)] = mode
        return 0

    def cublasSgemm_v2(self, *args):
        return self._gemm(np.float32, *args)

    def cublasDgemm_v2(self, *args):
        return self._gemm(np.float64, *args)

    def _gemm(self, dtype, handle, op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        """C (m × n, ldc) = alpha · op(A) · op(B) + beta · C, every matrix column-major."""
        shape_a = (m, k) if op_a == 0 else (k, m)
        shape_b = (k, n) if op_b == 0 else (n, k)
        if min(m, n, k) < 0 or lda < max(1, shape_a[0]) or ldb < max(1, shape_b[0]) or ldc < max(1, m):
            return self.INVALID_VALUE
        arrays, stream = list(_POINTED), _STREAM_AT.get(self.stream_of[_address(handle)])
        _POINTED.clear()
        if _CAPTURING and (stream is None or stream.launches is not _CAPTURING[-1]):
            raise RuntimeError("a cuBLAS GEMM was queued on a stream other than the capturing one: "
                               "bind the handle to the capturing stream")
        if _address(handle) not in self.workspace_of:
            raise RuntimeError("a cuBLAS GEMM without the handle's own workspace would allocate one")
        matrices = [(a, shape_a, lda), (b, shape_b, ldb), (c, (m, n), ldc)]
        for address, shape, ld in matrices:
            _check_inside(address, shape, ld, np.dtype(dtype).itemsize, arrays)
        scale = [self.C_TYPES[dtype].from_address(_address(s)).value for s in (alpha, beta)]

        def compute():
            view_a, view_b, view_c = (_column_major(address, shape, ld, dtype) for address, shape, ld in matrices)
            product = scale[0] * ((view_a if op_a == 0 else view_a.T) @ (view_b if op_b == 0 else view_b.T))
            view_c[...] = product if scale[1] == 0 else product + scale[1] * view_c   # beta 0: C unread
        _launch("cublas_gemm", lambda: compute() or arrays, in_place=True)
        return 0


def _address(value):
    return value.value if isinstance(value, ctypes.c_void_p) else value


def _column_major(address, shape, ld, dtype):
    """The (rows, cols) matrix at ``address``, column-major with leading dimension ld, as a view."""
    rows, cols = shape
    itemsize = np.dtype(dtype).itemsize
    count = (cols - 1) * ld + rows if rows and cols else 0
    flat = np.frombuffer((ctypes.c_char * (count * itemsize)).from_address(address), dtype) if count else np.empty(0, dtype)
    return np.lib.stride_tricks.as_strided(flat, shape, (itemsize, ld * itemsize))


_byte_bounds = getattr(getattr(np.lib, "array_utils", np), "byte_bounds")


def _check_inside(address, shape, ld, itemsize, arrays):
    rows, cols = shape
    end = address + ((cols - 1) * ld + rows) * itemsize if rows and cols else address
    if not any(low <= address and end <= high for low, high in map(_byte_bounds, arrays)):
        raise RuntimeError(f"a cuBLAS GEMM was handed address {address:#x} of a {rows}×{cols} matrix "
                           f"(leading dimension {ld}) that lies in no device array")


class _StrictModule(types.ModuleType):
    """The array module: ``xp.exp``, ``xp.concatenate``, … on StrictArrays, as CuPy's."""

    ndarray = StrictArray
    ElementwiseKernel = ElementwiseKernel
    lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(      # a view: no kernel, as in CuPy
        as_strided=lambda x, shape, strides: _wrap(np.lib.stride_tricks.as_strided(_unwrap(x), shape, strides))))
    random = types.SimpleNamespace(default_rng=_Generator)
    cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
        Stream=lambda non_blocking=False: _Stream(), get_current_stream=lambda: _STREAMS[-1],
        MemoryPool=lambda: types.SimpleNamespace(malloc=None),
        using_allocator=lambda allocator=None: contextlib.nullcontext())

    def asarray(self, value, dtype=None):
        """Host -> 'device' (a copy, as cupy.asarray of a NumPy array)."""
        if _CAPTURING:
            raise RuntimeError("a host array was copied to the device during a CUDA graph capture")
        return StrictArray(np.array(_unwrap(value, allow_host=True), dtype=dtype))

    def get_array_module(self, *arrays):
        return self if any(isinstance(a, StrictArray) for a in arrays) else np

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _module_function(name)


strict_xp = _StrictModule("strict_xp")


def install(monkeypatch):
    """From now on (in this test) the backend's 'cupy' device is strict_xp, and its cuBLAS FakeCublas."""
    from tinygan import backend
    monkeypatch.setattr(backend, "_cupy_or_none", lambda: strict_xp)
    monkeypatch.setattr(backend, "load_cublas", lambda xp: FakeCublas())
    monkeypatch.delitem(backend._CUBLAS, strict_xp, raising=False)    # a new handle, and new
    monkeypatch.setattr(backend, "_ONES", {})                          # buffers, for each test
    _CAPTURING.clear()                               # a capture an earlier test left open
