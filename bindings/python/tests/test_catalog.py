"""The catalog as Connection methods (``keel_conn_tables`` and the others):
cursors with the columns keel.h lists, on every engine."""

from __future__ import annotations

import os

import pytest

import keel


def _rows(cur: keel.Cursor) -> list:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


@pytest.fixture
def schema(engine):
    """A parent and a child table (a composite key, a foreign key, an index),
    dropped afterwards."""
    base = f"kpy{os.getpid()}"
    c = engine.connect(autocommit=True)
    c.execute(f"DROP TABLE IF EXISTS {base}_child")
    c.execute(f"DROP TABLE IF EXISTS {base}_parent")
    c.execute(f"CREATE TABLE {base}_parent (a INT NOT NULL, b VARCHAR(10) NOT NULL, PRIMARY KEY (a, b))")
    c.execute(
        f"CREATE TABLE {base}_child (id INT PRIMARY KEY, pa INT, pb VARCHAR(10), amount DECIMAL(8,2), "
        f"FOREIGN KEY (pa, pb) REFERENCES {base}_parent (a, b) ON DELETE CASCADE)"
    )
    c.execute(f"CREATE INDEX {base}_child_amount ON {base}_child (amount DESC)")
    yield c, base
    c.execute(f"DROP TABLE IF EXISTS {base}_child")
    c.execute(f"DROP TABLE IF EXISTS {base}_parent")
    c.close()


def test_tables_and_types(schema, engine):
    c, base = schema
    cur = c.tables(f"{base}\\_%", types=["TABLE"])
    assert [d[0] for d in cur.description] == ["table_catalog", "table_schema", "table_name", "table_type", "remarks"]
    names = sorted(r["table_name"] for r in _rows(cur))
    assert names == [f"{base}_child", f"{base}_parent"]
    assert _rows(c.tables(f"{base}%", types="VIEW")) == []
    with pytest.raises(keel.ProgrammingError, match="TABLES"):
        c.tables(types=["TABLES"])


def test_columns(schema, engine):
    c, base = schema
    cols = _rows(c.columns(f"{base}\\_child"))
    assert [r["column_name"] for r in cols] == ["id", "pa", "pb", "amount"]
    assert [r["ordinal_position"] for r in cols] == [1, 2, 3, 4]
    amount = cols[3]
    assert amount["keel_type"] == keel.Type.DECIMAL
    assert amount["is_nullable"] == 1
    # SQLite lets an INT PRIMARY KEY (not INTEGER: no rowid alias) hold
    # NULL, and the catalog says so; the servers do not.
    assert cols[0]["is_nullable"] == (1 if engine.name == "sqlite" else 0)
    assert (amount["numeric_precision"], amount["numeric_scale"]) == ((None, None) if engine.name == "sqlite" else (8, 2))
    assert [r["column_name"] for r in _rows(c.columns(f"{base}\\_child", "p%"))] == ["pa", "pb"]


def test_keys_and_indexes(schema, engine):
    c, base = schema
    pk = _rows(c.primary_keys(f"{base}_parent"))
    assert [(r["column_name"], r["key_seq"]) for r in pk] == [("a", 1), ("b", 2)]
    fk = _rows(c.foreign_keys(f"{base}_child"))
    assert [(r["fk_column"], r["pk_column"], r["key_seq"], r["delete_rule"]) for r in fk] == [
        ("pa", "a", 1, "CASCADE"),
        ("pb", "b", 2, "CASCADE"),
    ]
    back = _rows(c.foreign_keys(f"{base}_parent", exported=True))
    assert [r["fk_table"] for r in back] == [f"{base}_child", f"{base}_child"]
    idx = [r for r in _rows(c.indexes(f"{base}_child")) if r["index_name"] == f"{base}_child_amount"]
    assert [(r["column_name"], r["is_descending"], r["is_unique"]) for r in idx] == [("amount", 1, 0)]
    with pytest.raises(TypeError):
        c.indexes(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NUL"):
        c.primary_keys("a\0b")


def test_catalog_cursor_is_an_ordinary_cursor(schema, engine):
    c, base = schema
    cur = c.columns(f"{base}\\_parent")
    first = cur.fetchone()
    assert first is not None and first[3] == "a"
    # The connection works on while and after the answer is read.
    assert c.execute("SELECT 1").fetchone()[0] == 1
    cur.close()
    cats = [r[0] for r in c.catalogs().fetchall()]
    schemas = [r[1] for r in c.schemas().fetchall()]
    if engine.name == "sqlite":
        assert "main" in cats and schemas == []
    elif engine.name == "mysql":
        assert cats == [] and c.execute("SELECT DATABASE()").fetchone()[0] in schemas
    else:
        assert len(cats) == 1 and "public" in schemas


def test_unique_and_check_constraints(engine):
    base = f"kpyc{os.getpid()}"
    c = engine.connect(autocommit=True)
    try:
        c.execute(f"DROP TABLE IF EXISTS {base}")
        c.execute(
            f"CREATE TABLE {base} (code VARCHAR(10), n INT, "
            f"CONSTRAINT {base}_u UNIQUE (code, n), CONSTRAINT {base}_few CHECK (n < 9))"
        )
        u = _rows(c.unique_constraints(base))
        assert [(r["key_seq"], r["column_name"]) for r in u] == [(1, "code"), (2, "n")]
        # SQLite keeps no constraint names: the index it made names it.
        want = "sqlite_autoindex_" if engine.name == "sqlite" else f"{base}_u"
        assert all(r["constraint_name"].startswith(want) for r in u), u
        ck = _rows(c.check_constraints(base))
        assert [r["constraint_name"] for r in ck] == [f"{base}_few"]
        # Each engine's own form: "(n < 9)", "`n` < 9", "n < 9".
        assert ck[0]["check_clause"].replace("(", "").replace(")", "").replace("`", "").strip() == "n < 9"
        with pytest.raises(TypeError):
            c.check_constraints(None)  # type: ignore[arg-type]
    finally:
        c.execute(f"DROP TABLE IF EXISTS {base}")
        c.close()
