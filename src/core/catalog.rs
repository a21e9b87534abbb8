//! The catalog: what is in the database, in one shape on every engine.
//!
//! Each question ([`Catalog`]) is answered by an ordinary cursor whose
//! columns are the ones listed here, in this order and with these names,
//! on every engine; the header documents them for C. A driver answers by
//! writing one query (or a fixed few, never one per table) over its
//! engine's own catalog ([`DriverConn::catalog`]); the core runs it as any
//! other query, so the cursor, the bindings and the Arrow export work on
//! it unchanged. The one column no query can fill portably, the keel type
//! of a column, the core fills in from what the query put there, through
//! the driver's [`CatalogSql::keel_type`].
//!
//! Names: patterns (`schema`, `table`, `column` of the listing questions)
//! use SQL LIKE's `%` (any run of characters) and `_` (one character),
//! with `\` before either to take it literally, and compare with case
//! (`"Users"` does not match `users`); NULL matches every name. Exact
//! names (the key and index questions) compare as they are written.
//!
//! [`DriverConn::catalog`]: super::driver::DriverConn::catalog

use super::error::{Error, Result};
use super::driver::DriverRows;
use super::value::{Column, Nullable, Type, Value, ValueRef};

/// What a table is, as the `table_type` column of [`Catalog::Tables`]
/// spells it.
pub const TABLE_TYPES: [&str; 6] = ["TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE", "TEMPORARY", "SYSTEM TABLE"];

