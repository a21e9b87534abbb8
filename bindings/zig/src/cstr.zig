//! NUL-terminated copies of `[]const u8` arguments (URLs, savepoint names)
//! for the C API: on the stack when short, from the caller's allocator when
//! not; and the check that `[:0]const u8` arguments (table names, catalog
//! patterns, driver paths) hold no NUL byte before their end. SQL needs
//! neither: it goes to the `_len` calls with its length.

const std = @import("std");
const errors = @import("errors.zig");

pub const CStr = struct {
    buf: [stack_len]u8 = undefined,
    heap: ?[:0]u8 = null,

    const stack_len = 1024;

    /// A NUL-terminated copy of `s`, valid until `deinit`. Text containing
    /// a NUL byte is refused (`error.InvalidArgument`, nothing sent): C
    /// would see only the part before it, and a URL cut before
    /// `?sslmode=verify-full` would connect unverified.
    pub fn init(self: *CStr, allocator: std.mem.Allocator, s: []const u8, diags: ?*errors.Diagnostics, what: []const u8) errors.AllocError![*:0]const u8 {
        try refuseNul(s, diags, what);
        if (s.len < stack_len) {
            @memcpy(self.buf[0..s.len], s);
            self.buf[s.len] = 0;
            return self.buf[0..s.len :0];
        }
        const copy = try allocator.dupeSentinel(u8, s, 0);
        self.heap = copy;
        return copy;
    }

    pub fn deinit(self: *CStr, allocator: std.mem.Allocator) void {
        if (self.heap) |h| allocator.free(h);
        self.heap = null;
    }
};

/// `error.InvalidArgument` (nothing sent) when `s` holds a NUL byte: C
/// reads a string only up to its first NUL, so the rest would be dropped
/// without a word (`"orders\x00_old"` would name `orders`).
fn refuseNul(s: []const u8, diags: ?*errors.Diagnostics, what: []const u8) errors.Error!void {
    if (std.mem.findScalar(u8, s, 0)) |at| {
        const err = errors.fail(diags, error.InvalidArgument, "{s} contains a NUL byte at offset {d}", .{ what, at });
        if (diags) |d| d.retry_safety = .not_sent;
        return err;
    }
}

/// A `[:0]const u8` argument as the C string keel reads, uncopied: its
/// sentinel ends it already, but a NUL before the sentinel would end it
/// there for C, so such text is refused as `CStr.init` refuses it.
pub fn z(s: [:0]const u8, diags: ?*errors.Diagnostics, what: []const u8) errors.Error![*:0]const u8 {
    try refuseNul(s, diags, what);
    return s.ptr;
}

/// `z` for an optional argument: null stays NULL (keel's "any").
pub fn zOpt(s: ?[:0]const u8, diags: ?*errors.Diagnostics, what: []const u8) errors.Error!?[*:0]const u8 {
    return if (s) |v| try z(v, diags, what) else null;
}

test "short text stays on the stack, long text is allocated and freed" {
    const a = std.testing.allocator;
    var s: CStr = .{};
    const p = try s.init(a, "select 1", null, "SQL");
    try std.testing.expectEqualStrings("select 1", std.mem.span(p));
    try std.testing.expect(s.heap == null);
    s.deinit(a);

    const long: [5000]u8 = @splat('x');
    var l: CStr = .{};
    const q = try l.init(a, &long, null, "SQL");
    try std.testing.expectEqual(@as(usize, 5000), std.mem.span(q).len);
    try std.testing.expect(l.heap != null);
    l.deinit(a); // std.testing.allocator fails the test on a leak

    var d: errors.Diagnostics = .{};
    var n: CStr = .{};
    try std.testing.expectError(error.InvalidArgument, n.init(a, "a\x00b", &d, "SQL"));
    try std.testing.expectEqualStrings("SQL contains a NUL byte at offset 1", d.message());
    try std.testing.expectEqualStrings("keel", d.driver());
    try std.testing.expectEqual(errors.RetrySafety.not_sent, d.retry_safety);
}

test "a [:0]const u8 with a NUL before its end is refused, uncut" {
    var d: errors.Diagnostics = .{};
    const name: [:0]const u8 = "orders";
    try std.testing.expectEqual(name.ptr, try z(name, &d, "table name"));
    try std.testing.expectEqual(@as(?[*:0]const u8, null), try zOpt(null, &d, "schema pattern"));
    try std.testing.expectError(error.InvalidArgument, z("orders\x00_old", &d, "table name"));
    try std.testing.expectEqualStrings("table name contains a NUL byte at offset 6", d.message());
    try std.testing.expectEqual(errors.RetrySafety.not_sent, d.retry_safety);
    try std.testing.expectError(error.InvalidArgument, zOpt("a\x00", null, "schema pattern"));
}
