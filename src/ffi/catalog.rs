//! The catalog calls: `keel_conn_catalogs`, `keel_conn_schemas`,
//! `keel_conn_tables`, `keel_conn_columns`, `keel_conn_primary_keys`,
//! `keel_conn_foreign_keys`, `keel_conn_indexes`,
//! `keel_conn_unique_constraints`, `keel_conn_check_constraints`. Each returns an ordinary
//! `keel_rows` with the columns its doc lists (`core::catalog`).

use super::boundary::{Opaque, c_str, call_on, into_handle, out_ptr, write};
use super::conn::keel_conn;
use super::error::keel_error;
use super::rows::{RowsState, keel_rows};
use crate::core::catalog::{Catalog, TABLE_TYPES};
use crate::core::error::{Error, Result, Status};
use std::ffi::c_char;

/// Which foreign keys `keel_conn_foreign_keys` lists. Part of the C ABI:
/// numbers never change.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForeignKeys {
    /// The keys the table holds: its columns that reference other tables.
    Imported = 0,
    /// The keys of other tables (or the table itself) that reference it.
    Exported = 1,
}

/// An optional string argument: NULL is `None`.
fn opt<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if p.is_null() { Ok(None) } else { c_str(p, name).map(Some) }
}

/// The names of a question about one table: `catalog` and `schema`
/// optional, `table` required.
fn table_names<'a>(
    catalog: *const c_char,
    schema: *const c_char,
    table: *const c_char,
) -> Result<(Option<&'a str>, Option<&'a str>, Option<&'a str>)> {
    Ok((opt(catalog, "catalog")?, opt(schema, "schema")?, Some(c_str(table, "table")?)))
}

/// Run `q` on `conn` and hand the cursor to `rows_out`.
fn ask<'a>(
    conn: *mut keel_conn,
    rows_out: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
    q: impl FnOnce() -> Result<Catalog<'a>>,
) -> Status {
    call_on(conn, err_out, |c: &mut <keel_conn as Opaque>::Rust| {
        let out = out_ptr(rows_out, "rows_out")?;
        let q = q()?;
        let rows = c.conn().catalog(&q)?;
        write(out, into_handle(RowsState::new(rows)));
        Ok(())
    })
}

/// List the catalogs: one column, `catalog_name` (text). SQLite: its
/// databases (`main`, `temp` when used, attached ones); PostgreSQL: the
/// connection's database (a connection sees one); MySQL/MariaDB: no rows
/// (a database is a schema there); SQL Server: the server's databases
/// (`sys.databases`; every other call sees the connection's database
/// only); a driver loaded at run time: what its
/// `catalog_queries` (keel_driver.h) answer, `KEEL_STATUS_NOT_IMPLEMENTED`
/// for a question it has none for (DuckDB's driver answers every one:
/// its databases are the catalogs, its schemas the schemas).
///
/// The catalog calls (`keel_conn_catalogs`, `keel_conn_schemas`,
/// `keel_conn_tables`, `keel_conn_columns`, `keel_conn_primary_keys`,
/// `keel_conn_foreign_keys`, `keel_conn_indexes`,
/// `keel_conn_unique_constraints`, `keel_conn_check_constraints`) share
/// these rules:
/// - The answer is an ordinary cursor: read it with `keel_rows_next` and the
///   `keel_rows_column_*` calls, by index or by name
///   (`keel_rows_column_index`). Its columns are those the call lists, in
///   that order, on every engine. Integer columns read with
///   `keel_rows_column_int64`; flags (`is_*`) are 0 or 1; a column an
///   engine does not record is NULL (each call says which).
/// - Patterns (`*_pattern` arguments) take `%` (any run of characters) and
///   `_` (any one character), with `\` before either to mean it literally
///   (`"order\_items"`), and compare with case. NULL matches everything.
///   Exact names (`table`, `schema` of the key, index and constraint
///   calls) compare as written, with case. A `catalog` argument is an exact
///   name or NULL (every catalog; on PostgreSQL the connection's database).
/// - Where things live: SQLite's databases are catalogs and it has no
///   schemas (the schema column is NULL; a schema argument is not used);
///   PostgreSQL has one catalog, the database, and its schemas;
///   MySQL/MariaDB's databases are schemas and it has no catalogs (the
///   catalog column is NULL; a catalog argument matches nothing); SQL
///   Server's databases are catalogs, and every call but this one sees
///   the connection's database (its `INFORMATION_SCHEMA`) only.
/// - Each call runs one query on the engine (SQLite's index list and CHECK
///   constraints run two), never one per table; like `keel_conn_query`,
///   the cursor holds the connection's one result (see
///   `KEEL_CAPABILITY_SEVERAL_CURSORS`).
///
/// Ownership: on success `*rows_out` receives a new `keel_rows`, freed with
/// `keel_rows_free`; the string arguments are borrowed for the call.
///
/// Errors: `KEEL_STATUS_NULL_ARGUMENT` (conn, rows_out, a required name),
/// `KEEL_STATUS_INVALID_ARGUMENT` (invalid UTF-8, an empty table name, an
/// unknown table type), `KEEL_STATUS_NOT_IMPLEMENTED` (a loaded driver
/// without that question in its `catalog_queries`), and the engine's
/// errors.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_catalogs(
    conn: *mut keel_conn,
    rows_out: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    ask(conn, rows_out, err_out, || Ok(Catalog::Catalogs))
}

