//! keel's option table (`core::options::POOL_OPTIONS` and
//! `drivers::options::ENGINES`) is the one place options are written:
//! the drivers keel registers take exactly its rows, `include/keel.h` and
//! `include/keel.json` carry a `KEEL_OPTION_*` constant for every key
//! (build.rs writes them from the table; tests/header.rs checks that the
//! committed files are current), each engine refuses the others' keys,
//! and the README's table of URLs and options agrees with it.

use keel::core::options::{OptKind, OptSpec, Options, POOL_OPTIONS};
use keel::drivers::options::ENGINES;
use serde_json::Value;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(file: &str) -> String {
    std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("read {file}: {e}"))
}

fn constant(key: &str) -> String {
    format!("KEEL_OPTION_{}", key.to_ascii_uppercase())
}

#[test]
fn the_registered_drivers_take_exactly_the_table_s_options() {
    let registry = keel::registry();
    let drivers = registry.drivers();
    for e in ENGINES {
        let d = drivers
            .iter()
            .find(|d| d.name() == e.engine)
            .unwrap_or_else(|| panic!("the option table has an engine {} that no driver registers", e.engine));
        // Consts have no single address: compare what they hold.
        assert_eq!(format!("{:?}", d.options()), format!("{:?}", e.options), "driver {} does not take its row of the option table", e.engine);
    }
    for d in drivers.iter().filter(|d| ["sqlite", "postgres", "mysql", "mssql"].contains(&d.name())) {
        assert!(ENGINES.iter().any(|e| e.engine == d.name()), "built-in driver {} has no row in the option table", d.name());
    }
}

#[test]
fn every_key_is_a_constant_of_keel_h_and_keel_json() {
    let h = read("include/keel.h");
    let api: Value = serde_json::from_str(&read("include/keel.json")).expect("keel.json is JSON");
    let constants = api["constants"].as_array().expect("constants");
    let mut keys: Vec<&str> = POOL_OPTIONS.iter().map(|o| o.key).collect();
    keys.extend(ENGINES.iter().flat_map(|e| e.options.iter().map(|o| o.key)));
    assert!(keys.len() >= 35, "only {} options", keys.len());
    for key in keys {
        let c = constant(key);
        assert!(h.contains(&format!("#define {c} \"{key}\"\n")), "keel.h lacks #define {c} \"{key}\"");
        assert!(
            constants.iter().any(|v| v["name"] == c.as_str() && v["value"] == key && v["type"] == "string"),
            "keel.json lacks the constant {c}"
        );
    }
    // And no constant for a key that is not in the table.
    for v in constants.iter().filter(|v| v["name"].as_str().is_some_and(|n| n.starts_with("KEEL_OPTION_"))) {
        let key = v["value"].as_str().unwrap();
        assert!(
            POOL_OPTIONS.iter().chain(ENGINES.iter().flat_map(|e| e.options)).any(|o| o.key == key),
            "{} names no option",
            v["name"]
        );
    }
}

#[test]
fn each_engine_takes_its_keys_at_their_defaults_and_refuses_the_others() {
    for e in ENGINES {
        let own = |k: &str| POOL_OPTIONS.iter().chain(e.options).any(|o| o.key == k);
        for o in POOL_OPTIONS.iter().chain(e.options).filter(|o| !o.default.is_empty()) {
            let given = [(o.key.to_owned(), o.default.to_owned())];
            if let Err(err) = Options::parse(e.engine, e.options, &given) {
                panic!("{}: its own default {}={} is refused: {}", e.engine, o.key, o.default, err.message);
            }
        }
        let mut refused = 0;
        for other in ENGINES.iter().flat_map(|x| x.options).filter(|o| !own(o.key)) {
            let err = Options::parse(e.engine, e.options, &[(other.key.to_owned(), "1".to_owned())])
                .expect_err(&format!("{} took {}, which is not one of its options", e.engine, other.key));
            assert!(err.message.contains(&format!("unknown option '{}'", other.key)), "{}", err.message);
            refused += 1;
        }
        assert!(refused > 0, "{} takes every other engine's options?", e.engine);
    }
}

/// An empty value for a text option is an error, not the option left
/// unset without a word (`ssl_ca=` used to open with no CA at all):
/// except the names a session may leave empty. A number's message says
/// what a number is, without a minimum some options do not have.
#[test]
fn empty_text_options_are_refused() {
    for e in ENGINES {
        for o in POOL_OPTIONS.iter().chain(e.options).filter(|o| matches!(o.kind, keel::core::options::OptKind::Text)) {
            let r = Options::parse(e.engine, e.options, &[(o.key.to_owned(), String::new())]);
            if matches!(o.key, "application_name" | "search_path") {
                assert!(r.is_ok(), "{}: {} may be empty", e.engine, o.key);
            } else {
                let err = r.expect_err(&format!("{}: {}= accepted", e.engine, o.key));
                assert!(err.message.contains("it is empty"), "{}", err.message);
            }
        }
    }
    let err = Options::parse("sqlite", &[], &[("arrow_batch_rows".into(), "abc".into())]).unwrap_err();
    assert!(err.message.contains("a whole number up to 4294967295"), "{}", err.message);
}

