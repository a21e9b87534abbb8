//! SQL Server's catalog views, as far as keel's catalog queries read them
//! (`src/drivers/mssql/catalog.rs`): `INFORMATION_SCHEMA.SCHEMATA`,
//! `TABLES`, `COLUMNS`, `TABLE_CONSTRAINTS`, `KEY_COLUMN_USAGE`,
//! `REFERENTIAL_CONSTRAINTS`, `CHECK_CONSTRAINTS`, and `sys.databases`,
//! `schemas`, `objects`, `columns`, `indexes`, `index_columns`, with the
//! columns those queries name. A statement that names one runs on temp
//! tables of that name's shape ([`VIEWS`]), which [`refresh`] fills first
//! from SQLite's own catalog (`pragma_*`) and from the CREATE TABLE text
//! each table was made with (SQLite keeps no constraint names, and the
//! peer's own rewriting adds CHECKs SQL Server would not list). The one
//! database is `keel`, the one schema `dbo`. Names a DDL statement did not
//! give are made up the way SQL Server's look (`PK__t`, `UQ__t__1`,
//! `FK__t__0`, `CK__t__n`), not as SQL Server spells them.

use crate::sql;
use crate::types::{self, Ty};
use rusqlite::{Connection, params};
use std::collections::HashMap;

/// Catalog view names as T-SQL writes them, and the temp tables that
/// stand for them.
pub const VIEWS: &[(&str, &str)] = &[
    ("INFORMATION_SCHEMA.SCHEMATA", "temp.is_schemata"),
    ("INFORMATION_SCHEMA.TABLES", "temp.is_tables"),
    ("INFORMATION_SCHEMA.COLUMNS", "temp.is_columns"),
    ("INFORMATION_SCHEMA.TABLE_CONSTRAINTS", "temp.is_table_constraints"),
    ("INFORMATION_SCHEMA.KEY_COLUMN_USAGE", "temp.is_key_column_usage"),
    ("INFORMATION_SCHEMA.REFERENTIAL_CONSTRAINTS", "temp.is_referential_constraints"),
    ("INFORMATION_SCHEMA.CHECK_CONSTRAINTS", "temp.is_check_constraints"),
    ("sys.databases", "temp.sys_databases"),
    ("sys.schemas", "temp.sys_schemas"),
    ("sys.objects", "temp.sys_objects"),
    ("sys.columns", "temp.sys_columns"),
    ("sys.index_columns", "temp.sys_index_columns"),
    ("sys.indexes", "temp.sys_indexes"),
];

const SCHEMA: &str = "
DROP TABLE IF EXISTS temp.is_schemata;
CREATE TEMP TABLE is_schemata (CATALOG_NAME TEXT, SCHEMA_NAME TEXT);
DROP TABLE IF EXISTS temp.is_tables;
CREATE TEMP TABLE is_tables (TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, TABLE_TYPE TEXT);
DROP TABLE IF EXISTS temp.is_columns;
CREATE TEMP TABLE is_columns (TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, COLUMN_NAME TEXT,
  ORDINAL_POSITION INT, COLUMN_DEFAULT TEXT, IS_NULLABLE TEXT, DATA_TYPE TEXT, CHARACTER_MAXIMUM_LENGTH INT,
  NUMERIC_PRECISION INT, NUMERIC_SCALE INT, DATETIME_PRECISION INT);
DROP TABLE IF EXISTS temp.is_table_constraints;
CREATE TEMP TABLE is_table_constraints (CONSTRAINT_CATALOG TEXT, CONSTRAINT_SCHEMA TEXT, CONSTRAINT_NAME TEXT,
  TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, CONSTRAINT_TYPE TEXT);
DROP TABLE IF EXISTS temp.is_key_column_usage;
CREATE TEMP TABLE is_key_column_usage (CONSTRAINT_CATALOG TEXT, CONSTRAINT_SCHEMA TEXT, CONSTRAINT_NAME TEXT,
  TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, COLUMN_NAME TEXT, ORDINAL_POSITION INT);
