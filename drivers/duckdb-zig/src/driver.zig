//! keel's DuckDB driver: keel_driver.h implemented over DuckDB's C API,
//! built into a shared library keel loads with keel_driver_load. URLs:
//! `duckdb::memory:` (one in-memory database, shared by every connection
//! of the process that opens it while one is open), `duckdb::memory:NAME`
//! (one per name, shared alike) and `duckdb:///abs/path.duckdb` or
//! `duckdb://relative/path.duckdb`.
//!
//! Every connection of one file, by its canonical path, shares one
//! duckdb_database (two in a process would overwrite each other's
//! checkpoints), counted, and closed with its last connection. Results are read chunk by chunk (duckdb_fetch_chunk), each
//! value straight from the chunk's vectors; a row's text stays in its
//! chunk, which lives until the next chunk is fetched, as keel_driver.h
//! allows.
//!
//! A SELECT streams: DuckDB computes its rows as the cursor reads them
//! (duckdb_execute_prepared_streaming), instead of first copying the
//! whole result into memory, which for a scan took about twice the CPU
//! of reading it. DuckDB closes a streaming result when its connection
//! runs or prepares anything else, so before that the driver reads the
//! rest of the open one into memory (`settle`): several cursors of one
//! connection can still be read at their own pace, as
//! KEEL_DRIVER_SEVERAL_CURSORS promises. Other statements (DML, DDL,
//! RETURNING) run to their end at execute, as before.

const std = @import("std");
const d = @import("duckdb.zig");
const k = @import("keel.zig");

extern fn malloc(n: usize) ?*anyopaque;
extern fn calloc(n: usize, size: usize) ?*anyopaque;
extern fn free(p: ?*anyopaque) void;
extern fn realloc(p: ?*anyopaque, n: usize) ?*anyopaque;
extern fn pthread_mutex_lock(m: *anyopaque) c_int;
extern fn pthread_mutex_unlock(m: *anyopaque) c_int;
extern fn realpath(path: [*:0]const u8, resolved: ?[*]u8) ?[*:0]u8;

fn alloc(comptime T: type) ?*T {
    const p = calloc(1, @sizeOf(T)) orelse return null;
    return @ptrCast(@alignCast(p));
}

fn allocMany(comptime T: type, n: usize) ?[*]T {
    const p = calloc(@max(n, 1), @sizeOf(T)) orelse return null;
    return @ptrCast(@alignCast(p));
}

var host: ?*const k.Host = null;

/// Report an error through `err_out` and return its status.
fn fail(err_out: k.ErrOut, status: i32, sqlstate: ?[*:0]const u8, code: i32, msg: ?[*:0]const u8) i32 {
    if (err_out) |e| {
        if (host) |h| e.* = h.error_new.?(status, sqlstate, code, msg);
    }
    return status;
}

/// `fail` with a message formatted by `fmt` (cut short past 1 KiB).
fn failf(err_out: k.ErrOut, status: i32, sqlstate: ?[*:0]const u8, code: i32, comptime fmt: []const u8, args: anytype) i32 {
    var buf: [1024]u8 = undefined;
    var w = std.Io.Writer.fixed(buf[0 .. buf.len - 1]);
    w.print(fmt, args) catch {};
    const n = w.buffered().len;
    buf[n] = 0;
    return fail(err_out, status, sqlstate, code, buf[0..n :0]);
}

// ---- databases, shared by path -------------------------------------------------

/// glibc's PTHREAD_MUTEX_INITIALIZER is all zeros.
var dbs_lock: [64]u8 align(16) = std.mem.zeroes([64]u8);

const Shared = struct {
    path: [*:0]u8,
    db: d.duckdb_database,
    refs: usize,
    next: ?*Shared,
};
var dbs: ?*Shared = null;

fn lock() void {
    _ = pthread_mutex_lock(&dbs_lock);
}
fn unlock() void {
    _ = pthread_mutex_unlock(&dbs_lock);
}

/// An in-memory database: `:memory:`, or `:memory:NAME`, DuckDB's named
/// in-memory database (each name its own). DuckDB's C API would take
/// `:memory:NAME` for a file name.
fn isMemory(path: []const u8) bool {
    return std.mem.startsWith(u8, path, ":memory:");
}

/// A NUL-terminated malloc'd copy of `s`.
fn dupe(s: []const u8) ?[*:0]u8 {
    const p: [*]u8 = @ptrCast(malloc(s.len + 1) orelse return null);
    @memcpy(p[0..s.len], s);
    p[s.len] = 0;
    return p[0..s.len :0];
}

/// The key a database is shared under: the file's canonical path, so that
/// every spelling of one file (`a//b.duckdb`, `./b.duckdb`, a relative
/// path, a symlink) shares one DuckDB instance. Two instances of one file
/// in a process each checkpoint their own view of it over the other's
/// committed rows. realpath of the file when it exists, else realpath of
/// its directory joined with its name (DuckDB creates the file); a path
/// whose directory cannot be resolved stays as given (opening it fails).
/// In-memory names are keys as they are. malloc'd; null when out of memory.
fn canonical(path: []const u8) ?[*:0]u8 {
    if (isMemory(path)) return dupe(path);
    const pz = dupe(path) orelse return null;
    defer free(pz);
    if (realpath(pz, null)) |rp| return rp;
    const slash = std.mem.lastIndexOfScalar(u8, path, '/');
    const dir: []const u8 = if (slash) |i| (if (i == 0) "/" else path[0..i]) else ".";
    const name = if (slash) |i| path[i + 1 ..] else path;
    const dz = dupe(dir) orelse return null;
    defer free(dz);
    const rd = realpath(dz, null) orelse return dupe(path);
    defer free(rd);
    const base = std.mem.span(rd);
    const sep: []const u8 = if (std.mem.endsWith(u8, base, "/")) "" else "/";
    const out: [*]u8 = @ptrCast(malloc(base.len + sep.len + name.len + 1) orelse return null);
    @memcpy(out[0..base.len], base);
    @memcpy(out[base.len .. base.len + sep.len], sep);
    @memcpy(out[base.len + sep.len .. base.len + sep.len + name.len], name);
    out[base.len + sep.len + name.len] = 0;
    return out[0 .. base.len + sep.len + name.len :0];
}

fn acquire(path: [*:0]const u8, err_out: k.ErrOut) ?*Shared {
    const given = std.mem.span(path);
    const key = canonical(given) orelse {
        _ = fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: out of memory");
        return null;
    };
    lock();
    defer unlock();
    const want = std.mem.span(key);
    var it = dbs;
    while (it) |s| : (it = s.next) {
        if (std.mem.eql(u8, std.mem.span(s.path), want)) {
            free(key);
            s.refs += 1;
            return s;
        }
    }
    const s = alloc(Shared) orelse {
        free(key);
        _ = fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: out of memory");
        return null;
    };
    s.path = key;
    const open_path: [*:0]const u8 = if (isMemory(given)) ":memory:" else key;
    var why: ?[*:0]u8 = null;
    if (d.duckdb_open_ext(open_path, &s.db, null, &why) != d.Success) {
        _ = failf(err_out, k.Status.IO, "08001", 0, "duckdb: cannot open {s}: {s}", .{ given, if (why) |w| std.mem.span(w) else "DuckDB gave no reason" });
        if (why) |w| d.duckdb_free(w);
        free(key);
        free(s);
        return null;
    }
    s.refs = 1;
    s.next = dbs;
    dbs = s;
    return s;
}

fn release(s: *Shared) void {
    lock();
    defer unlock();
    s.refs -= 1;
    if (s.refs > 0) return;
    var link: *?*Shared = &dbs;
    while (link.*) |cur| {
        if (cur == s) {
            link.* = cur.next;
            break;
        }
        link = &cur.next;
    }
    d.duckdb_close(&s.db);
    free(s.path);
    free(s);
}

// ---- connections ---------------------------------------------------------------

const Conn = struct {
    shared: *Shared,
    con: d.duckdb_connection,
    in_tx: bool,
    /// A statement failed inside the transaction: DuckDB has aborted it,
    /// and its COMMIT would roll back while reporting success.
    aborted: bool,
    /// The cursor whose result DuckDB still computes as it is read (at
    /// most one: DuckDB closes it when the connection runs anything
    /// else, see `settle`).
    streaming: ?*Rows,
};

/// Before the connection runs or prepares anything: read the rest of its
/// streaming cursor's result into memory, where the cursor goes on
/// reading it, since DuckDB would close that result. An error the result
/// ends with is the cursor's, reported when it reaches that point.
fn settle(c: *Conn, err_out: k.ErrOut) i32 {
    const r = c.streaming orelse return k.Status.OK;
    while (true) {
        if (r.held_n == r.held_cap) {
            const cap = @max(16, r.held_cap * 2);
            const grown = realloc(@ptrCast(r.held), cap * @sizeOf(d.duckdb_data_chunk)) orelse
                return fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: out of memory setting aside the rows of the connection's open cursor");
            r.held = @ptrCast(@alignCast(grown));
            r.held_cap = cap;
        }
        const chunk = d.duckdb_fetch_chunk(r.res);
        if (chunk == null) break;
        r.held.?[r.held_n] = chunk;
        r.held_n += 1;
    }
    r.set_aside = true;
    c.streaming = null;
    return k.Status.OK;
}

var version_buf: [64:0]u8 = std.mem.zeroes([64:0]u8);

fn connect(_: ?*anyopaque, url: *const k.Url, conn_out: *?*anyopaque, err_out: k.ErrOut) callconv(.c) i32 {
    if (url.host != null or url.user != null)
        return fail(err_out, k.Status.INVALID_ARGUMENT, null, 0, "duckdb: a URL names a file: duckdb::memory:, duckdb:///abs/path.duckdb or duckdb://relative/path.duckdb");
    const path = url.path orelse return fail(err_out, k.Status.INVALID_ARGUMENT, null, 0, "duckdb: no path");
    if (path[0] == 0) return fail(err_out, k.Status.INVALID_ARGUMENT, null, 0, "duckdb: the URL has no path (use duckdb::memory:)");
    // duckdb:///:memory: is the file /:memory:, surely meant as memory:
    // refused rather than guessed either way.
    if (std.mem.startsWith(u8, std.mem.span(path), "/:memory:"))
        return failf(err_out, k.Status.INVALID_ARGUMENT, null, 0, "duckdb: the URL names the file {s}; an in-memory database is duckdb::memory: (or duckdb::memory:NAME for a named one)", .{std.mem.span(path)});
    const shared = acquire(path, err_out) orelse return k.Status.IO;
    const c = alloc(Conn) orelse {
        release(shared);
        return fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: out of memory");
    };
    c.shared = shared;
    if (d.duckdb_connect(shared.db, &c.con) != d.Success) {
        free(c);
        release(shared);
        return fail(err_out, k.Status.IO, "08001", 0, "duckdb: cannot connect to the database");
    }
    conn_out.* = c;
    return k.Status.OK;
}

