"""A NUL character in a str that would reach C as a NUL-terminated string
(SQL, URLs, option keys and values, driver names and paths, ingest's
table name, catalog names and patterns) is refused with ValueError, as sqlite3 and psycopg do. C would see only the text before
it: ``DELETE FROM t\\x00 WHERE owner='bob'`` would delete every row, and a
URL cut before ``?sslmode=verify-full`` would connect unverified."""

from __future__ import annotations

import os

import pytest

import keel


def _rows(conn, table):
    return conn.execute(f"SELECT owner FROM {table} ORDER BY owner").fetchall()


def test_nul_in_sql_deletes_nothing(conn, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (owner VARCHAR(20))")
    cur.executemany(f"INSERT INTO {table} VALUES (?)", [("alice",), ("bob",)])
    conn.commit()
    with pytest.raises(ValueError, match=r"SQL contains a NUL character at offset \d+"):
        cur.execute(f"DELETE FROM {table}\x00 WHERE owner='bob'")
    with pytest.raises(ValueError, match="SQL contains a NUL"):
        conn.execute(f"DELETE FROM {table}\x00 WHERE owner='bob'")
    with pytest.raises(ValueError, match="SQL contains a NUL"):
        cur.executemany(f"DELETE FROM {table}\x00 WHERE owner=?", [("bob",)])
    conn.rollback()
    assert _rows(conn, table) == [("alice",), ("bob",)], "nothing was deleted"
    # The error is not a database error: nothing was sent, and the
    # connection goes on.
    cur.execute(f"DELETE FROM {table} WHERE owner = ?", ("bob",))
    assert cur.rowcount == 1
    conn.commit()
    assert _rows(conn, table) == [("alice",)]


def test_nul_in_a_text_parameter_is_data(sqlite_conn):
    # Parameters travel with their length: a NUL there is a character.
    assert sqlite_conn.execute("SELECT ?", ("a\x00b",)).fetchone() == ("a\x00b",)


def test_nul_in_a_sqlite_url_opens_nothing(tmp_path):
    path = tmp_path / "cut.db"
    # Cut at the NUL, the URL would open (and create) cut.db read-write.
    with pytest.raises(ValueError, match="URL contains a NUL character"):
        keel.connect(f"sqlite:///{path}\x00?mode=ro")
    with pytest.raises(ValueError, match="URL contains a NUL character"):
        keel.Pool(f"sqlite:///{path}\x00?mode=ro")
    assert not path.exists()


def test_nul_before_sslmode_is_refused_not_opened():
    url = os.environ.get("KEEL_TEST_POSTGRES_URL")
    if not url or not keel.driver_available("postgres"):
        pytest.skip("skipped: KEEL_TEST_POSTGRES_URL is not set or libkeel has no postgres driver")
    # The test server's certificate is self-signed: verify-full cannot pass,
    # while the URL cut at the NUL would connect (sslmode=prefer).
    with pytest.raises(ValueError, match="URL contains a NUL character"):
        keel.connect(url + "\x00?sslmode=verify-full")


def test_nul_in_option_keys_and_values(tmp_path):
    with pytest.raises(ValueError, match="option 'busy_timeout_ms' value contains a NUL"):
        keel.connect("sqlite::memory:", busy_timeout_ms="10\x00")
    with pytest.raises(ValueError, match=r"option key 'busy_timeout_ms\\x00x' contains a NUL"):
        keel.connect("sqlite::memory:", **{"busy_timeout_ms\x00x": 1})
    with pytest.raises(ValueError, match="option 'pool_max_open' value contains a NUL"):
        keel.Pool("sqlite::memory:", pool_max_open="4\x00")


def test_nul_in_a_driver_name():
    with pytest.raises(ValueError, match="driver name contains a NUL"):
        keel.driver_available("sqlite\x00postgres")


def test_nul_in_an_ingest_table_name_touches_no_table(engine, table):
    pa = pytest.importorskip("pyarrow")
    with engine.connect(autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (owner VARCHAR(20))")
        conn.execute(f"INSERT INTO {table} VALUES ('alice')")
        data = pa.table({"x": ["new"]})
        # Cut at the NUL, "replace" would drop and remake the table.
        for mode in ("replace", "append", "create_append"):
            with pytest.raises(ValueError, match=r"table contains a NUL character at offset \d+"):
                conn.ingest(f"{table}\x00_other", data, mode=mode)
        assert _rows(conn, table) == [("alice",)]


def test_nul_in_catalog_names_and_patterns(sqlite_conn):
    c = sqlite_conn
    calls = [
        lambda: c.tables("t\x00"),
        lambda: c.tables(schema="main\x00"),
        lambda: c.tables(catalog="main\x00"),
        lambda: c.tables(types=["TABLE\x00"]),
        lambda: c.columns("t", "c\x00"),
        lambda: c.schemas("s\x00"),
        lambda: c.primary_keys("t\x00"),
        lambda: c.foreign_keys("t\x00", exported=True),
        lambda: c.indexes("t", schema="main\x00"),
        lambda: c.unique_constraints("t\x00"),
        lambda: c.check_constraints("t", catalog="main\x00"),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="contains a NUL character"):
            call()


def test_nul_in_a_driver_path(tmp_path):
    with pytest.raises(ValueError, match="driver path contains a NUL"):
        keel.load_driver(f"{tmp_path}/libx.so\x00.txt")