DROP TABLE IF EXISTS temp.is_referential_constraints;
CREATE TEMP TABLE is_referential_constraints (CONSTRAINT_CATALOG TEXT, CONSTRAINT_SCHEMA TEXT, CONSTRAINT_NAME TEXT,
  UNIQUE_CONSTRAINT_CATALOG TEXT, UNIQUE_CONSTRAINT_SCHEMA TEXT, UNIQUE_CONSTRAINT_NAME TEXT,
  UPDATE_RULE TEXT, DELETE_RULE TEXT);
DROP TABLE IF EXISTS temp.is_check_constraints;
CREATE TEMP TABLE is_check_constraints (CONSTRAINT_CATALOG TEXT, CONSTRAINT_SCHEMA TEXT, CONSTRAINT_NAME TEXT,
  CHECK_CLAUSE TEXT);
DROP TABLE IF EXISTS temp.sys_databases;
CREATE TEMP TABLE sys_databases (name TEXT);
DROP TABLE IF EXISTS temp.sys_schemas;
CREATE TEMP TABLE sys_schemas (name TEXT, schema_id INT);
DROP TABLE IF EXISTS temp.sys_objects;
CREATE TEMP TABLE sys_objects (object_id INT, name TEXT, schema_id INT, type TEXT);
DROP TABLE IF EXISTS temp.sys_columns;
CREATE TEMP TABLE sys_columns (object_id INT, name TEXT, column_id INT, is_identity INT, is_computed INT);
DROP TABLE IF EXISTS temp.sys_indexes;
CREATE TEMP TABLE sys_indexes (object_id INT, index_id INT, name TEXT, type INT, is_unique INT, is_primary_key INT,
  filter_definition TEXT);
DROP TABLE IF EXISTS temp.sys_index_columns;
CREATE TEMP TABLE sys_index_columns (object_id INT, index_id INT, index_column_id INT, column_id INT, key_ordinal INT,
  is_descending_key INT);
INSERT INTO is_schemata VALUES ('keel', 'dbo');
INSERT INTO sys_databases VALUES ('keel');
INSERT INTO sys_schemas VALUES ('dbo', 1);
";

/// A constraint as a CREATE TABLE writes it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Written {
    pub name: Option<String>,
    /// PRIMARY KEY, UNIQUE, FOREIGN KEY or CHECK.
    pub kind: &'static str,
    pub columns: Vec<String>,
    /// A CHECK's condition, with its parentheses.
    pub clause: String,
}

/// What a CREATE TABLE says that SQLite does not keep: its constraints
/// with their names, and which columns are IDENTITY or computed.
#[derive(Debug, Default, PartialEq)]
pub struct Ddl {
    pub constraints: Vec<Written>,
    pub identity: Vec<String>,
    pub computed: Vec<String>,
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let inner = s.strip_prefix('[').and_then(|s| s.strip_suffix(']')).or_else(|| s.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
    inner.unwrap_or(s).to_owned()
}

/// The text inside the parentheses that open at or after `from` in `s`,
/// and where they end.
fn group(s: &str, from: usize) -> Option<(&str, usize)> {
    let open = from + s[from..].find('(')?;
    let mut depth = 0;
    for (i, c) in s[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&s[open + 1..open + i], open + i + 1));
                }
            }
            _ => {}
        }
    }
    None
}

fn names(list: &str) -> Vec<String> {
    sql::split_top(list).into_iter().map(|c| unquote(c.split_whitespace().next().unwrap_or(""))).collect()
}

/// A table constraint (`text` after its optional `CONSTRAINT name`).
fn table_constraint(text: &str, name: Option<String>) -> Option<Written> {
    let up = text.trim_start().to_ascii_uppercase();
    let t = text.trim_start();
    let cols = |t: &str| group(t, 0).map(|(g, _)| names(g)).unwrap_or_default();
    Some(if up.starts_with("PRIMARY KEY") {
        Written { name, kind: "PRIMARY KEY", columns: cols(t), ..Default::default() }
    } else if up.starts_with("UNIQUE") {
        Written { name, kind: "UNIQUE", columns: cols(t), ..Default::default() }
    } else if up.starts_with("FOREIGN KEY") {
        Written { name, kind: "FOREIGN KEY", columns: cols(t), ..Default::default() }
    } else if up.starts_with("CHECK") {
        let (g, _) = group(t, 0)?;
        Written { name, kind: "CHECK", clause: format!("({})", g.trim()), ..Default::default() }
    } else {
        return None;
    })
}

