"""``keel.Pool``: a pool of connections over ``keel_db``."""

from __future__ import annotations

from contextlib import contextmanager
from ctypes import byref, c_void_p
from typing import Any, Iterator

from ._ffi import Dialect, PoolStats, lib
from .connection import Connection, _error, _Handle, no_nul
from .errors import InterfaceError, ProgrammingError

__all__ = ["Pool", "open_db"]


def with_options(url: str, options: dict) -> str:
    """``url`` with ``options`` appended to its query string."""
    if not options:
        return url
    from urllib.parse import quote

    def text(k: str, v: Any) -> str:
        no_nul(k, f"option key {k!r}")
        t = ("true" if v else "false") if isinstance(v, bool) else str(v)
        no_nul(t, f"option {k!r} value")
        return t

    query = "&".join(f"{quote(str(k), safe='')}={quote(text(str(k), v), safe='')}" for k, v in options.items())
    return url + ("&" if "?" in url else "?") + query


def open_db(url: str, options: dict) -> _Handle:
    """Open a ``keel_db`` for ``url`` plus ``options``. The keyword
    ``statement_cache_size`` (asyncpg's name) is libkeel's
    ``stmt_cache_size``: prepared statements kept per connection, 0 to keep
    none."""
    if not isinstance(url, str):
        raise InterfaceError(f"url must be a str, not {type(url).__name__}")
    if "statement_cache_size" in options:
        options = dict(options)
        if "stmt_cache_size" in options:
            raise ProgrammingError("give statement_cache_size or stmt_cache_size, not both: they are one option")
        options["stmt_cache_size"] = options.pop("statement_cache_size")
    # Cut at a NUL, "...db\0?sslmode=verify-full" would connect unverified.
    no_nul(url, "the URL")
    out = c_void_p()
    err = c_void_p()
    st = lib.keel_db_open(with_options(url, options).encode("utf-8"), byref(out), byref(err))
    if st:
        raise _error(st, err)
    return _Handle(out.value, lib.keel_db_free)


def checkout(db: _Handle, *, owns_db: bool, autocommit: bool = False) -> Connection:
    p = db.ptr
    if p is None:
        raise InterfaceError("the pool is closed")
    out = c_void_p()
    err = c_void_p()
    st = lib.keel_db_checkout(p, byref(out), byref(err))
    if st:
        raise _error(st, err)
    return Connection(db, out.value, owns_db=owns_db, autocommit=autocommit)


class Pool:
    """A pool of connections to one URL, safe to share between threads.

    ``pool_options`` become URL query parameters (``pool_max_open=8``,
    ``pool_max_idle=2``, and the engine's own options)::

        pool = keel.Pool("sqlite:///app.db", pool_max_open=4)
        with pool.connection() as conn:
            conn.execute("INSERT INTO t VALUES (?)", [1])
        # committed (or rolled back on an exception) and returned to the pool
    """

    def __init__(self, url: str, **pool_options: Any) -> None:
        self._db = open_db(url, pool_options)

    @property
    def closed(self) -> bool:
        return self._db.ptr is None

    @property
    def dialect(self) -> Dialect:
        p = self._db.ptr
        if p is None:
            raise InterfaceError("the pool is closed")
        return Dialect(lib.keel_db_dialect(p))

    def getconn(self, autocommit: bool = False) -> Connection:
        """Check a connection out; ``close()`` on it returns it (rolled
        back if a transaction is still open)."""
        return checkout(self._db, owns_db=False, autocommit=autocommit)

    @contextmanager
    def connection(self, autocommit: bool = False) -> Iterator[Connection]:
        """Check a connection out for a ``with`` block: on success it
        commits, on an exception it rolls back, and either way it goes
        back to the pool."""
        conn = self.getconn(autocommit=autocommit)
        with conn:
            yield conn

    def stats(self) -> dict:
        """The pool's statistics (``keel_db_stats``): ``open``, ``in_use``,
        ``idle``, ``wait_count``, ``wait_duration_us``, ``wait_timeouts`` and
        ``closed_*`` counts by reason."""
        p = self._db.ptr
        if p is None:
            raise InterfaceError("the pool is closed")
        out = PoolStats()
        err = c_void_p()
        st = lib.keel_db_stats(p, byref(out), byref(err))
        if st:
            raise _error(st, err)
        return {name: getattr(out, name) for name, _ in PoolStats._fields_ if name != "size"}

    def close(self) -> None:
        """Close the pool. Connections still checked out keep working and
        close when they are closed. Closing twice is fine."""
        self._db.close()

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<keel.Pool {'closed' if self.closed else 'open'}>"
