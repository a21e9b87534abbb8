//! Checks on `include/keel.h`: (a) the header build.rs generates from the
//! current sources is the committed one; (b) it compiles on its own as C
//! and C++ with warnings as errors; (c) every exported function has a full
//! doc block; (d) the version macros match Cargo.toml and the library.

use keel::ffi::version::{keel_version, keel_version_number};
use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The header as build.rs wrote it for this build.
fn header() -> String {
    std::fs::read_to_string(root().join("include/keel.h")).expect("read include/keel.h")
}

// ---- (a) drift ---------------------------------------------------------------------

#[test]
fn generated_header_matches_the_committed_one() {
    let inside = Command::new("git").arg("-C").arg(root()).args(["rev-parse", "--is-inside-work-tree"]).output();
    match inside {
        Ok(o) if o.status.success() => {}
        Ok(_) => {
            println!("skipped: {} is not a git checkout", root().display());
            return;
        }
        Err(e) => {
            println!("skipped: cannot run git ({e})");
            return;
        }
    }
    let out = Command::new("git").arg("-C").arg(root()).args(["show", "HEAD:include/keel.h"]).output().expect("run git show");
    assert!(
        out.status.success(),
        "include/keel.h is not committed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = String::from_utf8(out.stdout).expect("committed header is UTF-8");
    let generated = header();
    if committed != generated {
        let (i, (c, g)) = committed
            .lines()
            .chain(std::iter::repeat("<end of file>"))
            .zip(generated.lines().chain(std::iter::repeat("<end of file>")))
            .enumerate()
            .find(|(_, (c, g))| c != g)
            .expect("texts differ, so some line does");
        panic!(
            "include/keel.h generated from the sources differs from the committed one \
             (rebuild and commit it with the change to src/ffi).\n\
             first difference at line {}:\n  committed: {c}\n  generated: {g}",
            i + 1
        );
    }
}

// ---- (b) standalone compile ------------------------------------------------------------

/// A scratch directory for compiler output, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("keel-header-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create scratch dir");
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A translation unit that includes the header twice (the include guard)
/// and touches every struct and enum, so they must be complete types.
const TU: &str = r#"#include "keel.h"
#include "keel.h"

int keel_header_check(void);
int keel_header_check(void) {
    size_t sizes = sizeof(keel_value) + sizeof(keel_exec_result) + sizeof(keel_tx_options);
    keel_status s = KEEL_STATUS_OK;
    keel_type t = KEEL_TYPE_DECIMAL;
    keel_nullable n = KEEL_NULLABLE_UNKNOWN;
    keel_dialect d = KEEL_DIALECT_SQLITE;
    keel_isolation i = KEEL_ISOLATION_SERIALIZABLE;
    keel_tx_lock l = KEEL_TX_LOCK_IMMEDIATE;
    keel_db *db = NULL;
    keel_conn *conn = NULL;
    keel_stmt *stmt = NULL;
    keel_rows *rows = NULL;
    keel_error *err = NULL;
    (void)s; (void)t; (void)n; (void)d; (void)i; (void)l;
    (void)db; (void)conn; (void)stmt; (void)rows; (void)err;
    return KEEL_VERSION_NUMBER > 0 && sizes > 0 ? 0 : 1;
}
"#;

/// Compile `TU` with `compiler` and `std`, warnings as errors. Returns
/// false (after printing `skipped:`) when the compiler is not on PATH.
fn compiles(compiler: &str, lang: &str, std: &str) -> bool {
    let dir = Scratch::new(&format!("{lang}-{std}"));
    let ext = if lang == "c++" { "cpp" } else { "c" };
    let src = dir.0.join(format!("tu.{ext}"));
    std::fs::write(&src, TU).unwrap();
    let out = Command::new(compiler)
        .args(["-x", lang, &format!("-std={std}"), "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(&src)
        .arg("-o")
        .arg(dir.0.join("tu.o"))
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("skipped: {compiler} is not on PATH");
            return false;
        }
        Err(e) => panic!("cannot run {compiler}: {e}"),
    };
    assert!(
        out.status.success(),
        "include/keel.h does not compile standalone with {compiler} -std={std}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.0.join("tu.o").exists(), "{compiler} wrote no object file");
    true
}

#[test]
fn header_compiles_standalone_as_c11() {
    compiles("cc", "c", "c11");
}

#[test]
fn header_compiles_standalone_as_c99() {
    compiles("cc", "c", "c99");
}

#[test]
fn header_compiles_standalone_as_cpp17() {
    compiles("c++", "c++", "c++17");
}

// ---- (c) docs -------------------------------------------------------------------------------

/// One exported function: its declaration (joined onto one line) and the
/// text of the doc block right above it, if any.
struct Decl {
    name: String,
    decl: String,
    doc: Option<String>,
}

/// The function declarations of the header, with their doc blocks.
fn functions(h: &str) -> Vec<Decl> {
    let lines: Vec<&str> = h.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let is_decl = !line.starts_with([' ', '*', '/', '#', '}', '{'])
            && !line.starts_with("typedef")
            && !line.starts_with("enum")
            && !line.starts_with("extern")
            && line.contains('(');
        if !is_decl {
            i += 1;
            continue;
        }
        let mut decl = line.trim().to_owned();
        let start = i;
        while !decl.ends_with(';') {
            i += 1;
            decl.push(' ');
            decl.push_str(lines[i].trim());
        }
        let name = decl[..decl.find('(').unwrap()].rsplit([' ', '*']).next().unwrap().to_owned();
        // The doc block must end on the line just above.
        let doc = (start > 0 && lines[start - 1].trim() == "*/").then(|| {
            let mut j = start - 1;
            while !lines[j].trim_start().starts_with("/**") {
                j -= 1;
            }
            lines[j + 1..start - 1]
                .iter()
                .map(|l| l.trim().strip_prefix('*').unwrap_or(l.trim()).trim())
                .collect::<Vec<_>>()
                .join("\n")
        });
        out.push(Decl { name, decl, doc });
        i += 1;
    }
    out
}

/// Whether the function hands out a borrowed pointer: returns `const char
/// *`, or has a `const char **` / `const uint8_t **` out-parameter.
fn borrows(decl: &str) -> bool {
    let ret = &decl[..decl.find('(').unwrap()];
    let params = &decl[decl.find('(').unwrap()..];
    ret.contains("const char *") || params.contains("const char **") || params.contains("const uint8_t **")
}

#[test]
fn header_declares_every_exported_function() {
    let fns = functions(&header());
    let mut exported = Vec::new();
    for f in std::fs::read_dir(root().join("src/ffi")).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        for part in text.split("pub extern \"C\" fn ").skip(1) {
            exported.push(part.split('(').next().unwrap().trim().to_owned());
        }
    }
    exported.sort();
    let mut declared: Vec<String> = fns.iter().map(|d| d.name.clone()).collect();
    declared.sort();
    assert!(exported.len() >= 60, "found only {} exported functions", exported.len());
    assert_eq!(declared, exported, "the header's functions differ from src/ffi's exports");
    assert!(declared.iter().all(|n| n.starts_with("keel_")), "{declared:?}");
}

