//! Connection-string parsing.
//!
//! Forms: `scheme://[user[:password]@]host[:port][/database][?k=v&...]`,
//! and for file engines `scheme::memory:`, `scheme:///abs/path`,
//! `scheme://relative/path`. Percent-escapes are decoded in every part.
//! Server URLs may name several hosts, as libpq's do:
//! `postgres://u@h1:5432,h2:5433,[::1]/db` (each host with its own port or
//! none; a `,` inside a host name is written `%2C`). `host` and `port` are
//! the first; [`ConnUrl::hosts`] lists them all, in the order given.
//! The password is kept apart and never printed: `Debug` and
//! [`ConnUrl::redacted`] show `***` in its place.

use super::error::{Error, Result};
use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct ConnUrl {
    /// Scheme as written, lower-cased (`"postgresql"`, `"sqlite"`).
    pub scheme: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The first host (see [`ConnUrl::hosts`]).
    pub host: Option<String>,
    pub port: Option<u16>,
    /// The hosts after the first, in the order given (`h1,h2,h3`: `h2`
    /// and `h3`); empty when the URL names one host.
    pub more_hosts: Vec<HostPort>,
    /// Database name for servers; file path (or `:memory:`) for file engines.
    pub path: String,
    /// Query-string options in the order given.
    pub options: Vec<(String, String)>,
    /// Whether `//` followed the scheme (`scheme://...`). Without it all
    /// of the rest is the path: `postgres:u:pw@h/db` has no host, and a
    /// database name holding the password.
    pub authority: bool,
}

impl fmt::Debug for ConnUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnUrl")
            .field("scheme", &self.scheme)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("more_hosts", &self.more_hosts)
            .field("path", &self.path)
            .field("options", &self.options)
            .finish()
    }
}

/// One host of a URL and its port; `None` means the engine's default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort {
    pub host: Option<String>,
    pub port: Option<u16>,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = self.host.as_deref().unwrap_or("");
        if h.contains(':') { write!(f, "[{h}]")? } else { write!(f, "{h}")? }
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

/// `host:port` as a URL writes it, for messages: an IPv6 address in
/// brackets (`[::1]:5432`).
pub fn address(host: &str, port: u16) -> String {
    HostPort { host: Some(host.to_owned()), port: Some(port) }.to_string()
}

/// Split the authority's host list at the commas outside `[...]`.
fn split_hosts(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// One `host[:port]` (or `[v6]:port`) of the authority. `which` names it
/// in messages when the URL has several (`" of host 2"`).
fn parse_host_port(hostport: &str, which: &str) -> Result<HostPort> {
    let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
        let end = h
            .find(']')
            .ok_or_else(|| Error::invalid_argument(format!("connection URL has an unclosed [ in its host{which}")))?;
        let after = &h[end + 1..];
        if !after.is_empty() && !after.starts_with(':') {
            // `[::1]x:5432` would drop the `x` and the port with it.
            return Err(Error::invalid_argument(format!(
                "connection URL: after the ] of the host{which} comes a : and a port, or nothing"
            )));
        }
        (&h[..end], after.strip_prefix(':'))
    } else {
        match hostport.rfind(':') {
            // A second `:` is an IPv6 address without its brackets, or a
            // typo (`h:5432:99`): either way no port can be told apart.
            Some(c) if hostport[..c].contains(':') => {
                return Err(Error::invalid_argument(format!(
                    "connection URL: the host{which} holds more than one : (write an IPv6 address in brackets: [::1]:5432)"
                )));
            }
            Some(c) => (&hostport[..c], Some(&hostport[c + 1..])),
            None => (hostport, None),
        }
    };
    let mut out = HostPort { host: None, port: None };
    if let Some(p) = port.filter(|p| !p.is_empty()) {
        // The port text is not quoted in the message: it is whatever
        // followed the host's last `:`.
        out.port = Some(p.parse::<u16>().map_err(|_| {
            Error::invalid_argument(format!(
                "connection URL port{which} is not a number from 0 to 65535 \
                 (percent-encode any @, / or ? in the user name or password)"
            ))
        })?);
    }
    if !host.is_empty() {
        out.host = Some(decode_part(host, false, "host")?);
    }
    Ok(out)
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Decode `%XX` escapes (and `+` as space in query strings).
pub fn percent_decode(s: &str, plus_is_space: bool) -> Result<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let v = b
                    .get(i + 1)
                    .and_then(|&h| hex(h))
                    .zip(b.get(i + 2).and_then(|&l| hex(l)))
                    .ok_or_else(|| {
                        Error::invalid_argument("bad percent-escape in connection URL")
                    })?;
                out.push(v.0 * 16 + v.1);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::invalid_argument("connection URL decodes to invalid UTF-8"))
}

