//! Properties of the connection URL parser (`core::url::ConnUrl::parse`).
//!
//! - it never panics, on any string;
//! - a URL built from any user name, password, host, port, database and
//!   options, each with every byte outside RFC 3986's unreserved set
//!   percent-encoded, parses back to exactly those parts;
//! - a password written raw (only `%` encoded) parses back to itself, or,
//!   when it holds an `@` followed by a `/` or `?`, is refused as
//!   ambiguous;
//! - a URL naming several hosts (`h1:1,h2,[v6]:3`), each encoded as
//!   above, parses back to those hosts in order, with the rest as for one;
//! - a NUL (raw or `%00`) anywhere in a decoded part is refused;
//! - no error message, `Debug` or `redacted()` text ever holds the
//!   password, however the URL around it is mangled.

mod prop_util;

use keel::core::url::ConnUrl;
use proptest::prelude::*;
use proptest::sample::select;

const FILE: &str = "proptest-regressions/prop_url.txt";

fn cfg(cases: u32) -> ProptestConfig {
    prop_util::config(FILE, cases)
}

/// Server schemes (their URLs never name a file), and one no driver has.
fn scheme() -> impl Strategy<Value = &'static str> {
    select(vec!["postgres", "postgresql", "mysql", "mariadb", "mssql", "sqlserver", "Postgres", "x+y"])
}

/// One character of a URL part: anything but NUL, often one the URL
/// syntax gives a meaning to.
fn part_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>().prop_map(|c| if c == '\0' { '\u{1}' } else { c }),
        3 => select(vec!['@', '/', '?', ':', '%', '+', '&', '=', '[', ']', '#', ' ', '\\', '.', 'é', '\u{1F600}']),
        4 => proptest::char::range('a', 'z'),
    ]
}

fn part(min: usize, max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(part_char(), min..max).prop_map(|v| v.into_iter().collect())
}

/// Percent-encode every byte but A-Z a-z 0-9 - . _ ~, in upper or lower
/// case hex.
fn enc(s: &str, upper: bool) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else if upper {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

#[derive(Clone, Debug)]
struct Parts {
    scheme: &'static str,
    user: Option<String>,
    password: Option<String>,
    host: String,
    port: Option<u16>,
    db: Option<String>,
    options: Vec<(String, String)>,
}

fn parts() -> impl Strategy<Value = Parts> {
    (
        scheme(),
        proptest::option::of((part(0, 8), proptest::option::of(part(0, 12)))),
        prop_oneof![9 => part(1, 10), 1 => Just(String::new())],
        proptest::option::of(any::<u16>()),
        proptest::option::of(part(0, 10)),
        proptest::collection::vec((part(0, 6), part(0, 8)), 0..4),
    )
        .prop_map(|(scheme, ui, host, port, db, options)| {
            let (user, password) = match ui {
                Some((u, p)) => (Some(u), p),
                None => (None, None),
            };
            Parts { scheme, user, password, host, port, db, options }
        })
}

impl Parts {
    /// The URL with the password written by `pw` (encoded or raw).
    fn url_with(&self, upper: bool, pw: impl Fn(&str) -> String) -> String {
        let mut u = format!("{}://", self.scheme);
        if let Some(user) = &self.user {
            u.push_str(&enc(user, upper));
            if let Some(p) = &self.password {
                u.push(':');
                u.push_str(&pw(p));
            }
            u.push('@');
        }
        u.push_str(&enc(&self.host, upper));
        if let Some(p) = self.port {
            u.push_str(&format!(":{p}"));
        }
        if let Some(db) = &self.db {
            u.push('/');
            u.push_str(&enc(db, upper));
        }
        if !self.options.is_empty() {
            u.push('?');
            let pairs: Vec<String> = self.options.iter().map(|(k, v)| format!("{}={}", enc(k, upper), enc(v, upper))).collect();
            u.push_str(&pairs.join("&"));
        }
        u
    }

    fn url(&self, upper: bool) -> String {
        self.url_with(upper, |p| enc(p, upper))
    }

    /// What parsing the URL must give.
    fn expected(&self) -> ConnUrl {
        let bare = self.user.is_none() && self.host.is_empty() && self.port.is_none();
        ConnUrl {
            scheme: self.scheme.to_ascii_lowercase(),
            user: self.user.clone(),
            password: self.password.clone(),
            host: (!self.host.is_empty()).then(|| self.host.clone()),
            port: self.port,
            more_hosts: Vec::new(),
            // `scheme:///db` is the absolute path `/db`.
            path: match (&self.db, bare) {
                (Some(db), true) => format!("/{db}"),
                (Some(db), false) => db.clone(),
                (None, _) => String::new(),
            },
            options: self.options.clone(),
            // Every URL made here has the `//`.
            authority: true,
        }
    }
}

/// A password one can find in any text: `Pw` and 10 random letters and digits.
fn marked_password() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{10}".prop_map(|s| format!("Pw{s}"))
}

