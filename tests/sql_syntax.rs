//! The core's SQL lexer (`keel::core::sql`) on each built-in engine's
//! `Syntax`: placeholder rewriting, statements and no statements, native
//! parameter numbers, and the INSERTs `core::many` runs as multi-row
//! INSERTs. (The properties over generated SQL are in `prop_sql.rs`.)

use keel::core::many::InsertShape;
use keel::core::sql::{has_statement, highest_native_param, rewrite, Syntax};
use std::borrow::Cow;

const PG: &Syntax = &keel::drivers::postgres::SYNTAX;
const MY: &Syntax = &keel::drivers::mysql::SYNTAX;
const MS: &Syntax = &keel::drivers::mssql::SYNTAX;
const LITE: &Syntax = &keel::drivers::sqlite::SYNTAX;


fn pg(s: &str) -> String {
    rewrite(s, PG).unwrap().into_owned()
}

#[test]
fn rewrites_each_dialect() {
    assert_eq!(pg("SELECT ?, ?"), "SELECT $1, $2");
    assert_eq!(rewrite("a = ? AND b = ?", MS).unwrap(), "a = @P1 AND b = @P2");
    assert_eq!(rewrite("a = ? AND b = ?", MY).unwrap(), "a = ? AND b = ?");
    assert!(matches!(rewrite("SELECT 1", PG).unwrap(), Cow::Borrowed(_)));
}

