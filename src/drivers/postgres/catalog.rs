//! The catalog on PostgreSQL, from `pg_catalog`: a connection sees one
//! database, its catalog (a catalog argument naming another matches
//! nothing); schemas are PostgreSQL's. Other sessions' temporary schemas
//! are left out. Each question is one query.

use super::types::classify;
use crate::core::catalog::{Catalog, CatalogSql, equals, like, types_in};
use crate::core::error::Result;
use crate::core::value::{Type as K, Value, ValueRef};
use tokio_postgres::types::Type;

const ESCAPE: &str = " ESCAPE '\\'";

/// Relations with the columns of `Catalog::Tables`, and their oid.
const TABLES: &str = "SELECT current_database()::text AS table_catalog, n.nspname::text AS table_schema, \
     c.relname::text AS table_name, \
     CASE WHEN n.nspname IN ('pg_catalog', 'information_schema') OR n.nspname LIKE 'pg\\_toast%' THEN 'SYSTEM TABLE' \
     WHEN c.relpersistence = 't' THEN 'TEMPORARY' WHEN c.relkind IN ('r', 'p') THEN 'TABLE' \
     WHEN c.relkind = 'v' THEN 'VIEW' WHEN c.relkind = 'm' THEN 'MATERIALIZED VIEW' ELSE 'FOREIGN TABLE' END \
     AS table_type, obj_description(c.oid, 'pg_class') AS remarks, c.oid AS rel \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') \
     AND (n.nspname NOT LIKE 'pg\\_temp\\_%' OR n.oid = pg_my_temp_schema()) \
     AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'";

fn keel_type(v: ValueRef<'_>) -> K {
    match v {
        ValueRef::Int64(oid) => match u32::try_from(oid).ok().and_then(Type::from_oid) {
            Some(t) => classify(&t).0,
            None => K::Bytes,
        },
        _ => K::Null,
    }
}

/// The condition that the relation `rel` (an oid) is the table `table` in
/// `schema` (or any schema) of `catalog` (or this database).
fn relation(catalog: Option<&str>, schema: Option<&str>, table: Option<&str>, alias: &str, p: &mut Vec<Value>) -> String {
    let mut w = equals("current_database()::text", catalog, p);
    w += &equals(&format!("{alias}n.nspname::text"), schema, p);
    w += &equals(&format!("{alias}c.relname::text"), table, p);
    w
}

