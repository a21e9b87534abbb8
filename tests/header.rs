//! Checks on `include/keel.h` and `include/keel.json`: (a) the header and
//! the API description build.rs generates from the current sources are the
//! committed ones, and the bindings' declarations are generated from that
//! description; (b) the header compiles on its own as C and C++ with
//! warnings as errors; (c) every exported function has a full doc block,
//! every handle lists its methods, and row borrows name what ends them
//! (read from keel.json, so nothing here parses C); (d) the version macros
//! match Cargo.toml and the library.

use keel::ffi::version::{keel_version, keel_version_number};
use serde_json::Value;
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

/// `file` (under the repository) as build.rs wrote it for this build
/// equals its committed copy.
fn matches_the_committed_copy(file: &str, what: &str) {
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
    let out = Command::new("git").arg("-C").arg(root()).args(["show", &format!("HEAD:{file}")]).output().expect("run git show");
    assert!(out.status.success(), "{file} is not committed: {}", String::from_utf8_lossy(&out.stderr));
    let committed = String::from_utf8(out.stdout).unwrap_or_else(|_| panic!("committed {file} is UTF-8"));
    let generated = std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("read {file}: {e}"));
    if committed != generated {
        let (i, (c, g)) = committed
            .lines()
            .chain(std::iter::repeat("<end of file>"))
            .zip(generated.lines().chain(std::iter::repeat("<end of file>")))
            .enumerate()
            .find(|(_, (c, g))| c != g)
            .expect("texts differ, so some line does");
        panic!(
            "{file} generated from the sources differs from the committed one \
             (rebuild and commit it with the change to {what}).\n\
             first difference at line {}:\n  committed: {c}\n  generated: {g}",
            i + 1
        );
    }
}

#[test]
fn generated_header_matches_the_committed_one() {
    matches_the_committed_copy("include/keel.h", "src/ffi, cbindgen.toml or the option table");
}

#[test]
fn generated_api_description_matches_the_committed_one() {
    matches_the_committed_copy("include/keel.json", "src/ffi or the option table");
}

/// The bindings' declarations (Zig `src/c.zig`, Odin `keel/c/keel.odin`,
/// Python `keel/_abi.py`) are what `bindings/generate.py` writes from
/// `include/keel.json`.
#[test]
fn binding_declarations_are_generated_from_the_api_description() {
    let out = match Command::new("python3").arg(root().join("bindings/generate.py")).arg("--check").output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("skipped: python3 is not on PATH");
            return;
        }
        Err(e) => panic!("cannot run python3: {e}"),
    };
    assert!(
        out.status.success(),
        "bindings/generate.py --check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
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
    compiles_tu(compiler, lang, std, TU, "keel.h")
}

