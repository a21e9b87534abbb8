//! The catalog on SQL Server, from the `INFORMATION_SCHEMA` views of the
//! connection's database (tables, columns, keys, constraints) and the
//! `sys` catalog views (identity and computed columns, indexes). Catalogs
//! are the server's databases (`sys.databases`), schemas the database's;
//! every other question sees the connection's database only. Each
//! question is one query: the rows of its kind, wrapped by
//! [`over`](crate::core::catalog::over) in keel's filter and order, names
//! compared with case (`COLLATE Latin1_General_BIN`, where SQL Server's
//! default collation would ignore it). Not read: comments (SQL Server
//! keeps them as `MS_Description` extended properties), so `remarks` is
//! NULL.

use super::types::classify_name;
use crate::core::catalog::{Catalog, CatalogSql, over};
use crate::core::value::{Type as K, ValueRef};

/// The type as SQL Server's DDL writes it, from `INFORMATION_SCHEMA.COLUMNS`
/// (`c`): `nvarchar(50)`, `varbinary(max)`, `decimal(10,2)`, `time(7)`.
const TYPE_NAME: &str = "CASE WHEN c.DATA_TYPE IN ('char', 'varchar', 'nchar', 'nvarchar', 'binary', 'varbinary') \
     THEN CONCAT(c.DATA_TYPE, '(', CASE WHEN c.CHARACTER_MAXIMUM_LENGTH = -1 THEN 'max' \
     ELSE CAST(c.CHARACTER_MAXIMUM_LENGTH AS VARCHAR(10)) END, ')') \
     WHEN c.DATA_TYPE IN ('decimal', 'numeric') THEN CONCAT(c.DATA_TYPE, '(', c.NUMERIC_PRECISION, ',', c.NUMERIC_SCALE, ')') \
     WHEN c.DATA_TYPE IN ('time', 'datetime2', 'datetimeoffset') THEN CONCAT(c.DATA_TYPE, '(', c.DATETIME_PRECISION, ')') \
     ELSE c.DATA_TYPE END";

/// Key columns of the constraints of one type (`kind`: PRIMARY KEY,
/// UNIQUE), with `k` their `KEY_COLUMN_USAGE` rows.
fn key_columns(kind: &str, columns: &str) -> String {
    format!(
        "SELECT {columns} FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS t \
         JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE k ON k.CONSTRAINT_CATALOG = t.CONSTRAINT_CATALOG \
         AND k.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
         WHERE t.CONSTRAINT_TYPE = '{kind}'"
    )
}

