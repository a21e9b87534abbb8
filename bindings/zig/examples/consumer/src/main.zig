const std = @import("std");
const keel = @import("keel");

const Book = struct {
    id: i64,
    title: []const u8, // owned: queryRow copies it, freeScanned frees it
    cover: ?keel.Blob,
    pub const keel_columns = .{ .title = "book_title" };
};

pub fn main(init: std.process.Init) !void {
    const gpa = init.gpa;
    var db = try keel.Db.open(gpa, "sqlite::memory:", .{ .pool = .{ .max_open = 2 } });
    defer db.deinit();
    var conn = try db.checkout();
    defer conn.deinit();

    _ = try conn.exec("CREATE TABLE books (id INTEGER PRIMARY KEY, book_title TEXT NOT NULL, cover BLOB)", .{});
    _ = try conn.exec("INSERT INTO books (book_title, cover) VALUES (?, ?)", .{ "Dune", keel.Blob{ .data = "\x89PNG" } });

    const book = (try conn.queryRow(Book, gpa, "SELECT id, book_title, cover FROM books WHERE id = ?", .{1})).?;
    defer keel.freeScanned(gpa, book);
    var buf: [256]u8 = undefined;
    var stdout: std.Io.File.Writer = .init(.stdout(), init.io, &buf);
    try stdout.interface.print("{d} {s} ({d}-byte cover)\n", .{ book.id, book.title, book.cover.?.data.len });
    try stdout.interface.flush();
}