/// `tu` compiles with warnings as errors (see [`compiles`]).
fn compiles_tu(compiler: &str, lang: &str, std: &str, tu: &str, what: &str) -> bool {
    let dir = Scratch::new(&format!("{lang}-{std}-{}", what.replace('.', "_")));
    let ext = if lang == "c++" { "cpp" } else { "c" };
    let src = dir.0.join(format!("tu.{ext}"));
    std::fs::write(&src, tu).unwrap();
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
        "include/{what} does not compile standalone with {compiler} -std={std}:\n{}{}",
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

/// keel_driver.h, with a driver's table filled in as the header's
/// preamble says (keel.h's opaque `keel_driver_v1` and keel_driver.h's
/// definition are one type, so C11, not C99, which forbids a repeated
/// typedef).
const DRIVER_TU: &str = r#"#include "keel_driver.h"
#include "keel_driver.h"

static int32_t ping(void *conn, keel_error **err_out) {
    (void)conn;
    if (err_out) *err_out = keel_error_new(KEEL_STATUS_IO, "08006", 7, "gone");
    return KEEL_STATUS_IO;
}

const keel_driver_v1 *keel_driver_entry(const keel_driver_host *host);
const keel_driver_v1 *keel_driver_entry(const keel_driver_host *host) {
    static keel_driver_v1 t;
    (void)host;
    t.size = sizeof t;
    t.abi_version = KEEL_DRIVER_ABI_VERSION;
    t.flags = KEEL_DRIVER_URL_NAMES_A_FILE;
    t.name = "x";
    t.schemes = "x";
    t.syntax_flags = KEEL_SYNTAX_DOLLAR_QUOTES;
    t.conn_ping = ping;
    return &t;
}

int keel_driver_header_check(void);
int keel_driver_header_check(void) {
    keel_status (*reg)(const keel_driver_v1 *, keel_error **) = keel_driver_register;
    keel_driver_entry_fn entry = keel_driver_entry;
    return reg != NULL && entry != NULL && sizeof(keel_driver_url) > 0 && sizeof(keel_driver_column) > 0
        && KEEL_DRIVER_ENTRY[0] == 'k';
}
"#;

#[test]
fn driver_header_matches_the_committed_one() {
    matches_the_committed_copy("include/keel_driver.h", "src/ext/abi.rs or cbindgen-driver.toml");
}

#[test]
fn driver_header_compiles_standalone_as_c11() {
    compiles_tu("cc", "c", "c11", DRIVER_TU, "keel_driver.h");
}

#[test]
fn driver_header_compiles_standalone_as_cpp17() {
    compiles_tu("c++", "c++", "c++17", DRIVER_TU, "keel_driver.h");
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
//
// Read from include/keel.json, which build.rs writes from the same parse
// of src/ffi as the header: names, C types and doc comments as data, so
// nothing here parses C.

fn api() -> Value {
    let text = std::fs::read_to_string(root().join("include/keel.json")).expect("read include/keel.json");
    serde_json::from_str(&text).expect("include/keel.json is JSON")
}

fn list<'a>(api: &'a Value, key: &str) -> &'a Vec<Value> {
    api[key].as_array().unwrap_or_else(|| panic!("keel.json has no {key} array"))
}

/// The opaque types keel hands out (every one but `keel_driver_v1`, which
/// a driver defines in keel_driver.h and keel only takes).
fn handles(api: &Value) -> Vec<&Value> {
    list(api, "handles").iter().filter(|h| name(h) != "keel_driver_v1").collect()
}

fn name(item: &Value) -> &str {
    item["name"].as_str().expect("a name")
}

/// A doc comment of keel.json (an array of lines) as one text.
fn doc_text(item: &Value) -> String {
    let lines: Vec<&str> = item["doc"].as_array().expect("a doc").iter().map(|l| l.as_str().expect("a doc line")).collect();
    lines.join("\n")
}

/// Whether a keel.json type is `const char *`/`const uint8_t *` with
/// `pointers` levels.
fn is_const_bytes(t: &Value, pointers: u64) -> bool {
    t["const"] == true && t["pointers"] == pointers && matches!(t["base"].as_str(), Some("char" | "uint8_t"))
}

/// Whether the function hands out a borrowed pointer: returns `const char
/// *`/`const uint8_t *`, or has a `const char **`/`const uint8_t **`
/// out-parameter.
fn borrows(f: &Value) -> bool {
    is_const_bytes(&f["returns"], 1) || list(f, "params").iter().any(|p| is_const_bytes(&p["type"], 2))
}

#[test]
fn the_api_description_declares_every_exported_function() {
    let api = api();
    let h = header();
    let mut exported = Vec::new();
    for f in std::fs::read_dir(root().join("src/ffi")).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        for part in text.split("pub extern \"C\" fn ").skip(1) {
            exported.push(part.split('(').next().unwrap().trim().to_owned());
        }
    }
    exported.sort();
    let mut described: Vec<String> = list(&api, "functions").iter().map(|f| name(f).to_owned()).collect();
    described.sort();
    assert!(exported.len() >= 60, "found only {} exported functions", exported.len());
    assert_eq!(described, exported, "keel.json's functions differ from src/ffi's exports");
    for f in &described {
        assert!(f.starts_with("keel_"), "{f}");
        assert!(h.contains(&format!(" {f}(")) || h.contains(&format!("*{f}(")), "{f} is in keel.json but not declared in keel.h");
    }
    for c in list(&api, "constants") {
        assert!(h.contains(&format!("#define {} ", name(c))), "{} is in keel.json but not in keel.h", name(c));
    }
}