#[test]
fn skips_literals_identifiers_and_comments() {
    assert_eq!(pg("SELECT '?', ? -- ?\n, ?"), "SELECT '?', $1 -- ?\n, $2");
    assert_eq!(pg("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1");
    assert_eq!(pg("SELECT \"we?ird\" FROM t WHERE x = ?"), "SELECT \"we?ird\" FROM t WHERE x = $1");
    assert_eq!(pg("SELECT /* ? /* nested ? */ ? */ ?"), "SELECT /* ? /* nested ? */ ? */ $1");
    assert_eq!(pg("SELECT E'\\'?', ?"), "SELECT E'\\'?', $1");
    assert_eq!(
        rewrite("SELECT '\\'?', `a?`, \"b?\", ? # ?\n", MY).unwrap(),
        "SELECT '\\'?', `a?`, \"b?\", ? # ?\n"
    );
    assert_eq!(rewrite("SELECT [a?], ?", MS).unwrap(), "SELECT [a?], @P1");
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
    assert_eq!(rewrite("SELECT 1 WHERE a ?? b", MY).unwrap(), "SELECT 1 WHERE a ? b");
}

#[test]
fn native_forms_still_work() {
    assert!(matches!(rewrite("SELECT $1, $2", PG).unwrap(), Cow::Borrowed(_)));
    assert_eq!(rewrite("SELECT ?1, ?", LITE).unwrap(), "SELECT ?1, ?");
    let e = rewrite("SELECT $1, ?", PG).unwrap_err();
    assert!(e.message.contains("mixes"), "{}", e.message);
    assert!(matches!(rewrite("SELECT @P1 + 1", MS).unwrap(), Cow::Borrowed(_)));
    let e = rewrite("SELECT @P1 + ?", MS).unwrap_err();
    assert!(e.message.contains("@P1"), "{}", e.message);
    // A variable that merely starts with P, and @P1 inside a literal, are not placeholders.
    assert_eq!(rewrite("SELECT @Price1, '@P1', ?", MS).unwrap(), "SELECT @Price1, '@P1', @P1");
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
    assert!(rewrite("SELECT $1, ?", PG).is_err());
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
    let ms = |s| rewrite(s, MS).unwrap().into_owned();
    assert_eq!(ms("WHERE a=?AND b=?"), "WHERE a=@P1 AND b=@P2");
    assert_eq!(ms("SELECT #?, @?, x?"), "SELECT # @P1, @ @P2, x @P3");
    assert_eq!(ms("SELECT (?)"), "SELECT (@P1)");
    // MySQL and SQLite keep `?`, which never joins a word.
    assert_eq!(rewrite("WHERE a=?AND b=?", MY).unwrap(), "WHERE a=?AND b=?");
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
    assert_eq!(highest_native_param("SELECT time'12:00\\', $2", PG), 2);
    // The long run found it too, after a number: `1E'\'` is no E'' string.
    assert_eq!(pg("INSERT INTO t VALUES ((?)1E'\\'(?))"), "INSERT INTO t VALUES (($1)1E'\\'($2))");
    // E'' strings, alone or after a non-word byte, still take escapes.
    assert_eq!(pg("SELECT E'\\'?', ?"), "SELECT E'\\'?', $1");
    assert_eq!(pg("SELECT (e'\\'?'), ?"), "SELECT (e'\\'?'), $1");
    assert_eq!(highest_native_param("SELECT E'\\'$9', $2", PG), 2);
}

#[test]
fn highest_dollar_parameter() {
    assert_eq!(highest_native_param("SELECT 1", PG), 0);
    assert_eq!(highest_native_param("SELECT $1, $12, $3", PG), 12);
    assert_eq!(highest_native_param("SELECT '$9', x$9, $q$ $8 $q$, $2", PG), 2);
    assert_eq!(highest_native_param("SELECT $65536", PG), 65536);
    assert_eq!(highest_native_param("SELECT $99999999999999999999999", PG), usize::MAX);
}

#[test]
fn statements_and_no_statements() {
    for d in [LITE, PG, MY, MS] {
        for none in ["", "   ", ";", " ; ;\n", "-- c", "/* c */", "/* a */ -- b\n ;"] {
            assert!(!has_statement(none, d), "{none:?} on {}", d.engine);
        }
        for some in ["SELECT 1", " x", "/* c */ SELECT 1", "-- c\nSELECT 1"] {
            assert!(has_statement(some, d), "{some:?} on {}", d.engine);
        }
    }
    assert!(!has_statement("# c", MY));
    assert!(has_statement("# c", PG));
    assert!(has_statement("/*!40101 SET NAMES utf8 */", MY));
    assert!(!has_statement("/* a /* nested */ b */", PG));
}

#[test]
fn unterminated_literals_do_not_panic() {
    assert_eq!(pg("SELECT '?"), "SELECT '?");
    assert_eq!(pg("SELECT $$ ?"), "SELECT $$ $1");
    assert_eq!(pg("SELECT ? /* ?"), "SELECT $1 /* ?");
}

// --- Multi-row INSERTs ---


fn shape(sql: &str, d: &Syntax) -> Option<(String, String, String, usize)> {
    InsertShape::parse(sql, d).map(|s| {
        (sql[s.target.clone()].to_owned(), sql[s.group.clone()].to_owned(), sql[s.group.end..s.end].to_owned(), s.params)
    })
}


#[test]
fn plain_inserts_qualify() {
    assert_eq!(shape("INSERT INTO t VALUES (?, ?)", PG), Some(("t".into(), "(?, ?)".into(), "".into(), 2)));
    assert_eq!(
        shape("  insert into s.\"T x\" (a, \"b\") values(?,'it''s ?', ?::numeric(10,2), NULL, -1.5e-3);", PG),
        Some(("s.\"T x\"".into(), "(?,'it''s ?', ?::numeric(10,2), NULL, -1.5e-3)".into(), "".into(), 2))
    );
    assert_eq!(
        shape("/* c ? */ INSERT IGNORE INTO `d`.`t` (`a`) VALUE (CAST(? AS CHAR), \"x?\", DEFAULT) # ?", MY),
        Some(("`d`.`t`".into(), "(CAST(? AS CHAR), \"x?\", DEFAULT)".into(), " # ?".into(), 1))
    );
    assert_eq!(shape("REPLACE INTO t VALUES (?, x'0f', _utf8mb4'a')", MY).map(|s| s.3), Some(1));
    assert_eq!(shape("INSERT INTO t VALUES (E'\\'?', ?, $$?$$)", PG).map(|s| s.3), Some(1));
}

#[test]
fn tails() {
    let s = shape("INSERT INTO t (a, b) VALUES (?, ?) ON DUPLICATE KEY UPDATE b = VALUES(b) + 1", MY).unwrap();
    assert_eq!(s.2, " ON DUPLICATE KEY UPDATE b = VALUES(b) + 1");
    assert!(shape("INSERT INTO t VALUES (?, ?) AS new (x, y) ON DUPLICATE KEY UPDATE b = new.y", MY).is_some());
    assert!(shape("INSERT INTO t VALUES (?) ON DUPLICATE KEY UPDATE b = ?", MY).is_none(), "a parameter in the tail");
    assert!(shape("INSERT INTO t VALUES (?) ON CONFLICT (a) DO NOTHING", PG).is_some());
    assert!(shape("INSERT INTO t AS x VALUES (?) ON CONFLICT DO NOTHING;", PG).is_some());
    assert!(shape("INSERT INTO t VALUES (?) ON CONFLICT (a) DO UPDATE SET b = 1", PG).is_none());
    assert!(shape("INSERT INTO t VALUES (?) RETURNING id", PG).is_none());
    assert!(shape("INSERT INTO t VALUES (?); SELECT 1", PG).is_none());
}

#[test]
fn others_run_row_by_row() {
    for sql in [
        "INSERT INTO t VALUES (?, now())",
        "INSERT INTO t VALUES (?, CURRENT_TIMESTAMP)",
        "INSERT INTO t VALUES (?, (SELECT max(a) FROM t))",
        "INSERT INTO t VALUES (? || 'x')",
        "INSERT INTO t VALUES ('no parameters')",
        "INSERT INTO t VALUES (?), (?)",
        "INSERT INTO t SELECT ?",
        "INSERT INTO t DEFAULT VALUES",
        "UPDATE t SET a = ?",
        "WITH x AS (SELECT 1) INSERT INTO t VALUES (?)",
        "INSERT INTO t VALUES ($1)",
        "INSERT INTO t VALUES (?::jsonb ?? 'k')",
        "INSERT INTO t (a) VALUES (?",
    ] {
        assert!(shape(sql, PG).is_none(), "{sql}");
    }
    assert!(shape("INSERT INTO t VALUES (?)", LITE).is_none());
    assert!(shape("INSERT INTO t VALUE (?)", PG).is_none(), "VALUE is MySQL's");
    assert!(shape("INSERT INTO t VALUES (`a`)", MY).is_none());
}

#[test]
fn repeats_the_group() {
    let sql = "INSERT INTO t (a) VALUES (?, 'x') ON CONFLICT DO NOTHING;";
    let s = InsertShape::parse(sql, PG).unwrap();
    assert_eq!(s.sql_for(sql, 3), "INSERT INTO t (a) VALUES (?, 'x'),(?, 'x'),(?, 'x') ON CONFLICT DO NOTHING");
    let two = s.sql_for(sql, 2);
    let native = rewrite(&two, PG).unwrap();
    assert_eq!(native, "INSERT INTO t (a) VALUES ($1, 'x'),($2, 'x') ON CONFLICT DO NOTHING");
}


/// What `core::many` needs to append a batch through a driver's appender:
/// the column names listed, and whether the VALUES group is placeholders
/// alone (one value per column, nothing computed).
#[test]
fn insert_shape_lists_columns_and_sees_bare_placeholders() {
    let cols = |sql: &str| -> (Vec<String>, bool) {
        let s = InsertShape::parse(sql, PG).unwrap();
        (s.columns.iter().map(|c| sql[c.clone()].to_owned()).collect(), s.only_placeholders)
    };
    assert_eq!(cols("INSERT INTO \"A b\" (\"X\", y) VALUES (?, ?)"), (vec!["\"X\"".into(), "y".into()], true));
    assert_eq!(cols("INSERT INTO t VALUES (?)"), (vec![], true));
    assert_eq!(cols("INSERT INTO t (a, b) VALUES (? , /* c */ ?);"), (vec!["a".into(), "b".into()], true));
    assert_eq!(cols("INSERT INTO t (a, b) VALUES (?, 'x')").1, false);
    assert_eq!(cols("INSERT INTO t (a, b) VALUES (?, DEFAULT)").1, false);
    assert_eq!(cols("INSERT INTO t (a) VALUES (CAST(? AS INT))").1, false);
    assert_eq!(cols("INSERT INTO t (a) VALUES (?::int)").1, false);
    assert_eq!(cols("INSERT INTO t (a) VALUES (-?)").1, false);
}

#[test]
fn identifiers_unquote() {
    assert_eq!(Syntax::unquote_identifier("plain"), "plain");
    assert_eq!(Syntax::unquote_identifier("\"a\"\"b c\""), "a\"b c");
    assert_eq!(Syntax::unquote_identifier("`a``b`"), "a`b");
    assert_eq!(Syntax::unquote_identifier("[a]]b]"), "a]b");
}

/// keel quotes the names it writes (ingest's table and columns) so that
/// every name round-trips on its engine. SQLite reads `[x]` but has no
/// escape for a `]` inside it, so `a]b` used to fail there
/// ("unrecognized token"); it is quoted with double quotes now, and
/// brackets stay SQL Server's.
#[test]
fn identifiers_quote_so_every_name_survives() {
    let sqlite = keel::Db::open("sqlite::memory:").unwrap();
    let c = sqlite.checkout().unwrap();
    let q = c.syntax().quote_identifier("a]b\"c").unwrap();
    assert_eq!(q, "\"a]b\"\"c\"");
    c.exec(&format!("CREATE TABLE {q} ({q} INTEGER)"), &[]).unwrap();
    c.exec(&format!("INSERT INTO {q} ({q}) VALUES (1)"), &[]).unwrap();
    let mut rows = c.query(&format!("SELECT {q} FROM {q}"), &[]).unwrap();
    assert!(rows.next().unwrap());
    assert_eq!(rows.columns()[0].name, "a]b\"c");
    assert_eq!(Syntax::unquote_identifier(&q), "a]b\"c");
}

/// SQLite's "table is locked" raised by the connection's own unfinished
/// statement is no lock conflict another session could release: it is
/// INVALID_STATE (55006), not BUSY (40001), which tells the caller to
/// retry.
#[test]
fn sqlite_table_locked_by_its_own_cursor_is_invalid_state() {
    let db = keel::Db::open("sqlite::memory:").unwrap();
    let c = db.checkout().unwrap();
    c.exec("CREATE TABLE t (a INTEGER)", &[]).unwrap();
    c.exec("INSERT INTO t VALUES (1), (2)", &[]).unwrap();
    let mut r = c.query("SELECT a FROM t", &[]).unwrap();
    assert!(r.next().unwrap());
    let e = c.exec("DROP TABLE t", &[]).unwrap_err();
    assert_eq!((e.status, e.sqlstate.as_str()), (keel::Status::InvalidState, "55006"), "{e}");
    drop(r);
    c.exec("DROP TABLE t", &[]).unwrap();
}
