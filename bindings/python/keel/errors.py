"""The PEP 249 exception hierarchy, and the map from a ``keel_error`` to it.

A SQLSTATE class decides first, with psycopg's table ("23" →
IntegrityError, "08" → OperationalError, "42" → ProgrammingError, "0A" →
NotSupportedError, "22" → DataError, "40" → TransactionRollbackError, "53"
→ OperationalError, "XX" → InternalError, ...).
Errors without a SQLSTATE, or with a class the table lacks, map by status
(NULL_ARGUMENT → InterfaceError, INVALID_ARGUMENT → ProgrammingError,
PANIC/INTERNAL → InternalError, ...). Every exception carries ``.status``
(a :class:`keel.Status`), ``.sqlstate`` (``""`` when unknown),
``.vendor_code`` (the engine's own number, 0 when none), ``.driver``, and
``.retry_safety`` (a :class:`keel.RetrySafety`) with its shorthand
``.retry_safe``: whether running the statement again cannot apply it twice.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

from ._ffi import RetrySafety, Status

__all__ = [
    "Warning",
    "Error",
    "InterfaceError",
    "LibraryNotFound",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "TransactionRollbackError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
]


class Warning(Exception):  # noqa: A001 - the name PEP 249 asks for
    """Important warnings (PEP 249). keel raises none today."""


class Error(Exception):
    """Base of every keel error."""

    #: The status of an error this package raises itself, before any call
    #: into libkeel, by its class (libkeel's errors carry their own).
    _own_status = Status.UNKNOWN

    def __init__(
        self,
        message: str = "",
        *,
        status: Optional[int] = None,
        sqlstate: str = "",
        vendor_code: int = 0,
        driver: str = "keel",
        retry_safety: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.status: Status = type(self)._own_status if status is None else _status(status)
        self.sqlstate: str = sqlstate
        self.vendor_code: int = vendor_code
        self.driver: str = driver
        if retry_safety is None:
            # Raised by this package before calling keel: nothing was sent.
            retry_safety = RetrySafety.NOT_SENT if status is None else RetrySafety.UNKNOWN
        try:
            self.retry_safety: RetrySafety = RetrySafety(retry_safety)
        except ValueError:
            self.retry_safety = RetrySafety.UNKNOWN

    @property
    def retry_safe(self) -> bool:
        """True when running it again cannot apply it twice: nothing of the
        statement reached the server (``RetrySafety.NOT_SENT``: no
        connection, a pool timeout, arguments refused before sending, a
        pooled connection found dead), or the server answered that its
        transaction did not commit (``RetrySafety.NOT_COMMITTED``: a
        deadlock, a serialization failure, a write refused by a server that
        became read-only in a failover; run the whole transaction again).
        False when keel cannot tell, or when the statement was sent and the
        connection failed before its answer
        (``retry_safety == RetrySafety.MAY_HAVE_RUN``: it may have run, even
        committed)."""
        return self.retry_safety in (RetrySafety.NOT_SENT, RetrySafety.NOT_COMMITTED)

    def __str__(self) -> str:
        msg = super().__str__()
        return f"{msg} [SQLSTATE {self.sqlstate}]" if self.sqlstate else msg


class InterfaceError(Error):
    """Misuse of the interface: closed objects, NULL arguments, no library."""

    _own_status = Status.INVALID_STATE


class LibraryNotFound(InterfaceError, OSError):
    """libkeel could not be found or loaded. The message lists every place
    that was tried and how to point keel at the library."""

    def __init__(self, message: str) -> None:
        InterfaceError.__init__(self, message)


class DatabaseError(Error):
    """Errors reported by the database or about its data."""


class DataError(DatabaseError):
    """Bad data: out of range, wrong type, invalid text (SQLSTATE 22)."""

    _own_status = Status.INVALID_ARGUMENT


class OperationalError(DatabaseError):
    """The database's operation failed: connection, I/O, locks, timeouts."""


class TransactionRollbackError(OperationalError):
    """The transaction was rolled back: serialization failure, deadlock or
    a lock that could not be taken (SQLSTATE 40). Retrying may succeed."""


class IntegrityError(DatabaseError):
    """A constraint was violated (SQLSTATE 23)."""


class InternalError(DatabaseError):
    """The database or keel is in a state it should never be in."""

    _own_status = Status.INTERNAL


