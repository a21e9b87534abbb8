//! Errors: the `keel_status` codes as one Zig error set, and `Diagnostics`,
//! the optional side channel that receives the details of a `keel_error`.
//!
//! Every fallible wrapper returns `Error` (plus `error.OutOfMemory` where
//! it allocates). When the caller passed a `*Diagnostics`, a failed call
//! copies the message, SQLSTATE, vendor code and driver name into it, so
//! nothing has to be freed afterwards. Without one, keel is asked for no
//! error object at all.

const std = @import("std");
const c = @import("c.zig");

/// One error per `keel_status` other than OK, in the same order. A status
/// number this binding does not know (a newer library) becomes
/// `error.Unknown`, as the header asks.
pub const Error = error{
    Unknown,
    NotImplemented,
    NotFound,
    AlreadyExists,
    InvalidArgument,
    InvalidState,
    InvalidData,
    Integrity,
    Internal,
    Io,
    Cancelled,
    Timeout,
    Unauthenticated,
    Unauthorized,
    Busy,
    NullArgument,
    Panic,
};

/// `Error` plus allocation failure, for calls that copy SQL into a
/// NUL-terminated buffer or copy values out for the caller.
pub const AllocError = Error || std.mem.Allocator.Error;

/// `keel_status` as a Zig enum. Non-exhaustive: treat unknown numbers as
/// `.unknown`.
pub const Status = enum(i32) {
    ok = c.KEEL_STATUS_OK,
    unknown = c.KEEL_STATUS_UNKNOWN,
    not_implemented = c.KEEL_STATUS_NOT_IMPLEMENTED,
    not_found = c.KEEL_STATUS_NOT_FOUND,
    already_exists = c.KEEL_STATUS_ALREADY_EXISTS,
    invalid_argument = c.KEEL_STATUS_INVALID_ARGUMENT,
    invalid_state = c.KEEL_STATUS_INVALID_STATE,
    invalid_data = c.KEEL_STATUS_INVALID_DATA,
    integrity = c.KEEL_STATUS_INTEGRITY,
    internal = c.KEEL_STATUS_INTERNAL,
    io = c.KEEL_STATUS_IO,
    cancelled = c.KEEL_STATUS_CANCELLED,
    timeout = c.KEEL_STATUS_TIMEOUT,
    unauthenticated = c.KEEL_STATUS_UNAUTHENTICATED,
    unauthorized = c.KEEL_STATUS_UNAUTHORIZED,
    busy = c.KEEL_STATUS_BUSY,
    null_argument = c.KEEL_STATUS_NULL_ARGUMENT,
    panic = c.KEEL_STATUS_PANIC,
    _,

    /// The library's static English text for this status (`keel_status_str`).
    pub fn text(s: Status) []const u8 {
        return std.mem.span(c.keel_status_str(@intFromEnum(s)));
    }
};

/// `keel_retry_safety`: whether a failed call's statement can have run.
/// Non-exhaustive: treat unknown numbers as `.unknown`.
pub const RetrySafety = enum(i32) {
    /// keel cannot say more than the status does (every error the server
    /// answered with: the statement did not take effect).
    unknown = c.KEEL_RETRY_SAFETY_UNKNOWN,
    /// Nothing of the statement reached the server: safe to run again.
    not_sent = c.KEEL_RETRY_SAFETY_NOT_SENT,
    /// Sent, and the connection failed or timed out before the answer: it
    /// may have run, even committed.
    may_have_run = c.KEEL_RETRY_SAFETY_MAY_HAVE_RUN,
    /// The server answered that the transaction did not commit (deadlock,
    /// serialization failure, a write refused by a read-only server after
    /// a failover): running the whole transaction again cannot apply it
    /// twice.
    not_committed = c.KEEL_RETRY_SAFETY_NOT_COMMITTED,
    _,
};

