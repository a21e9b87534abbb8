"""A driver written outside keel, loaded by path: keel's DuckDB driver in
Zig (drivers/duckdb-zig), which ``make test`` builds and names in
KEEL_TEST_DUCKDB_DRIVER."""

from __future__ import annotations

import datetime
import decimal
import os
import uuid

import pytest

import keel

from conftest import required


@pytest.fixture(scope="module")
def duckdb_loaded() -> None:
    path = os.environ.get("KEEL_TEST_DUCKDB_DRIVER")
    if not path:
        if required("duckdb"):
            pytest.fail("duckdb is required (KEEL_TEST_REQUIRE) but KEEL_TEST_DUCKDB_DRIVER is not set")
        pytest.skip("KEEL_TEST_DUCKDB_DRIVER is not set (. scripts/duckdb.sh)")
    if not keel.driver_available("duckdb"):
        keel.load_driver(path)
    assert keel.driver_available("duckdb")
    with pytest.raises(keel.Error) as e:
        keel.load_driver(path)
    assert e.value.status == keel.Status.ALREADY_EXISTS


def test_a_duckdb_url_opens_and_round_trips(duckdb_loaded: None) -> None:
    conn = keel.connect("duckdb::memory:")
    try:
        cur = conn.cursor()
        cur.execute("CREATE TABLE py (i BIGINT, s VARCHAR, d DATE, n DECIMAL(10,2), u UUID)")
        u = uuid.UUID("12345678-9abc-def0-0123-456789abcdef")
        cur.execute(
            "INSERT INTO py VALUES (?, ?, ?, ?, ?)",
            (7, "seven", datetime.date(2024, 3, 10), decimal.Decimal("-1.50"), u),
        )
        cur.execute("SELECT i, s, d, n, u FROM py WHERE i = ?", (7,))
        assert cur.fetchall() == [(7, "seven", datetime.date(2024, 3, 10), decimal.Decimal("-1.50"), u)]
        conn.commit()
    finally:
        conn.close()


def test_rowcount_and_description_as_on_the_built_in_engines(duckdb_loaded: None) -> None:
    """The driver describes statements before they run, so that DML goes
    through keel_stmt_execute and ``rowcount`` is the rows it changed
    (it was -1 while every statement ran as a query); RETURNING still
    gives its rows, and a query's ``description`` is there before a
    row is read."""
    conn = keel.connect("duckdb::memory:")
    try:
        cur = conn.cursor()
        cur.execute("CREATE TABLE py_rc (i BIGINT PRIMARY KEY, s VARCHAR)")
        cur.execute("INSERT INTO py_rc VALUES (1, 'a'), (2, 'b'), (3, 'c')")
        assert cur.rowcount == 3
        assert cur.description is None
        cur.execute("UPDATE py_rc SET s = ? WHERE i > ?", ("x", 1))
        assert cur.rowcount == 2
        cur.executemany("INSERT INTO py_rc VALUES (?, ?)", [(4, "d"), (5, "e")])
        assert cur.rowcount == 2
        cur.execute("DELETE FROM py_rc WHERE i >= ?", (4,))
        assert cur.rowcount == 2
        cur.execute("INSERT INTO py_rc VALUES (?, ?) RETURNING i, s", (6, "f"))
        assert [d[0] for d in cur.description] == ["i", "s"]
        assert cur.fetchall() == [(6, "f")]
        cur.execute("SELECT s FROM py_rc WHERE i < ? ORDER BY i", (3,))
        assert [d[0] for d in cur.description] == ["s"]
        assert cur.fetchall() == [("a",), ("x",)]
        conn.rollback()
    finally:
        conn.close()
