"""The Arrow PyCapsule interface, with ctypes only: no compiled extension,
and no import of pyarrow (``Cursor.__arrow_c_stream__`` out,
``Connection.ingest`` in).

libkeel fills a ``struct ArrowArrayStream`` (``keel_rows_export_arrow``);
this module puts it in a PyCapsule named ``"arrow_array_stream"`` made with
``PyCapsule_New``, as the Arrow PyCapsule interface asks. The stream's
memory is a ctypes object kept alive in ``_LIVE`` until the capsule's
destructor runs (or the capsule is detached, below); that destructor calls
the stream's ``release`` when the consumer did not move the stream out
(pyarrow, polars and DuckDB do, and set ``release`` to NULL).

The destructor is a ctypes callback, and a ctypes callback cannot run
while an exception is pending: ctypes calls it as a Python function, and
CPython turns a Python call made with an exception set into a
SystemError, which ctypes prints ("Exception ignored") and clears. A
Cython consumer (pyarrow) drops the capsule while its own exception is
pending (``pyarrow.table(cur)`` after a failed batch), so that exception
would be lost and the caller would get "returned NULL without setting an
exception". So a capsule whose stream was moved out, the only case where
the destructor has nothing to do but free our copy's memory, loses its
destructor as soon as the move is seen: the stream's ``get_schema``, which
consumers call first (pyarrow right after the move), is ours for its first
call on a moved copy
(:func:`_get_schema`), which detaches the capsule and puts libkeel's
``get_schema`` back in the copy. A capsule dropped unread keeps the
destructor, which releases the stream.
"""

from __future__ import annotations

import ctypes
from ctypes import CFUNCTYPE, addressof, c_char_p, c_int, c_void_p
from typing import Any, Dict, Optional

from ._abi import ArrowArrayStream

_NAME = ctypes.create_string_buffer(b"arrow_array_stream")

_new = ctypes.pythonapi.PyCapsule_New
_new.restype = ctypes.py_object
_new.argtypes = [c_void_p, c_void_p, c_void_p]

_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype = c_void_p
_get_pointer.argtypes = [c_void_p, c_char_p]

# The same C function, taking the capsule as a Python object (a live one,
# from a producer): PyCapsule_GetPointer raises when the name differs.
_get_pointer_obj = ctypes.pythonapi["PyCapsule_GetPointer"]
_get_pointer_obj.restype = c_void_p
_get_pointer_obj.argtypes = [ctypes.py_object, c_char_p]

# PyCapsule_SetPointer and PyCapsule_SetDestructor, taking the capsule by
# address (it is alive while its stream is in _LIVE).
_set_pointer = ctypes.pythonapi["PyCapsule_SetPointer"]
_set_pointer.restype = c_int
_set_pointer.argtypes = [c_void_p, c_void_p]
_set_destructor = ctypes.pythonapi["PyCapsule_SetDestructor"]
_set_destructor.restype = c_int
_set_destructor.argtypes = [c_void_p, c_void_p]

# What a detached capsule points to from then on: a stream already
# released (every member NULL), never freed.
_RELEASED = ArrowArrayStream()

_GET_SCHEMA_AT = ArrowArrayStream.get_schema.offset
_PRIVATE_DATA_AT = ArrowArrayStream.private_data.offset

# libkeel's get_schema (the same function for every stream it makes),
# called through this function object; set at the first export.
_GetSchema = CFUNCTYPE(c_int, c_void_p, c_void_p)
_keel_get_schema: Optional[int] = None
_call_keel_get_schema: Any = None


class _Live:
    """A stream whose capsule is alive: its memory, the capsule's address
    and the stream's ``private_data`` (which a moved copy keeps)."""

    __slots__ = ("stream", "capsule", "private")

    def __init__(self, stream: ArrowArrayStream, private: Optional[int]) -> None:
        self.stream = stream
        self.capsule = 0
        self.private = private


# Streams whose capsule is alive, by address, and their addresses by
# private_data.
_LIVE: Dict[int, _Live] = {}
_BY_PRIVATE: Dict[int, int] = {}


