//! keel for Zig: a thin, idiomatic layer over the keel C API
//! (`include/keel.h`). One database driver runtime for SQLite today and
//! PostgreSQL/MySQL as they land, through the same calls.
//!
//! ```zig
//! var diags: keel.Diagnostics = .{};
//! var db = keel.Db.open(allocator, "sqlite::memory:", .{ .diags = &diags }) catch |err| {
//!     std.debug.print("open failed: {t}: {f}\n", .{ err, diags });
//!     return err;
//! };
//! defer db.deinit();
//! var conn = try db.checkout();
//! defer conn.deinit();
//! _ = try conn.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", .{});
//! _ = try conn.exec("INSERT INTO t (name) VALUES (?)", .{"Ada"});
//! var rows = try conn.query("SELECT id, name FROM t WHERE id > ?", .{0});
//! defer rows.deinit();
//! while (try rows.next()) |row| {
//!     const id = try row.get(i64, 0);
//!     const name = try row.get([]const u8, 1); // valid until the next next()
//!     std.debug.print("{d} {s}\n", .{ id, name });
//! }
//! ```
//!
//! Rules carried over from the C API: every handle has one `deinit`, which
//! cannot fail; free cursors and statements before their connection and
//! connections before their pool; inputs are only read during a call;
//! text and bytes read from a row are borrowed until the next `next()`.
//! Errors are the `Error` set, one per `keel_status`; the message,
//! SQLSTATE, vendor code and driver go to an optional `Diagnostics`.

const std = @import("std");

/// The raw C declarations, for anything this layer does not cover.
pub const c = @import("c.zig");

const errors = @import("errors.zig");
const cstr = @import("cstr.zig");
pub const Error = errors.Error;
pub const AllocError = errors.AllocError;
pub const Status = errors.Status;
pub const Diagnostics = errors.Diagnostics;
pub const RetrySafety = errors.RetrySafety;
pub const errorFromStatus = errors.errorFromStatus;
pub const statusFromError = errors.statusFromError;

const values = @import("values.zig");
pub const Type = values.Type;
pub const Value = values.Value;
pub const Blob = values.Blob;
pub const Json = values.Json;
pub const Decimal = values.Decimal;
pub const Date = values.Date;
pub const Time = values.Time;
pub const Timestamp = values.Timestamp;
pub const TimestampTz = values.TimestampTz;
pub const Uuid = values.Uuid;

const db_mod = @import("db.zig");
pub const Db = db_mod.Db;

const conn_mod = @import("conn.zig");
pub const Conn = conn_mod.Conn;
pub const Stmt = conn_mod.Stmt;
pub const ExecResult = conn_mod.ExecResult;
pub const Dialect = conn_mod.Dialect;
pub const Capability = conn_mod.Capability;
pub const Isolation = conn_mod.Isolation;
pub const TxLock = conn_mod.TxLock;
pub const TxOptions = conn_mod.TxOptions;

const rows_mod = @import("rows.zig");
pub const Rows = rows_mod.Rows;
pub const Row = rows_mod.Row;
pub const Nullable = rows_mod.Nullable;
pub const freeValue = rows_mod.freeValue;
pub const freeScanned = rows_mod.freeScanned;

/// The version of the header this binding was written against, as
/// `X*1000000 + Y*1000 + Z`.
pub const header_version_number: u32 = c.KEEL_VERSION_NUMBER;

/// The loaded library's version text, e.g. "0.1.0".
pub fn version() []const u8 {
    return std.mem.span(c.keel_version());
}

/// The loaded library's version as `X*1000000 + Y*1000 + Z`.
pub fn versionNumber() u32 {
    return c.keel_version_number();
}

/// Whether the driver `name` ("sqlite", "postgres", "mysql", "mssql", or a
/// URL scheme) is built into the loaded library.
pub fn driverAvailable(name: []const u8) bool {
    var buf: [64]u8 = undefined;
    if (name.len >= buf.len or std.mem.findScalar(u8, name, 0) != null) return false;
    @memcpy(buf[0..name.len], name);
    buf[name.len] = 0;
    return c.keel_driver_available(buf[0..name.len :0]);
}

/// Load a driver written outside keel (C, Zig, Odin, ...) from the shared
/// library at `path` and register it (`keel_driver_load`), so that
/// `Db.open` opens URLs of its schemes. A library that cannot be loaded
/// or exports no `keel_driver_entry` is `error.NotFound`; one built for
/// another driver ABI `error.InvalidArgument`; a scheme taken already
/// `error.AlreadyExists` (the message in `diags` says which). A path with
/// a NUL byte before its end is `error.InvalidArgument`, refused before
/// keel is called (C would load the library the path names up to it).
pub fn loadDriver(path: [:0]const u8, diags: ?*Diagnostics) Error!void {
    const p = try cstr.z(path, diags, "driver path");
    var e = errors.ErrOut.init(diags);
    try e.check(c.keel_driver_load(p, e.ptr()));
}

/// Register a driver linked into the program, given its `keel_driver_v1`
/// table (keel_driver.h), as `keel_driver_register`: keel copies the
/// table; its functions must stay in memory.
pub fn registerDriver(table: *const c.keel_driver_v1, diags: ?*Diagnostics) Error!void {
    var e = errors.ErrOut.init(diags);
    try e.check(c.keel_driver_register(table, e.ptr()));
}

test {
    std.testing.refAllDecls(@This());
    _ = errors;
    _ = values;
    _ = cstr;
}