pub(super) fn query(q: &Catalog<'_>) -> Result<CatalogSql> {
    let mut p = Vec::new();
    let sql = match *q {
        Catalog::Catalogs => "SELECT current_database()::text AS catalog_name".to_owned(),
        Catalog::Schemas { catalog, schema } => {
            let mut w = equals("current_database()::text", catalog, &mut p);
            w += &like("n.nspname::text", schema, &mut p, ESCAPE);
            format!(
                "SELECT current_database()::text AS catalog_name, n.nspname::text AS schema_name \
                 FROM pg_namespace n WHERE (n.nspname NOT LIKE 'pg\\_temp\\_%' OR n.oid = pg_my_temp_schema()) \
                 AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'{w} ORDER BY n.nspname"
            )
        }
        Catalog::Tables { catalog, schema, table, ref types } => {
            let mut w = equals("table_catalog", catalog, &mut p);
            w += &like("table_schema", schema, &mut p, ESCAPE);
            w += &like("table_name", table, &mut p, ESCAPE);
            w += &types_in("table_type", types, &mut p);
            format!(
                "SELECT table_catalog, table_schema, table_name, table_type, remarks FROM ({TABLES}) t \
                 WHERE true{w} ORDER BY table_type, table_catalog, table_schema, table_name"
            )
        }
        Catalog::Columns { catalog, schema, table, column } => {
            let mut w = equals("t.table_catalog", catalog, &mut p);
            w += &like("t.table_schema", schema, &mut p, ESCAPE);
            w += &like("t.table_name", table, &mut p, ESCAPE);
            w += &like("a.attname::text", column, &mut p, ESCAPE);
            // Types keel reads as text (enums, domains, arrays, citext) are
            // given as text's oid.
            format!(
                "SELECT t.table_catalog, t.table_schema, t.table_name, a.attname::text AS column_name, \
                 a.attnum::int8 AS ordinal_position, \
                 (CASE WHEN ty.typtype IN ('e', 'd') OR ty.typcategory = 'A' OR ty.typname = 'citext' THEN 25 \
                 ELSE a.atttypid::int8 END)::int8 AS keel_type, \
                 format_type(a.atttypid, a.atttypmod) AS type_name, \
                 (NOT a.attnotnull)::int::int8 AS is_nullable, \
                 CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS column_default, \
                 CASE WHEN a.atttypid IN (1042, 1043) AND a.atttypmod > 4 THEN (a.atttypmod - 4)::int8 END \
                 AS char_max_length, \
                 CASE WHEN a.atttypid = 1700 AND a.atttypmod > 4 THEN (((a.atttypmod - 4) >> 16) & 65535)::int8 END \
                 AS numeric_precision, \
                 CASE WHEN a.atttypid = 1700 AND a.atttypmod > 4 THEN ((a.atttypmod - 4) & 65535)::int8 END \
                 AS numeric_scale, \
                 (a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false))::int::int8 \
                 AS is_autoincrement, (a.attgenerated <> '')::int::int8 AS is_generated, \
                 col_description(t.rel, a.attnum) AS remarks \
                 FROM ({TABLES}) t JOIN pg_attribute a ON a.attrelid = t.rel \
                 JOIN pg_type ty ON ty.oid = a.atttypid \
                 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE a.attnum > 0 AND NOT a.attisdropped{w} \
                 ORDER BY t.table_schema, t.table_name, a.attnum"
            )
        }
        Catalog::PrimaryKeys { catalog, schema, table } => {
            let w = relation(catalog, schema, table, "", &mut p);
            format!(
                "SELECT current_database()::text AS table_catalog, n.nspname::text AS table_schema, \
                 c.relname::text AS table_name, a.attname::text AS column_name, k.ord::int8 AS key_seq, \
                 con.conname::text AS pk_name \
                 FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
                 WHERE con.contype = 'p'{w} ORDER BY n.nspname, k.ord"
            )
        }
        Catalog::ForeignKeys { catalog, schema, table, exported } => {
            let w = relation(catalog, schema, table, if exported { "p" } else { "f" }, &mut p);
            let rule = |col: &str| {
                format!(
                    "CASE con.{col} WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' \
                     WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END"
                )
            };
            format!(
                "SELECT current_database()::text AS fk_catalog, fn.nspname::text AS fk_schema, \
                 fc.relname::text AS fk_table, fa.attname::text AS fk_column, \
                 current_database()::text AS pk_catalog, pn.nspname::text AS pk_schema, \
                 pc.relname::text AS pk_table, pa.attname::text AS pk_column, k.ord::int8 AS key_seq, \
                 {} AS update_rule, {} AS delete_rule, con.conname::text AS fk_name, \
                 (SELECT r.conname::text FROM pg_constraint r WHERE r.conrelid = con.confrelid \
                 AND r.conindid = con.conindid AND r.contype IN ('p', 'u') LIMIT 1) AS pk_name, \
                 CASE WHEN NOT con.condeferrable THEN 'NOT DEFERRABLE' WHEN con.condeferred THEN 'INITIALLY DEFERRED' \
                 ELSE 'INITIALLY IMMEDIATE' END AS deferrability \
                 FROM pg_constraint con \
                 CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(fk_att, pk_att, ord) \
                 JOIN pg_class fc ON fc.oid = con.conrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
                 JOIN pg_class pc ON pc.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
                 JOIN pg_attribute fa ON fa.attrelid = fc.oid AND fa.attnum = k.fk_att \
                 JOIN pg_attribute pa ON pa.attrelid = pc.oid AND pa.attnum = k.pk_att \
                 WHERE con.contype = 'f'{} \
                 ORDER BY fn.nspname, fc.relname, con.conname, k.ord",
                rule("confupdtype"),
                rule("confdeltype"),
                // `relation` names the table's aliases pn/pc or fn/fc.
                w
            )
        }
        Catalog::Indexes { catalog, schema, table } => {
            let w = relation(catalog, schema, table, "", &mut p);
            format!(
                "SELECT current_database()::text AS table_catalog, n.nspname::text AS table_schema, \
                 c.relname::text AS table_name, ic.relname::text AS index_name, \
                 i.indisunique::int::int8 AS is_unique, i.indisprimary::int::int8 AS is_primary, \
                 k.ord::int8 AS ordinal_position, a.attname::text AS column_name, \
                 ((i.indoption::int2[])[k.ord - 1] & 1)::int8 AS is_descending, \
                 pg_get_expr(i.indpred, i.indrelid) AS filter \
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class ic ON ic.oid = i.indexrelid \
                 CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                 LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum AND k.attnum > 0 \
                 WHERE k.ord <= i.indnkeyatts{w} ORDER BY n.nspname, ic.relname, k.ord"
            )
        }
        Catalog::UniqueConstraints { catalog, schema, table } => {
            let w = relation(catalog, schema, table, "", &mut p);
            format!(
                "SELECT current_database()::text AS table_catalog, n.nspname::text AS table_schema, \
                 c.relname::text AS table_name, con.conname::text AS constraint_name, k.ord::int8 AS key_seq, \
                 a.attname::text AS column_name \
                 FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
                 WHERE con.contype = 'u'{w} ORDER BY n.nspname, c.relname, con.conname, k.ord"
            )
        }
        Catalog::CheckConstraints { catalog, schema, table } => {
            // contype 'c' only: PostgreSQL 18's NOT NULL constraints ('n')
            // are the columns' is_nullable.
            let w = relation(catalog, schema, table, "", &mut p);
            format!(
                "SELECT current_database()::text AS table_catalog, n.nspname::text AS table_schema, \
                 c.relname::text AS table_name, con.conname::text AS constraint_name, \
                 pg_get_expr(con.conbin, con.conrelid) AS check_clause \
                 FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE con.contype = 'c'{w} ORDER BY n.nspname, c.relname, con.conname"
            )
        }
    };
    let mut cs = CatalogSql::new(sql, p);
    if matches!(q, Catalog::Columns { .. }) {
        cs.keel_type = Some(keel_type);
    }
    Ok(cs)
}