/// One question to the catalog. `catalog` and `schema` NULL mean every
/// one there is (on PostgreSQL, the one database of the connection).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Catalog<'a> {
    /// The catalogs: SQLite's databases (`main`, `temp`, attached ones);
    /// PostgreSQL's database of the connection; none on MySQL/MariaDB,
    /// whose databases are schemas; SQL Server's databases.
    Catalogs,
    /// Schemas whose name matches `schema`: none on SQLite; MySQL's
    /// databases.
    Schemas { catalog: Option<&'a str>, schema: Option<&'a str> },
    /// Tables and views whose schema and name match, of the types given
    /// (names from [`TABLE_TYPES`]; empty: every type).
    Tables { catalog: Option<&'a str>, schema: Option<&'a str>, table: Option<&'a str>, types: Vec<&'a str> },
    /// Columns of the tables and views that match.
    Columns { catalog: Option<&'a str>, schema: Option<&'a str>, table: Option<&'a str>, column: Option<&'a str> },
    /// The primary key of the table named exactly `table` (`None`, for
    /// Rust callers such as the ADBC driver: of every table, in one query;
    /// the C API always names one).
    PrimaryKeys { catalog: Option<&'a str>, schema: Option<&'a str>, table: Option<&'a str> },
    /// Foreign keys of the table named exactly `table` (`None`: every
    /// table's): those it holds (`exported` false: its columns reference
    /// other tables) or those that reference it (`exported` true).
    ForeignKeys { catalog: Option<&'a str>, schema: Option<&'a str>, table: Option<&'a str>, exported: bool },
    /// Indexes of the table named exactly `table` (`None`: every table's),
    /// a row per key column.
    Indexes { catalog: Option<&'a str>, schema: Option<&'a str>, table: Option<&'a str> },
    /// UNIQUE constraints of the table named exactly `table` (`None`:
    /// every table's), a row per key column. The primary key is not one
    /// of them, nor is a unique index made without a constraint (on
    /// PostgreSQL and SQLite; MySQL/MariaDB make no such difference).
    UniqueConstraints { catalog: Option<&'a str>, schema: Option<&'a str>, table: Option<&'a str> },
    /// CHECK constraints of the table named exactly `table` (`None`: every
    /// table's), with their condition's text.
    CheckConstraints { catalog: Option<&'a str>, schema: Option<&'a str>, table: Option<&'a str> },
}

impl Catalog<'_> {
    /// The result's column names, in order.
    pub fn columns(&self) -> &'static [&'static str] {
        match self {
            Catalog::Catalogs => CATALOGS,
            Catalog::Schemas { .. } => SCHEMAS,
            Catalog::Tables { .. } => TABLES,
            Catalog::Columns { .. } => COLUMNS,
            Catalog::PrimaryKeys { .. } => PRIMARY_KEYS,
            Catalog::ForeignKeys { .. } => FOREIGN_KEYS,
            Catalog::Indexes { .. } => INDEXES,
            Catalog::UniqueConstraints { .. } => UNIQUE_CONSTRAINTS,
            Catalog::CheckConstraints { .. } => CHECK_CONSTRAINTS,
        }
    }

    /// The question's number in a loaded driver's `catalog_queries`
    /// (`KEEL_CATALOG_*` in keel_driver.h).
    pub fn number(&self) -> usize {
        match self {
            Catalog::Catalogs => 0,
            Catalog::Schemas { .. } => 1,
            Catalog::Tables { .. } => 2,
            Catalog::Columns { .. } => 3,
            Catalog::PrimaryKeys { .. } => 4,
            Catalog::ForeignKeys { .. } => 5,
            Catalog::Indexes { .. } => 6,
            Catalog::UniqueConstraints { .. } => 7,
            Catalog::CheckConstraints { .. } => 8,
        }
    }

    /// What it asks, for messages.
    pub fn what(&self) -> &'static str {
        match self {
            Catalog::Catalogs => "catalogs",
            Catalog::Schemas { .. } => "schemas",
            Catalog::Tables { .. } => "tables",
            Catalog::Columns { .. } => "columns",
            Catalog::PrimaryKeys { .. } => "primary keys",
            Catalog::ForeignKeys { .. } => "foreign keys",
            Catalog::Indexes { .. } => "indexes",
            Catalog::UniqueConstraints { .. } => "unique constraints",
            Catalog::CheckConstraints { .. } => "check constraints",
        }
    }

    /// Check what the caller gave: table types known, exact names not
    /// empty.
    pub fn check(&self) -> Result<()> {
        match self {
            Catalog::Tables { types, .. } => {
                for t in types {
                    if !TABLE_TYPES.contains(t) {
                        return Err(Error::invalid_argument(format!(
                            "unknown table type {t:?}; the types are {}",
                            TABLE_TYPES.join(", ")
                        )));
                    }
                }
                Ok(())
            }
            Catalog::PrimaryKeys { table, .. }
            | Catalog::ForeignKeys { table, .. }
            | Catalog::Indexes { table, .. }
            | Catalog::UniqueConstraints { table, .. }
            | Catalog::CheckConstraints { table, .. }
                if table.is_some_and(str::is_empty) =>
            {
                Err(Error::invalid_argument("the table name is empty"))
            }
            _ => Ok(()),
        }
    }
}

/// `catalog_name`.
pub const CATALOGS: &[&str] = &["catalog_name"];
/// `catalog_name`, `schema_name`.
pub const SCHEMAS: &[&str] = &["catalog_name", "schema_name"];
/// Tables and views.
pub const TABLES: &[&str] = &["table_catalog", "table_schema", "table_name", "table_type", "remarks"];
/// Columns. `keel_type` is the core's (see the module docs).
pub const COLUMNS: &[&str] = &[
    "table_catalog",
    "table_schema",
    "table_name",
    "column_name",
    "ordinal_position",
    "keel_type",
    "type_name",
    "is_nullable",
    "column_default",
    "char_max_length",
    "numeric_precision",
    "numeric_scale",
    "is_autoincrement",
    "is_generated",
    "remarks",
];
/// Primary key columns.
pub const PRIMARY_KEYS: &[&str] = &["table_catalog", "table_schema", "table_name", "column_name", "key_seq", "pk_name"];
/// Foreign key columns, a row per column pair.
pub const FOREIGN_KEYS: &[&str] = &[
    "fk_catalog",
    "fk_schema",
    "fk_table",
    "fk_column",
    "pk_catalog",
    "pk_schema",
    "pk_table",
    "pk_column",
    "key_seq",
    "update_rule",
    "delete_rule",
    "fk_name",
    "pk_name",
    "deferrability",
];
/// Index key columns, a row per column.
pub const INDEXES: &[&str] = &[
    "table_catalog",
    "table_schema",
    "table_name",
    "index_name",
    "is_unique",
    "is_primary",
    "ordinal_position",
    "column_name",
    "is_descending",
    "filter",
];
/// UNIQUE constraint columns, a row per column.
pub const UNIQUE_CONSTRAINTS: &[&str] =
    &["table_catalog", "table_schema", "table_name", "constraint_name", "key_seq", "column_name"];
/// CHECK constraints, a row per constraint.
pub const CHECK_CONSTRAINTS: &[&str] = &["table_catalog", "table_schema", "table_name", "constraint_name", "check_clause"];

/// A driver's answer to a [`Catalog`] question: the query to run.
pub struct CatalogSql {
    /// In keel's portable form (`?` placeholders) or the engine's own.
    pub sql: String,
    pub params: Vec<Value>,
    /// For [`Catalog::Columns`]: the keel type of a column from what the
    /// query put in its `keel_type` column (a type name, a type number:
    /// whatever the driver chose). The core replaces that value with the
    /// type's number (`keel_type`).
    pub keel_type: Option<fn(ValueRef<'_>) -> Type>,
}

impl CatalogSql {
    pub fn new(sql: impl Into<String>, params: Vec<Value>) -> CatalogSql {
        CatalogSql { sql: sql.into(), params, keel_type: None }
    }
}

/// The question asked of `all`, a query giving every row of `q`'s kind
/// with its columns (a loaded driver's `catalog_queries` entry, SQL
/// Server's catalog): `all` filtered by `q`'s names and ordered as the
/// header says. Patterns go to `LIKE ? ESCAPE '\'`, exact names to `= ?`,
/// each column followed by `collate` (`" COLLATE Latin1_General_BIN"` on
/// an engine that compares names without case; empty where they compare
/// with case already).
pub fn over(q: &Catalog<'_>, all: &str, collate: &str) -> CatalogSql {
    let mut p = Vec::new();
    let esc = " ESCAPE '\\'";
    let c = |col: &str| format!("{col}{collate}");
    let equals = |col: &str, v: Option<&str>, p: &mut Vec<Value>| equals(&c(col), v, p);
    let like = |col: &str, v: Option<&str>, p: &mut Vec<Value>, e: &str| like(&c(col), v, p, e);
    let (w, order) = match *q {
        Catalog::Catalogs => (String::new(), "catalog_name"),
        Catalog::Schemas { catalog, schema } => {
            let mut w = equals("catalog_name", catalog, &mut p);
            w += &like("schema_name", schema, &mut p, esc);
            (w, "catalog_name, schema_name")
        }
        Catalog::Tables { catalog, schema, table, ref types } => {
            let mut w = equals("table_catalog", catalog, &mut p);
            w += &like("table_schema", schema, &mut p, esc);
            w += &like("table_name", table, &mut p, esc);
            w += &types_in("table_type", types, &mut p);
            (w, "table_type, table_catalog, table_schema, table_name")
        }
        Catalog::Columns { catalog, schema, table, column } => {
            let mut w = equals("table_catalog", catalog, &mut p);
            w += &like("table_schema", schema, &mut p, esc);
            w += &like("table_name", table, &mut p, esc);
            w += &like("column_name", column, &mut p, esc);
            (w, "table_catalog, table_schema, table_name, ordinal_position")
        }
        Catalog::ForeignKeys { catalog, schema, table, exported } => {
            let side = if exported { "pk" } else { "fk" };
            let mut w = equals(&format!("{side}_catalog"), catalog, &mut p);
            w += &equals(&format!("{side}_schema"), schema, &mut p);
            w += &equals(&format!("{side}_table"), table, &mut p);
            (w, "fk_catalog, fk_schema, fk_table, fk_name, key_seq")
        }
        Catalog::PrimaryKeys { catalog, schema, table }
        | Catalog::Indexes { catalog, schema, table }
        | Catalog::UniqueConstraints { catalog, schema, table }
        | Catalog::CheckConstraints { catalog, schema, table } => {
            let mut w = equals("table_catalog", catalog, &mut p);
            w += &equals("table_schema", schema, &mut p);
            w += &equals("table_name", table, &mut p);
            let order = match q {
                Catalog::PrimaryKeys { .. } => "table_catalog, table_schema, table_name, key_seq",
                Catalog::Indexes { .. } => "table_catalog, table_schema, table_name, index_name, ordinal_position",
                Catalog::UniqueConstraints { .. } => "table_catalog, table_schema, table_name, constraint_name, key_seq",
                _ => "table_catalog, table_schema, table_name, constraint_name",
            };
            (w, order)
        }
    };
    CatalogSql::new(format!("SELECT * FROM ({all}) AS keel_catalog WHERE 1 = 1{w} ORDER BY {order}"), p)
}

/// A pattern as a condition on `expr`, for engines whose LIKE compares with
/// case and takes `\` as its escape when told (`ESCAPE '\'`): PostgreSQL,
/// SQL Server with a case-sensitive collation given. NULL: no condition.
pub fn like(expr: &str, pattern: Option<&str>, params: &mut Vec<Value>, escape: &str) -> String {
    match pattern {
        None => String::new(),
        Some(p) => {
            params.push(Value::Text(p.to_owned()));
            format!(" AND {expr} LIKE ?{escape}")
        }
    }
}

/// An exact name as a condition on `expr`. NULL: no condition.
pub fn equals(expr: &str, name: Option<&str>, params: &mut Vec<Value>) -> String {
    match name {
        None => String::new(),
        Some(n) => {
            params.push(Value::Text(n.to_owned()));
            format!(" AND {expr} = ?")
        }
    }
}

/// A LIKE pattern (`%`, `_`, `\` escapes) as a GLOB pattern (SQLite's
/// GLOB compares with case, where its LIKE does not).
pub fn like_to_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => push_glob_literal(&mut out, n),
                None => push_glob_literal(&mut out, '\\'),
            },
            '%' => out.push('*'),
            '_' => out.push('?'),
            c => push_glob_literal(&mut out, c),
        }
    }
    out
}

