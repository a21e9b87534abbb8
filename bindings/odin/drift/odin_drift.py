#!/usr/bin/env python3
"""Drift check: bindings/odin/keel/c/keel.odin against include/keel.h.

The Odin binding declares the C API by hand (Odin has no C header import),
so this check makes sure the two say the same thing, without needing an
Odin compiler:

- every function of the header is declared in a foreign block of
  keel.odin whose attributes are link_prefix="keel_" and
  default_calling_convention="c", under its C name without the prefix,
  with the same return type and the same number and kinds of parameters;
  and every procedure of those blocks is in the header;
- every enum of the header is an `enum i32` of the same name (Ada_Case,
  without keel_) whose members carry the same numbers, in both directions;
- every struct has the same fields, in order, with the same kinds;
- every opaque handle is an empty struct; every #define number a constant.

Types are compared by a canonical spelling: `const`/`struct` dropped,
char and uint8_t both `u8`, size_t `usize`, a pointer `*` per level (Odin
`^T`, `[^]T` and `cstring` are all pointers), and keel's own types by
their C name (`Pool_Stats` is keel_pool_stats).

Run it from anywhere: `python3 bindings/odin/drift/odin_drift.py
[HEADER ODIN_FILE]`; it prints one line per difference and exits 1 when
there is any.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEADER = ROOT / "include" / "keel.h"
ODIN_FILE = ROOT / "bindings" / "odin" / "keel" / "c" / "keel.odin"


@dataclass
class Decl:
    """One declaration, on either side, under its C name."""

    name: str
    kind: str  # function, constant, enum, struct, opaque
    sig: str = ""  # function "ret(p,p)", struct "f:t;...", enum backing type
    value: int = 0
    where: str = ""  # for messages: "line N"


class ParseError(Exception):
    pass


# ---------------------------------------------------------------------
# C

C_BASE = {
    "char": "u8",
    "uint8_t": "u8",
    "int8_t": "i8",
    "int16_t": "i16",
    "uint16_t": "u16",
    "int32_t": "i32",
    "uint32_t": "u32",
    "int64_t": "i64",
    "uint64_t": "u64",
    "size_t": "usize",
    "double": "f64",
    "float": "f32",
    "bool": "bool",
    "void": "void",
}


def strip_c_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def c_preprocess(text: str) -> tuple[str, list[Decl]]:
    """Drop comments and what a C (not C++) compiler skips; collect
    `#define NAME number`."""
    text = strip_c_comments(text)
    out: list[str] = []
    defines: list[Decl] = []
    live: list[bool] = []
    for n, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if line.startswith("#"):
            words = line[1:].split()
            if not words:
                continue
            directive, args = words[0], words[1:]
            if directive == "ifdef":
                live.append(not (args and args[0] == "__cplusplus"))
            elif directive in ("ifndef", "if"):
                live.append(True)
            elif directive == "else":
                if not live:
                    raise ParseError(f"keel.h line {n}: #else without #if")
                live[-1] = not live[-1]
            elif directive == "endif":
                if not live:
                    raise ParseError(f"keel.h line {n}: #endif without #if")
                live.pop()
            elif directive == "define" and all(live) and len(args) >= 2:
                try:
                    value = int(args[1], 0)
                except ValueError:
                    continue
                defines.append(Decl(args[0], "constant", value=value, where=f"keel.h line {n}"))
            continue
        if all(live):
            out.append(raw)
    if live:
        raise ParseError("keel.h: unbalanced #if")
    return "\n".join(out), defines


def c_type(decl: str, has_name: bool) -> str:
    """Canonical spelling of a C declarator (without its name)."""
    tokens = re.findall(r"\*|[A-Za-z_]\w*", decl)
    if has_name and len(tokens) >= 2 and tokens[-1] != "*":
        tokens = tokens[:-1]
    base = [t for t in tokens if t not in ("const", "struct", "enum", "*")]
    stars = tokens.count("*")
    if len(base) != 1:
        raise ParseError(f"keel.h: cannot read the C type {decl.strip()!r}")
    name = base[0]
    if name in C_BASE:
        name = C_BASE[name]
    elif not name.startswith("keel_"):
        raise ParseError(f"keel.h: unknown C type {name!r} in {decl.strip()!r}")
    return name + "*" * stars


def parse_header(text: str) -> dict[str, Decl]:
    src, defines = c_preprocess(text)
    decls: dict[str, Decl] = {d.name: d for d in defines}

    chunks: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(src):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == ";" and depth == 0:
            chunks.append(" ".join(src[start:i].split()))
            start = i + 1
    if src[start:].strip():
        raise ParseError(f"keel.h: text after the last declaration: {src[start:].strip()[:60]!r}")

    enum_backing: dict[str, str] = {}
    for chunk in chunks:
        if not chunk:
            continue
        if chunk.startswith("typedef struct") and "{" in chunk:
            open_, close = chunk.index("{"), chunk.rindex("}")
            name = chunk[close + 1 :].strip()
            fields = []
            for f in chunk[open_ + 1 : close].split(";"):
                f = f.strip()
                if not f:
                    continue
                fname = re.findall(r"\w+", f)[-1]
                fields.append(f"{fname}:{c_type(f, True)}")
            decls[name] = Decl(name, "struct", sig=";".join(fields))
        elif chunk.startswith("typedef struct"):
            words = chunk.split()
            decls[words[-1]] = Decl(words[-1], "opaque")
        elif chunk.startswith("typedef"):
            words = chunk.split()
            enum_backing[words[-1]] = c_type(" ".join(words[1:-1]), False)
        elif chunk.startswith("enum "):
            name = chunk.split()[1]
            body = chunk[chunk.index("{") + 1 : chunk.rindex("}")]
            decls[name] = Decl(name, "enum")
            for member in body.split(","):
                member = member.strip()
                if not member:
                    continue
                if "=" not in member:
                    raise ParseError(f"keel.h: enum member without a number: {member!r}")
                mname, value = (s.strip() for s in member.split("=", 1))
                decls[mname] = Decl(mname, "constant", value=int(value, 0))
        elif "(" in chunk:
            head = chunk[: chunk.index("(")]
            name = re.findall(r"\w+", head)[-1]
            ret = c_type(head[: head.rindex(name)], False)
            params = chunk[chunk.index("(") + 1 : chunk.rindex(")")].strip()
            types = [] if params in ("", "void") else [c_type(p, True) for p in params.split(",")]
            decls[name] = Decl(name, "function", sig=f"{ret}({','.join(types)})")
        else:
            raise ParseError(f"keel.h: unrecognised declaration {chunk[:60]!r}")

    for name, backing in enum_backing.items():
        if name not in decls or decls[name].kind != "enum":
            raise ParseError(f"keel.h: typedef {name} names no enum")
        decls[name].sig = backing
    for d in decls.values():
        if d.kind == "enum" and not d.sig:
            raise ParseError(f"keel.h: enum {d.name} has no integer typedef")
    return decls


# ---------------------------------------------------------------------
# Odin

ODIN_BASE = {
    "u8": "u8",
    "i8": "i8",
    "byte": "u8",
    "i16": "i16",
    "u16": "u16",
    "i32": "i32",
    "u32": "u32",
    "i64": "i64",
    "u64": "u64",
    "uint": "usize",
    "c.size_t": "usize",
    "f32": "f32",
    "f64": "f64",
    "bool": "bool",
    "c.bool": "bool",
}


def strip_odin_comments(text: str) -> str:
    """Remove // and (nesting) /* */ comments, keeping string literals and
    line breaks."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            depth = 0
            while i < n:
                if text.startswith("/*", i):
                    depth += 1
                    i += 2
                elif text.startswith("*/", i):
                    depth -= 1
                    i += 2
                    if depth == 0:
                        break
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
            else:
                raise ParseError("keel.odin: unterminated block comment")
        elif ch in "\"`":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if (ch == '"' and text[j] == "\\") else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def c_name_of_type(odin_name: str) -> str:
    """`Pool_Stats` -> `keel_pool_stats`."""
    return "keel_" + odin_name.lower()