/// List the schemas whose name matches `schema_pattern` (NULL: all):
/// columns `catalog_name`, `schema_name` (text). SQLite: no rows;
/// MySQL/MariaDB: its databases (catalog NULL). The rules of
/// `keel_conn_catalogs` apply.
///
/// Ownership: as `keel_conn_catalogs`.
///
/// Errors: as `keel_conn_catalogs`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_schemas(
    conn: *mut keel_conn,
    catalog: *const c_char,
    schema_pattern: *const c_char,
    rows_out: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    ask(conn, rows_out, err_out, || {
        Ok(Catalog::Schemas { catalog: opt(catalog, "catalog")?, schema: opt(schema_pattern, "schema_pattern")? })
    })
}

/// List tables and views, ordered by type, catalog, schema and name.
///
/// `table_types`: NULL for every type, or a comma-separated list of
/// `TABLE`, `VIEW`, `MATERIALIZED VIEW`, `FOREIGN TABLE`, `TEMPORARY`,
/// `SYSTEM TABLE` (e.g. `"TABLE,VIEW"`); another word is
/// `KEEL_STATUS_INVALID_ARGUMENT`.
///
/// Columns:
/// - `table_catalog`, `table_schema`, `table_name` (text; see the rules of
///   `keel_conn_catalogs` for which are NULL where);
/// - `table_type` (text, one of the types above): a temporary table or view
///   is `TEMPORARY`; the engine's own tables (`sqlite_*`, `pg_catalog`,
///   `information_schema`, MySQL's `mysql`, `sys`, `performance_schema`)
///   are `SYSTEM TABLE`; SQL Server lists neither (its temporary tables
///   live in tempdb, its system tables are not in `INFORMATION_SCHEMA`),
///   and MySQL/MariaDB list no temporary table (`information_schema`
///   does not show them; the same goes for the other catalog calls);
/// - `remarks` (text): the table's comment (PostgreSQL `COMMENT ON`, MySQL
///   `COMMENT`); NULL when there is none, always on SQLite and SQL Server
///   (whose comments are extended properties, not read).
///
/// The rules of `keel_conn_catalogs` apply.
///
/// Ownership: as `keel_conn_catalogs`.
///
/// Errors: as `keel_conn_catalogs`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_tables(
    conn: *mut keel_conn,
    catalog: *const c_char,
    schema_pattern: *const c_char,
    table_pattern: *const c_char,
    table_types: *const c_char,
    rows_out: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    ask(conn, rows_out, err_out, || {
        let types = match opt(table_types, "table_types")? {
            None => Vec::new(),
            Some(list) => list.split(',').map(str::trim).filter(|t| !t.is_empty()).collect(),
        };
        if let Some(bad) = types.iter().find(|t| !TABLE_TYPES.contains(t)) {
            return Err(Error::invalid_argument(format!(
                "table_types names {bad:?}; the types are {}",
                TABLE_TYPES.join(", ")
            ))
            .not_sent());
        }
        Ok(Catalog::Tables {
            catalog: opt(catalog, "catalog")?,
            schema: opt(schema_pattern, "schema_pattern")?,
            table: opt(table_pattern, "table_pattern")?,
            types,
        })
    })
}

