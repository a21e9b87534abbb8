//! `AdbcConnectionGetObjects` from keel's catalog: one catalog question
//! per level asked (catalogs, schemas, tables, columns, and for the
//! constraints primary keys, foreign keys, unique indexes and CHECK
//! constraints of every table at once), assembled into ADBC's nested
//! result.
//!
//! Engines without catalogs (MySQL/MariaDB, whose databases are schemas)
//! show one catalog named NULL; engines without schemas (SQLite) show one
//! schema named NULL in each catalog.

use super::connection::{KeelConnection, int, text};
use super::err;
use adbc_core::error::{Result as AdbcResult, Status as AdbcStatus};
use adbc_core::options::ObjectDepth;
use adbc_core::schemas::{
    COLUMN_SCHEMA, CONSTRAINT_SCHEMA, GET_OBJECTS_SCHEMA, OBJECTS_DB_SCHEMA_SCHEMA, TABLE_SCHEMA, USAGE_SCHEMA,
};
use crate::core::catalog::{Catalog, TABLE_TYPES};
use arrow_array::{ArrayRef, BooleanArray, Int16Array, Int32Array, ListArray, RecordBatch, StringArray, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field};
use std::collections::HashMap;
use std::sync::Arc;

type Name = Option<String>;

#[derive(Default)]
struct Col {
    name: String,
    ordinal: Option<i32>,
    remarks: Name,
    type_name: Name,
    /// The keel type number (`keel_type`).
    kind: Option<i64>,
    size: Option<i32>,
    digits: Option<i16>,
    nullable: Option<bool>,
    default: Name,
    autoincrement: Option<bool>,
    generated: Option<bool>,
}

struct Constraint {
    name: Name,
    kind: &'static str,
    columns: Vec<String>,
    /// (catalog, schema, table, column) referenced, for a foreign key.
    usage: Vec<(Name, Name, String, String)>,
}

struct Table {
    name: String,
    kind: String,
    columns: Vec<Col>,
    constraints: Vec<Constraint>,
}

struct DbSchema {
    name: Name,
    tables: Vec<Table>,
}

struct Cat {
    name: Name,
    schemas: Vec<DbSchema>,
}

#[derive(Default)]
struct Tree {
    cats: Vec<Cat>,
    /// (catalog, schema, table) → (catalog, schema, table) indexes.
    tables: HashMap<(Name, Name, String), (usize, usize, usize)>,
}

impl Tree {
    fn cat(&mut self, name: &Name) -> usize {
        match self.cats.iter().position(|c| c.name == *name) {
            Some(i) => i,
            None => {
                self.cats.push(Cat { name: name.clone(), schemas: Vec::new() });
                self.cats.len() - 1
            }
        }
    }

    fn schema(&mut self, cat: &Name, name: &Name) -> (usize, usize) {
        let c = self.cat(cat);
        let schemas = &mut self.cats[c].schemas;
        match schemas.iter().position(|s| s.name == *name) {
            Some(i) => (c, i),
            None => {
                schemas.push(DbSchema { name: name.clone(), tables: Vec::new() });
                (c, schemas.len() - 1)
            }
        }
    }

    fn table(&mut self, key: &(Name, Name, String)) -> Option<&mut Table> {
        let &(c, s, t) = self.tables.get(key)?;
        Some(&mut self.cats[c].schemas[s].tables[t])
    }
}

