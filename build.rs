//! Writes the C API, from src/ffi (read by cbindgen, pinned in Cargo.toml)
//! and keel's option table (`src/core/option_spec.rs` and
//! `src/drivers/options.rs`, read here as `#[path]` modules):
//!
//! - `include/keel.h`, with the version macros, one `KEEL_OPTION_*`
//!   string constant per option key (cbindgen drops `&str` constants, so
//!   they are written here, with the version macros) and, in place of
//!   the line `@KEEL_OPTIONS@` of the preamble in cbindgen.toml, every
//!   option with its engines, values, default and doc;
//! - `include/keel.json`, the same API as data: constants, options,
//!   enums, handles, structs and functions with their C types and docs,
//!   taken from cbindgen's own parse (its `unstable_ir` feature) of the
//!   same sources. `bindings/generate.py` writes the Zig, Odin and Python
//!   declarations from it; tests/header.rs checks the header's docs with
//!   it.
//!
//! Both files are committed. Each is rewritten only when its content
//! changed, and tests/header.rs fails when the committed copy is stale.

use cbindgen::bindgen::ir::{self, ItemContainer, Type};
use serde_json::{Value, json};
use std::fmt::Write as _;

#[allow(dead_code)]
#[path = "src/core/option_spec.rs"]
mod option_spec;
use option_spec::{OptKind, OptSpec};

#[allow(dead_code)]
#[path = "src/drivers/options.rs"]
mod engine_options;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let mut config = cbindgen::Config::from_file(format!("{dir}/cbindgen.toml")).expect("cbindgen.toml");
    let v = |k: &str| std::env::var(k).expect(k).parse::<u32>().expect("numeric version part");
    let (major, minor, patch) = (v("CARGO_PKG_VERSION_MAJOR"), v("CARGO_PKG_VERSION_MINOR"), v("CARGO_PKG_VERSION_PATCH"));
    let number = major * 1_000_000 + minor * 1_000 + patch;
    soname(major, minor);

    let groups = option_groups();
    let keys = option_keys(&groups);
    let mut after = format!(
        "\n#define KEEL_VERSION_MAJOR {major}\n#define KEEL_VERSION_MINOR {minor}\n#define KEEL_VERSION_PATCH {patch}\n#define KEEL_VERSION_NUMBER {number}\n"
    );
    after.push_str("\n/* Option keys (see URLS AND OPTIONS above): KEEL_OPTION_<KEY> is \"<key>\". */\n");
    for key in &keys {
        writeln!(after, "#define {} \"{key}\"", option_constant(key)).unwrap();
    }
    after.push_str(ARROW_C_INTERFACE);
    config.after_includes = Some(after);
    let header = config.header.take().expect("cbindgen.toml has a header");
    let marker = " *   @KEEL_OPTIONS@\n";
    assert!(header.contains(marker), "cbindgen.toml's header has no line `{}`", marker.trim_end());
    config.header = Some(header.replace(marker, &options_doc(&groups)));

    let bindings = match cbindgen::Builder::new().with_crate(&dir).with_config(config).generate() {
        Ok(b) => b,
        Err(e) => panic!("cbindgen failed to generate include/keel.h: {e}"),
    };
    bindings.write_to_file(format!("{dir}/include/keel.h"));

    // The driver side, from src/ext/abi.rs alone (its types that keel.h
    // defines, keel_value and the others, stay names here).
    println!("cargo:rerun-if-changed=cbindgen-driver.toml");
    let driver_config = cbindgen::Config::from_file(format!("{dir}/cbindgen-driver.toml")).expect("cbindgen-driver.toml");
    match cbindgen::Builder::new().with_src(format!("{dir}/src/ext/abi.rs")).with_config(driver_config).generate() {
        Ok(b) => {
            b.write_to_file(format!("{dir}/include/keel_driver.h"));
        }
        Err(e) => panic!("cbindgen failed to generate include/keel_driver.h: {e}"),
    }

    let mut constants = vec![
        json!({"name": "KEEL_VERSION_MAJOR", "type": "int", "value": major}),
        json!({"name": "KEEL_VERSION_MINOR", "type": "int", "value": minor}),
        json!({"name": "KEEL_VERSION_PATCH", "type": "int", "value": patch}),
        json!({"name": "KEEL_VERSION_NUMBER", "type": "int", "value": number}),
    ];
    for key in &keys {
        constants.push(json!({"name": option_constant(key), "type": "string", "value": key}));
    }
    let api = describe(&bindings, constants, &groups, &format!("{major}.{minor}.{patch}"));
    let mut text = String::new();
    pretty(&api, 0, &mut text);
    text.push('\n');
    let path = format!("{dir}/include/keel.json");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&path, text).expect("write include/keel.json");
    }
}