fn connOf(p: ?*anyopaque) *Conn {
    return @ptrCast(@alignCast(p.?));
}

fn connFree(p: ?*anyopaque) callconv(.c) void {
    const c = connOf(p);
    d.duckdb_disconnect(&c.con);
    release(c.shared);
    free(c);
}

fn serverVersion(_: ?*anyopaque) callconv(.c) ?[*:0]const u8 {
    lock();
    defer unlock();
    if (version_buf[0] == 0) {
        const v = std.mem.span(d.duckdb_library_version());
        const prefix = "DuckDB ";
        const n = @min(v.len, version_buf.len - prefix.len);
        @memcpy(version_buf[0..prefix.len], prefix);
        @memcpy(version_buf[prefix.len .. prefix.len + n], v[0..n]);
    }
    return &version_buf;
}

/// The keel status, SQLSTATE of a DuckDB error type.
fn mapError(t: c_int) struct { i32, ?[*:0]const u8 } {
    return switch (t) {
        d.E.CONSTRAINT => .{ k.Status.INTEGRITY, "23000" },
        d.E.OUT_OF_RANGE, d.E.CONVERSION, d.E.DIVIDE_BY_ZERO, d.E.INVALID_INPUT => .{ k.Status.INVALID_DATA, "22000" },
        d.E.TRANSACTION => .{ k.Status.BUSY, "40001" },
        d.E.NOT_IMPLEMENTED => .{ k.Status.NOT_IMPLEMENTED, "0A000" },
        d.E.CATALOG, d.E.BINDER => .{ k.Status.INVALID_ARGUMENT, "42000" },
        d.E.PARSER, d.E.SYNTAX => .{ k.Status.INVALID_ARGUMENT, "42601" },
        d.E.IO => .{ k.Status.IO, "58030" },
        d.E.INTERRUPT => .{ k.Status.CANCELLED, "57014" },
        d.E.PERMISSION => .{ k.Status.UNAUTHORIZED, "42501" },
        else => .{ k.Status.UNKNOWN, null },
    };
}

fn has(msg: [*:0]const u8, needle: []const u8) bool {
    return std.mem.indexOf(u8, std.mem.span(msg), needle) != null;
}

/// Refine the status of a DuckDB error by what its message says, where
/// one error type covers several keel statuses.
fn refine(t: c_int, msg: [*:0]const u8, m: struct { i32, ?[*:0]const u8 }) struct { i32, ?[*:0]const u8 } {
    if (t == d.E.TRANSACTION) {
        if (has(msg, "transaction is aborted")) return .{ k.Status.INVALID_STATE, "25P02" };
        if (has(msg, "read-only")) return .{ k.Status.INVALID_STATE, "25006" };
        if (has(msg, "no transaction is active")) return .{ k.Status.INVALID_STATE, "25000" };
    }
    if (t == d.E.CATALOG or t == d.E.BINDER) {
        // A column: "Referenced column "x" not found", "Referenced update
        // column x not found", "Table "t" does not have a column named "x"".
        if (has(msg, "Referenced column") or has(msg, "Referenced update column") or has(msg, "have a column"))
            return .{ k.Status.NOT_FOUND, "42703" };
        if (has(msg, "does not exist") or has(msg, "not found") or has(msg, "could not be found")) return .{ k.Status.NOT_FOUND, "42P01" };
        if (has(msg, "already exists")) return .{ k.Status.ALREADY_EXISTS, "42P07" };
    }
    return m;
}

/// Fail with the error of `res` (and destroy it).
fn resultError(res: *d.duckdb_result, err_out: k.ErrOut) i32 {
    const t = d.duckdb_result_error_type(res);
    const msg = d.duckdb_result_error(res) orelse "duckdb: the statement failed";
    const m = refine(t, msg, mapError(t));
    const s = fail(err_out, m[0], m[1], t, msg);
    d.duckdb_destroy_result(res);
    return s;
}

fn run(c: *Conn, sql: [*:0]const u8, err_out: k.ErrOut) i32 {
    const s = settle(c, err_out);
    if (s != k.Status.OK) return s;
    var res: d.duckdb_result = .{};
    if (d.duckdb_query(c.con, sql, &res) != d.Success) return resultError(&res, err_out);
    d.duckdb_destroy_result(&res);
    return k.Status.OK;
}

fn ping(p: ?*anyopaque, err_out: k.ErrOut) callconv(.c) i32 {
    return run(connOf(p), "SELECT 1", err_out);
}

fn begin(p: ?*anyopaque, o: *const k.TxOptions, err_out: k.ErrOut) callconv(.c) i32 {
    // DuckDB has one isolation level (MVCC, whose conflicting writers
    // fail with KEEL_STATUS_BUSY), which serves every keel level.
    if (o.lock != 0)
        return fail(err_out, k.Status.INVALID_ARGUMENT, null, 0, "duckdb: transaction lock modes are SQLite's (KEEL_TX_LOCK_DEFAULT only)");
    const c = connOf(p);
    const s = run(c, if (o.read_only) "BEGIN TRANSACTION READ ONLY" else "BEGIN TRANSACTION", err_out);
    if (s == k.Status.OK) c.in_tx = true;
    return s;
}

fn commit(p: ?*anyopaque, err_out: k.ErrOut) callconv(.c) i32 {
    const c = connOf(p);
    if (c.in_tx and c.aborted) {
        _ = run(c, "ROLLBACK", null);
        c.in_tx = false;
        c.aborted = false;
        return fail(err_out, k.Status.INVALID_STATE, "25P02", 0, "duckdb: the transaction was aborted by an earlier error and has been rolled back; nothing of it was committed");
    }
    const s = run(c, "COMMIT", err_out);
    c.aborted = false;
    c.in_tx = false; // a failed commit ends the transaction too
    return s;
}

fn rollback(p: ?*anyopaque, err_out: k.ErrOut) callconv(.c) i32 {
    const c = connOf(p);
    const s = run(c, "ROLLBACK", err_out);
    c.in_tx = false;
    c.aborted = false;
    return s;
}

fn inTransaction(p: ?*anyopaque) callconv(.c) i32 {
    return @intFromBool(connOf(p).in_tx);
}

fn cancel(p: ?*anyopaque, _: k.ErrOut) callconv(.c) i32 {
    d.duckdb_interrupt(connOf(p).con);
    return k.Status.OK;
}

// ---- statements ----------------------------------------------------------------

/// What a transaction statement run through SQL does to the session.
const TxEffect = enum { none, opens, commits, ends };

const Stmt = struct {
    conn: *Conn,
    ps: d.duckdb_prepared_statement,
    params: usize,
    tx: TxEffect,
    uuid_text: [36]u8,
    /// The SQL holds the word RETURNING (in any case, anywhere): an
    /// INSERT, UPDATE or DELETE that may give rows.
    mentions_returning: bool,
    /// stmt_column's output, valid until the next call: the column's
    /// name (DuckDB's copy, freed with duckdb_free) and a decimal's
    /// `DECIMAL(p,s)`.
    desc_name: ?[*:0]const u8,
    desc_decimal: [24:0]u8,
};

/// Whether `sql`'s first word, after blanks and `--` / `/* */` comments,
/// is one of `words` (any case).
fn firstWordIs(sql: []const u8, words: []const []const u8) bool {
    var i: usize = 0;
    while (i < sql.len) {
        if (std.ascii.isWhitespace(sql[i])) {
            i += 1;
        } else if (std.mem.startsWith(u8, sql[i..], "--")) {
            i = std.mem.indexOfScalarPos(u8, sql, i, '\n') orelse sql.len;
        } else if (std.mem.startsWith(u8, sql[i..], "/*")) {
            i = if (std.mem.indexOfPos(u8, sql, i + 2, "*/")) |end| end + 2 else sql.len;
        } else break;
    }
    var j = i;
    while (j < sql.len and std.ascii.isAlphabetic(sql[j])) j += 1;
    for (words) |w| if (std.ascii.eqlIgnoreCase(sql[i..j], w)) return true;
    return false;
}

/// Whether `sql` holds `word` (lower case) as a word, in any case,
/// anywhere (in a string or a comment too): not as part of a longer name
/// (`returning_log`, `nonreturning`).
fn mentions(sql: []const u8, word: []const u8) bool {
    const inWord = struct {
        fn f(c: u8) bool {
            return std.ascii.isAlphanumeric(c) or c == '_' or c >= 0x80;
        }
    }.f;
    var i: usize = 0;
    while (i + word.len <= sql.len) : (i += 1) {
        if (!std.ascii.startsWithIgnoreCase(sql[i..], word)) continue;
        if (i > 0 and inWord(sql[i - 1])) continue;
        if (i + word.len < sql.len and inWord(sql[i + word.len])) continue;
        return true;
    }
    return false;
}

