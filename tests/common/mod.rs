//! Fixtures shared by the integration tests: one [`Engine`] per available
//! database, each with the [`Quirks`] that say how that engine spells
//! things and what it can do (the idea of ADBC's `c/validation` suite).
//!
//! SQLite always runs (bundled, a fresh in-memory database per test).
//! PostgreSQL and MySQL/MariaDB run only against servers whose URLs are in
//! `KEEL_TEST_POSTGRES_URL` / `KEEL_TEST_MYSQL_URL` (`. scripts/servers.sh`
//! exports both); without one, that engine's tests print `skipped: ...` and
//! return. SQL Server runs against `KEEL_TEST_MSSQL_URL` when it is set,
//! and otherwise against a TDS test peer (`tests/tds_peer`, SQLite behind
//! SQL Server's protocol) started in-process, one per engine.

#![allow(dead_code)]

use keel::{Conn, Db, Type, Value, ValueRef};
use std::sync::atomic::{AtomicU64, Ordering};

/// How one keel type is stored in an engine's natural column type.
#[derive(Clone, Debug)]
pub struct TypeSpec {
    pub kind: Type,
    /// DDL for the column (`"BIGINT"`, `"TIMESTAMP(6) NULL"`).
    pub ddl: &'static str,
    /// What the engine reports as the column's type name in result metadata.
    pub engine_type: &'static str,
    /// The keel type values of that column read back as. Equal to `kind`
    /// unless the engine has no such type (MariaDB's UUID and JSON columns
    /// arrive as text).
    pub reads_as: Type,
}

const fn ts(kind: Type, ddl: &'static str, engine_type: &'static str) -> TypeSpec {
    TypeSpec {
        kind,
        ddl,
        engine_type,
        reads_as: kind,
    }
}

