//! Portable `?` placeholders, rewritten per dialect.
//!
//! keel's placeholder is `?` on every engine. This lexer rewrites it to the
//! engine's own form (`$1` for PostgreSQL, `@P1` for SQL Server; MySQL and
//! SQLite keep `?`) while skipping string literals, quoted identifiers,
//! comments, PostgreSQL dollar-quoted strings and `::` casts. `??` stands for
//! a literal `?` (PostgreSQL's jsonb operators `?`, `?|`, `?&` are written
//! `??`, `??|`, `??&`). Each engine's native form keeps working: SQL with no
//! `?` is passed through untouched, and SQL that mixes `?` with PostgreSQL's
//! `$1` is an error.

use super::driver::Dialect;
use super::error::{Error, Result};
use std::borrow::Cow;

/// Rewrite `sql` for `dialect`. Returns the SQL unchanged (borrowed) when it
/// holds no `?` outside literals and comments.
pub fn rewrite(sql: &str, dialect: Dialect) -> Result<Cow<'_, str>> {
    if !sql.contains('?') {
        return Ok(Cow::Borrowed(sql));
    }
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0usize; // placeholders emitted
    let mut native_dollar = false;
    let mut changed = false;
    let mut i = 0;
    let mut copied = 0; // b[copied..i] not yet copied to out
    let mysql = dialect == Dialect::Mysql;
    let pg = dialect == Dialect::Postgres;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' => {
                // PostgreSQL E'...' strings and MySQL strings take backslash escapes.
                let backslash = mysql || (pg && e_string(b, i));
                i = skip_quoted(b, i, b'\'', backslash);
            }
            b'"' => i = skip_quoted(b, i, b'"', mysql),
            b'`' if dialect != Dialect::Postgres => i = skip_quoted(b, i, b'`', false),
            b'[' if matches!(dialect, Dialect::Mssql | Dialect::Sqlite) => i = skip_quoted(b, i, b']', false),
            b'-' if b.get(i + 1) == Some(&b'-') => i = skip_line(b, i),
            b'#' if mysql => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_block_comment(b, i, pg),
            b':' if b.get(i + 1) == Some(&b':') => i += 2,
            b'@' if dialect == Dialect::Mssql
                && matches!(b.get(i + 1), Some(b'P' | b'p'))
                && b.get(i + 2).is_some_and(u8::is_ascii_digit)
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'@')) =>
            {
                native_dollar = true;
                i += 2;
            }
            // In PostgreSQL a `$` inside a word is part of the identifier
            // (`a$q$`, `x$1`): neither a dollar quote nor a parameter.
            b'$' if pg && i > 0 && is_ident_char(b[i - 1]) => i += 1,
            b'$' if pg => {
                if b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    native_dollar = true;
                    i += 1;
                } else if let Some(end) = dollar_quote_end(b, i) {
                    i = end;
                } else {
                    i += 1;
                }
            }
            b'?' => {
                out.push_str(&sql[copied..i]);
                changed = true;
                if b.get(i + 1) == Some(&b'?') {
                    out.push('?');
                    i += 2;
                } else if dialect == Dialect::Sqlite && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    // SQLite's own ?NNN.
                    out.push('?');
                    i += 1;
                } else {
                    n += 1;
                    match dialect {
                        Dialect::Postgres | Dialect::Mssql => {
                            // The placeholder written must stay a token of
                            // its own: next to a word byte it would join
                            // the word (`c$1` is an identifier, `$1AND` and
                            // `@P1AND` one token, `$$1` a dollar quote,
                            // `?1` would become `$11`), so a space parts them.
                            let joins = |c: u8| {
                                is_ident_char(c) || (dialect == Dialect::Mssql && (c == b'@' || c == b'#'))
                            };
                            if out.as_bytes().last().is_some_and(|&c| joins(c)) {
                                out.push(' ');
                            }
                            out.push_str(if pg { "$" } else { "@P" });
                            out.push_str(&n.to_string());
                            if b.get(i + 1).is_some_and(|&c| joins(c)) {
                                out.push(' ');
                            }
                        }
                        _ => out.push('?'),
                    }
                    i += 1;
                }
                copied = i;
            }
            _ => i += 1,
        }
    }
    if native_dollar && n > 0 {
        return Err(Error::invalid_argument(if pg {
            "SQL mixes ? placeholders with PostgreSQL's $1 form; use one or the other (write ?? for a literal ?)"
        } else {
            "SQL mixes ? placeholders with SQL Server's @P1 form; use one or the other (write ?? for a literal ?)"
        }));
    }
    if !changed {
        return Ok(Cow::Borrowed(sql));
    }
    out.push_str(&sql[copied..]);
    Ok(Cow::Owned(out))
}

