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
    };
    let mut cs = CatalogSql::new(sql, p);
    if matches!(q, Catalog::Columns { .. }) {
        cs.keel_type = Some(keel_type);
    }
    Ok(cs)
}