/// Parse a CREATE TABLE's column list for what [`Ddl`] holds.
pub fn parse(create: &str) -> Ddl {
    let mut d = Ddl::default();
    let Some((list, _)) = group(create, 0) else { return d };
    for item in sql::split_top(list) {
        let item = item.trim();
        let up = item.to_ascii_uppercase();
        if up.starts_with("CONSTRAINT") {
            let rest = item[10..].trim_start();
            let end = if rest.starts_with('[') { rest.find(']').map_or(rest.len(), |i| i + 1) } else { rest.find(char::is_whitespace).unwrap_or(rest.len()) };
            d.constraints.extend(table_constraint(&rest[end..], Some(unquote(&rest[..end]))));
            continue;
        }
        if let Some(c) = table_constraint(item, None) {
            d.constraints.push(c);
            continue;
        }
        // A column: name, then its type and inline constraints.
        let end = if item.starts_with('[') || item.starts_with('"') {
            item[1..].find([']', '"']).map_or(item.len(), |i| i + 2)
        } else {
            item.find(char::is_whitespace).unwrap_or(item.len())
        };
        let col = unquote(&item[..end]);
        let rest = &item[end..];
        let rup = rest.to_ascii_uppercase();
        if rup.trim_start().starts_with("AS ") || rup.trim_start().starts_with("AS(") {
            d.computed.push(col.clone());
        }
        if rup.contains("IDENTITY") {
            d.identity.push(col.clone());
        }
        // Inline constraints, each with an optional CONSTRAINT name.
        let mut at = 0;
        while at < rest.len() {
            let r = &rup[at..];
            let (name, kw) = match r.find("CONSTRAINT ") {
                Some(i) if ["PRIMARY", "UNIQUE", "CHECK", "REFERENCES"].iter().all(|k| r.find(k).is_none_or(|j| j > i)) => {
                    let after = rest[at + i + 11..].trim_start();
                    let n_end = if after.starts_with('[') { after.find(']').map_or(after.len(), |j| j + 1) } else { after.find(char::is_whitespace).unwrap_or(after.len()) };
                    let off = rest.len() - after.len() + n_end;
                    (Some(unquote(&after[..n_end])), off)
                }
                _ => (None, at),
            };
            let r2 = &rup[kw..];
            let next = ["PRIMARY KEY", "UNIQUE", "CHECK", "REFERENCES"].iter().filter_map(|k| r2.find(k).map(|i| (i, *k))).min();
            let Some((i, k)) = next else { break };
            let p = kw + i;
            match k {
                "PRIMARY KEY" => d.constraints.push(Written { name, kind: "PRIMARY KEY", columns: vec![col.clone()], ..Default::default() }),
                "UNIQUE" => d.constraints.push(Written { name, kind: "UNIQUE", columns: vec![col.clone()], ..Default::default() }),
                "REFERENCES" => d.constraints.push(Written { name, kind: "FOREIGN KEY", columns: vec![col.clone()], ..Default::default() }),
                _ => {
                    if let Some((g, end)) = group(rest, p) {
                        d.constraints.push(Written {
                            name: Some(name.unwrap_or_else(|| format!("CK__{{table}}__{col}"))),
                            kind: "CHECK",
                            clause: format!("({})", g.trim()),
                            ..Default::default()
                        });
                        at = end;
                        continue;
                    }
                }
            }
            at = p + k.len();
        }
    }
    d
}

struct Table {
    name: String,
    view: bool,
    ddl: Ddl,
}