/// The highest `$n` parameter number in PostgreSQL SQL (0 when none),
/// skipping literals, quoted identifiers, comments and dollar quotes with
/// the same rules as [`rewrite`]. A number too long to count is
/// `usize::MAX`.
pub fn highest_dollar_param(sql: &str) -> usize {
    let b = sql.as_bytes();
    let mut highest = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => {
                let backslash = e_string(b, i);
                i = skip_quoted(b, i, b'\'', backslash);
            }
            b'"' => i = skip_quoted(b, i, b'"', false),
            b'-' if b.get(i + 1) == Some(&b'-') => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_block_comment(b, i, true),
            b'$' if i > 0 && is_ident_char(b[i - 1]) => i += 1,
            b'$' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                highest = highest.max(sql[start..j].parse().unwrap_or(usize::MAX));
                i = j;
            }
            b'$' => i = dollar_quote_end(b, i).unwrap_or(i + 1),
            _ => i += 1,
        }
    }
    highest
}

/// Whether the quote at `b[i]` opens a PostgreSQL E'' string: an `E` of
/// its own before it. After a longer word ending in e (`time'12:00'`, a
/// typed literal) it is a standard string, where a backslash is a byte.
fn e_string(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1] == b'E' || b[i - 1] == b'e') && (i < 2 || !is_ident_char(b[i - 2]))
}

/// A byte that may continue an identifier (PostgreSQL: letters, digits,
/// `_`, `$` and any non-ASCII byte).
fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// Whether `sql` holds anything but blanks, `;` and comments: SQL of only
/// those is no statement, on every engine alike. (MySQL's `/*! ... */` is
/// code the server runs, so it counts.)
pub fn has_statement(sql: &str, dialect: Dialect) -> bool {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_whitespace() || c == b';' => i += 1,
            b'-' if b.get(i + 1) == Some(&b'-') => i = skip_line(b, i),
            b'#' if dialect == Dialect::Mysql => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                if dialect == Dialect::Mysql && b.get(i + 2) == Some(&b'!') {
                    return true;
                }
                i = skip_block_comment(b, i, dialect == Dialect::Postgres);
            }
            _ => return true,
        }
    }
    false
}

