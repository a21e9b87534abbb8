"""The Arrow PyCapsule interface for cursors, with ctypes only: no compiled
extension, and no import of pyarrow (``Cursor.__arrow_c_stream__``).

libkeel fills a ``struct ArrowArrayStream`` (``keel_rows_export_arrow``);
this module puts it in a PyCapsule named ``"arrow_array_stream"`` made with
``PyCapsule_New``, as the Arrow PyCapsule interface asks. The stream's
memory is a ctypes object kept alive in ``_LIVE`` until the capsule's
destructor runs; that destructor calls the stream's ``release`` when the
consumer did not move the stream out (pyarrow, polars and DuckDB do, and
set ``release`` to NULL).
"""

from __future__ import annotations

import ctypes
from ctypes import addressof, c_char_p, c_void_p
from typing import Any, Dict

from ._abi import ArrowArrayStream

_NAME = ctypes.create_string_buffer(b"arrow_array_stream")

_new = ctypes.pythonapi.PyCapsule_New
_new.restype = ctypes.py_object
_new.argtypes = [c_void_p, c_void_p, c_void_p]

_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype = c_void_p
_get_pointer.argtypes = [c_void_p, c_char_p]

# Streams whose capsule is alive, by address.
_LIVE: Dict[int, ArrowArrayStream] = {}


@ctypes.CFUNCTYPE(None, c_void_p)
def _destroy(capsule: int) -> None:
    # Called by CPython when the capsule is freed, with the GIL held; the
    # capsule is passed as an address, never as a new reference to an
    # object being freed.
    p = _get_pointer(capsule, b"arrow_array_stream")
    if not p:
        return
    stream = _LIVE.pop(p, None)
    if stream is not None and stream.release:
        stream.release(ctypes.pointer(stream))


def new_stream() -> ArrowArrayStream:
    """Zeroed memory for a stream that libkeel fills."""
    return ArrowArrayStream()


def capsule(stream: ArrowArrayStream) -> Any:
    """A PyCapsule "arrow_array_stream" owning the filled ``stream``."""
    p = addressof(stream)
    _LIVE[p] = stream
    try:
        return _new(p, addressof(_NAME), ctypes.cast(_destroy, c_void_p))
    except BaseException:
        _LIVE.pop(p, None)
        if stream.release:
            stream.release(ctypes.pointer(stream))
        raise