fn prepare(p: ?*anyopaque, sql: [*:0]const u8, len: usize, stmt_out: *?*anyopaque, err_out: k.ErrOut) callconv(.c) i32 {
    const c = connOf(p);
    const settled = settle(c, err_out);
    if (settled != k.Status.OK) return settled;
    var ps: d.duckdb_prepared_statement = null;
    if (d.duckdb_prepare(c.con, sql, &ps) != d.Success) {
        const msg = d.duckdb_prepare_error(ps) orelse "duckdb: cannot prepare the statement";
        // Preparing reports no error type: the message's "<Kind> Error:"
        // prefix says it.
        const m = refine(d.E.CATALOG, msg, .{ k.Status.INVALID_ARGUMENT, "42000" });
        if (c.in_tx) c.aborted = true;
        const s = fail(err_out, m[0], m[1], 0, msg);
        d.duckdb_destroy_prepare(&ps);
        return s;
    }
    const st = alloc(Stmt) orelse {
        d.duckdb_destroy_prepare(&ps);
        return fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: out of memory");
    };
    st.conn = c;
    st.ps = ps;
    st.params = @intCast(d.duckdb_nparams(ps));
    st.tx = .none;
    st.mentions_returning = mentions(sql[0..len], "returning");
    st.desc_name = null;
    if (d.duckdb_prepared_statement_type(ps) == d.STATEMENT_TYPE_TRANSACTION) {
        const text = sql[0..len];
        st.tx = if (firstWordIs(text, &.{ "BEGIN", "START" })) .opens else if (firstWordIs(text, &.{ "COMMIT", "END" })) .commits else .ends;
    }
    stmt_out.* = st;
    return k.Status.OK;
}

fn stmtOf(p: ?*anyopaque) *Stmt {
    return @ptrCast(@alignCast(p.?));
}

fn paramCount(p: ?*anyopaque) callconv(.c) usize {
    return stmtOf(p).params;
}

/// Why DuckDB cannot hold keel's date or timestamp `v`, or null. DuckDB
/// takes the greatest DATE and TIMESTAMP for infinity and their negation
/// for -infinity (so a keel value there would read back as neither it nor
/// anything keel has), and has nothing below -infinity.
fn valueProblem(v: *const k.Value) ?[]const u8 {
    switch (v.kind) {
        k.Type.DATE => if (v.int_value >= std.math.maxInt(i32) or v.int_value <= -std.math.maxInt(i32))
            return "a DATE DuckDB does not have: its dates lie strictly between -2147483647 and 2147483647 days from 1970-01-01, which are its -infinity and infinity",
        k.Type.TIMESTAMP, k.Type.TIMESTAMPTZ => if (v.int_value == std.math.maxInt(i64) or v.int_value <= -std.math.maxInt(i64))
            return "a TIMESTAMP DuckDB does not have: its timestamps lie strictly between -(2^63-1) and 2^63-1 microseconds, which are its -infinity and infinity",
        else => {},
    }
    return null;
}

fn bind(p: ?*anyopaque, index: usize, v: *const k.Value, err_out: k.ErrOut) callconv(.c) i32 {
    const st = stmtOf(p);
    const i: d.idx_t = index + 1;
    // keel's message names the parameter.
    if (valueProblem(v)) |why| return failf(err_out, k.Status.INVALID_ARGUMENT, "22008", 0, "duckdb: {s}", .{why});
    const rc = switch (v.kind) {
        k.Type.NULL => d.duckdb_bind_null(st.ps, i),
        k.Type.BOOL => d.duckdb_bind_boolean(st.ps, i, v.int_value != 0),
        k.Type.INT64 => d.duckdb_bind_int64(st.ps, i, v.int_value),
        k.Type.UINT64 => d.duckdb_bind_uint64(st.ps, i, v.uint_value),
        k.Type.DOUBLE => d.duckdb_bind_double(st.ps, i, v.double_value),
        k.Type.TEXT, k.Type.JSON, k.Type.DECIMAL => d.duckdb_bind_varchar_length(st.ps, i, v.data orelse "", v.len),
        k.Type.BYTES => d.duckdb_bind_blob(st.ps, i, v.data, v.len),
        k.Type.DATE => d.duckdb_bind_date(st.ps, i, .{ .days = @intCast(v.int_value) }),
        k.Type.TIME => d.duckdb_bind_time(st.ps, i, .{ .micros = v.int_value }),
        k.Type.TIMESTAMP => d.duckdb_bind_timestamp(st.ps, i, .{ .micros = v.int_value }),
        k.Type.TIMESTAMPTZ => d.duckdb_bind_timestamp_tz(st.ps, i, .{ .micros = v.int_value }),
        k.Type.UUID => d.duckdb_bind_varchar_length(st.ps, i, uuidText(v, &st.uuid_text), 36),
        else => return fail(err_out, k.Status.INVALID_ARGUMENT, null, 0, "duckdb: a value of a type this driver does not know"),
    };
    if (rc != d.Success) return fail(err_out, k.Status.INVALID_ARGUMENT, "22023", 0, "duckdb: the value does not fit the parameter");
    return k.Status.OK;
}

/// A uuid value's 16 bytes as DuckDB reads a UUID written as text.
fn uuidText(v: *const k.Value, out: *[36]u8) [*]const u8 {
    const hex = "0123456789abcdef";
    var o: usize = 0;
    for (v.data.?[0..16], 0..) |byte, n| {
        if (n == 4 or n == 6 or n == 8 or n == 10) {
            out[o] = '-';
            o += 1;
        }
        out[o] = hex[byte >> 4];
        out[o + 1] = hex[byte & 15];
        o += 2;
    }
    return out;
}

fn clearBindings(p: ?*anyopaque, err_out: k.ErrOut) callconv(.c) i32 {
    if (d.duckdb_clear_bindings(stmtOf(p).ps) != d.Success) return fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: cannot clear the bindings");
    return k.Status.OK;
}

/// Run `st` into `res`; with `stream` (a SELECT's `query`), as a result
/// DuckDB computes as it is read (see the top of this file).
fn runPrepared(st: *Stmt, res: *d.duckdb_result, stream: bool, err_out: k.ErrOut) i32 {
    const settled = settle(st.conn, err_out);
    if (settled != k.Status.OK) return settled;
    if (st.conn.in_tx and st.conn.aborted) {
        // DuckDB refuses statements in a transaction a failed statement
        // aborted, but not in one a failed append aborted: refused here
        // for both, and a COMMIT written as SQL rolls back as commit does.
        switch (st.tx) {
            .ends => {},
            .commits => return commit(st.conn, err_out),
            else => return fail(err_out, k.Status.INVALID_STATE, "25P02", 0, "duckdb: the transaction was aborted by an earlier error: roll it back (nothing of it can be committed)"),
        }
    }
    const ran = if (stream) d.duckdb_execute_prepared_streaming(st.ps, res) else d.duckdb_execute_prepared(st.ps, res);
    if (ran != d.Success) {
        // A failed statement inside a transaction leaves DuckDB's
        // transaction open (and aborted) until ROLLBACK.
        if (st.conn.in_tx) st.conn.aborted = true;
        return resultError(res, err_out);
    }
    switch (st.tx) {
        .none => {},
        .opens => st.conn.in_tx = true,
        .commits, .ends => {
            st.conn.in_tx = false;
            st.conn.aborted = false;
        },
    }
    return k.Status.OK;
}

fn execute(p: ?*anyopaque, r: *k.ExecResult, err_out: k.ErrOut) callconv(.c) i32 {
    const st = stmtOf(p);
    var res: d.duckdb_result = .{};
    const s = runPrepared(st, &res, false, err_out);
    if (s != k.Status.OK) return s;
    r.rows_affected = d.duckdb_rows_changed(&res);
    // An INSERT, UPDATE or DELETE with RETURNING gives its rows instead of
    // a count (duckdb_rows_changed says 0): one row per row it changed.
    const t = d.duckdb_prepared_statement_type(st.ps);
    const changes = t == d.STATEMENT_TYPE_INSERT or t == d.STATEMENT_TYPE_UPDATE or t == d.STATEMENT_TYPE_DELETE;
    if (changes and d.duckdb_result_return_type(res) == d.RESULT_TYPE_QUERY_RESULT) {
        r.rows_affected = 0;
        while (true) {
            var chunk = d.duckdb_fetch_chunk(res);
            if (chunk == null) break;
            r.rows_affected += d.duckdb_data_chunk_get_size(chunk);
            d.duckdb_destroy_data_chunk(&chunk);
        }
    }
    d.duckdb_destroy_result(&res);
    return k.Status.OK;
}

fn stmtFree(p: ?*anyopaque) callconv(.c) void {
    const st = stmtOf(p);
    if (st.desc_name) |n| d.duckdb_free(@constCast(n));
    d.duckdb_destroy_prepare(&st.ps);
    free(st);
}

/// Whether the prepared statement's result, of `n` columns, is DuckDB's
/// answer to a statement without rows: one column, `Count BIGINT` (rows
/// changed) or `Success BOOLEAN`.
fn describesNoRows(ps: d.duckdb_prepared_statement, n: usize) bool {
    if (n != 1) return false;
    const name = d.duckdb_prepared_statement_column_name(ps, 0) orelse return false;
    defer d.duckdb_free(@constCast(name));
    const t = d.duckdb_prepared_statement_column_type(ps, 0);
    const text = std.mem.span(name);
    return (t == d.T.BIGINT and std.mem.eql(u8, text, "Count")) or (t == d.T.BOOLEAN and std.mem.eql(u8, text, "Success"));
}

