"""executemany on every engine. On PostgreSQL and MySQL a plain
``INSERT ... VALUES (?, ...)`` runs as multi-row INSERTs of up to 1000 rows
(libkeel's core::many); everything here must come out as if each row had
run on its own with ``execute``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import keel

CHUNK = 1000  # rows in a full multi-row INSERT

AUTO_PK = {
    "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgres": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    "mysql": "BIGINT AUTO_INCREMENT PRIMARY KEY",
}

UPSERT = {
    "sqlite": ["ON CONFLICT (src, k) DO NOTHING", "ON CONFLICT (src, k) DO UPDATE SET v = excluded.v"],
    "postgres": ["ON CONFLICT (src, k) DO NOTHING", "ON CONFLICT (src, k) DO UPDATE SET v = excluded.v"],
    "mysql": ["ON DUPLICATE KEY UPDATE v = VALUES(v)", "ON DUPLICATE KEY UPDATE v = CONCAT(v, '+', VALUES(v))"],
}


def mixed(src, n):
    out = []
    for i in range(n):
        vals = [
            i * 1_000_003 - 7,
            i * 0.25 - 3.5,
            f"row {i} 'é' ? --",
            bytes([0, 255, i % 256]),
            i % 2 == 0,
            Decimal(f"{i}.125"),
            dt.date(2000, 1, 1) + dt.timedelta(days=i),
            dt.datetime(2001, 2, 3, 4, 5, 6, i),
        ]
        out.append((src, i, *[None if (i + k) % 4 == 0 else v for k, v in enumerate(vals)]))
    return out


def test_executemany_equals_execute(conn, engine, table):
    cur = conn.cursor()
    cur.execute(
        f"CREATE TABLE {table} (src INTEGER, k BIGINT, i BIGINT, f {engine.double}, s {engine.text}, "
        f"b {engine.blob}, ok BOOLEAN, d {engine.decimal}, day DATE, ts {engine.timestamp}, PRIMARY KEY (src, k))"
    )
    sql = f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    n = 2 * CHUNK + 3
    cur.executemany(sql, mixed(0, n))
    assert cur.rowcount == n
    for r in mixed(1, n):
        cur.execute(sql, r)
    conn.commit()
    q = f"SELECT k, i, f, s, b, ok, d, day, ts FROM {table} WHERE src = ? ORDER BY k"
    many = cur.execute(q, (0,)).fetchall()
    one = cur.execute(q, (1,)).fetchall()
    assert len(many) == n
    assert many == one
    assert many[5] == tuple(mixed(0, 6)[5][1:]), "values as given"


@pytest.mark.parametrize("n", [0, 1, 2, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 1])
def test_chunk_boundaries(conn, engine, table, n):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (k BIGINT PRIMARY KEY, v VARCHAR(20))")
    sql = f"INSERT INTO {table} (k, v) VALUES (?, ?)"
    cur.executemany(sql, [(i, f"v{i}") for i in range(n)])
    assert cur.rowcount == n
    # Again on the same (cached) statement, after the first batch.
    cur.executemany(sql, [(i, f"v{i}") for i in range(n, 2 * n + 3)])
    assert cur.rowcount == n + 3
    got = cur.execute(f"SELECT k, v FROM {table} ORDER BY k").fetchall()
    assert got == [(i, f"v{i}") for i in range(2 * n + 3)]


def test_failing_row_outside_a_transaction(engine, table):
    bad = CHUNK + 700
    rows = [(5 if i == bad else i, i) for i in range(2 * CHUNK + 5)]
    with engine.connect(autocommit=True) as c:
        cur = c.cursor()
        cur.execute(f"CREATE TABLE {table} (k BIGINT PRIMARY KEY, v BIGINT NOT NULL)")
        with pytest.raises(keel.IntegrityError, match=rf"^row {bad}: ") as e:
            cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)
        assert e.value.sqlstate.startswith("23")
        assert cur.execute(f"SELECT count(*) FROM {table}").fetchone() == (bad,), "rows before it stay done"
        with pytest.raises(keel.IntegrityError, match=r"^row 2: "):
            cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", [(-1, 0), (-2, 0), (-3, None), (-4, 0)])
        assert cur.execute(f"SELECT count(*) FROM {table} WHERE k < 0").fetchone() == (2,)


def test_placeholder_in_a_string_literal(conn, engine, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (k BIGINT PRIMARY KEY, s VARCHAR(20))")
    cur.executemany(f"INSERT INTO {table} (k, s) VALUES (?, 'it''s ?') -- ?\n", [(i,) for i in range(CHUNK + 2)])
    assert cur.rowcount == CHUNK + 2
    assert cur.execute(f"SELECT count(*) FROM {table} WHERE s = ?", ("it's ?",)).fetchone() == (CHUNK + 2,)


@pytest.mark.parametrize("which", [0, 1])
def test_upserts_equal_execute(conn, engine, table, which):
    tail = UPSERT[engine.name][which]
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (src INTEGER, k BIGINT, v VARCHAR(40), PRIMARY KEY (src, k))")
    for src in (0, 1):
        cur.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", [(src, 1, "old"), (src, 1500, "old")])
    sql = f"INSERT INTO {table} (src, k, v) VALUES (?, ?, ?) {tail}"
    rows = [(i, f"n{i}") for i in range(CHUNK + 20)]
    rows[500:500] = [(7, "again7")]
    rows[1010:1010] = [(1005, "again1005")]
    rows.append((1500, "new1500"))
    cur.executemany(sql, [(0, *r) for r in rows])
    many = cur.rowcount
    one = 0
    for r in rows:
        cur.execute(sql, (1, *r))
        one += cur.rowcount
    assert many == one
    q = f"SELECT k, v FROM {table} WHERE src = ? ORDER BY k"
    assert cur.execute(q, (0,)).fetchall() == cur.execute(q, (1,)).fetchall()


def test_lastrowid_is_the_last_rows(conn, engine, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (id {AUTO_PK[engine.name]}, v VARCHAR(20))")
    cur.executemany(f"INSERT INTO {table} (v) VALUES (?)", [(f"r{i}",) for i in range(CHUNK + 5)])
    assert cur.rowcount == CHUNK + 5
    if engine.name == "postgres":
        assert cur.lastrowid is None
    else:
        last = cur.lastrowid
        assert cur.execute(f"SELECT id FROM {table} WHERE v = ?", (f"r{CHUNK + 4}",)).fetchone() == (last,)
