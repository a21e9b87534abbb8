//! keel_driver.h for Zig: the structs and numbers this driver uses,
//! declared by hand (Zig 0.17 has no @cImport). tests/duckdb_driver.rs
//! checks that they match the header (sizes of the structs, by the
//! driver's `keel_duckdb_abi_sizes`).

pub const Status = struct {
    pub const OK: i32 = 0;
    pub const UNKNOWN: i32 = 1;
    pub const NOT_IMPLEMENTED: i32 = 2;
    pub const NOT_FOUND: i32 = 3;
    pub const ALREADY_EXISTS: i32 = 4;
    pub const INVALID_ARGUMENT: i32 = 5;
    pub const INVALID_STATE: i32 = 6;
    pub const INVALID_DATA: i32 = 7;
    pub const INTEGRITY: i32 = 8;
    pub const INTERNAL: i32 = 9;
    pub const IO: i32 = 10;
    pub const CANCELLED: i32 = 11;
    pub const UNAUTHORIZED: i32 = 14;
    pub const BUSY: i32 = 15;
};

pub const Type = struct {
    pub const NULL: i32 = 0;
    pub const BOOL: i32 = 1;
    pub const INT64: i32 = 2;
    pub const UINT64: i32 = 3;
    pub const DOUBLE: i32 = 4;
    pub const TEXT: i32 = 5;
    pub const BYTES: i32 = 6;
    pub const DATE: i32 = 7;
    pub const TIME: i32 = 8;
    pub const TIMESTAMP: i32 = 9;
    pub const TIMESTAMPTZ: i32 = 10;
    pub const UUID: i32 = 11;
    pub const JSON: i32 = 12;
    pub const DECIMAL: i32 = 13;
};

pub const ISOLATION_SERIALIZABLE: i32 = 5;
pub const ABI_VERSION: u32 = 1;
pub const DRIVER_URL_NAMES_A_FILE: u32 = 1;
pub const DRIVER_SEVERAL_CURSORS: u32 = 2;
pub const DRIVER_MULTIROW_INSERT: u32 = 4;

pub const Error = opaque {};

pub const Value = extern struct {
    kind: i32 = 0,
    int_value: i64 = 0,
    uint_value: u64 = 0,
    double_value: f64 = 0,
    data: ?[*]const u8 = null,
    len: usize = 0,
};

pub const ExecResult = extern struct {
    size: usize,
    rows_affected: u64,
    last_insert_id: i64,
    has_last_insert_id: bool,
};

pub const TxOptions = extern struct {
    size: usize,
    isolation: i32,
    lock: i32,
    read_only: bool,
};

pub const Url = extern struct {
    size: usize,
    scheme: ?[*:0]const u8,
    user: ?[*:0]const u8,
    password: ?[*:0]const u8,
    host: ?[*:0]const u8,
    port: i32,
    path: ?[*:0]const u8,
};

pub const Column = extern struct {
    name: ?[*]const u8,
    name_len: usize,
    kind: i32,
    engine_type: ?[*:0]const u8,
    nullable: i32,
};

/// keel_driver_bytes: one text, bytes or uuid value of a chunk's vector.
pub const Bytes = extern struct {
    data: ?[*]const u8 = null,
    len: usize = 0,
};

/// keel_driver_vector: one column of a chunk.
pub const Vector = extern struct {
    validity: ?[*]const u64 = null,
    data: ?*const anyopaque = null,
};

/// keel_driver_chunk: rows_next_chunk's output.
pub const Chunk = extern struct {
    rows: usize = 0,
    columns: ?[*]const Vector = null,
};

pub const ErrOut = ?*?*Error;
const P = ?*anyopaque;

pub const Host = extern struct {
    size: usize,
    abi_version: u32,
    error_new: ?*const fn (i32, ?[*:0]const u8, i32, ?[*:0]const u8) callconv(.c) ?*Error,
    error_free: ?*const fn (?*Error) callconv(.c) void,
};