/// stmt_column_count: the columns a run's cursor will have, as `query`
/// makes them: a statement without rows has none. DuckDB describes such a
/// statement as one column, `Count BIGINT` or `Success BOOLEAN`; that
/// answer is taken as "no rows" only for the kinds of statement that give
/// no rows, and for an INSERT, UPDATE, DELETE or MERGE only when its text
/// does not hold the word RETURNING (`RETURNING n AS "Count"` would look
/// the same). What cannot be told is NOT_IMPLEMENTED, as keel_driver.h
/// asks.
fn stmtColumnCount(p: ?*anyopaque, count_out: *usize, err_out: k.ErrOut) callconv(.c) i32 {
    const st = stmtOf(p);
    const n: usize = @intCast(d.duckdb_prepared_statement_column_count(st.ps));
    const unknown = "duckdb: the result of this kind of statement is known only when it runs (run it and read the cursor's columns)";
    // DuckDB plans a statement again when a value bound does not have the
    // type it guessed for the parameter, and a result column computed
    // from it (`coalesce(?, 1)`) then changes type: a statement with
    // parameters that gives rows is not described.
    const with_params = "duckdb: a statement with parameters that gives rows is known only when it runs (DuckDB may change a result column's type to fit the values bound); run it and read the cursor's columns";
    switch (d.duckdb_prepared_statement_type(st.ps)) {
        d.STATEMENT_TYPE_SELECT, d.STATEMENT_TYPE_EXPLAIN, d.STATEMENT_TYPE_CALL => {
            if (st.params > 0) return fail(err_out, k.Status.NOT_IMPLEMENTED, "0A000", 0, with_params);
            count_out.* = n;
        },
        d.STATEMENT_TYPE_INSERT, d.STATEMENT_TYPE_UPDATE, d.STATEMENT_TYPE_DELETE, d.STATEMENT_TYPE_MERGE_INTO => {
            if (!describesNoRows(st.ps, n)) {
                if (st.params > 0) return fail(err_out, k.Status.NOT_IMPLEMENTED, "0A000", 0, with_params);
                count_out.* = n;
            } else if (st.mentions_returning) {
                return fail(err_out, k.Status.NOT_IMPLEMENTED, "0A000", 0, "duckdb: this statement's text holds the word RETURNING, and DuckDB describes it as its count of rows changed, as it does a statement without RETURNING: whether it gives rows is known only when it runs");
            } else {
                count_out.* = 0;
            }
        },
        d.STATEMENT_TYPE_CREATE, d.STATEMENT_TYPE_ALTER, d.STATEMENT_TYPE_TRANSACTION, d.STATEMENT_TYPE_COPY, d.STATEMENT_TYPE_ANALYZE, d.STATEMENT_TYPE_VARIABLE_SET, d.STATEMENT_TYPE_CREATE_FUNC, d.STATEMENT_TYPE_DROP, d.STATEMENT_TYPE_VACUUM, d.STATEMENT_TYPE_SET, d.STATEMENT_TYPE_LOAD, d.STATEMENT_TYPE_ATTACH, d.STATEMENT_TYPE_DETACH => {
            if (!describesNoRows(st.ps, n)) return fail(err_out, k.Status.NOT_IMPLEMENTED, "0A000", 0, unknown);
            count_out.* = 0;
        },
        else => return fail(err_out, k.Status.NOT_IMPLEMENTED, "0A000", 0, unknown),
    }
    return k.Status.OK;
}

/// stmt_column: column `i` of the prepared statement's result, described
/// as `query` describes a cursor's (a type keel has no type for, or one
/// DuckDB cannot tell before the statement runs, is NOT_IMPLEMENTED).
fn stmtColumn(p: ?*anyopaque, i: usize, out: *k.Column, err_out: k.ErrOut) callconv(.c) i32 {
    const st = stmtOf(p);
    if (st.desc_name) |n| d.duckdb_free(@constCast(n));
    st.desc_name = d.duckdb_prepared_statement_column_name(st.ps, i);
    const name: [*:0]const u8 = st.desc_name orelse "";
    const dtype = d.duckdb_prepared_statement_column_type(st.ps, i);
    var lt = d.duckdb_prepared_statement_column_logical_type(st.ps, i);
    defer d.duckdb_destroy_logical_type(&lt);
    const kind = kindOf(dtype, lt) orelse {
        if (dtype == d.T.INVALID) return failf(err_out, k.Status.NOT_IMPLEMENTED, "0A000", 0, "duckdb: the type of column {d} (\"{s}\") is known only when the statement runs", .{ i, std.mem.span(name) });
        return noKeelType(err_out, i, name, dtype);
    };
    const n = std.mem.span(name);
    out.name = n.ptr;
    out.name_len = n.len;
    out.kind = kind[0];
    out.engine_type = if (dtype == d.T.DECIMAL) decimalName(&st.desc_decimal, lt) orelse kind[1] else kind[1];
    out.nullable = 0;
    return k.Status.OK;
}

/// The error for column `i` (`name`) of DuckDB type `dtype`, which keel
/// has no type for: described (`stmtColumn`) or run (`query`).
fn noKeelType(err_out: k.ErrOut, i: usize, name: [*:0]const u8, dtype: c_int) i32 {
    return failf(err_out, k.Status.NOT_IMPLEMENTED, "0A000", 0, "duckdb: column {d} (\"{s}\") is {s}, a DuckDB type keel has no type for: cast it to VARCHAR", .{ i, std.mem.span(name), typeName(dtype) });
}

/// `DECIMAL(p,s)` of the decimal type `lt`, written into `buf`: the engine
/// type keel reads a decimal's precision and scale from.
fn decimalName(buf: *[24:0]u8, lt: d.duckdb_logical_type) ?[*:0]const u8 {
    const name = std.fmt.bufPrintSentinel(buf, "DECIMAL({d},{d})", .{ d.duckdb_decimal_width(lt), d.duckdb_decimal_scale(lt) }, 0) catch return null;
    return name.ptr;
}

// ---- cursors -------------------------------------------------------------------

const Col = struct {
    /// The column's position, for messages.
    index: usize,
    dtype: c_int,
    kind: i32,
    scale: u8,
    internal: c_int,
    name: [*:0]const u8,
    engine: [*:0]const u8,
    data: ?*anyopaque,
    validity: ?[*]u64,
    /// Decimal, hugeint and uuid text of the current row.
    text: [TEXT_SIZE]u8,
    /// `DECIMAL(p,s)`, the engine type of a decimal column (keel reads
    /// the precision and scale from it).
    decimal_name: [24:0]u8,
    /// rows_next_chunk's buffers for a column DuckDB does not keep in
    /// keel's layout: 16 bytes per row (an int64_t, a double or a
    /// keel_driver_bytes), and TEXT_SIZE bytes per row of decimal, hugeint
    /// and uuid text; `cap` rows each, grown as chunks need.
    buf: ?[*]u8,
    arena: ?[*]u8,
    cap: usize,
};

const TEXT_SIZE = 48;

const Rows = struct {
    res: d.duckdb_result,
    chunk: d.duckdb_data_chunk,
    size: usize,
    at: usize,
    /// The number of rows before the current chunk, so that an error
    /// names a row from the start of the result.
    first: u64,
    ncols: usize,
    cols: [*]Col,
    /// rows_next_chunk's output, one per column.
    vectors: [*]k.Vector,
    done: bool,
    conn: *Conn,
    /// The rest of a streaming result, read into memory by `settle`
    /// (`set_aside`): chunks `held_at..held_n` of `held` are still to be
    /// read, and then the result ends as DuckDB ended it.
    held: ?[*]d.duckdb_data_chunk,
    held_n: usize,
    held_cap: usize,
    held_at: usize,
    set_aside: bool,
};

fn kindOf(dtype: c_int, lt: d.duckdb_logical_type) ?struct { i32, [*:0]const u8 } {
    return switch (dtype) {
        d.T.BOOLEAN => .{ k.Type.BOOL, "BOOLEAN" },
        d.T.TINYINT => .{ k.Type.INT64, "TINYINT" },
        d.T.SMALLINT => .{ k.Type.INT64, "SMALLINT" },
        d.T.INTEGER => .{ k.Type.INT64, "INTEGER" },
        d.T.BIGINT => .{ k.Type.INT64, "BIGINT" },
        d.T.UTINYINT => .{ k.Type.INT64, "UTINYINT" },
        d.T.USMALLINT => .{ k.Type.INT64, "USMALLINT" },
        d.T.UINTEGER => .{ k.Type.INT64, "UINTEGER" },
        d.T.UBIGINT => .{ k.Type.UINT64, "UBIGINT" },
        d.T.FLOAT => .{ k.Type.DOUBLE, "FLOAT" },
        d.T.DOUBLE => .{ k.Type.DOUBLE, "DOUBLE" },
        d.T.VARCHAR => blk: {
            const alias = d.duckdb_logical_type_get_alias(lt);
            defer if (alias) |a| d.duckdb_free(a);
            if (alias) |a| if (std.mem.eql(u8, std.mem.span(a), "JSON")) break :blk .{ k.Type.JSON, "JSON" };
            break :blk .{ k.Type.TEXT, "VARCHAR" };
        },
        d.T.BLOB => .{ k.Type.BYTES, "BLOB" },
        d.T.DATE => .{ k.Type.DATE, "DATE" },
        d.T.TIME => .{ k.Type.TIME, "TIME" },
        d.T.TIMESTAMP => .{ k.Type.TIMESTAMP, "TIMESTAMP" },
        d.T.TIMESTAMP_S => .{ k.Type.TIMESTAMP, "TIMESTAMP_S" },
        d.T.TIMESTAMP_MS => .{ k.Type.TIMESTAMP, "TIMESTAMP_MS" },
        d.T.TIMESTAMP_TZ => .{ k.Type.TIMESTAMPTZ, "TIMESTAMP WITH TIME ZONE" },
        d.T.UUID => .{ k.Type.UUID, "UUID" },
        d.T.DECIMAL => .{ k.Type.DECIMAL, "DECIMAL" },
        d.T.HUGEINT => .{ k.Type.DECIMAL, "HUGEINT" },
        d.T.UHUGEINT => .{ k.Type.DECIMAL, "UHUGEINT" },
        else => null,
    };
}

/// The name of a DuckDB type this driver does not read, for messages.
fn typeName(dtype: c_int) []const u8 {
    return switch (dtype) {
        d.T.INTERVAL => "INTERVAL",
        d.T.TIMESTAMP_NS => "TIMESTAMP_NS",
        d.T.ENUM => "an ENUM",
        d.T.LIST => "a LIST",
        d.T.STRUCT => "a STRUCT",
        d.T.MAP => "a MAP",
        d.T.UNION => "a UNION",
        d.T.BIT => "BIT",
        d.T.TIME_TZ => "TIME WITH TIME ZONE",
        d.T.ARRAY => "an ARRAY",
        d.T.BIGNUM => "BIGNUM",
        d.T.SQLNULL => "NULL",
        d.T.TIME_NS => "TIME_NS",
        d.T.GEOMETRY => "GEOMETRY",
        d.T.VARIANT => "VARIANT",
        else => "of a type this driver does not know",
    };
}

