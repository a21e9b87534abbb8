//! `Db`: a pool of connections to one database (a `keel_db`).
//!
//! Thread rule (from keel.h): one `keel_db` may be used from many threads
//! at once. A `Db` value only adds an allocator and a diagnostics pointer;
//! threads sharing one should not share its `diags` (give each checked-out
//! `Conn` its own).

const std = @import("std");
const c = @import("c.zig");
const errors = @import("errors.zig");
const conn_mod = @import("conn.zig");
const rows_mod = @import("rows.zig");
const CStr = @import("cstr.zig").CStr;

const Error = errors.Error;
const AllocError = errors.AllocError;
const Diagnostics = errors.Diagnostics;
const ErrOut = errors.ErrOut;
const Conn = conn_mod.Conn;
const ExecResult = conn_mod.ExecResult;
const Rows = rows_mod.Rows;

pub const Db = struct {
    handle: *c.keel_db,
    /// Used only for NUL-terminated copies of URLs and savepoint names of
    /// 1 KiB or more (SQL goes to C with its length, uncopied).
    allocator: std.mem.Allocator,
    /// Where failed calls put their details; copied into each checked-out
    /// `Conn` (which may be given its own).
    diags: ?*Diagnostics,

    pub const Options = struct {
        /// Receives the details of a failed call (including `open` itself).
        diags: ?*Diagnostics = null,
    };

    /// Open a pool for a connection URL: `sqlite::memory:`,
    /// `sqlite:///abs/path.db`, `postgres://user@host/db?sslmode=require`,
    /// ... with options in the query string (an unknown one is an error).
    /// One connection is opened at once, so a bad path, host or password
    /// fails here. Free the pool with `deinit`.
    pub fn open(allocator: std.mem.Allocator, url: []const u8, options: Options) AllocError!Db {
        var s: CStr = .{};
        defer s.deinit(allocator);
        const z = try s.init(allocator, url, options.diags, "URL");
        var db: ?*c.keel_db = null;
        var e = ErrOut.init(options.diags);
        try e.check(c.keel_db_open(z, &db, e.ptr()));
        return .{ .handle = db.?, .allocator = allocator, .diags = options.diags };
    }

    /// Free the pool. Connections still checked out, and cursors that own
    /// one, stay usable and close when they are freed. Cannot fail.
    pub fn deinit(db: *Db) void {
        c.keel_db_free(db.handle);
        db.* = undefined;
    }

    /// Check a connection out of the pool (waiting when it is at
    /// `pool_max_open`). Return it with `Conn.deinit`.
    pub fn checkout(db: *const Db) Error!Conn {
        var conn: ?*c.keel_conn = null;
        var e = ErrOut.init(db.diags);
        try e.check(c.keel_db_checkout(db.handle, &conn, e.ptr()));
        return .{ .handle = conn.?, .allocator = db.allocator, .diags = db.diags };
    }

    /// Run one statement on a pooled connection, discarding any rows.
    pub fn exec(db: *const Db, sql: []const u8, args: anytype) Error!ExecResult {
        return conn_mod.execOn(db.handle, c.keel_db_exec_len, db.diags, sql, args);
    }

    /// Run a query on a pooled connection. The cursor owns that connection
    /// and returns it to the pool on `Rows.deinit`.
    pub fn query(db: *const Db, sql: []const u8, args: anytype) Error!Rows {
        return conn_mod.queryOn(db.handle, c.keel_db_query_len, db.diags, sql, args);
    }

    /// The SQL dialect of the pool's engine.
    pub fn dialect(db: *const Db) conn_mod.Dialect {
        return @enumFromInt(c.keel_db_dialect(db.handle));
    }
};
