const std = @import("std");
const keel = @import("keel");

const Person = struct {
    id: i64,
    name: []const u8, // borrowed: valid until the next rows.next()
    height_m: ?f64, // optional: NULL reads as null
};

pub fn main(init: std.process.Init) !void {
    var diags: keel.Diagnostics = .{};
    run(init.gpa, &diags) catch |err| {
        // err is a keel.Error such as error.Integrity; the details are here:
        std.debug.print("{t}: {f}\n", .{ err, diags });
        return err;
    };
}

fn run(gpa: std.mem.Allocator, diags: *keel.Diagnostics) !void {
    var db = try keel.Db.open(gpa, "sqlite::memory:", .{ .diags = diags });
    defer db.deinit(); // cannot fail
    var conn = try db.checkout();
    defer conn.deinit(); // returns the connection to the pool

    _ = try conn.exec("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, height_m REAL)", .{});

    // Parameters are a tuple, converted at comptime; `?` works on every engine.
    const r = try conn.exec("INSERT INTO people (name, height_m) VALUES (?, ?)", .{ "Ada", 1.65 });
    std.debug.print("inserted id {d}\n", .{r.last_insert_id.?});

    // A prepared statement inside a transaction.
    try conn.begin(.{});
    errdefer conn.rollback() catch {};
    var insert = try conn.prepare("INSERT INTO people (name, height_m) VALUES (?, ?)");
    defer insert.deinit();
    _ = try insert.exec(.{ "Grace", 1.52 });
    _ = try insert.exec(.{ "Edsger", null });
    try conn.commit();

    var rows = try conn.query("SELECT id, name, height_m FROM people WHERE id > ? ORDER BY id", .{0});
    defer rows.deinit();
    while (try rows.next()) |row| {
        const id = try row.get(i64, 0);
        const name = try row.get([]const u8, 1);
        const height = try row.get(?f64, 2);
        const p = try row.scan(Person); // or all at once, by column name
        std.debug.print("{d} {s} {?d} / {s}\n", .{ id, name, height, p.name });
    }
}
