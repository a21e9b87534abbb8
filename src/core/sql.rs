//! keel's one SQL lexer, and what the core does with it.
//!
//! keel reads SQL only as far as it must: to rewrite its portable `?`
//! placeholder into the engine's own form, to tell SQL that holds no
//! statement from SQL that does, to count an engine's own numbered
//! parameters, and to recognize an `INSERT ... VALUES (...)` it may run as
//! multi-row INSERTs (`core::many`). Every one of these reads the SQL
//! through the same [`Lexer`], so they agree on what is a string, a quoted
//! identifier, a comment or a placeholder.
//!
//! The lexer names no engine. Each driver describes its engine's SQL in a
//! [`Syntax`] (placeholder form, quoting, comments, dollar quotes, which
//! INSERTs it can repeat), and the lexer follows that description. A new
//! engine, built in or registered at run time, supplies its own.
//!
//! # Placeholders
//!
//! keel's placeholder is `?` on every engine. [`rewrite`] writes it in the
//! engine's own form (`$1` on PostgreSQL, `@P1` on SQL Server; MySQL and
//! SQLite keep `?`) while skipping string literals, quoted identifiers,
//! comments, dollar-quoted strings and `::` casts. `??` stands for a
//! literal `?` (PostgreSQL's jsonb operators `?`, `?|`, `?&` are written
//! `??`, `??|`, `??&`). The engine's own form keeps working: SQL with no
//! `?` is passed through untouched, and SQL that mixes `?` with the
//! engine's own numbered form (`$1`, `@P1`) is an error.

use super::error::{Error, Result};
use std::borrow::Cow;

/// How an engine writes SQL, as far as keel's lexer needs to know. Each
/// driver has one, as a `static`.
#[derive(Debug)]
pub struct Syntax {
    /// The engine's name as its users know it (`"PostgreSQL"`), for
    /// messages.
    pub engine: &'static str,
    /// What keel's `?` becomes.
    pub placeholder: Placeholder,
    /// `?` followed by digits (`?1`) is the engine's own numbered
    /// parameter, kept as written (SQLite).
    pub question_number: bool,
    /// A backslash escapes the next byte inside `'...'` and `"..."`
    /// (MySQL).
    pub backslash_escapes: bool,
    /// `E'...'` strings take backslash escapes (PostgreSQL).
    pub e_strings: bool,
    /// `"..."` is a string, which a server setting may turn into an
    /// identifier (MySQL without ANSI_QUOTES), rather than an identifier.
    pub double_quoted_strings: bool,
    /// `` `x` `` quotes an identifier.
    pub backtick_identifiers: bool,
    /// `[x]` quotes an identifier.
    pub bracket_identifiers: bool,
    /// keel quotes identifiers as `[x]`, with `]]` for a `]` (SQL
    /// Server's way, which works whatever QUOTED_IDENTIFIER says); else
    /// as `` `x` `` where strings may be double-quoted (MySQL), and as
    /// `"x"` otherwise. SQLite reads `[x]` but has no escape for a `]`
    /// in it: it is quoted `"x"`.
    pub quote_with_brackets: bool,
    /// `#` starts a comment to the end of the line (MySQL).
    pub hash_comments: bool,
    /// `/* */` comments nest (PostgreSQL).
    pub nested_comments: bool,
    /// `/*! ... */` is code the server runs, not a comment (MySQL).
    pub executable_comments: bool,
    /// `$tag$ ... $tag$` is a string (PostgreSQL).
    pub dollar_quotes: bool,
    /// `_charset'...'` is a string with a character set introducer (MySQL).
    pub charset_introducers: bool,
    /// Bytes that may start and continue a word besides ASCII letters,
    /// digits, `_`, `$` (continuing only) and any non-ASCII byte (T-SQL's
    /// `@` of variables and `#` of temporary tables).
    pub word_bytes: &'static [u8],
    /// The INSERTs keel may run as multi-row INSERTs on this engine
    /// (`core::many`); `None`: every batch runs row by row.
    pub insert: Option<InsertGrammar>,
}

