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
read is an error, and ``Graph.launch`` runs the recorded launches again on the same arrays. So a
test can replay a captured training iteration and hold it to the eager one, bit for bit.

``install(monkeypatch)`` makes tinygan's backend take this module for CuPy, so the device named
"cupy" runs through it: the backend's real CuPy code path, on the CPU, in every CI run.
"""
import collections
import contextlib
import operator
import re
import types

import numpy as np

HOST_READS = {"count": 0}
LAUNCHES = collections.Counter()    # {operation name: launches}
_VIEWS = {"reshape", "view", "transpose", "T", "shape", "ndim", "dtype", "size", "strides"}
_CAPTURING = []    # the launches being recorded by a capturing stream (a list), if one is


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
            if name in _VIEWS:
                return _wrap(attribute(*args, **kwargs))
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
    arrays' dtype and NumPy for CUDA's math functions. As in CuPy, outputs passed after the
    inputs are written in place, otherwise they are allocated in the broadcast shape; one
    output is returned as an array, several as a tuple. One call is one launch.
    """

    FUNCTIONS = {"exp": np.exp, "log1p": np.log1p, "tanh": np.tanh, "sqrt": np.sqrt,
                 "fabs": np.abs, "max": np.maximum, "min": np.minimum}
    STATEMENT = re.compile(r"^(?:T\s+)?(\w+)\s*([-+*/]?=)\s*(.+)$")
    ASSIGN = {"=": lambda old, new: new, "+=": operator.add, "-=": operator.sub,
              "*=": operator.mul, "/=": operator.truediv}

    def __init__(self, in_params, out_params, operation, name):
        self.inputs, self.outputs = ([p.split()[-1] for p in params.split(",")]
                                     for params in (in_params, out_params))
        self.statements = [self.STATEMENT.match(s.strip()).groups()
                           for s in operation.split(";") if s.strip()]
        self.name = name

    def __call__(self, *args):
        given = args[len(self.inputs):]
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
        if "out" in kwargs:
            _launch(name, lambda: function(*args, **kwargs), in_place=True)
            return _wrap(kwargs["out"])
        return _wrap(_launch(name, lambda: function(*args, **kwargs)))
    return call


class _Stream:
    """``xp.cuda.Stream``: work is in order anyway; what it adds is capture."""

    def __enter__(self):
        _STREAMS.append(self)
        return self

    def __exit__(self, *exc):
        _STREAMS.pop()

    def begin_capture(self):
        _CAPTURING.append([])

    def end_capture(self):
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


_STREAMS = [_Stream()]                               # the current stream is the last


class _StrictModule(types.ModuleType):
    """The array module: ``xp.exp``, ``xp.concatenate``, … on StrictArrays, as CuPy's."""

    ndarray = StrictArray
    ElementwiseKernel = ElementwiseKernel
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
    """From now on (in this test) the backend's 'cupy' device is strict_xp."""
    from tinygan import backend
    monkeypatch.setattr(backend, "_cupy_or_none", lambda: strict_xp)
    _CAPTURING.clear()                               # a capture an earlier test left open
