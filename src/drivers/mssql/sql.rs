//! What keel reads of a statement's T-SQL: one statement only, its `@Pn`
//! parameters, and NULL parameters written into it.

use crate::core::error::{Error, Result};
use crate::core::sql::{Kind, Lexer};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Marker {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) n: usize,
}

/// One pass over `sql` with the core's lexer on T-SQL's [`super::SYNTAX`]:
/// refuse a second statement (a `;` followed by anything but blanks and
/// comments), and return the number of parameters, the highest `@Pn` (the
/// core rewrote keel's `?` to `@P1`, `@P2`, ...), with where each `@Pn`
/// stands.
pub(super) fn scan_statement(sql: &str) -> Result<(usize, Vec<Marker>)> {
    let mut max = 0;
    let mut markers = Vec::new();
    let mut after_semicolon = false;
    for t in Lexer::new(sql, &super::SYNTAX) {
        match t.kind {
            Kind::Blank | Kind::Comment => {}
            _ if after_semicolon => {
                return Err(Error::invalid_argument(
                    "SQL Server: the SQL holds more than one statement; keel runs one statement per call",
                ));
            }
            Kind::Punct(b';') => after_semicolon = true,
            Kind::Native => {
                // A number too long to count is no parameter keel wrote.
                let n = t.native_number(sql);
                if n > 0 && n != usize::MAX {
                    max = max.max(n);
                    markers.push(Marker { start: t.start, end: t.end, n });
                }
            }
            _ => {}
        }
    }
    Ok((max, markers))
}

/// `sql` with each parameter marked NULL in `null` written as `NULL`, the
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