fn query(p: ?*anyopaque, rows_out: *?*anyopaque, err_out: k.ErrOut) callconv(.c) i32 {
    const st = stmtOf(p);
    const r = alloc(Rows) orelse return fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: out of memory");
    r.res = .{};
    r.conn = st.conn;
    const streams = d.duckdb_prepared_statement_type(st.ps) == d.STATEMENT_TYPE_SELECT;
    const s = runPrepared(st, &r.res, streams, err_out);
    if (s != k.Status.OK) {
        free(r);
        return s;
    }
    r.ncols = @intCast(d.duckdb_column_count(&r.res));
    // A statement without rows (an INSERT, UPDATE or DELETE without
    // RETURNING, DDL) gives DuckDB's one-column count, or nothing: as a
    // query it has no columns and no rows, as on the other engines (its
    // count is stmt_execute's rows_affected).
    if (d.duckdb_result_return_type(r.res) != d.RESULT_TYPE_QUERY_RESULT) {
        r.ncols = 0;
        r.done = true;
    }
    r.cols = allocMany(Col, r.ncols) orelse {
        d.duckdb_destroy_result(&r.res);
        free(r);
        return fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: out of memory");
    };
    r.vectors = allocMany(k.Vector, r.ncols) orelse {
        d.duckdb_destroy_result(&r.res);
        free(r.cols);
        free(r);
        return fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: out of memory");
    };
    var i: usize = 0;
    while (i < r.ncols) : (i += 1) {
        const c = &r.cols[i];
        c.dtype = d.duckdb_column_type(&r.res, i);
        c.name = d.duckdb_column_name(&r.res, i) orelse "";
        var lt = d.duckdb_column_logical_type(&r.res, i);
        defer d.duckdb_destroy_logical_type(&lt);
        c.index = i;
        const kind = kindOf(c.dtype, lt) orelse {
            // The message first: the name and the type live in the
            // result that rowsFree destroys.
            const st2 = noKeelType(err_out, i, c.name, c.dtype);
            rowsFree(r);
            return st2;
        };
        c.kind = kind[0];
        c.engine = kind[1];
        if (c.dtype == d.T.DECIMAL) {
            c.scale = d.duckdb_decimal_scale(lt);
            c.internal = d.duckdb_decimal_internal_type(lt);
            if (decimalName(&c.decimal_name, lt)) |name| c.engine = name;
        }
    }
    // Registered last: the failures above free `r` (nothing runs on the
    // connection in between).
    if (streams) st.conn.streaming = r;
    rows_out.* = r;
    return k.Status.OK;
}

fn rowsOf(p: ?*anyopaque) *Rows {
    return @ptrCast(@alignCast(p.?));
}

fn columnCount(p: ?*anyopaque) callconv(.c) usize {
    return rowsOf(p).ncols;
}

fn column(p: ?*anyopaque, i: usize, out: *k.Column, _: k.ErrOut) callconv(.c) i32 {
    const c = &rowsOf(p).cols[i];
    const name = std.mem.span(c.name);
    out.name = name.ptr;
    out.name_len = name.len;
    out.kind = c.kind;
    out.engine_type = c.engine;
    out.nullable = 0;
    return k.Status.OK;
}

fn next(p: ?*anyopaque, has_row: *i32, err_out: k.ErrOut) callconv(.c) i32 {
    const r = rowsOf(p);
    has_row.* = 0;
    if (r.done) return k.Status.OK;
    r.at += 1;
    if (r.chunk == null or r.at >= r.size) {
        const s = loadChunk(r, err_out);
        if (s != k.Status.OK or r.done) return s;
    }
    has_row.* = 1;
    return k.Status.OK;
}

/// The result's next chunk: one `settle` set aside, or DuckDB's.
fn takeChunk(r: *Rows) d.duckdb_data_chunk {
    if (r.held_at < r.held_n) {
        const chunk = r.held.?[r.held_at];
        r.held.?[r.held_at] = null;
        r.held_at += 1;
        return chunk;
    }
    if (r.set_aside) return null;
    return d.duckdb_fetch_chunk(r.res);
}

/// Replace the current chunk with the result's next one that has rows,
/// and point each column at its vectors. At the end of the result, sets
/// `done`; a streaming result that ended with an error (DuckDB computes
/// it as it is read) fails with that error, the rows before it read.
fn loadChunk(r: *Rows, err_out: k.ErrOut) i32 {
    if (r.chunk != null) d.duckdb_destroy_data_chunk(&r.chunk);
    r.first += r.size;
    r.size = 0;
    while (true) {
        r.chunk = takeChunk(r);
        if (r.chunk == null) {
            r.done = true;
            if (r.conn.streaming == r) r.conn.streaming = null;
            // Only a streaming result can fail as it is read; a
            // materialized one that ran says no error here.
            const msg = d.duckdb_result_error(&r.res) orelse return k.Status.OK;
            // As a statement that fails inside a transaction.
            if (r.conn.in_tx) r.conn.aborted = true;
            const t = d.duckdb_result_error_type(&r.res);
            const m = refine(t, msg, mapError(t));
            return failf(err_out, m[0], m[1], t, "{s} (after the result's first {d} rows)", .{ msg, r.first });
        }
        r.size = @intCast(d.duckdb_data_chunk_get_size(r.chunk));
        if (r.size > 0) break;
        d.duckdb_destroy_data_chunk(&r.chunk);
    }
    r.at = 0;
    var i: usize = 0;
    while (i < r.ncols) : (i += 1) {
        const vec = d.duckdb_data_chunk_get_vector(r.chunk, i);
        r.cols[i].data = d.duckdb_vector_get_data(vec);
        r.cols[i].validity = d.duckdb_vector_get_validity(vec);
    }
    return k.Status.OK;
}

fn at(comptime T: type, c: *const Col, row: usize) T {
    const base: [*]const T = @ptrCast(@alignCast(c.data.?));
    return base[row];
}

/// Write `v` (an integer scaled by 10^scale) as exact decimal text.
fn decimalText(buf: []u8, v: i128, scale: u8) []const u8 {
    return magnitudeText(buf, v < 0, @abs(v), scale);
}

/// Write `mag` (scaled by 10^scale), after a minus sign when `negative`, as
/// exact decimal text: every UHUGEINT too.
fn magnitudeText(buf: []u8, negative: bool, magnitude: u128, scale: u8) []const u8 {
    var digits: [48]u8 = undefined;
    var n: usize = 0;
    var mag = magnitude;
    while (true) {
        digits[n] = '0' + @as(u8, @intCast(mag % 10));
        n += 1;
        mag /= 10;
        if (mag == 0 and n > scale) break;
    }
    var o: usize = 0;
    if (negative) {
        buf[0] = '-';
        o = 1;
    }
    var i = n;
    while (i > 0) {
        i -= 1;
        buf[o] = digits[i];
        o += 1;
        if (i == scale and scale > 0) {
            buf[o] = '.';
            o += 1;
        }
    }
    return buf[0..o];
}

const Hugeint = extern struct { lower: u64, upper: i64 };
const StringT = extern struct { len: u32, prefix: [4]u8, ptr: [*]const u8 };

/// The bytes of a duckdb_string_t: inlined up to 12, else by pointer.
fn stringBytes(s: *const StringT) []const u8 {
    const p: [*]const u8 = if (s.len <= 12) @ptrCast(&s.prefix) else s.ptr;
    return p[0..s.len];
}

fn isValid(c: *const Col, row: usize) bool {
    const valid = c.validity orelse return true;
    return (valid[row / 64] >> @intCast(row % 64)) & 1 == 1;
}

fn value(p: ?*anyopaque, i: usize, v: *k.Value, err_out: k.ErrOut) callconv(.c) i32 {
    const r = rowsOf(p);
    const c = &r.cols[i];
    if (!isValid(c, r.at)) {
        v.kind = k.Type.NULL;
        return k.Status.OK;
    }
    return convert(r, c, r.at, v, &c.text, err_out);
}

/// Fail with INVALID_DATA naming the value's column and its row, counted
/// from the start of the result.
fn badValue(r: *const Rows, c: *const Col, row: usize, what: []const u8, err_out: k.ErrOut) i32 {
    return failf(err_out, k.Status.INVALID_DATA, "22008", 0, "duckdb: column {d} (\"{s}\"), row {d} of the result (counting from 1): {s}", .{ c.index, std.mem.span(c.name), r.first + row + 1, what });
}

/// DuckDB keeps infinity and -infinity of DATE as the days INT32_MAX and
/// -INT32_MAX, and of TIMESTAMP (also _S, _MS, WITH TIME ZONE) as INT64_MAX
/// and -INT64_MAX; its finite values lie strictly between. keel has no
/// infinity (its dates and timestamps are plain numbers, read exactly or
/// not at all), and a column has one keel type for every row, so the
/// value cannot read as text 'infinity' as PostgreSQL's does: the read
/// fails, naming the row. What the value is, or null when keel can hold it.
fn dateProblem(days: i32) ?[]const u8 {
    const max = std.math.maxInt(i32);
    if (days == max) return "DATE 'infinity', which keel has no date for (cast it to VARCHAR)";
    if (days == -max) return "DATE '-infinity', which keel has no date for (cast it to VARCHAR)";
    if (days < -max) return "a DATE outside DuckDB's range";
    return null;
}

fn timestampProblem(micros: i64) ?[]const u8 {
    const max = std.math.maxInt(i64);
    if (micros == max) return "TIMESTAMP 'infinity', which keel has no timestamp for (cast it to VARCHAR)";
    if (micros == -max) return "TIMESTAMP '-infinity', which keel has no timestamp for (cast it to VARCHAR)";
    if (micros < -max) return "a TIMESTAMP outside DuckDB's range";
    return null;
}

/// DuckDB's TIME runs to 24:00:00 inclusive; keel's ends before it.
fn timeProblem(micros: i64) ?[]const u8 {
    if (micros >= 86_400_000_000) return "TIME 24:00:00, which is no time of day keel has (keel's day ends at 23:59:59.999999)";
    if (micros < 0) return "a TIME before 00:00:00";
    return null;
}

