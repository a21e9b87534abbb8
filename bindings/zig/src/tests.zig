//! The binding's suite, through the public `keel` module only.
//!
//! Every test that needs a database runs once per engine: SQLite always
//! (in memory), PostgreSQL and MySQL when `KEEL_TEST_POSTGRES_URL` /
//! `KEEL_TEST_MYSQL_URL` are set and `keel.driverAvailable` says the
//! library has the driver. Engine differences (DDL spellings, what each
//! reports) live in `Quirks`. (`src/c.zig` is generated from
//! `include/keel.json` by `bindings/generate.py`; `make test` checks that.)

const std = @import("std");
const keel = @import("keel");

const testing = std.testing;
const gpa = testing.allocator;

// ---------------------------------------------------------------------
// Engines

const Engine = enum { sqlite, postgres, mysql };

const Quirks = struct {
    engine: Engine,
    driver: []const u8,
    url_env: ?[]const u8,
    dialect: keel.Dialect,
    id_pk: []const u8,
    blob: []const u8,
    time: []const u8,
    timestamp: []const u8,
    timestamptz: []const u8,
    uuid: []const u8,
    json: []const u8,
    /// Whether exec reports the id of an inserted row.
    has_last_insert_id: bool,
    /// Whether the engine has its own error numbers (PostgreSQL uses SQLSTATE only).
    has_vendor_code: bool,
};

fn quirks(e: Engine) Quirks {
    return switch (e) {
        .sqlite => .{
            .engine = .sqlite,
            .driver = "sqlite",
            .url_env = null,
            .dialect = .sqlite,
            .id_pk = "INTEGER PRIMARY KEY",
            .blob = "BLOB",
            .time = "TIME",
            .timestamp = "TIMESTAMP",
            .timestamptz = "TIMESTAMPTZ",
            .uuid = "UUID",
            .json = "JSON",
            .has_last_insert_id = true,
            .has_vendor_code = true,
        },
        .postgres => .{
            .engine = .postgres,
            .driver = "postgres",
            .url_env = "KEEL_TEST_POSTGRES_URL",
            .dialect = .postgres,
            .id_pk = "BIGSERIAL PRIMARY KEY",
            .blob = "BYTEA",
            .time = "TIME",
            .timestamp = "TIMESTAMP",
            .timestamptz = "TIMESTAMPTZ",
            .uuid = "UUID",
            .json = "JSONB",
            .has_last_insert_id = false,
            .has_vendor_code = false,
        },
        .mysql => .{
            .engine = .mysql,
            .driver = "mysql",
            .url_env = "KEEL_TEST_MYSQL_URL",
            .dialect = .mysql,
            .id_pk = "BIGINT AUTO_INCREMENT PRIMARY KEY",
            .blob = "LONGBLOB",
            .time = "TIME(6)",
            .timestamp = "DATETIME(6)",
            .timestamptz = "TIMESTAMP(6)",
            .uuid = "CHAR(36)",
            .json = "JSON",
            .has_last_insert_id = true,
            .has_vendor_code = true,
        },
    };
}

/// What a test case gets: a pool, a connection from it, diagnostics wired
/// into both, and the engine's quirks.
const Env = struct {
    db: *keel.Db,
    conn: *keel.Conn,
    diags: *keel.Diagnostics,
    q: Quirks,

    /// `CREATE TEMPORARY TABLE name (cols)`, with `{id}` etc. replaced by
    /// the engine's spelling.
    fn createTemp(env: Env, name: []const u8, comptime cols: []const u8) !void {
        const sql = try expand(env.q, "CREATE TEMPORARY TABLE {s} (" ++ cols ++ ")", name);
        defer gpa.free(sql);
        _ = try env.conn.exec(sql, .{});
    }
};

/// Replace the markers `{id}`, `{blob}`, `{time}`, `{ts}`, `{tstz}`,
/// `{uuid}`, `{json}` and the table name `{s}`.
fn expand(q: Quirks, comptime template: []const u8, name: []const u8) ![]u8 {
    const pairs = [_][2][]const u8{
        .{ "{id}", q.id_pk },   .{ "{blob}", q.blob },       .{ "{time}", q.time },
        .{ "{ts}", q.timestamp }, .{ "{tstz}", q.timestamptz }, .{ "{uuid}", q.uuid },
        .{ "{json}", q.json },  .{ "{s}", name },
    };
    var s = try gpa.dupe(u8, template);
    for (pairs) |p| {
        const next = try std.mem.replaceOwned(u8, gpa, s, p[0], p[1]);
        gpa.free(s);
        s = next;
    }
    return s;
}

var skip_noted: [3]bool = @splat(false);

fn engineUrl(e: Engine) ?[]const u8 {
    const q = quirks(e);
    const name = q.url_env orelse return "sqlite::memory:";
    const url = testing.environ.getPosix(name) orelse {
        noteSkip(e, "{s} is not set", .{name});
        return null;
    };
    if (url.len == 0) {
        noteSkip(e, "{s} is empty", .{name});
        return null;
    }
    if (!keel.driverAvailable(q.driver)) {
        noteSkip(e, "the {s} driver is not built into this libkeel", .{q.driver});
        return null;
    }
    return url;
}

/// Whether `KEEL_TEST_REQUIRE` (comma-separated engine names, which
/// `make test` sets for the servers it starts) names `e`.
fn required(e: Engine) bool {
    const list = testing.environ.getPosix("KEEL_TEST_REQUIRE") orelse return false;
    var it = std.mem.tokenizeScalar(u8, list, ',');
    while (it.next()) |name| {
        if (std.mem.eql(u8, std.mem.trim(u8, name, " "), @tagName(e))) return true;
    }
    return false;
}

fn noteSkip(e: Engine, comptime fmt: []const u8, args: anytype) void {
    if (required(e)) {
        std.debug.print("{t} is required (KEEL_TEST_REQUIRE) but " ++ fmt ++ "\n", .{e} ++ args);
        @panic("a required server is missing");
    }
    if (skip_noted[@intFromEnum(e)]) return;
    skip_noted[@intFromEnum(e)] = true;
    std.debug.print("skipped {t}: " ++ fmt ++ "\n", .{e} ++ args);
}

/// Run `case` once per available engine. SQLite must always work.
fn forEngines(comptime case: fn (Env) anyerror!void) !void {
    var failed: ?anyerror = null;
    for (std.enums.values(Engine)) |e| {
        const url = engineUrl(e) orelse continue;
        runOn(e, url, case) catch |err| {
            std.debug.print("[{t}] failed: {t}\n", .{ e, err });
            failed = err;
        };
    }
    if (failed) |err| return err;
}

fn runOn(e: Engine, url: []const u8, comptime case: fn (Env) anyerror!void) !void {
    var diags: keel.Diagnostics = .{};
    var db = keel.Db.open(gpa, url, .{ .diags = &diags }) catch |err| {
        std.debug.print("[{t}] open: {f}\n", .{ e, diags });
        return err;
    };
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();
    case(.{ .db = &db, .conn = &conn, .diags = &diags, .q = quirks(e) }) catch |err| {
        if (diags.status != .ok) std.debug.print("[{t}] last diagnostics: {f}\n", .{ e, diags });
        return err;
    };
}

/// `SELECT COUNT(*) FROM table`, read to the end of the result (so this
/// does not depend on freeing a cursor early, which has its own test).
fn countRows(c: *const keel.Conn, comptime table: []const u8) !i64 {
    var rows = try c.query("SELECT COUNT(*) FROM " ++ table, .{});
    defer rows.deinit();
    const n = try (try rows.next()).?.get(i64, 0);
    try testing.expectEqual(@as(?keel.Row, null), try rows.next());
    return n;
}

// ---------------------------------------------------------------------
// Cases

test "loading a driver that is not there says why" {
    var diags: keel.Diagnostics = .{};
    try testing.expectError(error.NotFound, keel.loadDriver("/nonexistent/libkeel-driver-nothing.so", &diags));
    try testing.expect(std.mem.indexOf(u8, diags.message(), "cannot load the driver library") != null);
}

extern fn getenv(name: [*:0]const u8) ?[*:0]const u8;

test "a driver loaded by path opens a duckdb: URL" {
    // keel's DuckDB driver in Zig (drivers/duckdb-zig); make test builds
    // it and names it in KEEL_TEST_DUCKDB_DRIVER.
    const path = getenv("KEEL_TEST_DUCKDB_DRIVER") orelse {
        const req = std.mem.span(getenv("KEEL_TEST_REQUIRE") orelse "");
        var it = std.mem.splitScalar(u8, req, ',');
        while (it.next()) |e| if (std.mem.eql(u8, e, "duckdb")) return error.DuckdbRequiredButKeelTestDuckdbDriverUnset;
        return error.SkipZigTest;
    };
    var diags: keel.Diagnostics = .{};
    if (!keel.driverAvailable("duckdb")) try keel.loadDriver(std.mem.span(path), &diags);
    try testing.expectError(error.AlreadyExists, keel.loadDriver(std.mem.span(path), &diags));
    var db = try keel.Db.open(gpa, "duckdb::memory:", .{});
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();
    var rows = try conn.query("SELECT ? + 1 AS n, 'zig' AS s", .{@as(i64, 41)});
    defer rows.deinit();
    const row = (try rows.next()).?;
    try testing.expectEqual(@as(i64, 42), try row.get(i64, 0));
    try testing.expectEqualStrings("zig", try row.get([]const u8, 1));
}

test "library version matches the header the binding mirrors" {
    try testing.expect(keel.version().len > 0);
    try testing.expectEqual(keel.header_version_number, keel.versionNumber());
    try testing.expect(keel.driverAvailable("sqlite"));
    try testing.expect(!keel.driverAvailable("no-such-engine"));
    try testing.expect(!keel.driverAvailable("sql\x00ite"));
    try testing.expect(keel.Status.busy.text().len > 0);
}

