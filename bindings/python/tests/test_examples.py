"""Every ```python block of the README runs: the quickstart and the
complete example are files of examples/ (run here, their output compared
with examples/*.txt), and the SQLite locking snippet runs against a table
made for it. A block that is none of these fails the first test."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import keel

PKG = Path(__file__).resolve().parent.parent
README = (PKG / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```$", README, flags=re.S | re.M)
EXAMPLES = {name: (PKG / "examples" / name).read_text(encoding="utf-8") for name in ("quickstart.py", "readme.py")}
IMMEDIATE = 'conn = keel.connect("sqlite://app.db", journal_mode="wal", busy_timeout_ms=10000)\n'
CANCEL = "import threading, keel\n"
# The Arrow and ingest blocks are run by tests/test_arrow.py.
ARROW = ("import keel, pyarrow, polars, duckdb\n", "import keel, pyarrow\n")


def test_every_python_block_of_the_readme_is_run_here() -> None:
    assert len(BLOCKS) == 6, f"{len(BLOCKS)} ```python blocks; give a new one a test here"
    for block in BLOCKS:
        assert block in EXAMPLES.values() or block.startswith((IMMEDIATE, CANCEL, *ARROW)), f"README block run by no test:\n{block}"
    assert set(EXAMPLES.values()) <= set(BLOCKS), "examples/quickstart.py and readme.py must be README blocks as they are"


def _run(example: str, cwd: Path) -> str:
    # The library this test run uses (KEEL_LIBRARY or the checkout's), and
    # the package under test first on the path.
    env = dict(os.environ, KEEL_LIBRARY=keel.library_path(), PYTHONPATH=str(PKG))
    p = subprocess.run([sys.executable, str(PKG / "examples" / example)], cwd=str(cwd), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_the_quickstart_prints_what_it_should(tmp_path: Path) -> None:
    assert _run("quickstart.py", tmp_path) == (PKG / "examples" / "quickstart.txt").read_text(encoding="utf-8")


def test_the_complete_example_prints_what_its_comments_say(tmp_path: Path) -> None:
    assert _run("readme.py", tmp_path) == (PKG / "examples" / "readme.txt").read_text(encoding="utf-8")
    assert (tmp_path / "shop.db").is_file()


def test_the_immediate_transaction_snippet(tmp_path: Path, monkeypatch) -> None:
    block = next(b for b in BLOCKS if b.startswith(IMMEDIATE))
    monkeypatch.chdir(tmp_path)
    with keel.connect("sqlite://app.db") as setup:
        setup.execute("CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER)")
        setup.execute("INSERT INTO counters (id, n) VALUES (1, 41)")
        setup.commit()
    scope = {"keel": keel}
    exec(compile(block, "README.md", "exec"), scope)
    scope["conn"].close()
    with keel.connect("sqlite://app.db") as check:
        assert check.execute("SELECT n FROM counters WHERE id = 1").fetchone() == (42,)



def test_the_cancel_snippet(capsys) -> None:
    """Another thread's conn.cancel() stops the statement; the connection
    then runs the next one."""
    block = next(b for b in BLOCKS if b.startswith(CANCEL))
    scope: dict = {}
    exec(compile(block, "README.md", "exec"), scope)
    scope["conn"].close()
    assert capsys.readouterr().out == "CANCELLED\n(1,)\n"