/// Row `row` of column `c` (not NULL) into `v`; text keel reads through
/// `v.data` (decimals, hugeints, uuids) is written into `text`.
fn convert(r: *const Rows, c: *const Col, row: usize, v: *k.Value, text: *[TEXT_SIZE]u8, err_out: k.ErrOut) i32 {
    v.kind = c.kind;
    switch (c.dtype) {
        d.T.BOOLEAN => v.int_value = @intFromBool(at(u8, c, row) != 0),
        d.T.TINYINT => v.int_value = at(i8, c, row),
        d.T.SMALLINT => v.int_value = at(i16, c, row),
        d.T.INTEGER => v.int_value = at(i32, c, row),
        d.T.BIGINT => v.int_value = at(i64, c, row),
        d.T.UTINYINT => v.int_value = at(u8, c, row),
        d.T.USMALLINT => v.int_value = at(u16, c, row),
        d.T.UINTEGER => v.int_value = at(u32, c, row),
        d.T.UBIGINT => v.uint_value = at(u64, c, row),
        d.T.FLOAT => v.double_value = at(f32, c, row),
        d.T.DOUBLE => v.double_value = at(f64, c, row),
        d.T.DATE => {
            v.int_value = at(i32, c, row);
            if (dateProblem(at(i32, c, row))) |why| return badValue(r, c, row, why, err_out);
        },
        d.T.TIME => {
            v.int_value = at(i64, c, row);
            if (timeProblem(v.int_value)) |why| return badValue(r, c, row, why, err_out);
        },
        d.T.TIMESTAMP, d.T.TIMESTAMP_TZ, d.T.TIMESTAMP_S, d.T.TIMESTAMP_MS => {
            const x = at(i64, c, row);
            if (timestampProblem(x)) |why| return badValue(r, c, row, why, err_out);
            const scale: i64 = switch (c.dtype) {
                d.T.TIMESTAMP_S => 1_000_000,
                d.T.TIMESTAMP_MS => 1_000,
                else => 1,
            };
            // Seconds and milliseconds DuckDB keeps beyond the range of
            // microseconds in an int64.
            v.int_value = std.math.mul(i64, x, scale) catch
                return badValue(r, c, row, "a timestamp outside keel's range (microseconds in an int64)", err_out);
        },
        d.T.VARCHAR, d.T.BLOB => {
            const base: [*]const StringT = @ptrCast(@alignCast(c.data.?));
            const s = stringBytes(&base[row]);
            v.len = s.len;
            v.data = s.ptr;
        },
        d.T.DECIMAL => {
            const n: i128 = switch (c.internal) {
                d.T.SMALLINT => at(i16, c, row),
                d.T.INTEGER => at(i32, c, row),
                d.T.BIGINT => at(i64, c, row),
                else => blk: {
                    const h = at(Hugeint, c, row);
                    break :blk (@as(i128, h.upper) << 64) | h.lower;
                },
            };
            const t = decimalText(text, n, c.scale);
            v.data = t.ptr;
            v.len = t.len;
        },
        d.T.HUGEINT => {
            const h = at(Hugeint, c, row);
            const t = decimalText(text, (@as(i128, h.upper) << 64) | h.lower, 0);
            v.data = t.ptr;
            v.len = t.len;
        },
        d.T.UHUGEINT => {
            const h = at(Hugeint, c, row);
            const u: u128 = (@as(u128, @as(u64, @bitCast(h.upper))) << 64) | h.lower;
            const t = magnitudeText(text, false, u, 0);
            v.data = t.ptr;
            v.len = t.len;
        },
        d.T.UUID => {
            // Stored as a hugeint with the top bit flipped, so that it sorts.
            const h = at(Hugeint, c, row);
            const upper: u64 = @as(u64, @bitCast(h.upper)) ^ (@as(u64, 1) << 63);
            std.mem.writeInt(u64, text[0..8], upper, .big);
            std.mem.writeInt(u64, text[8..16], h.lower, .big);
            v.data = text;
            v.len = 16;
        },
        else => return fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: unexpected column type"),
    }
    return k.Status.OK;
}

/// rows_next_chunk: DuckDB's next data chunk, its vectors handed to keel
/// as they are where DuckDB's layout is keel's (BOOLEAN, BIGINT, UBIGINT,
/// DOUBLE, DATE, TIME, TIMESTAMP, TIMESTAMP WITH TIME ZONE), and converted
/// into the column's buffers where it is not.
fn nextChunk(p: ?*anyopaque, out: *k.Chunk, err_out: k.ErrOut) callconv(.c) i32 {
    const r = rowsOf(p);
    out.rows = 0;
    out.columns = null;
    if (r.done) return k.Status.OK;
    const loaded = loadChunk(r, err_out);
    if (loaded != k.Status.OK or r.done) return loaded;
    var i: usize = 0;
    while (i < r.ncols) : (i += 1) {
        const s = fillVector(r, &r.cols[i], r.size, &r.vectors[i], err_out);
        if (s != k.Status.OK) return s;
    }
    out.rows = r.size;
    out.columns = r.vectors;
    return k.Status.OK;
}

/// Room in `c`'s buffers for `n` rows.
fn reserve(c: *Col, n: usize, err_out: k.ErrOut) i32 {
    if (c.cap >= n) return k.Status.OK;
    free(c.buf);
    free(c.arena);
    c.cap = 0;
    c.arena = null;
    c.buf = allocMany(u8, n * 16) orelse return fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: out of memory");
    c.arena = allocMany(u8, n * TEXT_SIZE) orelse return fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: out of memory");
    c.cap = n;
    return k.Status.OK;
}

/// Column `c` of the current chunk (`n` rows) as a keel_driver_vector.
fn fillVector(r: *const Rows, c: *Col, n: usize, out: *k.Vector, err_out: k.ErrOut) i32 {
    out.validity = c.validity;
    switch (c.dtype) {
        d.T.BOOLEAN, d.T.BIGINT, d.T.UBIGINT, d.T.DOUBLE => {
            out.data = c.data;
            return k.Status.OK;
        },
        d.T.DATE, d.T.TIME, d.T.TIMESTAMP, d.T.TIMESTAMP_TZ => {
            // Handed over as they are, once no value is one keel has
            // no value for (infinity, TIME 24:00:00); a NULL row's
            // entry is not a value.
            for (0..n) |row| {
                const why = switch (c.dtype) {
                    d.T.DATE => dateProblem(at(i32, c, row)),
                    d.T.TIME => timeProblem(at(i64, c, row)),
                    else => timestampProblem(at(i64, c, row)),
                };
                if (why) |w| if (isValid(c, row)) return badValue(r, c, row, w, err_out);
            }
            out.data = c.data;
            return k.Status.OK;
        },
        else => {},
    }
    const s = reserve(c, n, err_out);
    if (s != k.Status.OK) return s;
    out.data = c.buf;
    switch (c.dtype) {
        d.T.TINYINT => widen(i8, c, n),
        d.T.SMALLINT => widen(i16, c, n),
        d.T.INTEGER => widen(i32, c, n),
        d.T.UTINYINT => widen(u8, c, n),
        d.T.USMALLINT => widen(u16, c, n),
        d.T.UINTEGER => widen(u32, c, n),
        d.T.FLOAT => {
            const src: [*]const f32 = @ptrCast(@alignCast(c.data.?));
            const dst: [*]f64 = @ptrCast(@alignCast(c.buf.?));
            for (0..n) |row| dst[row] = src[row];
        },
        d.T.VARCHAR, d.T.BLOB => {
            const src: [*]const StringT = @ptrCast(@alignCast(c.data.?));
            const dst: [*]k.Bytes = @ptrCast(@alignCast(c.buf.?));
            for (0..n) |row| {
                if (!isValid(c, row)) {
                    dst[row] = .{};
                    continue;
                }
                const b = stringBytes(&src[row]);
                dst[row] = .{ .data = b.ptr, .len = b.len };
            }
        },
        else => {
            // The rest, value by value as rows_value reads them: decimals,
            // hugeints and uuids as text or bytes in the arena, seconds and
            // milliseconds as microseconds.
            const ints: [*]i64 = @ptrCast(@alignCast(c.buf.?));
            const bytes: [*]k.Bytes = @ptrCast(@alignCast(c.buf.?));
            const wide = c.kind == k.Type.TIMESTAMP;
            for (0..n) |row| {
                if (!isValid(c, row)) {
                    if (!wide) bytes[row] = .{};
                    continue;
                }
                var v: k.Value = .{};
                const text: *[TEXT_SIZE]u8 = @ptrCast(c.arena.? + row * TEXT_SIZE);
                const s2 = convert(r, c, row, &v, text, err_out);
                if (s2 != k.Status.OK) return s2;
                if (wide) ints[row] = v.int_value else bytes[row] = .{ .data = v.data, .len = v.len };
            }
        },
    }
    return k.Status.OK;
}

fn widen(comptime T: type, c: *Col, n: usize) void {
    const src: [*]const T = @ptrCast(@alignCast(c.data.?));
    const dst: [*]i64 = @ptrCast(@alignCast(c.buf.?));
    for (0..n) |r| dst[r] = src[r];
}

fn rowsFree(p: ?*anyopaque) callconv(.c) void {
    const r = rowsOf(p);
    if (r.conn.streaming == r) r.conn.streaming = null;
    if (r.chunk != null) d.duckdb_destroy_data_chunk(&r.chunk);
    while (r.held_at < r.held_n) : (r.held_at += 1) d.duckdb_destroy_data_chunk(&r.held.?[r.held_at]);
    free(@ptrCast(r.held));
    d.duckdb_destroy_result(&r.res);
    var i: usize = 0;
    while (i < r.ncols) : (i += 1) {
        free(r.cols[i].buf);
        free(r.cols[i].arena);
    }
    free(r.vectors);
    free(r.cols);
    free(r);
}

// ---- the appender: keel_conn_ingest's fast path ---------------------------------

const Appender = struct {
    conn: *Conn,
    app: d.duckdb_appender,
    /// append_finish wrote every row; until then append_free drops them.
    finished: bool,
    uuid_text: [36]u8,
};

fn appenderOf(p: ?*anyopaque) *Appender {
    return @ptrCast(@alignCast(p.?));
}

/// Fail with the appender's error. Once rows were appended, a failure
/// inside a transaction aborts it, as a failed statement does: DuckDB may
/// have flushed some of them into it.
fn appenderError(a: *Appender, err_out: k.ErrOut, aborts: bool, what: [*:0]const u8) i32 {
    if (aborts and a.conn.in_tx) a.conn.aborted = true;
    var ed: d.duckdb_error_data = if (a.app != null) d.duckdb_appender_error_data(a.app) else null;
    defer if (ed != null) d.duckdb_destroy_error_data(&ed);
    const t: c_int = if (ed != null) d.duckdb_error_data_error_type(ed) else 0;
    const msg = (if (ed != null) d.duckdb_error_data_message(ed) else null) orelse what;
    const m = refine(t, msg, mapError(t));
    return fail(err_out, m[0], m[1], t, msg);
}