/// What differs between engines, and nothing else. A behaviour that needs
/// an `if engine == ...` in a check belongs here instead.
#[derive(Clone, Debug)]
pub struct Quirks {
    /// Natural column type per keel type. A keel type missing here has no
    /// column type on this engine (SQLite and PostgreSQL have no unsigned
    /// 64-bit integer).
    pub types: Vec<TypeSpec>,
    /// Column definition of an auto-numbered BIGINT primary key.
    pub autoincrement_pk: &'static str,
    /// Quote character for identifiers.
    pub quote: char,
    /// A DOUBLE column stores NaN / ±infinity. Where not, binding one is a
    /// clear error.
    pub stores_nan: bool,
    pub stores_infinity: bool,
    /// Largest blob that round-trips: 16 MiB, less where a known limit
    /// applies (see the ignored tests at the end of `conformance.rs`).
    pub max_blob: usize,
    /// A 16 MiB parameter is refused with a clear error before anything is
    /// sent: MySQL/MariaDB with max_allowed_packet at 16 MiB, where the
    /// mysql crate's long-data chunks are one byte too big.
    pub blob_refused_by_packet_limit: bool,
    /// u64::MAX is stored exactly (MySQL's BIGINT UNSIGNED). Elsewhere
    /// binding it to a BIGINT is a clear error.
    pub stores_u64_max: bool,
    /// The oldest year a timestamptz column holds (MySQL's TIMESTAMP
    /// starts in 1970).
    pub timestamptz_min_year: i64,
    /// A timestamptz keeps the UTC offset it was stored with (SQL Server's
    /// datetimeoffset); elsewhere it is an instant (offset 0).
    pub keeps_zone_offset: bool,
    /// Text such as `2024-03-10 12:34:56+05:30` bound to a timestamptz
    /// column is read with its offset.
    pub parses_zone_offsets: bool,
    /// `ExecResult::last_insert_id` is reported after an INSERT.
    pub last_insert_id: bool,
    /// After a multi-row INSERT the id is that of its first row (MySQL's
    /// LAST_INSERT_ID()) rather than its last (SQLite's last rowid).
    pub multirow_insert_id_is_first: bool,
    /// SAVEPOINT / RELEASE / ROLLBACK TO work.
    pub savepoints: bool,
    /// Another connection can read while a write transaction is open.
    /// SQLite's shared in-memory database (the memdb VFS) locks readers out
    /// until the writer commits.
    pub reads_during_write_tx: bool,
    /// A failed statement aborts the whole transaction (PostgreSQL): later
    /// statements fail with SQLSTATE 25P02 until ROLLBACK (or ROLLBACK TO).
    pub error_aborts_transaction: bool,
    /// A query that runs for seconds, to trip `statement_timeout_ms`
    /// (`None`: the engine has no statement timeout).
    pub sleep_sql: Option<&'static str>,
    /// A URL of this engine that nothing answers, with the password
    /// `s3cret-pw` (`None` for file engines).
    pub unreachable_url: Option<&'static str>,
    /// SQLite's DEFERRED / IMMEDIATE / EXCLUSIVE transaction lock modes.
    pub tx_lock_modes: bool,
    /// SQL with which a session makes the server end it.
    pub kill_self_sql: Option<&'static str>,
    /// SQL that returns the isolation level of the running transaction.
    pub isolation_query: Option<&'static str>,
    /// An open cursor holds the whole connection (one result at a time on
    /// the wire), so other work on it is INVALID_STATE until it is freed.
    pub cursor_blocks_conn: bool,
    /// SQL in the engine's own placeholder form taking one int8 and
    /// returning it plus one, when it has one besides `?`.
    pub native_placeholder_sql: Option<&'static str>,
    /// SQL mixing that native form with `?` is refused (PostgreSQL's `$1`);
    /// SQLite numbers a `?` after `?1` itself.
    pub mixed_placeholders_refused: bool,
    /// `??` reaches the engine as PostgreSQL's jsonb `?` operator.
    pub jsonb_question_operator: bool,
    /// A SELECT run by exec reports the rows it returned as rows_affected:
    /// PostgreSQL's command tag (`SELECT 5`), which libpq's PQcmdTuples and
    /// Go's lib/pq report the same way, and SQL Server's DONE token.
    /// Elsewhere it is 0.
    pub exec_select_counts_rows: bool,
    /// Tails of `INSERT INTO t (id, v) VALUES (?, ?) <tail>` that make it
    /// an upsert keyed on `id`.
    pub upsert_tails: &'static [&'static str],
    /// SQL whose last column is how many prepared statements this session
    /// has executed, where the engine counts them.
    pub executions_sql: Option<&'static str>,
    /// Read-only transactions exist; where not (SQL Server), asking for
    /// one is NOT_IMPLEMENTED.
    pub read_only_transactions: bool,
    /// The engine's SQL that opens a transaction, and the one that commits.
    pub begin_sql: &'static str,
    pub commit_sql: &'static str,
    /// A query returning its one text parameter as a text column.
    pub text_param_sql: &'static str,
    /// SQL (with `{t}` for the table) that changes column `v` of `{t}` from
    /// text (holding digits) to BIGINT; `None` where the engine has no such
    /// ALTER.
    pub alter_to_bigint_sql: Option<&'static str>,
    /// A statement that takes about a second.
    pub short_sleep_sql: &'static str,
    /// A prepared statement describes its result before it runs
    /// (`Capability::ColumnsAfterPrepare`).
    pub columns_after_prepare: bool,
    /// That description says whether a table column is NOT NULL
    /// (PostgreSQL's, like its cursors', does not).
    pub prepared_nullability_known: bool,
    /// That description names a column's type as the cursor does (SQL
    /// Server's cursors name the wire type, `intn`; its description the
    /// type, `bigint`).
    pub prepared_engine_type_is_cursors: bool,
    /// A query with parameters is described before it runs (DuckDB's is
    /// not: a value bound may change a result column's type).
    pub describes_queries_with_parameters: bool,
    /// A column clause (with `{p}` for the parent table) making a foreign
    /// key checked at COMMIT, where the engine has deferred constraints.
    pub deferred_fk: Option<&'static str>,
    /// keel runs a batch of one INSERT as multi-row INSERTs (every
    /// built-in engine, and a loaded driver that sets
    /// KEEL_DRIVER_MULTIROW_INSERT).
    pub multirow_batches: bool,
    /// keel runs a batch of `INSERT INTO t (...) VALUES (?, ...)` through
    /// the driver's bulk path, 10,000 rows at a time (DuckDB's appender,
    /// PostgreSQL's binary COPY).
    pub appender_batches: bool,
}

impl Quirks {
    pub fn spec(&self, kind: Type) -> Option<&TypeSpec> {
        self.types.iter().find(|t| t.kind == kind)
    }