/// Fill the temp tables of [`VIEWS`] from the database as it is now.
/// `ddl`: each table's CREATE TABLE as written, by lower-case name.
pub fn refresh(db: &Connection, ddl: &HashMap<String, String>) -> rusqlite::Result<()> {
    db.execute_batch(SCHEMA)?;
    let tables: Vec<Table> = {
        let mut st = db.prepare(
            "SELECT name, type = 'view' FROM main.sqlite_schema WHERE type IN ('table', 'view') \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .map(|(name, view)| {
                let ddl = ddl.get(&name.to_ascii_lowercase()).map(|s| parse(s)).unwrap_or_default();
                Table { name, view, ddl }
            })
            .collect()
    };
    let ins = |sql: &str, p: &[&dyn rusqlite::ToSql]| db.execute(sql, p).map(|_| ());
    // Key names, for the foreign keys that reference them.
    let mut keys: HashMap<String, Vec<(String, Vec<String>)>> = HashMap::new();
    let mut object_id = 0i64;
    for t in &tables {
        object_id += 1;
        let tn = &t.name;
        ins("INSERT INTO is_tables VALUES ('keel', 'dbo', ?1, ?2)", &[tn, &if t.view { "VIEW" } else { "BASE TABLE" }])?;
        ins("INSERT INTO sys_objects VALUES (?1, ?2, 1, ?3)", &[&object_id, tn, &if t.view { "V" } else { "U" }])?;
        // Columns.
        // table_xinfo: generated columns too (hidden 2 and 3).
        let mut st = db.prepare("SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo(?1) WHERE hidden <> 1")?;
        let cols: Vec<(i64, String, String, bool, Option<String>, i64)> = st
            .query_map([tn], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<String>>(2)?.unwrap_or_default(), r.get(3)?, r.get(4)?, r.get(5)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut pk: Vec<(i64, String)> = Vec::new();
        for (cid, name, decl, notnull, dflt, pkn) in &cols {
            let ty = types::from_decl(decl);
            let full = types::type_name(ty);
            let base = full.split('(').next().unwrap_or("").to_owned();
            let (len, prec, scale, dt): (Option<i64>, Option<i64>, Option<i64>, Option<i64>) = match ty {
                Ty::VarChar(n, _) | Ty::NVarChar(n, _) | Ty::VarBinary(n, _) => (Some(n.map_or(-1, i64::from)), None, None, None),
                Ty::Decimal(p, s) => (None, Some(p as i64), Some(s as i64), None),
                Ty::Int(1) => (None, Some(3), Some(0), None),
                Ty::Int(2) => (None, Some(5), Some(0), None),
                Ty::Int(4) => (None, Some(10), Some(0), None),
                Ty::Int(_) => (None, Some(19), Some(0), None),
                Ty::Time(s) | Ty::DateTime2(s) | Ty::DateTimeOffset(s) => (None, None, None, Some(s as i64)),
                _ => (None, None, None, None),
            };
            let computed = t.ddl.computed.contains(name);
            let default = if computed {
                None
            } else {
                dflt.as_ref().map(|d| if d.starts_with('(') { d.clone() } else { format!("({d})") })
            };
            let nullable = if *notnull || *pkn > 0 { "NO" } else { "YES" };
            ins(
                "INSERT INTO is_columns VALUES ('keel', 'dbo', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                &[tn, name, &(cid + 1), &default, &nullable, &base, &len, &prec, &scale, &dt],
            )?;
            let identity = t.ddl.identity.contains(name);
            ins("INSERT INTO sys_columns VALUES (?1, ?2, ?3, ?4, ?5)", &[&object_id, name, &(cid + 1), &identity, &computed])?;
            if *pkn > 0 {
                pk.push((*pkn, name.clone()));
            }
        }
        if t.view {
            continue;
        }
        pk.sort();
        let pk: Vec<String> = pk.into_iter().map(|p| p.1).collect();
        let cid_of = |n: &str| cols.iter().find(|c| c.1 == n).map_or(0, |c| c.0 + 1);
        let written = |kind: &str, columns: &[String]| {
            t.ddl.constraints.iter().find(|c| c.kind == kind && (kind == "PRIMARY KEY" || c.columns == columns)).and_then(|c| c.name.clone())
        };
        let add_key = |kind: &str, name: &str, columns: &[String]| -> rusqlite::Result<()> {
            ins("INSERT INTO is_table_constraints VALUES ('keel', 'dbo', ?1, 'keel', 'dbo', ?2, ?3)", &[&name, tn, &kind])?;
            for (i, c) in columns.iter().enumerate() {
                ins("INSERT INTO is_key_column_usage VALUES ('keel', 'dbo', ?1, 'keel', 'dbo', ?2, ?3, ?4)", &[&name, tn, c, &(i as i64 + 1)])?;
            }
            Ok(())
        };
        let mut index_id = 1i64;
        let add_index = |id: i64, name: &str, kind: i64, unique: bool, primary: bool, filter: Option<String>, columns: &[(String, bool)]| -> rusqlite::Result<()> {
            ins("INSERT INTO sys_indexes VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &[&object_id, &id, &name, &kind, &unique, &primary, &filter])?;
            for (i, (c, desc)) in columns.iter().enumerate() {
                let ord = i as i64 + 1;
                ins("INSERT INTO sys_index_columns VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &[&object_id, &id, &ord, &cid_of(c), &ord, desc])?;
            }
            Ok(())
        };
        let mut pk_name = None;
        if !pk.is_empty() {
            let name = written("PRIMARY KEY", &pk).unwrap_or_else(|| format!("PK__{tn}"));
            add_key("PRIMARY KEY", &name, &pk)?;
            keys.entry(tn.to_ascii_lowercase()).or_default().push((name.clone(), pk.clone()));
            pk_name = Some(name);
        }
        // Indexes: the key's, the UNIQUE constraints', CREATE INDEX's.
        let mut st = db.prepare("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1) ORDER BY seq DESC")?;
        let list: Vec<(String, bool, String, bool)> =
            st.query_map([tn], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<rusqlite::Result<_>>()?;
        let mut pk_indexed = false;
        let mut uq_n = 0;
        for (iname, unique, origin, partial) in list {
            let mut st = db.prepare("SELECT name, \"desc\" FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno")?;
            let icols: Vec<(String, bool)> = st
                .query_map([&iname], |r| Ok((r.get::<_, Option<String>>(0)?.unwrap_or_default(), r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let names: Vec<String> = icols.iter().map(|c| c.0.clone()).collect();
            let (name, kind, primary) = match origin.as_str() {
                "pk" => {
                    pk_indexed = true;
                    (pk_name.clone().unwrap_or(iname.clone()), 1, true)
                }
                "u" => {
                    uq_n += 1;
                    let name = written("UNIQUE", &names).unwrap_or_else(|| format!("UQ__{tn}__{uq_n}"));
                    add_key("UNIQUE", &name, &names)?;
                    keys.entry(tn.to_ascii_lowercase()).or_default().push((name.clone(), names.clone()));
                    (name, 2, false)
                }
                _ => (iname.clone(), 2, false),
            };
            let filter = if partial {
                let sql: Option<String> =
                    db.query_row("SELECT sql FROM main.sqlite_schema WHERE type = 'index' AND name = ?1", params![iname], |r| r.get(0))?;
                sql.and_then(|s| s.to_ascii_uppercase().find(" WHERE ").map(|i| format!("({})", s[i + 7..].trim())))
            } else {
                None
            };
            index_id += 1;
            add_index(if primary { 1 } else { index_id }, &name, kind, unique, primary, filter, &icols)?;
        }
        if let (Some(name), false) = (&pk_name, pk_indexed) {
            // A rowid key (INTEGER PRIMARY KEY) has no index in SQLite;
            // SQL Server's key always has one.
            let c: Vec<(String, bool)> = pk.iter().map(|p| (p.clone(), false)).collect();
            add_index(1, name, 1, true, true, None, &c)?;
        }
        for c in t.ddl.constraints.iter().filter(|c| c.kind == "CHECK") {
            let name = c.name.clone().unwrap_or_default().replace("{table}", tn);
            ins("INSERT INTO is_table_constraints VALUES ('keel', 'dbo', ?1, 'keel', 'dbo', ?2, 'CHECK')", &[&name, tn])?;
            ins("INSERT INTO is_check_constraints VALUES ('keel', 'dbo', ?1, ?2)", &[&name, &c.clause])?;
        }
    }
    // Foreign keys, once every table's keys are known.
    for t in tables.iter().filter(|t| !t.view) {
        let tn = &t.name;
        let mut st = db.prepare("SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq")?;
        let fks: Vec<(i64, i64, String, String, Option<String>, String, String)> = st
            .query_map([tn], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut ids: Vec<i64> = fks.iter().map(|f| f.0).collect();
        ids.dedup();
        for id in ids {
            let rows: Vec<_> = fks.iter().filter(|f| f.0 == id).collect();
            let from: Vec<String> = rows.iter().map(|f| f.3.clone()).collect();
            let target = rows[0].2.to_ascii_lowercase();
            let target_keys = keys.get(&target).cloned().unwrap_or_default();
            let to: Vec<String> = match rows[0].4 {
                Some(_) => rows.iter().map(|f| f.4.clone().unwrap_or_default()).collect(),
                None => target_keys.first().map(|k| k.1.clone()).unwrap_or_default(),
            };
            let referenced = target_keys.iter().find(|k| k.1 == to).map(|k| k.0.clone()).unwrap_or_default();
            let name = t
                .ddl
                .constraints
                .iter()
                .find(|c| c.kind == "FOREIGN KEY" && c.columns == from)
                .and_then(|c| c.name.clone())
                .unwrap_or_else(|| format!("FK__{tn}__{id}"));
            let rule = |r: &str| if r == "RESTRICT" { "NO ACTION".to_owned() } else { r.to_owned() };
            ins("INSERT INTO is_table_constraints VALUES ('keel', 'dbo', ?1, 'keel', 'dbo', ?2, 'FOREIGN KEY')", &[&name, tn])?;
            for (i, c) in from.iter().enumerate() {
                ins("INSERT INTO is_key_column_usage VALUES ('keel', 'dbo', ?1, 'keel', 'dbo', ?2, ?3, ?4)", &[&name, tn, c, &(i as i64 + 1)])?;
            }
            ins(
                "INSERT INTO is_referential_constraints VALUES ('keel', 'dbo', ?1, 'keel', 'dbo', ?2, ?3, ?4)",
                &[&name, &referenced, &rule(&rows[0].5), &rule(&rows[0].6)],
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_and_columns_of_a_create_table() {
        let d = parse(
            "CREATE TABLE t (id BIGINT IDENTITY(1,1) PRIMARY KEY, code VARCHAR(10) CONSTRAINT t_code UNIQUE, \
             n INT CHECK (n > 0), total AS (n * 2), p INT REFERENCES other (id), \
             CONSTRAINT t_pair UNIQUE (code, n), CONSTRAINT [t n] CHECK ((n < 100)), FOREIGN KEY (n) REFERENCES x (y))",
        );
        assert_eq!(d.identity, ["id"]);
        assert_eq!(d.computed, ["total"]);
        let got: Vec<(Option<&str>, &str, Vec<&str>, &str)> = d
            .constraints
            .iter()
            .map(|c| (c.name.as_deref(), c.kind, c.columns.iter().map(String::as_str).collect(), c.clause.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (None, "PRIMARY KEY", vec!["id"], ""),
                (Some("t_code"), "UNIQUE", vec!["code"], ""),
                (Some("CK__{table}__n"), "CHECK", vec![], "(n > 0)"),
                (None, "FOREIGN KEY", vec!["p"], ""),
                (Some("t_pair"), "UNIQUE", vec!["code", "n"], ""),
                (Some("t n"), "CHECK", vec![], "((n < 100))"),
                (None, "FOREIGN KEY", vec!["n"], ""),
            ]
        );
    }
}
