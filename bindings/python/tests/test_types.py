"""Values round-trip as native Python types."""

from __future__ import annotations

import datetime as dt
import enum
import time
import uuid
from decimal import Decimal

import pytest

import keel

UTC = dt.timezone.utc


def roundtrip(conn, table, decl, values, many=False):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (k INTEGER, v {decl})")
    rows = [(i, v) for i, v in enumerate(values)]
    if many:
        cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)
    else:
        for r in rows:
            cur.execute(f"INSERT INTO {table} VALUES (?, ?)", r)
    cur.execute(f"SELECT v FROM {table} ORDER BY k")
    return [r[0] for r in cur.fetchall()], cur.description[0][1]


CASES = [
    ("BIGINT", [0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -(2**31), 2**31, 2**63 - 1, -(2**63), None], keel.NUMBER),
    ("{double}", [0.0, -1.5, 1e300, float("inf"), float("-inf"), 5e-324, None], keel.NUMBER),
    ("{text}", ["", "a", "é€𝄞", "x" * 300, "line\nbreak", "nul\x00inside", None], keel.STRING),
    ("{blob}", [b"", b"\x00\xff", bytes(range(256)) * 300, None], keel.BINARY),
    ("BOOLEAN", [True, False, None], keel.NUMBER),
    ("DATE", [dt.date(1, 1, 1), dt.date(1969, 12, 31), dt.date(2024, 2, 29), dt.date(9999, 12, 31), None], keel.DATETIME),
    ("{time}", [dt.time(0, 0), dt.time(23, 59, 59, 999999), dt.time(12, 30, 1, 5), None], keel.DATETIME),
    ("{timestamp}", [dt.datetime(1970, 1, 1), dt.datetime(1969, 12, 31, 23, 59, 59, 999999), dt.datetime(2024, 5, 6, 7, 8, 9, 10), None], keel.DATETIME),
    ("{tstz}", [dt.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=UTC), dt.datetime(1960, 1, 1, tzinfo=UTC), None], keel.DATETIME),
    ("{decimal}", [Decimal("12345678901234567890.12345678901234567890"), Decimal("-0.00000000000000000001"), None], keel.NUMBER),
]


@pytest.mark.parametrize("many", [False, True], ids=["execute", "executemany"])
@pytest.mark.parametrize("decl,values,typeobj", CASES, ids=[c[0].strip("{}") for c in CASES])
def test_roundtrip(conn, engine, table, decl, values, typeobj, many):
    if decl == "{tstz}" and not engine.tstz:
        pytest.skip(f"skipped: {engine.name} has no time-zone-aware timestamp type")
    decl = decl.format(double=engine.double, text=engine.text, blob=engine.blob, tstz=engine.tstz,
                       decimal=engine.decimal, time=engine.time, timestamp=engine.timestamp)
    if engine.name == "mysql":
        values = [v for v in values if not (isinstance(v, float) and v in (float("inf"), float("-inf")))]
    if engine.name != "sqlite" and "\x00" in "".join(v for v in values if isinstance(v, str)):
        values = [v for v in values if not (isinstance(v, str) and "\x00" in v)]
    got, code = roundtrip(conn, table, decl, values, many)
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]
    assert code == typeobj


def test_aware_datetimes_come_back_in_utc(conn, engine, table):
    if not engine.tstz:
        pytest.skip(f"skipped: {engine.name} has no time-zone-aware timestamp type")
    plus2 = dt.timezone(dt.timedelta(hours=2))
    got, _ = roundtrip(conn, table, engine.tstz, [dt.datetime(2024, 1, 1, 12, tzinfo=plus2)])
    assert got == [dt.datetime(2024, 1, 1, 10, tzinfo=UTC)]
    assert got[0].tzinfo is UTC


def test_uuid_and_json(conn, engine, table):
    u = uuid.UUID("123e4567-e89b-12d3-a456-426614174000")
    got, code = roundtrip(conn, table, engine.uuid, [u, None])
    if engine.name != "mysql":
        assert got == [u, None] and isinstance(got[0], uuid.UUID)
    conn.rollback()
    c = conn.cursor()
    c.execute(f"DROP TABLE IF EXISTS {table}_j")
    c.execute(f"CREATE TABLE {table}_j (v JSON)")
    c.execute(f"INSERT INTO {table}_j VALUES (?)", [keel.Json({"a": [1, 2]})])
    c.executemany(f"INSERT INTO {table}_j VALUES (?)", [(keel.Json('{"b": null}'),)])
    c.execute(f"SELECT v FROM {table}_j")
    rows = [r[0] for r in c.fetchall()]
    assert all(isinstance(r, str) for r in rows), "JSON comes back as str"
    import json

    assert [json.loads(r) for r in rows] == [{"a": [1, 2]}, {"b": None}]
    c.execute(f"DROP TABLE {table}_j")
    conn.commit()