class ProgrammingError(DatabaseError):
    """Bad SQL, wrong parameter count, bad use of a transaction."""

    _own_status = Status.INVALID_ARGUMENT


class NotSupportedError(DatabaseError):
    """The engine or keel does not support what was asked."""

    _own_status = Status.NOT_IMPLEMENTED


def _status(n: int) -> Status:
    try:
        return Status(n)
    except ValueError:
        return Status.UNKNOWN


# SQLSTATE class -> exception: psycopg's table (psycopg.errors
# _base_exc_map), plus "07", which keel gives a bad parameter index.
SQLSTATE_CLASSES: Dict[str, Type[Error]] = {
    "07": ProgrammingError,  # dynamic SQL error (bad parameter index)
    "08": OperationalError,  # connection exception
    "0A": NotSupportedError,  # feature not supported
    "20": ProgrammingError,  # case not found
    "21": ProgrammingError,  # cardinality violation
    "22": DataError,  # data exception
    "23": IntegrityError,  # integrity constraint violation
    "24": InternalError,  # invalid cursor state
    "25": InternalError,  # invalid transaction state
    "26": ProgrammingError,  # invalid SQL statement name
    "27": OperationalError,  # triggered data change violation
    "28": OperationalError,  # invalid authorization specification
    "2B": InternalError,  # dependent privilege descriptors still exist
    "2D": InternalError,  # invalid transaction termination
    "2F": OperationalError,  # SQL routine exception
    "34": ProgrammingError,  # invalid cursor name
    "38": OperationalError,  # external routine exception
    "39": OperationalError,  # external routine invocation exception
    "3B": OperationalError,  # savepoint exception
    "3D": ProgrammingError,  # invalid catalog name
    "3F": ProgrammingError,  # invalid schema name
    "40": TransactionRollbackError,  # transaction rollback (an OperationalError)
    "42": ProgrammingError,  # syntax error or access rule violation
    "44": ProgrammingError,  # WITH CHECK OPTION violation
    "53": OperationalError,  # insufficient resources (53300 too many connections)
    "54": OperationalError,  # program limit exceeded
    "55": OperationalError,  # object not in prerequisite state
    "57": OperationalError,  # operator intervention
    "58": OperationalError,  # system error
    # psycopg matches these by their first character ("F", "H", "P", "X");
    # PostgreSQL has one class under each, while other engines' HY (ODBC's
    # general error) and XA (MySQL's XA transactions) keep mapping by status.
    "F0": OperationalError,  # configuration file error
    "HV": OperationalError,  # foreign data wrapper error
    "P0": ProgrammingError,  # PL/pgSQL error (RAISE EXCEPTION)
    "XX": InternalError,  # internal error
}

# keel_status -> exception, for errors whose SQLSTATE says nothing.
STATUS_CLASSES: Dict[Status, Type[Error]] = {
    Status.UNKNOWN: DatabaseError,
    Status.NOT_IMPLEMENTED: NotSupportedError,
    Status.NOT_FOUND: OperationalError,
    Status.ALREADY_EXISTS: ProgrammingError,
    Status.INVALID_ARGUMENT: ProgrammingError,
    Status.INVALID_STATE: ProgrammingError,
    Status.INVALID_DATA: DataError,
    Status.INTEGRITY: IntegrityError,
    Status.INTERNAL: InternalError,
    Status.IO: OperationalError,
    Status.CANCELLED: OperationalError,
    Status.TIMEOUT: OperationalError,
    Status.UNAUTHENTICATED: OperationalError,
    Status.UNAUTHORIZED: ProgrammingError,
    Status.BUSY: OperationalError,
    Status.NULL_ARGUMENT: InterfaceError,
    Status.PANIC: InternalError,
}


def error_class(status: int, sqlstate: str) -> Type[Error]:
    """The exception class for a status and SQLSTATE."""
    st = _status(status)
    if st in (Status.PANIC, Status.NULL_ARGUMENT):
        # keel's own failures: the SQLSTATE (if any) is not the engine's.
        return STATUS_CLASSES[st]
    # INTERNAL goes by its SQLSTATE like the rest: keel gives it to the
    # engine's classes 53, 54 and XX, which psycopg splits between
    # OperationalError (53300 too many connections) and InternalError.
    cls = SQLSTATE_CLASSES.get(sqlstate[:2].upper()) if len(sqlstate) == 5 else None
    return cls or STATUS_CLASSES.get(st, DatabaseError)
