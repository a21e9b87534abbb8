"""The PEP 517 build backend of the keel Python package (in-tree:
``backend-path = ["_build"]`` in pyproject.toml), written with the standard
library alone.

``pip wheel ./bindings/python``, ``pip install ./bindings/python`` and
``python -m build --wheel ./bindings/python`` build libkeel from the keel
checkout the package sits in (``cargo build --release --locked``, into
cargo's target directory: ``CARGO_TARGET_DIR`` when set) and put it in the
wheel as ``keel/_lib/libkeel.so`` (``.dylib``, ``keel.dll``), where the
package finds it when neither ``keel.set_library_path`` nor
``KEEL_LIBRARY`` says otherwise. The package stays pure Python over ctypes;
the wheel is tagged ``py3-none-<platform>`` because of the library it
carries.

The sdist (``python -m build`` makes one, then the wheel from it) carries
the Rust crate under ``keel-src/``, so a wheel can be built from it
anywhere cargo is.

Settings (``pip wheel -C key=value``, ``python -m build -C key=value``), or
the environment variable named in parentheses:

- ``profile=debug`` (``KEEL_WHEEL_PROFILE``): bundle cargo's debug build
  instead of the release one (``make test`` does, to build nothing more).
- ``library=/path/to/libkeel.so`` (``KEEL_WHEEL_LIBRARY``): bundle that
  file and run no cargo at all.

``pip install -e`` (PEP 660) installs a path to the source instead, and
the package then finds the library in cargo's build tree of the checkout.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
PKG_ROOT = HERE.parent  # bindings/python, or the unpacked sdist
# What of the Rust crate an sdist carries (cargo needs the workspace member
# tests/tds_peer and the patched vendor/webpki-roots to read Cargo.toml).
CRATE_FILES = ["Cargo.toml", "Cargo.lock", "build.rs", "cbindgen.toml"]
CRATE_DIRS = ["src", "include", "vendor", "tests/tds_peer"]
SDIST_FILES = ["pyproject.toml", "README.md"]
SDIST_DIRS = ["keel", "_build"]


# ---- metadata ---------------------------------------------------------------


def _project() -> Dict[str, Any]:
    text = (PKG_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(text)["project"]
    import tomli  # build-system requires it before 3.11

    return tomli.loads(text)["project"]


def _name_version() -> Tuple[str, str]:
    p = _project()
    return p["name"], p["version"]


def _metadata() -> str:
    p = _project()
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {p['name']}",
        f"Version: {p['version']}",
        f"Summary: {p.get('description', '')}",
    ]
    if "requires-python" in p:
        lines.append(f"Requires-Python: {p['requires-python']}")
    lic = p.get("license", {})
    if isinstance(lic, dict) and "text" in lic:
        lines.append(f"License: {lic['text']}")
    for c in p.get("classifiers", []):
        lines.append(f"Classifier: {c}")
    for extra, reqs in p.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        for r in reqs:
            lines.append(f'Requires-Dist: {r}; extra == "{extra}"')
    readme = p.get("readme")
    body = ""
    if isinstance(readme, str) and (PKG_ROOT / readme).is_file():
        lines.append("Description-Content-Type: text/markdown")
        body = (PKG_ROOT / readme).read_text(encoding="utf-8")
    return "\n".join(lines) + "\n\n" + body


def _platform_tag() -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", sysconfig.get_platform())


def _lib_name() -> str:
    if sys.platform == "win32":
        return "keel.dll"
    if sys.platform == "darwin":
        return "libkeel.dylib"
    return "libkeel.so"


# ---- libkeel ----------------------------------------------------------------


def _is_keel_crate(d: Path) -> bool:
    cargo = d / "Cargo.toml"
    return cargo.is_file() and re.search(r'(?m)^name = "keel"$', cargo.read_text(encoding="utf-8")) is not None


def _crate_root() -> Path:
    """The keel crate: the checkout two levels up, or the sdist's keel-src."""
    for d in (PKG_ROOT.parent.parent, PKG_ROOT / "keel-src"):
        if _is_keel_crate(d):
            return d
    raise RuntimeError(
        f"keel_build: no keel crate at {PKG_ROOT.parent.parent} or {PKG_ROOT / 'keel-src'}: build the wheel "
        "from bindings/python of a keel checkout (pip wheel ./bindings/python), from the sdist, or with "
        "-C library=/path/to/" + _lib_name() + " (KEEL_WHEEL_LIBRARY)"
    )


def _setting(config: Optional[Dict[str, Any]], key: str, env: str) -> Optional[str]:
    v = (config or {}).get(key)
    if isinstance(v, list):
        v = v[-1] if v else None
    return v if v else os.environ.get(env) or None


def _build_library(config: Optional[Dict[str, Any]]) -> Path:
    given = _setting(config, "library", "KEEL_WHEEL_LIBRARY")
    if given:
        p = Path(given)
        if not p.is_file():
            raise RuntimeError(f"keel_build: library {given} is not a file")
        return p
    profile = _setting(config, "profile", "KEEL_WHEEL_PROFILE") or "release"
    if profile not in ("release", "debug"):
        raise RuntimeError(f"keel_build: profile must be release or debug, not {profile!r}")
    root = _crate_root()
    cargo = os.environ.get("CARGO", "cargo")
    cmd = [cargo, "build", "--locked", "--lib"] + (["--release"] if profile == "release" else [])
    print(f"keel_build: {' '.join(cmd)} in {root}", file=sys.stderr)
    try:
        subprocess.run(cmd, cwd=root, check=True, stdout=sys.stderr)
        meta = subprocess.run(
            [cargo, "metadata", "--format-version", "1", "--no-deps", "--locked"],
            cwd=root,
            check=True,
            stdout=subprocess.PIPE,
        )
    except FileNotFoundError:
        raise RuntimeError("keel_build: cargo not found; install Rust (https://rustup.rs) or pass -C library=PATH")
    # cargo's own answer, so CARGO_TARGET_DIR and .cargo/config are honoured.
    target = Path(json.loads(meta.stdout)["target_directory"])
    lib = target / profile / _lib_name()
    if not lib.is_file():
        raise RuntimeError(f"keel_build: cargo finished but {lib} is missing")
    return lib