/// The Arrow C data and C stream interfaces, as the Arrow specification
/// writes them (its guards let a program include another copy, such as
/// nanoarrow's or arrow's own abi.h, before or after keel.h).
/// `keel_conn_query_arrow` and the other Arrow calls use
/// `struct ArrowArrayStream` (cbindgen cannot declare it: it is arrow-rs's).
const ARROW_C_INTERFACE: &str = r#"
/* The Arrow C data interface and C stream interface, exactly as the Arrow
 * specification writes them (https://arrow.apache.org/docs/format/), for
 * keel_conn_query_arrow, keel_db_query_arrow and keel_rows_export_arrow. */

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  // Array type description
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;

  // Release callback
  void (*release)(struct ArrowSchema*);
  // Opaque producer-specific data
  void* private_data;
};

struct ArrowArray {
  // Array data description
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;

  // Release callback
  void (*release)(struct ArrowArray*);
  // Opaque producer-specific data
  void* private_data;
};

#endif  // ARROW_C_DATA_INTERFACE

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  // Callbacks providing stream functionality
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);

  // Release callback
  void (*release)(struct ArrowArrayStream*);

  // Opaque producer-specific data
  void* private_data;
};

#endif  // ARROW_C_STREAM_INTERFACE
"#;

// ---- the shared library's soname ------------------------------------------------------

/// On ELF targets, give libkeel.so the soname `libkeel.so.MAJOR` (while the
/// major version is 0, `libkeel.so.0.MINOR`: each 0.x minor version may
/// break the ABI), so a program linked with `-lkeel` records that name and
/// `make install` puts the real file under it (see the Makefile).
///
/// A program linked against cargo's own build directory records the same
/// name, so a symlink `libkeel.so.0.MINOR -> libkeel.so` is made beside the
/// library there (the profile directory, three levels above OUT_DIR, which
/// honours CARGO_TARGET_DIR); it dangles until cargo links the library.
fn soname(major: u32, minor: u32) {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(os.as_str(), "macos" | "ios" | "windows") {
        return;
    }
    let name = if major == 0 { format!("libkeel.so.0.{minor}") } else { format!("libkeel.so.{major}") };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{name}");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/keel-<hash>/out.
    let Some(profile_dir) = out.ancestors().nth(3) else { return };
    if out.ancestors().nth(2).and_then(|b| b.file_name()) != Some(std::ffi::OsStr::new("build")) {
        return;
    }
    let link = profile_dir.join(&name);
    if std::fs::read_link(&link).ok().as_deref() != Some(std::path::Path::new("libkeel.so")) {
        let _ = std::fs::remove_file(&link);
        #[cfg(unix)]
        std::os::unix::fs::symlink("libkeel.so", &link).unwrap_or_else(|e| panic!("symlink {}: {e}", link.display()));
    }
}

// ---- the option table ---------------------------------------------------------------

/// One group of the header's option list: the pool's (every engine), then
/// each engine's.
struct Group {
    engine: Option<&'static str>,
    label: &'static str,
    options: &'static [OptSpec],
}

fn option_groups() -> Vec<Group> {
    let mut out = vec![Group {
        engine: None,
        label: "Every engine (the pool, see keel_db_checkout)",
        options: option_spec::POOL_OPTIONS,
    }];
    for e in engine_options::ENGINES {
        out.push(Group { engine: Some(e.engine), label: e.label, options: e.options });
    }
    for g in &out {
        let mut seen = Vec::new();
        for o in g.options {
            assert!(
                !o.key.is_empty() && o.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "option key {:?} is not lower_snake_case",
                o.key
            );
            assert!(!seen.contains(&o.key), "option {} is listed twice for {}", o.key, g.label);
            assert!(!o.doc.is_empty() && !o.doc.contains('\n'), "option {}: its doc must be one non-empty line", o.key);
            if let OptKind::Choice(words) = o.kind {
                assert!(o.default.is_empty() || words.contains(&o.default), "option {}: default is not one of its values", o.key);
            }
            seen.push(o.key);
        }
    }
    out
}