/// What keel's `?` placeholder becomes on an engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placeholder {
    /// `?`, as written.
    Question,
    /// This prefix and the parameter's number, from 1: `"$"` gives `$1`,
    /// `"@P"` gives `@P1`. The same form written by the caller is the
    /// engine's own numbered parameter (matched ignoring ASCII case).
    Numbered(&'static str),
}

/// Which `INSERT INTO <table> [(<columns>)] VALUES (<row>)` statements an
/// engine can take as one INSERT of many rows, beyond that plain form.
#[derive(Clone, Copy, Debug)]
pub struct InsertGrammar {
    /// `REPLACE INTO` too.
    pub replace: bool,
    /// Words that may stand between `INSERT` and `INTO`.
    pub modifiers: &'static [&'static str],
    /// `INSERT INTO t AS alias`.
    pub table_alias: bool,
    /// `VALUE` is a synonym of `VALUES`.
    pub value_keyword: bool,
    /// The one clause that may follow the VALUES group.
    pub tail: InsertTail,
}

/// A clause after the VALUES group that keeps the INSERT repeatable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertTail {
    /// None: only the plain form.
    Nothing,
    /// `[AS alias [(columns)]] ON DUPLICATE KEY UPDATE ...`.
    OnDuplicateKeyUpdate,
    /// `ON CONFLICT [...] DO NOTHING`.
    OnConflictDoNothing,
}

impl Syntax {
    /// `name` as one quoted identifier of this engine: `[name]` where
    /// brackets quote identifiers (SQL Server), `` `name` `` where double
    /// quotes make strings (MySQL), `"name"` elsewhere, the closing quote
    /// doubled inside. Empty names and NUL bytes are refused.
    pub fn quote_identifier(&self, name: &str) -> super::error::Result<String> {
        if name.is_empty() || name.contains('\0') {
            return Err(super::error::Error::invalid_argument(format!(
                "{name:?} is not an identifier: it is empty or holds a NUL byte"
            )));
        }
        Ok(if self.quote_with_brackets {
            format!("[{}]", name.replace(']', "]]"))
        } else if self.double_quoted_strings {
            format!("`{}`", name.replace('`', "``"))
        } else {
            format!("\"{}\"", name.replace('"', "\"\""))
        })
    }

    /// The name an identifier token stands for: a quoted one (`"a""b"`,
    /// `` `a` ``, `[a]`) without its quotes and with doubled closing quotes
    /// made single; a plain word as written.
    pub fn unquote_identifier(text: &str) -> String {
        let (open, close) = match text.as_bytes().first() {
            Some(b'"') => ("\"", "\""),
            Some(b'`') => ("`", "`"),
            Some(b'[') => ("[", "]"),
            _ => return text.to_owned(),
        };
        let inner = text.strip_prefix(open).and_then(|t| t.strip_suffix(close)).unwrap_or(text);
        inner.replace(&close.repeat(2), close)
    }

    /// Standard SQL: `?` placeholders, `'...'` strings with doubled
    /// quotes, `"..."` identifiers, `--` and `/* */` comments, and every
    /// batch row by row. A driver starts from it and changes what its
    /// engine does otherwise: `Syntax { engine: "X", hash_comments: true,
    /// ..Syntax::STANDARD }`.
    pub const STANDARD: Syntax = Syntax {
        engine: "the engine",
        placeholder: Placeholder::Question,
        question_number: false,
        backslash_escapes: false,
        e_strings: false,
        double_quoted_strings: false,
        backtick_identifiers: false,
        bracket_identifiers: false,
        quote_with_brackets: false,
        hash_comments: false,
        nested_comments: false,
        executable_comments: false,
        dollar_quotes: false,
        charset_introducers: false,
        word_bytes: b"",
        insert: None,
    };

    /// Whether `c` may start a word.
    fn starts_word(&self, c: u8) -> bool {
        c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 || self.word_bytes.contains(&c)
    }