    /// The DDL of a keel type; panics when the engine has none (the check
    /// should have asked [`Quirks::spec`]).
    pub fn ddl(&self, kind: Type) -> &'static str {
        self.spec(kind)
            .unwrap_or_else(|| panic!("no column type for {kind:?}"))
            .ddl
    }

    /// Use another column type for `kind` (for the known-bug tests).
    pub fn set_ddl(&mut self, kind: Type, ddl: &'static str, engine_type: &'static str) {
        let s = self
            .types
            .iter_mut()
            .find(|t| t.kind == kind)
            .expect("type exists");
        s.ddl = ddl;
        s.engine_type = engine_type;
    }

    pub fn sqlite() -> Quirks {
        Quirks {
            types: vec![
                ts(Type::Bool, "BOOLEAN", "BOOLEAN"),
                ts(Type::Int64, "BIGINT", "BIGINT"),
                ts(Type::Double, "REAL", "REAL"),
                ts(Type::Text, "TEXT", "TEXT"),
                ts(Type::Bytes, "BLOB", "BLOB"),
                ts(Type::Date, "DATE", "DATE"),
                ts(Type::Time, "TIME", "TIME"),
                ts(Type::Timestamp, "TIMESTAMP", "TIMESTAMP"),
                ts(Type::Timestamptz, "TIMESTAMPTZ", "TIMESTAMPTZ"),
                ts(Type::Uuid, "UUID", "UUID"),
                ts(Type::Json, "JSON", "JSON"),
                // TEXT affinity (the name contains TEXT) keeps every digit;
                // plain DECIMAL(38,10) has NUMERIC affinity, which turns
                // the text into a REAL and loses digits (ignored test
                // sqlite_decimal_column_keeps_38_digits).
                ts(Type::Decimal, "DECIMAL TEXT(38,10)", "DECIMAL TEXT(38,10)"),
            ],
            autoincrement_pk: "INTEGER PRIMARY KEY AUTOINCREMENT",
            quote: '"',
            stores_nan: false,
            stores_infinity: true,
            max_blob: 16 << 20,
            blob_refused_by_packet_limit: false,
            stores_u64_max: false,
            timestamptz_min_year: 1,
            keeps_zone_offset: false,
            parses_zone_offsets: true,
            last_insert_id: true,
            multirow_insert_id_is_first: false,
            savepoints: true,
            reads_during_write_tx: false,
            error_aborts_transaction: false,
            // A count that would run for ages; only the timeout stops it.
            sleep_sql: Some(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
            ),
            tx_lock_modes: true,
            kill_self_sql: None,
            unreachable_url: None,
            isolation_query: None,
            cursor_blocks_conn: false,
            native_placeholder_sql: Some("SELECT ?1 + 1"),
            mixed_placeholders_refused: false,
            jsonb_question_operator: false,
            exec_select_counts_rows: false,
            upsert_tails: &[
                "ON CONFLICT (id) DO NOTHING",
                "ON CONFLICT (id) DO UPDATE SET v = excluded.v",
            ],
            executions_sql: None,
            read_only_transactions: true,
            begin_sql: "BEGIN",
            commit_sql: "COMMIT",
            text_param_sql: "SELECT ?",
            // SQLite cannot change a column's type; a statement whose table
            // is dropped and made again is re-prepared by SQLite itself.
            alter_to_bigint_sql: None,
            short_sleep_sql: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000000) SELECT count(*) FROM c",
            columns_after_prepare: true,
            prepared_nullability_known: true,
            prepared_engine_type_is_cursors: true,
            describes_queries_with_parameters: true,
            deferred_fk: Some("REFERENCES {p} (id) DEFERRABLE INITIALLY DEFERRED"),
            multirow_batches: true,
            appender_batches: false,
        }
    }

    /// DuckDB, through keel's DuckDB driver written in Zig
    /// (drivers/duckdb-zig), loaded by path (`KEEL_TEST_DUCKDB_DRIVER`).
    pub fn duckdb() -> Quirks {
        Quirks {
            types: vec![
                ts(Type::Bool, "BOOLEAN", "BOOLEAN"),
                ts(Type::Int64, "BIGINT", "BIGINT"),
                ts(Type::Uint64, "UBIGINT", "UBIGINT"),
                ts(Type::Double, "DOUBLE", "DOUBLE"),
                ts(Type::Text, "VARCHAR", "VARCHAR"),
                ts(Type::Bytes, "BLOB", "BLOB"),
                ts(Type::Date, "DATE", "DATE"),
                ts(Type::Time, "TIME", "TIME"),
                ts(Type::Timestamp, "TIMESTAMP", "TIMESTAMP"),
                ts(Type::Timestamptz, "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"),
                ts(Type::Uuid, "UUID", "UUID"),
                ts(Type::Json, "JSON", "JSON"),
                ts(Type::Decimal, "DECIMAL(38,10)", "DECIMAL(38,10)"),
            ],
            // No AUTOINCREMENT: a sequence's default.
            autoincrement_pk: "BIGINT PRIMARY KEY DEFAULT nextval('keel_test_ids')",
            quote: '"',
            stores_nan: true,
            stores_infinity: true,
            max_blob: 16 << 20,
            blob_refused_by_packet_limit: false,
            stores_u64_max: true,
            timestamptz_min_year: 1,
            keeps_zone_offset: false,
            parses_zone_offsets: true,
            last_insert_id: false,
            multirow_insert_id_is_first: false,
            savepoints: false,
            reads_during_write_tx: true,
            error_aborts_transaction: true,
            // keel's statement_timeout_ms is an option of the built-in
            // engines; a loaded driver takes none.
            sleep_sql: None,
            tx_lock_modes: false,
            kill_self_sql: None,
            unreachable_url: None,
            isolation_query: None,
            cursor_blocks_conn: false,
            native_placeholder_sql: Some("SELECT $1::BIGINT + 1"),
            mixed_placeholders_refused: true,
            jsonb_question_operator: false,
            exec_select_counts_rows: false,
            upsert_tails: &["ON CONFLICT (id) DO NOTHING", "ON CONFLICT (id) DO UPDATE SET v = excluded.v"],
            executions_sql: None,
            read_only_transactions: true,
            begin_sql: "BEGIN",
            commit_sql: "COMMIT",
            text_param_sql: "SELECT ?::VARCHAR",
            alter_to_bigint_sql: Some("ALTER TABLE {t} ALTER COLUMN v TYPE BIGINT"),
            short_sleep_sql: "SELECT count(*) FROM range(2000000000) a",
            columns_after_prepare: true,
            prepared_nullability_known: false,
            prepared_engine_type_is_cursors: true,
            describes_queries_with_parameters: false,
            deferred_fk: None,
            multirow_batches: true,
            appender_batches: true,
        }
    }

    pub fn postgres() -> Quirks {
        Quirks {
            types: vec![
                ts(Type::Bool, "BOOLEAN", "bool"),
                ts(Type::Int64, "BIGINT", "int8"),
                ts(Type::Double, "DOUBLE PRECISION", "float8"),
                ts(Type::Text, "TEXT", "text"),
                ts(Type::Bytes, "BYTEA", "bytea"),
                ts(Type::Date, "DATE", "date"),
                ts(Type::Time, "TIME", "time"),
                ts(Type::Timestamp, "TIMESTAMP", "timestamp"),
                ts(Type::Timestamptz, "TIMESTAMPTZ", "timestamptz"),
                ts(Type::Uuid, "UUID", "uuid"),
                ts(Type::Json, "JSON", "json"),
                ts(Type::Decimal, "NUMERIC(38,10)", "numeric"),
            ],
            autoincrement_pk: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
            quote: '"',
            stores_nan: true,
            stores_infinity: true,
            max_blob: 16 << 20,
            blob_refused_by_packet_limit: false,
            stores_u64_max: false,
            timestamptz_min_year: 1,
            keeps_zone_offset: false,
            parses_zone_offsets: true,
            last_insert_id: false,
            multirow_insert_id_is_first: false,
            savepoints: true,
            reads_during_write_tx: true,
            error_aborts_transaction: true,
            sleep_sql: Some("SELECT pg_sleep(5)"),
            tx_lock_modes: false,
            kill_self_sql: Some("SELECT pg_terminate_backend(pg_backend_pid())"),
            unreachable_url: Some(
                "postgres://keel:s3cret-pw@127.0.0.1:1/keel?connect_timeout_ms=3000",
            ),
            isolation_query: Some("SHOW transaction_isolation"),
            cursor_blocks_conn: true,
            native_placeholder_sql: Some("SELECT $1::int8 + 1"),
            mixed_placeholders_refused: true,
            jsonb_question_operator: true,
            exec_select_counts_rows: true,
            upsert_tails: &[
                "ON CONFLICT (id) DO NOTHING",
                "ON CONFLICT (id) DO UPDATE SET v = excluded.v",
            ],
            executions_sql: None,
            read_only_transactions: true,
            begin_sql: "BEGIN",
            commit_sql: "COMMIT",
            text_param_sql: "SELECT ?::text",
            alter_to_bigint_sql: Some("ALTER TABLE {t} ALTER COLUMN v TYPE BIGINT USING v::bigint"),
            short_sleep_sql: "SELECT 1 FROM pg_sleep(1)",
            columns_after_prepare: true,
            prepared_nullability_known: false,
            prepared_engine_type_is_cursors: true,
            describes_queries_with_parameters: true,
            deferred_fk: Some("REFERENCES {p} (id) DEFERRABLE INITIALLY DEFERRED"),
            multirow_batches: true,
            appender_batches: true,
        }
    }

    /// MySQL and MariaDB; `mariadb` picks MariaDB's spellings.
    pub fn mysql(mariadb: bool) -> Quirks {
        let mut uuid = ts(Type::Uuid, "CHAR(36)", "CHAR");
        let mut json = ts(Type::Json, "JSON", "JSON");
        uuid.reads_as = Type::Text;
        if mariadb {
            // MariaDB's UUID type travels as text, and its JSON is LONGTEXT
            // with a CHECK; keel sees neither without extended metadata.
            uuid = TypeSpec {
                kind: Type::Uuid,
                ddl: "UUID",
                engine_type: "CHAR",
                reads_as: Type::Text,
            };
            json = TypeSpec {
                kind: Type::Json,
                ddl: "JSON",
                engine_type: "TEXT",
                reads_as: Type::Text,
            };
        }
        Quirks {
            types: vec![
                ts(Type::Bool, "BOOLEAN", "TINYINT(1)"),
                ts(Type::Int64, "BIGINT", "BIGINT"),
                ts(Type::Uint64, "BIGINT UNSIGNED", "BIGINT UNSIGNED"),
                ts(Type::Double, "DOUBLE", "DOUBLE"),
                ts(Type::Text, "TEXT", "TEXT"),
                ts(Type::Bytes, "LONGBLOB", "BLOB"),
                ts(Type::Date, "DATE", "DATE"),
                ts(Type::Time, "TIME(6)", "TIME"),
                ts(Type::Timestamp, "DATETIME(6)", "DATETIME"),
                ts(Type::Timestamptz, "TIMESTAMP(6) NULL", "TIMESTAMP"),
                uuid,
                json,
                ts(Type::Decimal, "DECIMAL(38,10)", "DECIMAL"),
            ],
            autoincrement_pk: "BIGINT AUTO_INCREMENT PRIMARY KEY",
            quote: '`',
            stores_nan: false,
            stores_infinity: false,
            // mysql crate 28 sends long data in chunks one byte too big for
            // a single packet, and MariaDB drops the connection on them
            // (ignored test mysql_blob_16mib).
            max_blob: 16 << 20,
            blob_refused_by_packet_limit: false,
            stores_u64_max: true,
            timestamptz_min_year: 1970,
            keeps_zone_offset: false,
            parses_zone_offsets: false,
            last_insert_id: true,
            multirow_insert_id_is_first: true,
            savepoints: true,
            reads_during_write_tx: true,
            error_aborts_transaction: false,
            sleep_sql: Some("SELECT SLEEP(5)"),
            tx_lock_modes: false,
            kill_self_sql: Some("KILL CONNECTION_ID()"),
            unreachable_url: Some(
                "mysql://keel:s3cret-pw@127.0.0.1:1/keel?connect_timeout_ms=3000",
            ),
            isolation_query: None,
            cursor_blocks_conn: true,
            native_placeholder_sql: None,
            mixed_placeholders_refused: false,
            jsonb_question_operator: false,
            exec_select_counts_rows: false,
            upsert_tails: &[
                "ON DUPLICATE KEY UPDATE v = VALUES(v)",
                "ON DUPLICATE KEY UPDATE v = CONCAT(v, '+', VALUES(v))",
            ],
            executions_sql: Some("SHOW SESSION STATUS LIKE 'Com_stmt_execute'"),
            read_only_transactions: true,
            begin_sql: "START TRANSACTION",
            commit_sql: "COMMIT",
            text_param_sql: "SELECT ?",
            alter_to_bigint_sql: Some("ALTER TABLE {t} MODIFY v BIGINT"),
            short_sleep_sql: "SELECT SLEEP(1)",
            columns_after_prepare: true,
            prepared_nullability_known: true,
            prepared_engine_type_is_cursors: true,
            describes_queries_with_parameters: true,
            deferred_fk: None,
            multirow_batches: true,
            appender_batches: false,
        }
    }
}