fn appendOpen(p: ?*anyopaque, tbl: [*:0]const u8, cols: [*]const [*:0]const u8, n: usize, out: *?*anyopaque, err_out: k.ErrOut) callconv(.c) i32 {
    const c = connOf(p);
    const settled = settle(c, err_out);
    if (settled != k.Status.OK) return settled;
    if (c.in_tx and c.aborted)
        return fail(err_out, k.Status.INVALID_STATE, "25P02", 0, "duckdb: the transaction was aborted by an earlier error: roll it back (nothing of it can be committed)");
    const a = alloc(Appender) orelse return fail(err_out, k.Status.INTERNAL, null, 0, "duckdb: out of memory");
    a.conn = c;
    const s = blk: {
        if (d.duckdb_appender_create(a.conn.con, null, tbl, &a.app) != d.Success)
            break :blk appenderError(a, err_out, false, "duckdb: cannot append to the table");
        const added = addColumns(a, tbl, cols[0..n], err_out);
        if (added != k.Status.OK) break :blk added;
        out.* = a;
        return k.Status.OK;
    };
    appendFree(a);
    return s;
}

/// Add `cols` to the appender under the names the table gives them:
/// DuckDB's SQL matches column names ignoring case, its appender does not.
/// The table's names come from one query per appender.
fn addColumns(a: *Appender, tbl: [*:0]const u8, cols: []const [*:0]const u8, err_out: k.ErrOut) i32 {
    var ps: d.duckdb_prepared_statement = null;
    defer d.duckdb_destroy_prepare(&ps);
    var res: d.duckdb_result = .{};
    defer d.duckdb_destroy_result(&res);
    var chunk: d.duckdb_data_chunk = null;
    defer if (chunk != null) d.duckdb_destroy_data_chunk(&chunk);
    const t = std.mem.span(tbl);
    if (d.duckdb_prepare(a.conn.con, "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() " ++
        "AND schema_name = current_schema() AND lower(table_name) = lower($1)", &ps) == d.Success and
        d.duckdb_bind_varchar_length(ps, 1, t.ptr, t.len) == d.Success and
        d.duckdb_execute_prepared(ps, &res) == d.Success)
        chunk = d.duckdb_fetch_chunk(res);
    // Without the list (it failed), the names go as given.
    const rows: usize = if (chunk != null) @intCast(d.duckdb_data_chunk_get_size(chunk)) else 0;
    const names: ?[*]const StringT = if (rows > 0) @ptrCast(@alignCast(d.duckdb_vector_get_data(d.duckdb_data_chunk_get_vector(chunk, 0)))) else null;
    for (cols) |col| {
        const want = std.mem.span(col);
        var buf: [256:0]u8 = undefined;
        var name: [*:0]const u8 = col;
        for (0..rows) |r| {
            const have = stringBytes(&names.?[r]);
            if (have.len < buf.len and std.ascii.eqlIgnoreCase(have, want)) {
                @memcpy(buf[0..have.len], have);
                buf[have.len] = 0;
                name = &buf;
                break;
            }
        }
        if (d.duckdb_appender_add_column(a.app, name) != d.Success) {
            var msg_buf: [512]u8 = undefined;
            const msg = if (std.fmt.bufPrintSentinel(&msg_buf, "duckdb: table \"{s}\" has no column \"{s}\"", .{ t, want }, 0)) |m| m.ptr else |_| "duckdb: the table has no such column";
            return fail(err_out, k.Status.NOT_FOUND, "42703", 0, msg);
        }
    }
    return k.Status.OK;
}

/// Append `v` as a DuckDB value, which the appender casts to the column's
/// type as a statement would (decimal and uuid text, TIMESTAMPTZ).
fn appendValue(a: *Appender, v: d.duckdb_value) d.duckdb_state {
    var owned = v;
    if (owned == null) return 1;
    defer d.duckdb_destroy_value(&owned);
    return d.duckdb_append_value(a.app, owned);
}

fn appendRow(p: ?*anyopaque, vals: [*]const k.Value, n: usize, err_out: k.ErrOut) callconv(.c) i32 {
    const a = appenderOf(p);
    // The appender writes through the connection as its buffer fills.
    const settled = settle(a.conn, err_out);
    if (settled != k.Status.OK) return settled;
    for (vals[0..n], 0..) |*v, col| {
        if (valueProblem(v)) |why| {
            // Rows appended before it may be in the transaction already.
            if (a.conn.in_tx) a.conn.aborted = true;
            return failf(err_out, k.Status.INVALID_ARGUMENT, "22008", 0, "duckdb: column {d}: {s}", .{ col, why });
        }
        const rc = switch (v.kind) {
            k.Type.NULL => d.duckdb_append_null(a.app),
            k.Type.BOOL => d.duckdb_append_bool(a.app, v.int_value != 0),
            k.Type.INT64 => d.duckdb_append_int64(a.app, v.int_value),
            k.Type.UINT64 => d.duckdb_append_uint64(a.app, v.uint_value),
            k.Type.DOUBLE => d.duckdb_append_double(a.app, v.double_value),
            k.Type.TEXT, k.Type.JSON => d.duckdb_append_varchar_length(a.app, v.data orelse "", v.len),
            k.Type.BYTES => d.duckdb_append_blob(a.app, v.data, v.len),
            k.Type.DATE => d.duckdb_append_date(a.app, .{ .days = @intCast(v.int_value) }),
            k.Type.TIME => d.duckdb_append_time(a.app, .{ .micros = v.int_value }),
            k.Type.TIMESTAMP => d.duckdb_append_timestamp(a.app, .{ .micros = v.int_value }),
            k.Type.TIMESTAMPTZ => appendValue(a, d.duckdb_create_timestamp_tz(.{ .micros = v.int_value })),
            k.Type.DECIMAL => appendValue(a, d.duckdb_create_varchar_length(v.data orelse "", v.len)),
            k.Type.UUID => appendValue(a, d.duckdb_create_varchar_length(uuidText(v, &a.uuid_text), 36)),
            else => return fail(err_out, k.Status.INVALID_ARGUMENT, null, 0, "duckdb: a value of a type this driver does not know"),
        };
        if (rc != d.Success) return appenderError(a, err_out, true, "duckdb: the value does not fit its column");
    }
    if (d.duckdb_appender_end_row(a.app) != d.Success) return appenderError(a, err_out, true, "duckdb: the row does not fit the table");
    return k.Status.OK;
}

fn appendFinish(p: ?*anyopaque, err_out: k.ErrOut) callconv(.c) i32 {
    const a = appenderOf(p);
    const settled = settle(a.conn, err_out);
    if (settled != k.Status.OK) return settled;
    if (d.duckdb_appender_close(a.app) != d.Success) return appenderError(a, err_out, true, "duckdb: the rows could not be written");
    a.finished = true;
    return k.Status.OK;
}

fn appendFree(p: ?*anyopaque) callconv(.c) void {
    const a = appenderOf(p);
    _ = settle(a.conn, null);
    if (a.app != null) {
        // Destroying flushes what is buffered: drop it first unless
        // append_finish wrote it.
        if (!a.finished) _ = d.duckdb_appender_clear(a.app);
        _ = d.duckdb_appender_destroy(&a.app);
    }
    free(a);
}

// ---- the table -----------------------------------------------------------------

const table: k.DriverV1 = .{
    // Several cursors may be open at once: a streaming one is read into
    // memory before the connection runs anything else (`settle`).
    .flags = k.DRIVER_URL_NAMES_A_FILE | k.DRIVER_SEVERAL_CURSORS | k.DRIVER_MULTIROW_INSERT,
    .name = "duckdb",
    .schemes = "duckdb",
    .syntax_engine = "DuckDB",
    .placeholder_prefix = "$",
    .connect = connect,
    .conn_free = connFree,
    .conn_ping = ping,
    .conn_server_version = serverVersion,
    .conn_prepare = prepare,
    .conn_begin = begin,
    .conn_commit = commit,
    .conn_rollback = rollback,
    .conn_in_transaction = inTransaction,
    .conn_cancel = cancel,
    .stmt_param_count = paramCount,
    .stmt_bind = bind,
    .stmt_clear_bindings = clearBindings,
    .stmt_execute = execute,
    .stmt_query = query,
    .stmt_free = stmtFree,
    .rows_column_count = columnCount,
    .rows_column = column,
    .rows_next = next,
    .rows_value = value,
    .rows_free = rowsFree,
    .append_open = appendOpen,
    .append_row = appendRow,
    .append_finish = appendFinish,
    .append_free = appendFree,
    .rows_next_chunk = nextChunk,
    .column_types = &column_types,
    .catalog_queries = &catalog_queries,
    .stmt_column_count = stmtColumnCount,
    .stmt_column = stmtColumn,
};