test "the KEEL_OPTION_ constants are the keys the library takes" {
    const c = keel.c;
    const open = struct {
        fn status(key: [*:0]const u8, value: [*:0]const u8) c.keel_status {
            const opts = [_]c.keel_option{.{ .key = key, .value = value }};
            var db: ?*c.keel_db = null;
            const s = c.keel_db_open_options("sqlite::memory:", &opts, opts.len, &db, null);
            c.keel_db_free(db);
            return s;
        }
    };
    try testing.expectEqual(c.KEEL_STATUS_OK, open.status(c.KEEL_OPTION_POOL_MAX_OPEN, "3"));
    try testing.expectEqual(c.KEEL_STATUS_OK, open.status(c.KEEL_OPTION_BUSY_TIMEOUT_MS, "100"));
    // PostgreSQL's key is not SQLite's: refused.
    try testing.expectEqual(c.KEEL_STATUS_INVALID_ARGUMENT, open.status(c.KEEL_OPTION_SSLMODE, "require"));
}

test "an Arrow C stream read through the raw declarations" {
    const c = keel.c;
    var db: ?*c.keel_db = null;
    try testing.expectEqual(c.KEEL_STATUS_OK, c.keel_db_open("sqlite::memory:?arrow_batch_rows=2", &db, null));
    defer c.keel_db_free(db);
    var stream: c.ArrowArrayStream = undefined;
    const sql = "SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3";
    try testing.expectEqual(c.KEEL_STATUS_OK, c.keel_db_query_arrow(db, sql, null, 0, &stream, null));
    defer stream.release.?(&stream);
    var schema: c.ArrowSchema = undefined;
    try testing.expectEqual(@as(c_int, 0), stream.get_schema.?(&stream, &schema));
    try testing.expectEqual(@as(i64, 1), schema.n_children);
    try testing.expectEqualStrings("l", std.mem.span(schema.children.?[0].format.?));
    schema.release.?(&schema);
    var sum: i64 = 0;
    var batches: usize = 0;
    while (true) {
        var batch: c.ArrowArray = undefined;
        try testing.expectEqual(@as(c_int, 0), stream.get_next.?(&stream, &batch));
        const release = batch.release orelse break; // the end of the stream
        defer release(&batch);
        batches += 1;
        const col = batch.children.?[0];
        const values: [*]const i64 = @ptrCast(@alignCast(col.buffers.?[1].?));
        for (0..@intCast(batch.length)) |i| sum += values[@as(usize, @intCast(col.offset)) + i];
    }
    try testing.expectEqual(@as(i64, 6), sum);
    try testing.expectEqual(@as(usize, 2), batches);
}

test "Rows.arrowStream streams the rows the cursor has not read" {
    const c = keel.c;
    var db = try keel.Db.open(testing.allocator, "sqlite::memory:", .{});
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();
    var rows = try conn.query("SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT ?", .{@as(i64, 4)});
    defer rows.deinit();
    const first = (try rows.next()).?;
    try testing.expectEqual(@as(i64, 1), try first.get(i64, 0));
    var stream = try rows.arrowStream();
    defer stream.release.?(&stream);
    // The cursor is left empty.
    try testing.expectError(error.InvalidState, rows.next());
    var sum: i64 = 0;
    while (true) {
        var batch: c.ArrowArray = undefined;
        try testing.expectEqual(@as(c_int, 0), stream.get_next.?(&stream, &batch));
        const release = batch.release orelse break;
        defer release(&batch);
        const col = batch.children.?[0];
        const values: [*]const i64 = @ptrCast(@alignCast(col.buffers.?[1].?));
        for (0..@intCast(batch.length)) |i| sum += values[@as(usize, @intCast(col.offset)) + i];
    }
    try testing.expectEqual(@as(i64, 2 + 3 + 4), sum);
}

test "Conn.ingest loads a stream, in the mode asked for" {
    var db = try keel.Db.open(testing.allocator, "sqlite::memory:", .{});
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();
    var stream = try conn.queryArrow("SELECT 1 AS n, 'a' AS s UNION ALL SELECT 2, NULL", .{});
    try testing.expectEqual(@as(u64, 2), try conn.ingest("loaded", &stream, .create));
    try testing.expect(stream.release == null); // taken and released
    var again = try conn.queryArrow("SELECT 3 AS n, 'c' AS s", .{});
    try testing.expectError(error.AlreadyExists, conn.ingest("loaded", &again, .create));
    try testing.expect(again.release == null);
    var more = try conn.queryArrow("SELECT 3 AS n, 'c' AS s", .{});
    try testing.expectEqual(@as(u64, 1), try conn.ingest("loaded", &more, .append));
    try testing.expectEqual(@as(?i64, 6), try conn.queryOne(i64, testing.allocator, "SELECT sum(n) FROM loaded", .{}));
}

test "a NUL byte in an ingest table name, catalog name or driver path is refused before keel" {
    var diags: keel.Diagnostics = .{};
    var db = try keel.Db.open(testing.allocator, "sqlite::memory:", .{ .diags = &diags });
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();
    _ = try conn.exec("CREATE TABLE nul_a (x INTEGER PRIMARY KEY, y INT UNIQUE CHECK (y > 0))", .{});
    // Cut at the NUL, C would append to nul_a.
    var stream = try conn.queryArrow("SELECT 1 AS x", .{});
    try testing.expectError(error.InvalidArgument, conn.ingest("nul_a\x00_other", &stream, .append));
    try testing.expectEqualStrings("table name contains a NUL byte at offset 5", diags.message());
    try testing.expectEqual(keel.RetrySafety.not_sent, diags.retry_safety);
    try testing.expect(stream.release == null); // released, as keel would have
    try testing.expectEqual(@as(?i64, 0), try conn.queryOne(i64, testing.allocator, "SELECT COUNT(*) FROM nul_a", .{}));
    // Cut there, each would find nul_a.
    const cut: [:0]const u8 = "nul_a\x00zzz";
    try testing.expectError(error.InvalidArgument, conn.tables(.{ .table = cut }));
    try testing.expectEqualStrings("table pattern contains a NUL byte at offset 5", diags.message());
    try testing.expectError(error.InvalidArgument, conn.tables(.{ .schema = "main\x00x" }));
    try testing.expectError(error.InvalidArgument, conn.tables(.{ .catalog = "main\x00x" }));
    try testing.expectError(error.InvalidArgument, conn.tables(.{ .types = "TABLE\x00,VIEW" }));
    try testing.expectError(error.InvalidArgument, conn.columns(.{ .table = cut }));
    try testing.expectError(error.InvalidArgument, conn.columns(.{ .table = "nul_a", .column = "x\x00" }));
    try testing.expectEqualStrings("column pattern contains a NUL byte at offset 1", diags.message());
    try testing.expectError(error.InvalidArgument, conn.schemas("main\x00x"));
    try testing.expectError(error.InvalidArgument, conn.primaryKeys(null, cut));
    try testing.expectError(error.InvalidArgument, conn.primaryKeys("main\x00x", "nul_a"));
    try testing.expectEqualStrings("schema name contains a NUL byte at offset 4", diags.message());
    try testing.expectError(error.InvalidArgument, conn.foreignKeys(null, cut, .imported));
    try testing.expectError(error.InvalidArgument, conn.indexes(null, cut));
    try testing.expectError(error.InvalidArgument, conn.uniqueConstraints(null, cut));
    try testing.expectError(error.InvalidArgument, conn.checkConstraints(null, cut));
    // Without the NUL the same calls find the table.
    var t = try conn.tables(.{ .table = "nul_a" });
    defer t.deinit();
    try testing.expect((try t.next()) != null);
    // Cut there, C would try to load /nonexistent (error.NotFound).
    try testing.expectError(error.InvalidArgument, keel.loadDriver("/nonexistent\x00/libkeel-driver.so", &diags));
    try testing.expectEqualStrings("driver path contains a NUL byte at offset 12", diags.message());
}

test "README: cancel, batches and pool stats through keel.c and the wrappers' handles" {
    var db = try keel.Db.open(gpa, "sqlite::memory:", .{});
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();
    _ = try conn.exec("CREATE TABLE nums (n INTEGER)", .{});
    // keel.c with the wrappers' handles: pool statistics, a batch, a cancel handle.
    var stats: keel.c.keel_pool_stats = .{ .size = @sizeOf(keel.c.keel_pool_stats) };
    var st = keel.c.keel_db_stats(db.handle, &stats, null);
    if (st != keel.c.KEEL_STATUS_OK) return keel.errorFromStatus(st);

    var ins = try conn.prepare("INSERT INTO nums (n) VALUES (?)");
    defer ins.deinit();
    var batch: [3]keel.c.keel_value = undefined; // 3 rows of 1 parameter, row after row
    for (&batch, 0..) |*v, i| v.* = .{ .kind = keel.c.KEEL_TYPE_INT64, .int_value = @intCast(i), .uint_value = 0, .double_value = 0, .data = null, .len = 0 };
    var result: keel.c.keel_exec_result = .{ .size = @sizeOf(keel.c.keel_exec_result) };
    st = keel.c.keel_stmt_execute_batch(ins.handle, &batch, batch.len, 1, &result, null);
    if (st != keel.c.KEEL_STATUS_OK) return keel.errorFromStatus(st);

    var cancel: ?*keel.c.keel_cancel = null;
    st = keel.c.keel_conn_cancel_handle(conn.handle, &cancel, null);
    if (st != keel.c.KEEL_STATUS_OK) return keel.errorFromStatus(st);
    defer keel.c.keel_cancel_free(cancel);
    // Another thread calls keel.c.keel_cancel_request(cancel, null) to stop
    // the statement conn is running.

    try testing.expectEqual(@as(u64, 1), stats.in_use);
    try testing.expectEqual(@as(u64, 3), result.rows_affected);
    try testing.expectEqual(@as(?i64, 3), try conn.queryOne(i64, gpa, "SELECT sum(n) FROM nums", .{}));
    try testing.expect(cancel != null);
}

test "README: an Arrow stream keeps its connection busy where there is one cursor at a time" {
    for (std.enums.values(Engine)) |e| {
        const url = engineUrl(e) orelse continue;
        // Batches of 2 rows, so the stream has rows left to read.
        var db = try keel.Db.open(gpa, url, .{ .options = &.{.{ .key = "arrow_batch_rows", .value = "2" }} });
        defer db.deinit();
        var conn = try db.checkout();
        defer conn.deinit();
        var stream = try conn.queryArrow("SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5", .{});
        var released = false;
        defer if (!released) stream.release.?(&stream);
        if (try conn.supports(.several_cursors)) {
            _ = try conn.exec("SELECT 1", .{});
        } else {
            try testing.expectError(error.InvalidState, conn.exec("SELECT 1", .{}));
        }
        stream.release.?(&stream);
        released = true;
        _ = try conn.exec("SELECT 1", .{});
    }
}