#[test]
fn every_exported_function_has_a_complete_doc_block() {
    let fns = functions(&header());
    assert!(fns.len() >= 60, "parsed only {} functions", fns.len());
    let mut problems = Vec::new();
    for f in &fns {
        let Some(doc) = &f.doc else {
            problems.push(format!("{}: no doc block", f.name));
            continue;
        };
        let summary = doc.lines().next().unwrap_or("");
        if !summary.starts_with(|c: char| c.is_ascii_uppercase()) {
            problems.push(format!("{}: no summary line (got {summary:?})", f.name));
        }
        let first_para = doc.split("\n\n").next().unwrap_or("");
        if !first_para.trim_end().ends_with('.') {
            problems.push(format!("{}: summary does not end with a period", f.name));
        }
        let at = |key: &str| doc.lines().position(|l| l.starts_with(key));
        let mut order = Vec::new();
        let mut required = vec!["Ownership:", "Errors:", "Since:"];
        if borrows(&f.decl) {
            required.insert(1, "Lifetime:");
        }
        for key in &required {
            match at(key) {
                Some(p) => order.push(p),
                None => problems.push(format!("{}: no `{key}` paragraph", f.name)),
            }
        }
        if order.len() == required.len() && !order.windows(2).all(|w| w[0] < w[1]) {
            problems.push(format!("{}: paragraphs not in the order {required:?}", f.name));
        }
        if let Some(p) = at("Since:") {
            let v = doc.lines().nth(p).unwrap().trim_start_matches("Since:").trim();
            let parts: Vec<_> = v.split('.').collect();
            if parts.len() != 3 || !parts.iter().all(|p| p.parse::<u32>().is_ok()) {
                problems.push(format!("{}: `Since:` is not a version: {v:?}", f.name));
            }
        }
    }
    assert!(problems.is_empty(), "{} doc problems:\n{}", problems.len(), problems.join("\n"));
}

