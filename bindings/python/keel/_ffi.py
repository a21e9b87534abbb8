"""Finding and loading libkeel, and the one table of its C signatures.

Everything that knows the C ABI is in ``_abi`` (imported here):
``SIGNATURES`` (name, argtypes, restype), the enums and the structs, which
``bindings/generate.py`` writes from ``include/keel.json``, the description
of the C API build.rs writes with the header; ``make test`` fails when
``_abi.py`` is not what the script writes, so they cannot drift.

The library is found, in order, by: :func:`set_library_path`, the
``KEEL_LIBRARY`` environment variable, a copy shipped inside this package
(``keel/_lib/``, where a wheel built by the package's build backend puts
it), and cargo's build tree of a checkout (``CARGO_TARGET_DIR`` when set,
else ``target/``; ``release``, then ``debug``).
"""

from __future__ import annotations

import os
import sys
import threading
from ctypes import CDLL, c_int32
from pathlib import Path
from typing import Any, List, Optional, Tuple

from ._abi import (  # noqa: F401 (re-exported: the rest of the package imports them from here)
    ENUMS,
    SIGNATURES,
    STRUCTS,
    BatchFormat,
    Capability,
    Dialect,
    ExecResult,
    Isolation,
    Nullable,
    Option,
    PoolStats,
    RetrySafety,
    Status,
    TxLock,
    TxOptions,
    Type,
    Value,
)

__all__ = ["lib", "set_library_path", "library_path", "Status", "Type", "RetrySafety", "Capability"]

_lock = threading.Lock()
_explicit: Optional[str] = None
_lib: Optional[CDLL] = None
_lib_path: Optional[str] = None
_lib_why: Optional[str] = None


def _lib_names() -> List[str]:
    if sys.platform == "win32":
        return ["keel.dll"]
    if sys.platform == "darwin":
        return ["libkeel.dylib"]
    return ["libkeel.so"]


def set_library_path(path: "os.PathLike[str] | str") -> None:
    """Use the libkeel at ``path`` (a file). Call it before the first
    connection; once the library is loaded it cannot be swapped."""
    global _explicit
    with _lock:
        p = os.fspath(path)
        if _lib is not None and os.path.realpath(p) != os.path.realpath(_lib_path or ""):
            raise RuntimeError(f"libkeel is already loaded from {_lib_path}; set_library_path must come first")
        _explicit = p


def _checkout_roots() -> List[Path]:
    """Directories of a keel checkout above this package or the current
    directory (a directory with Cargo.toml naming the keel crate)."""
    roots: List[Path] = []
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for d in (start, *start.parents):
            cargo = d / "Cargo.toml"
            if d in roots or not cargo.is_file():
                continue
            try:
                text = cargo.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if 'name = "keel"' in text:
                roots.append(d)
                break
    return roots


def candidates() -> List[Tuple[str, str]]:
    """Every place the library is looked for, in order, as (why, path)."""
    out: List[Tuple[str, str]] = []
    if _explicit is not None:
        out.append(("keel.set_library_path()", _explicit))
    env = os.environ.get("KEEL_LIBRARY")
    if env:
        out.append(("KEEL_LIBRARY", env))
    here = Path(__file__).resolve().parent / "_lib"
    for name in _lib_names():
        out.append(("bundled in the package", str(here / name)))
    target_env = os.environ.get("CARGO_TARGET_DIR")
    for root in _checkout_roots():
        target = root / target_env if target_env else root / "target"
        for profile in ("release", "debug"):
            for name in _lib_names():
                out.append((f"cargo build tree ({profile})", str(target / profile / name)))
    return out


def _load() -> CDLL:
    global _lib, _lib_path, _lib_why
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for why, path in candidates():
            if not os.path.isfile(path):
                tried.append(f"  {why}: {path} (no such file)")
                # An explicit choice that does not exist is an error, not a
                # reason to silently pick another library.
                if why in ("keel.set_library_path()", "KEEL_LIBRARY"):
                    break
                continue
            try:
                lib = CDLL(path)
            except OSError as e:
                tried.append(f"  {why}: {path} ({e})")
                if why in ("keel.set_library_path()", "KEEL_LIBRARY"):
                    break
                continue
            _declare(lib)
            _lib, _lib_path, _lib_why = lib, path, why
            return lib
        from .errors import LibraryNotFound

        raise LibraryNotFound(
            "cannot find libkeel. Looked in:\n"
            + "\n".join(tried)
            + "\nFix: build it (`cargo build --release` in the keel checkout), or set "
            "KEEL_LIBRARY=/path/to/" + _lib_names()[0] + ", or call "
            "keel.set_library_path(path) before connecting."
        )


def _declare(lib: CDLL) -> None:
    for name, argtypes, restype in SIGNATURES:
        f = getattr(lib, name)
        f.argtypes = list(argtypes)
        f.restype = restype


def unchecked(name: str) -> Any:
    """A second function object for the C function ``name`` returning a
    ``keel_status``, with no ``argtypes``: ctypes then converts nothing and
    checks nothing, which saves about 0.05 µs per argument. Only for hot
    paths that pass ctypes objects of exactly the declared types (and
    None for NULL): a plain Python int would go as a C int."""
    f = _load()[name]
    f.argtypes = None
    f.restype = c_int32
    return f


class _Lib:
    """The loaded library, loaded on first attribute access."""

    def __getattr__(self, name: str) -> Any:
        f = getattr(_load(), name)
        setattr(self, name, f)
        return f


lib: Any = _Lib()


def library_path() -> str:
    """Load libkeel if needed and return the path it was loaded from."""
    _load()
    assert _lib_path is not None
    return _lib_path


def library_found_by() -> str:
    """Load libkeel if needed and say how it was found: "KEEL_LIBRARY",
    "keel.set_library_path()", "bundled in the package" or "cargo build
    tree (release)" / "(debug)"."""
    _load()
    assert _lib_why is not None
    return _lib_why


def __getattr__(name: str) -> Any:
    if name == "LibraryNotFound":
        from .errors import LibraryNotFound

        return LibraryNotFound
    raise AttributeError(name)