impl Quirks {
    /// PostgreSQL through PgBouncer, in session pooling or (`transaction`)
    /// in transaction pooling, where a session's state does not outlive
    /// its transaction.
    pub fn pgbouncer(transaction: bool) -> Quirks {
        let mut q = Quirks::postgres();
        if transaction {
            q.executions_sql = None;
        }
        q
    }

    /// SQL Server; `peer` for the TDS test peer (SQLite underneath), which
    /// differs where noted.
    pub fn mssql(peer: bool) -> Quirks {
        let mut json = ts(Type::Json, "NVARCHAR(MAX)", "nvarchar");
        json.reads_as = Type::Text;
        Quirks {
            types: vec![
                ts(Type::Bool, "BIT", "bit"),
                ts(Type::Int64, "BIGINT", "bigint"),
                ts(Type::Double, "FLOAT", "float"),
                ts(Type::Text, "NVARCHAR(MAX)", "nvarchar"),
                ts(Type::Bytes, "VARBINARY(MAX)", "varbinary"),
                ts(Type::Date, "DATE", "date"),
                ts(Type::Time, "TIME", "time"),
                ts(Type::Timestamp, "DATETIME2", "datetime2"),
                ts(Type::Timestamptz, "DATETIMEOFFSET", "datetimeoffset"),
                ts(Type::Uuid, "UNIQUEIDENTIFIER", "uniqueidentifier"),
                json,
                ts(Type::Decimal, "DECIMAL(38,10)", "decimal"),
            ],
            autoincrement_pk: "BIGINT IDENTITY(1,1) PRIMARY KEY",
            quote: '[',
            stores_nan: false,
            stores_infinity: false,
            max_blob: 16 << 20,
            blob_refused_by_packet_limit: false,
            stores_u64_max: false,
            timestamptz_min_year: 1,
            keeps_zone_offset: true,
            parses_zone_offsets: true,
            // SCOPE_IDENTITY() is per scope and sp_executesql is its own
            // scope: there is no id to report without changing the SQL.
            last_insert_id: false,
            multirow_insert_id_is_first: false,
            savepoints: true,
            // Under READ COMMITTED (locking) a reader waits for the writer.
            reads_during_write_tx: false,
            error_aborts_transaction: false,
            sleep_sql: Some("WAITFOR DELAY '00:00:05'"),
            tx_lock_modes: false,
            // SQL Server refuses to KILL your own session; the peer ends it.
            kill_self_sql: if peer { Some("KILL @@SPID") } else { None },
            unreachable_url: Some(
                "mssql://keel:s3cret-pw@127.0.0.1:1/keel?connect_timeout_ms=3000",
            ),
            isolation_query: None,
            cursor_blocks_conn: true,
            native_placeholder_sql: Some("SELECT @P1 + 1"),
            mixed_placeholders_refused: true,
            jsonb_question_operator: false,
            // The DONE token of a SELECT carries its row count.
            exec_select_counts_rows: true,
            // SQL Server upserts with MERGE, not an INSERT tail.
            upsert_tails: &[],
            executions_sql: None,
            read_only_transactions: false,
            begin_sql: "BEGIN TRANSACTION",
            commit_sql: "COMMIT TRANSACTION",
            text_param_sql: "SELECT ?",
            // The peer's SQLite cannot change a column's type.
            alter_to_bigint_sql: if peer {
                None
            } else {
                Some("ALTER TABLE {t} ALTER COLUMN v BIGINT")
            },
            short_sleep_sql: "WAITFOR DELAY '00:00:01'",
            columns_after_prepare: true,
            prepared_nullability_known: true,
            prepared_engine_type_is_cursors: false,
            describes_queries_with_parameters: true,
            deferred_fk: None,
            multirow_batches: true,
            appender_batches: false,
        }
    }
}