def odin_type(t: str, where: str) -> str:
    """Canonical spelling of an Odin type (as `c_type` gives for C)."""
    t = t.strip()
    if t.startswith("^") or t.startswith("[^]"):
        inner = t[1:] if t.startswith("^") else t[3:]
        return odin_type(inner, where) + "*"
    if t == "cstring":
        return "u8*"
    if t in ODIN_BASE:
        return ODIN_BASE[t]
    if re.fullmatch(r"[A-Z][A-Za-z0-9_]*", t):
        return c_name_of_type(t)
    raise ParseError(f"keel.odin {where}: cannot map the Odin type {t!r} to C")


def line_of(text: str, pos: int) -> str:
    return f"line {text.count(chr(10), 0, pos) + 1}"


def matching_brace(text: str, open_pos: int) -> int:
    depth = 0
    for i in range(open_pos, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise ParseError(f"keel.odin {line_of(text, open_pos)}: unbalanced braces")


def split_top(s: str, sep: str = ",") -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(s[start:i])
            start = i + 1
    parts.append(s[start:])
    return [p.strip() for p in parts if p.strip()]


def odin_params(params: str, where: str) -> list[str]:
    """Types of `a: T, b, c: U` as a list, one per parameter."""
    types: list[str] = []
    pending = 0
    for p in split_top(params):
        if ":" not in p:
            pending += 1
            continue
        _, t = p.split(":", 1)
        if "=" in t:
            raise ParseError(f"keel.odin {where}: default values have no C counterpart: {p!r}")
        canon = odin_type(t, where)
        types.extend([canon] * (pending + 1))
        pending = 0
    if pending:
        raise ParseError(f"keel.odin {where}: parameter without a type in ({params})")
    return types


def parse_odin(text: str) -> tuple[dict[str, Decl], list[str]]:
    """The declarations of keel.odin under their C names, and problems found
    while reading it (a foreign block without link_prefix="keel_", ...)."""
    src = strip_odin_comments(text)
    decls: dict[str, Decl] = {}
    problems: list[str] = []

    def add(d: Decl) -> None:
        if d.name in decls:
            problems.append(f"drift: {d.name} is declared twice in keel.odin ({d.where})")
        decls[d.name] = d

    # Foreign blocks: `@(attrs) foreign lib { ... }`.
    blocked: list[tuple[int, int]] = []
    for m in re.finditer(r"(@\s*\(([^)]*)\)\s*)?\bforeign\s+(\w+)\s*\{", src):
        open_pos = m.end() - 1
        close = matching_brace(src, open_pos)
        blocked.append((m.start(), close))
        where = line_of(src, m.start())
        attrs = m.group(2) or ""
        if not re.search(r'\blink_prefix\s*=\s*"keel_"', attrs):
            problems.append(f'drift: the foreign block at keel.odin {where} lacks link_prefix="keel_"')
        if not re.search(r'\bdefault_calling_convention\s*=\s*"c"', attrs):
            problems.append(f'drift: the foreign block at keel.odin {where} lacks default_calling_convention="c"')
        body = src[open_pos + 1 : close]
        body_start = open_pos + 1
        spans: list[tuple[int, int]] = []
        for p in re.finditer(r"(\w+)\s*::\s*proc\s*(\"c\"\s*)?\(", body):
            pos = body_start + p.start()
            pwhere = line_of(src, pos)
            # The parameter list: up to the matching parenthesis.
            depth, i = 0, p.end() - 1
            while True:
                if body[i] == "(":
                    depth += 1
                elif body[i] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
                if i >= len(body):
                    raise ParseError(f"keel.odin {pwhere}: unbalanced parentheses")
            params = body[p.end() : i]
            tail_end = body.find("---", i)
            if tail_end < 0:
                raise ParseError(f"keel.odin {pwhere}: foreign procedure without ---")
            tail = body[i + 1 : tail_end].strip()
            if tail.startswith("->"):
                ret = odin_type(tail[2:], pwhere)
            elif tail == "":
                ret = "void"
            else:
                raise ParseError(f"keel.odin {pwhere}: cannot read the result {tail!r}")
            sig = f"{ret}({','.join(odin_params(params, pwhere))})"
            add(Decl("keel_" + p.group(1), "function", sig=sig, where=pwhere))
            spans.append((p.start(), tail_end + 3))
        stray = body
        for a, b in reversed(spans):
            stray = stray[:a] + stray[b:]
        stray = stray.strip()
        if stray:
            problems.append(f"drift: keel.odin {where}: unexpected text in the foreign block: {stray[:60]!r}")

    outside = src
    for start, end in reversed(blocked):
        outside = outside[:start] + " " * (end + 1 - start) + outside[end + 1 :]

    for m in re.finditer(r"^\s*([A-Za-z_]\w*)\s*::\s*(enum|struct)\b([^{\n]*)\{", outside, re.M):
        name, what, extra = m.group(1), m.group(2), m.group(3).strip()
        open_pos = m.end() - 1
        close = matching_brace(outside, open_pos)
        body = outside[open_pos + 1 : close]
        where = line_of(outside, m.start())
        cname = c_name_of_type(name)
        if what == "enum":
            backing = ODIN_BASE.get(extra)
            if backing is None:
                raise ParseError(f"keel.odin {where}: enum {name} needs an integer backing type, not {extra!r}")
            add(Decl(cname, "enum", sig=backing, where=where))
            prefix = "KEEL_" + name.upper() + "_"
            for member in split_top(body):
                if "=" not in member:
                    problems.append(f"drift: {name}.{member} in keel.odin ({where}) needs an explicit number")
                    continue
                mname, value = (s.strip() for s in member.split("=", 1))
                try:
                    number = int(value, 0)
                except ValueError:
                    problems.append(f"drift: {name}.{mname} in keel.odin ({where}) is not a plain number: {value!r}")
                    continue
                add(Decl(prefix + mname.upper(), "constant", value=number, where=where))
        else:
            if extra:
                problems.append(f"drift: struct {name} in keel.odin ({where}) has directives {extra!r}; C layout needs none")
            fields = []
            for f in split_top(body):
                if ":" not in f:
                    raise ParseError(f"keel.odin {where}: cannot read the field {f!r} of {name}")
                fnames, t = f.split(":", 1)
                canon = odin_type(t, where)
                for fname in split_top(fnames):
                    fields.append(f"{fname}:{canon}")
            if fields:
                add(Decl(cname, "struct", sig=";".join(fields), where=where))
            else:
                add(Decl(cname, "opaque", where=where))

    for m in re.finditer(r"^\s*([A-Z][A-Z0-9_]*)\s*::\s*(-?(?:0x[0-9A-Fa-f]+|\d+))\s*$", outside, re.M):
        add(Decl("KEEL_" + m.group(1), "constant", value=int(m.group(2), 0), where=line_of(outside, m.start())))

    return decls, problems


# ---------------------------------------------------------------------
# Comparison

ODIN_NAME = {
    "function": lambda n: n[len("keel_") :],
    "constant": lambda n: n,
    "enum": lambda n: n,
    "struct": lambda n: n,
    "opaque": lambda n: n,
}


def compare(header_text: str, odin_text: str) -> list[str]:
    """Every difference between the header and keel.odin, one line each."""
    header = parse_header(header_text)
    odin, problems = parse_odin(odin_text)
    for name, h in header.items():
        o = odin.get(name)
        if o is None:
            problems.append(f"drift: {h.kind} {name} is in keel.h but not in keel.odin")
        elif o.kind != h.kind:
            problems.append(f"drift: {name} is a {h.kind} in keel.h but a {o.kind} in keel.odin ({o.where})")
        elif h.kind == "constant" and o.value != h.value:
            problems.append(f"drift: {name} is {h.value} in keel.h but {o.value} in keel.odin ({o.where})")
        elif o.sig != h.sig:
            problems.append(f"drift: {h.kind} {name} differs ({o.where})\n  keel.h:    {h.sig}\n  keel.odin: {o.sig}")
    for name, o in odin.items():
        if name not in header:
            problems.append(f"drift: {o.kind} {name} is in keel.odin ({o.where}) but not in keel.h")
    return problems


def summary(header_text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in parse_header(header_text).values():
        counts[d.kind] = counts.get(d.kind, 0) + 1
    return counts


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 3):
        print("usage: odin_drift.py [HEADER ODIN_FILE]", file=sys.stderr)
        return 2
    header_path = Path(argv[1]) if len(argv) == 3 else HEADER
    odin_path = Path(argv[2]) if len(argv) == 3 else ODIN_FILE
    header_text = header_path.read_text()
    try:
        problems = compare(header_text, odin_path.read_text())
    except ParseError as e:
        print(f"drift: {e}")
        return 1
    for p in problems:
        print(p)
    if problems:
        print(f"{odin_path} differs from {header_path} in {len(problems)} place(s)")
        return 1
    counts = summary(header_text)
    print(
        f"{odin_path.name} matches {header_path.name}: {counts.get('function', 0)} functions, "
        f"{counts.get('enum', 0)} enums, {counts.get('constant', 0)} constants, "
        f"{counts.get('struct', 0)} structs, {counts.get('opaque', 0)} opaque types"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