/// Decode one part of the URL, refusing a NUL byte in it (a C string would
/// end there, so `root%00x` must not quietly become `root`). `what` names
/// the part; its text is never repeated in the message.
fn decode_part(s: &str, plus_is_space: bool, what: &str) -> Result<String> {
    let v = percent_decode(s, plus_is_space).map_err(|e| Error::invalid_argument(format!("{}: in the {what}", e.message)))?;
    if v.contains('\0') {
        return Err(Error::invalid_argument(format!("connection URL: the {what} holds a NUL byte (%00)")));
    }
    Ok(v)
}

/// Where the user name and password end in `after` (the URL after `//`):
/// at the last `@`, so that a password may hold `@`, `/`, `?` and `:` as
/// they are (libpq takes a raw `?` there too). An `@` that must be in the
/// path or query instead (nothing before it looks like a user name, which
/// cannot hold `/` or `?`) means there is no user name. A URL where the
/// split is truly ambiguous (an `@`, then `/` or `?`, then another `@`) is
/// refused rather than guessed. Messages never repeat any of this text.
fn userinfo_end(after: &str) -> Result<Option<usize>> {
    let Some(last) = after.rfind('@') else { return Ok(None) };
    let userinfo = &after[..last];
    let user = userinfo.split(':').next().unwrap_or("");
    if user.contains(['/', '?']) {
        return Ok(None);
    }
    let first = after.find('@').expect("one @ at least");
    if first != last && after[first..last].contains(['/', '?']) {
        return Err(Error::invalid_argument(
            "connection URL: the user name or password holds an @ and a / or ?, so where they end is ambiguous; \
             percent-encode them there (@ as %40, / as %2F, ? as %3F)",
        ));
    }
    Ok(Some(last))
}

/// The `k=v&k=v` pairs of a query string, decoded, in the order given.
fn parse_query(query: Option<&str>) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.push((decode_part(k, true, "option name")?, decode_part(v, true, "option value")?));
    }
    Ok(out)
}

/// Split `s` at its first `?` into the part before and the query string.
fn split_query(s: &str) -> (&str, Option<&str>) {
    match s.find('?') {
        Some(q) => (&s[..q], Some(&s[q + 1..])),
        None => (s, None),
    }
}

impl ConnUrl {
    /// Parse `url`, with no scheme naming a file (`scheme://a/b` is host
    /// `a`, database `b`). See [`ConnUrl::parse_for`].
    pub fn parse(url: &str) -> Result<ConnUrl> {
        ConnUrl::parse_for(url, |_| false)
    }

