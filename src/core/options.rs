//! Options as a pool gets them: every key a URL query string or the
//! options API gives is checked against keel's option table (the pool's
//! options and the engine's: `OptSpec`s, with type, default and doc; see
//! `option_spec.rs`) and every key the engine knows gets its value or
//! default. Keys are the same plain names everywhere. An unknown key, or
//! one that does not apply to the engine, is an error, never ignored.

use super::error::{Error, Result};

#[path = "option_spec.rs"]
mod spec;
pub use spec::{OptKind, OptSpec, POOL_OPTIONS};

/// Parsed, validated options for one pool: every key the engine knows, with
/// the given value or the default.
#[derive(Clone, Debug, Default)]
pub struct Options {
    values: Vec<(&'static OptSpec, String)>,
}

fn check(spec: &OptSpec, value: &str) -> Result<()> {
    let bad = |what: &str| {
        Err(Error::invalid_argument(format!(
            "option {}={value:?} is invalid: expected {what}",
            spec.key
        )))
    };
    match spec.kind {
        OptKind::Bool => match value {
            "true" | "false" | "1" | "0" | "on" | "off" | "yes" | "no" => Ok(()),
            _ => bad("true or false (or 1 or 0, on or off, yes or no)"),
        },
        OptKind::UInt => match value.parse::<u32>() {
            Ok(_) => Ok(()),
            Err(_) => bad("a whole number up to 4294967295"),
        },
        // Empty is how a text option is left unset: given so, it would be
        // ignored without a word (`ssl_ca=`, `sslrootcert=`). Names a
        // session may well leave empty are the exceptions.
        OptKind::Text if value.is_empty() && !matches!(spec.key, "application_name" | "search_path") => {
            bad("a value (it is empty; leave the option out for its default)")
        }
        OptKind::Text => Ok(()),
        OptKind::Choice(words) => {
            if words.contains(&value) {
                Ok(())
            } else {
                bad(&format!("one of {}", words.join(", ")))
            }
        }
    }
}

impl Options {
    /// Validate `given` against the engine's specs plus the pool's.
    pub fn parse(
        engine: &str,
        specs: &'static [OptSpec],
        given: &[(String, String)],
    ) -> Result<Options> {
        let all = || POOL_OPTIONS.iter().chain(specs.iter());
        let mut values: Vec<(&'static OptSpec, String)> =
            all().map(|s| (s, s.default.to_owned())).collect();
        for (k, v) in given {
            let Some(slot) = values.iter_mut().find(|(s, _)| s.key == k) else {
                let known: Vec<&str> = all().map(|s| s.key).collect();
                return Err(Error::invalid_argument(format!(
                    "unknown option '{k}' for {engine} (known: {})",
                    known.join(", ")
                )));
            };
            check(slot.0, v)?;
            slot.1 = v.clone();
        }
        Ok(Options { values })
    }

    fn raw(&self, key: &str) -> &str {
        self.values
            .iter()
            .find(|(s, _)| s.key == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("option {key} is not registered for this engine"))
    }

    pub fn text(&self, key: &str) -> Option<&str> {
        Some(self.raw(key)).filter(|v| !v.is_empty())
    }

    pub fn uint(&self, key: &str) -> u32 {
        self.raw(key).parse().unwrap_or(0)
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.raw(key), "true" | "1" | "on" | "yes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[OptSpec] = &[OptSpec {
        key: "mode",
        kind: OptKind::Choice(&["ro", "rw"]),
        default: "rw",
        doc: "",
    }];

    #[test]
    fn defaults_and_values() {
        let o = Options::parse("x", SPECS, &[("mode".into(), "ro".into())]).unwrap();
        assert_eq!(o.text("mode"), Some("ro"));
        assert_eq!(o.uint("pool_max_idle"), 2);
    }

    #[test]
    fn unknown_and_bad_values_are_errors() {
        let e = Options::parse("x", SPECS, &[("nope".into(), "1".into())]).unwrap_err();
        assert!(e.message.contains("unknown option 'nope' for x"), "{}", e.message);
        let e = Options::parse("x", SPECS, &[("mode".into(), "rx".into())]).unwrap_err();
        assert!(e.message.contains("one of ro, rw"), "{}", e.message);
        assert!(Options::parse("x", SPECS, &[("pool_max_open".into(), "-1".into())]).is_err());
    }
}