    /// Whether `c` continues a word: written next to a placeholder keel
    /// writes, it would join it into another token.
    pub fn continues_word(&self, c: u8) -> bool {
        c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 || self.word_bytes.contains(&c)
    }
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Whitespace.
    Blank,
    /// A comment: `-- ...`, `# ...` where [`Syntax::hash_comments`],
    /// `/* ... */`.
    Comment,
    /// `/*! ... */` where [`Syntax::executable_comments`]: code.
    CodeComment,
    /// A string: `'x'`, `E'x'`, `X'0f'`, `N'x'`, `$$x$$`, `_utf8mb4'x'`.
    Str,
    /// A quoted identifier: `"x"` (unless
    /// [`Syntax::double_quoted_strings`]), `` `x` ``, `[x]`.
    QuotedIdent,
    /// `"x"` where [`Syntax::double_quoted_strings`].
    DoubleQuoted,
    /// A name or keyword.
    Word,
    Number,
    /// keel's `?`.
    Placeholder,
    /// `??`: a literal `?`.
    LiteralQuestion,
    /// The engine's own numbered parameter (`$1`, `@P1`, SQLite's `?1`).
    Native,
    /// `::`
    Cast,
    Punct(u8),
    /// Anything else (a lone `$`, a control byte).
    Other,
}

/// One token: its kind and where it stands in the SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// Whether this token of `sql` is the word `w`, compared without case.
    #[inline]
    pub fn is_word(&self, sql: &str, w: &str) -> bool {
        self.kind == Kind::Word && sql[self.start..self.end].eq_ignore_ascii_case(w)
    }

    /// The number of a [`Kind::Native`] parameter (the digits that end
    /// it); a number too long to count is `usize::MAX`.
    pub fn native_number(&self, sql: &str) -> usize {
        let text = &sql[self.start..self.end];
        let digits = text.trim_start_matches(|c: char| !c.is_ascii_digit());
        digits.parse().unwrap_or(usize::MAX)
    }
}

/// The tokens of a SQL text, every byte in exactly one, as `syntax`
/// describes the engine's SQL. Unterminated strings, identifiers and
/// comments run to the end (the engine reports them); nothing panics on any
/// input.
pub struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
    syntax: &'a Syntax,
}