/// List the columns of the tables and views that match, ordered by
/// schema, table and position.
///
/// Columns:
/// - `table_catalog`, `table_schema`, `table_name`, `column_name` (text);
/// - `ordinal_position` (int64): the column's position, from 1;
/// - `keel_type` (int64): the `keel_type` a value of the column reads as
///   (`KEEL_TYPE_DECIMAL` for `NUMERIC(10,2)`); 0 (`KEEL_TYPE_NULL`) on
///   SQLite for a column declared without a type, whose values each carry
///   their own;
/// - `type_name` (text): the engine's own type, as its DDL writes it
///   (`numeric(10,2)`, `varchar(20)`, `DECIMAL(10,2)`);
/// - `is_nullable` (int64, 0 or 1): 0 when the column cannot hold NULL
///   (NOT NULL, a primary key column on the servers, SQLite's INTEGER
///   PRIMARY KEY);
/// - `column_default` (text): the default as an SQL expression, as the
///   engine prints it (`'x'::character varying`, `'x'`); NULL when none;
/// - `char_max_length` (int64): the declared length of CHAR/VARCHAR
///   columns; NULL for other types, and always on SQLite (which keeps the
///   length only in `type_name`);
/// - `numeric_precision`, `numeric_scale` (int64): of DECIMAL/NUMERIC
///   columns declared with them; NULL otherwise, and always on SQLite;
/// - `is_autoincrement` (int64, 0 or 1): the engine numbers the column
///   itself (identity, serial, AUTO_INCREMENT, SQLite's INTEGER PRIMARY KEY);
/// - `is_generated` (int64, 0 or 1): a generated (computed) column;
/// - `remarks` (text): the column's comment; NULL when none, always on
///   SQLite and SQL Server.
///
/// The rules of `keel_conn_catalogs` apply.
///
/// Ownership: as `keel_conn_catalogs`.
///
/// Errors: as `keel_conn_catalogs`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_columns(
    conn: *mut keel_conn,
    catalog: *const c_char,
    schema_pattern: *const c_char,
    table_pattern: *const c_char,
    column_pattern: *const c_char,
    rows_out: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    ask(conn, rows_out, err_out, || {
        Ok(Catalog::Columns {
            catalog: opt(catalog, "catalog")?,
            schema: opt(schema_pattern, "schema_pattern")?,
            table: opt(table_pattern, "table_pattern")?,
            column: opt(column_pattern, "column_pattern")?,
        })
    })
}

/// List the primary key of the table named `table` (exactly, with case)
/// in `schema` (NULL: any schema), in key order.
///
/// Columns: `table_catalog`, `table_schema`, `table_name`, `column_name`
/// (text), `key_seq` (int64, the column's place in the key, from 1),
/// `pk_name` (text, the constraint's name; NULL on SQLite, which does not
/// report it). No rows for a table without a primary key, or none of that
/// name. On SQLite a rowid table's INTEGER PRIMARY KEY is listed here but
/// has no index in `keel_conn_indexes`.
///
/// The rules of `keel_conn_catalogs` apply.
///
/// Ownership: as `keel_conn_catalogs`.
///
/// Errors: as `keel_conn_catalogs`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_primary_keys(
    conn: *mut keel_conn,
    catalog: *const c_char,
    schema: *const c_char,
    table: *const c_char,
    rows_out: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    ask(conn, rows_out, err_out, || {
        let (catalog, schema, table) = table_names(catalog, schema, table)?;
        Ok(Catalog::PrimaryKeys { catalog, schema, table })
    })
}

