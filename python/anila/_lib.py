"""Loading of anila's one shared library and the calls into its two faces.

The control plane is gopy's generated module (``_capi.capi``); the data plane is the
library's ``anila_*`` C functions, reached with ctypes through addresses that the library
hands out (``ExportTable``). Both live in the same loaded library, so one Go runtime serves
the process.
"""

from __future__ import annotations

import ctypes
import gc
import os
import threading

import numpy as np

try:
    from ._capi import capi as _capi, go as _go
except ImportError as exc:  # pragma: no cover - a broken install
    raise ImportError(
        "anila's compiled library is missing or broken; reinstall anila with "
        "`pip install .` from a source checkout (it needs Go and a C compiler). "
        f"Cause: {exc}"
    ) from exc

_PID = os.getpid()
_lock = threading.Lock()


def _fork_safe_gc_callbacks() -> None:
    """gopy's module asks Go for a collection at every Python garbage collection; in a child
    forked from this process, Go cannot run and that call would hang the child. Keep the
    callback for this process only."""
    for cb in list(gc.callbacks):
        if getattr(cb, "__name__", "") == "_gopy_gc_cb":
            gc.callbacks.remove(cb)

            def go_gc(phase, info, _cb=cb):
                if os.getpid() == _PID:
                    _cb(phase, info)

            gc.callbacks.append(go_gc)


_fork_safe_gc_callbacks()

_c_ll = ctypes.c_longlong
_vp = ctypes.c_void_p
_cp = ctypes.c_char_p
_SIGNATURES = {
    "anila_set_data": (_c_ll, _vp, _c_ll, _c_ll),
    "anila_energy": (_c_ll, _vp, _c_ll, _c_ll, _vp, _vp),
    "anila_params": (_c_ll, _vp, _c_ll, ctypes.c_int),
    "anila_history": (_c_ll, _c_ll, _vp, _c_ll, _c_ll, ctypes.c_int),
    "anila_chains_positions": (_c_ll, _vp, _c_ll, ctypes.c_int),
    "anila_chains_mask": (_c_ll, _vp, _c_ll),
    "anila_chains_trace": (_c_ll, _c_ll, _vp, _c_ll),
    "anila_toy": (_cp, _c_ll, _c_ll, _vp),
    "anila_mmd": (_vp, _c_ll, _vp, _c_ll, _c_ll, ctypes.c_double, _vp),
    "anila_chains_step_fixed": (_c_ll, _c_ll, _vp, _c_ll, _vp, _c_ll),
    "anila_train_step": (_c_ll, _vp, _vp, _vp, _c_ll, _vp, _c_ll, _vp),
    "anila_param_grad": (_c_ll, _vp, _c_ll, _c_ll, _vp, _vp),
    "anila_images_copy": (_c_ll, _vp, _c_ll, _vp),
    "anila_sliced_wasserstein": (_vp, _c_ll, _vp, _c_ll, _c_ll, _c_ll, _c_ll, _vp),
    "anila_chain_diagnostics": (_vp, _c_ll, _c_ll, _vp),
    "anila_featurenet_train": (_c_ll, _vp, _vp, _c_ll, _c_ll, _c_ll, _c_ll, ctypes.c_double, _c_ll, _vp),
    "anila_featurenet_eval": (_c_ll, _vp, _vp, _c_ll, _c_ll, _vp),
    "anila_featurenet_features": (_c_ll, _vp, _c_ll, _c_ll, _vp, _c_ll),
    "anila_fid": (_vp, _c_ll, _vp, _c_ll, _c_ll, _vp),
    "anila_frechet": (_vp, _vp, _vp, _vp, _c_ll, _vp),
    "anila_data_summary": (_vp, _c_ll, _c_ll, ctypes.c_int, _vp),
    "anila_ais_new": (_c_ll, _cp, _vp, _c_ll, _c_ll, _vp, _c_ll, _vp),
}
_ERRLEN = 2048


def _load_table():
    # Names and addresses come from one table in the library (capi/table.c), pair by pair.
    names = [str(n) for n in _capi.ExportNames()]
    addrs = [int(a) for a in _capi.ExportTable()]
    if len(names) != len(addrs) or len(set(names)) != len(names):
        raise ImportError(f"anila's export table is inconsistent: {len(names)} names, {len(addrs)} addresses")
    missing, unknown = sorted(set(_SIGNATURES) - set(names)), sorted(set(names) - set(_SIGNATURES))
    if missing or unknown:
        raise ImportError(f"anila's library and its Python layer disagree: the library lacks {missing}, "
                          f"Python has no signature for {unknown}; reinstall anila")
    table = {}
    for name, addr in zip(names, addrs):
        args = _SIGNATURES[name] + (_cp, _c_ll)
        # CFUNCTYPE releases the GIL during the call.
        table[name] = ctypes.CFUNCTYPE(ctypes.c_int, *args)(addr)
    return table


_TABLE = _load_table()


def check_process() -> None:
    """Raise RuntimeError in a forked child, where the Go runtime cannot run."""
    if os.getpid() != _PID:
        raise RuntimeError(
            "anila cannot be used in a process forked after anila was imported: the Go runtime "
            "does not survive fork. Use multiprocessing with the 'spawn' start method "
            "(multiprocessing.get_context('spawn')) or import anila only in the child."
        )


def close_handle(h: int) -> None:
    """Free a Go object (a finalizer's job): never raises, and does nothing in a forked child
    or during interpreter shutdown, where Go cannot be called."""
    if os.getpid() != _PID:
        return
    try:
        _capi.Close(h)
    except Exception:
        pass


def cfunc(name: str, *args) -> None:
    """Call data-plane function `name`; raise ValueError or RuntimeError on failure."""
    check_process()
    err = ctypes.create_string_buffer(_ERRLEN)
    rc = _TABLE[name](*args, err, _ERRLEN)
    if rc == 0:
        return
    msg = err.value.decode("utf-8", "replace")
    if rc == 1:
        raise ValueError(msg)
    raise RuntimeError(msg)


def gocall(fn, *args):
    """Call a control-plane function, turning Go errors into ValueError, or TypeError where
    Go says the value has the wrong kind ("TypeError: ..."); internal errors stay
    RuntimeError."""
    check_process()
    try:
        return fn(*args)
    except RuntimeError as exc:
        msg = str(exc)
        if msg.startswith("internal error"):
            raise
        if msg.startswith("TypeError: "):
            raise TypeError(msg[len("TypeError: "):]) from None
        raise ValueError(msg) from None


def ptr(a: np.ndarray) -> int:
    """The address of a C-contiguous array's data (0 for an empty array)."""
    return a.ctypes.data if a.size else 0


def carray(address: int, n: int, dtype) -> np.ndarray:
    """A NumPy view of n values of dtype (float32 or float64) at a C address that anila's
    library handed to a callback; valid during the callback only."""
    dtype = np.dtype(dtype)
    if n == 0:
        return np.zeros(0, dtype)
    ctype = ctypes.c_double if dtype == np.float64 else ctypes.c_float
    return np.ctypeslib.as_array((ctype * n).from_address(address))


def go_ints(values) -> object:
    """A Go []int for gopy from a Python sequence of ints."""
    return _go.Slice_int([int(v) for v in values])


def go_strings(values) -> object:
    """A Go []string for gopy from a Python sequence of str."""
    return _go.Slice_string([str(v) for v in values])


def go_floats(values) -> object:
    """A Go []float64 for gopy from a Python sequence of floats."""
    return _go.Slice_float64([float(v) for v in np.asarray(values, dtype=np.float64).ravel()])


capi = _capi
