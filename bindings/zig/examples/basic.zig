//! The C quickstart (examples-c/01_quickstart.c) in Zig: open an in-memory
//! SQLite database, create a table, insert rows through a prepared
//! statement, and read them back by index and into a struct.
//!
//!   zig build run-example          (from bindings/zig)
//!   zig build run-example -- "sqlite:///tmp/people.db"

const std = @import("std");
const keel = @import("keel");

const Person = struct {
    id: i64,
    name: []const u8, // borrowed from the cursor: valid until the next next()
    height_m: ?f64,
};

pub fn main(init: std.process.Init) !void {
    const gpa = init.gpa;
    const args = try init.minimal.args.toSlice(init.arena.allocator());
    const url = if (args.len > 1) args[1] else "sqlite::memory:";

    var stdout_buf: [1024]u8 = undefined;
    var stdout_writer: std.Io.File.Writer = .init(.stdout(), init.io, &stdout_buf);
    const out = &stdout_writer.interface;
    defer out.flush() catch {};

    var diags: keel.Diagnostics = .{};
    run(gpa, url, &diags, out) catch |err| {
        out.flush() catch {};
        std.debug.print("error: {t}: {f}\n", .{ err, diags });
        return err;
    };
}

fn run(gpa: std.mem.Allocator, url: []const u8, diags: *keel.Diagnostics, out: *std.Io.Writer) !void {
    var db = try keel.Db.open(gpa, url, .{ .diags = diags });
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();

    _ = try conn.exec("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, height_m REAL)", .{});

    // One prepared statement, run once per row, inside one transaction.
    try conn.begin(.{});
    errdefer conn.rollback() catch {};
    var insert = try conn.prepare("INSERT INTO people (name, height_m) VALUES (?, ?)");
    defer insert.deinit();
    const names = [_][]const u8{ "Ada", "Grace", "Edsger" };
    const heights = [_]?f64{ 1.65, 1.52, null };
    for (names, heights) |name, height| {
        const r = try insert.exec(.{ name, height });
        try out.print("inserted {s} as id {d}\n", .{ name, r.last_insert_id.? });
    }
    try conn.commit();

    // A query with a parameter, read column by column.
    {
        var rows = try conn.query("SELECT id, name, height_m FROM people WHERE height_m > ? ORDER BY id", .{1.6});
        defer rows.deinit();
        while (try rows.next()) |row| {
            const id = try row.get(i64, 0);
            const name = try row.get([]const u8, 1);
            const height = try row.get(f64, 2);
            try out.print("{d} {s} {d:.2}\n", .{ id, name, height });
        }
    }

    // The same rows into a struct, matched by column name.
    {
        var rows = try conn.query("SELECT id, name, height_m FROM people ORDER BY id", .{});
        defer rows.deinit();
        while (try rows.next()) |row| {
            const p = try row.scan(Person);
            if (p.height_m) |h| {
                try out.print("{s} (#{d}) is {d:.2} m\n", .{ p.name, p.id, h });
            } else {
                try out.print("{s} (#{d}) has no height on file\n", .{ p.name, p.id });
            }
        }
    }

    // Errors come back as keel.Error; the details are in the diagnostics.
    if (conn.exec("INSERT INTO people (id, name) VALUES (?, ?)", .{ 1, "Duplicate" })) |_| {
        return error.ExpectedConstraintViolation;
    } else |err| {
        try out.print("duplicate id: {t} (SQLSTATE {s})\n", .{ err, diags.sqlstate() });
    }
}
