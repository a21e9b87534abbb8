import datetime as dt
from decimal import Decimal

import keel

# Options become URL query parameters: sqlite://shop.db?busy_timeout_ms=2000
with keel.connect("sqlite://shop.db", busy_timeout_ms=2000) as conn:
    cur = conn.cursor()
    cur.execute("""
        CREATE TABLE IF NOT EXISTS orders (
            id      INTEGER PRIMARY KEY,
            item    TEXT NOT NULL,
            price   DECIMAL TEXT,
            placed  TIMESTAMPTZ,
            paid    BOOLEAN
        )""")
    # One C call for all rows.
    cur.executemany(
        "INSERT INTO orders (item, price, placed, paid) VALUES (?, ?, ?, ?)",
        [
            ("tea", Decimal("3.50"), dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.timezone.utc), True),
            ("cake", Decimal("4.25"), dt.datetime(2024, 5, 1, 9, 31, tzinfo=dt.timezone.utc), False),
        ],
    )
    print(cur.rowcount)                               # 2
    conn.commit()

    cur.execute("SELECT id, item, price, placed, paid FROM orders WHERE paid = ?", [True])
    print([d[0] for d in cur.description])            # ['id', 'item', 'price', 'placed', 'paid']
    for row in cur:
        print(row)
        # (1, 'tea', Decimal('3.50'), datetime.datetime(2024, 5, 1, 9, 30, tzinfo=datetime.timezone.utc), True)

    try:
        cur.execute("INSERT INTO orders (id, item) VALUES (?, ?)", [1, "dup"])
    except keel.IntegrityError as e:
        print(e.sqlstate, e.vendor_code, e.status.name)   # 23505 1555 INTEGRITY
        conn.rollback()
# Leaving the block commits (or rolls back on an exception) and closes.

# A pool, safe to share between threads.
pool = keel.Pool("sqlite://shop.db", pool_max_open=4)
with pool.connection() as conn:
    total = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
pool.close()