fn all_rows(q: &Catalog<'_>) -> String {
    match q {
        Catalog::Catalogs => "SELECT name AS catalog_name FROM sys.databases".to_owned(),
        Catalog::Schemas { .. } => {
            "SELECT CATALOG_NAME AS catalog_name, SCHEMA_NAME AS schema_name FROM INFORMATION_SCHEMA.SCHEMATA".to_owned()
        }
        Catalog::Tables { .. } => "SELECT TABLE_CATALOG AS table_catalog, TABLE_SCHEMA AS table_schema, \
             TABLE_NAME AS table_name, CASE WHEN TABLE_TYPE = 'VIEW' THEN 'VIEW' \
             WHEN TABLE_SCHEMA IN ('sys', 'INFORMATION_SCHEMA') THEN 'SYSTEM TABLE' ELSE 'TABLE' END AS table_type, \
             CAST(NULL AS NVARCHAR(4000)) AS remarks FROM INFORMATION_SCHEMA.TABLES"
            .to_owned(),
        Catalog::Columns { .. } => format!(
            "SELECT c.TABLE_CATALOG AS table_catalog, c.TABLE_SCHEMA AS table_schema, c.TABLE_NAME AS table_name, \
             c.COLUMN_NAME AS column_name, CAST(c.ORDINAL_POSITION AS BIGINT) AS ordinal_position, \
             {TYPE_NAME} AS keel_type, {TYPE_NAME} AS type_name, \
             CAST(CASE WHEN c.IS_NULLABLE = 'YES' THEN 1 ELSE 0 END AS BIGINT) AS is_nullable, \
             c.COLUMN_DEFAULT AS column_default, \
             CAST(CASE WHEN c.DATA_TYPE IN ('char', 'varchar', 'nchar', 'nvarchar') AND c.CHARACTER_MAXIMUM_LENGTH > 0 \
             THEN c.CHARACTER_MAXIMUM_LENGTH END AS BIGINT) AS char_max_length, \
             CAST(CASE WHEN c.DATA_TYPE IN ('decimal', 'numeric') THEN c.NUMERIC_PRECISION END AS BIGINT) AS numeric_precision, \
             CAST(CASE WHEN c.DATA_TYPE IN ('decimal', 'numeric') THEN c.NUMERIC_SCALE END AS BIGINT) AS numeric_scale, \
             CAST(COALESCE(sc.is_identity, 0) AS BIGINT) AS is_autoincrement, \
             CAST(COALESCE(sc.is_computed, 0) AS BIGINT) AS is_generated, \
             CAST(NULL AS NVARCHAR(4000)) AS remarks \
             FROM INFORMATION_SCHEMA.COLUMNS c \
             LEFT JOIN sys.schemas s ON s.name = c.TABLE_SCHEMA \
             LEFT JOIN sys.objects o ON o.schema_id = s.schema_id AND o.name = c.TABLE_NAME \
             LEFT JOIN sys.columns sc ON sc.object_id = o.object_id AND sc.name = c.COLUMN_NAME"
        ),
        Catalog::PrimaryKeys { .. } => key_columns(
            "PRIMARY KEY",
            "k.TABLE_CATALOG AS table_catalog, k.TABLE_SCHEMA AS table_schema, k.TABLE_NAME AS table_name, \
             k.COLUMN_NAME AS column_name, CAST(k.ORDINAL_POSITION AS BIGINT) AS key_seq, k.CONSTRAINT_NAME AS pk_name",
        ),
        Catalog::UniqueConstraints { .. } => key_columns(
            "UNIQUE",
            "k.TABLE_CATALOG AS table_catalog, k.TABLE_SCHEMA AS table_schema, k.TABLE_NAME AS table_name, \
             k.CONSTRAINT_NAME AS constraint_name, CAST(k.ORDINAL_POSITION AS BIGINT) AS key_seq, \
             k.COLUMN_NAME AS column_name",
        ),
        Catalog::ForeignKeys { .. } => "SELECT f.TABLE_CATALOG AS fk_catalog, f.TABLE_SCHEMA AS fk_schema, \
             f.TABLE_NAME AS fk_table, f.COLUMN_NAME AS fk_column, p.TABLE_CATALOG AS pk_catalog, \
             p.TABLE_SCHEMA AS pk_schema, p.TABLE_NAME AS pk_table, p.COLUMN_NAME AS pk_column, \
             CAST(f.ORDINAL_POSITION AS BIGINT) AS key_seq, r.UPDATE_RULE AS update_rule, r.DELETE_RULE AS delete_rule, \
             r.CONSTRAINT_NAME AS fk_name, r.UNIQUE_CONSTRAINT_NAME AS pk_name, 'NOT DEFERRABLE' AS deferrability \
             FROM INFORMATION_SCHEMA.REFERENTIAL_CONSTRAINTS r \
             JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE f ON f.CONSTRAINT_CATALOG = r.CONSTRAINT_CATALOG \
             AND f.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA AND f.CONSTRAINT_NAME = r.CONSTRAINT_NAME \
             JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE p ON p.CONSTRAINT_CATALOG = r.UNIQUE_CONSTRAINT_CATALOG \
             AND p.CONSTRAINT_SCHEMA = r.UNIQUE_CONSTRAINT_SCHEMA AND p.CONSTRAINT_NAME = r.UNIQUE_CONSTRAINT_NAME \
             AND p.ORDINAL_POSITION = f.ORDINAL_POSITION"
            .to_owned(),
        Catalog::Indexes { .. } => "SELECT DB_NAME() AS table_catalog, s.name AS table_schema, o.name AS table_name, \
             i.name AS index_name, CAST(i.is_unique AS BIGINT) AS is_unique, \
             CAST(i.is_primary_key AS BIGINT) AS is_primary, CAST(ic.key_ordinal AS BIGINT) AS ordinal_position, \
             c.name AS column_name, CAST(ic.is_descending_key AS BIGINT) AS is_descending, \
             i.filter_definition AS filter \
             FROM sys.indexes i JOIN sys.objects o ON o.object_id = i.object_id \
             JOIN sys.schemas s ON s.schema_id = o.schema_id \
             JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id \
             JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id \
             WHERE i.type > 0 AND ic.key_ordinal > 0 AND o.type IN ('U', 'V')"
            .to_owned(),
        Catalog::CheckConstraints { .. } => "SELECT t.TABLE_CATALOG AS table_catalog, t.TABLE_SCHEMA AS table_schema, \
             t.TABLE_NAME AS table_name, t.CONSTRAINT_NAME AS constraint_name, c.CHECK_CLAUSE AS check_clause \
             FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS t \
             JOIN INFORMATION_SCHEMA.CHECK_CONSTRAINTS c ON c.CONSTRAINT_CATALOG = t.CONSTRAINT_CATALOG \
             AND c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
             WHERE t.CONSTRAINT_TYPE = 'CHECK'"
            .to_owned(),
    }
}

fn keel_type(v: ValueRef<'_>) -> K {
    match v {
        ValueRef::Text(t) => classify_name(t).0,
        _ => K::Null,
    }
}

pub(super) fn query(q: &Catalog<'_>) -> CatalogSql {
    let mut cs = over(q, &all_rows(q), " COLLATE Latin1_General_BIN");
    if matches!(q, Catalog::Columns { .. }) {
        cs.keel_type = Some(keel_type);
    }
    cs
}