pub(crate) fn get_objects(
    conn: &KeelConnection,
    depth: ObjectDepth,
    catalog: Option<&str>,
    db_schema: Option<&str>,
    table_name: Option<&str>,
    table_type: Option<Vec<&str>>,
    column_name: Option<&str>,
) -> AdbcResult<RecordBatch> {
    let mut tree = Tree::default();
    // ADBC: an empty catalog or schema name asks for the objects without one.
    let cat_ok = |n: &Name| match catalog {
        None => true,
        Some("") => n.is_none(),
        Some(c) => n.as_deref() == Some(c),
    };
    let cat_arg = catalog.filter(|c| !c.is_empty());
    conn.ask(&Catalog::Catalogs, |r| {
        let n = text(r, 0)?;
        if cat_ok(&n) {
            tree.cat(&n);
        }
        Ok(())
    })?;
    if tree.cats.is_empty() && cat_ok(&None) {
        tree.cat(&None);
    }
    let schema_arg = db_schema.filter(|s| !s.is_empty());
    if depth != ObjectDepth::Catalogs {
        let mut any = false;
        conn.ask(&Catalog::Schemas { catalog: cat_arg, schema: schema_arg }, |r| {
            any = true;
            let (c, s) = (text(r, 0)?, text(r, 1)?);
            if cat_ok(&c) {
                tree.schema(&c, &s);
            }
            Ok(())
        })?;
        if !any && db_schema.is_none_or(str::is_empty) {
            let names: Vec<Name> = tree.cats.iter().map(|c| c.name.clone()).collect();
            for n in names {
                tree.schema(&n, &None);
            }
        }
    }
    if matches!(depth, ObjectDepth::All | ObjectDepth::Tables | ObjectDepth::Columns) {
        // A type keel does not have matches no table (as in ADBC's own
        // drivers), rather than being an error; a filter of only such
        // types matches none at all.
        let asked = table_type.as_ref().is_some_and(|t| !t.is_empty());
        let types: Vec<&str> = table_type.unwrap_or_default().into_iter().filter(|t| TABLE_TYPES.contains(t)).collect();
        let none = asked && types.is_empty();
        let q = Catalog::Tables { catalog: cat_arg, schema: schema_arg, table: table_name, types };
        let each_table = |r: &crate::core::db::Rows| -> AdbcResult<()> {
            let (c, s) = (text(r, 0)?, text(r, 1)?);
            if !cat_ok(&c) || (db_schema == Some("") && s.is_some()) {
                return Ok(());
            }
            let name = text(r, 2)?.unwrap_or_default();
            let kind = text(r, 3)?.unwrap_or_default();
            let (ci, si) = tree.schema(&c, &s);
            let tables = &mut tree.cats[ci].schemas[si].tables;
            tables.push(Table { name: name.clone(), kind, columns: Vec::new(), constraints: Vec::new() });
            tree.tables.insert((c, s, name), (ci, si, tables.len() - 1));
            Ok(())
        };
        if !none {
            conn.ask(&q, each_table)?;
        }
    }
    let with_columns = matches!(depth, ObjectDepth::All | ObjectDepth::Columns);
    if with_columns && !tree.tables.is_empty() {
        columns(conn, &mut tree, cat_arg, schema_arg, table_name, column_name)?;
        constraints(conn, &mut tree, cat_arg)?;
    }
    build(&tree, depth)
}

fn columns(
    conn: &KeelConnection,
    tree: &mut Tree,
    catalog: Option<&str>,
    schema: Option<&str>,
    table: Option<&str>,
    column: Option<&str>,
) -> AdbcResult<()> {
    conn.ask(&Catalog::Columns { catalog, schema, table, column }, |r| {
        let key = (text(r, 0)?, text(r, 1)?, text(r, 2)?.unwrap_or_default());
        let Some(t) = tree.table(&key) else { return Ok(()) };
        let flag = |i| -> AdbcResult<Option<bool>> { Ok(int(r, i)?.map(|n| n != 0)) };
        let size = int(r, 9)?.or(int(r, 10)?);
        t.columns.push(Col {
            name: text(r, 3)?.unwrap_or_default(),
            ordinal: int(r, 4)?.and_then(|n| i32::try_from(n).ok()),
            type_name: text(r, 6)?,
            kind: int(r, 5)?,
            nullable: flag(7)?,
            default: text(r, 8)?,
            size: size.and_then(|n| i32::try_from(n).ok()),
            digits: int(r, 11)?.and_then(|n| i16::try_from(n).ok()),
            autoincrement: flag(12)?,
            generated: flag(13)?,
            remarks: text(r, 14)?,
        });
        Ok(())
    })
}

