//! The catalog on SQLite: its databases (`main`, `temp`, attached ones)
//! are the catalogs, and it has no schemas (the schema column is NULL and a
//! schema argument is not used). Everything comes from the `pragma_*`
//! table-valued functions in one query; only an index's filter needs the
//! list of databases first, to read each one's `sqlite_schema`.
//!
//! Names compare with case (`GLOB` for patterns, `=` for exact names),
//! although SQLite itself resolves names without case: ask with the name
//! as the table was created. Things SQLite does not record or report are
//! NULL: lengths, precisions and scales (they are part of `type_name`),
//! constraint names, and whether a foreign key is deferrable.
//!
//! CHECK constraints SQLite keeps only in the text of each CREATE TABLE:
//! keel reads those texts (one query), finds the constraints in them
//! ([`check_clauses`]) and answers with a query over the values found.

use super::types::kind_from_decltype;
use crate::core::catalog::{Catalog, CatalogSql, equals, like_to_glob, types_in};
use crate::core::driver::DriverConn;
use crate::core::error::Result;
use crate::core::value::{Type, Value, ValueRef};

/// The tables and views of every database, with the columns of
/// `Catalog::Tables`.
const TABLES: &str = "SELECT t.schema AS table_catalog, NULL AS table_schema, t.name AS table_name, \
     CASE WHEN t.type = 'shadow' OR t.name LIKE 'sqlite\\_%' ESCAPE '\\' THEN 'SYSTEM TABLE' \
     WHEN t.schema = 'temp' THEN 'TEMPORARY' WHEN t.type = 'view' THEN 'VIEW' ELSE 'TABLE' END AS table_type, \
     NULL AS remarks, t.wr AS without_rowid \
     FROM pragma_table_list t WHERE t.type IN ('table', 'view', 'virtual', 'shadow')";

fn glob(expr: &str, pattern: Option<&str>, params: &mut Vec<Value>) -> String {
    match pattern {
        None => String::new(),
        Some(p) => {
            params.push(Value::Text(like_to_glob(p)));
            format!(" AND {expr} GLOB ?")
        }
    }
}

fn keel_type(v: ValueRef<'_>) -> Type {
    match v {
        ValueRef::Text(t) => kind_from_decltype(t),
        _ => Type::Null,
    }
}