/// One option of the README's table: its key and what the parentheses
/// after it say.
struct ReadmeOption {
    key: String,
    note: String,
}

/// The options column of the README row whose first cell is `label`,
/// split at the commas outside parentheses.
fn readme_row(readme: &str, label: &str) -> Vec<ReadmeOption> {
    // The URL table is the one under "## URLs" (other tables have
    // engine rows too).
    let urls = &readme[readme.find("\n## URLs").expect("the README has a URLs section")..];
    let row = urls
        .lines()
        .find(|l| l.starts_with(&format!("| {label} |")))
        .unwrap_or_else(|| panic!("the README's URL table has no row for {label}"));
    let cell = row.trim_end().trim_end_matches('|').rsplit('|').next().unwrap().trim();
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in cell.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&cell[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&cell[start..]);
    items
        .into_iter()
        .map(|item| {
            let item = item.trim();
            let key = item.strip_prefix('`').and_then(|k| k.split('`').next()).unwrap_or_else(|| panic!("{label}: {item:?} does not start with a `key`"));
            let note = item.find('(').map(|p| item[p + 1..item.len() - 1].to_owned()).unwrap_or_default();
            ReadmeOption { key: key.to_owned(), note }
        })
        .collect()
}

/// The backticked words of `s`.
fn ticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// Compare a README row with the table's options: the same keys; a
/// default the README states (a leading number or true/false, or
/// "default `x`") is the table's; values it lists for a choice are the
/// choice's.
fn compare_row(label: &str, row: &[ReadmeOption], specs: &[&OptSpec], problems: &mut Vec<String>) {
    for r in row {
        let Some(spec) = specs.iter().find(|s| s.key == r.key) else {
            problems.push(format!("README, {label}: `{}` is not one of its options", r.key));
            continue;
        };
        let first = r.note.split([' ', ';', ',']).next().unwrap_or("");
        if (first.parse::<u64>().is_ok() || first == "true" || first == "false") && first != spec.default {
            problems.push(format!("README, {label}: `{}` defaults to {first}, the table says {:?}", r.key, spec.default));
        }
        let (values, default) = match r.note.find("default") {
            Some(p) => (&r.note[..p], ticked(&r.note[p..]).first().copied()),
            None => (r.note.as_str(), None),
        };
        if let Some(d) = default {
            if !spec.default.is_empty() && d != spec.default {
                problems.push(format!("README, {label}: `{}` defaults to {d}, the table says {}", r.key, spec.default));
            }
        }
        if let OptKind::Choice(words) = spec.kind {
            let listed = ticked(values);
            if !listed.is_empty() {
                let (mut a, mut b) = (listed.clone(), words.to_vec());
                a.sort();
                b.sort();
                if a != b {
                    problems.push(format!("README, {label}: `{}` takes {listed:?}, the table says {words:?}", r.key));
                }
            }
        }
    }
    for s in specs {
        if !row.iter().any(|r| r.key == s.key) {
            problems.push(format!("README, {label}: option `{}` is missing", s.key));
        }
    }
}

#[test]
fn the_readme_lists_every_option_as_the_table_does() {
    let readme = read("README.md");
    let mut problems = Vec::new();
    let pool: Vec<&OptSpec> = POOL_OPTIONS.iter().collect();
    compare_row("every engine", &readme_row(&readme, "every engine"), &pool, &mut problems);
    for e in ENGINES {
        let specs: Vec<&OptSpec> = e.options.iter().collect();
        compare_row(e.label, &readme_row(&readme, e.label), &specs, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The README check itself fails on a README that drifted.
#[test]
fn the_readme_check_sees_a_missing_key_a_wrong_default_and_a_stray_key() {
    let readme = read("README.md");
    let pool: Vec<&OptSpec> = POOL_OPTIONS.iter().collect();
    let drifted = readme
        .replace("`pool_max_idle` (2), ", "")
        .replace("`stmt_cache_size` (32)", "`stmt_cache_size` (64)")
        .replace("`pool_min_idle` (0)", "`pool_min_idle` (0), `pool_size`");
    assert_ne!(drifted, readme, "the README's every-engine row changed: update this test's anchors");
    let mut problems = Vec::new();
    compare_row("every engine", &readme_row(&drifted, "every engine"), &pool, &mut problems);
    let text = problems.join("\n");
    assert!(text.contains("`pool_max_idle` is missing"), "{text}");
    assert!(text.contains("`stmt_cache_size` defaults to 64"), "{text}");
    assert!(text.contains("`pool_size` is not one of its options"), "{text}");
}