fn constraints(conn: &KeelConnection, tree: &mut Tree, catalog: Option<&str>) -> AdbcResult<()> {
    // Primary keys: a row per column, in key order within a table.
    let mut pk: Vec<((Name, Name, String), Name, i64, String)> = Vec::new();
    conn.ask(&Catalog::PrimaryKeys { catalog, schema: None, table: None }, |r| {
        let key = (text(r, 0)?, text(r, 1)?, text(r, 2)?.unwrap_or_default());
        if tree.tables.contains_key(&key) {
            pk.push((key, text(r, 5)?, int(r, 4)?.unwrap_or(0), text(r, 3)?.unwrap_or_default()));
        }
        Ok(())
    })?;
    pk.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
    for (key, name, _, column) in pk {
        let Some(t) = tree.table(&key) else { continue };
        match t.constraints.iter_mut().find(|c| c.kind == "PRIMARY KEY") {
            Some(c) => c.columns.push(column),
            None => t.constraints.push(Constraint { name, kind: "PRIMARY KEY", columns: vec![column], usage: Vec::new() }),
        }
    }
    // Unique indexes that are not the primary key nor partial: UNIQUE.
    conn.ask(&Catalog::Indexes { catalog, schema: None, table: None }, |r| {
        let key = (text(r, 0)?, text(r, 1)?, text(r, 2)?.unwrap_or_default());
        let unique = int(r, 4)? == Some(1) && int(r, 5)? != Some(1) && text(r, 9)?.is_none();
        let Some(t) = tree.table(&key).filter(|_| unique) else { return Ok(()) };
        let name = text(r, 3)?;
        let column = text(r, 7)?.unwrap_or_default();
        match t.constraints.iter_mut().find(|c| c.kind == "UNIQUE" && c.name == name) {
            Some(c) => c.columns.push(column),
            None => t.constraints.push(Constraint { name, kind: "UNIQUE", columns: vec![column], usage: Vec::new() }),
        }
        Ok(())
    })?;
    // Foreign keys: a row per column pair; key_seq 1 starts a key.
    let mut last: Option<(Name, Name, String)> = None;
    conn.ask(&Catalog::ForeignKeys { catalog, schema: None, table: None, exported: false }, |r| {
        let key = (text(r, 0)?, text(r, 1)?, text(r, 2)?.unwrap_or_default());
        let name = text(r, 11)?;
        let seq = int(r, 8)?.unwrap_or(1);
        let column = text(r, 3)?.unwrap_or_default();
        let usage = (text(r, 4)?, text(r, 5)?, text(r, 6)?.unwrap_or_default(), text(r, 7)?.unwrap_or_default());
        let Some(t) = tree.table(&key) else { return Ok(()) };
        let same = last.as_ref() == Some(&key)
            && seq > 1
            && t.constraints.last().is_some_and(|c| c.kind == "FOREIGN KEY" && c.name == name);
        if same {
            let c = t.constraints.last_mut().expect("checked above");
            c.columns.push(column);
            c.usage.push(usage);
        } else {
            t.constraints.push(Constraint { name, kind: "FOREIGN KEY", columns: vec![column], usage: vec![usage] });
        }
        last = Some(key);
        Ok(())
    })?;
    // CHECK constraints: a name and no columns (ADBC lists none for them).
    conn.ask(&Catalog::CheckConstraints { catalog, schema: None, table: None }, |r| {
        let key = (text(r, 0)?, text(r, 1)?, text(r, 2)?.unwrap_or_default());
        if let Some(t) = tree.table(&key) {
            t.constraints.push(Constraint { name: text(r, 3)?, kind: "CHECK", columns: Vec::new(), usage: Vec::new() });
        }
        Ok(())
    })?;
    Ok(())
}