/// List foreign keys of the table named `table` (exactly, with case).
/// `direction` is a `keel_foreign_keys`: `KEEL_FOREIGN_KEYS_IMPORTED` for
/// the keys the table holds, `KEEL_FOREIGN_KEYS_EXPORTED` for those that
/// reference it. A row per column pair, ordered by the referencing table,
/// the constraint and `key_seq`.
///
/// Columns:
/// - `fk_catalog`, `fk_schema`, `fk_table`, `fk_column` (text): the
///   referencing side;
/// - `pk_catalog`, `pk_schema`, `pk_table`, `pk_column` (text): the
///   referenced side (on SQLite `pk_table` as the REFERENCES clause spells
///   it);
/// - `key_seq` (int64): the pair's place in the key, from 1;
/// - `update_rule`, `delete_rule` (text): `NO ACTION`, `RESTRICT`,
///   `CASCADE`, `SET NULL` or `SET DEFAULT` (MariaDB reports a rule the
///   DDL left out as `RESTRICT`, the others as `NO ACTION`);
/// - `fk_name` (text): the constraint's name; NULL on SQLite;
/// - `pk_name` (text): the name of the referenced primary key or unique
///   constraint; NULL on SQLite;
/// - `deferrability` (text): `NOT DEFERRABLE`, `INITIALLY DEFERRED` or
///   `INITIALLY IMMEDIATE`; always `NOT DEFERRABLE` on MySQL/MariaDB and
///   SQL Server, NULL on SQLite (which does not report it).
///
/// The rules of `keel_conn_catalogs` apply.
///
/// Ownership: as `keel_conn_catalogs`.
///
/// Errors: as `keel_conn_catalogs`, plus `KEEL_STATUS_INVALID_ARGUMENT`
/// for a `direction` that is not a `keel_foreign_keys`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_foreign_keys(
    conn: *mut keel_conn,
    catalog: *const c_char,
    schema: *const c_char,
    table: *const c_char,
    direction: i32,
    rows_out: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    ask(conn, rows_out, err_out, || {
        let exported = match direction {
            d if d == ForeignKeys::Imported as i32 => false,
            d if d == ForeignKeys::Exported as i32 => true,
            other => {
                return Err(Error::invalid_argument(format!(
                    "direction is {other}; it is KEEL_FOREIGN_KEYS_IMPORTED (0) or KEEL_FOREIGN_KEYS_EXPORTED (1)"
                ))
                .not_sent());
            }
        };
        let (catalog, schema, table) = table_names(catalog, schema, table)?;
        Ok(Catalog::ForeignKeys { catalog, schema, table, exported })
    })
}

/// List the indexes of the table named `table` (exactly, with case), a
/// row per key column, ordered by index name and position.
///
/// Columns:
/// - `table_catalog`, `table_schema`, `table_name`, `index_name` (text);
/// - `is_unique`, `is_primary` (int64, 0 or 1): a unique index; the index
///   of the primary key;
/// - `ordinal_position` (int64): the column's place in the index, from 1;
/// - `column_name` (text): NULL for an expression;
/// - `is_descending` (int64, 0 or 1);
/// - `filter` (text): a partial index's condition (SQLite, PostgreSQL, SQL
///   Server's filtered indexes); NULL for a full index, always on
///   MySQL/MariaDB, which have none.
///
/// The rules of `keel_conn_catalogs` apply.
///
/// Ownership: as `keel_conn_catalogs`.
///
/// Errors: as `keel_conn_catalogs`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_indexes(
    conn: *mut keel_conn,
    catalog: *const c_char,
    schema: *const c_char,
    table: *const c_char,
    rows_out: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    ask(conn, rows_out, err_out, || {
        let (catalog, schema, table) = table_names(catalog, schema, table)?;
        Ok(Catalog::Indexes { catalog, schema, table })
    })
}