/// Whether `KEEL_TEST_REQUIRE` (a comma-separated list of engine names,
/// which `make test` sets for the servers it starts) names `engine`: then
/// a missing server fails the test instead of skipping it.
pub fn required(engine: &str) -> bool {
    std::env::var("KEEL_TEST_REQUIRE").is_ok_and(|v| v.split(',').any(|e| e.trim() == engine))
}

/// The server URL in `var`, or `None` after printing `skipped: ...`. When
/// `KEEL_TEST_REQUIRE` names `engine`, a missing URL fails the test.
pub fn server_url(engine: &str, var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                !required(engine),
                "{engine} is required (KEEL_TEST_REQUIRE) but {var} is not set"
            );
            println!("skipped: {engine} ({var} is not set; run `. scripts/servers.sh` first)");
            None
        }
    }
}

/// [`mssql_url`] for tests that keep one server for the whole process:
/// the peer, when one is started, is left running.
pub fn mssql_url_for_the_process() -> String {
    let (url, peer) = mssql_url();
    std::mem::forget(peer);
    url
}

/// The SQL Server under test: `KEEL_TEST_MSSQL_URL` when set, otherwise a
/// new TDS test peer (kept alive by the returned handle).
pub fn mssql_url() -> (String, Option<keel_tds_peer::Peer>) {
    match std::env::var("KEEL_TEST_MSSQL_URL") {
        Ok(u) if !u.is_empty() => (u, None),
        _ => {
            let peer = keel_tds_peer::Peer::start().expect("start the TDS test peer");
            (peer.url(), Some(peer))
        }
    }
}