/// ODBC's type code (`DATA_TYPE`), and for date and time types its
/// `SQL_DATA_TYPE` (`SQL_DATETIME`, 9) and `SQL_DATETIME_SUB`, of a keel
/// type number.
fn odbc_type(kind: Option<i64>) -> (Option<i16>, Option<i16>, Option<i16>) {
    use crate::core::value::Type;
    let Some(t) = kind.and_then(|n| Type::from_i32(n as i32)) else { return (None, None, None) };
    let plain = |c: i16| (Some(c), Some(c), None);
    match t {
        Type::Null => (None, None, None),
        Type::Bool => plain(-7),                         // SQL_BIT
        Type::Int64 => plain(-5),                        // SQL_BIGINT
        Type::Uint64 => plain(2),                        // SQL_NUMERIC
        Type::Double => plain(8),                        // SQL_DOUBLE
        Type::Text | Type::Json => plain(-9),            // SQL_WVARCHAR
        Type::Bytes => plain(-3),                        // SQL_VARBINARY
        Type::Date => (Some(91), Some(9), Some(1)),      // SQL_TYPE_DATE
        Type::Time => (Some(92), Some(9), Some(2)),      // SQL_TYPE_TIME
        Type::Timestamp | Type::Timestamptz => (Some(93), Some(9), Some(3)), // SQL_TYPE_TIMESTAMP
        Type::Uuid => plain(-11),                        // SQL_GUID
        Type::Decimal => plain(3),                       // SQL_DECIMAL
    }
}

fn fields(dt: &DataType) -> arrow_schema::Fields {
    match dt {
        DataType::Struct(f) => f.clone(),
        _ => unreachable!("ADBC's object schemas are structs"),
    }
}

fn list(item: &DataType, lens: &[usize], valid: Option<Vec<bool>>, values: ArrayRef) -> AdbcResult<ArrayRef> {
    let field = Arc::new(Field::new_list_field(item.clone(), true));
    let offsets = OffsetBuffer::from_lengths(lens.iter().copied());
    Ok(Arc::new(ListArray::try_new(field, offsets, values, valid.map(NullBuffer::from))?))
}

fn strukt(dt: &DataType, children: Vec<ArrayRef>) -> AdbcResult<ArrayRef> {
    Ok(Arc::new(StructArray::try_new(fields(dt), children, None)?))
}

fn strs<'a>(it: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(it))
}