test "build.zig.zon carries the library's version" {
    var buf: [64]u8 = undefined;
    const line = try std.fmt.bufPrint(&buf, ".version = \"{s}\",", .{keel.version()});
    try testing.expect(std.mem.find(u8, @embedFile("build_zig_zon"), line) != null);
}

test "a connection pings and reports its engine" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.conn.ping();
            try testing.expectEqual(env.q.dialect, env.conn.dialect());
            try testing.expectEqual(env.q.dialect, env.db.dialect());
            const v = try env.conn.serverVersion();
            try testing.expect(v.len > 0);
            try testing.expect(!env.conn.inTransaction());
        }
    }.run);
}

test "exec and query with typed parameters and typed reads" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("people", "id {id}, name TEXT NOT NULL, height_m DOUBLE PRECISION, active BOOLEAN, note TEXT");
            const names = [_][]const u8{ "Ada", "Grace", "Edsger" };
            const heights = [_]f64{ 1.65, 1.52, 1.88 };
            for (names, heights, 0..) |n, h, i| {
                const r = try env.conn.exec(
                    "INSERT INTO people (name, height_m, active, note) VALUES (?, ?, ?, ?)",
                    .{ n, h, i != 1, if (i == 2) @as(?[]const u8, "tall") else null },
                );
                try testing.expectEqual(@as(u64, 1), r.rows_affected);
                if (env.q.has_last_insert_id) try testing.expectEqual(@as(?i64, @intCast(i + 1)), r.last_insert_id);
            }
            var rows = try env.conn.query("SELECT id, name, height_m, active, note FROM people WHERE height_m > ? ORDER BY id", .{1.6});
            defer rows.deinit();
            try testing.expectEqual(@as(usize, 5), rows.columnCount());

            const first = (try rows.next()).?;
            try testing.expectEqual(@as(i64, 1), try first.get(i64, 0));
            try testing.expectEqualStrings("Ada", try first.get([]const u8, 1));
            try testing.expectEqual(@as(f64, 1.65), try first.get(f64, 2));
            try testing.expectEqual(true, try first.get(bool, 3));
            try testing.expectEqual(@as(?[]const u8, null), try first.get(?[]const u8, 4));
            try testing.expect(try first.isNull(4));

            const second = (try rows.next()).?;
            try testing.expectEqual(@as(u8, 3), try second.get(u8, 0));
            try testing.expectEqualStrings("Edsger", try second.get([:0]const u8, 1));
            try testing.expectEqualStrings("tall", (try second.get(?[]const u8, 4)).?);

            try testing.expectEqual(@as(?keel.Row, null), try rows.next());
            try testing.expectEqual(@as(?keel.Row, null), try rows.next()); // and after the end
        }
    }.run);
}

test "integers are read exactly or not at all" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("nums", "v BIGINT");
            _ = try env.conn.exec("INSERT INTO nums (v) VALUES (?)", .{300});
            _ = try env.conn.exec("INSERT INTO nums (v) VALUES (?)", .{@as(i32, -5)});
            _ = try env.conn.exec("INSERT INTO nums (v) VALUES (?)", .{@as(u32, std.math.maxInt(u32))});
            var rows = try env.conn.query("SELECT v FROM nums ORDER BY v", .{});
            defer rows.deinit();

            const neg = (try rows.next()).?;
            try testing.expectEqual(@as(i8, -5), try neg.get(i8, 0));
            try testing.expectError(error.InvalidData, neg.get(u64, 0));
            try testing.expectError(error.InvalidData, neg.get(u8, 0));

            const mid = (try rows.next()).?;
            try testing.expectEqual(@as(i16, 300), try mid.get(i16, 0));
            env.diags.clear();
            try testing.expectError(error.InvalidData, mid.get(u8, 0));
            try testing.expectEqual(keel.Status.invalid_data, env.diags.status);
            try testing.expect(std.mem.find(u8, env.diags.message(), "u8") != null);
            try testing.expectError(error.InvalidData, mid.get(i8, 0));
            try testing.expectEqual(@as(f64, 300), try mid.get(f64, 0));

            const big = (try rows.next()).?;
            try testing.expectEqual(@as(u32, std.math.maxInt(u32)), try big.get(u32, 0));
            try testing.expectError(error.InvalidData, big.get(i32, 0));
        }
    }.run);
}

test "SQLite refuses a u64 it cannot store, with SQLSTATE 22003" {
    var diags: keel.Diagnostics = .{};
    var db = try keel.Db.open(gpa, "sqlite::memory:", .{ .diags = &diags });
    defer db.deinit();
    _ = try db.exec("CREATE TABLE u (v INTEGER)", .{});
    _ = try db.exec("INSERT INTO u (v) VALUES (?)", .{@as(u64, std.math.maxInt(i64))});
    try testing.expectError(error.InvalidArgument, db.exec("INSERT INTO u (v) VALUES (?)", .{@as(u64, std.math.maxInt(u64))}));
    try testing.expectEqualStrings("22003", diags.sqlstate());
}

test "NULL, optionals and the null literal" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("maybe", "a BIGINT, b TEXT, c DOUBLE PRECISION");
            const none: ?i64 = null;
            const some: ?[]const u8 = "x";
            _ = try env.conn.exec("INSERT INTO maybe (a, b, c) VALUES (?, ?, ?)", .{ none, some, null });
            _ = try env.conn.exec("INSERT INTO maybe (a, b, c) VALUES (?, ?, ?)", .{ @as(?i64, 7), @as(?[]const u8, null), @as(?f64, 2.5) });
            var rows = try env.conn.query("SELECT a, b, c FROM maybe ORDER BY a", .{});
            defer rows.deinit();
            // NULLs sort first on SQLite/MySQL and last on PostgreSQL: read both
            // rows and sort them out by content.
            var saw_null_row = false;
            var saw_value_row = false;
            while (try rows.next()) |row| {
                if (try row.get(?i64, 0)) |a| {
                    try testing.expectEqual(@as(i64, 7), a);
                    try testing.expectEqual(@as(?[]const u8, null), try row.get(?[]const u8, 1));
                    try testing.expectEqual(@as(?f64, 2.5), try row.get(?f64, 2));
                    saw_value_row = true;
                } else {
                    try testing.expectError(error.InvalidData, row.get(i64, 0));
                    try testing.expectEqualStrings("x", (try row.get(?[]const u8, 1)).?);
                    try testing.expectEqual(@as(?f64, null), try row.get(?f64, 2));
                    saw_null_row = true;
                }
            }
            try testing.expect(saw_null_row and saw_value_row);
        }
    }.run);
}

test "borrowed text lives until next(); getAlloc copies outlive it" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("words", "w TEXT");
            for ([_][]const u8{ "alpha", "beta", "ünïcödé" }) |w| _ = try env.conn.exec("INSERT INTO words (w) VALUES (?)", .{w});
            var rows = try env.conn.query("SELECT w FROM words ORDER BY w", .{});
            defer rows.deinit();
            var copies: [3][]u8 = undefined;
            var zs: [3][:0]const u8 = undefined;
            var n: usize = 0;
            while (try rows.next()) |row| : (n += 1) {
                const borrowed = try row.get([]const u8, 0);
                copies[n] = try row.getAlloc(gpa, []u8, 0);
                zs[n] = try row.getAlloc(gpa, [:0]const u8, 0);
                try testing.expectEqualStrings(borrowed, copies[n]);
            }
            defer for (copies[0..n], zs[0..n]) |a, b| {
                gpa.free(a);
                gpa.free(b);
            };
            try testing.expectEqual(@as(usize, 3), n);
            try testing.expectEqualStrings("alpha", copies[0]);
            try testing.expectEqualStrings("beta", zs[1]);
            try testing.expectEqualStrings("ünïcödé", copies[2]);
            // After the end there is no current row to read.
            const stale: keel.Row = .{ .handle = rows.handle, .diags = null };
            try testing.expectError(error.InvalidState, stale.getAlloc(gpa, ?[]u8, 0));
        }
    }.run);
}

test "a Row kept past rows.next() is refused, not read from the new row" {
    try forEngines(struct {
        fn run(env: Env) !void {
            var rows = try env.conn.query("SELECT 300 AS n UNION ALL SELECT -1", .{});
            defer rows.deinit();
            const first = (try rows.next()).?;
            try testing.expectEqual(@as(i64, 300), try first.get(i64, 0));
            const second = (try rows.next()).?;
            // C has one current row per cursor: `first` would read -1 now.
            try testing.expectError(error.InvalidState, first.get(i64, 0));
            try testing.expect(std.mem.find(u8, env.diags.message(), "stale") != null);
            try testing.expectEqualStrings("keel", env.diags.driver());
            try testing.expectError(error.InvalidState, first.get(?i64, 0));
            try testing.expectError(error.InvalidState, first.isNull(0));
            try testing.expectError(error.InvalidState, first.getAlloc(gpa, []u8, 0));
            const N = struct { n: i64 };
            try testing.expectError(error.InvalidState, first.scan(N));
            try testing.expectError(error.InvalidState, first.scanAlloc(gpa, N));
            // A struct with no column to read is refused as well.
            try testing.expectError(error.InvalidState, first.scan(struct { none: ?i64 }));
            // The current row reads as ever, and a copy of it is the same row.
            try testing.expectEqual(@as(i64, -1), try second.get(i64, 0));
            const copy = second;
            try testing.expectEqual(N{ .n = -1 }, try copy.scan(N));
            // Past the end (and after any later next), no row read before is live.
            try testing.expectEqual(@as(?keel.Row, null), try rows.next());
            try testing.expectError(error.InvalidState, second.get(i64, 0));
            try testing.expectError(error.InvalidState, copy.isNull(0));
        }
    }.run);
}