/// One database under test: a pool, its URL and its quirks.
pub struct Engine {
    /// The engine under test: a driver's name, or a setup of one
    /// (`pgbouncer_session`: PostgreSQL through PgBouncer).
    pub name: &'static str,
    /// The driver's name (`Db::driver_name`).
    pub driver: &'static str,
    pub url: String,
    pub db: Db,
    pub q: Quirks,
    /// The TDS test peer behind an mssql engine, when no server was given.
    pub peer: Option<keel_tds_peer::Peer>,
}

/// Load keel's DuckDB driver (`KEEL_TEST_DUCKDB_DRIVER`, built by
/// scripts/duckdb.sh) once; `None` (after printing `skipped:`) without it,
/// unless `KEEL_TEST_REQUIRE` names duckdb.
pub fn duckdb_driver() -> Option<()> {
    static LOADED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *LOADED.get_or_init(|| match std::env::var("KEEL_TEST_DUCKDB_DRIVER") {
        Ok(path) => {
            keel::ext::load(&path).unwrap_or_else(|e| panic!("cannot load the DuckDB driver {path}: {e}"));
            true
        }
        Err(_) => false,
    });
    if !ok {
        assert!(!required("duckdb"), "duckdb is required (KEEL_TEST_REQUIRE) but KEEL_TEST_DUCKDB_DRIVER is not set");
        println!("skipped: KEEL_TEST_DUCKDB_DRIVER is not set (. scripts/duckdb.sh)");
        return None;
    }
    Some(())
}