/// The error for a non-OK status.
pub fn errorFromStatus(status: c.keel_status) Error {
    return switch (status) {
        c.KEEL_STATUS_NOT_IMPLEMENTED => error.NotImplemented,
        c.KEEL_STATUS_NOT_FOUND => error.NotFound,
        c.KEEL_STATUS_ALREADY_EXISTS => error.AlreadyExists,
        c.KEEL_STATUS_INVALID_ARGUMENT => error.InvalidArgument,
        c.KEEL_STATUS_INVALID_STATE => error.InvalidState,
        c.KEEL_STATUS_INVALID_DATA => error.InvalidData,
        c.KEEL_STATUS_INTEGRITY => error.Integrity,
        c.KEEL_STATUS_INTERNAL => error.Internal,
        c.KEEL_STATUS_IO => error.Io,
        c.KEEL_STATUS_CANCELLED => error.Cancelled,
        c.KEEL_STATUS_TIMEOUT => error.Timeout,
        c.KEEL_STATUS_UNAUTHENTICATED => error.Unauthenticated,
        c.KEEL_STATUS_UNAUTHORIZED => error.Unauthorized,
        c.KEEL_STATUS_BUSY => error.Busy,
        c.KEEL_STATUS_NULL_ARGUMENT => error.NullArgument,
        c.KEEL_STATUS_PANIC => error.Panic,
        // KEEL_STATUS_UNKNOWN, and any number this binding does not know.
        else => error.Unknown,
    };
}

/// The status an `Error` stands for.
pub fn statusFromError(err: Error) Status {
    return switch (err) {
        error.Unknown => .unknown,
        error.NotImplemented => .not_implemented,
        error.NotFound => .not_found,
        error.AlreadyExists => .already_exists,
        error.InvalidArgument => .invalid_argument,
        error.InvalidState => .invalid_state,
        error.InvalidData => .invalid_data,
        error.Integrity => .integrity,
        error.Internal => .internal,
        error.Io => .io,
        error.Cancelled => .cancelled,
        error.Timeout => .timeout,
        error.Unauthenticated => .unauthenticated,
        error.Unauthorized => .unauthorized,
        error.Busy => .busy,
        error.NullArgument => .null_argument,
        error.Panic => .panic,
    };
}

/// Details of the last failed call, copied out of a `keel_error`.
///
/// Pass `&diags` where an API takes `.diags`; it is written only when a
/// call fails and needs no cleanup. Texts longer than the buffers are cut
/// at a UTF-8 boundary and end in "...".
pub const Diagnostics = struct {
    /// The failed call's status.
    status: Status = .ok,
    /// The engine's own error number (SQLite extended result code, MySQL
    /// errno; 0 when none, always for PostgreSQL).
    vendor_code: i32 = 0,
    /// Whether running the call again could apply its statement twice
    /// (`keel_error_retry_safety`).
    retry_safety: RetrySafety = .unknown,
    message_buf: [1024]u8 = undefined,
    message_len: usize = 0,
    sqlstate_buf: [5]u8 = undefined,
    sqlstate_len: u8 = 0,
    driver_buf: [32]u8 = undefined,
    driver_len: u8 = 0,

    /// The message, with context (the start of the SQL, an index).
    pub fn message(d: *const Diagnostics) []const u8 {
        return d.message_buf[0..d.message_len];
    }

    /// The five-character SQLSTATE, or "" when there is none.
    pub fn sqlstate(d: *const Diagnostics) []const u8 {
        return d.sqlstate_buf[0..d.sqlstate_len];
    }

    /// The driver that raised the error ("sqlite"), or "keel" for errors
    /// found by keel or by this binding.
    pub fn driver(d: *const Diagnostics) []const u8 {
        return d.driver_buf[0..d.driver_len];
    }

    /// Forget the last error.
    pub fn clear(d: *Diagnostics) void {
        d.* = .{};
    }

    /// Copy everything out of a `keel_error` (which stays owned by the caller).
    pub fn fill(d: *Diagnostics, err: *const c.keel_error) void {
        d.status = @enumFromInt(c.keel_error_status(err));
        d.vendor_code = c.keel_error_vendor_code(err);
        d.retry_safety = @enumFromInt(c.keel_error_retry_safety(err));
        d.message_len = copyClipped(&d.message_buf, std.mem.span(c.keel_error_message(err)));
        d.sqlstate_len = @intCast(copyClipped(&d.sqlstate_buf, std.mem.span(c.keel_error_sqlstate(err))));
        d.driver_len = @intCast(copyClipped(&d.driver_buf, std.mem.span(c.keel_error_driver(err))));
    }

    /// Record an error the binding itself found (driver "keel", no SQLSTATE).
    pub fn set(d: *Diagnostics, status: Status, comptime fmt: []const u8, args: anytype) void {
        d.* = .{ .status = status };
        var w: std.Io.Writer = .fixed(&d.message_buf);
        w.print(fmt, args) catch {};
        d.message_len = w.end;
        d.driver_len = @intCast(copyClipped(&d.driver_buf, "keel"));
    }

    /// "driver: message [SQLSTATE 23000, code 2067]".
    pub fn format(d: *const Diagnostics, w: *std.Io.Writer) std.Io.Writer.Error!void {
        try w.print("{s}: {s}", .{ d.driver(), d.message() });
        if (d.sqlstate_len != 0 or d.vendor_code != 0) {
            try w.print(" [SQLSTATE {s}, code {d}]", .{ d.sqlstate(), d.vendor_code });
        }
    }
};