test "blobs round-trip byte for byte" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("blobs", "b {blob}");
            const data = [_]u8{ 0, 1, 2, 0xff, 0, 'z' };
            _ = try env.conn.exec("INSERT INTO blobs (b) VALUES (?)", .{keel.Blob{ .data = &data }});
            _ = try env.conn.exec("INSERT INTO blobs (b) VALUES (?)", .{keel.Blob{ .data = "" }});
            var rows = try env.conn.query("SELECT b FROM blobs ORDER BY LENGTH(b) DESC", .{});
            defer rows.deinit();
            const row = (try rows.next()).?;
            try testing.expectEqualSlices(u8, &data, (try row.get(keel.Blob, 0)).data);
            const copy = try row.getAlloc(gpa, keel.Blob, 0);
            defer gpa.free(copy.data);
            try testing.expectEqualSlices(u8, &data, copy.data);
            const empty = (try rows.next()).?;
            try testing.expectEqual(@as(usize, 0), (try empty.get(keel.Blob, 0)).data.len);
        }
    }.run);
}

test "a BLOB reads as []const u8, byte for byte; text still reads as text" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("blobs2", "b {blob}, t TEXT");
            const data = [_]u8{ 0, 0xfe, 'a', 0 };
            _ = try env.conn.exec("INSERT INTO blobs2 (b, t) VALUES (?, ?)", .{ keel.Blob{ .data = &data }, "text" });
            var rows = try env.conn.query("SELECT b, t FROM blobs2", .{});
            defer rows.deinit();
            const row = (try rows.next()).?;
            try testing.expectEqualSlices(u8, &data, try row.get([]const u8, 0));
            try testing.expectEqualStrings("text", try row.get([]const u8, 1));
            const copy = try row.getAlloc(gpa, []const u8, 0);
            defer gpa.free(copy);
            try testing.expectEqualSlices(u8, &data, copy);
            const Pair = struct { b: []const u8, t: []const u8 };
            const p = try row.scan(Pair);
            try testing.expectEqualSlices(u8, &data, p.b);
            // keel.Blob reads only bytes: not text, and not NULL.
            try testing.expectEqualSlices(u8, &data, (try row.get(keel.Blob, 0)).data);
            try testing.expectError(error.InvalidData, row.get(keel.Blob, 1));
            try testing.expectError(error.InvalidData, row.getAlloc(gpa, keel.Blob, 1));
        }
    }.run);
    // An expression's value on SQLite has no declared type: its own says BLOB.
    var db = try keel.Db.open(gpa, "sqlite::memory:", .{});
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();
    var rows = try conn.query("SELECT X'00FF10'", .{});
    defer rows.deinit();
    try testing.expectEqualSlices(u8, &.{ 0, 0xff, 0x10 }, try (try rows.next()).?.get([]const u8, 0));
}

test "scanAlloc and queryRow give an owned struct, with renamed fields" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("people2", "id {id}, full_name TEXT NOT NULL, photo {blob}, note TEXT");
            _ = try env.conn.exec("INSERT INTO people2 (full_name, photo, note) VALUES (?, ?, ?)", .{ "Ada Lovelace", keel.Blob{ .data = "\x89PNG" }, null });
            const Person = struct {
                id: i64,
                name: []const u8,
                photo: keel.Blob,
                note: ?[]const u8,
                title: []const u8 = "Countess", // no column: a copy of the default
                pub const keel_columns = .{ .name = "full_name" };
            };
            const ada = (try env.conn.queryRow(Person, gpa, "SELECT id, full_name, photo, note FROM people2", .{})).?;
            // std.testing.allocator fails the test if freeScanned misses one.
            defer keel.freeScanned(gpa, ada);
            // The cursor is gone; the copies stay.
            _ = try env.conn.exec("UPDATE people2 SET full_name = ?", .{"overwritten"});
            try testing.expectEqualStrings("Ada Lovelace", ada.name);
            try testing.expectEqualSlices(u8, "\x89PNG", ada.photo.data);
            try testing.expectEqual(@as(?[]const u8, null), ada.note);
            try testing.expectEqualStrings("Countess", ada.title);
            try testing.expectEqual(@as(?Person, null), try env.conn.queryRow(Person, gpa, "SELECT id, full_name, photo, note FROM people2 WHERE id < 0", .{}));

            // scan renames too, and a missing renamed column names the column.
            var rows = try env.conn.query("SELECT id, full_name, photo, note FROM people2", .{});
            defer rows.deinit();
            const row = (try rows.next()).?;
            const borrowed = try row.scan(Person);
            try testing.expectEqualStrings("overwritten", borrowed.name);
            const owned = try row.scanAlloc(gpa, Person);
            keel.freeScanned(gpa, owned);
            try testing.expectError(error.InvalidArgument, row.scan(struct {
                who: []const u8,
                pub const keel_columns = .{ .who = "author" };
            }));
            try testing.expect(std.mem.find(u8, env.diags.message(), "author") != null);
            // A failure part way frees what was copied (the allocator checks).
            try testing.expectError(error.InvalidArgument, row.scanAlloc(gpa, struct { full_name: []const u8, salary: i64 }));
        }
    }.run);
}

test "Db.Options: pool settings and key/value options" {
    var diags: keel.Diagnostics = .{};
    var db = try keel.Db.open(gpa, "sqlite::memory:", .{
        .diags = &diags,
        .pool = .{ .max_open = 1, .acquire_timeout_ms = 50, .stmt_cache_size = 4 },
        .options = &.{.{ .key = "busy_timeout_ms", .value = "100" }},
    });
    defer db.deinit();
    var first = try db.checkout();
    defer first.deinit();
    // max_open = 1: a second checkout waits acquire_timeout_ms, then fails.
    try testing.expectError(error.Timeout, db.checkout());
    // An unknown key or a bad value is refused by keel.
    try testing.expectError(error.InvalidArgument, keel.Db.open(gpa, "sqlite::memory:", .{ .diags = &diags, .options = &.{.{ .key = "no_such_option", .value = "1" }} }));
    try testing.expect(std.mem.find(u8, diags.message(), "no_such_option") != null);
    try testing.expectError(error.InvalidArgument, keel.Db.open(gpa, "sqlite::memory:", .{ .options = &.{.{ .key = "busy_timeout_ms", .value = "soon" }} }));
    // Given twice in the options is an error too.
    try testing.expectError(error.InvalidArgument, keel.Db.open(gpa, "sqlite::memory:", .{ .pool = .{ .max_open = 1 }, .options = &.{.{ .key = "pool_max_open", .value = "2" }} }));
    // A NUL byte in an option is refused before keel is called.
    try testing.expectError(error.InvalidArgument, keel.Db.open(gpa, "sqlite::memory:", .{ .options = &.{.{ .key = "busy_timeout_ms", .value = "1\x002" }} }));
}

test "dates, times, timestamps and uuids round-trip" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("moments", "d DATE, t {time}, ts {ts}, tz {tstz}, u {uuid}");
            const d = keel.Date.fromCivil(2024, 2, 29);
            const t = keel.Time.fromHms(13, 45, 30, 123456);
            const ts = keel.Timestamp.fromParts(keel.Date.fromCivil(1999, 12, 31), keel.Time.fromHms(23, 59, 59, 500000));
            const tz: keel.TimestampTz = .{ .micros = 1_700_000_000_123_456 };
            const u = try keel.Uuid.parse("123e4567-e89b-12d3-a456-426614174000");
            _ = try env.conn.exec("INSERT INTO moments (d, t, ts, tz, u) VALUES (?, ?, ?, ?, ?)", .{ d, t, ts, tz, u });
            // A comptime-known wrapper is bound from its constant.
            _ = try env.conn.exec("INSERT INTO moments (d) VALUES (?)", .{keel.Date{ .days = 0 }});
            var rows = try env.conn.query("SELECT d, t, ts, tz, u FROM moments ORDER BY d DESC", .{});
            defer rows.deinit();
            const row = (try rows.next()).?;
            try testing.expectEqual(d, try row.get(keel.Date, 0));
            try testing.expectEqual(keel.Date.Civil{ .year = 2024, .month = 2, .day = 29 }, (try row.get(keel.Date, 0)).civil());
            try testing.expectEqual(t, try row.get(keel.Time, 1));
            try testing.expectEqual(ts, try row.get(keel.Timestamp, 2));
            try testing.expectEqual(tz, try row.get(keel.TimestampTz, 3));
            try testing.expectEqual(u, try row.get(keel.Uuid, 4));
            try testing.expectEqualStrings("123e4567-e89b-12d3-a456-426614174000", try row.get([]const u8, 4));
            try testing.expectEqualStrings("2024-02-29", try row.get([]const u8, 0));
            const epoch = (try rows.next()).?;
            try testing.expectEqual(keel.Date{ .days = 0 }, try epoch.get(keel.Date, 0));
            try testing.expectEqual(@as(?keel.Uuid, null), try epoch.get(?keel.Uuid, 4));
        }
    }.run);
}

test "a date prints as keel's text in every year keel hands out, BC and past 9999" {
    var db = try keel.Db.open(gpa, "sqlite::memory:", .{});
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();
    // SQLite stores a date as keel's canonical text, so `SELECT ?` reads
    // back exactly what keel writes for it (src/core/value.rs's format_date).
    const days = [_]i32{ -735525, -735160, -719529, -719528, -719162, 0, 2932896, 2932897, -4371953, 100_000_000, -100_000_000, std.math.maxInt(i32), std.math.minInt(i32) };
    var buf: [32]u8 = undefined;
    for (days) |d| {
        const date: keel.Date = .{ .days = d };
        var rows = try conn.query("SELECT ?", .{date});
        defer rows.deinit();
        const text = try (try rows.next()).?.get([]const u8, 0);
        try testing.expectEqualStrings(text, try std.fmt.bufPrint(&buf, "{f}", .{date}));
    }
    try testing.expectFmt("-0044-03-15", "{f}", .{keel.Date.fromCivil(-44, 3, 15)});
    try testing.expectFmt("+10000-01-01", "{f}", .{keel.Date.fromCivil(10000, 1, 1)});
    // The tester's case: PostgreSQL's 44 BC (year -43, as 1 BC is year 0).
    const pg = engineUrl(.postgres) orelse return;
    var pdb = try keel.Db.open(gpa, pg, .{});
    defer pdb.deinit();
    var pconn = try pdb.checkout();
    defer pconn.deinit();
    var rows = try pconn.query("SELECT DATE '0044-03-15 BC', DATE '10000-01-01'", .{});
    defer rows.deinit();
    const row = (try rows.next()).?;
    for ([_][]const u8{ "-0043-03-15", "+10000-01-01" }, 0..) |text, i| {
        try testing.expectEqualStrings(text, try row.get([]const u8, i));
        try testing.expectFmt(text, "{f}", .{try row.get(keel.Date, i)});
    }
    try testing.expectEqual(@as(i32, -735160), (try row.get(keel.Date, 0)).days);
}