impl<'a> Lexer<'a> {
    pub fn new(sql: &'a str, syntax: &'a Syntax) -> Lexer<'a> {
        Lexer { b: sql.as_bytes(), i: 0, syntax }
    }

    /// The kind of the token at `self.i`, moving `self.i` past it.
    fn lex(&mut self) -> Kind {
        let (b, s, i) = (self.b, self.syntax, self.i);
        let c = b[i];
        let next = b.get(i + 1).copied();
        let (kind, end) = match c {
            c if c.is_ascii_whitespace() || c == 0x0b => (Kind::Blank, i + 1),
            b'-' if next == Some(b'-') => (Kind::Comment, skip_line(b, i)),
            b'#' if s.hash_comments => (Kind::Comment, skip_line(b, i)),
            b'/' if next == Some(b'*') => {
                if s.executable_comments && b.get(i + 2) == Some(&b'!') {
                    (Kind::CodeComment, skip_block_comment(b, i, false))
                } else {
                    (Kind::Comment, skip_block_comment(b, i, s.nested_comments))
                }
            }
            b'\'' => (Kind::Str, skip_quoted(b, i, b'\'', s.backslash_escapes)),
            b'"' if s.double_quoted_strings => (Kind::DoubleQuoted, skip_quoted(b, i, b'"', s.backslash_escapes)),
            b'"' => (Kind::QuotedIdent, skip_quoted(b, i, b'"', false)),
            b'`' if s.backtick_identifiers => (Kind::QuotedIdent, skip_quoted(b, i, b'`', false)),
            b'[' if s.bracket_identifiers => (Kind::QuotedIdent, skip_quoted(b, i, b']', false)),
            b'?' if next == Some(b'?') => (Kind::LiteralQuestion, i + 2),
            b'?' if s.question_number && next.is_some_and(|d| d.is_ascii_digit()) => (Kind::Native, digits_end(b, i + 1)),
            b'?' => (Kind::Placeholder, i + 1),
            b':' if next == Some(b':') => (Kind::Cast, i + 2),
            b'0'..=b'9' => (Kind::Number, number_end(b, i)),
            b'.' if next.is_some_and(|d| d.is_ascii_digit()) => (Kind::Number, number_end(b, i)),
            c if s.starts_word(c) => self.word(),
            _ => match self.native_prefix() {
                Some(end) => (Kind::Native, end),
                None if c == b'$' && s.dollar_quotes => match dollar_quote_end(b, i) {
                    Some(end) => (Kind::Str, end),
                    None => (Kind::Other, i + 1),
                },
                None if c.is_ascii_punctuation() => (Kind::Punct(c), i + 1),
                None => (Kind::Other, i + 1),
            },
        };
        self.i = end;
        kind
    }

    /// A word at `self.i`: a name, a keyword, a string with a prefix
    /// (`E'x'`, `X'0f'`, `_utf8mb4'x'`), or the engine's numbered
    /// parameter when its prefix starts a word (`@P1`).
    fn word(&self) -> (Kind, usize) {
        let (b, s, start) = (self.b, self.syntax, self.i);
        let mut i = start + 1;
        while i < b.len() && s.continues_word(b[i]) {
            i += 1;
        }
        let w = &b[start..i];
        if b.get(i) == Some(&b'\'') {
            let e = s.e_strings && (w == b"E" || w == b"e");
            let prefix = (w.len() == 1 && b"bBxXnN".contains(&w[0])) || e || (s.charset_introducers && w[0] == b'_');
            if prefix {
                return (Kind::Str, skip_quoted(b, i, b'\'', s.backslash_escapes || e));
            }
        }
        if let Placeholder::Numbered(p) = s.placeholder {
            let p = p.as_bytes();
            if w.len() > p.len() && w[..p.len()].eq_ignore_ascii_case(p) && w[p.len()..].iter().all(u8::is_ascii_digit) {
                return (Kind::Native, i);
            }
        }
        (Kind::Word, i)
    }

    /// The end of the engine's numbered parameter at `self.i`, for a
    /// prefix that does not start a word (`$1`).
    fn native_prefix(&self) -> Option<usize> {
        let Placeholder::Numbered(p) = self.syntax.placeholder else { return None };
        let rest = &self.b[self.i..];
        let p = p.as_bytes();
        let numbered = rest.len() > p.len() && rest[..p.len()].eq_ignore_ascii_case(p) && rest[p.len()].is_ascii_digit();
        numbered.then(|| digits_end(self.b, self.i + p.len()))
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        if self.i >= self.b.len() {
            return None;
        }
        let start = self.i;
        let kind = self.lex();
        Some(Token { kind, start, end: self.i })
    }
}

/// Rewrite `sql` for an engine of `syntax`. Returns the SQL unchanged
/// (borrowed) when it holds no `?` outside literals and comments, or when
/// the engine's placeholder is `?` and it holds no `??`.
pub fn rewrite<'a>(sql: &'a str, syntax: &Syntax) -> Result<Cow<'a, str>> {
    if !sql.contains('?') {
        return Ok(Cow::Borrowed(sql));
    }
    let mut out = String::new();
    let mut copied = 0; // sql[copied..] not yet copied to out
    let mut n = 0usize; // placeholders seen
    let mut native = false;
    for t in Lexer::new(sql, syntax) {
        match t.kind {
            Kind::Native => native = true,
            Kind::LiteralQuestion => {
                out.push_str(&sql[copied..t.start]);
                out.push('?');
                copied = t.end;
            }
            Kind::Placeholder => {
                n += 1;
                if let Placeholder::Numbered(prefix) = syntax.placeholder {
                    out.push_str(&sql[copied..t.start]);
                    // The placeholder written must stay a token of its own:
                    // next to a word byte it would join the word (`c$1` is
                    // an identifier, `$1AND` and `@P1AND` one token, `$$1` a
                    // dollar quote, `?1` would become `$11`), so a space
                    // parts them.
                    if out.as_bytes().last().is_some_and(|&c| syntax.continues_word(c)) {
                        out.push(' ');
                    }
                    out.push_str(prefix);
                    out.push_str(&n.to_string());
                    if sql.as_bytes().get(t.end).is_some_and(|&c| syntax.continues_word(c)) {
                        out.push(' ');
                    }
                    copied = t.end;
                }
            }
            _ => {}
        }
    }
    if let Placeholder::Numbered(prefix) = syntax.placeholder {
        if native && n > 0 {
            return Err(Error::invalid_argument(format!(
                "SQL mixes ? placeholders with {}'s {prefix}1 form; use one or the other (write ?? for a literal ?)",
                syntax.engine
            )));
        }
    }
    if copied == 0 {
        return Ok(Cow::Borrowed(sql));
    }
    out.push_str(&sql[copied..]);
    Ok(Cow::Owned(out))
}