fn push_glob_literal(out: &mut String, c: char) {
    match c {
        '*' | '?' | '[' => {
            out.push('[');
            out.push(c);
            out.push(']');
        }
        c => out.push(c),
    }
}

/// The table types asked for, as a condition on `expr` (the query's
/// `table_type` column). Empty: no condition.
pub fn types_in(expr: &str, types: &[&str], params: &mut Vec<Value>) -> String {
    if types.is_empty() {
        return String::new();
    }
    let marks = vec!["?"; types.len()].join(", ");
    params.extend(types.iter().map(|t| Value::Text((*t).to_owned())));
    format!(" AND {expr} IN ({marks})")
}

/// The cursor of [`Catalog::Columns`]: the driver's, with the
/// `keel_type` column's value turned into the keel type number.
pub(super) struct TypedRows {
    inner: Box<dyn DriverRows>,
    columns: Vec<Column>,
    at: usize,
    map: fn(ValueRef<'_>) -> Type,
    current: i64,
}

impl TypedRows {
    pub(super) fn new(inner: Box<dyn DriverRows>, at: usize, map: fn(ValueRef<'_>) -> Type) -> TypedRows {
        let mut columns = inner.columns().to_vec();
        if let Some(c) = columns.get_mut(at) {
            c.kind = Type::Int64;
            c.nullable = Nullable::No;
        }
        TypedRows { inner, columns, at, map, current: 0 }
    }
}

impl DriverRows for TypedRows {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn next(&mut self) -> Result<bool> {
        let more = self.inner.next()?;
        if more && self.at < self.columns.len() {
            self.current = (self.map)(self.inner.value(self.at)) as i64;
        }
        Ok(more)
    }

    fn value(&self, i: usize) -> ValueRef<'_> {
        if i == self.at { ValueRef::Int64(self.current) } else { self.inner.value(i) }
    }

    fn tz_offset(&self, i: usize) -> Option<i32> {
        self.inner.tz_offset(i)
    }

    fn text_is_nul_terminated(&self) -> bool {
        self.inner.text_is_nul_terminated()
    }

    fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_become_glob_patterns() {
        assert_eq!(like_to_glob("a%b_c"), "a*b?c");
        assert_eq!(like_to_glob(r"a\%b\_c"), "a%b_c");
        assert_eq!(like_to_glob("x*y?[z"), "x[*]y[?][[]z");
        assert_eq!(like_to_glob(r"end\"), r"end\");
        assert_eq!(like_to_glob(r"a\\b"), r"a\b");
    }

    #[test]
    fn unknown_table_types_are_refused() {
        let q = Catalog::Tables { catalog: None, schema: None, table: None, types: vec!["TABLE", "tables"] };
        let e = q.check().unwrap_err();
        assert!(e.to_string().contains("\"tables\""), "{e}");
        let ok = Catalog::Tables { catalog: None, schema: None, table: None, types: vec!["VIEW"] };
        assert!(ok.check().is_ok());
    }
}