test "JSON and exact decimals keep their text" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("docs", "j {json}, amount DECIMAL(12,2)");
            _ = try env.conn.exec("INSERT INTO docs (j, amount) VALUES (?, ?)", .{ keel.Json{ .text = "{\"a\": 1}" }, keel.Decimal{ .text = "12345.67" } });
            var rows = try env.conn.query("SELECT j, amount FROM docs", .{});
            defer rows.deinit();
            const row = (try rows.next()).?;
            const j = (try row.get(keel.Json, 0)).text;
            try testing.expect(std.mem.find(u8, j, "\"a\"") != null);
            try testing.expectEqualStrings("12345.67", (try row.get(keel.Decimal, 1)).text);
            const copy = try row.getAlloc(gpa, keel.Decimal, 1);
            defer gpa.free(copy.text);
            try testing.expectEqualStrings("12345.67", copy.text);
        }
    }.run);
}

test "keel.Value reads whatever a column holds and binds as itself" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("dyn", "i BIGINT, s TEXT, f DOUBLE PRECISION, n BIGINT");
            const vals = .{ keel.Value{ .int64 = -42 }, keel.Value{ .text = "hi" }, keel.Value{ .double = 0.25 }, @as(keel.Value, .null) };
            _ = try env.conn.exec("INSERT INTO dyn (i, s, f, n) VALUES (?, ?, ?, ?)", vals);
            var rows = try env.conn.query("SELECT i, s, f, n FROM dyn", .{});
            defer rows.deinit();
            const row = (try rows.next()).?;
            try testing.expectEqual(keel.Value{ .int64 = -42 }, try row.get(keel.Value, 0));
            try testing.expectEqualStrings("hi", (try row.get(keel.Value, 1)).text);
            try testing.expectEqual(keel.Value{ .double = 0.25 }, try row.get(keel.Value, 2));
            try testing.expectEqual(@as(keel.Value, .null), try row.get(keel.Value, 3));
            const copy = try row.getAlloc(gpa, keel.Value, 1);
            defer keel.freeValue(gpa, copy);
            try testing.expectEqualStrings("hi", copy.text);
            try testing.expectEqual(keel.Type.text, copy.kind());
        }
    }.run);
}

test "scan fills a struct by column name" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("staff", "id {id}, name TEXT NOT NULL, height_m DOUBLE PRECISION, born DATE");
            _ = try env.conn.exec("INSERT INTO staff (name, height_m, born) VALUES (?, ?, ?)", .{ "Ada", 1.65, keel.Date.fromCivil(1815, 12, 10) });
            _ = try env.conn.exec("INSERT INTO staff (name, height_m, born) VALUES (?, ?, ?)", .{ "Bob", null, null });
            const Person = struct {
                name: []const u8,
                id: i64,
                height_m: ?f64,
                born: ?keel.Date,
                level: u8 = 3, // no such column: the default
                nickname: ?[]const u8, // no such column, optional: null
            };
            var rows = try env.conn.query("SELECT id, name, height_m, born FROM staff ORDER BY id", .{});
            defer rows.deinit();
            const ada = try (try rows.next()).?.scan(Person);
            try testing.expectEqualStrings("Ada", ada.name);
            try testing.expectEqual(@as(i64, 1), ada.id);
            try testing.expectEqual(@as(?f64, 1.65), ada.height_m);
            try testing.expectEqual(keel.Date.fromCivil(1815, 12, 10), ada.born.?);
            try testing.expectEqual(@as(u8, 3), ada.level);
            try testing.expectEqual(@as(?[]const u8, null), ada.nickname);
            const bob_row = (try rows.next()).?;
            const bob = try bob_row.scan(Person);
            try testing.expectEqual(@as(?f64, null), bob.height_m);
            try testing.expectEqual(@as(?keel.Date, null), bob.born);
            // A required field without a column is an error naming it.
            try testing.expectError(error.InvalidArgument, bob_row.scan(struct { id: i64, salary: i64 }));
            try testing.expect(std.mem.find(u8, env.diags.message(), "salary") != null);
            try testing.expectEqual(@as(?usize, 1), try rows.columnIndex("name"));
            try testing.expectEqual(@as(?usize, null), try rows.columnIndex("nope"));
            // Exact first, else ignoring ASCII case (keel_rows_column_index).
            try testing.expectEqual(@as(?usize, 1), try rows.columnIndex("NAME"));
            const shouting = try bob_row.scan(struct { NAME: []const u8, Id: i64 });
            try testing.expectEqualStrings("Bob", shouting.NAME);
            try testing.expectEqual(@as(i64, 2), shouting.Id);
        }
    }.run);
}

test "column metadata" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("meta", "id BIGINT NOT NULL, label TEXT, flag BOOLEAN");
            var rows = try env.conn.query("SELECT id, label, flag FROM meta", .{});
            defer rows.deinit();
            try testing.expectEqual(@as(usize, 3), rows.columnCount());
            try testing.expectEqualStrings("id", try rows.columnName(0));
            try testing.expectEqualStrings("label", try rows.columnName(1));
            try testing.expectEqual(keel.Type.int64, try rows.columnType(0));
            try testing.expectEqual(keel.Type.text, try rows.columnType(1));
            const flag_type = try rows.columnType(2);
            // MySQL's BOOLEAN is TINYINT(1).
            try testing.expect(flag_type == .bool or (env.q.engine == .mysql and flag_type == .int64));
            try testing.expect((try rows.columnEngineType(1)).len > 0);
            const nullable = try rows.columnNullable(0);
            try testing.expect(nullable == .no or nullable == .unknown);
            if (env.q.engine == .sqlite) try testing.expectEqual(keel.Nullable.no, nullable);
            try testing.expectError(error.InvalidArgument, rows.columnName(3));
            try testing.expectEqual(@as(?keel.Row, null), try rows.next());
        }
    }.run);
}

test "errors carry status, SQLSTATE, vendor code and driver" {
    try forEngines(struct {
        fn run(env: Env) !void {
            env.diags.clear();
            try testing.expectError(error.InvalidArgument, env.conn.exec("SELEC nonsense", .{}));
            try testing.expectEqual(keel.Status.invalid_argument, env.diags.status);
            try testing.expectEqualStrings("42", env.diags.sqlstate()[0..2]);
            try testing.expectEqualStrings(env.q.driver, env.diags.driver());
            try testing.expect(env.diags.message().len > 0);

            try env.createTemp("uniq", "k BIGINT PRIMARY KEY");
            _ = try env.conn.exec("INSERT INTO uniq (k) VALUES (?)", .{1});
            env.diags.clear();
            try testing.expectError(error.Integrity, env.conn.exec("INSERT INTO uniq (k) VALUES (?)", .{1}));
            try testing.expectEqual(keel.Status.integrity, env.diags.status);
            try testing.expectEqualStrings("23", env.diags.sqlstate()[0..2]);
            if (env.q.has_vendor_code) try testing.expect(env.diags.vendor_code != 0);
            // The engine refused it while running: no more to say than the status.
            try testing.expectEqual(keel.RetrySafety.unknown, env.diags.retry_safety);
            var buf: [2048]u8 = undefined;
            const text = try std.fmt.bufPrint(&buf, "{f}", .{env.diags.*});
            try testing.expect(std.mem.startsWith(u8, text, env.q.driver));
            try testing.expect(std.mem.find(u8, text, "SQLSTATE 23") != null);

            // Wrong parameter count (refused before sending), and several
            // statements at once.
            try testing.expectError(error.InvalidArgument, env.conn.exec("INSERT INTO uniq (k) VALUES (?)", .{}));
            try testing.expectEqual(keel.RetrySafety.not_sent, env.diags.retry_safety);
            try testing.expectError(error.InvalidArgument, env.conn.exec("SELECT 1; SELECT 2", .{}));
            // SQL with a NUL byte is refused whole, not cut at the NUL.
            env.diags.clear();
            try testing.expectError(error.InvalidArgument, env.conn.exec("SELECT 1\x00; DROP TABLE uniq", .{}));
            try testing.expectEqual(keel.RetrySafety.not_sent, env.diags.retry_safety);

            // Without diagnostics the same errors come back, and nothing leaks.
            var bare = env.conn.*;
            bare.diags = null;
            try testing.expectError(error.Integrity, bare.exec("INSERT INTO uniq (k) VALUES (?)", .{1}));
        }
    }.run);
}

test "SQL of any length goes to C with its length, uncopied" {
    try forEngines(struct {
        fn run(env: Env) !void {
            const pad: [3000]u8 = @splat(' ');
            const sql = try std.mem.concat(gpa, u8, &.{ "SELECT 42", &pad });
            defer gpa.free(sql);
            var failing = env.conn.*;
            failing.allocator = testing.failing_allocator;
            const v = try failing.queryOne(i64, gpa, sql, .{});
            try testing.expectEqual(@as(?i64, 42), v);
            _ = try failing.exec(sql, .{});
            var stmt = try failing.prepare(sql);
            stmt.deinit();
            // Not NUL-terminated: the slice's length is the statement's end.
            const two = "SELECT 2SELECT 3";
            try testing.expectEqual(@as(?i64, 2), try env.conn.queryOne(i64, gpa, two[0..8], .{}));
        }
    }.run);
}