/// Every option key, once each, in the order the header first lists it.
fn option_keys(groups: &[Group]) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for o in groups.iter().flat_map(|g| g.options) {
        if !keys.contains(&o.key) {
            keys.push(o.key);
        }
    }
    keys
}

fn option_constant(key: &str) -> String {
    format!("KEEL_OPTION_{}", key.to_ascii_uppercase())
}

/// `(ro, rw, rwc; default rwc)`, `(true or false; default true)`,
/// `(default 5000)`, or "" for unset text.
fn option_values(o: &OptSpec) -> String {
    let values = match o.kind {
        OptKind::Choice(words) => words.join(", "),
        OptKind::Bool => "true or false".to_owned(),
        OptKind::UInt | OptKind::Text => String::new(),
    };
    let default = if o.default.is_empty() { String::new() } else { format!("default {}", o.default) };
    match (values.is_empty(), default.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!(" ({values})"),
        (true, false) => format!(" ({default})"),
        (false, false) => format!(" ({values}; {default})"),
    }
}

/// The option list of the header's URLS AND OPTIONS section.
fn options_doc(groups: &[Group]) -> String {
    let mut out = String::new();
    wrap(
        &mut out,
        "Each key is also a string constant, KEEL_OPTION_<KEY> (KEEL_OPTION_SSLMODE is \"sslmode\"). \
         The keys, with their values, defaults and what they do:",
        "   ",
        "   ",
    );
    for g in groups {
        wrap(&mut out, &format!("{}:", g.label), "   ", "   ");
        for o in g.options {
            wrap(&mut out, &format!("{}{}: {}", o.key, option_values(o), o.doc), "     ", "       ");
        }
    }
    out
}

/// Append `text` as comment lines of at most 78 columns: ` *` + `first`
/// on the first line, ` *` + `rest` on the others.
fn wrap(out: &mut String, text: &str, first: &str, rest: &str) {
    let mut line = format!(" *{first}");
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.len() + 1 + word.len() > 78 {
            out.push_str(&line);
            out.push('\n');
            line = format!(" *{rest}");
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
}

// ---- include/keel.json ----------------------------------------------------------------

fn describe(b: &cbindgen::Bindings, constants: Vec<Value>, groups: &[Group], version: &str) -> Value {
    assert!(b.constants.is_empty() && b.globals.is_empty(), "keel.json: describe cbindgen's constants and statics");
    let mut enums = Vec::new();
    let mut handles = Vec::new();
    let mut structs = Vec::new();
    for item in &b.items {
        match item {
            ItemContainer::Enum(e) => enums.push(describe_enum(e)),
            ItemContainer::OpaqueItem(o) => handles.push(json!({"name": o.export_name, "doc": doc(&o.documentation)})),
            ItemContainer::Struct(s) => {
                let fields: Vec<Value> = s
                    .fields
                    .iter()
                    .map(|f| json!({"name": f.name, "type": c_type(&f.ty, &b.config), "doc": doc(&f.documentation)}))
                    .collect();
                structs.push(json!({"name": s.export_name, "doc": doc(&s.documentation), "fields": fields}));
            }
            other => panic!("keel.json: no description yet for {:?}", other.deref().path()),
        }
    }
    let functions: Vec<Value> = b
        .functions
        .iter()
        .map(|f| {
            let params: Vec<Value> = f
                .args
                .iter()
                .map(|a| {
                    let name = a.name.as_deref().unwrap_or_else(|| panic!("{}: a parameter has no name", f.path.name()));
                    json!({"name": name, "type": c_type(&a.ty, &b.config)})
                })
                .collect();
            json!({"name": f.path.name(), "doc": doc(&f.documentation), "returns": c_type(&f.ret, &b.config), "params": params})
        })
        .collect();
    let options: Vec<Value> = groups
        .iter()
        .map(|g| {
            let opts: Vec<Value> = g
                .options
                .iter()
                .map(|o| {
                    let (kind, values): (&str, &[&str]) = match o.kind {
                        OptKind::Bool => ("bool", &[]),
                        OptKind::UInt => ("uint", &[]),
                        OptKind::Text => ("text", &[]),
                        OptKind::Choice(words) => ("choice", words),
                    };
                    json!({"key": o.key, "constant": option_constant(o.key), "kind": kind, "values": values,
                           "default": o.default, "doc": o.doc})
                })
                .collect();
            json!({"engine": g.engine, "label": g.label, "options": opts})
        })
        .collect();
    json!({
        "about": "The C API of keel as data: what include/keel.h declares, written by build.rs from the \
                  same sources (src/ffi through cbindgen, and keel's option table). Do not edit. Types are \
                  {c: C spelling, base: innermost type, const: whether the base is const, pointers: how many \
                  levels}; only the base can be const. Docs are arrays of lines. Options: `engine` null means \
                  every engine.",
        "version": version,
        "constants": constants,
        "options": options,
        "enums": enums,
        "handles": handles,
        "structs": structs,
        "functions": functions,
    })
}

fn describe_enum(e: &ir::Enum) -> Value {
    // cbindgen's ReprType keeps its fields private; its Debug form names them.
    let repr = format!("{:?}", e.repr.ty);
    let ty = match repr.as_str() {
        "Some(ReprType { kind: B32, signed: true })" => "int32_t",
        "Some(ReprType { kind: B32, signed: false })" => "uint32_t",
        other => panic!("enum {}: repr {other} (keel's C enums are #[repr(i32)] or #[repr(u32)])", e.export_name),
    };
    let members: Vec<Value> = e
        .variants
        .iter()
        .map(|v| {
            let value = match &v.discriminant {
                Some(ir::Literal::Expr(x)) => x.parse::<i64>().unwrap_or_else(|_| panic!("{}: value {x} is not a number", v.export_name)),
                _ => panic!("{}: give every member of a C enum its number", v.export_name),
            };
            json!({"name": v.export_name, "value": value, "doc": doc(&v.documentation)})
        })
        .collect();
    json!({"name": e.export_name, "type": ty, "doc": doc(&e.documentation), "members": members})
}

/// A doc comment as its lines, without the space after `///` and without
/// trailing empty lines.
fn doc(d: &ir::Documentation) -> Value {
    let mut lines: Vec<&str> = d.doc_comment.iter().map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end()).collect();
    while lines.last() == Some(&"") {
        lines.pop();
    }
    json!(lines)
}