def _forget(p: int) -> Optional[_Live]:
    live = _LIVE.pop(p, None)
    if live is not None and live.private is not None and _BY_PRIVATE.get(live.private) == p:
        del _BY_PRIVATE[live.private]
    return live


@ctypes.CFUNCTYPE(None, c_void_p)
def _destroy(capsule: int) -> None:
    # Called by CPython when the capsule is freed, with the GIL held; the
    # capsule is passed as an address, never as a new reference to an
    # object being freed.
    p = _get_pointer(capsule, b"arrow_array_stream")
    if not p:
        return
    live = _forget(p)
    if live is not None and live.stream.release:
        live.stream.release(ctypes.pointer(live.stream))


@_GetSchema
def _get_schema(stream: int, out: int) -> int:
    # The stream's get_schema until a consumer calls it on a copy it moved
    # the stream into (pyarrow, polars and libkeel's ingest move it, then
    # ask for the schema; the move sets our copy's release to NULL). Then
    # the capsule has nothing left to release: it is detached (pointing
    # at a released stream, with no destructor) and our copy is freed, so
    # that no Python code runs when the consumer drops the capsule, which
    # may be while its exception is pending. The copy gets libkeel's
    # get_schema back, so later calls cost no Python.
    private = c_void_p.from_address(stream + _PRIVATE_DATA_AT).value
    p = _BY_PRIVATE.get(private) if private is not None else None
    live = _LIVE.get(p) if p is not None else None
    if p == stream:
        # Read in place: the destructor still has to release it, unless a
        # consumer moves it later, which this function then sees.
        return _call_keel_get_schema(stream, out)
    if live is not None and not live.stream.release:
        _set_pointer(live.capsule, addressof(_RELEASED))
        _set_destructor(live.capsule, None)
        _forget(p)  # type: ignore[arg-type]
    c_void_p.from_address(stream + _GET_SCHEMA_AT).value = _keel_get_schema
    return _call_keel_get_schema(stream, out)


def stream_of(capsule: Any) -> Any:
    """The ``struct ArrowArrayStream *`` inside a PyCapsule named
    "arrow_array_stream" (from any producer's ``__arrow_c_stream__``)."""
    if type(capsule).__name__ != "PyCapsule":
        raise TypeError("__arrow_c_stream__ did not return a PyCapsule")
    p = _get_pointer_obj(capsule, b"arrow_array_stream")
    return ctypes.cast(p, ctypes.POINTER(ArrowArrayStream))


def new_stream() -> ArrowArrayStream:
    """Zeroed memory for a stream that libkeel fills."""
    return ArrowArrayStream()


def _watch_for_move(stream: ArrowArrayStream) -> bool:
    """Put :func:`_get_schema` in ``stream`` (filled by libkeel), unless
    its get_schema is not the one libkeel's streams have."""
    global _keel_get_schema, _call_keel_get_schema
    theirs = c_void_p.from_address(addressof(stream) + _GET_SCHEMA_AT).value
    if not theirs:
        return False
    if _keel_get_schema is None:
        _keel_get_schema = theirs
        _call_keel_get_schema = _GetSchema(theirs)
    elif theirs != _keel_get_schema:
        return False
    c_void_p.from_address(addressof(stream) + _GET_SCHEMA_AT).value = ctypes.cast(_get_schema, c_void_p).value
    return True


def capsule(stream: ArrowArrayStream) -> Any:
    """A PyCapsule "arrow_array_stream" owning the filled ``stream``."""
    p = addressof(stream)
    live = _Live(stream, stream.private_data)
    _LIVE[p] = live
    watched = live.private is not None and _watch_for_move(stream)
    if watched:
        _BY_PRIVATE[live.private] = p  # type: ignore[index]
    try:
        cap = _new(p, addressof(_NAME), ctypes.cast(_destroy, c_void_p))
    except BaseException:
        _forget(p)
        if stream.release:
            stream.release(ctypes.pointer(stream))
        raise
    live.capsule = id(cap)
    return cap