pub const DriverV1 = extern struct {
    size: usize = @sizeOf(DriverV1),
    abi_version: u32 = ABI_VERSION,
    flags: u32 = 0,
    name: ?[*:0]const u8 = null,
    schemes: ?[*:0]const u8 = null,
    user_data: P = null,
    syntax_engine: ?[*:0]const u8 = null,
    placeholder_prefix: ?[*:0]const u8 = null,
    syntax_flags: u32 = 0,
    word_bytes: ?[*:0]const u8 = null,
    connect: ?*const fn (P, *const Url, *P, ErrOut) callconv(.c) i32 = null,
    conn_free: ?*const fn (P) callconv(.c) void = null,
    conn_ping: ?*const fn (P, ErrOut) callconv(.c) i32 = null,
    conn_server_version: ?*const fn (P) callconv(.c) ?[*:0]const u8 = null,
    conn_prepare: ?*const fn (P, [*:0]const u8, usize, *P, ErrOut) callconv(.c) i32 = null,
    conn_begin: ?*const fn (P, *const TxOptions, ErrOut) callconv(.c) i32 = null,
    conn_commit: ?*const fn (P, ErrOut) callconv(.c) i32 = null,
    conn_rollback: ?*const fn (P, ErrOut) callconv(.c) i32 = null,
    conn_in_transaction: ?*const fn (P) callconv(.c) i32 = null,
    conn_savepoint: ?*const fn (P, [*:0]const u8, ErrOut) callconv(.c) i32 = null,
    conn_release: ?*const fn (P, [*:0]const u8, ErrOut) callconv(.c) i32 = null,
    conn_rollback_to: ?*const fn (P, [*:0]const u8, ErrOut) callconv(.c) i32 = null,
    conn_cancel: ?*const fn (P, ErrOut) callconv(.c) i32 = null,
    stmt_param_count: ?*const fn (P) callconv(.c) usize = null,
    stmt_bind: ?*const fn (P, usize, *const Value, ErrOut) callconv(.c) i32 = null,
    stmt_clear_bindings: ?*const fn (P, ErrOut) callconv(.c) i32 = null,
    stmt_execute: ?*const fn (P, *ExecResult, ErrOut) callconv(.c) i32 = null,
    stmt_query: ?*const fn (P, *P, ErrOut) callconv(.c) i32 = null,
    stmt_free: ?*const fn (P) callconv(.c) void = null,
    rows_column_count: ?*const fn (P) callconv(.c) usize = null,
    rows_column: ?*const fn (P, usize, *Column, ErrOut) callconv(.c) i32 = null,
    rows_next: ?*const fn (P, *i32, ErrOut) callconv(.c) i32 = null,
    rows_value: ?*const fn (P, usize, *Value, ErrOut) callconv(.c) i32 = null,
    rows_free: ?*const fn (P) callconv(.c) void = null,
    append_open: ?*const fn (P, [*:0]const u8, [*]const [*:0]const u8, usize, *P, ErrOut) callconv(.c) i32 = null,
    append_row: ?*const fn (P, [*]const Value, usize, ErrOut) callconv(.c) i32 = null,
    append_finish: ?*const fn (P, ErrOut) callconv(.c) i32 = null,
    append_free: ?*const fn (P) callconv(.c) void = null,
    rows_next_chunk: ?*const fn (P, *Chunk, ErrOut) callconv(.c) i32 = null,
    column_types: ?[*]const ?[*:0]const u8 = null,
    catalog_queries: ?[*]const ?[*:0]const u8 = null,
    stmt_column_count: ?*const fn (P, *usize, ErrOut) callconv(.c) i32 = null,
    stmt_column: ?*const fn (P, usize, *Column, ErrOut) callconv(.c) i32 = null,
};

/// `catalog_queries` indexes (`KEEL_CATALOG_*`).
pub const Catalog = struct {
    pub const CATALOGS = 0;
    pub const SCHEMAS = 1;
    pub const TABLES = 2;
    pub const COLUMNS = 3;
    pub const PRIMARY_KEYS = 4;
    pub const FOREIGN_KEYS = 5;
    pub const INDEXES = 6;
    pub const UNIQUE_CONSTRAINTS = 7;
    pub const CHECK_CONSTRAINTS = 8;
    pub const QUESTIONS = 9;
};