/// The highest number of the engine's own numbered parameters in `sql`
/// (`$3` is 3; 0 when none), outside literals and comments. A number too
/// long to count is `usize::MAX`.
pub fn highest_native_param(sql: &str, syntax: &Syntax) -> usize {
    Lexer::new(sql, syntax).filter(|t| t.kind == Kind::Native).map(|t| t.native_number(sql)).max().unwrap_or(0)
}

/// The tokens of `sql` that count for a statement's grammar: blanks and
/// comments left out, read by the core's one lexer as they are asked for.
pub fn significant<'a>(sql: &'a str, syntax: &'a Syntax) -> impl Iterator<Item = Token> + 'a {
    Lexer::new(sql, syntax).filter(|t| !matches!(t.kind, Kind::Blank | Kind::Comment))
}

/// [`significant`]'s tokens, all of them.
pub fn tokens(sql: &str, syntax: &Syntax) -> Vec<Token> {
    significant(sql, syntax).collect()
}

/// Whether `sql` holds a second statement: anything but blanks, comments
/// and `;` after a `;` that ends one.
pub fn more_than_one_statement(sql: &str, syntax: &Syntax) -> bool {
    let mut ended = false;
    for t in Lexer::new(sql, syntax) {
        match t.kind {
            Kind::Blank | Kind::Comment => {}
            Kind::Punct(b';') => ended = true,
            _ if ended => return true,
            _ => {}
        }
    }
    false
}

/// Whether a statement of `sql` begins with one of `words` (compared
/// without case), comments and blanks before it skipped: the first
/// statement, and each after a `;` that ends one. A statement that begins
/// with MySQL's `/*! ... */`, code keel does not read, counts as one that
/// does. Reads past the first statement only when `sql` holds a `;`.
pub fn a_statement_begins_with(sql: &str, syntax: &Syntax, words: &[&str]) -> bool {
    let more = sql.as_bytes().contains(&b';');
    let mut at_start = true;
    for t in Lexer::new(sql, syntax) {
        match t.kind {
            Kind::Blank | Kind::Comment => {}
            Kind::Punct(b';') => at_start = true,
            _ if !at_start => {}
            Kind::CodeComment => return true,
            _ => {
                if words.iter().any(|w| t.is_word(sql, w)) {
                    return true;
                }
                if !more {
                    return false;
                }
                at_start = false;
            }
        }
    }
    false
}

/// Whether `sql` holds anything but blanks, `;` and comments: SQL of only
/// those is no statement, on every engine alike. (MySQL's `/*! ... */` is
/// code the server runs, so it counts.)
pub fn has_statement(sql: &str, syntax: &Syntax) -> bool {
    Lexer::new(sql, syntax).any(|t| !matches!(t.kind, Kind::Blank | Kind::Comment | Kind::Punct(b';')))
}