/// Build the engine `name` and run `check` on it, or print why not.
pub fn run(name: &'static str, check: fn(&Engine)) {
    run_with(name, |_| {}, check)
}

/// As [`run`], with the engine's quirks changed first.
pub fn run_with(name: &'static str, tweak: impl FnOnce(&mut Quirks), check: fn(&Engine)) {
    if let Some(mut e) = Engine::open(name) {
        tweak(&mut e.q);
        check(&e);
    }
}

impl Engine {
    /// The engine, or `None` (after printing `skipped: ...`) when its server
    /// URL is not configured.
    pub fn open(name: &'static str) -> Option<Engine> {
        let mut peer = None;
        let url = match name {
            "sqlite" => "sqlite::memory:".to_owned(),
            "duckdb" => {
                duckdb_driver()?;
                "duckdb::memory:".to_owned()
            }
            "mssql" => {
                let (u, p) = mssql_url();
                peer = p;
                u
            }
            // PostgreSQL through PgBouncer (scripts/cluster_servers.sh);
            // in transaction pooling with unnamed statements, as it needs.
            "pgbouncer_transaction" => {
                let u = server_url(name, "KEEL_TEST_PGBOUNCER_TRANSACTION_URL")?;
                format!("{u}{}prepared_statements=unnamed", if u.contains('?') { '&' } else { '?' })
            }
            _ => server_url(name, &format!("KEEL_TEST_{}_URL", name.to_uppercase()))?,
        };
        let db =
            Db::open(&url).unwrap_or_else(|e| panic!("{name}: cannot open the test database: {e}"));
        let q = match name {
            "sqlite" => Quirks::sqlite(),
            "postgres" => Quirks::postgres(),
            "duckdb" => {
                // Tests open engines at once, and DuckDB refuses one of two
                // concurrent CREATEs of one object (a write-write conflict).
                let mut tries = 0;
                while let Err(e) = db.exec("CREATE SEQUENCE IF NOT EXISTS keel_test_ids", &[]) {
                    tries += 1;
                    assert!(e.status == keel::Status::Busy && tries < 50, "sequence: {e}");
                }
                Quirks::duckdb()
            }
            "pgbouncer_session" => Quirks::pgbouncer(false),
            "pgbouncer_transaction" => Quirks::pgbouncer(true),
            "mysql" => {
                let c = db.checkout().expect("checkout");
                let v = c.server_version().expect("server version");
                let mut q = Quirks::mysql(v.contains("MariaDB"));
                let mut rows = c
                    .query("SELECT @@max_allowed_packet", &[])
                    .expect("max_allowed_packet");
                rows.next().expect("max_allowed_packet");
                let limit = rows.value(0).expect("max_allowed_packet").to_owned();
                q.blob_refused_by_packet_limit = !matches!(limit, Value::Int64(n) if n > 16 << 20)
                    && !matches!(limit, Value::Uint64(n) if n > 16 << 20);
                q
            }
            "mssql" => {
                let v = db
                    .checkout()
                    .and_then(|c| c.server_version())
                    .expect("server version");
                Quirks::mssql(v.contains(keel_tds_peer::VERSION))
            }
            other => panic!("no quirks for engine {other}"),
        };
        let driver = db.driver_name();
        Some(Engine { name, driver, url, db, q, peer })
    }

