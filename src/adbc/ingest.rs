//! ADBC bulk ingest (`adbc.ingest.*`): the table created from the Arrow
//! schema where the mode asks for it (here), then the rows through keel's
//! own ingest (`Conn::ingest` in append mode: PostgreSQL's binary COPY,
//! multi-row INSERTs on MySQL/MariaDB, one `INSERT ... SELECT` per record
//! batch on SQLite) when the table is named without a schema and keel ingests
//! every column's Arrow type; otherwise as one batch of the prepared
//! `INSERT` per record batch (`statement.rs`).

use super::connection::Session;
use super::{err, not_implemented, to_adbc};
use adbc_core::constants;
use adbc_core::error::{Result as AdbcResult, Status as AdbcStatus};
use arrow_schema::{DataType, Field, Schema};

/// Where and how to ingest.
#[derive(Default)]
pub(crate) struct Ingest {
    pub table: Option<String>,
    pub schema: Option<String>,
    pub catalog: Option<String>,
    pub mode: Option<String>,
    pub temporary: bool,
}

fn quote(engine: &str, name: &str) -> String {
    match engine {
        "mysql" => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// The column type keel creates for an Arrow field on `engine`: the type
/// keel reads back as the same keel type.
fn sql_type(session: &Session, engine: &str, f: &Field) -> AdbcResult<String> {
    let ext = f.metadata().get("ARROW:extension:name").map(String::as_str);
    if !matches!(engine, "sqlite" | "postgres" | "mysql" | "mssql") {
        // A loaded driver's own column types where it names them
        // (keel_driver_v1's column_types), else standard SQL's.
        let own = crate::codec::arrow::ingest_kind(f)
            .ok()
            .and_then(|(kind, decimal)| session.conn.column_type_sql(kind, decimal));
        return match own {
            Some(t) => Ok(t),
            None => standard_sql_type(f, ext),
        };
    }
    let pick = |sqlite: &str, pg: &str, my: &str, ms: &str| {
        match engine {
            "sqlite" => sqlite,
            "postgres" => pg,
            "mysql" => my,
            _ => ms,
        }
        .to_owned()
    };
    Ok(match f.data_type() {
        DataType::Boolean => pick("BOOLEAN", "BOOLEAN", "BOOLEAN", "BIT"),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 | DataType::UInt8 | DataType::UInt16
        | DataType::UInt32 => pick("INTEGER", "BIGINT", "BIGINT", "BIGINT"),
        DataType::UInt64 => pick("UNSIGNED BIG INT", "NUMERIC(20)", "BIGINT UNSIGNED", "NUMERIC(20)"),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => pick("REAL", "DOUBLE PRECISION", "DOUBLE", "FLOAT"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View if ext == Some("arrow.json") => {
            pick("JSON", "JSONB", "JSON", "NVARCHAR(MAX)")
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => pick("TEXT", "TEXT", "LONGTEXT", "NVARCHAR(MAX)"),
        DataType::FixedSizeBinary(16) if ext == Some("arrow.uuid") => pick("UUID", "UUID", "CHAR(36)", "UNIQUEIDENTIFIER"),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            pick("BLOB", "BYTEA", "LONGBLOB", "VARBINARY(MAX)")
        }
        DataType::Date32 | DataType::Date64 => "DATE".to_owned(),
        DataType::Time32(_) | DataType::Time64(_) => pick("TIME", "TIME", "TIME(6)", "TIME(7)"),
        DataType::Timestamp(_, None) => pick("TIMESTAMP", "TIMESTAMP", "DATETIME(6)", "DATETIME2"),
        DataType::Timestamp(_, Some(_)) if engine == "mysql" => {
            return Err(not_implemented(format!(
                "ingest column {:?}: MySQL has no time-zone-aware timestamp type; create the table first",
                f.name()
            )));
        }
        DataType::Timestamp(_, Some(_)) => pick("TIMESTAMPTZ", "TIMESTAMPTZ", "", "DATETIMEOFFSET"),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) if *p <= 38 && *s >= 0 => {
            pick(&format!("DECIMAL({p},{s})"), &format!("NUMERIC({p},{s})"), &format!("DECIMAL({p},{s})"), &format!("DECIMAL({p},{s})"))
        }
        // PostgreSQL's arrays: the element's type and [].
        DataType::List(item) | DataType::LargeList(item) if engine == "postgres" => {
            format!("{}[]", sql_type(session, engine, item)?)
        }
        // Wider than SQL Server's 38 digits: SQLite and PostgreSQL take any,
        // MySQL up to 65 with at most 30 after the point.
        DataType::Decimal256(p, s)
            if *s >= 0 && (engine != "mssql") && (engine != "mysql" || (*p <= 65 && *s <= 30)) =>
        {
            pick(&format!("DECIMAL({p},{s})"), &format!("NUMERIC({p},{s})"), &format!("DECIMAL({p},{s})"), "")
        }
        other => {
            return Err(not_implemented(format!("ingest column {:?}: keel has no column type for Arrow {other}", f.name())));
        }
    })
}

/// The column type for an Arrow field on an engine keel does not know (a
/// driver loaded at run time, such as DuckDB): standard SQL's names, plus
/// `UUID`, `BLOB` and `TIMESTAMP WITH TIME ZONE` as DuckDB and PostgreSQL
/// spell them.
fn standard_sql_type(f: &Field, ext: Option<&str>) -> AdbcResult<String> {
    Ok(match f.data_type() {
        DataType::Boolean => "BOOLEAN".to_owned(),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 | DataType::UInt8 | DataType::UInt16
        | DataType::UInt32 => "BIGINT".to_owned(),
        DataType::UInt64 => "NUMERIC(20)".to_owned(),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => "DOUBLE PRECISION".to_owned(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "VARCHAR".to_owned(),
        DataType::FixedSizeBinary(16) if ext == Some("arrow.uuid") => "UUID".to_owned(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => "BLOB".to_owned(),
        DataType::Date32 | DataType::Date64 => "DATE".to_owned(),
        DataType::Time32(_) | DataType::Time64(_) => "TIME".to_owned(),
        DataType::Timestamp(_, None) => "TIMESTAMP".to_owned(),
        DataType::Timestamp(_, Some(_)) => "TIMESTAMP WITH TIME ZONE".to_owned(),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) if *p <= 38 && *s >= 0 => format!("DECIMAL({p},{s})"),
        other => {
            return Err(not_implemented(format!("ingest column {:?}: keel has no column type for Arrow {other}", f.name())));
        }
    })
}

/// Create the table as `ingest.mode` asks, and return the INSERT to run
/// per row.
pub(crate) fn prepare(session: &Session, ingest: &Ingest, schema: &Schema) -> AdbcResult<String> {
    let engine = session.conn.driver_name();
    let table = ingest.table.as_deref().ok_or_else(|| err(AdbcStatus::InvalidState, "no target table"))?;
    if let Some(c) = &ingest.catalog {
        return Err(not_implemented(format!("ingest into catalog {c:?}: keel names only a schema and a table")));
    }
    if ingest.temporary && (engine == "mssql" || ingest.schema.is_some()) {
        return Err(not_implemented("ingest into a temporary table on SQL Server or in a named schema"));
    }
    if schema.fields().is_empty() {
        return Err(err(AdbcStatus::InvalidArguments, "the bound data has no columns"));
    }
    let name = match &ingest.schema {
        Some(s) => format!("{}.{}", quote(engine, s), quote(engine, table)),
        None => quote(engine, table),
    };
    let mode = ingest.mode.as_deref().unwrap_or(constants::ADBC_INGEST_OPTION_MODE_CREATE);
    let (drop, create, if_not_exists) = match mode {
        constants::ADBC_INGEST_OPTION_MODE_CREATE => (false, true, false),
        constants::ADBC_INGEST_OPTION_MODE_APPEND => (false, false, false),
        constants::ADBC_INGEST_OPTION_MODE_REPLACE => (true, true, false),
        constants::ADBC_INGEST_OPTION_MODE_CREATE_APPEND if engine == "mssql" => {
            return Err(not_implemented("ingest mode create_append on SQL Server (no CREATE TABLE IF NOT EXISTS)"));
        }
        constants::ADBC_INGEST_OPTION_MODE_CREATE_APPEND => (false, true, true),
        other => return Err(not_implemented(format!("ingest mode {other:?}"))),
    };
    // The CREATE is made before anything runs: a field without a column
    // type fails with nothing dropped (MySQL commits a DROP at once).
    let create_sql = if create {
        let cols: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| {
                let null = if f.is_nullable() { "" } else { " NOT NULL" };
                Ok(format!("{} {}{null}", quote(engine, f.name()), sql_type(session, engine, f)?))
            })
            .collect::<AdbcResult<_>>()?;
        let temp = if ingest.temporary { "TEMPORARY " } else { "" };
        let ine = if if_not_exists { "IF NOT EXISTS " } else { "" };
        Some(format!("CREATE {temp}TABLE {ine}{name} ({})", cols.join(", ")))
    } else {
        None
    };
    let run = |sql: &str| session.conn.exec(sql, &[]).map(|_| ()).map_err(to_adbc);
    if drop {
        run(&format!("DROP TABLE IF EXISTS {name}"))?;
    }
    if let Some(sql) = create_sql {
        run(&sql)?;
    }
    let cols: Vec<String> = schema.fields().iter().map(|f| quote(engine, f.name())).collect();
    let marks = vec!["?"; cols.len()].join(", ");
    Ok(format!("INSERT INTO {name} ({}) VALUES ({marks})", cols.join(", ")))
}