test "a NUL byte in SQL runs nothing: DELETE FROM t\\0 WHERE ... deletes no row" {
    try forEngines(struct {
        fn run(env: Env) !void {
            const c = env.conn;
            try env.createTemp("owned", "owner TEXT");
            _ = try c.exec("INSERT INTO owned (owner) VALUES (?), (?)", .{ "alice", "bob" });
            const bad = "DELETE FROM owned\x00 WHERE owner = 'bob'";
            env.diags.clear();
            try testing.expectError(error.InvalidArgument, c.exec(bad, .{}));
            try testing.expect(std.mem.find(u8, env.diags.message(), "NUL") != null);
            try testing.expectEqual(keel.RetrySafety.not_sent, env.diags.retry_safety);
            try testing.expectError(error.InvalidArgument, c.query(bad, .{}));
            try testing.expectError(error.InvalidArgument, c.prepare(bad));
            try testing.expectEqual(@as(i64, 2), try countRows(c, "owned"));
            // The pool-level calls too (on a real table: a temporary one
            // belongs to this connection only).
            const table = "keel_zig_nul_test";
            _ = try env.db.exec("DROP TABLE IF EXISTS " ++ table, .{});
            _ = try env.db.exec("CREATE TABLE " ++ table ++ " (owner TEXT)", .{});
            defer _ = env.db.exec("DROP TABLE IF EXISTS " ++ table, .{}) catch {};
            _ = try env.db.exec("INSERT INTO " ++ table ++ " (owner) VALUES (?), (?)", .{ "alice", "bob" });
            try testing.expectError(error.InvalidArgument, env.db.exec("DELETE FROM " ++ table ++ "\x00 WHERE owner = 'bob'", .{}));
            try testing.expectError(error.InvalidArgument, env.db.query("DELETE FROM " ++ table ++ "\x00 WHERE owner = 'bob'", .{}));
            var rows = try env.db.query("SELECT COUNT(*) FROM " ++ table, .{});
            defer rows.deinit();
            try testing.expectEqual(@as(i64, 2), try (try rows.next()).?.get(i64, 0));
            // A NUL in a text parameter is data, not an end (PostgreSQL
            // and MySQL refuse it in text: SQLite shows it).
            if (env.q.engine == .sqlite) {
                const got = (try c.queryOne([]u8, gpa, "SELECT ?", .{"a\x00b"})).?;
                defer gpa.free(got);
                try testing.expectEqualStrings("a\x00b", got);
            }
        }
    }.run);
}

test "transactions commit, roll back and refuse bad states" {
    try forEngines(struct {
        fn run(env: Env) !void {
            const c = env.conn;
            try env.createTemp("ledger", "v BIGINT");
            try c.begin(.{});
            try testing.expect(c.inTransaction());
            _ = try c.exec("INSERT INTO ledger (v) VALUES (?)", .{1});
            try c.commit();
            try testing.expect(!c.inTransaction());

            try c.begin(.{ .isolation = .serializable });
            _ = try c.exec("INSERT INTO ledger (v) VALUES (?)", .{2});
            try c.rollback();

            try testing.expectEqual(@as(i64, 1), try countRows(c, "ledger"));
            try testing.expectError(error.InvalidState, c.commit());
            try testing.expectError(error.InvalidState, c.rollback());
            try c.begin(.{});
            try testing.expectError(error.InvalidState, c.begin(.{}));
            try c.rollback();

            if (env.q.engine == .sqlite) {
                try c.begin(.{ .lock = .immediate });
                try c.commit();
            }
            try c.begin(.{ .read_only = true });
            const ro = c.exec("INSERT INTO ledger (v) VALUES (?)", .{3});
            try c.rollback();
            if (ro) |_| {
                // Some engines let temporary tables be written in a read-only
                // transaction (PostgreSQL); SQLite's query_only does not.
                try testing.expect(env.q.engine != .sqlite);
            } else |_| {}
        }
    }.run);
}

test "savepoints" {
    try forEngines(struct {
        fn run(env: Env) !void {
            const c = env.conn;
            try env.createTemp("sp", "v BIGINT");
            try c.begin(.{});
            _ = try c.exec("INSERT INTO sp (v) VALUES (?)", .{1});
            try c.savepoint("before_two");
            _ = try c.exec("INSERT INTO sp (v) VALUES (?)", .{2});
            try c.rollbackTo("before_two");
            _ = try c.exec("INSERT INTO sp (v) VALUES (?)", .{3});
            try c.savepoint("after_three");
            try c.releaseSavepoint("after_three");
            try testing.expectError(error.InvalidArgument, c.rollbackTo("after_three"));
            if (env.q.engine == .postgres) {
                // PostgreSQL aborted the transaction over the unknown name.
                try c.rollbackTo("before_two");
                _ = try c.exec("INSERT INTO sp (v) VALUES (?)", .{3});
            }
            try c.release("before_two"); // the earlier name still works
            try c.commit();
            var rows = try c.query("SELECT v FROM sp ORDER BY v", .{});
            defer rows.deinit();
            try testing.expectEqual(@as(i64, 1), try (try rows.next()).?.get(i64, 0));
            try testing.expectEqual(@as(i64, 3), try (try rows.next()).?.get(i64, 0));
            try testing.expectEqual(@as(?keel.Row, null), try rows.next());
            try testing.expectError(error.InvalidArgument, c.savepoint("1 bad; name"));
        }
    }.run);
}

const Boom = error{Boom};

fn insertAndCount(conn: *keel.Conn, c: *const keel.Conn) !i64 {
    _ = conn;
    _ = try c.exec("INSERT INTO txh (v) VALUES (?)", .{10});
    return countRows(c, "txh");
}

fn insertThenFail(_: void, c: *const keel.Conn) (Boom || keel.AllocError)!void {
    _ = try c.exec("INSERT INTO txh (v) VALUES (?)", .{20});
    return error.Boom;
}

test "transaction helper commits on success and rolls back on error" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("txh", "v BIGINT");
            const n = try env.conn.transaction(.{}, env.conn, insertAndCount);
            try testing.expectEqual(@as(i64, 1), n);
            try testing.expect(!env.conn.inTransaction());
            try testing.expectError(error.Boom, env.conn.transaction(.{}, {}, insertThenFail));
            try testing.expect(!env.conn.inTransaction());
            try testing.expectEqual(@as(i64, 1), try countRows(env.conn, "txh"));
            // A callback that cannot fail returns a plain value: committed.
            try testing.expectEqual(@as(i64, 42), try env.conn.transaction(.{}, @as(i64, 21), doubled));
            try testing.expect(!env.conn.inTransaction());
        }
    }.run);
}

fn doubled(n: i64, c: *const keel.Conn) i64 {
    _ = c;
    return n * 2;
}

test "the connection says what it supports, and does it" {
    try forEngines(struct {
        fn run(env: Env) !void {
            const several = try env.conn.supports(.several_cursors);
            try testing.expectEqual(env.q.engine == .sqlite, several);
            try testing.expect(try env.conn.supports(.columns_after_prepare));
            var rows = try env.conn.query("SELECT 1 UNION ALL SELECT 2", .{});
            defer rows.deinit();
            _ = (try rows.next()).?;
            if (several) {
                _ = try env.conn.exec("SELECT 3", .{});
            } else {
                try testing.expectError(error.InvalidState, env.conn.exec("SELECT 3", .{}));
            }
            try testing.expect((try rows.next()) != null);
        }
    }.run);
}

test "a statement describes its result before it runs" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("described", "id BIGINT NOT NULL PRIMARY KEY, label TEXT");
            var sel = try env.conn.prepare("SELECT id, label AS title FROM described WHERE id > ?");
            defer sel.deinit();
            try testing.expectEqual(@as(usize, 2), try sel.columnCount());
            try testing.expectEqualStrings("id", try sel.columnName(0));
            try testing.expectEqualStrings("title", try sel.columnName(1));
            try testing.expectEqual(keel.Type.int64, try sel.columnType(0));
            try testing.expectEqual(keel.Type.text, try sel.columnType(1));
            try testing.expect((try sel.columnEngineType(0)).len > 0);
            try testing.expect(try sel.columnNullable(0) != .yes);
            try testing.expectError(error.InvalidArgument, sel.columnName(2));
            // No rows: 0 columns, known; taken from the statement cache.
            var ins = try env.conn.prepareCached("INSERT INTO described (id, label) VALUES (?, ?)");
            defer ins.deinit();
            try testing.expectEqual(@as(usize, 0), try ins.columnCount());
            _ = try ins.exec(.{ 1, "one" });
            try testing.expectEqual(@as(i64, 1), try countRows(env.conn, "described"));
        }
    }.run);
}

test "a commit that fails ends the transaction (keel_conn_commit)" {
    var diags: keel.Diagnostics = .{};
    var db = try keel.Db.open(gpa, "sqlite::memory:", .{ .diags = &diags });
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();
    _ = try conn.exec("CREATE TABLE parent (id INTEGER PRIMARY KEY)", .{});
    _ = try conn.exec("CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)", .{});
    try conn.begin(.{});
    _ = try conn.exec("INSERT INTO child (id, p) VALUES (1, 42)", .{});
    try testing.expectError(error.Integrity, conn.commit());
    try testing.expect(!conn.inTransaction());
    try testing.expect(std.mem.find(u8, diags.message(), "rolled back") != null);
    try testing.expectError(error.Integrity, conn.transaction(.{}, &conn, insertOrphan));
    try testing.expect(!conn.inTransaction());
    try testing.expectEqual(@as(i64, 0), try countRows(&conn, "child"));
}

fn insertOrphan(c: *const keel.Conn, _: *const keel.Conn) keel.Error!void {
    _ = try c.exec("INSERT INTO child (id, p) VALUES (2, 43)", .{});
}

test "prepared statements bind, rerun and query" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("prep", "k BIGINT, name TEXT");
            var ins = try env.conn.prepare("INSERT INTO prep (k, name) VALUES (?, ?)");
            defer ins.deinit();
            try testing.expectEqual(@as(usize, 2), ins.paramCount());
            for (0..5) |i| {
                const r = try ins.exec(.{ i, "n" });
                try testing.expectEqual(@as(u64, 1), r.rows_affected);
            }
            // Bindings persist; rebind one and run with the rest.
            try ins.bindAt(0, 100);
            try ins.bindAt(1, @as(?[]const u8, null));
            _ = try ins.exec(.{});
            try ins.clearBindings();
            try testing.expectError(error.InvalidArgument, ins.exec(.{}));
            try testing.expectError(error.InvalidArgument, ins.bindAt(5, 1));

            var sel = try env.conn.prepare("SELECT k, name FROM prep WHERE k >= ? ORDER BY k");
            defer sel.deinit();
            var rows = try sel.query(.{3});
            var seen: usize = 0;
            while (try rows.next()) |row| : (seen += 1) {
                _ = try row.get(u64, 0);
                _ = try row.get(?[]const u8, 1);
            }
            rows.deinit();
            try testing.expectEqual(@as(usize, 3), seen); // 3, 4, 100

            // Run again with other arguments, once the first cursor is gone.
            var again = try sel.query(.{99});
            defer again.deinit();
            try testing.expectEqual(@as(u64, 100), try (try again.next()).?.get(u64, 0));
            try testing.expectEqual(@as(?keel.Row, null), try again.next());
        }
    }.run);
}

