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
    iteration reads nothing back.

``install(monkeypatch)`` makes tinygan's backend take this module for CuPy, so the device named
"cupy" runs through it: the backend's real CuPy code path, on the CPU, in every CI run.
"""
import types

import numpy as np

HOST_READS = {"count": 0}


def _read():
    HOST_READS["count"] += 1


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
        if "out" in kwargs:
            kwargs["out"] = _unwrap(kwargs["out"])
        result = getattr(ufunc, method)(*_unwrap(inputs), **kwargs)
        if "out" in kwargs:                          # in place: hand back the same wrapper(s)
            out = tuple(i for i in inputs + (self,) if isinstance(i, StrictArray) and i._a is kwargs["out"][0])
            return out[0] if out else _wrap(result)
        return _wrap(result)

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
        return _wrap(self._a[_unwrap(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key)] = _unwrap(value)

    def __getattr__(self, name):
        if name.startswith("__"):                    # no __array_interface__ and friends
            raise AttributeError(name)
        attribute = getattr(self._a, name)
        if callable(attribute):
            return lambda *args, **kwargs: _wrap(attribute(*_unwrap(args), **_unwrap(kwargs)))
        return _wrap(attribute)

    def __repr__(self):
        return f"StrictArray({self._a!r})"


class _Generator:
    """``xp.random.default_rng(seed)``: draws on the 'device'."""

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64):
        return _wrap(self._rng.random(size, dtype=dtype))

    def standard_normal(self, size=None, dtype=np.float64):
        return _wrap(self._rng.standard_normal(size, dtype=dtype))


def _module_function(name):
    function = getattr(np, name)

    def call(*args, **kwargs):
        return _wrap(function(*_unwrap(args), **_unwrap(kwargs)))
    return call


class _StrictModule(types.ModuleType):
    """The array module: ``xp.exp``, ``xp.concatenate``, … on StrictArrays, as CuPy's."""

    ndarray = StrictArray
    random = types.SimpleNamespace(default_rng=_Generator)
    cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
        get_current_stream=lambda: types.SimpleNamespace(synchronize=lambda: None))

    def asarray(self, value, dtype=None):
        """Host -> 'device' (a copy, as cupy.asarray of a NumPy array)."""
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
