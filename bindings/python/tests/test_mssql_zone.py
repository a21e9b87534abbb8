"""SQL Server's datetimeoffset keeps its zone through the DB-API: an aware
datetime bound with ``execute`` is stored with its offset and comes back
with it. Runs on KEEL_TEST_MSSQL_URL (``make test`` points it at the TDS
test peer); skipped without it."""

from __future__ import annotations

import datetime as dt
import os

import pytest

import keel

URL = os.environ.get("KEEL_TEST_MSSQL_URL", "")
pytestmark = pytest.mark.skipif(not URL, reason="KEEL_TEST_MSSQL_URL is not set")


def test_datetimeoffset_round_trips_with_its_offset():
    ist = dt.timezone(dt.timedelta(hours=5, minutes=30))
    pst = dt.timezone(dt.timedelta(hours=-8))
    values = [
        dt.datetime(2024, 3, 10, 18, 4, 56, 500000, tzinfo=ist),
        dt.datetime(2024, 3, 10, 4, 34, 56, 500000, tzinfo=pst),
        dt.datetime(2024, 3, 10, 12, 34, 56, 500000, tzinfo=dt.timezone.utc),
    ]
    with keel.connect(URL) as conn:
        cur = conn.cursor()
        cur.execute("DROP TABLE IF EXISTS py_dto")
        cur.execute("CREATE TABLE py_dto (id INT PRIMARY KEY, v DATETIMEOFFSET)")
        for i, v in enumerate(values):
            cur.execute("INSERT INTO py_dto (id, v) VALUES (?, ?)", [i, v])
        cur.execute("SELECT v FROM py_dto ORDER BY id")
        got = [r[0] for r in cur.fetchall()]
        cur.execute("DROP TABLE py_dto")
    assert got == values  # the same instants
    assert [g.utcoffset() for g in got] == [v.utcoffset() for v in values]
    assert got[2].tzinfo is dt.timezone.utc


def test_an_offset_sql_server_cannot_store_is_refused():
    odd = dt.timezone(dt.timedelta(seconds=30))
    with keel.connect(URL) as conn:
        cur = conn.cursor()
        with pytest.raises(keel.Error) as e:
            cur.execute("SELECT ?", [dt.datetime(2024, 1, 1, tzinfo=odd)])
        assert "whole minutes" in str(e.value)
