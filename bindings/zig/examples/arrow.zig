//! A query's result as an Arrow C stream (`Conn.queryArrow`), read the way
//! any Arrow consumer reads one: the schema (column names and formats),
//! then record batches until the end, each column's values taken from the
//! array's buffers (validity bitmap, int64 values, utf8 offsets and data).
//!
//!   zig build run-arrow-example    (from bindings/zig)

const std = @import("std");
const keel = @import("keel");
const c = keel.c;

pub fn main(init: std.process.Init) !void {
    var stdout_buf: [1024]u8 = undefined;
    var stdout_writer: std.Io.File.Writer = .init(.stdout(), init.io, &stdout_buf);
    const out = &stdout_writer.interface;
    defer out.flush() catch {};

    var diags: keel.Diagnostics = .{};
    run(init.gpa, &diags, out) catch |err| {
        out.flush() catch {};
        std.debug.print("error: {t}: {f}\n", .{ err, diags });
        return err;
    };
}

fn run(gpa: std.mem.Allocator, diags: *keel.Diagnostics, out: *std.Io.Writer) !void {
    // Two rows per batch, so that the stream has several.
    var db = try keel.Db.open(gpa, "sqlite::memory:?arrow_batch_rows=2", .{ .diags = diags });
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();
    _ = try conn.exec("CREATE TABLE langs (id INTEGER PRIMARY KEY, name TEXT)", .{});
    for ([_]?[]const u8{ "C", "Zig", null, "Odin", "Python" }) |name| {
        _ = try conn.exec("INSERT INTO langs (name) VALUES (?)", .{name});
    }

    var stream = try conn.queryArrow("SELECT id, name FROM langs WHERE id > ? ORDER BY id", .{0});
    defer stream.release.?(&stream);

    var schema: c.ArrowSchema = undefined;
    if (stream.get_schema.?(&stream, &schema) != 0) return streamError(&stream);
    for (0..@intCast(schema.n_children)) |i| {
        const field = schema.children.?[i];
        try out.print("column {d}: {s} ({s})\n", .{ i, std.mem.span(field.name.?), std.mem.span(field.format.?) });
    }
    schema.release.?(&schema);

    var batch_no: usize = 0;
    while (true) {
        var batch: c.ArrowArray = undefined;
        if (stream.get_next.?(&stream, &batch) != 0) return streamError(&stream);
        const release = batch.release orelse break; // released array: the end
        defer release(&batch);
        try out.print("batch {d}: {d} rows\n", .{ batch_no, batch.length });
        batch_no += 1;
        const ids = batch.children.?[0];
        const names = batch.children.?[1];
        for (0..@intCast(batch.length)) |r| {
            const id = int64At(ids, r);
            if (utf8At(names, r)) |name| {
                try out.print("  {d} {s}\n", .{ id, name });
            } else {
                try out.print("  {d} (null)\n", .{id});
            }
        }
    }
}

/// Whether row `r` of `a` holds a value (its validity bitmap, when it has one).
fn isValid(a: *const c.ArrowArray, r: usize) bool {
    const bits: [*]const u8 = @ptrCast(a.buffers.?[0] orelse return true);
    const i = @as(usize, @intCast(a.offset)) + r;
    return (bits[i / 8] >> @intCast(i % 8)) & 1 == 1;
}

/// Row `r` of an int64 array (format "l").
fn int64At(a: *const c.ArrowArray, r: usize) i64 {
    const values: [*]const i64 = @ptrCast(@alignCast(a.buffers.?[1].?));
    return values[@as(usize, @intCast(a.offset)) + r];
}

/// Row `r` of a utf8 array (format "u": int32 offsets, then the bytes), or
/// null for NULL.
fn utf8At(a: *const c.ArrowArray, r: usize) ?[]const u8 {
    if (!isValid(a, r)) return null;
    const offsets: [*]const i32 = @ptrCast(@alignCast(a.buffers.?[1].?));
    const data: [*]const u8 = @ptrCast(a.buffers.?[2].?);
    const i = @as(usize, @intCast(a.offset)) + r;
    return data[@intCast(offsets[i])..@intCast(offsets[i + 1])];
}

fn streamError(stream: *c.ArrowArrayStream) error{ArrowStream} {
    const msg = stream.get_last_error.?(stream);
    std.debug.print("Arrow stream: {s}\n", .{if (msg) |m| std.mem.span(m) else "(no message)"});
    return error.ArrowStream;
}