/// Every handle type of the header (`typedef struct keel_x keel_x;`).
fn handle_types(h: &str) -> Vec<String> {
    // Opaque handles are `typedef struct keel_x keel_x;`; structs with
    // fields (keel_value, ...) are not handles.
    h.lines()
        .filter_map(|l| l.strip_prefix("typedef struct "))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (a, b) = (w.next()?, w.next()?);
            (b.strip_suffix(';') == Some(a)).then(|| a.to_owned())
        })
        .collect()
}

/// The doc block right above a handle's typedef, joined onto one line.
fn handle_doc(h: &str, t: &str) -> String {
    let decl = format!("typedef struct {t} {t};");
    let at = h.find(&decl).unwrap_or_else(|| panic!("{decl} not in the header"));
    let doc_start = h[..at].rfind("/**").expect("doc block");
    let doc = &h[doc_start..at];
    assert!(doc.trim_end().ends_with("*/"), "{t}: doc block is not right above it");
    doc.lines().map(|l| l.trim().trim_start_matches('*').trim()).collect::<Vec<_>>().join(" ")
}

#[test]
fn every_handle_type_is_documented_as_an_object() {
    let h = header();
    let types = handle_types(&h);
    for t in ["keel_db", "keel_conn", "keel_stmt", "keel_rows", "keel_cancel", "keel_buffer", "keel_error"] {
        assert!(types.iter().any(|x| x == t), "{t} is not a handle type of the header: {types:?}");
    }
    for t in &types {
        let doc = handle_doc(&h, t);
        for key in ["Created by", "destroyed by", "Methods:", &format!("{t}_free")] {
            assert!(doc.contains(key), "{t}: doc lacks {key:?}");
        }
    }
}