fn build(tree: &Tree, depth: ObjectDepth) -> AdbcResult<RecordBatch> {
    let with_tables = depth != ObjectDepth::Catalogs && depth != ObjectDepth::Schemas;
    let with_columns = matches!(depth, ObjectDepth::All | ObjectDepth::Columns);
    let schemas: Vec<&DbSchema> = tree.cats.iter().flat_map(|c| &c.schemas).collect();
    let tables: Vec<&Table> = schemas.iter().flat_map(|s| &s.tables).collect();
    let cols: Vec<&Col> = tables.iter().flat_map(|t| &t.columns).collect();
    let cons: Vec<&Constraint> = tables.iter().flat_map(|t| &t.constraints).collect();
    let usage: Vec<&(Name, Name, String, String)> = cons.iter().flat_map(|c| &c.usage).collect();

    let column_array = strukt(
        &COLUMN_SCHEMA,
        vec![
            strs(cols.iter().map(|c| Some(c.name.as_str()))),
            Arc::new(Int32Array::from_iter(cols.iter().map(|c| c.ordinal))),
            strs(cols.iter().map(|c| c.remarks.as_deref())),
            Arc::new(Int16Array::from_iter(cols.iter().map(|c| odbc_type(c.kind).0))),
            strs(cols.iter().map(|c| c.type_name.as_deref())),
            Arc::new(Int32Array::from_iter(cols.iter().map(|c| c.size))),
            Arc::new(Int16Array::from_iter(cols.iter().map(|c| c.digits))),
            Arc::new(Int16Array::from_iter(cols.iter().map(|c| c.digits.map(|_| 10i16)))),
            // ODBC's SQL_NO_NULLS (0), SQL_NULLABLE (1).
            Arc::new(Int16Array::from_iter(cols.iter().map(|c| c.nullable.map(i16::from)))),
            strs(cols.iter().map(|c| c.default.as_deref())),
            Arc::new(Int16Array::from_iter(cols.iter().map(|c| odbc_type(c.kind).1))),
            Arc::new(Int16Array::from_iter(cols.iter().map(|c| odbc_type(c.kind).2))),
            Arc::new(Int32Array::from_iter(cols.iter().map(|_| None::<i32>))),
            strs(cols.iter().map(|c| c.nullable.map(|n| if n { "YES" } else { "NO" }))),
            strs(cols.iter().map(|_| None)),
            strs(cols.iter().map(|_| None)),
            strs(cols.iter().map(|_| None)),
            Arc::new(BooleanArray::from_iter(cols.iter().map(|c| c.autoincrement))),
            Arc::new(BooleanArray::from_iter(cols.iter().map(|c| c.generated))),
        ],
    )?;
    let usage_array = strukt(
        &USAGE_SCHEMA,
        vec![
            strs(usage.iter().map(|u| u.0.as_deref())),
            strs(usage.iter().map(|u| u.1.as_deref())),
            strs(usage.iter().map(|u| Some(u.2.as_str()))),
            strs(usage.iter().map(|u| Some(u.3.as_str()))),
        ],
    )?;
    let con_cols: Vec<&String> = cons.iter().flat_map(|c| &c.columns).collect();
    let constraint_array = strukt(
        &CONSTRAINT_SCHEMA,
        vec![
            strs(cons.iter().map(|c| c.name.as_deref())),
            strs(cons.iter().map(|c| Some(c.kind))),
            list(
                &DataType::Utf8,
                &cons.iter().map(|c| c.columns.len()).collect::<Vec<_>>(),
                None,
                strs(con_cols.iter().map(|s| Some(s.as_str()))),
            )?,
            list(
                &USAGE_SCHEMA,
                &cons.iter().map(|c| c.usage.len()).collect::<Vec<_>>(),
                Some(cons.iter().map(|c| c.kind == "FOREIGN KEY").collect()),
                usage_array,
            )?,
        ],
    )?;
    let nested = |lens: Vec<usize>| if with_columns { (lens, None) } else { (vec![0; tables.len()], Some(vec![false; tables.len()])) };
    let (col_lens, col_valid) = nested(tables.iter().map(|t| t.columns.len()).collect());
    let (con_lens, con_valid) = nested(tables.iter().map(|t| t.constraints.len()).collect());
    let table_array = strukt(
        &TABLE_SCHEMA,
        vec![
            strs(tables.iter().map(|t| Some(t.name.as_str()))),
            strs(tables.iter().map(|t| Some(t.kind.as_str()))),
            list(&COLUMN_SCHEMA, &col_lens, col_valid, column_array)?,
            list(&CONSTRAINT_SCHEMA, &con_lens, con_valid, constraint_array)?,
        ],
    )?;
    let table_lens: Vec<usize> = schemas.iter().map(|s| s.tables.len()).collect();
    let table_valid = (!with_tables).then(|| vec![false; schemas.len()]);
    let schema_array = strukt(
        &OBJECTS_DB_SCHEMA_SCHEMA,
        vec![
            strs(schemas.iter().map(|s| s.name.as_deref())),
            list(&TABLE_SCHEMA, &table_lens, table_valid, table_array)?,
        ],
    )?;
    let schema_lens: Vec<usize> = tree.cats.iter().map(|c| c.schemas.len()).collect();
    let schema_valid = (depth == ObjectDepth::Catalogs).then(|| vec![false; tree.cats.len()]);
    let batch = RecordBatch::try_new(
        GET_OBJECTS_SCHEMA.clone(),
        vec![
            strs(tree.cats.iter().map(|c| c.name.as_deref())),
            list(&OBJECTS_DB_SCHEMA_SCHEMA, &schema_lens, schema_valid, schema_array)?,
        ],
    )
    .map_err(|e| err(AdbcStatus::Internal, format!("building GetObjects' result: {e}")))?;
    Ok(batch)
}
