"""The Arrow PyCapsule interface of a cursor (``__arrow_c_stream__``), read
by pyarrow, polars and DuckDB, on every engine; ``fetch_arrow_table``; a
capsule dropped unread; an error in the middle of a stream; and that keel
itself never imports pyarrow."""

from __future__ import annotations

import datetime
import decimal
import os
import subprocess
import sys
import uuid

import pytest

import keel

pa = pytest.importorskip("pyarrow")


def _table(engine, cur, name: str) -> None:
    cur.execute(f"DROP TABLE IF EXISTS {name}")
    cur.execute(
        f"CREATE TABLE {name} (id BIGINT, f {engine.double}, t {engine.text}, b {engine.blob}, "
        f"d DATE, ts {engine.timestamp}, flag BOOLEAN)"
    )
    rows = [
        (i, i / 4, f"text {i} é" if i % 3 else None, bytes([i, 0, 255]) if i % 4 else None,
         datetime.date(2020, 1, 1) + datetime.timedelta(days=i),
         datetime.datetime(2021, 2, 3, 4, 5, 6, i), i % 2 == 0)
        for i in range(50)
    ]
    cur.executemany(f"INSERT INTO {name} VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def _expected(cur, name: str):
    cur.execute(f"SELECT id, f, t, b, d, ts, flag FROM {name} ORDER BY id")
    return cur.fetchall()


def test_pyarrow_table_matches_fetchall(engine, table):
    table_name = table
    with engine.connect(arrow_batch_rows="16") as conn:
        conn.autocommit = True
        cur = conn.cursor()
        _table(engine, cur, table_name)
        want = _expected(cur, table_name)
        cur.execute(f"SELECT id, f, t, b, d, ts, flag FROM {table_name} ORDER BY id")
        t = pa.table(cur)
        assert t.num_rows == 50
        assert t.schema.field("id").type == pa.int64()
        assert t.schema.field("f").type == pa.float64()
        assert t.schema.field("t").type == pa.string()
        assert t.schema.field("b").type == pa.binary()
        assert t.schema.field("d").type == pa.date32()
        assert t.schema.field("ts").type == pa.timestamp("us")
        got = [tuple(r.values()) for r in t.to_pylist()]
        want = [tuple(bool(v) if k == 6 and v is not None else v for k, v in enumerate(r)) for r in want]
        assert got == want
        assert cur.fetchone() is None  # the rows moved into the stream
        cur.execute(f"DROP TABLE {table_name}")


def test_fetch_arrow_table_and_polars(engine, table):
    table_name = table
    pl = pytest.importorskip("polars")
    with engine.connect() as conn:
        conn.autocommit = True
        cur = conn.cursor()
        _table(engine, cur, table_name)
        want = _expected(cur, table_name)
        cur.execute(f"SELECT id, t FROM {table_name} ORDER BY id")
        t = cur.fetch_arrow_table()
        assert t.column("id").to_pylist() == [r[0] for r in want]
        cur.execute(f"SELECT id, t FROM {table_name} ORDER BY id")
        df = pl.DataFrame(cur)
        assert df["id"].to_list() == [r[0] for r in want]
        assert df["t"].to_list() == [r[2] for r in want]
        cur.execute(f"DROP TABLE {table_name}")


def test_duckdb_reads_a_cursor(engine):
    duckdb = pytest.importorskip("duckdb")
    with engine.connect() as conn:
        cur = conn.cursor()
        cur.execute("SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3")
        reader = pa.RecordBatchReader.from_stream(cur)
        db = duckdb.connect()
        assert db.execute("SELECT sum(a) FROM reader").fetchone()[0] == 6
        db.close()


def test_types_with_extensions():
    with keel.connect("sqlite::memory:") as conn:
        cur = conn.cursor()
        cur.execute("CREATE TABLE t (u UUID, j JSON, n NUMERIC(10,2) , tz TIMESTAMPTZ, tm TIME)")
        u = uuid.UUID("12345678-1234-4234-8234-123456789abc")
        cur.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                    (u, keel.Json('{"a": 1}') if hasattr(keel, "Json") else '{"a": 1}', decimal.Decimal("12.34"),
                     datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc), datetime.time(1, 2, 3, 4)))
        cur.execute("SELECT u, j, n, tz, tm FROM t")
        t = pa.table(cur)
        f = t.schema
        assert f.field("u").type.byte_width == 16
        assert f.field("n").type == pa.decimal128(10, 2)
        assert f.field("tz").type == pa.timestamp("us", tz="UTC")
        assert f.field("tm").type == pa.time64("us")
        row = t.to_pylist()[0]
        assert row["n"] == decimal.Decimal("12.34")
        assert row["tz"] == datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        assert row["tm"] == datetime.time(1, 2, 3, 4)
        uu = row["u"]
        assert (uu.bytes if isinstance(uu, uuid.UUID) else uu) == u.bytes


def test_capsule_dropped_unread_frees_the_stream(engine):
    with engine.connect() as conn:
        cur = conn.cursor()
        cur.execute("SELECT 1 AS a UNION ALL SELECT 2")
        cap = cur.__arrow_c_stream__()
        assert type(cap).__name__ == "PyCapsule"
        del cap
        # Released: the connection runs the next statement.
        cur.execute("SELECT 7")
        assert cur.fetchall() == [(7,)]


def test_error_mid_stream_reaches_the_reader():
    with keel.connect("sqlite::memory:", arrow_batch_rows="4") as conn:
        cur = conn.cursor()
        cur.execute(
            "WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 20) "
            "SELECT CASE WHEN x < 10 THEN x ELSE 'ten' END AS v FROM c"
        )
        reader = pa.RecordBatchReader.from_stream(cur)
        assert reader.read_next_batch().num_rows == 4
        assert reader.read_next_batch().num_rows == 4
        with pytest.raises(Exception, match="row 10"):
            reader.read_next_batch()


def test_export_after_fetch_is_refused():
    with keel.connect("sqlite::memory:") as conn:
        cur = conn.cursor()
        cur.execute("SELECT 1 UNION ALL SELECT 2")
        cur.fetchone()
        with pytest.raises(keel.ProgrammingError, match="already fetched"):
            cur.__arrow_c_stream__()
        with pytest.raises(keel.ProgrammingError):
            conn.cursor().__arrow_c_stream__()


def test_keel_does_not_import_pyarrow():
    code = (
        "import sys, keel\n"
        "c = keel.connect('sqlite::memory:').cursor()\n"
        "c.execute('SELECT 1')\n"
        "cap = c.__arrow_c_stream__()\n"
        "assert 'pyarrow' not in sys.modules, 'keel imported pyarrow'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_readme_arrow_example_runs():
    """The example of bindings/python/README.md's Arrow section, as written."""
    pytest.importorskip("polars")
    pytest.importorskip("duckdb")
    readme = os.path.join(os.path.dirname(__file__), "..", "README.md")
    text = open(readme, encoding="utf-8").read()
    section = text[text.index("## Arrow: pyarrow, polars, DuckDB") :]
    code = section[section.index("```python\n") + len("```python\n") :]
    code = code[: code.index("```")]
    scope: dict = {}
    exec(compile(code, "README.md (Arrow)", "exec"), scope)
    assert scope["table"].num_rows == 2
    assert scope["df"].shape == (1, 1)