    /// Parse `url`; `names_a_file(scheme)` says whether that scheme's
    /// engine names a file, so that `scheme://a/b.db` is the relative path
    /// `a/b.db` (the registry answers it for each driver).
    pub fn parse_for(url: &str, names_a_file: impl Fn(&str) -> bool) -> Result<ConnUrl> {
        let colon = url.find(':').ok_or_else(|| {
            Error::invalid_argument(
                "connection URL has no scheme; expected e.g. sqlite::memory: or postgres://host/db",
            )
        })?;
        let scheme = url[..colon].to_ascii_lowercase();
        if scheme.is_empty() || !scheme.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'+') {
            return Err(Error::invalid_argument(
                "connection URL has no valid scheme; expected e.g. sqlite::memory: or postgres://host/db",
            ));
        }
        let rest = &url[colon + 1..];
        let mut out = ConnUrl {
            scheme,
            user: None,
            password: None,
            host: None,
            port: None,
            more_hosts: Vec::new(),
            path: String::new(),
            options: Vec::new(),
            authority: rest.starts_with("//"),
        };
        let Some(after) = rest.strip_prefix("//") else {
            // `sqlite::memory:`, `sqlite:relative.db`
            let (body, query) = split_query(rest);
            out.options = parse_query(query)?;
            out.path = if body == ":memory:" { body.to_owned() } else { decode_part(body, false, "path")? };
            return Ok(out);
        };
        if let Some(abs) = after.strip_prefix('/') {
            // `sqlite:///abs/path.db`: empty authority.
            let (body, query) = split_query(abs);
            out.options = parse_query(query)?;
            out.path = format!("/{}", decode_part(body, false, "path")?);
            return Ok(out);
        }
        // The query string starts at the first `?` after the user name and
        // password (which may hold one).
        let (userinfo, remainder) = match userinfo_end(after)? {
            Some(at) => (Some(&after[..at]), &after[at + 1..]),
            None => (None, after),
        };
        let (hostpath, query) = split_query(remainder);
        out.options = parse_query(query)?;
        if userinfo.is_none() && names_a_file(&out.scheme) {
            // `sqlite://relative/path.db`: no authority. (With user info it
            // is parsed as one, so that the driver can reject it.)
            out.path = decode_part(hostpath, false, "path")?;
            return Ok(out);
        }
        let (hostport, path) = match hostpath.find('/') {
            Some(p) => (&hostpath[..p], &hostpath[p + 1..]),
            None => (hostpath, ""),
        };
        if let Some(ui) = userinfo {
            let (u, p) = match ui.find(':') {
                Some(c) => (&ui[..c], Some(&ui[c + 1..])),
                None => (ui, None),
            };
            out.user = Some(decode_part(u, false, "user name")?);
            out.password = p.map(|p| decode_part(p, false, "password")).transpose()?;
        }
        let list = split_hosts(hostport);
        let many = list.len() > 1;
        let mut hosts = Vec::with_capacity(list.len());
        for (i, hp) in list.iter().enumerate() {
            let which = if many { format!(" of host {} of {}", i + 1, list.len()) } else { String::new() };
            if many && hp.is_empty() {
                // `h1,` or `h1,,h2`: an entry would quietly be the default
                // host and port, another server than the list names.
                return Err(Error::invalid_argument(format!(
                    "connection URL: host {} of {} is empty (a stray comma?); name each host, or its port (:5432) for the default host",
                    i + 1,
                    list.len()
                )));
            }
            hosts.push(parse_host_port(hp, &which)?);
        }
        let first = hosts.remove(0);
        (out.host, out.port, out.more_hosts) = (first.host, first.port, hosts);
        out.path = decode_part(path, false, "database name")?;
        Ok(out)
    }

    /// Refuse a URL of an engine that names a server when it has no `//`
    /// after the scheme but more: `postgres:u:pw@h/db` would reach the
    /// default host with the rest as the database name, password and all
    /// (which the server's error then repeats). The message does not show
    /// the rest.
    pub fn require_authority(&self, engine: &str) -> Result<()> {
        if self.authority || self.path.is_empty() {
            return Ok(());
        }
        Err(Error::invalid_argument(format!(
            "a {engine} URL names a server: write {s}://[user[:password]@]host[:port]/database (after \"{s}:\" comes \"//\"; \
             the rest is not shown here, as it may hold a password)",
            s = self.scheme
        )))
    }

    /// Every host the URL names, the first first; one entry (maybe with
    /// no host and no port) for a URL that names one or none.
    pub fn hosts(&self) -> Vec<HostPort> {
        let mut v = vec![HostPort { host: self.host.clone(), port: self.port }];
        v.extend(self.more_hosts.iter().cloned());
        v
    }

    /// The URL with its password replaced by `***`, for messages and logs.
    pub fn redacted(&self) -> String {
        let mut s = format!("{}:", self.scheme);
        if self.host.is_none() && self.user.is_none() {
            if self.path == ":memory:" {
                s.push_str(":memory:");
            } else {
                s.push_str("//");
                s.push_str(&self.path);
            }
        } else {
            s.push_str("//");
            if let Some(u) = &self.user {
                s.push_str(u);
                if self.password.is_some() {
                    s.push_str(":***");
                }
                s.push('@');
            }
            let hosts: Vec<String> = self.hosts().iter().map(|h| h.to_string()).collect();
            s.push_str(&hosts.join(","));
            s.push('/');
            s.push_str(&self.path);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_forms() {
        let u = ConnUrl::parse("sqlite::memory:").unwrap();
        assert_eq!((u.scheme.as_str(), u.path.as_str()), ("sqlite", ":memory:"));
        let u = ConnUrl::parse("sqlite:///tmp/a%20b.db?mode=ro&busy_timeout_ms=5000").unwrap();
        assert_eq!(u.path, "/tmp/a b.db");
        assert_eq!(u.options, vec![("mode".into(), "ro".into()), ("busy_timeout_ms".into(), "5000".into())]);
        let file = |s: &str| s == "sqlite";
        assert_eq!(ConnUrl::parse_for("sqlite://rel/x.db", file).unwrap().path, "rel/x.db");
        assert_eq!(ConnUrl::parse_for("sqlite://rel.db", file).unwrap().path, "rel.db");
        // Without a file engine for the scheme it is host and database.
        let u = ConnUrl::parse("sqlite://rel/x.db").unwrap();
        assert_eq!((u.host.as_deref(), u.path.as_str()), (Some("rel"), "x.db"));
        assert_eq!(ConnUrl::parse("SQLITE:rel.db").unwrap().path, "rel.db");
    }

    #[test]
    fn server_forms() {
        let u = ConnUrl::parse("postgres://al%40x:p%3Aw@db.local:6543/app?sslmode=require").unwrap();
        assert_eq!(u.user.as_deref(), Some("al@x"));
        assert_eq!(u.password.as_deref(), Some("p:w"));
        assert_eq!(u.host.as_deref(), Some("db.local"));
        assert_eq!(u.port, Some(6543));
        assert_eq!(u.path, "app");
        let u = ConnUrl::parse("mysql://root@[::1]:3306/test").unwrap();
        assert_eq!(u.host.as_deref(), Some("::1"));
        assert!(ConnUrl::parse("postgres://h:99999/x").is_err());
        // A raw `?` in a password (libpq takes one too).
        assert_eq!(ConnUrl::parse("postgres://u:hunter2?x@h/db").unwrap().password.as_deref(), Some("hunter2?x"));
        let e = ConnUrl::parse("postgres://u:hunter2@h:12x/db").unwrap_err();
        assert!(!e.message.contains("hunter2"), "{}", e.message);
        assert!(ConnUrl::parse("nourl").is_err());
    }

    #[test]
    fn passwords_with_at_slash_and_question_mark() {
        for (url, pw) in [
            ("postgres://u:p?w@h:5433/db?sslmode=disable", "p?w"),
            ("postgres://u:p/w@h:5433/db?sslmode=disable", "p/w"),
            ("postgres://u:p@w@h:5433/db?sslmode=disable", "p@w"),
            ("postgres://u:12/34?x=y@h:5433/db?sslmode=disable", "12/34?x=y"),
            ("postgres://u:a:b@h:5433/db?sslmode=disable", "a:b"),
        ] {
            let u = ConnUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(u.password.as_deref(), Some(pw), "{url}");
            assert_eq!(u.user.as_deref(), Some("u"), "{url}");
            assert_eq!(u.host.as_deref(), Some("h"), "{url}");
            assert_eq!(u.port, Some(5433), "{url}");
            assert_eq!(u.path, "db", "{url}");
            assert_eq!(u.options, vec![("sslmode".into(), "disable".into())], "{url}");
        }
        // An @ in the query string of a URL without a user name.
        let u = ConnUrl::parse("postgres://h/db?application_name=me@x").unwrap();
        assert_eq!((u.user, u.host.as_deref()), (None, Some("h")));
        assert_eq!(u.options, vec![("application_name".into(), "me@x".into())]);
        // Ambiguous: refused, and nothing of it in the message.
        let e = ConnUrl::parse("postgres://u:se@cr/et@h/db").unwrap_err();
        assert!(!e.message.contains("se") || !e.message.contains("cr/et"), "{}", e.message);
        assert!(e.message.contains("percent-encode"), "{}", e.message);
    }

    #[test]
    fn nul_bytes_are_refused_in_every_part() {
        for url in [
            "mysql://root%00x@h/db",
            "mysql://root:pw%00x@h/db",
            "mysql://root@h%00x/db",
            "mysql://root@h/db%00x",
            "mysql://root@h/db?ssl_mode%00=x",
            "mysql://root@h/db?ssl_mode=RE%00QUIRED",
            "sqlite:///tmp/a%00b.db",
        ] {
            let e = ConnUrl::parse(url).unwrap_err();
            assert!(e.message.contains("NUL"), "{url}: {}", e.message);
            assert!(!e.message.contains("pw") && !e.message.contains("root"), "{url}: {}", e.message);
        }
    }

    #[test]
    fn several_hosts() {
        let u = ConnUrl::parse("postgres://u:pw@h1:5432,h2:5433,[::1],h%2C4:1/db?target_session_attrs=read-write").unwrap();
        assert_eq!((u.host.as_deref(), u.port), (Some("h1"), Some(5432)));
        let owned = u.hosts();
        assert_eq!(owned.len(), 4);
        assert_eq!((owned[1].host.as_deref(), owned[1].port), (Some("h2"), Some(5433)));
        assert_eq!((owned[2].host.as_deref(), owned[2].port), (Some("::1"), None));
        assert_eq!((owned[3].host.as_deref(), owned[3].port), (Some("h,4"), Some(1)));
        assert_eq!(u.path, "db");
        assert_eq!(u.redacted(), "postgres://u:***@h1:5432,h2:5433,[::1],h,4:1/db");
        // libpq's form with default hosts and ports of their own.
        let u = ConnUrl::parse("postgres://:5432,:5433/db").unwrap();
        assert_eq!(u.hosts(), vec![HostPort { host: None, port: Some(5432) }, HostPort { host: None, port: Some(5433) }]);
        let u = ConnUrl::parse("mysql://u@a,b/db").unwrap();
        assert_eq!(u.hosts().len(), 2);
        // One host: nothing more.
        assert!(ConnUrl::parse("postgres://h/db").unwrap().more_hosts.is_empty());
        let e = ConnUrl::parse("postgres://u:hunter2@h1:5432,h2:x/db").unwrap_err();
        assert!(e.message.contains("host 2 of 2"), "{}", e.message);
        assert!(!e.message.contains("hunter2"), "{}", e.message);
        assert!(ConnUrl::parse("postgres://h1,[::1/db").unwrap_err().message.contains("unclosed"));
        // An empty entry would be the default host, another server than
        // the list names; text after `]`, or a second `:`, would drop the
        // port.
        for (url, says) in [
            ("postgres://u@h1:5432,/db", "host 2 of 2 is empty"),
            ("postgres://u@,h2/db", "host 1 of 2 is empty"),
            ("postgres://u@h1,,h2/db", "host 2 of 3 is empty"),
            ("postgres://u@[::1]x:5432/db", "after the ]"),
            ("postgres://u@127.0.0.1:5432:99/db", "more than one :"),
            ("postgres://u@::1/db", "in brackets"),
        ] {
            let e = ConnUrl::parse(url).unwrap_err();
            assert!(e.message.contains(says), "{url}: {}", e.message);
        }
        assert_eq!(HostPort { host: Some("::1".into()), port: Some(5432) }.to_string(), "[::1]:5432");
    }

    #[test]
    fn password_never_printed() {
        let u = ConnUrl::parse("postgres://u:hunter2@h/db").unwrap();
        assert!(!format!("{u:?}").contains("hunter2"));
        assert_eq!(u.redacted(), "postgres://u:***@h/db");
    }
}