/// The names of the databases open on `conn` (`PRAGMA database_list`).
fn databases(conn: &mut dyn DriverConn) -> Result<Vec<String>> {
    let mut st = conn.prepare("SELECT name FROM pragma_database_list ORDER BY seq")?;
    let mut rows = st.query()?;
    let mut out = Vec::new();
    while rows.next()? {
        if let ValueRef::Text(t) = rows.value(0) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A string as an SQL literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The query answering [`Catalog::CheckConstraints`]: the CREATE TABLE
/// texts of the tables asked about, read here, and their constraints as
/// the rows of a VALUES list.
fn check_constraints(conn: &mut dyn DriverConn, catalog: Option<&str>, table: Option<&str>) -> Result<String> {
    let mut p = Vec::new();
    let sources: Vec<String> = databases(conn)?
        .iter()
        .filter(|d| catalog.is_none_or(|c| c == d.as_str()))
        .map(|d| {
            let mut w = String::new();
            if let Some(t) = table {
                p.push(Value::Text(t.to_owned()));
                w = " AND name = ?".to_owned();
            }
            format!(
                "SELECT {} AS db, name, sql FROM {}.sqlite_schema WHERE type = 'table' AND sql IS NOT NULL{w}",
                literal(d),
                quote(d)
            )
        })
        .collect();
    let mut rows_sql = Vec::new();
    if !sources.is_empty() {
        let mut st = conn.prepare(&sources.join(" UNION ALL "))?;
        for (i, v) in p.iter().enumerate() {
            st.bind(i, v.as_ref())?;
        }
        let mut rows = st.query()?;
        while rows.next()? {
            let (ValueRef::Text(db), ValueRef::Text(name), ValueRef::Text(sql)) = (rows.value(0), rows.value(1), rows.value(2))
            else {
                continue;
            };
            for (cname, clause) in check_clauses(sql) {
                let cname = cname.as_deref().map_or("NULL".to_owned(), literal);
                rows_sql.push(format!(
                    "({}, {}, {}, {cname}, {})",
                    literal(db),
                    literal(name),
                    rows_sql.len(),
                    literal(&clause)
                ));
            }
        }
    }
    if rows_sql.is_empty() {
        return Ok("SELECT NULL AS table_catalog, NULL AS table_schema, NULL AS table_name, \
                   NULL AS constraint_name, NULL AS check_clause WHERE 0"
            .to_owned());
    }
    // column1 database, column2 table, column3 the order found.
    Ok(format!(
        "SELECT column1 AS table_catalog, NULL AS table_schema, column2 AS table_name, \
         column4 AS constraint_name, column5 AS check_clause FROM (VALUES {}) \
         ORDER BY column1, column2, column3",
        rows_sql.join(", ")
    ))
}

/// One token of SQL text, for [`check_clauses`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    /// A keyword or a bare name.
    Word,
    /// A quoted name (`"x"`, `` `x` ``, `[x]`).
    Quoted,
    Open,
    Close,
    Comma,
    /// A string literal, a number's part or any other character.
    Other,
}

/// The tokens of `sql` as (kind, start, end) byte ranges, comments and
/// blanks left out. Unterminated quotes and comments run to the end.
fn tokens(sql: &str) -> Vec<(Tok, usize, usize)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // The end of a quoted run opened at `i` and closed by `close`, a
    // doubled `close` standing for itself.
    let quoted = |i: usize, close: u8, doubles: bool| {
        let mut j = i + 1;
        while j < b.len() {
            if b[j] == close {
                if doubles && b.get(j + 1) == Some(&close) {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            j += 1;
        }
        b.len()
    };
    while i < b.len() {
        let c = b[i];
        let (kind, end) = match c {
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |n| i + n + 1);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
                continue;
            }
            b'\'' => (Tok::Other, quoted(i, b'\'', true)),
            b'"' => (Tok::Quoted, quoted(i, b'"', true)),
            b'`' => (Tok::Quoted, quoted(i, b'`', true)),
            b'[' => (Tok::Quoted, quoted(i, b']', false)),
            b'(' => (Tok::Open, i + 1),
            b')' => (Tok::Close, i + 1),
            b',' => (Tok::Comma, i + 1),
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 => {
                let n = b[i..].iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80));
                (Tok::Word, n.map_or(b.len(), |n| i + n))
            }
            _ => (Tok::Other, i + 1),
        };
        out.push((kind, i, end));
        i = end;
    }
    out
}

/// A name token's text, unquoted.
fn name_of(sql: &str, (kind, start, end): (Tok, usize, usize)) -> String {
    let t = &sql[start..end];
    if kind != Tok::Quoted || t.len() < 2 {
        return t.to_owned();
    }
    let (open, inner) = (t.as_bytes()[0], &t[1..t.len() - 1]);
    match open {
        b'"' => inner.replace("\"\"", "\""),
        b'`' => inner.replace("``", "`"),
        _ => inner.to_owned(),
    }
}