/// Index just past a quoted run starting at `b[start]`; a doubled quote
/// stays inside. An unterminated quote runs to the end (the engine reports it).
pub(crate) fn skip_quoted(b: &[u8], start: usize, close: u8, backslash: bool) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == close {
            if b.get(i + 1) == Some(&close) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

pub(crate) fn skip_line(b: &[u8], start: usize) -> usize {
    b[start..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| start + p + 1)
}

/// PostgreSQL block comments nest; others end at the first `*/`.
pub(crate) fn skip_block_comment(b: &[u8], start: usize, nested: bool) -> usize {
    let mut depth = 1;
    let mut i = start + 2;
    while i < b.len() {
        if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 || !nested {
                return i;
            }
        } else if nested && b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    b.len()
}

/// For `$tag$...$tag$` starting at `b[start]`, the index past the closing tag.
pub(crate) fn dollar_quote_end(b: &[u8], start: usize) -> Option<usize> {
    let mut j = start + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
        j += 1;
    }
    if b.get(j) != Some(&b'$') {
        return None;
    }
    let tag = &b[start..=j];
    let body = j + 1;
    let rest = &b[body..];
    let end = rest.windows(tag.len()).position(|w| w == tag)?;
    Some(body + end + tag.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(s: &str) -> String {
        rewrite(s, Dialect::Postgres).unwrap().into_owned()
    }

    #[test]
    fn rewrites_each_dialect() {
        assert_eq!(pg("SELECT ?, ?"), "SELECT $1, $2");
        assert_eq!(rewrite("a = ? AND b = ?", Dialect::Mssql).unwrap(), "a = @P1 AND b = @P2");
        assert_eq!(rewrite("a = ? AND b = ?", Dialect::Mysql).unwrap(), "a = ? AND b = ?");
        assert!(matches!(rewrite("SELECT 1", Dialect::Postgres).unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn skips_literals_identifiers_and_comments() {
        assert_eq!(pg("SELECT '?', ? -- ?\n, ?"), "SELECT '?', $1 -- ?\n, $2");
        assert_eq!(pg("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1");
        assert_eq!(pg("SELECT \"we?ird\" FROM t WHERE x = ?"), "SELECT \"we?ird\" FROM t WHERE x = $1");
        assert_eq!(pg("SELECT /* ? /* nested ? */ ? */ ?"), "SELECT /* ? /* nested ? */ ? */ $1");
        assert_eq!(pg("SELECT E'\\'?', ?"), "SELECT E'\\'?', $1");
        assert_eq!(
            rewrite("SELECT '\\'?', `a?`, \"b?\", ? # ?\n", Dialect::Mysql).unwrap(),
            "SELECT '\\'?', `a?`, \"b?\", ? # ?\n"
        );
        assert_eq!(rewrite("SELECT [a?], ?", Dialect::Mssql).unwrap(), "SELECT [a?], @P1");
    }

    #[test]
    fn dollar_quotes_and_casts() {
        assert_eq!(pg("SELECT $$ ? $$, ?"), "SELECT $$ ? $$, $1");
        assert_eq!(pg("SELECT $fn$ a ? $x$ ? $fn$, ?"), "SELECT $fn$ a ? $x$ ? $fn$, $1");
        assert_eq!(pg("SELECT ?::int, ?::text"), "SELECT $1::int, $2::text");
    }

    #[test]
    fn double_question_is_a_literal() {
        assert_eq!(pg("SELECT j ?? 'k', j ??| ?"), "SELECT j ? 'k', j ?| $1");
        assert_eq!(rewrite("SELECT 1 WHERE a ?? b", Dialect::Mysql).unwrap(), "SELECT 1 WHERE a ? b");
    }

    #[test]
    fn native_forms_still_work() {
        assert!(matches!(rewrite("SELECT $1, $2", Dialect::Postgres).unwrap(), Cow::Borrowed(_)));
        assert_eq!(rewrite("SELECT ?1, ?", Dialect::Sqlite).unwrap(), "SELECT ?1, ?");
        let e = rewrite("SELECT $1, ?", Dialect::Postgres).unwrap_err();
        assert!(e.message.contains("mixes"), "{}", e.message);
        assert!(matches!(rewrite("SELECT @P1 + 1", Dialect::Mssql).unwrap(), Cow::Borrowed(_)));
        let e = rewrite("SELECT @P1 + ?", Dialect::Mssql).unwrap_err();
        assert!(e.message.contains("@P1"), "{}", e.message);
        // A variable that merely starts with P, and @P1 inside a literal, are not placeholders.
        assert_eq!(rewrite("SELECT @Price1, '@P1', ?", Dialect::Mssql).unwrap(), "SELECT @Price1, '@P1', @P1");
    }

    #[test]
    fn dollar_inside_an_identifier() {
        // `a$q$` is an identifier, not the start of a dollar quote.
        assert_eq!(pg("SELECT a$q$ FROM t WHERE x = ?"), "SELECT a$q$ FROM t WHERE x = $1");
        // `x$1` is an identifier, not the native parameter $1.
        assert_eq!(pg("SELECT x$1, ?"), "SELECT x$1, $1");
        assert_eq!(pg("SELECT é$q$ x, ?"), "SELECT é$q$ x, $1");
        // A real dollar quote and parameter still are.
        assert_eq!(pg("SELECT $q$ ? $q$, ?"), "SELECT $q$ ? $q$, $1");
        assert!(rewrite("SELECT $1, ?", Dialect::Postgres).is_err());
    }

    /// Found by tests/prop_sql.rs (`rewrite_changes_only_placeholders`):
    /// `E?` became `E$1`, an identifier, so the parameter vanished.
    /// PostgreSQL 15 takes `SELECT 1 AS c$1` with no parameter, and refuses
    /// `1=$1AND` ("trailing junk after parameter") and `$$1`.
    #[test]
    fn a_placeholder_next_to_a_word_stays_a_token() {
        assert_eq!(pg("E?"), "E $1");
        assert_eq!(pg("SELECT 1 AS c?"), "SELECT 1 AS c $1");
        assert_eq!(pg("WHERE a=?AND b=?"), "WHERE a=$1 AND b=$2");
        assert_eq!(pg("SELECT $?"), "SELECT $ $1");
        assert_eq!(pg("SELECT ?1"), "SELECT $1 1", "not $11");
        assert_eq!(pg("SELECT é?"), "SELECT é $1");
        assert_eq!(pg("SELECT (?), ?::int, x=?;"), "SELECT ($1), $2::int, x=$3;");
        let ms = |s| rewrite(s, Dialect::Mssql).unwrap().into_owned();
        assert_eq!(ms("WHERE a=?AND b=?"), "WHERE a=@P1 AND b=@P2");
        assert_eq!(ms("SELECT #?, @?, x?"), "SELECT # @P1, @ @P2, x @P3");
        assert_eq!(ms("SELECT (?)"), "SELECT (@P1)");
        // MySQL and SQLite keep `?`, which never joins a word.
        assert_eq!(rewrite("WHERE a=?AND b=?", Dialect::Mysql).unwrap(), "WHERE a=?AND b=?");
    }

    /// Found by tests/prop_sql.rs (`rewrite_is_exact_on_generated_sql`,
    /// `highest_dollar_param_is_the_highest_native_parameter`): a typed
    /// literal written without a space after a type name ending in e
    /// (`time'12:00\'`) was lexed as an E'' string, so its backslash
    /// escaped the closing quote and the `?` after it was left unrewritten
    /// (PostgreSQL 15 runs `SELECT time'12:00\', $1` with its parameter).
    #[test]
    fn a_typed_literal_ending_in_e_is_no_e_string() {
        assert_eq!(pg("SELECT time'12:00\\', ?"), "SELECT time'12:00\\', $1");
        assert_eq!(pg("SELECT date'\\' , ?"), "SELECT date'\\' , $1");
        assert_eq!(highest_dollar_param("SELECT time'12:00\\', $2"), 2);
        // The long run found it too, after a number: `1E'\'` is no E'' string.
        assert_eq!(pg("INSERT INTO t VALUES ((?)1E'\\'(?))"), "INSERT INTO t VALUES (($1)1E'\\'($2))");
        // E'' strings, alone or after a non-word byte, still take escapes.
        assert_eq!(pg("SELECT E'\\'?', ?"), "SELECT E'\\'?', $1");
        assert_eq!(pg("SELECT (e'\\'?'), ?"), "SELECT (e'\\'?'), $1");
        assert_eq!(highest_dollar_param("SELECT E'\\'$9', $2"), 2);
    }

    #[test]
    fn highest_dollar_parameter() {
        assert_eq!(highest_dollar_param("SELECT 1"), 0);
        assert_eq!(highest_dollar_param("SELECT $1, $12, $3"), 12);
        assert_eq!(highest_dollar_param("SELECT '$9', x$9, $q$ $8 $q$, $2"), 2);
        assert_eq!(highest_dollar_param("SELECT $65536"), 65536);
        assert_eq!(highest_dollar_param("SELECT $99999999999999999999999"), usize::MAX);
    }

    #[test]
    fn statements_and_no_statements() {
        for d in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql, Dialect::Mssql] {
            for none in ["", "   ", ";", " ; ;\n", "-- c", "/* c */", "/* a */ -- b\n ;"] {
                assert!(!has_statement(none, d), "{none:?} on {d:?}");
            }
            for some in ["SELECT 1", " x", "/* c */ SELECT 1", "-- c\nSELECT 1"] {
                assert!(has_statement(some, d), "{some:?} on {d:?}");
            }
        }
        assert!(!has_statement("# c", Dialect::Mysql));
        assert!(has_statement("# c", Dialect::Postgres));
        assert!(has_statement("/*!40101 SET NAMES utf8 */", Dialect::Mysql));
        assert!(!has_statement("/* a /* nested */ b */", Dialect::Postgres));
    }

    #[test]
    fn unterminated_literals_do_not_panic() {
        assert_eq!(pg("SELECT '?"), "SELECT '?");
        assert_eq!(pg("SELECT $$ ?"), "SELECT $$ $1");
        assert_eq!(pg("SELECT ? /* ?"), "SELECT $1 /* ?");
    }
}