/// Each handle's "Methods:" list names every function of that handle (a
/// `keel_x_y_*` in the list covers every `keel_x_y_...`).
#[test]
fn every_handle_lists_all_its_methods() {
    let h = header();
    let fns = functions(&h);
    let mut problems = Vec::new();
    for t in handle_types(&h) {
        let doc = handle_doc(&h, &t);
        let methods = &doc[doc.find("Methods:").unwrap_or(0)..];
        let listed: Vec<&str> = methods
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '*'))
            .filter(|w| w.starts_with("keel_"))
            .collect();
        for f in fns.iter().filter(|f| f.name.starts_with(&format!("{t}_")) && f.name != format!("{t}_free")) {
            let covered = listed.iter().any(|l| match l.strip_suffix('*') {
                Some(prefix) => f.name.starts_with(prefix),
                None => *l == f.name,
            });
            if !covered && !doc.contains(&f.name) {
                problems.push(format!("{t}: {} is not in its Methods: list", f.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A pointer borrowed from a cursor's row is valid until the cursor moves
/// or is freed: every such "Lifetime:" names every call that ends it.
#[test]
fn row_borrows_name_every_call_that_ends_them() {
    let fns = functions(&header());
    let mut problems = Vec::new();
    for f in &fns {
        let Some(doc) = &f.doc else { continue };
        let Some(at) = doc.find("Lifetime:") else { continue };
        let lifetime = doc[at..].split("\n\n").next().unwrap().replace('\n', " ");
        if !lifetime.contains("keel_rows_next") {
            continue;
        }
        for ends in ["keel_rows_next`", "keel_rows_next_values", "keel_rows_fetch_batch", "keel_rows_free"] {
            if !lifetime.contains(ends) {
                problems.push(format!("{}: its Lifetime: does not name {ends}", f.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The preamble's URLS AND OPTIONS section names every option every engine
/// takes, with its default when it has one.
#[test]
fn header_documents_every_option_and_its_default() {
    let h = header();
    let start = h.find(" * URLS AND OPTIONS").expect("a URLS AND OPTIONS section");
    let end = start + h[start..].find(" * ERRORS").expect("ERRORS after it");
    let section = h[start..end].replace(" * ", " ").replace('\n', " ");
    let mut problems = Vec::new();
    let mut specs: Vec<&keel::core::options::OptSpec> = keel::core::options::POOL_OPTIONS.iter().collect();
    for d in keel::registry().drivers() {
        specs.extend(d.options());
    }
    for spec in specs {
        let Some(at) = section.find(&format!(" {} (", spec.key)).or_else(|| section.find(&format!(" {} ", spec.key))) else {
            problems.push(format!("option {} is not in the header", spec.key));
            continue;
        };
        if !spec.default.is_empty() {
            let after = &section[at..section.len().min(at + 160)];
            if !after.contains(spec.default) {
                problems.push(format!("option {}: default {:?} not given", spec.key, spec.default));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn header_has_no_function_like_macros_or_varargs() {
    let h = header();
    for line in h.lines().filter(|l| l.starts_with("#define")) {
        let name = line.split_whitespace().nth(1).unwrap();
        assert!(!name.contains('('), "function-like macro: {line}");
        assert!(name.starts_with("KEEL_"), "macro without the KEEL_ prefix: {line}");
    }
    for f in functions(&h) {
        assert!(!f.decl.contains("..."), "varargs: {}", f.decl);
    }
}

// ---- (d) version --------------------------------------------------------------------------------

fn cargo_version() -> (u32, u32, u32) {
    let toml = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let mut in_package = false;
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && line.starts_with("version") {
            let v = line.split('=').nth(1).unwrap().trim().trim_matches('"');
            let p: Vec<u32> = v.split('.').map(|x| x.parse().expect("numeric version")).collect();
            assert_eq!(p.len(), 3, "version {v} is not X.Y.Z");
            return (p[0], p[1], p[2]);
        }
    }
    panic!("no version in [package] of Cargo.toml");
}

fn define(h: &str, name: &str) -> u32 {
    let prefix = format!("#define {name} ");
    let line = h.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no #define {name}"));
    line[prefix.len()..].trim().parse().unwrap_or_else(|_| panic!("{line}: not a number"))
}

#[test]
fn version_macros_match_cargo_toml_and_the_library() {
    let (x, y, z) = cargo_version();
    let h = header();
    assert_eq!(define(&h, "KEEL_VERSION_MAJOR"), x);
    assert_eq!(define(&h, "KEEL_VERSION_MINOR"), y);
    assert_eq!(define(&h, "KEEL_VERSION_PATCH"), z);
    let number = x * 1_000_000 + y * 1_000 + z;
    assert_eq!(define(&h, "KEEL_VERSION_NUMBER"), number);
    assert_eq!(keel_version_number(), number);
    // SAFETY: keel_version returns a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(keel_version()) }.to_str().unwrap();
    assert_eq!(v, format!("{x}.{y}.{z}"));
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
}