/// Copy `src` into `dst`, clipping at a UTF-8 boundary with "..." when it
/// does not fit. Returns the length written.
fn copyClipped(dst: []u8, src: []const u8) usize {
    if (src.len <= dst.len) {
        @memcpy(dst[0..src.len], src);
        return src.len;
    }
    const ellipsis = "...";
    if (dst.len < ellipsis.len) {
        @memcpy(dst, src[0..dst.len]);
        return dst.len;
    }
    var n = dst.len - ellipsis.len;
    // Back up to the start of a UTF-8 sequence.
    while (n > 0 and (src[n] & 0xC0) == 0x80) n -= 1;
    @memcpy(dst[0..n], src[0..n]);
    @memcpy(dst[n..][0..ellipsis.len], ellipsis);
    return n + ellipsis.len;
}

/// Where a wrapper call sends error details: a place for keel to store a
/// `keel_error`, present only when the caller wants diagnostics.
pub const ErrOut = struct {
    diags: ?*Diagnostics,
    err: ?*c.keel_error = null,

    pub fn init(diags: ?*Diagnostics) ErrOut {
        return .{ .diags = diags };
    }

    /// The `keel_error **` to pass to C: NULL when nobody will read it.
    pub fn ptr(e: *ErrOut) ?*?*c.keel_error {
        return if (e.diags != null) &e.err else null;
    }

    /// Turn a status into `Error!void`, filling the diagnostics and freeing
    /// the error object.
    pub fn check(e: *ErrOut, status: c.keel_status) Error!void {
        if (status == c.KEEL_STATUS_OK) return;
        if (e.diags) |d| {
            if (e.err) |err| {
                d.fill(err);
            } else {
                d.set(@enumFromInt(status), "{s}", .{std.mem.span(c.keel_status_str(status))});
            }
        }
        c.keel_error_free(e.err);
        e.err = null;
        return errorFromStatus(status);
    }
};

/// Record a binding-side failure in `diags` (if any) and return its error.
pub fn fail(diags: ?*Diagnostics, err: Error, comptime fmt: []const u8, args: anytype) Error {
    if (diags) |d| d.set(statusFromError(err), fmt, args);
    return err;
}

test "every status maps to one error and back" {
    const names = @typeInfo(Error).error_set.error_names.?;
    try std.testing.expectEqual(@as(usize, 17), names.len);
    var status: i32 = 1;
    while (status <= c.KEEL_STATUS_PANIC) : (status += 1) {
        const err = errorFromStatus(status);
        try std.testing.expectEqual(status, @intFromEnum(statusFromError(err)));
    }
    try std.testing.expectEqual(error.Unknown, errorFromStatus(9999));
    try std.testing.expectEqual(error.Unknown, errorFromStatus(-1));
}

test "diagnostics clip long text at a UTF-8 boundary" {
    var buf: [8]u8 = undefined;
    try std.testing.expectEqualStrings("abc", buf[0..copyClipped(&buf, "abc")]);
    try std.testing.expectEqualStrings("abcde...", buf[0..copyClipped(&buf, "abcdefghijk")]);
    // "ä" is two bytes; cutting inside it must back up.
    try std.testing.expectEqualStrings("abcd...", buf[0..copyClipped(&buf, "abcdäfghijk")]);
}