/// Whether `text` holds the password or any 8 characters of it in a row.
fn leaks(text: &str, password: &str) -> bool {
    let p: Vec<char> = password.chars().collect();
    p.windows(8.min(p.len())).any(|w| text.contains(&w.iter().collect::<String>()))
}

#[derive(Clone, Debug)]
enum Mangle {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
}

fn mangles() -> impl Strategy<Value = Vec<Mangle>> {
    let c = || select(vec!['@', '/', '?', ':', '%', '[', ']', '&', '=', '+', '\0', 'x', '9', ' ']);
    proptest::collection::vec(
        prop_oneof![
            (any::<usize>(), c()).prop_map(|(i, c)| Mangle::Insert(i, c)),
            any::<usize>().prop_map(Mangle::Delete),
            (any::<usize>(), c()).prop_map(|(i, c)| Mangle::Replace(i, c)),
        ],
        0..4,
    )
}

fn mangle(url: &str, ms: &[Mangle]) -> String {
    let mut v: Vec<char> = url.chars().collect();
    for m in ms {
        match *m {
            Mangle::Insert(i, c) => v.insert(i % (v.len() + 1), c),
            Mangle::Delete(i) if !v.is_empty() => {
                v.remove(i % v.len());
            }
            Mangle::Replace(i, c) if !v.is_empty() => {
                let n = v.len();
                v[i % n] = c;
            }
            _ => {}
        }
    }
    v.into_iter().collect()
}

proptest! {
    #![proptest_config(cfg(2000))]

    #[test]
    fn parse_never_panics(s in "\\PC{0,40}") {
        let _ = ConnUrl::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_url_like_text(s in "(postgres|sqlite|mysql|x)(:|://|:///)[a-z:@/?%0-9\\[\\]&=+.]{0,30}") {
        let _ = ConnUrl::parse(&s);
    }

    #[test]
    fn encoded_parts_parse_back_exactly(p in parts(), upper in any::<bool>()) {
        let url = p.url(upper);
        let got = ConnUrl::parse(&url).map_err(|e| TestCaseError::fail(format!("{url:?}: {e}")))?;
        let want = p.expected();
        prop_assert_eq!(&got.scheme, &want.scheme, "{:?}", url);
        prop_assert_eq!(&got.user, &want.user, "{:?}", url);
        prop_assert_eq!(&got.password, &want.password, "{:?}", url);
        prop_assert_eq!(&got.host, &want.host, "{:?}", url);
        prop_assert_eq!(got.port, want.port, "{:?}", url);
        prop_assert_eq!(&got.path, &want.path, "{:?}", url);
        prop_assert_eq!(&got.options, &want.options, "{:?}", url);
    }

    #[test]
    fn several_hosts_parse_back_in_order(
        p in parts(),
        more in proptest::collection::vec((part(1, 8), proptest::option::of(any::<u16>()), proptest::option::of("[0-9a-f:]{1,8}")), 1..4),
        upper in any::<bool>(),
    ) {
        // The first host must be there for the list to be a host list.
        let p = Parts { host: if p.host.is_empty() { "h".into() } else { p.host.clone() }, ..p };
        let mut url = p.url(upper);
        let mut tail = String::new();
        for (h, port, bracket) in &more {
            tail.push(',');
            // A host in brackets is taken as written (an IPv6 literal).
            let h = match bracket { Some(v6) => format!("[{v6}]"), None => enc(h, upper) };
            tail.push_str(&h);
            if let Some(port) = port {
                tail.push_str(&format!(":{port}"));
            }
        }
        // Insert the tail after the first host and its port.
        let start = url.find("://").unwrap() + 3;
        let first_end = start + url[start..].find(['/', '?']).unwrap_or(url.len() - start);
        url.insert_str(first_end, &tail);
        let got = ConnUrl::parse(&url).map_err(|e| TestCaseError::fail(format!("{url:?}: {e}")))?;
        let want = p.expected();
        prop_assert_eq!(&got.host, &want.host, "{:?}", url);
        prop_assert_eq!(got.port, want.port, "{:?}", url);
        prop_assert_eq!(&got.user, &want.user, "{:?}", url);
        prop_assert_eq!(&got.password, &want.password, "{:?}", url);
        prop_assert_eq!(&got.path, &want.path, "{:?}", url);
        prop_assert_eq!(&got.options, &want.options, "{:?}", url);
        prop_assert_eq!(got.more_hosts.len(), more.len(), "{:?}", url);
        for (g, (h, port, bracket)) in got.more_hosts.iter().zip(&more) {
            let h = bracket.clone().unwrap_or_else(|| h.clone());
            prop_assert_eq!(g.host.as_deref(), Some(h.as_str()), "{:?}", url);
            prop_assert_eq!(g.port, *port, "{:?}", url);
        }
    }

    #[test]
    fn raw_passwords_parse_back_or_are_refused_as_ambiguous(
        p in parts(),
        user in "[A-Za-z0-9_.-]{1,8}",
        raw in proptest::collection::vec(part_char().prop_map(|c| if c == '%' { 'p' } else { c }), 0..14),
    ) {
        let raw: String = raw.into_iter().collect();
        let p = Parts { user: Some(user), password: Some(raw.clone()), ..p };
        let url = p.url_with(true, |pw| pw.to_owned());
        let ambiguous = raw.find('@').is_some_and(|at| raw[at..].contains(['/', '?']));
        match ConnUrl::parse(&url) {
            Ok(got) => {
                prop_assert!(!ambiguous, "{:?} parsed: {:?}", url, got);
                prop_assert_eq!(got, p.expected(), "{:?}", url);
            }
            Err(e) => {
                prop_assert!(ambiguous, "{:?}: {}", url, e);
                prop_assert!(e.message.contains("ambiguous"), "{:?}: {}", url, e);
                prop_assert!(raw.len() < 3 || !e.message.contains(&raw), "{:?}: {}", url, e);
            }
        }
    }

    #[test]
    fn a_nul_in_any_part_is_refused(p in parts(), which in 0usize..6, at in any::<usize>(), encoded in any::<bool>()) {
        // Put a NUL into one part (raw or as %00) and build the URL by hand.
        let nul = if encoded { "%00" } else { "\0" };
        let insert = |s: &str| {
            let cut: Vec<usize> = (0..=s.len()).filter(|&i| s.is_char_boundary(i)).collect();
            let i = cut[at % cut.len()];
            format!("{}{nul}{}", enc(&s[..i], true), enc(&s[i..], true))
        };
        let user = p.user.clone().unwrap_or_else(|| "u".into());
        let pw = p.password.clone().unwrap_or_default();
        let host = if p.host.is_empty() { "h".to_owned() } else { p.host.clone() };
        let db = p.db.clone().unwrap_or_default();
        let (k, v) = p.options.first().cloned().unwrap_or_default();
        let f = |i: usize, s: &str| if i == which { insert(s) } else { enc(s, true) };
        let url = format!("{}://{}:{}@{}/{}?{}={}", p.scheme, f(0, &user), f(1, &pw), f(2, &host), f(3, &db), f(4, &k), f(5, &v));
        let e = ConnUrl::parse(&url).err();
        prop_assert!(e.as_ref().is_some_and(|e| e.message.contains("NUL")), "{:?}: {:?}", url, e);
    }

    #[test]
    fn the_password_is_never_in_a_message(p in parts(), pw in marked_password(), ms in mangles(), upper in any::<bool>()) {
        let p = Parts { user: Some(p.user.unwrap_or_default()), password: Some(pw.clone()), ..p };
        let url = mangle(&p.url(upper), &ms);
        match ConnUrl::parse(&url) {
            Err(e) => prop_assert!(!leaks(&e.message, &pw), "{:?}: {}", url, e.message),
            Ok(u) => {
                // Mangled, the password may have become part of the host,
                // the path or an option: only the password field is hidden.
                let elsewhere = [u.user.as_deref(), u.host.as_deref(), Some(u.path.as_str())]
                    .into_iter()
                    .flatten()
                    .chain(u.options.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]))
                    .any(|t| leaks(t, &pw));
                if !elsewhere {
                    prop_assert!(!leaks(&format!("{u:?}"), &pw), "{:?}: {:?}", url, u);
                    prop_assert!(!leaks(&u.redacted(), &pw), "{:?}: {}", url, u.redacted());
                }
            }
        }
    }
}