/// List the UNIQUE constraints of the table named `table` (exactly, with
/// case), a row per key column, ordered by constraint name and `key_seq`.
/// The primary key is not listed here (see `keel_conn_primary_keys`); nor,
/// on PostgreSQL, SQLite and SQL Server, is a unique index made with
/// CREATE UNIQUE INDEX rather than a constraint (see `keel_conn_indexes`).
/// On MySQL/MariaDB a unique index is the constraint and is listed.
///
/// Columns:
/// - `table_catalog`, `table_schema`, `table_name` (text);
/// - `constraint_name` (text): the constraint's name; on SQLite, which
///   keeps no constraint names, the name of the index it made for the
///   constraint (`sqlite_autoindex_<table>_<n>`);
/// - `key_seq` (int64): the column's place in the constraint, from 1;
/// - `column_name` (text).
///
/// The rules of `keel_conn_catalogs` apply.
///
/// Ownership: as `keel_conn_catalogs`.
///
/// Errors: as `keel_conn_catalogs`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_unique_constraints(
    conn: *mut keel_conn,
    catalog: *const c_char,
    schema: *const c_char,
    table: *const c_char,
    rows_out: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    ask(conn, rows_out, err_out, || {
        let (catalog, schema, table) = table_names(catalog, schema, table)?;
        Ok(Catalog::UniqueConstraints { catalog, schema, table })
    })
}

/// List the CHECK constraints of the table named `table` (exactly, with
/// case), a row per constraint, ordered by constraint name (on SQLite, in
/// the order the CREATE TABLE writes them).
///
/// Columns:
/// - `table_catalog`, `table_schema`, `table_name` (text);
/// - `constraint_name` (text): the constraint's name. PostgreSQL names
///   every constraint (`<table>_<column>_check` when the DDL did not), SQL
///   Server too (`CK__<table>__<column>__<hex>`); MariaDB names a column's
///   CHECK after the column; on SQLite NULL unless the DDL wrote
///   `CONSTRAINT name`;
/// - `check_clause` (text): the condition, without `CHECK`, as the engine
///   prints it: PostgreSQL, SQL Server and MySQL/MariaDB write it in their
///   own normal form (`(qty > (0)::numeric)`, `([qty]>(0))`,
///   `` `qty` > 0 ``); SQLite gives the text inside the parentheses of its
///   CREATE TABLE, which keel reads for it.
///
/// A NOT NULL is not listed here (it is `is_nullable` in
/// `keel_conn_columns`). MariaDB's JSON columns carry a CHECK of their own
/// (`json_valid(...)`), listed like any other.
///
/// The rules of `keel_conn_catalogs` apply; on SQLite the call runs two
/// queries and reads each matching table's CREATE TABLE text.
///
/// Ownership: as `keel_conn_catalogs`.
///
/// Errors: as `keel_conn_catalogs`.
///
/// Since: 0.2.0
#[unsafe(no_mangle)]
pub extern "C" fn keel_conn_check_constraints(
    conn: *mut keel_conn,
    catalog: *const c_char,
    schema: *const c_char,
    table: *const c_char,
    rows_out: *mut *mut keel_rows,
    err_out: *mut *mut keel_error,
) -> Status {
    ask(conn, rows_out, err_out, || {
        let (catalog, schema, table) = table_names(catalog, schema, table)?;
        Ok(Catalog::CheckConstraints { catalog, schema, table })
    })
}