def test_uint64_and_integer_limits(sqlite_conn):
    conn = sqlite_conn
    cur = conn.cursor()
    with pytest.raises(keel.DataError) as e:
        cur.execute("SELECT ?", (2**64,))
    assert e.value.sqlstate == "22003"
    with pytest.raises(keel.DataError):
        cur.executemany("SELECT ?", [(1,), (-(2**63) - 1,)])
    if True:
        # 2**63 is a valid uint64 but SQLite's INTEGER is signed: a range error.
        with pytest.raises(keel.DataError, match=r"^parameter 0: uint64 value 9223372036854775808") as e:
            cur.execute("SELECT ?", (2**63,))
        assert e.value.sqlstate == "22003" and e.value.status == keel.Status.INVALID_ARGUMENT
        cur.execute("CREATE TABLE u (v UNSIGNED BIG INT)")
        cur.execute("INSERT INTO u VALUES (?)", (2**63 - 1,))
        assert cur.execute("SELECT v FROM u").fetchone() == (2**63 - 1,)


def test_subclasses_bind_as_their_base_type(sqlite_conn):
    conn = sqlite_conn
    class Color(enum.IntEnum):
        RED = 3

    class Name(str):
        pass

    class F(float):
        pass

    # A str Enum's __str__ is "Shade.DARK" (Python 3.11): it binds its
    # text, as the stdlib's sqlite3 does.
    class Shade(str, enum.Enum):
        DARK = "dark"

    class Loud(str):
        def __str__(self) -> str:
            return "LOUD"

    cur = conn.cursor()
    assert cur.execute("SELECT ?, ?, ?", (Color.RED, Name("n"), F(1.5))).fetchone() == (3, "n", 1.5)
    assert cur.execute("SELECT ?, ?", (Shade.DARK, Loud("quiet"))).fetchone() == ("dark", "quiet")
    # The value-by-value binder (a time zone the stream cannot carry).
    zoned = dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert cur.execute("SELECT ?, ?", (Shade.DARK, zoned)).fetchone()[0] == "dark"
    cur.execute("CREATE TABLE s (a INTEGER, b TEXT, c REAL, d BLOB)")
    cur.executemany("INSERT INTO s VALUES (?, ?, ?, ?)", [(Color.RED, Name("n"), F(1.5), bytearray(b"ba")), (1, "m", 2.0, memoryview(b"mv"))])
    cur.executemany("INSERT INTO s VALUES (?, ?, ?, ?)", [(2, Shade.DARK, 0.5, b""), (3, Loud("q"), 0.5, b"")])
    assert cur.execute("SELECT * FROM s").fetchall() == [
        (3, "n", 1.5, b"ba"),
        (1, "m", 2.0, b"mv"),
        (2, "dark", 0.5, b""),
        (3, "q", 0.5, b""),
    ]


def test_time_with_zone_is_refused(sqlite_conn):
    conn = sqlite_conn
    with pytest.raises(keel.NotSupportedError):
        conn.execute("SELECT ?", (dt.time(1, tzinfo=UTC),))


def test_sqlite_expression_columns_carry_their_own_types(sqlite_conn):
    conn = sqlite_conn
    cur = conn.execute("SELECT 1, 2.5, 'x', x'00', NULL")
    assert cur.fetchone() == (1, 2.5, "x", b"\x00", None)
    assert cur.description[0][1] == keel.Type.NULL


def test_type_objects_and_constructors():
    assert keel.STRING == keel.Type.TEXT and keel.STRING == keel.Type.JSON
    assert keel.STRING != keel.Type.INT64
    assert keel.BINARY == keel.Type.BYTES
    assert keel.DATETIME == keel.Type.TIMESTAMPTZ and keel.DATETIME == keel.Type.DATE
    assert keel.NUMBER == keel.Type.DECIMAL and keel.NUMBER == keel.Type.UINT64
    assert keel.ROWID == keel.Type.INT64
    assert hash(keel.STRING) == hash(keel.STRING)
    assert keel.Date(2024, 1, 2) == dt.date(2024, 1, 2)
    assert keel.Time(1, 2, 3) == dt.time(1, 2, 3)
    assert keel.Timestamp(2024, 1, 2, 3, 4, 5) == dt.datetime(2024, 1, 2, 3, 4, 5)
    assert keel.Binary(b"x") == b"x"
    t = 1_700_000_000.0
    lt = time.localtime(t)
    assert keel.DateFromTicks(t) == dt.date(*lt[:3])
    assert keel.TimeFromTicks(t) == dt.time(*lt[3:6])
    assert keel.TimestampFromTicks(t) == dt.datetime(*lt[:6])
