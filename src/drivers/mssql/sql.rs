//! What keel reads of a statement's T-SQL: one statement only, its `@Pn`
//! parameters, and NULL parameters written into it.

use crate::core::placeholders::{skip_block_comment, skip_line, skip_quoted};
use crate::core::error::{Error, Result};



#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Marker {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) n: usize,
}

/// One pass over `sql` with T-SQL's lexing (`'...'`, `"..."` and `[...]`
/// with doubled closers, `--` and `/* */` comments), by the core
/// placeholder lexer's helpers: refuse a second statement (a `;` followed
/// by anything but blanks and comments), and return the number of
/// parameters, the highest `@Pn` (the core rewrote keel's `?` to `@P1`,
/// `@P2`, ...), with where each `@Pn` stands.
pub(super) fn scan_statement(sql: &str) -> Result<(usize, Vec<Marker>)> {
    let b = sql.as_bytes();
    let mut i = 0;
    let mut max = 0;
    let mut markers = Vec::new();
    let mut after_semicolon = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'-' if b.get(i + 1) == Some(&b'-') => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_block_comment(b, i, false),
            _ if c.is_ascii_whitespace() => i += 1,
            _ if after_semicolon => {
                return Err(Error::invalid_argument(
                    "SQL Server: the SQL holds more than one statement; keel runs one statement per call",
                ));
            }
            b'\'' | b'"' => i = skip_quoted(b, i, c, false),
            b'[' => i = skip_quoted(b, i, b']', false),
            b';' => {
                after_semicolon = true;
                i += 1;
            }
            b'@' if matches!(b.get(i + 1), Some(b'P' | b'p'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'@')) =>
            {
                let start = i + 2;
                let mut j = start;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                let word_ends = j == b.len() || !(b[j].is_ascii_alphanumeric() || b[j] == b'_');
                if j > start && word_ends {
                    let n: usize = sql[start..j].parse().unwrap_or(0);
                    if n > 0 {
                        max = max.max(n);
                        markers.push(Marker { start: i, end: j, n });
                    }
                }
                i = j.max(i + 1);
            }
            _ => i += 1,
        }
    }
    Ok((max, markers))
}

/// other parameters renumbered in order.
pub(super) fn inline_nulls(sql: &str, markers: &[Marker], null: &[bool]) -> String {
    let mut renumbered = vec![0; null.len()];
    let mut k = 0;
    for (i, n) in null.iter().enumerate() {
        if !n {
            k += 1;
            renumbered[i] = k;
        }
    }
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for m in markers {
        out.push_str(&sql[at..m.start]);
        match renumbered[m.n - 1] {
            0 => out.push_str("NULL"),
            k => {
                out.push_str("@P");
                out.push_str(&k.to_string());
            }
        }
        at = m.end;
    }
    out.push_str(&sql[at..]);
    out
}