/// Index just past a quoted run starting at `b[start]`; a doubled quote
/// stays inside. An unterminated quote runs to the end.
fn skip_quoted(b: &[u8], start: usize, close: u8, backslash: bool) -> usize {
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

fn skip_line(b: &[u8], start: usize) -> usize {
    b[start..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| start + p + 1)
}

/// Block comments that nest, or end at the first `*/`.
fn skip_block_comment(b: &[u8], start: usize, nested: bool) -> usize {
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

/// For `$tag$...$tag$` starting at `b[start]`, the index past the closing
/// tag.
fn dollar_quote_end(b: &[u8], start: usize) -> Option<usize> {
    let mut j = start + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80) {
        j += 1;
    }
    if b.get(j) != Some(&b'$') {
        return None;
    }
    let tag = &b[start..=j];
    let body = j + 1;
    let end = b[body..].windows(tag.len()).position(|w| w == tag)?;
    Some(body + end + tag.len())
}

fn digits_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// A number and whatever junk runs on from it (`1e-5`, `0x1F`, `1_000`).
fn number_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < b.len() {
        let c = b[i];
        let exponent_sign = (c == b'+' || c == b'-') && i > start && (b[i - 1] | 0x20) == b'e';
        if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exponent_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    //! The lexer on a syntax of its own; each engine's syntax is tested in
    //! `tests/sql_syntax.rs` (the core names no engine).
    use super::*;

    const PLAIN: Syntax = Syntax { engine: "Plain", placeholder: Placeholder::Numbered(":"), ..Syntax::STANDARD };

    fn kinds(sql: &str) -> Vec<(Kind, &str)> {
        Lexer::new(sql, &PLAIN).map(|t| (t.kind, &sql[t.start..t.end])).collect()
    }

    #[test]
    fn a_statement_begins_with_reads_past_comments_and_semicolons() {
        let w = &["ALTER", "SET"];
        for yes in [
            "ALTER TABLE t ADD x int",
            "  alter table t",
            "/* migration 7 */ ALTER TABLE t",
            "-- why\n\t/* and how */\nSet x = 1",
            "INSERT INTO t VALUES (1); ALTER TABLE t ADD y int",
            "SELECT 1;; -- c\n set x = 2;",
        ] {
            assert!(a_statement_begins_with(yes, &PLAIN, w), "{yes:?}");
        }
        for no in [
            "SELECT 'ALTER TABLE t'",
            "SELECT 1 -- ALTER TABLE t",
            "SELECT 1 /* ; ALTER TABLE t */",
            "SELECT ';'; SELECT 2",
            "UPDATE t SET x = 1",
            "ALTERED",
            "/* only a comment */",
            "",
        ] {
            assert!(!a_statement_begins_with(no, &PLAIN, w), "{no:?}");
        }
        // Code keel does not read counts as a statement that may.
        let mysql = Syntax { executable_comments: true, ..PLAIN };
        assert!(a_statement_begins_with("/*!40101 SET NAMES utf8 */", &mysql, w));
    }

    #[test]
    fn every_byte_is_in_one_token() {
        let sql = "SELECT 'a''b', \"c\" , :1::int, ?? ? /* x */ -- y\n1.5e-3 é$x";
        let toks: Vec<Token> = Lexer::new(sql, &PLAIN).collect();
        assert_eq!(toks.first().unwrap().start, 0);
        assert_eq!(toks.last().unwrap().end, sql.len());
        assert!(toks.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn kinds_follow_the_syntax() {
        assert_eq!(
            kinds("x ':1' :1 ? ?? ::"),
            vec![
                (Kind::Word, "x"),
                (Kind::Blank, " "),
                (Kind::Str, "':1'"),
                (Kind::Blank, " "),
                (Kind::Native, ":1"),
                (Kind::Blank, " "),
                (Kind::Placeholder, "?"),
                (Kind::Blank, " "),
                (Kind::LiteralQuestion, "??"),
                (Kind::Blank, " "),
                (Kind::Cast, "::"),
            ]
        );
        // No syntax flag set: `#`, backticks and brackets are punctuation.
        assert_eq!(kinds("#`[")[0], (Kind::Punct(b'#'), "#"));
        assert_eq!(kinds("`")[0], (Kind::Punct(b'`'), "`"));
    }

    #[test]
    fn rewrite_writes_the_numbered_form() {
        assert_eq!(rewrite("SELECT ?, ?", &PLAIN).unwrap(), "SELECT :1, :2");
        assert!(matches!(rewrite("SELECT :1", &PLAIN).unwrap(), Cow::Borrowed(_)));
        let e = rewrite("SELECT :1, ?", &PLAIN).unwrap_err();
        assert!(e.message.contains("Plain's :1 form"), "{}", e.message);
        assert_eq!(highest_native_param("SELECT :2, ':9', :10", &PLAIN), 10);
        assert!(!has_statement(" ; /* */ -- x", &PLAIN));
    }
}
