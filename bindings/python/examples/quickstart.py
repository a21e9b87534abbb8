"""keel's quickstart in Python, on in-memory SQLite. After
`pip install ./bindings/python`: python3 bindings/python/examples/quickstart.py"""

import keel

with keel.connect("sqlite::memory:") as conn:
    conn.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, height_m REAL)")
    cur = conn.cursor()
    cur.executemany("INSERT INTO people (name, height_m) VALUES (?, ?)", [("Ada", 1.65), ("Grace", 1.52), ("Edsger", None)])
    for row in conn.execute("SELECT id, name, height_m FROM people ORDER BY id"):
        print(row)