proptest! {
    // Each case opens a pool, which fails at once (nothing listens on port
    // 1) or in the options check: few cases, as they cost a connect.
    #![proptest_config(cfg(48))]

    /// Through `Db::open`: the options checks and the first connect's
    /// failure never print the password either.
    #[test]
    fn the_password_is_never_in_an_open_error(
        scheme in select(vec!["postgres", "mysql", "mssql"]),
        pw in marked_password(),
        options in proptest::collection::vec((
            select(vec!["sslmode", "ssl_mode", "encrypt", "connect_timeout_ms", "pool_max_open", "statement_timeout_ms",
                        "application_name", "sslrootcert", "ssl_ca", "no_such_option", "search_path"]),
            select(vec!["1", "-1", "x", "disable", "DISABLED", "off", "99999999999999999999", "", "/nonexistent/ca.pem"]),
        ), 0..3),
    ) {
        let mut url = format!("{scheme}://user:{pw}@127.0.0.1:1/db?connect_timeout_ms=2000");
        for (k, v) in &options {
            url.push_str(&format!("&{k}={v}"));
        }
        match keel::Db::open(&url) {
            Ok(_) => prop_assert!(false, "opened {url}"),
            Err(e) => prop_assert!(!leaks(&e.message, &pw) && !leaks(&e.to_string(), &pw), "{:?}: {}", url, e),
        }
    }
}

#[test]
fn a_url_of_only_a_scheme_and_slashes() {
    // The case the generator above reaches only with an empty host.
    let u = ConnUrl::parse("postgres:///db?sslmode=disable").unwrap();
    assert_eq!((u.host, u.path.as_str()), (None, "/db"));
    let u = ConnUrl::parse("postgres://").unwrap();
    assert_eq!((u.host, u.path.as_str()), (None, ""));
}
