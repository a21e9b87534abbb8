//! The catalog on MySQL/MariaDB, from `information_schema`: a database is
//! a schema (the `*_schema` columns name it) and there are no catalogs
//! (the `*_catalog` columns are NULL, `keel_conn_catalogs` returns no row,
//! and a catalog argument matches nothing). Names compare with case
//! (`BINARY`), as they do on the server's Linux file systems. Each question
//! is one query.

use crate::core::catalog::{Catalog, CatalogSql, types_in};
use crate::core::error::Result;
use crate::core::value::{Type as K, Value, ValueRef};

const TABLES: &str = "SELECT NULL AS table_catalog, TABLE_SCHEMA AS table_schema, TABLE_NAME AS table_name, \
     CASE WHEN TABLE_SCHEMA IN ('mysql', 'information_schema', 'performance_schema', 'sys') \
     OR TABLE_TYPE = 'SYSTEM VIEW' THEN 'SYSTEM TABLE' WHEN TABLE_TYPE = 'VIEW' THEN 'VIEW' \
     WHEN TABLE_TYPE = 'TEMPORARY' THEN 'TEMPORARY' ELSE 'TABLE' END AS table_type, \
     CASE WHEN TABLE_TYPE = 'VIEW' OR TABLE_COMMENT = '' THEN NULL ELSE TABLE_COMMENT END AS remarks \
     FROM information_schema.TABLES";

/// The keel type of a column from its `COLUMN_TYPE`, as the cursor types a
/// value of that column (`types::columns`).
fn keel_type(v: ValueRef<'_>) -> K {
    let ValueRef::Text(t) = v else { return K::Null };
    let t = t.to_ascii_lowercase();
    let base = t.split(['(', ' ']).next().unwrap_or("");
    let unsigned = t.contains("unsigned");
    match base {
        "tinyint" if t.starts_with("tinyint(1)") && !unsigned => K::Bool,
        "bigint" if unsigned => K::Uint64,
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "year" => K::Int64,
        "float" | "double" | "real" => K::Double,
        "decimal" | "numeric" => K::Decimal,
        "date" => K::Date,
        "datetime" => K::Timestamp,
        "timestamp" => K::Timestamptz,
        "time" => K::Time,
        "bit" => K::Uint64,
        "json" => K::Json,
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" | "geometry" | "point"
        | "linestring" | "polygon" | "multipoint" | "multilinestring" | "multipolygon" | "geometrycollection" => {
            K::Bytes
        }
        _ => K::Text,
    }
}

/// `expr LIKE BINARY pattern` (backslash is MySQL's LIKE escape already).
fn like(expr: &str, pattern: Option<&str>, p: &mut Vec<Value>) -> String {
    match pattern {
        None => String::new(),
        Some(pat) => {
            p.push(Value::Text(pat.to_owned()));
            format!(" AND {expr} LIKE BINARY ?")
        }
    }
}

fn equals(expr: &str, name: Option<&str>, p: &mut Vec<Value>) -> String {
    match name {
        None => String::new(),
        Some(n) => {
            p.push(Value::Text(n.to_owned()));
            format!(" AND {expr} = BINARY ?")
        }
    }
}

/// No catalogs: asking for one matches nothing.
fn no_catalog(catalog: Option<&str>) -> &'static str {
    if catalog.is_some() { " AND 1 = 0" } else { "" }
}

