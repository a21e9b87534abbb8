"""The package as a user installs it: ``pip wheel ./bindings/python`` makes a
platform wheel that carries libkeel (built by the package's build backend,
_build/keel_build.py), and that wheel, installed into a fresh venv in a
temporary directory outside the checkout, connects with no KEEL_LIBRARY
and says where its library came from.

The wheel bundles cargo's debug build (KEEL_WHEEL_PROFILE=debug, unless the
environment says otherwise), which the test run has built already; a user's
``pip wheel`` builds and bundles the release one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import keel

PKG = Path(__file__).resolve().parent.parent  # bindings/python
CHECKOUT = PKG.parent.parent


def _clean_env(**extra: str) -> dict:
    """The environment without anything that would point at a library or
    at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("KEEL_LIBRARY", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    assert p.returncode == 0, f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout}"
    return p


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    env = _clean_env()
    env.setdefault("KEEL_WHEEL_PROFILE", "debug")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w", str(out), str(PKG)],
        env=env,
        cwd=str(out),
    )
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _lib_name() -> str:
    return {"win32": "keel.dll", "darwin": "libkeel.dylib"}.get(sys.platform, "libkeel.so")


def test_the_wheel_is_tagged_for_the_platform_and_carries_libkeel(wheel: Path) -> None:
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    assert wheel.name == f"keel-{keel.__version__}-py3-none-{platform}.whl"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert f"keel/_lib/{_lib_name()}" in names
        assert {"keel/__init__.py", "keel/__main__.py", "keel/_abi.py", "keel/py.typed"} <= names
        dist = f"keel-{keel.__version__}.dist-info"
        assert {f"{dist}/METADATA", f"{dist}/WHEEL", f"{dist}/RECORD"} <= names
        wheel_meta = z.read(f"{dist}/WHEEL").decode()
        assert "Root-Is-Purelib: false" in wheel_meta
        assert f"Tag: py3-none-{platform}" in wheel_meta
        record = z.read(f"{dist}/RECORD").decode()
        assert f"keel/_lib/{_lib_name()},sha256=" in record


def test_the_wheel_works_from_a_fresh_venv_with_no_environment_variable(wheel: Path, tmp_path: Path) -> None:
    # tmp_path is outside the checkout, so the package cannot fall back on
    # cargo's build tree: only the library in the wheel can answer.
    assert CHECKOUT not in tmp_path.resolve().parents
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], env=_clean_env(), cwd=str(tmp_path))
    py = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    _run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check", "-q", str(wheel)],
         env=_clean_env(), cwd=str(tmp_path))
    script = (
        "import keel\n"
        "conn = keel.connect('sqlite::memory:')\n"
        "print(conn.execute('SELECT 40 + 2').fetchone()[0])\n"
        "conn.close()\n"
        "v = keel.library_version()\n"
        "print(v)\n"
        "print(v.found_by)\n"
        "print(v.path)\n"
    )
    out = _run([str(py), "-c", script], env=_clean_env(), cwd=str(tmp_path)).stdout.splitlines()
    assert out[0] == "42"
    assert out[1] == keel.__version__
    assert out[2] == "bundled in the package"
    assert str(Path(out[3]).resolve()).startswith(str(venv.resolve()) + os.sep)
    assert Path(out[3]).name == _lib_name()

    version = _run([str(py), "-m", "keel", "--version"], env=_clean_env(), cwd=str(tmp_path)).stdout.splitlines()
    assert version[0].startswith(f"keel {keel.__version__} (Python package at {venv}")
    assert version[1] == f"libkeel {keel.__version__} from {out[3]} (bundled in the package)"


def test_keel_library_still_wins_over_the_bundled_copy(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], env=_clean_env(), cwd=str(tmp_path))
    py = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    _run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check", "-q", str(wheel)],
         env=_clean_env(), cwd=str(tmp_path))
    mine = keel.library_path()  # the library this test run uses (KEEL_LIBRARY or the checkout's)
    out = _run([str(py), "-m", "keel", "--version"], env=_clean_env(KEEL_LIBRARY=mine), cwd=str(tmp_path)).stdout
    assert f"from {mine} (KEEL_LIBRARY)" in out
    # A KEEL_LIBRARY that names no file is an error, not a silent fallback.
    p = subprocess.run([str(py), "-m", "keel", "--version"], env=_clean_env(KEEL_LIBRARY=str(tmp_path / "none.so")),
                       cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.returncode == 1
    assert "KEEL_LIBRARY: " + str(tmp_path / "none.so") in p.stderr


def test_the_sdist_carries_the_crate(tmp_path: Path) -> None:
    # The backend's own hook, as `python -m build` calls it first.
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import keel_build; "
        "print(keel_build.build_sdist(sys.argv[2]))"
    )
    name = _run([sys.executable, "-c", script, str(PKG / "_build"), str(tmp_path)], env=_clean_env()).stdout.split()[-1]
    assert name == f"keel-{keel.__version__}.tar.gz"
    with tarfile.open(tmp_path / name) as t:
        names = set(t.getnames())
    base = f"keel-{keel.__version__}"
    for member in ("PKG-INFO", "pyproject.toml", "README.md", "_build/keel_build.py", "keel/__init__.py",
                   "keel-src/Cargo.toml", "keel-src/Cargo.lock", "keel-src/build.rs", "keel-src/src/lib.rs",
                   "keel-src/include/keel.h", "keel-src/vendor/webpki-roots/Cargo.toml",
                   "keel-src/tests/tds_peer/Cargo.toml"):
        assert f"{base}/{member}" in names, member
    assert not any("/keel/_lib/" in n or "__pycache__" in n for n in names)
    # Cargo reads the crate it carries as a whole workspace (the member
    # tests/tds_peer, the patched vendor/webpki-roots), without the checkout.
    with tarfile.open(tmp_path / name) as t:
        t.extractall(tmp_path / "unpacked")
    crate = tmp_path / "unpacked" / base / "keel-src"
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps", "--locked"], cwd=str(crate),
                          env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert meta.returncode == 0, meta.stderr
    packages = {p["name"] for p in json.loads(meta.stdout)["packages"]}
    assert packages == {"keel", "keel-tds-peer"}, packages