    pub fn conn(&self) -> Conn {
        self.db.checkout().expect("checkout")
    }

    /// Another pool on the same database, with extra URL options.
    pub fn reopen(&self, options: &str) -> Db {
        if self.name == "sqlite" {
            // An in-memory database cannot be opened twice: this is a new,
            // empty one with the options.
            return Db::open(&format!("sqlite::memory:?{options}")).expect("reopen");
        }
        let sep = if self.url.contains('?') { '&' } else { '?' };
        Db::open(&format!("{}{sep}{options}", self.url)).expect("reopen")
    }

    /// A table name no other test (or concurrent run) uses; it is dropped
    /// when the returned guard goes out of scope, even if the test fails.
    pub fn table(&self, tag: &str) -> Table {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "kc_{tag}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        assert!(
            name.len() <= 63,
            "table name {name} is too long for PostgreSQL"
        );
        let t = Table {
            name,
            db: self.db.clone(),
        };
        t.drop_now();
        t
    }

    /// `"name"` quoted as the engine quotes identifiers (`[name]` on SQL Server).
    pub fn ident(&self, name: &str) -> String {
        let close = if self.q.quote == '[' {
            ']'
        } else {
            self.q.quote
        };
        format!("{}{name}{close}", self.q.quote)
    }
}

/// A test table, dropped on scope exit.
pub struct Table {
    pub name: String,
    db: Db,
}

impl Table {
    fn drop_now(&self) {
        if let Err(e) = self
            .db
            .exec(&format!("DROP TABLE IF EXISTS {}", self.name), &[])
        {
            eprintln!("could not drop test table {}: {e}", self.name);
        }
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        self.drop_now();
    }
}

/// Every row of a query, as owned values.
pub fn rows(conn: &Conn, sql: &str, params: &[ValueRef<'_>]) -> Vec<Vec<Value>> {
    let mut r = conn
        .query(sql, params)
        .unwrap_or_else(|e| panic!("query {sql:?}: {e}"));
    let n = r.column_count();
    let mut out = Vec::new();
    while r.next().unwrap_or_else(|e| panic!("next on {sql:?}: {e}")) {
        out.push(
            (0..n)
                .map(|i| r.value(i).expect("value").to_owned())
                .collect(),
        );
    }
    out
}

/// The single value of a one-row, one-column query.
pub fn scalar(conn: &Conn, sql: &str, params: &[ValueRef<'_>]) -> Value {
    let mut all = rows(conn, sql, params);
    assert_eq!(all.len(), 1, "{sql:?} should return one row");
    assert_eq!(all[0].len(), 1, "{sql:?} should return one column");
    all.pop().unwrap().pop().unwrap()
}

/// A single integer, whatever integer type the engine gives it.
pub fn int(conn: &Conn, sql: &str, params: &[ValueRef<'_>]) -> i64 {
    let v = scalar(conn, sql, params);
    v.as_ref()
        .as_i64()
        .unwrap_or_else(|e| panic!("{sql:?} gave {v:?}, not an integer: {e}"))
}

pub fn count(conn: &Conn, table: &Table) -> i64 {
    int(conn, &format!("SELECT COUNT(*) FROM {table}"), &[])
}
