//! One version everywhere: Cargo.toml's is what the header's macros, the
//! library (`keel_version`), the Python package, the Zig package and the
//! generated Odin, Zig and Python declarations say, and the newest section
//! of CHANGELOG.md; and CHANGELOG.md lists every C function under the
//! version its doc comment's `Since:` names.

use keel::ffi::version::{keel_version, keel_version_number};
use serde_json::Value;
use std::collections::BTreeMap;
use std::ffi::CStr;
use std::path::Path;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text between `start` and the next `end` (`'\n'`: the end of the
/// line) on the first line of `text` that starts (after blanks) with `start`.
fn value_after(text: &str, start: &str, end: char, what: &str) -> String {
    let line = text.lines().map(str::trim_start).find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("{what}: no line `{start}...`"));
    let rest = &line[start.len()..];
    if end == '\n' {
        return rest.trim_end().to_owned();
    }
    rest[..rest.find(end).unwrap_or_else(|| panic!("{what}: `{line}` has no closing {end}"))].to_owned()
}

fn parse(v: &str) -> (u32, u32, u32) {
    let p: Vec<u32> = v.split('.').map(|x| x.parse().unwrap_or_else(|_| panic!("version {v} is not X.Y.Z"))).collect();
    assert_eq!(p.len(), 3, "version {v} is not X.Y.Z");
    (p[0], p[1], p[2])
}

fn number() -> u32 {
    let p: Vec<u32> = VERSION.split('.').map(|x| x.parse().unwrap()).collect();
    p[0] * 1_000_000 + p[1] * 1_000 + p[2]
}

#[test]
fn every_package_and_binding_names_the_crate_version() {
    // SAFETY: keel_version returns a static NUL-terminated string.
    assert_eq!(unsafe { CStr::from_ptr(keel_version()) }.to_str().unwrap(), VERSION);
    assert_eq!(keel_version_number(), number());
    let checks = [
        ("bindings/python/pyproject.toml", value_after(&read("bindings/python/pyproject.toml"), "version = \"", '"', "pyproject.toml")),
        ("bindings/python/keel/__init__.py", value_after(&read("bindings/python/keel/__init__.py"), "__version__ = \"", '"', "__init__.py")),
        ("bindings/zig/build.zig.zon", value_after(&read("bindings/zig/build.zig.zon"), ".version = \"", '"', "build.zig.zon")),
    ];
    for (file, v) in checks {
        assert_eq!(v, VERSION, "{file} says version {v}, Cargo.toml {VERSION}: bump them together");
    }
    let n = number().to_string();
    let generated = [
        ("bindings/python/keel/_abi.py", value_after(&read("bindings/python/keel/_abi.py"), "KEEL_VERSION_NUMBER = ", '\n', "_abi.py")),
        ("bindings/zig/src/c.zig", value_after(&read("bindings/zig/src/c.zig"), "pub const KEEL_VERSION_NUMBER = ", ';', "c.zig")),
        ("bindings/odin/keel/c/keel.odin", value_after(&read("bindings/odin/keel/c/keel.odin"), "VERSION_NUMBER :: ", '\n', "keel.odin")),
    ];
    for (file, v) in generated {
        assert_eq!(v.trim(), n, "{file} says KEEL_VERSION_NUMBER {v}: run `cargo build` then `python3 bindings/generate.py`");
    }
    let changelog = read("CHANGELOG.md");
    let newest = changelog.lines().find_map(|l| l.strip_prefix("## ")).expect("CHANGELOG.md has no `## X.Y.Z` section");
    assert_eq!(newest.trim(), VERSION, "CHANGELOG.md's newest section is {newest}; add one for {VERSION}");
}

/// CHANGELOG.md's `## X.Y.Z` sections and the text of each.
fn changelog_sections() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in read("CHANGELOG.md").lines() {
        if let Some(v) = line.strip_prefix("## ") {
            current = Some(v.trim().to_owned());
            out.insert(v.trim().to_owned(), String::new());
        } else if let Some(v) = &current {
            let s = out.get_mut(v).unwrap();
            s.push_str(line);
            s.push('\n');
        }
    }
    out
}

/// Every `keel_*` name in backquotes in `text`.
fn names_in(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).filter(|s| s.starts_with("keel_") && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).map(str::to_owned).collect()
}

#[test]
fn changelog_lists_every_function_under_its_since_version() {
    let api: Value = serde_json::from_str(&read("include/keel.json")).unwrap();
    let sections = changelog_sections();
    let mut functions = Vec::new();
    for f in api["functions"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let doc: Vec<&str> = f["doc"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
        let since = doc.iter().find_map(|l| l.strip_prefix("Since: ")).unwrap_or_else(|| panic!("{name}: its doc has no `Since: X.Y.Z` line"));
        let section = sections.get(since.trim()).unwrap_or_else(|| panic!("{name} is Since: {since}, and CHANGELOG.md has no `## {since}` section"));
        assert!(names_in(section).iter().any(|n| n == name), "CHANGELOG.md: list `{name}` under `## {since}` (its Since: line)");
        functions.push((name.to_owned(), since.trim().to_owned()));
    }
    // And nothing listed that is not there, or listed as new in a version
    // that did not add it (a function another version added may be named
    // in passing, as `keel_conn_free` is beside `keel_conn_return`).
    for (version, text) in &sections {
        for n in names_in(text) {
            let is_type_or_handle = ["keel_db", "keel_conn", "keel_stmt", "keel_rows", "keel_cancel", "keel_buffer", "keel_error", "keel_value", "keel_capability"]
                .contains(&n.as_str())
                || api["structs"].as_array().unwrap().iter().any(|s| s["name"] == n.as_str())
                || api["enums"].as_array().unwrap().iter().any(|e| e["name"] == n.as_str());
            if is_type_or_handle {
                continue;
            }
            let since = functions.iter().find(|(f, _)| *f == n).map(|(_, s)| s.as_str());
            assert!(since.is_some(), "CHANGELOG.md `## {version}` names `{n}`, which the C API does not have");
            assert!(parse(since.unwrap()) <= parse(version), "CHANGELOG.md `## {version}` names `{n}`, which is Since: {}", since.unwrap());
        }
    }
}
