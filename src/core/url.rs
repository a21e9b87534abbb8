//! Connection-string parsing.
//!
//! Forms: `scheme://[user[:password]@]host[:port][/database][?k=v&...]`,
//! and for file engines `scheme::memory:`, `scheme:///abs/path`,
//! `scheme://relative/path`. Percent-escapes are decoded in every part.
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
    pub host: Option<String>,
    pub port: Option<u16>,
    /// Database name for servers; file path (or `:memory:`) for file engines.
    pub path: String,
    /// Query-string options in the order given.
    pub options: Vec<(String, String)>,
}

impl fmt::Debug for ConnUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnUrl")
            .field("scheme", &self.scheme)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("path", &self.path)
            .field("options", &self.options)
            .finish()
    }
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

impl ConnUrl {
    pub fn parse(url: &str) -> Result<ConnUrl> {
        let colon = url.find(':').ok_or_else(|| {
            Error::invalid_argument(
                "connection URL has no scheme; expected e.g. sqlite::memory: or postgres://host/db",
            )
        })?;
        let scheme = url[..colon].to_ascii_lowercase();
        if scheme.is_empty() || !scheme.bytes().all(|c| c.is_ascii_alphanumeric() || c == '+' as u8) {
            return Err(Error::invalid_argument(
                "connection URL has no valid scheme; expected e.g. sqlite::memory: or postgres://host/db",
            ));
        }
        let rest = &url[colon + 1..];
        let (body, query) = match rest.find('?') {
            Some(q) => (&rest[..q], Some(&rest[q + 1..])),
            None => (rest, None),
        };
        let mut out = ConnUrl {
            scheme,
            user: None,
            password: None,
            host: None,
            port: None,
            path: String::new(),
            options: Vec::new(),
        };
        if let Some(q) = query {
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                out.options.push((percent_decode(k, true)?, percent_decode(v, true)?));
            }
        }
        if body == ":memory:" {
            out.path = ":memory:".into();
            return Ok(out);
        }
        let Some(after) = body.strip_prefix("//") else {
            // `sqlite:relative.db`
            out.path = percent_decode(body, false)?;
            return Ok(out);
        };
        if let Some(abs) = after.strip_prefix('/') {
            // `sqlite:///abs/path.db`: empty authority.
            out.path = format!("/{}", percent_decode(abs, false)?);
            return Ok(out);
        }
        let file_engine = crate::drivers::find(&out.scheme).is_ok_and(|d| d.url_names_a_file());
        if file_engine && !after.contains('@') {
            // `sqlite://relative/path.db`: no authority. (With user info it
            // is parsed as one, so that the driver can reject it.)
            out.path = percent_decode(after, false)?;
            return Ok(out);
        }
        let (authority, path) = match after.find('/') {
            Some(p) => (&after[..p], &after[p + 1..]),
            None => (after, ""),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(a) => (Some(&authority[..a]), &authority[a + 1..]),
            None => (None, authority),
        };
        if let Some(ui) = userinfo {
            let (u, p) = match ui.find(':') {
                Some(c) => (&ui[..c], Some(&ui[c + 1..])),
                None => (ui, None),
            };
            out.user = Some(percent_decode(u, false)?);
            out.password = p.map(|p| percent_decode(p, false)).transpose()?;
        }
        let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
            let end = h.find(']').ok_or_else(|| {
                Error::invalid_argument("connection URL has an unclosed [ in its host")
            })?;
            (&h[..end], h[end + 1..].strip_prefix(':'))
        } else {
            match hostport.rfind(':') {
                Some(c) => (&hostport[..c], Some(&hostport[c + 1..])),
                None => (hostport, None),
            }
        };
        if let Some(p) = port.filter(|p| !p.is_empty()) {
            out.port = Some(p.parse::<u16>().map_err(|_| {
                Error::invalid_argument(format!(
                    "connection URL port '{p}' is not a number from 0 to 65535"
                ))
            })?);
        }
        if !host.is_empty() {
            out.host = Some(percent_decode(host, false)?);
        }
        out.path = percent_decode(path, false)?;
        Ok(out)
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
            s.push_str(self.host.as_deref().unwrap_or(""));
            if let Some(p) = self.port {
                s.push_str(&format!(":{p}"));
            }
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
        assert_eq!(ConnUrl::parse("sqlite://rel/x.db").unwrap().path, "rel/x.db");
        assert_eq!(ConnUrl::parse("sqlite://rel.db").unwrap().path, "rel.db");
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
        assert!(ConnUrl::parse("nourl").is_err());
    }

    #[test]
    fn password_never_printed() {
        let u = ConnUrl::parse("postgres://u:hunter2@h/db").unwrap();
        assert!(!format!("{u:?}").contains("hunter2"));
        assert_eq!(u.redacted(), "postgres://u:***@h/db");
    }
}