/// `{c, base, const, pointers}` for a C type: `const char **` is
/// `{"c": "const char **", "base": "char", "const": true, "pointers": 2}`.
fn c_type(t: &Type, config: &cbindgen::Config) -> Value {
    let mut pointers = 0usize;
    let mut base_const = false;
    let mut t = t;
    while let Type::Ptr { ty, is_const, .. } = t {
        if *is_const {
            assert!(!matches!(**ty, Type::Ptr { .. }), "keel.json: only the innermost pointee may be const");
            base_const = true;
        }
        pointers += 1;
        t = ty;
    }
    let base = match t {
        Type::Primitive(p) => p.to_repr_c(config).to_owned(),
        Type::Path(g) => g.export_name().to_owned(),
        other => panic!("keel.json: no description yet for the type {other:?}"),
    };
    let c = format!("{}{base}{}{}", if base_const { "const " } else { "" }, if pointers > 0 { " " } else { "" }, "*".repeat(pointers));
    json!({"c": c, "base": base, "const": base_const, "pointers": pointers})
}

/// `v` on one line, with a space after each `:` and `,`.
fn compact(v: &Value) -> String {
    match v {
        Value::Array(items) => format!("[{}]", items.iter().map(compact).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => {
            let members: Vec<String> = map.iter().map(|(k, v)| format!("{}: {}", Value::String(k.clone()), compact(v))).collect();
            format!("{{{}}}", members.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

/// Write `v` as JSON: an object or array whose one-line form is at most
/// 120 characters on one line, others one member a line, indented by two
/// spaces (so a doc, an array of lines, is one line of text a line).
fn pretty(v: &Value, indent: usize, out: &mut String) {
    let flat = compact(v);
    if flat.len() <= 120 || !(v.is_object() || v.is_array()) {
        out.push_str(&flat);
        return;
    }
    let pad = "  ".repeat(indent + 1);
    match v {
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad);
                pretty(item, indent + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
        }
        Value::Object(map) => {
            out.push_str("{\n");
            for (i, (k, item)) in map.iter().enumerate() {
                out.push_str(&pad);
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                pretty(item, indent + 1, out);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
        }
        _ => unreachable!(),
    }
    out.push_str(&"  ".repeat(indent));
    out.push(if v.is_array() { ']' } else { '}' });
}