# ---- archives ---------------------------------------------------------------


def _package_files() -> List[Tuple[str, Path]]:
    """(name in the wheel, file) of the Python package."""
    out = []
    for f in sorted((PKG_ROOT / "keel").rglob("*")):
        rel = f.relative_to(PKG_ROOT)
        if f.is_file() and "__pycache__" not in rel.parts and rel.parts[:2] != ("keel", "_lib") and f.suffix != ".pyc":
            out.append((rel.as_posix(), f))
    return out


class _Wheel:
    def __init__(self, path: Path, dist_info: str) -> None:
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.dist_info = dist_info
        self.records: List[str] = []

    def add(self, name: str, data: bytes, executable: bool = False) -> None:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (0o755 if executable else 0o644) << 16
        self.zip.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        self.records.append(f"{name},sha256={digest},{len(data)}")

    def close(self) -> None:
        record = f"{self.dist_info}/RECORD"
        self.records.append(f"{record},,")
        self.zip.writestr(zipfile.ZipInfo(record, date_time=(1980, 1, 1, 0, 0, 0)), "\n".join(self.records) + "\n")
        self.zip.close()


def _write_wheel(wheel_directory: str, tag: str, purelib: bool, files: List[Tuple[str, bytes, bool]]) -> str:
    name, version = _name_version()
    dist_info = f"{name}-{version}.dist-info"
    filename = f"{name}-{version}-{tag}.whl"
    w = _Wheel(Path(wheel_directory) / filename, dist_info)
    for arc, data, executable in files:
        w.add(arc, data, executable)
    w.add(f"{dist_info}/METADATA", _metadata().encode("utf-8"))
    wheel_meta = f"Wheel-Version: 1.0\nGenerator: keel_build\nRoot-Is-Purelib: {'true' if purelib else 'false'}\nTag: {tag}\n"
    w.add(f"{dist_info}/WHEEL", wheel_meta.encode())
    w.close()
    return filename


# ---- PEP 517 / 660 hooks ----------------------------------------------------


def get_requires_for_build_wheel(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def build_wheel(
    wheel_directory: str,
    config_settings: Optional[Dict[str, Any]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    lib = _build_library(config_settings)
    files = [(arc, f.read_bytes(), False) for arc, f in _package_files()]
    files.append((f"keel/_lib/{_lib_name()}", lib.read_bytes(), True))
    return _write_wheel(wheel_directory, f"py3-none-{_platform_tag()}", False, files)


def build_editable(
    wheel_directory: str,
    config_settings: Optional[Dict[str, Any]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    # A .pth file naming the source directory; no library is bundled.
    pth = (str(PKG_ROOT) + "\n").encode()
    return _write_wheel(wheel_directory, "py3-none-any", True, [("_keel_editable.pth", pth, False)])


def build_sdist(sdist_directory: str, config_settings: Optional[Dict[str, Any]] = None) -> str:
    name, version = _name_version()
    base = f"{name}-{version}"
    filename = f"{base}.tar.gz"
    crate = _crate_root()

    def members() -> List[Tuple[str, Path]]:
        out = [(n, PKG_ROOT / n) for n in SDIST_FILES]
        for d in SDIST_DIRS:
            out += [(f.relative_to(PKG_ROOT).as_posix(), f) for f in sorted((PKG_ROOT / d).rglob("*"))]
        out += [(f"keel-src/{n}", crate / n) for n in CRATE_FILES]
        for d in CRATE_DIRS:
            out += [(f"keel-src/{f.relative_to(crate).as_posix()}", f) for f in sorted((crate / d).rglob("*"))]
        return [
            (n, f)
            for n, f in out
            if f.is_file() and "__pycache__" not in n and not n.endswith(".pyc") and not n.startswith("keel/_lib/")
        ]

    with tarfile.open(Path(sdist_directory) / filename, "w:gz", format=tarfile.PAX_FORMAT) as tar:

        def add(arc: str, data: bytes, mode: int = 0o644) -> None:
            info = tarfile.TarInfo(f"{base}/{arc}")
            info.size = len(data)
            info.mode = mode
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))

        for arc, f in members():
            add(arc, f.read_bytes(), 0o755 if os.access(f, os.X_OK) else 0o644)
        add("PKG-INFO", _metadata().encode("utf-8"))
    return filename


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: Optional[Dict[str, Any]] = None
) -> str:
    name, version = _name_version()
    d = Path(metadata_directory) / f"{name}-{version}.dist-info"
    d.mkdir(parents=True, exist_ok=True)
    (d / "METADATA").write_text(_metadata(), encoding="utf-8")
    tag = f"py3-none-{_platform_tag()}"
    (d / "WHEEL").write_text(f"Wheel-Version: 1.0\nGenerator: keel_build\nRoot-Is-Purelib: false\nTag: {tag}\n")
    return d.name