/// The catalog over DuckDB's `duckdb_*()` table functions: each query
/// gives every row of its question with the columns keel.h documents,
/// which keel filters and orders (keel_driver.h, `catalog_queries`).
/// What DuckDB does not keep: the name given to a constraint (it names
/// each itself, two CHECKs on one column alike), an index's sort order,
/// partial indexes, foreign-key actions (it has none: NO ACTION), the
/// length of a VARCHAR(n).
const catalog_queries = blk: {
    var q: [k.Catalog.QUESTIONS]?[*:0]const u8 = undefined;
    q[k.Catalog.CATALOGS] = "SELECT database_name AS catalog_name FROM duckdb_databases()";
    q[k.Catalog.SCHEMAS] = "SELECT database_name AS catalog_name, schema_name FROM duckdb_schemas()";
    q[k.Catalog.TABLES] =
        \\SELECT database_name AS table_catalog, schema_name AS table_schema, table_name,
        \\ CASE WHEN internal OR database_name = 'system' THEN 'SYSTEM TABLE' WHEN temporary THEN 'TEMPORARY'
        \\ ELSE 'TABLE' END AS table_type, comment AS remarks FROM duckdb_tables()
        \\UNION ALL
        \\SELECT database_name, schema_name, view_name,
        \\ CASE WHEN internal OR database_name = 'system' THEN 'SYSTEM TABLE' WHEN temporary THEN 'TEMPORARY'
        \\ ELSE 'VIEW' END, comment FROM duckdb_views()
    ;
    // keel_type as the driver reads the column (kindOf); a generated
    // column is one its table's SQL declares GENERATED ALWAYS AS (DuckDB
    // 1.5 has no flag for it), with its expression not taken for a default.
    q[k.Catalog.COLUMNS] =
        \\SELECT c.database_name AS table_catalog, c.schema_name AS table_schema, c.table_name, c.column_name,
        \\ CAST(c.column_index AS BIGINT) AS ordinal_position,
        \\ CAST(CASE WHEN c.data_type = 'BOOLEAN' THEN 1
        \\  WHEN c.data_type IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER') THEN 2
        \\  WHEN c.data_type = 'UBIGINT' THEN 3 WHEN c.data_type IN ('FLOAT', 'DOUBLE') THEN 4
        \\  WHEN c.data_type = 'VARCHAR' THEN 5 WHEN c.data_type = 'BLOB' THEN 6 WHEN c.data_type = 'DATE' THEN 7
        \\  WHEN c.data_type = 'TIME' THEN 8 WHEN c.data_type IN ('TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS') THEN 9
        \\  WHEN c.data_type = 'TIMESTAMP WITH TIME ZONE' THEN 10 WHEN c.data_type = 'UUID' THEN 11
        \\  WHEN c.data_type = 'JSON' THEN 12
        \\  WHEN c.data_type LIKE 'DECIMAL%' OR c.data_type IN ('HUGEINT', 'UHUGEINT') THEN 13 ELSE 0 END AS BIGINT) AS keel_type,
        \\ c.data_type AS type_name, CAST(c.is_nullable AS BIGINT) AS is_nullable,
        \\ CASE WHEN g.generated THEN NULL ELSE c.column_default END AS column_default,
        \\ CAST(c.character_maximum_length AS BIGINT) AS char_max_length,
        \\ CASE WHEN c.data_type LIKE 'DECIMAL%' THEN CAST(c.numeric_precision AS BIGINT) END AS numeric_precision,
        \\ CASE WHEN c.data_type LIKE 'DECIMAL%' THEN CAST(c.numeric_scale AS BIGINT) END AS numeric_scale,
        \\ CAST(coalesce(c.column_default LIKE 'nextval(%', false) AND NOT g.generated AS BIGINT) AS is_autoincrement,
        \\ CAST(g.generated AS BIGINT) AS is_generated, c.comment AS remarks
        \\FROM duckdb_columns() c LEFT JOIN duckdb_tables() t ON t.table_oid = c.table_oid,
        \\ LATERAL (SELECT ' ' || c.data_type || ' GENERATED ALWAYS AS' AS tail,
        \\  '"' || replace(c.column_name, '"', '""') || '"' AS quoted) x,
        \\ LATERAL (SELECT coalesce(contains(t.sql, '(' || c.column_name || x.tail) OR contains(t.sql, ', ' || c.column_name || x.tail)
        \\  OR contains(t.sql, '(' || x.quoted || x.tail) OR contains(t.sql, ', ' || x.quoted || x.tail), false) AS generated) g
    ;
    q[k.Catalog.PRIMARY_KEYS] =
        \\SELECT database_name AS table_catalog, schema_name AS table_schema, table_name,
        \\ unnest(constraint_column_names) AS column_name,
        \\ CAST(generate_subscripts(constraint_column_names, 1) AS BIGINT) AS key_seq, constraint_name AS pk_name
        \\FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'
    ;
    q[k.Catalog.FOREIGN_KEYS] =
        \\SELECT f.database_name AS fk_catalog, f.schema_name AS fk_schema, f.table_name AS fk_table,
        \\ unnest(f.constraint_column_names) AS fk_column, f.database_name AS pk_catalog, f.schema_name AS pk_schema,
        \\ f.referenced_table AS pk_table, unnest(f.referenced_column_names) AS pk_column,
        \\ CAST(generate_subscripts(f.constraint_column_names, 1) AS BIGINT) AS key_seq,
        \\ 'NO ACTION' AS update_rule, 'NO ACTION' AS delete_rule, f.constraint_name AS fk_name,
        \\ (SELECT k.constraint_name FROM duckdb_constraints() k WHERE k.database_name = f.database_name
        \\  AND k.schema_name = f.schema_name AND k.table_name = f.referenced_table
        \\  AND k.constraint_type IN ('PRIMARY KEY', 'UNIQUE') AND k.constraint_column_names = f.referenced_column_names
        \\  LIMIT 1) AS pk_name,
        \\ 'NOT DEFERRABLE' AS deferrability
        \\FROM duckdb_constraints() f WHERE f.constraint_type = 'FOREIGN KEY'
    ;
    q[k.Catalog.INDEXES] =
        \\SELECT database_name AS table_catalog, schema_name AS table_schema, table_name, index_name,
        \\ CAST(is_unique AS BIGINT) AS is_unique, CAST(is_primary AS BIGINT) AS is_primary,
        \\ CAST(generate_subscripts(string_split(trim(CAST(expressions AS VARCHAR), '[]'), ', '), 1) AS BIGINT) AS ordinal_position,
        \\ unnest(string_split(trim(CAST(expressions AS VARCHAR), '[]'), ', ')) AS column_name,
        \\ CAST(0 AS BIGINT) AS is_descending, CAST(NULL AS VARCHAR) AS filter
        \\FROM duckdb_indexes()
    ;
    q[k.Catalog.UNIQUE_CONSTRAINTS] =
        \\SELECT database_name AS table_catalog, schema_name AS table_schema, table_name, constraint_name,
        \\ CAST(generate_subscripts(constraint_column_names, 1) AS BIGINT) AS key_seq,
        \\ unnest(constraint_column_names) AS column_name
        \\FROM duckdb_constraints() WHERE constraint_type = 'UNIQUE'
    ;
    q[k.Catalog.CHECK_CONSTRAINTS] =
        \\SELECT database_name AS table_catalog, schema_name AS table_schema, table_name, constraint_name,
        \\ expression AS check_clause
        \\FROM duckdb_constraints() WHERE constraint_type = 'CHECK'
    ;
    break :blk q;
};

/// The column type keel's ingest declares for each keel type, by
/// keel_type number (every keel type has one in DuckDB; the decimal's
/// precision and scale are appended by keel).
const column_types = [_]?[*:0]const u8{
    null, // KEEL_TYPE_NULL
    "BOOLEAN",
    "BIGINT",
    "UBIGINT",
    "DOUBLE",
    "VARCHAR",
    "BLOB",
    "DATE",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMPTZ",
    "UUID",
    "JSON",
    "DECIMAL",
};

export fn keel_driver_entry(h: ?*const k.Host) callconv(.c) ?*const k.DriverV1 {
    const hh = h orelse return null;
    if (hh.abi_version != k.ABI_VERSION or hh.error_new == null) return null;
    host = hh;
    return &table;
}

/// The sizes of the keel structs as this driver declares them, for the
/// test that compares them with keel_driver.h.
export fn keel_duckdb_abi_sizes(out: *[9]usize) callconv(.c) void {
    out.* = .{
        @sizeOf(k.DriverV1), @sizeOf(k.Value),  @sizeOf(k.ExecResult), @sizeOf(k.TxOptions), @sizeOf(k.Url),
        @sizeOf(k.Column),   @sizeOf(k.Bytes),  @sizeOf(k.Vector),     @sizeOf(k.Chunk),
    };
}

test {
    _ = d;
}

test "decimal text of every HUGEINT and UHUGEINT" {
    var buf: [TEXT_SIZE]u8 = undefined;
    try std.testing.expectEqualStrings("340282366920938463463374607431768211455", magnitudeText(&buf, false, std.math.maxInt(u128), 0));
    try std.testing.expectEqualStrings("-170141183460469231731687303715884105728", decimalText(&buf, std.math.minInt(i128), 0));
    try std.testing.expectEqualStrings("-0.05", decimalText(&buf, -5, 2));
}

test "the dates, times and timestamps keel has no value for" {
    try std.testing.expect(dateProblem(std.math.maxInt(i32)) != null);
    try std.testing.expect(dateProblem(-std.math.maxInt(i32)) != null);
    try std.testing.expect(dateProblem(std.math.minInt(i32)) != null);
    try std.testing.expect(dateProblem(std.math.maxInt(i32) - 1) == null);
    try std.testing.expect(timestampProblem(std.math.minInt(i64) + 2) == null);
    try std.testing.expect(timestampProblem(std.math.minInt(i64) + 1) != null);
    try std.testing.expect(timeProblem(86_400_000_000) != null);
    try std.testing.expect(timeProblem(86_399_999_999) == null);
}

test "the first word of a transaction statement, after comments" {
    try std.testing.expect(firstWordIs("  begin transaction", &.{ "BEGIN", "START" }));
    try std.testing.expect(firstWordIs("/* tx */ BEGIN", &.{"BEGIN"}));
    try std.testing.expect(firstWordIs("-- why\n\t/* a */ /* b */\nCOMMIT", &.{"COMMIT"}));
    try std.testing.expect(!firstWordIs("/* BEGIN */ ROLLBACK", &.{"BEGIN"}));
    try std.testing.expect(!firstWordIs("-- BEGIN", &.{"BEGIN"}));
    try std.testing.expect(!firstWordIs("/* unterminated BEGIN", &.{"BEGIN"}));
}

test "RETURNING is found as a word only" {
    try std.testing.expect(mentions("INSERT INTO t VALUES (1) RETURNING id", "returning"));
    try std.testing.expect(mentions("delete from t returning*", "returning"));
    try std.testing.expect(mentions("UPDATE t SET s = 'returning'", "returning"));
    try std.testing.expect(!mentions("INSERT INTO returning_log VALUES (1)", "returning"));
    try std.testing.expect(!mentions("UPDATE t SET nonreturning = 1", "returning"));
    try std.testing.expect(!mentions("DELETE FROM order_returnings", "returning"));
}