test "a statement refuses an argument tuple of the wrong length, as conn.exec does" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("partial", "name TEXT, height DOUBLE PRECISION");
            try testing.expectError(error.InvalidArgument, env.conn.exec("INSERT INTO partial (name, height) VALUES (?, ?)", .{"Grace"}));
            var ins = try env.conn.prepare("INSERT INTO partial (name, height) VALUES (?, ?)");
            defer ins.deinit();
            _ = try ins.exec(.{ "Ada", 1.65 });
            // Short, it would run with Ada's height left in parameter 1.
            try testing.expectError(error.InvalidArgument, ins.exec(.{"Grace"}));
            try testing.expect(std.mem.startsWith(u8, env.diags.message(), "the statement has 2 parameters but 1 value was given"));
            try testing.expectEqual(keel.RetrySafety.not_sent, env.diags.retry_safety);
            try testing.expectError(error.InvalidArgument, ins.exec(.{ "Grace", 1.52, 3 }));
            try testing.expect(std.mem.startsWith(u8, env.diags.message(), "the statement has 2 parameters but 3 values were given"));
            try testing.expectError(error.InvalidArgument, ins.bind(.{"Grace"}));
            try testing.expectEqual(@as(i64, 1), try countRows(env.conn, "partial"));
            // Nothing was bound by the refused calls: .{} runs Ada's values again.
            _ = try ins.exec(.{});
            // The documented way to change one parameter and keep the other.
            try ins.bindAt(0, "Grace");
            _ = try ins.exec(.{});
            try testing.expectEqual(@as(?f64, 1.65), try env.conn.queryOne(f64, gpa, "SELECT height FROM partial WHERE name = 'Grace'", .{}));
            try testing.expectEqual(@as(i64, 3), try countRows(env.conn, "partial"));

            var sel = try env.conn.prepare("SELECT name FROM partial WHERE name = ? AND height > ?");
            defer sel.deinit();
            try testing.expectError(error.InvalidArgument, sel.query(.{"Ada"}));
            try testing.expect(std.mem.startsWith(u8, env.diags.message(), "the statement has 2 parameters but 1 value was given"));
            var rows = try sel.query(.{ "Ada", 1.0 });
            defer rows.deinit();
            try testing.expectEqualStrings("Ada", try (try rows.next()).?.get([]const u8, 0));
        }
    }.run);
}

test "re-running a statement closes the cursor it opened before (keel_stmt_query contract)" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("rerun", "k BIGINT");
            _ = try env.conn.exec("INSERT INTO rerun (k) VALUES (?), (?), (?)", .{ 1, 2, 3 });
            var sel = try env.conn.prepare("SELECT k FROM rerun WHERE k >= ? ORDER BY k");
            defer sel.deinit();
            var old = try sel.query(.{0});
            defer old.deinit();
            _ = try old.next();
            var fresh = try sel.query(.{3});
            defer fresh.deinit();
            try testing.expectError(error.InvalidState, old.next());
            try testing.expectEqual(@as(i64, 3), try (try fresh.next()).?.get(i64, 0));
        }
    }.run);
}

test "a cursor freed before its end leaves the connection usable (keel_rows_free contract)" {
    try forEngines(struct {
        fn run(env: Env) !void {
            try env.createTemp("early", "k BIGINT");
            _ = try env.conn.exec("INSERT INTO early (k) VALUES (?), (?), (?)", .{ 1, 2, 3 });
            {
                var rows = try env.conn.query("SELECT k FROM early ORDER BY k", .{});
                defer rows.deinit();
                try testing.expectEqual(@as(i64, 1), try (try rows.next()).?.get(i64, 0));
            }
            try env.conn.ping();
            try env.conn.begin(.{});
            try env.conn.rollback();
            try testing.expectEqual(@as(?i64, 3), try env.conn.queryOne(i64, gpa, "SELECT COUNT(*) FROM early", .{}));
        }
    }.run);
}

test "pool-level exec and query check connections out themselves" {
    try forEngines(struct {
        fn run(env: Env) !void {
            const table = "keel_zig_pool_test";
            _ = try env.db.exec("DROP TABLE IF EXISTS " ++ table, .{});
            _ = try env.db.exec("CREATE TABLE " ++ table ++ " (v BIGINT)", .{});
            defer _ = env.db.exec("DROP TABLE IF EXISTS " ++ table, .{}) catch {};
            _ = try env.db.exec("INSERT INTO " ++ table ++ " (v) VALUES (?), (?)", .{ 1, 2 });
            var rows = try env.db.query("SELECT MAX(v) FROM " ++ table, .{});
            defer rows.deinit();
            try testing.expectEqual(@as(i64, 2), try (try rows.next()).?.get(i64, 0));
        }
    }.run);
}

test "discard closes the session instead of returning it to the pool" {
    for (std.enums.values(Engine)) |e| {
        const base = engineUrl(e) orelse continue;
        const url = try std.mem.concat(gpa, u8, &.{ base, "?pool_max_open=1" });
        defer gpa.free(url);
        var diags: keel.Diagnostics = .{};
        var db = try keel.Db.open(gpa, url, .{ .diags = &diags });
        defer db.deinit();
        const table = "keel_zig_discard_test";
        _ = try db.exec("DROP TABLE IF EXISTS " ++ table, .{});
        _ = try db.exec("CREATE TABLE " ++ table ++ " (v BIGINT)", .{});
        defer _ = db.exec("DROP TABLE IF EXISTS " ++ table, .{}) catch {};
        {
            var a = try db.checkout();
            defer a.deinit(); // back to the pool, session and all
            _ = try a.exec("CREATE TEMPORARY TABLE mine (v BIGINT)", .{});
        }
        {
            var b = try db.checkout();
            defer b.deinit();
            try testing.expectEqual(@as(i64, 0), try countRows(&b, "mine")); // the same session
            try b.begin(.{});
            _ = try b.exec("INSERT INTO " ++ table ++ " (v) VALUES (?)", .{1});
            b.discard(); // deinit closes the session: the insert never commits
        }
        var d = try db.checkout();
        defer d.deinit();
        try testing.expectError(error.NotFound, d.exec("SELECT v FROM mine", .{}));
        try testing.expectEqual(@as(i64, 0), try countRows(&d, table));
    }
}

test "a connection outlives a freed pool" {
    var db = try keel.Db.open(gpa, "sqlite::memory:", .{});
    var conn = try db.checkout();
    db.deinit();
    defer conn.deinit();
    try testing.expectEqual(@as(?i64, 2), try conn.queryOne(i64, gpa, "SELECT 1 + 1", .{}));
}

test "opening bad URLs fails with the matching error" {
    var diags: keel.Diagnostics = .{};
    try testing.expectError(error.InvalidArgument, keel.Db.open(gpa, "sqlite::memory:?no_such_option=1", .{ .diags = &diags }));
    try testing.expect(std.mem.find(u8, diags.message(), "no_such_option") != null);
    try testing.expectError(error.NotFound, keel.Db.open(gpa, "nosuchdb://x", .{ .diags = &diags }));
    if (!keel.driverAvailable("postgres")) {
        try testing.expectError(error.NotImplemented, keel.Db.open(gpa, "postgres://u:secret@127.0.0.1/db", .{ .diags = &diags }));
        try testing.expect(std.mem.find(u8, diags.message(), "secret") == null);
    }
    try testing.expectError(error.InvalidArgument, keel.Db.open(gpa, "sqlite::memory:\x00", .{ .diags = &diags }));
}

test "a URL with a NUL before its options is refused, not opened" {
    var diags: keel.Diagnostics = .{};
    var tmp = testing.tmpDir(.{});
    defer tmp.cleanup();
    var path_buf: [std.Io.Dir.max_path_bytes]u8 = undefined;
    const n = try tmp.dir.realPath(testing.io, &path_buf);
    // Cut at the NUL, the URL would open (and create) cut.db read-write.
    const url = try std.fmt.allocPrint(gpa, "sqlite://{s}/cut.db\x00?mode=ro", .{path_buf[0..n]});
    defer gpa.free(url);
    try testing.expectError(error.InvalidArgument, keel.Db.open(gpa, url, .{ .diags = &diags }));
    try testing.expect(std.mem.find(u8, diags.message(), "NUL") != null);
    try testing.expectError(error.FileNotFound, tmp.dir.access(testing.io, "cut.db", .{}));
    // Cut there, a PostgreSQL URL would connect with sslmode=prefer, unverified.
    const pg = engineUrl(.postgres) orelse return;
    const pg_url = try std.mem.concat(gpa, u8, &.{ pg, "\x00?sslmode=verify-full" });
    defer gpa.free(pg_url);
    try testing.expectError(error.InvalidArgument, keel.Db.open(gpa, pg_url, .{ .diags = &diags }));
}

test "a SQLite file database is shared by the pool's connections" {
    var tmp = testing.tmpDir(.{});
    defer tmp.cleanup();
    var path_buf: [std.Io.Dir.max_path_bytes]u8 = undefined;
    const n = try tmp.dir.realPath(testing.io, &path_buf);
    const url = try std.fmt.allocPrint(gpa, "sqlite://{s}/pool.db", .{path_buf[0..n]});
    defer gpa.free(url);
    var db = try keel.Db.open(gpa, url, .{});
    defer db.deinit();
    var a = try db.checkout();
    defer a.deinit();
    var b = try db.checkout();
    defer b.deinit();
    _ = try a.exec("CREATE TABLE shared (v TEXT)", .{});
    _ = try a.exec("INSERT INTO shared (v) VALUES (?)", .{"from a"});
    const got = (try b.queryOne([]u8, gpa, "SELECT v FROM shared", .{})).?;
    defer gpa.free(got);
    try testing.expectEqualStrings("from a", got);
}