/// The CHECK constraints in a CREATE TABLE statement's text, column and
/// table constraints alike, in the order written: the name given with
/// `CONSTRAINT name` (or `None`) and the condition's text as written,
/// without its outer parentheses. None for `CREATE TABLE ... AS SELECT`
/// or a virtual table.
pub(super) fn check_clauses(sql: &str) -> Vec<(Option<String>, String)> {
    let toks = tokens(sql);
    let word = |k: usize, w: &str| toks.get(k).is_some_and(|&(t, s, e)| t == Tok::Word && sql[s..e].eq_ignore_ascii_case(w));
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut k = 0;
    while k < toks.len() {
        let t = toks[k].0;
        match t {
            Tok::Open => depth += 1,
            Tok::Close if depth == 1 => break,
            Tok::Close => depth = depth.saturating_sub(1),
            Tok::Word if depth == 0 && (word(k, "AS") || word(k, "USING")) => break,
            Tok::Word if depth == 1 && word(k, "CHECK") && toks.get(k + 1).is_some_and(|t| t.0 == Tok::Open) => {
                // The condition: from after its '(' to the matching ')'.
                let start = toks[k + 1].2;
                let mut d = 1usize;
                let mut j = k + 2;
                while j < toks.len() {
                    match toks[j].0 {
                        Tok::Open => d += 1,
                        Tok::Close if d == 1 => break,
                        Tok::Close => d -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                let stop = toks.get(j).map_or(sql.len(), |t| t.1);
                let name = (k >= 2 && word(k - 2, "CONSTRAINT")).then(|| name_of(sql, toks[k - 1]));
                out.push((name, sql[start..stop].trim().to_owned()));
                k = j + 1;
                continue;
            }
            _ => {}
        }
        k += 1;
    }
    out
}

pub(super) fn query(conn: &mut dyn DriverConn, q: &Catalog<'_>) -> Result<CatalogSql> {
    let mut p = Vec::new();
    let sql = match *q {
        Catalog::Catalogs => "SELECT name AS catalog_name FROM pragma_database_list ORDER BY seq".to_owned(),
        Catalog::Schemas { .. } => "SELECT NULL AS catalog_name, NULL AS schema_name WHERE 0".to_owned(),
        Catalog::Tables { catalog, table, ref types, .. } => {
            let mut w = equals("table_catalog", catalog, &mut p);
            w += &glob("table_name", table, &mut p);
            w += &types_in("table_type", types, &mut p);
            format!(
                "SELECT table_catalog, table_schema, table_name, table_type, remarks FROM ({TABLES}) \
                 WHERE 1 = 1{w} ORDER BY table_type, table_catalog, table_name"
            )
        }
        Catalog::Columns { catalog, table, column, .. } => {
            let mut w = equals("t.table_catalog", catalog, &mut p);
            w += &glob("t.table_name", table, &mut p);
            w += &glob("c.name", column, &mut p);
            // A rowid alias (INTEGER PRIMARY KEY, the key alone, in a
            // table with rowids) never holds NULL and numbers itself.
            let alias = "(c.pk = 1 AND upper(c.type) = 'INTEGER' AND NOT t.without_rowid AND t.table_type <> 'VIEW' \
                 AND (SELECT count(*) FROM pragma_table_info(t.table_name, t.table_catalog) k WHERE k.pk > 0) = 1)";
            format!(
                "SELECT t.table_catalog, t.table_schema, t.table_name, c.name AS column_name, \
                 c.cid + 1 AS ordinal_position, c.type AS keel_type, c.type AS type_name, \
                 CASE WHEN c.\"notnull\" OR (c.pk > 0 AND t.without_rowid) OR {alias} THEN 0 ELSE 1 END AS is_nullable, \
                 c.dflt_value AS column_default, NULL AS char_max_length, NULL AS numeric_precision, \
                 NULL AS numeric_scale, CASE WHEN {alias} THEN 1 ELSE 0 END AS is_autoincrement, \
                 CASE WHEN c.hidden IN (2, 3) THEN 1 ELSE 0 END AS is_generated, NULL AS remarks \
                 FROM ({TABLES}) t JOIN pragma_table_xinfo(t.table_name, t.table_catalog) c \
                 WHERE c.hidden <> 1{w} ORDER BY t.table_catalog, t.table_name, c.cid"
            )
        }
        Catalog::PrimaryKeys { catalog, table, .. } => {
            let mut w = equals("t.schema", catalog, &mut p);
            w += &equals("t.name", table, &mut p);
            format!(
                "SELECT t.schema AS table_catalog, NULL AS table_schema, t.name AS table_name, \
                 c.name AS column_name, c.pk AS key_seq, NULL AS pk_name \
                 FROM pragma_table_list t JOIN pragma_table_info(t.name, t.schema) c \
                 WHERE c.pk > 0 AND t.type = 'table'{w} ORDER BY t.schema, c.pk"
            )
        }
        Catalog::ForeignKeys { catalog, table, exported, .. } => {
            let mut w = equals("t.schema", catalog, &mut p);
            // The referenced table as the REFERENCES clause spells it,
            // which SQLite resolves without case.
            w += &if let (true, Some(table)) = (exported, table) {
                p.push(Value::Text(table.to_owned()));
                " AND f.\"table\" = ? COLLATE NOCASE".to_owned()
            } else if exported {
                String::new()
            } else {
                equals("t.name", table, &mut p)
            };
            format!(
                "SELECT t.schema AS fk_catalog, NULL AS fk_schema, t.name AS fk_table, f.\"from\" AS fk_column, \
                 t.schema AS pk_catalog, NULL AS pk_schema, f.\"table\" AS pk_table, \
                 COALESCE(f.\"to\", (SELECT k.name FROM pragma_table_info(f.\"table\", t.schema) k \
                 WHERE k.pk = f.seq + 1)) AS pk_column, \
                 f.seq + 1 AS key_seq, f.on_update AS update_rule, f.on_delete AS delete_rule, \
                 NULL AS fk_name, NULL AS pk_name, NULL AS deferrability \
                 FROM pragma_table_list t JOIN pragma_foreign_key_list(t.name, t.schema) f \
                 WHERE t.type = 'table'{w} ORDER BY t.schema, t.name, f.id, f.seq"
            )
        }
        Catalog::Indexes { catalog, table, .. } => {
            // A partial index's filter is the text after WHERE in its
            // CREATE INDEX, kept in its database's sqlite_schema.
            let sources: Vec<String> = databases(conn)?
                .iter()
                .map(|d| {
                    let lit = d.replace('\'', "''");
                    format!("SELECT '{lit}' AS db, name, sql FROM {}.sqlite_schema WHERE type = 'index'", quote(d))
                })
                .collect();
            let mut w = equals("t.schema", catalog, &mut p);
            w += &equals("t.name", table, &mut p);
            format!(
                "SELECT t.schema AS table_catalog, NULL AS table_schema, t.name AS table_name, \
                 il.name AS index_name, il.\"unique\" AS is_unique, \
                 CASE WHEN il.origin = 'pk' THEN 1 ELSE 0 END AS is_primary, \
                 x.seqno + 1 AS ordinal_position, x.name AS column_name, x.\"desc\" AS is_descending, \
                 CASE WHEN il.partial THEN (SELECT trim(substr(m.sql, instr(upper(m.sql), ' WHERE ') + 7)) \
                 FROM ({}) m WHERE m.db = t.schema AND m.name = il.name) END AS filter \
                 FROM pragma_table_list t JOIN pragma_index_list(t.name, t.schema) il \
                 JOIN pragma_index_xinfo(il.name, t.schema) x \
                 WHERE x.key = 1 AND t.type = 'table'{w} ORDER BY t.schema, il.name, x.seqno",
                sources.join(" UNION ALL ")
            )
        }
        Catalog::UniqueConstraints { catalog, table, .. } => {
            // origin 'u': the index SQLite made for a UNIQUE constraint.
            let mut w = equals("t.schema", catalog, &mut p);
            w += &equals("t.name", table, &mut p);
            format!(
                "SELECT t.schema AS table_catalog, NULL AS table_schema, t.name AS table_name, \
                 il.name AS constraint_name, x.seqno + 1 AS key_seq, x.name AS column_name \
                 FROM pragma_table_list t JOIN pragma_index_list(t.name, t.schema) il \
                 JOIN pragma_index_info(il.name, t.schema) x \
                 WHERE il.origin = 'u' AND t.type = 'table'{w} ORDER BY t.schema, t.name, il.name, x.seqno"
            )
        }
        Catalog::CheckConstraints { catalog, table, .. } => check_constraints(conn, catalog, table)?,
    };
    let mut cs = CatalogSql::new(sql, p);
    if matches!(q, Catalog::Columns { .. }) {
        cs.keel_type = Some(keel_type);
    }
    Ok(cs)
}

#[cfg(test)]
mod tests {
    use super::check_clauses;

    /// `check_clauses(sql)` as borrowed strings, to compare with literals.
    fn found(sql: &str, want: &[(Option<&str>, &str)]) {
        let got = check_clauses(sql);
        let got: Vec<(Option<&str>, &str)> = got.iter().map(|(n, c)| (n.as_deref(), c.as_str())).collect();
        assert_eq!(got, want, "{sql}");
    }

    #[test]
    fn column_and_table_checks_with_and_without_names() {
        let sql = "CREATE TABLE t (a INT CHECK (a > 0), b TEXT CONSTRAINT b_short CHECK(length(b) < 5) NOT NULL, \
                   c INT, CHECK (c IN (1, 2)), CONSTRAINT \"c \"\"big\"\"\" CHECK (c < 100))";
        found(sql, &[(None, "a > 0"), (Some("b_short"), "length(b) < 5"), (None, "c IN (1, 2)"), (Some("c \"big\""), "c < 100")]);
    }

    #[test]
    fn quotes_comments_and_nested_parentheses_do_not_confuse_it() {
        let sql = "CREATE TABLE \"a(b\" ( -- a comment with CHECK (x)\n\
                   x TEXT DEFAULT ')' CHECK (x <> 'CHECK (' AND x <> ')'), /* CHECK (no) */ \
                   [check] INT, `y` INT CONSTRAINT [n] CHECK ((y + (1)) > 0)) WITHOUT ROWID";
        found(sql, &[(None, "x <> 'CHECK (' AND x <> ')'"), (Some("n"), "(y + (1)) > 0")]);
    }

    proptest::proptest! {
        /// Any text, made of the pieces that steer the scan (quotes,
        /// parentheses, comments, CHECK, CONSTRAINT) and others: no panic,
        /// and every clause found is a piece of the text.
        #[test]
        fn any_text_is_scanned_without_a_panic(parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just("CHECK ".to_owned()),
                proptest::strategy::Just("CONSTRAINT ".to_owned()),
                proptest::strategy::Just("(".to_owned()),
                proptest::strategy::Just(")".to_owned()),
                proptest::strategy::Just(",".to_owned()),
                proptest::strategy::Just("'".to_owned()),
                proptest::strategy::Just("\"".to_owned()),
                proptest::strategy::Just("[".to_owned()),
                proptest::strategy::Just("--".to_owned()),
                proptest::strategy::Just("/*".to_owned()),
                proptest::strategy::Just("\n".to_owned()),
                "[a-zé ]{0,4}",
            ],
            0..40,
        )) {
            let sql = format!("CREATE TABLE t ({}", parts.concat());
            for (_, clause) in check_clauses(&sql) {
                proptest::prop_assert!(sql.contains(&clause));
            }
        }
    }

    #[test]
    fn tables_without_a_column_list_have_none() {
        found("CREATE TABLE t AS SELECT check_it(1) AS x", &[]);
        found("CREATE VIRTUAL TABLE v USING fts5(a, check)", &[]);
        found("CREATE TABLE t (a INT)", &[]);
        // Cut short: what is there is read, nothing panics.
        found("CREATE TABLE t (a INT CHECK (a > 0", &[(None, "a > 0")]);
        found("CREATE TABLE t (a INT CHECK", &[]);
    }
}
