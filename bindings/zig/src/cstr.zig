//! NUL-terminated copies of `[]const u8` arguments (URLs, savepoint names)
//! for the C API: on the stack when short, from the caller's allocator when
//! not. SQL needs none: it goes to the `_len` calls with its length.

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
        if (std.mem.findScalar(u8, s, 0)) |at| {
            const err = errors.fail(diags, error.InvalidArgument, "{s} contains a NUL byte at offset {d}", .{ what, at });
            if (diags) |d| d.retry_safety = .not_sent;
            return err;
        }
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