// The README's smaller snippets, compiled and run here: each README block
// is found (line by line, ignoring indentation) in this file or an example
// (the next test checks that).

test "README: one cursor per connection, and the block that avoids it" {
    try forEngines(struct {
        fn run(env: Env) !void {
            const conn = env.conn;
            try env.createTemp("jobs", "id {id}, done BOOLEAN");
            _ = try conn.exec("INSERT INTO jobs (done) VALUES (?), (?)", .{ false, false });
            var ids: std.ArrayList(i64) = .empty;
            defer ids.deinit(gpa);
            {
                var rows = try conn.query("SELECT id FROM jobs WHERE done = ?", .{false});
                defer rows.deinit(); // freed at the end of the block, read or not
                while (try rows.next()) |row| try ids.append(gpa, try row.get(i64, 0));
            }
            for (ids.items) |id| _ = try conn.exec("UPDATE jobs SET done = ? WHERE id = ?", .{ true, id });
            try testing.expectEqual(@as(usize, 2), ids.items.len);
            // The rule itself: with a cursor open, where the engine allows
            // one result at a time, another statement is InvalidState.
            var open_rows = try conn.query("SELECT id FROM jobs", .{});
            defer open_rows.deinit();
            _ = try open_rows.next();
            if (try conn.supports(.several_cursors)) {
                _ = try conn.exec("UPDATE jobs SET done = ?", .{false});
            } else {
                try testing.expectError(error.InvalidState, conn.exec("UPDATE jobs SET done = ?", .{false}));
            }
        }
    }.run);
}

/// The README's transaction callback: `func(context, conn) !T`.
fn transfer(amount: i64, conn: *const keel.Conn) !i64 {
    _ = try conn.exec("UPDATE accounts SET balance = balance - ? WHERE id = 1", .{amount});
    _ = try conn.exec("UPDATE accounts SET balance = balance + ? WHERE id = 2", .{amount});
    return amount;
}

test "README: transaction callback, Time.fromHms, isNull, ?? and owned rows" {
    var db = try keel.Db.open(gpa, "sqlite::memory:", .{ .pool = .{ .max_open = 1 } });
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();
    _ = try conn.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER, opens TIME)", .{});
    _ = try conn.exec("INSERT INTO accounts (id, balance, opens) VALUES (1, 100, ?), (2, 0, NULL)", .{keel.Time.fromHms(9, 30, 0, 0)});

    const moved = try conn.transaction(.{}, @as(i64, 40), transfer);
    try testing.expectEqual(@as(i64, 40), moved);

    var rows = try conn.query("SELECT opens, balance FROM accounts ORDER BY id", .{});
    defer rows.deinit();
    while (try rows.next()) |row| {
        if (try row.isNull(0)) continue; // isNull(i: usize) keel.Error!bool
        const opens = try row.get(keel.Time, 0); // keel.Time{ .micros = ... }
        try testing.expectEqual(keel.Time.fromHms(9, 30, 0, 0), opens);
    }

    // Inside a string literal, `?` and `??` are text, left as they are.
    const q = (try conn.queryOne([]u8, gpa, "SELECT 'why??' || ?", .{"!"})).?;
    defer gpa.free(q);
    try testing.expectEqualStrings("why??!", q);

    const Account = struct {
        id: i64,
        money: i64,
        pub const keel_columns = .{ .money = "balance" }; // field money reads column balance
    };
    const acct = (try conn.queryRow(Account, gpa, "SELECT id, balance FROM accounts WHERE id = ?", .{2})).?;
    defer keel.freeScanned(gpa, acct);
    try testing.expectEqual(@as(i64, 40), acct.money);
}

test "README: ?? is a literal ? (PostgreSQL's jsonb operators)" {
    try forEngines(struct {
        fn run(env: Env) !void {
            if (env.q.engine != .postgres) return;
            const conn = env.conn;
            // `?` is a parameter; `??` is PostgreSQL's jsonb `?` operator.
            const has = try conn.queryOne(bool, gpa, "SELECT ?::jsonb ?? ?", .{ "{\"a\": 1}", "a" });
            try testing.expectEqual(@as(?bool, true), has);
        }
    }.run);
}

test "every zig block of the README is compiled: found in this file or an example" {
    const readme = @embedFile("readme_md");
    const sources = [_][]const u8{
        @embedFile("readme_zig"),
        @embedFile("tests.zig"),
        @embedFile("consumer_build_zig"),
        @embedFile("consumer_build_zig_zon"),
        @embedFile("consumer_main_zig"),
    };
    var blocks: usize = 0;
    var rest: []const u8 = readme;
    while (std.mem.find(u8, rest, "```zig\n")) |start| {
        const body_start = start + "```zig\n".len;
        const len = std.mem.find(u8, rest[body_start..], "```") orelse return error.UnclosedBlock;
        const block = rest[body_start .. body_start + len];
        rest = rest[body_start + len + 3 ..];
        blocks += 1;
        var found = false;
        for (sources) |src| {
            if (try containsIgnoringIndent(src, block)) found = true;
        }
        if (!found) {
            std.debug.print("README block not found in any compiled file:\n{s}\n", .{block});
            return error.ReadmeBlockNotCompiled;
        }
    }
    try testing.expect(blocks >= 5);
}

/// Whether the lines of `block` (each trimmed of leading blanks) follow one
/// another somewhere in `src` (trimmed alike).
fn containsIgnoringIndent(src: []const u8, block: []const u8) !bool {
    var src_lines: std.ArrayList([]const u8) = .empty;
    defer src_lines.deinit(gpa);
    var it = std.mem.splitScalar(u8, src, '\n');
    while (it.next()) |l| try src_lines.append(gpa, std.mem.trimStart(u8, l, " \t"));
    var want: std.ArrayList([]const u8) = .empty;
    defer want.deinit(gpa);
    var bt = std.mem.splitScalar(u8, std.mem.trimEnd(u8, block, "\n"), '\n');
    while (bt.next()) |l| try want.append(gpa, std.mem.trimStart(u8, l, " \t"));
    if (want.items.len == 0 or want.items.len > src_lines.items.len) return false;
    var i: usize = 0;
    while (i + want.items.len <= src_lines.items.len) : (i += 1) {
        for (want.items, 0..) |w, k| {
            if (!std.mem.eql(u8, w, src_lines.items[i + k])) break;
        } else return true;
    }
    return false;
}

test "the README's example is examples/readme.zig, which the build compiles and runs" {
    const readme = @embedFile("readme_md");
    const code = @embedFile("readme_zig");
    const block = "```zig\n" ++ code ++ "```";
    try testing.expect(std.mem.find(u8, readme, block) != null);
}

test "the catalog: tables, columns by name, keys, indexes and constraints" {
    var db = try keel.Db.open(gpa, "sqlite::memory:", .{});
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();
    _ = try conn.exec("CREATE TABLE author (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL)", .{});
    _ = try conn.exec("CREATE TABLE book (id INTEGER PRIMARY KEY, author_id INT REFERENCES author (id) ON DELETE CASCADE)", .{});
    _ = try conn.exec("CREATE INDEX book_author ON book (author_id)", .{});
    _ = try conn.exec("CREATE TABLE shelf (code TEXT, n INT CONSTRAINT few CHECK (n < 9), UNIQUE (code, n))", .{});

    var t = try conn.tables(.{ .table = "%o%", .types = "TABLE" });
    defer t.deinit();
    const name_at = (try t.columnIndex("table_name")).?;
    try testing.expectEqualStrings("author", try (try t.next()).?.get([]const u8, name_at));
    try testing.expectEqualStrings("book", try (try t.next()).?.get([]const u8, name_at));
    try testing.expectEqual(@as(?keel.Row, null), try t.next());

    var cols = try conn.columns(.{ .table = "author" });
    defer cols.deinit();
    const col_at = (try cols.columnIndex("column_name")).?;
    const nullable_at = (try cols.columnIndex("is_nullable")).?;
    const type_at = (try cols.columnIndex("keel_type")).?;
    const id = (try cols.next()).?;
    try testing.expectEqualStrings("id", try id.get([]const u8, col_at));
    try testing.expectEqual(@as(i64, 0), try id.get(i64, nullable_at));
    try testing.expectEqual(@as(i64, keel.c.KEEL_TYPE_INT64), try id.get(i64, type_at));
    const name = (try cols.next()).?;
    try testing.expectEqualStrings("name", try name.get([]const u8, col_at));
    try testing.expectEqual(@as(i64, 0), try name.get(i64, nullable_at));

    var fks = try conn.foreignKeys(null, "author", .exported);
    defer fks.deinit();
    const fk = (try fks.next()).?;
    try testing.expectEqualStrings("book", try fk.get([]const u8, (try fks.columnIndex("fk_table")).?));
    try testing.expectEqualStrings("CASCADE", try fk.get([]const u8, (try fks.columnIndex("delete_rule")).?));

    var pk = try conn.primaryKeys(null, "book");
    defer pk.deinit();
    try testing.expectEqualStrings("id", try (try pk.next()).?.get([]const u8, 3));

    var idx = try conn.indexes(null, "book");
    defer idx.deinit();
    try testing.expectEqualStrings("book_author", try (try idx.next()).?.get([]const u8, 3));

    var uq = try conn.uniqueConstraints(null, "shelf");
    defer uq.deinit();
    const uq_col = (try uq.columnIndex("column_name")).?;
    try testing.expectEqualStrings("code", try (try uq.next()).?.get([]const u8, uq_col));
    try testing.expectEqualStrings("n", try (try uq.next()).?.get([]const u8, uq_col));
    try testing.expectEqual(@as(?keel.Row, null), try uq.next());

    var ck = try conn.checkConstraints(null, "shelf");
    defer ck.deinit();
    const check = (try ck.next()).?;
    try testing.expectEqualStrings("few", try check.get([]const u8, (try ck.columnIndex("constraint_name")).?));
    try testing.expectEqualStrings("n < 9", try check.get([]const u8, (try ck.columnIndex("check_clause")).?));

    try testing.expectError(error.InvalidArgument, conn.tables(.{ .types = "TABLES" }));
}
