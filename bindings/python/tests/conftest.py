"""Fixtures: every test that takes ``engine`` runs once per available engine.

SQLite always runs (in memory). PostgreSQL and MySQL run when
KEEL_TEST_POSTGRES_URL / KEEL_TEST_MYSQL_URL are set and the loaded libkeel
has that driver (``keel_driver_available``); otherwise they are skipped
with the reason.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Iterator, List

import pytest

import keel


@dataclass
class Engine:
    name: str
    url: str
    blob: str
    double: str
    text: str
    tstz: str  # "" when the engine has no time-zone-aware timestamp
    decimal: str
    time: str = "TIME"
    timestamp: str = "TIMESTAMP"
    uuid: str = "UUID"

    def connect(self, **kw) -> keel.Connection:
        return keel.connect(self.url, **kw)


_ENGINES = {
    # SQLite gives a DECIMAL column NUMERIC affinity, which stores decimal
    # text as REAL when 15 digits survive; "DECIMAL TEXT" keeps the exact
    # text (TEXT affinity) and still reads back as keel's decimal type.
    "sqlite": lambda url: Engine("sqlite", url, "BLOB", "REAL", "TEXT", "TIMESTAMPTZ", "DECIMAL TEXT"),
    "postgres": lambda url: Engine("postgres", url, "BYTEA", "DOUBLE PRECISION", "TEXT", "TIMESTAMPTZ", "NUMERIC(40,20)"),
    # MySQL: TIMESTAMP is 1970-2038 in the session zone, so no tstz cases;
    # TIME and DATETIME need (6) to keep microseconds; no UUID type.
    "mysql": lambda url: Engine("mysql", url, "LONGBLOB", "DOUBLE", "LONGTEXT", "", "DECIMAL(40,20)",
                                time="TIME(6)", timestamp="DATETIME(6)", uuid="CHAR(36)"),
}


def required(name: str) -> bool:
    """Whether ``KEEL_TEST_REQUIRE`` (which ``make test`` sets for the
    servers it starts) names this engine: then it must not be skipped."""
    return name in [e.strip() for e in os.environ.get("KEEL_TEST_REQUIRE", "").split(",")]


def _params() -> List[object]:
    out: List[object] = [pytest.param("sqlite", id="sqlite")]
    for name, var in (("postgres", "KEEL_TEST_POSTGRES_URL"), ("mysql", "KEEL_TEST_MYSQL_URL")):
        url = os.environ.get(var)
        if not url:
            reason = f"{var} is not set"
        elif not keel.driver_available(name):
            reason = f"libkeel has no {name} driver"
        else:
            reason = ""
        # KEEL_TEST_REQUIRE: a missing server fails these tests (in the
        # engine fixture) instead of skipping them.
        marks = [pytest.mark.skip(reason=f"skipped: {reason}")] if reason and not required(name) else []
        out.append(pytest.param(name, id=name, marks=marks))
    return out


@pytest.fixture(params=_params())
def engine(request) -> Engine:
    name = request.param
    var = f"KEEL_TEST_{name.upper()}_URL"
    if name != "sqlite" and not (os.environ.get(var) and keel.driver_available(name)):
        pytest.fail(f"{name} is required (KEEL_TEST_REQUIRE) but {var} is not set or the driver is missing")
    url = "sqlite::memory:" if name == "sqlite" else os.environ[var]
    return _ENGINES[name](url)


_counter = itertools.count()


@pytest.fixture
def table(engine: Engine) -> Iterator[str]:
    """A fresh table name, dropped afterwards on server engines."""
    name = f"keel_py_{os.getpid()}_{next(_counter)}"
    yield name
    if engine.name != "sqlite":
        with engine.connect(autocommit=True) as c:
            c.execute(f"DROP TABLE IF EXISTS {name}")


@pytest.fixture
def conn(engine: Engine, table: str) -> Iterator[keel.Connection]:
    """A connection to the engine. It depends on ``table`` so that it closes
    (ending its transaction and locks) before that table is dropped."""
    c = engine.connect()
    yield c
    c.close()


@pytest.fixture
def sqlite_conn() -> Iterator[keel.Connection]:
    """For behaviour checked on SQLite only (``SELECT ?`` needs no types there)."""
    c = keel.connect("sqlite::memory:")
    yield c
    c.close()