#[test]
fn every_exported_function_has_a_complete_doc_block() {
    let api = api();
    let fns = list(&api, "functions");
    assert!(fns.len() >= 60, "keel.json has only {} functions", fns.len());
    let mut problems = Vec::new();
    for f in fns {
        let name = name(f);
        let doc = doc_text(f);
        if doc.is_empty() {
            problems.push(format!("{name}: no doc block"));
            continue;
        }
        let summary = doc.lines().next().unwrap_or("");
        if !summary.starts_with(|c: char| c.is_ascii_uppercase()) {
            problems.push(format!("{name}: no summary line (got {summary:?})"));
        }
        let first_para = doc.split("\n\n").next().unwrap_or("");
        if !first_para.trim_end().ends_with('.') {
            problems.push(format!("{name}: summary does not end with a period"));
        }
        let at = |key: &str| doc.lines().position(|l| l.starts_with(key));
        let mut order = Vec::new();
        let mut required = vec!["Ownership:", "Errors:", "Since:"];
        if borrows(f) {
            required.insert(1, "Lifetime:");
        }
        for key in &required {
            match at(key) {
                Some(p) => order.push(p),
                None => problems.push(format!("{name}: no `{key}` paragraph")),
            }
        }
        if order.len() == required.len() && !order.windows(2).all(|w| w[0] < w[1]) {
            problems.push(format!("{name}: paragraphs not in the order {required:?}"));
        }
        if let Some(p) = at("Since:") {
            let v = doc.lines().nth(p).unwrap().trim_start_matches("Since:").trim();
            let parts: Vec<_> = v.split('.').collect();
            if parts.len() != 3 || !parts.iter().all(|p| p.parse::<u32>().is_ok()) {
                problems.push(format!("{name}: `Since:` is not a version: {v:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{} doc problems:\n{}", problems.len(), problems.join("\n"));
}

/// A handle's doc in keel.json, joined onto one line.
fn handle_doc(h: &Value) -> String {
    doc_text(h).replace('\n', " ")
}

#[test]
fn every_handle_type_is_documented_as_an_object() {
    let api = api();
    let handles = handles(&api);
    let names: Vec<&str> = handles.iter().map(|h| name(h)).collect();
    for t in ["keel_db", "keel_conn", "keel_stmt", "keel_rows", "keel_cancel", "keel_buffer", "keel_error"] {
        assert!(names.contains(&t), "{t} is not a handle of keel.json: {names:?}");
    }
    for h in handles {
        let t = name(h);
        assert!(header().contains(&format!("typedef struct {t} {t};")), "{t} is not an opaque typedef of keel.h");
        let doc = handle_doc(h);
        for key in ["Created by", "destroyed by", "Methods:", &format!("{t}_free")] {
            assert!(doc.contains(key), "{t}: doc lacks {key:?}");
        }
    }
}

/// Each handle's "Methods:" list names every function of that handle (a
/// `keel_x_y_*` in the list covers every `keel_x_y_...`). A function
/// belongs to the handle its first parameter is a pointer to.
#[test]
fn every_handle_lists_all_its_methods() {
    let api = api();
    let fns = list(&api, "functions");
    let mut problems = Vec::new();
    let mut checked = 0;
    for h in handles(&api) {
        let t = name(h);
        let doc = handle_doc(h);
        let methods = &doc[doc.find("Methods:").unwrap_or(0)..];
        let listed: Vec<&str> = methods
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '*'))
            .filter(|w| w.starts_with("keel_"))
            .collect();
        for f in fns {
            let fname = name(f);
            let first = list(f, "params").first().map(|p| &p["type"]);
            let takes_handle = first.is_some_and(|p| p["base"] == t && p["pointers"] == 1);
            if !(takes_handle || fname.starts_with(&format!("{t}_"))) || fname == format!("{t}_free") {
                continue;
            }
            checked += 1;
            let covered = listed.iter().any(|l| match l.strip_suffix('*') {
                Some(prefix) => fname.starts_with(prefix),
                None => *l == fname,
            });
            if !covered && !doc.contains(fname) {
                problems.push(format!("{t}: {fname} is not in its Methods: list"));
            }
        }
    }
    assert!(checked >= 60, "only {checked} methods were checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The paragraph of `doc` that starts with `key`, joined onto one line.
fn paragraph(doc: &str, key: &str) -> Option<String> {
    let at = doc.find(key)?;
    Some(doc[at..].split("\n\n").next().unwrap().replace('\n', " "))
}

/// The calls that end each handle: those whose `Ownership:` says they take
/// the handle back (`keel_conn_free`, `keel_conn_return`, `keel_conn_close`).
fn destructors(api: &Value) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for h in handles(api) {
        let t = name(h);
        let ends: Vec<String> = list(api, "functions")
            .iter()
            .filter(|f| {
                let Some(first) = list(f, "params").first() else { return false };
                let ownership = paragraph(&doc_text(f), "Ownership:").unwrap_or_default();
                first["type"]["base"] == t && ownership.starts_with(&format!("Ownership: takes back `{}`", name(first)))
            })
            .map(|f| name(f).to_owned())
            .collect();
        out.push((t.to_owned(), ends));
    }
    out
}

/// Every handle's doc names every call that destroys it, and `keel_T_free`
/// is one of them.
#[test]
fn every_handle_names_every_call_that_destroys_it() {
    let api = api();
    let ends = destructors(&api);
    let mut problems = Vec::new();
    for (h, (t, calls)) in handles(&api).into_iter().zip(&ends) {
        if !calls.contains(&format!("{t}_free")) {
            problems.push(format!("{t}_free does not say it takes back its {t}"));
        }
        for c in calls {
            if !handle_doc(h).contains(c.as_str()) {
                problems.push(format!("{t}: its doc does not name {c}, which destroys it"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A borrowed pointer lives until something ends it, and its `Lifetime:`
/// says what: the process's life, or every call that destroys the handle
/// it belongs to (a `Lifetime:` naming one of `keel_conn_free`,
/// `keel_conn_return` and `keel_conn_close` names all three). A pointer
/// into a cursor's current row also ends at the cursor's next move: every
/// `Lifetime:` that names `keel_rows_next` names every call that moves it.
#[test]
fn borrowed_lifetimes_name_every_call_that_ends_them() {
    let api = api();
    let ends = destructors(&api);
    let mut problems = Vec::new();
    let mut checked = 0;
    for f in list(&api, "functions").iter().filter(|f| borrows(f)) {
        let fname = name(f);
        let Some(lifetime) = paragraph(&doc_text(f), "Lifetime:") else {
            problems.push(format!("{fname}: hands out a borrowed pointer but has no Lifetime:"));
            continue;
        };
        checked += 1;
        let mut named_an_end = lifetime.contains("for the life of the process");
        for (t, calls) in &ends {
            if calls.iter().any(|c| lifetime.contains(c.as_str())) {
                named_an_end = true;
                for c in calls.iter().filter(|c| !lifetime.contains(c.as_str())) {
                    problems.push(format!("{fname}: its Lifetime: ends with {t} but does not name {c}"));
                }
            }
        }
        if !named_an_end {
            problems.push(format!("{fname}: its Lifetime: names no call that ends it"));
        }
        if lifetime.contains("keel_rows_next") {
            for moves in ["keel_rows_next`", "keel_rows_next_values", "keel_rows_fetch_batch", "keel_rows_free"] {
                if !lifetime.contains(moves) {
                    problems.push(format!("{fname}: its Lifetime: does not name {moves}"));
                }
            }
        }
    }
    assert!(checked >= 10, "only {checked} functions hand out borrowed pointers");
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
        let Some(at) = section.find(&format!(" {} (", spec.key)).or_else(|| section.find(&format!(" {}: ", spec.key))) else {
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
        // The Arrow C data/stream interface block keeps the spec's own names.
        let arrow = ["ARROW_C_DATA_INTERFACE", "ARROW_C_STREAM_INTERFACE", "ARROW_FLAG_DICTIONARY_ORDERED", "ARROW_FLAG_NULLABLE", "ARROW_FLAG_MAP_KEYS_SORTED"];
        assert!(name.starts_with("KEEL_") || arrow.contains(&name), "macro without the KEEL_ prefix: {line}");
    }
    for f in list(&api(), "functions") {
        for p in list(f, "params") {
            assert!(p["type"]["base"] != "va_list", "varargs: {}", name(f));
        }
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