/// `mariadb`: the server is MariaDB, whose `CHECK_CONSTRAINTS` names each
/// constraint's table (a column's CHECK is named after the column, so two
/// tables may hold one of the same name); MySQL's names constraints
/// uniquely in a schema and has no table column there.
pub(super) fn query(q: &Catalog<'_>, mariadb: bool) -> Result<CatalogSql> {
    let mut p = Vec::new();
    let sql = match *q {
        Catalog::Catalogs => "SELECT NULL AS catalog_name FROM DUAL WHERE 1 = 0".to_owned(),
        Catalog::Schemas { catalog, schema } => {
            let w = like("SCHEMA_NAME", schema, &mut p);
            format!(
                "SELECT NULL AS catalog_name, SCHEMA_NAME AS schema_name FROM information_schema.SCHEMATA \
                 WHERE 1 = 1{}{w} ORDER BY SCHEMA_NAME",
                no_catalog(catalog)
            )
        }
        Catalog::Tables { catalog, schema, table, ref types } => {
            let mut w = like("table_schema", schema, &mut p);
            w += &like("table_name", table, &mut p);
            w += &types_in("table_type", types, &mut p);
            format!(
                "SELECT table_catalog, table_schema, table_name, table_type, remarks FROM ({TABLES}) t \
                 WHERE 1 = 1{}{w} ORDER BY table_type, table_schema, table_name",
                no_catalog(catalog)
            )
        }
        Catalog::Columns { catalog, schema, table, column } => {
            let mut w = like("c.TABLE_SCHEMA", schema, &mut p);
            w += &like("c.TABLE_NAME", table, &mut p);
            w += &like("c.COLUMN_NAME", column, &mut p);
            // MariaDB reports a column without a default (nullable) as
            // DEFAULT 'NULL'; a string default comes quoted.
            format!(
                "SELECT NULL AS table_catalog, c.TABLE_SCHEMA AS table_schema, c.TABLE_NAME AS table_name, \
                 c.COLUMN_NAME AS column_name, CAST(c.ORDINAL_POSITION AS SIGNED) AS ordinal_position, \
                 c.COLUMN_TYPE AS keel_type, c.COLUMN_TYPE AS type_name, \
                 CAST(c.IS_NULLABLE = 'YES' AS SIGNED) AS is_nullable, \
                 NULLIF(c.COLUMN_DEFAULT, 'NULL') AS column_default, \
                 CASE WHEN c.DATA_TYPE IN ('char', 'varchar') THEN CAST(c.CHARACTER_MAXIMUM_LENGTH AS SIGNED) END \
                 AS char_max_length, \
                 CASE WHEN c.DATA_TYPE IN ('decimal', 'numeric') THEN CAST(c.NUMERIC_PRECISION AS SIGNED) END \
                 AS numeric_precision, \
                 CASE WHEN c.DATA_TYPE IN ('decimal', 'numeric') THEN CAST(c.NUMERIC_SCALE AS SIGNED) END \
                 AS numeric_scale, \
                 CAST(c.EXTRA LIKE '%auto_increment%' AS SIGNED) AS is_autoincrement, \
                 CAST(c.EXTRA LIKE '%generated%' AS SIGNED) AS is_generated, \
                 NULLIF(c.COLUMN_COMMENT, '') AS remarks \
                 FROM information_schema.COLUMNS c WHERE 1 = 1{}{w} \
                 ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION",
                no_catalog(catalog)
            )
        }
        Catalog::PrimaryKeys { catalog, schema, table } => {
            let mut w = equals("k.TABLE_SCHEMA", schema, &mut p);
            w += &equals("k.TABLE_NAME", table, &mut p);
            format!(
                "SELECT NULL AS table_catalog, k.TABLE_SCHEMA AS table_schema, k.TABLE_NAME AS table_name, \
                 k.COLUMN_NAME AS column_name, CAST(k.ORDINAL_POSITION AS SIGNED) AS key_seq, \
                 k.CONSTRAINT_NAME AS pk_name FROM information_schema.KEY_COLUMN_USAGE k \
                 WHERE k.CONSTRAINT_NAME = 'PRIMARY'{}{w} ORDER BY k.TABLE_SCHEMA, k.ORDINAL_POSITION",
                no_catalog(catalog)
            )
        }
        Catalog::ForeignKeys { catalog, schema, table, exported } => {
            let (s, t) = if exported {
                ("k.REFERENCED_TABLE_SCHEMA", "k.REFERENCED_TABLE_NAME")
            } else {
                ("k.TABLE_SCHEMA", "k.TABLE_NAME")
            };
            let mut w = equals(s, schema, &mut p);
            w += &equals(t, table, &mut p);
            format!(
                "SELECT NULL AS fk_catalog, k.TABLE_SCHEMA AS fk_schema, k.TABLE_NAME AS fk_table, \
                 k.COLUMN_NAME AS fk_column, NULL AS pk_catalog, k.REFERENCED_TABLE_SCHEMA AS pk_schema, \
                 k.REFERENCED_TABLE_NAME AS pk_table, k.REFERENCED_COLUMN_NAME AS pk_column, \
                 CAST(k.ORDINAL_POSITION AS SIGNED) AS key_seq, r.UPDATE_RULE AS update_rule, \
                 r.DELETE_RULE AS delete_rule, k.CONSTRAINT_NAME AS fk_name, \
                 r.UNIQUE_CONSTRAINT_NAME AS pk_name, 'NOT DEFERRABLE' AS deferrability \
                 FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                 ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
                 AND r.TABLE_NAME = k.TABLE_NAME \
                 WHERE k.REFERENCED_TABLE_NAME IS NOT NULL{}{w} \
                 ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
                no_catalog(catalog)
            )
        }
        Catalog::Indexes { catalog, schema, table } => {
            let mut w = equals("s.TABLE_SCHEMA", schema, &mut p);
            w += &equals("s.TABLE_NAME", table, &mut p);
            format!(
                "SELECT NULL AS table_catalog, s.TABLE_SCHEMA AS table_schema, s.TABLE_NAME AS table_name, \
                 s.INDEX_NAME AS index_name, CAST(s.NON_UNIQUE = 0 AS SIGNED) AS is_unique, \
                 CAST(s.INDEX_NAME = 'PRIMARY' AS SIGNED) AS is_primary, \
                 CAST(s.SEQ_IN_INDEX AS SIGNED) AS ordinal_position, s.COLUMN_NAME AS column_name, \
                 CAST(COALESCE(s.COLLATION = 'D', 0) AS SIGNED) AS is_descending, NULL AS filter \
                 FROM information_schema.STATISTICS s WHERE 1 = 1{}{w} \
                 ORDER BY s.TABLE_SCHEMA, s.INDEX_NAME, s.SEQ_IN_INDEX",
                no_catalog(catalog)
            )
        }
        Catalog::UniqueConstraints { catalog, schema, table } => {
            let mut w = equals("k.TABLE_SCHEMA", schema, &mut p);
            w += &equals("k.TABLE_NAME", table, &mut p);
            format!(
                "SELECT NULL AS table_catalog, k.TABLE_SCHEMA AS table_schema, k.TABLE_NAME AS table_name, \
                 k.CONSTRAINT_NAME AS constraint_name, CAST(k.ORDINAL_POSITION AS SIGNED) AS key_seq, \
                 k.COLUMN_NAME AS column_name \
                 FROM information_schema.TABLE_CONSTRAINTS t JOIN information_schema.KEY_COLUMN_USAGE k \
                 ON k.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
                 AND k.TABLE_NAME = t.TABLE_NAME \
                 WHERE t.CONSTRAINT_TYPE = 'UNIQUE'{}{w} \
                 ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
                no_catalog(catalog)
            )
        }
        Catalog::CheckConstraints { catalog, schema, table } => {
            let mut w = equals("t.TABLE_SCHEMA", schema, &mut p);
            w += &equals("t.TABLE_NAME", table, &mut p);
            let same_table = if mariadb { " AND c.TABLE_NAME = t.TABLE_NAME" } else { "" };
            format!(
                "SELECT NULL AS table_catalog, t.TABLE_SCHEMA AS table_schema, t.TABLE_NAME AS table_name, \
                 t.CONSTRAINT_NAME AS constraint_name, c.CHECK_CLAUSE AS check_clause \
                 FROM information_schema.TABLE_CONSTRAINTS t JOIN information_schema.CHECK_CONSTRAINTS c \
                 ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME{same_table} \
                 WHERE t.CONSTRAINT_TYPE = 'CHECK'{}{w} \
                 ORDER BY t.TABLE_SCHEMA, t.TABLE_NAME, t.CONSTRAINT_NAME",
                no_catalog(catalog)
            )
        }
    };
    let mut cs = CatalogSql::new(sql, p);
    if matches!(q, Catalog::Columns { .. }) {
        cs.keel_type = Some(keel_type);
    }
    Ok(cs)
}
