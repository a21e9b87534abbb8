"""``python -m keel --version``: this package's version and the libkeel it
loads, with where from. Exit status 1 when no libkeel can be loaded."""

from __future__ import annotations

import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    import keel

    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--version"], ["-V"]):
        print("usage: python -m keel [--version]", file=sys.stderr)
        return 2
    print(f"keel {keel.__version__} (Python package at {keel.__path__[0]})")
    try:
        lib = keel.library_version()
    except keel.LibraryNotFound as e:
        print(str(e), file=sys.stderr)
        return 1
    print(lib.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
