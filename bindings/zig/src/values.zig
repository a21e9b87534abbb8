//! Value types: wrappers for the keel types that have no natural Zig
//! type (dates, times, timestamps, uuids, blobs, JSON, decimals), the
//! dynamic `Value`, and the comptime conversion of a parameter tuple into
//! the `keel_value` array the C API reads.

const std = @import("std");
const c = @import("c.zig");

/// `keel_type`: the type a column or value reads as.
pub const Type = enum(i32) {
    null = c.KEEL_TYPE_NULL,
    bool = c.KEEL_TYPE_BOOL,
    int64 = c.KEEL_TYPE_INT64,
    uint64 = c.KEEL_TYPE_UINT64,
    double = c.KEEL_TYPE_DOUBLE,
    text = c.KEEL_TYPE_TEXT,
    bytes = c.KEEL_TYPE_BYTES,
    date = c.KEEL_TYPE_DATE,
    time = c.KEEL_TYPE_TIME,
    timestamp = c.KEEL_TYPE_TIMESTAMP,
    timestamptz = c.KEEL_TYPE_TIMESTAMPTZ,
    uuid = c.KEEL_TYPE_UUID,
    json = c.KEEL_TYPE_JSON,
    decimal = c.KEEL_TYPE_DECIMAL,
    _,
};

/// Binary data. As a parameter it binds as bytes (a bare `[]const u8` binds
/// as text); read with `row.get(keel.Blob, i)`.
pub const Blob = struct { data: []const u8 };

/// JSON text; keel passes it through and the engine may parse it.
pub const Json = struct { text: []const u8 };

/// An exact decimal number as text, e.g. "-12.50".
pub const Decimal = struct { text: []const u8 };

/// A calendar date: days since 1970-01-01.
pub const Date = struct {
    days: i32,

    /// The date of a proleptic Gregorian year, month (1-12) and day (1-31).
    /// Out-of-range months or days are the caller's bug (no normalisation).
    pub fn fromCivil(year: i32, month: u8, day: u8) Date {
        // Howard Hinnant's days_from_civil.
        const y: i64 = @as(i64, year) - @intFromBool(month <= 2);
        const era = @divFloor(y, 400);
        const yoe = y - era * 400;
        const m: i64 = month;
        const doy = @divFloor(153 * (if (m > 2) m - 3 else m + 9) + 2, 5) + day - 1;
        const doe = yoe * 365 + @divFloor(yoe, 4) - @divFloor(yoe, 100) + doy;
        return .{ .days = @intCast(era * 146097 + doe - 719468) };
    }

    pub const Civil = struct { year: i32, month: u8, day: u8 };

    /// The year, month and day of this date.
    pub fn civil(d: Date) Civil {
        const z: i64 = @as(i64, d.days) + 719468;
        const era = @divFloor(z, 146097);
        const doe = z - era * 146097;
        const yoe = @divFloor(doe - @divFloor(doe, 1460) + @divFloor(doe, 36524) - @divFloor(doe, 146096), 365);
        const doy = doe - (365 * yoe + @divFloor(yoe, 4) - @divFloor(yoe, 100));
        const mp = @divFloor(5 * doy + 2, 153);
        const day = doy - @divFloor(153 * mp + 2, 5) + 1;
        const month = if (mp < 10) mp + 3 else mp - 9;
        const year = yoe + era * 400 + @intFromBool(month <= 2);
        return .{ .year = @intCast(year), .month = @intCast(month), .day = @intCast(day) };
    }

    /// keel's canonical text (keel.h, VALUES): "YYYY-MM-DD" for the years
    /// 0 to 9999, and a year outside them with its sign and at least four
    /// digits ("-0044-03-15", "+10000-01-01"), the same text
    /// `row.get([]const u8, i)` reads for a date. Every `days` an `i32`
    /// holds (years -5877641 to +5881580) formats.
    pub fn format(d: Date, w: *std.Io.Writer) std.Io.Writer.Error!void {
        const v = d.civil();
        // The sign is written apart from the digits: `{d:0>4}` pads a
        // negative number's text ("00-44"), and a year is never cast to an
        // unsigned type (a year before 0 does not fit one).
        if (v.year < 0 or v.year > 9999) try w.writeByte(if (v.year < 0) '-' else '+');
        try w.print("{d:0>4}-{d:0>2}-{d:0>2}", .{ @abs(v.year), v.month, v.day });
    }
};

/// A time of day: microseconds since midnight.
pub const Time = struct {
    micros: i64,

    pub fn fromHms(hour: u8, minute: u8, second: u8, micro: u32) Time {
        return .{ .micros = ((@as(i64, hour) * 60 + minute) * 60 + second) * std.time.us_per_s + micro };
    }
};

/// A timestamp without zone: microseconds since 1970-01-01T00:00:00 as
/// written (binds as `KEEL_TYPE_TIMESTAMP`).
pub const Timestamp = struct {
    micros: i64,

    pub fn fromParts(date: Date, time: Time) Timestamp {
        return .{ .micros = @as(i64, date.days) * std.time.us_per_day + time.micros };
    }
};

/// An instant: microseconds since 1970-01-01T00:00:00Z (binds as
/// `KEEL_TYPE_TIMESTAMPTZ`; reading one gives UTC).
pub const TimestampTz = struct { micros: i64 };

/// A uuid as 16 bytes, big-endian as written.
pub const Uuid = struct {
    bytes: [16]u8,

    /// Parse the 36-character hyphenated form (either case).
    pub fn parse(text: []const u8) error{InvalidUuid}!Uuid {
        if (text.len != 36) return error.InvalidUuid;
        var out: Uuid = .{ .bytes = undefined };
        var j: usize = 0;
        var i: usize = 0;
        while (i < 36) {
            if (i == 8 or i == 13 or i == 18 or i == 23) {
                if (text[i] != '-') return error.InvalidUuid;
                i += 1;
                continue;
            }
            const hi = std.fmt.charToDigit(text[i], 16) catch return error.InvalidUuid;
            const lo = std.fmt.charToDigit(text[i + 1], 16) catch return error.InvalidUuid;
            out.bytes[j] = hi * 16 + lo;
            j += 1;
            i += 2;
        }
        return out;
    }

    /// The lower-case hyphenated form.
    pub fn format(u: Uuid, w: *std.Io.Writer) std.Io.Writer.Error!void {
        for (u.bytes, 0..) |b, i| {
            if (i == 4 or i == 6 or i == 8 or i == 10) try w.writeByte('-');
            try w.print("{x:0>2}", .{b});
        }
    }
};

/// Any one value, tagged with its keel type. Read with
/// `row.get(keel.Value, i)` (text and bytes are then borrowed like any
/// other read) or pass as a parameter.
pub const Value = union(enum) {
    null,
    bool: bool,
    int64: i64,
    uint64: u64,
    double: f64,
    text: []const u8,
    bytes: []const u8,
    date: Date,
    time: Time,
    timestamp: Timestamp,
    timestamptz: TimestampTz,
    uuid: Uuid,
    json: []const u8,
    decimal: []const u8,

    /// The keel type of this value.
    pub fn kind(v: Value) Type {
        return switch (v) {
            inline else => |_, tag| @field(Type, @tagName(tag)),
        };
    }

    /// Convert a `keel_value` read from a cursor. Text and bytes stay
    /// borrowed from the cursor; a uuid is copied.
    pub fn fromC(v: c.keel_value) error{InvalidData}!Value {
        const data: []const u8 = if (v.data) |p| p[0..v.len] else &.{};
        return switch (v.kind) {
            c.KEEL_TYPE_NULL => .null,
            c.KEEL_TYPE_BOOL => .{ .bool = v.int_value != 0 },
            c.KEEL_TYPE_INT64 => .{ .int64 = v.int_value },
            c.KEEL_TYPE_UINT64 => .{ .uint64 = v.uint_value },
            c.KEEL_TYPE_DOUBLE => .{ .double = v.double_value },
            c.KEEL_TYPE_TEXT => .{ .text = data },
            c.KEEL_TYPE_BYTES => .{ .bytes = data },
            c.KEEL_TYPE_DATE => .{ .date = .{ .days = std.math.cast(i32, v.int_value) orelse return error.InvalidData } },
            c.KEEL_TYPE_TIME => .{ .time = .{ .micros = v.int_value } },
            c.KEEL_TYPE_TIMESTAMP => .{ .timestamp = .{ .micros = v.int_value } },
            c.KEEL_TYPE_TIMESTAMPTZ => .{ .timestamptz = .{ .micros = v.int_value } },
            c.KEEL_TYPE_UUID => blk: {
                if (data.len != 16) return error.InvalidData;
                break :blk .{ .uuid = .{ .bytes = data[0..16].* } };
            },
            c.KEEL_TYPE_JSON => .{ .json = data },
            c.KEEL_TYPE_DECIMAL => .{ .decimal = data },
            else => error.InvalidData,
        };
    }
};

fn scalar(kind: c.keel_type) c.keel_value {
    return .{ .kind = kind, .int_value = 0, .uint_value = 0, .double_value = 0, .data = null, .len = 0 };
}

fn withData(kind: c.keel_type, data: []const u8) c.keel_value {
    var v = scalar(kind);
    v.data = data.ptr;
    v.len = data.len;
    return v;
}

fn withInt(kind: c.keel_type, i: i64) c.keel_value {
    var v = scalar(kind);
    v.int_value = i;
    return v;
}

/// Whether `T` is a string type that binds as text: `[]const u8`,
/// `[:0]const u8`, `*const [N]u8` (string literals) and their mutable forms.
pub fn isText(comptime T: type) bool {
    return switch (@typeInfo(T)) {
        .pointer => |p| switch (p.size) {
            .slice => p.child == u8,
            .one => switch (@typeInfo(p.child)) {
                .array => |a| a.child == u8,
                else => false,
            },
            else => false,
        },
        else => false,
    };
}

/// Convert one parameter to a `keel_value`. `p` must stay where it is
/// until the C call that reads the value returns (a uuid points into it).
///
/// Accepted types: `bool`; integers up to 64 bits (signed, and unsigned
/// below 64 bits, bind as int64; `u64`/`usize` as uint64); `comptime_int`;
/// `f32`, `f64`, `comptime_float`; text (see `isText`); `Blob`, `Json`,
/// `Decimal`, `Date`, `Time`, `Timestamp`, `TimestampTz`, `Uuid`, `Value`;
/// `null` and optionals of any of these. Anything else is a compile error.
pub fn toC(comptime T: type, p: *const T) c.keel_value {
    if (comptime isText(T)) return withData(c.KEEL_TYPE_TEXT, p.*[0..]);
    switch (T) {
        Blob => return withData(c.KEEL_TYPE_BYTES, p.data),
        Json => return withData(c.KEEL_TYPE_JSON, p.text),
        Decimal => return withData(c.KEEL_TYPE_DECIMAL, p.text),
        Date => return withInt(c.KEEL_TYPE_DATE, p.days),
        Time => return withInt(c.KEEL_TYPE_TIME, p.micros),
        Timestamp => return withInt(c.KEEL_TYPE_TIMESTAMP, p.micros),
        TimestampTz => return withInt(c.KEEL_TYPE_TIMESTAMPTZ, p.micros),
        Uuid => return withData(c.KEEL_TYPE_UUID, &p.bytes),
        Value => return switch (p.*) {
            .null => scalar(c.KEEL_TYPE_NULL),
            .bool => |b| withInt(c.KEEL_TYPE_BOOL, @intFromBool(b)),
            .int64 => |i| withInt(c.KEEL_TYPE_INT64, i),
            .uint64 => |*u| toC(u64, u),
            .double => |*f| toC(f64, f),
            .text => |s| withData(c.KEEL_TYPE_TEXT, s),
            .bytes => |s| withData(c.KEEL_TYPE_BYTES, s),
            .json => |s| withData(c.KEEL_TYPE_JSON, s),
            .decimal => |s| withData(c.KEEL_TYPE_DECIMAL, s),
            .date => |*d| toC(Date, d),
            .time => |*t| toC(Time, t),
            .timestamp => |*t| toC(Timestamp, t),
            .timestamptz => |*t| toC(TimestampTz, t),
            .uuid => |*u| toC(Uuid, u),
        },
        else => {},
    }
    switch (@typeInfo(T)) {
        .optional => |o| return if (p.*) |*inner| toC(o.child, inner) else scalar(c.KEEL_TYPE_NULL),
        .bool => return withInt(c.KEEL_TYPE_BOOL, @intFromBool(p.*)),
        .int => |i| {
            if (i.bits > 64) @compileError("keel: " ++ @typeName(T) ++ " is wider than 64 bits; cast it to i64 or u64");
            if (i.signedness == .signed or i.bits < 64) return withInt(c.KEEL_TYPE_INT64, p.*);
            var out = scalar(c.KEEL_TYPE_UINT64);
            out.uint_value = p.*;
            return out;
        },
        .float => |f| {
            if (f.bits > 64) @compileError("keel: " ++ @typeName(T) ++ " is wider than f64");
            var out = scalar(c.KEEL_TYPE_DOUBLE);
            out.double_value = p.*;
            return out;
        },
        .pointer => |ptr| if (ptr.size == .many and ptr.sentinel() != null and ptr.child == u8) {
            return withData(c.KEEL_TYPE_TEXT, std.mem.span(p.*));
        },
        else => {},
    }
    @compileError("keel: cannot bind a parameter of type " ++ @typeName(T));
}

/// Convert a comptime-only parameter (`null`, an integer or float literal).
fn comptimeToC(comptime v: anytype) c.keel_value {
    const T = @TypeOf(v);
    switch (@typeInfo(T)) {
        .null => return scalar(c.KEEL_TYPE_NULL),
        .comptime_int => {
            if (std.math.cast(i64, v) != null) return withInt(c.KEEL_TYPE_INT64, v);
            if (std.math.cast(u64, v) != null) {
                var out = scalar(c.KEEL_TYPE_UINT64);
                out.uint_value = v;
                return out;
            }
            @compileError(std.fmt.comptimePrint("keel: integer {d} does not fit in 64 bits", .{v}));
        },
        .comptime_float => {
            var out = scalar(c.KEEL_TYPE_DOUBLE);
            out.double_value = v;
            return out;
        },
        else => @compileError("keel: cannot bind a parameter of type " ++ @typeName(T)),
    }
}

/// The number of parameters in an argument tuple (`.{ a, b }`).
pub fn paramCount(comptime Args: type) usize {
    const info = switch (@typeInfo(Args)) {
        .@"struct" => |s| s,
        else => @compileError("keel: parameters must be a tuple such as .{ 1, \"x\" }, not " ++ @typeName(Args)),
    };
    if (!info.is_tuple) @compileError("keel: parameters must be a tuple such as .{ 1, \"x\" }, not " ++ @typeName(Args));
    return info.field_names.len;
}

/// Fill `out` with one `keel_value` per element of the tuple `args`. The
/// values borrow from `args`, which must stay in place until the C call
/// that reads them returns.
pub fn fillParams(comptime Args: type, args: *const Args, out: *[paramCount(Args)]c.keel_value) void {
    const info = @typeInfo(Args).@"struct";
    inline for (info.field_names, info.field_types, info.field_attrs, 0..) |name, F, attrs, i| {
        switch (@typeInfo(F)) {
            .null, .comptime_int, .comptime_float => out[i] = comptime comptimeToC(@field(args.*, name)),
            else => if (attrs.@"comptime") {
                // A comptime-known element (`.{ keel.Date{ .days = 1 } }`): point
                // at the constant itself, which lives for the whole program.
                const constant = comptime attrs.defaultValue(F).?;
                out[i] = toC(F, &constant);
            } else {
                out[i] = toC(F, &@field(args.*, name));
            },
        }
    }
}

test "dates convert to and from the calendar" {
    try std.testing.expectEqual(@as(i32, 0), Date.fromCivil(1970, 1, 1).days);
    try std.testing.expectEqual(@as(i32, 19723), Date.fromCivil(2024, 1, 1).days);
    try std.testing.expectEqual(@as(i32, -1), Date.fromCivil(1969, 12, 31).days);
    try std.testing.expectEqual(@as(i32, 11016), Date.fromCivil(2000, 2, 29).days);
    var d: i32 = -800000;
    while (d < 800000) : (d += 997) {
        const v = (Date{ .days = d }).civil();
        try std.testing.expectEqual(d, Date.fromCivil(v.year, v.month, v.day).days);
    }
    try std.testing.expectFmt("2000-02-29", "{f}", .{Date.fromCivil(2000, 2, 29)});
}

test "dates format as keel's text for every year, signed outside 0-9999" {
    // keel.h's VALUES and src/core/value.rs's format_date: four digits for
    // the years 0 to 9999, else a sign and at least four digits.
    const cases = [_]struct { days: i32, text: []const u8 }{
        .{ .days = -735525, .text = "-0044-03-15" }, // keel.h's example
        // PostgreSQL's DATE '0044-03-15 BC': years count through 0 (1 BC
        // is year 0), as in ISO 8601 and keel's text.
        .{ .days = -735160, .text = "-0043-03-15" },
        .{ .days = -719529, .text = "-0001-12-31" },
        .{ .days = -719528, .text = "0000-01-01" },
        .{ .days = -719163, .text = "0000-12-31" },
        .{ .days = -719162, .text = "0001-01-01" },
        .{ .days = 2932896, .text = "9999-12-31" },
        .{ .days = 2932897, .text = "+10000-01-01" },
        .{ .days = -4371953, .text = "-10000-01-01" },
        .{ .days = std.math.maxInt(i32), .text = "+5881580-07-11" },
        .{ .days = std.math.minInt(i32), .text = "-5877641-06-23" },
    };
    for (cases) |case| {
        try std.testing.expectFmt(case.text, "{f}", .{Date{ .days = case.days }});
    }
    try std.testing.expectEqual(@as(i32, -735525), Date.fromCivil(-44, 3, 15).days);
    try std.testing.expectEqual(@as(i32, 2932897), Date.fromCivil(10000, 1, 1).days);
}

test "uuids parse and format" {
    const u = try Uuid.parse("123E4567-e89b-12d3-a456-426614174000");
    try std.testing.expectEqual(@as(u8, 0x12), u.bytes[0]);
    try std.testing.expectEqual(@as(u8, 0x00), u.bytes[15]);
    try std.testing.expectFmt("123e4567-e89b-12d3-a456-426614174000", "{f}", .{u});
    try std.testing.expectError(error.InvalidUuid, Uuid.parse("123e4567-e89b-12d3-a456-42661417400"));
    try std.testing.expectError(error.InvalidUuid, Uuid.parse("123e4567+e89b-12d3-a456-426614174000"));
    try std.testing.expectError(error.InvalidUuid, Uuid.parse("123e4567-e89b-12d3-a456-42661417400g"));
}

test "parameters map to the right keel_value kind" {
    const i: u8 = 7;
    try std.testing.expectEqual(c.KEEL_TYPE_INT64, toC(u8, &i).kind);
    const big: u64 = std.math.maxInt(u64);
    const vb = toC(u64, &big);
    try std.testing.expectEqual(c.KEEL_TYPE_UINT64, vb.kind);
    try std.testing.expectEqual(big, vb.uint_value);
    const neg: i16 = -3;
    try std.testing.expectEqual(@as(i64, -3), toC(i16, &neg).int_value);
    const s: []const u8 = "héllo";
    const vs = toC([]const u8, &s);
    try std.testing.expectEqual(c.KEEL_TYPE_TEXT, vs.kind);
    try std.testing.expectEqual(@as(usize, 6), vs.len);
    const lit = "abc";
    try std.testing.expectEqual(c.KEEL_TYPE_TEXT, toC(@TypeOf(lit), &lit).kind);
    const blob: Blob = .{ .data = "\x00\x01" };
    try std.testing.expectEqual(c.KEEL_TYPE_BYTES, toC(Blob, &blob).kind);
    const none: ?i32 = null;
    try std.testing.expectEqual(c.KEEL_TYPE_NULL, toC(?i32, &none).kind);
    const some: ?f32 = 0.5;
    const vf = toC(?f32, &some);
    try std.testing.expectEqual(c.KEEL_TYPE_DOUBLE, vf.kind);
    try std.testing.expectEqual(@as(f64, 0.5), vf.double_value);
    const u: Uuid = .{ .bytes = @splat(0xab) };
    const vu = toC(Uuid, &u);
    try std.testing.expectEqual(c.KEEL_TYPE_UUID, vu.kind);
    try std.testing.expectEqual(@intFromPtr(&u.bytes), @intFromPtr(vu.data.?));
    const dyn: Value = .{ .timestamptz = .{ .micros = 5 } };
    try std.testing.expectEqual(c.KEEL_TYPE_TIMESTAMPTZ, toC(Value, &dyn).kind);
    try std.testing.expectEqual(Type.timestamptz, dyn.kind());
    const t = true;
    try std.testing.expectEqual(@as(i64, 1), toC(bool, &t).int_value);
}

test "a parameter tuple fills one keel_value per element" {
    const name: []const u8 = "x";
    const args = .{ 1, -2.5, null, name, @as(?i64, 4), 18446744073709551615 };
    var out: [paramCount(@TypeOf(args))]c.keel_value = undefined;
    fillParams(@TypeOf(args), &args, &out);
    try std.testing.expectEqual(@as(usize, 6), out.len);
    try std.testing.expectEqual(c.KEEL_TYPE_INT64, out[0].kind);
    try std.testing.expectEqual(@as(i64, 1), out[0].int_value);
    try std.testing.expectEqual(c.KEEL_TYPE_DOUBLE, out[1].kind);
    try std.testing.expectEqual(c.KEEL_TYPE_NULL, out[2].kind);
    try std.testing.expectEqual(c.KEEL_TYPE_TEXT, out[3].kind);
    try std.testing.expectEqual(@as(i64, 4), out[4].int_value);
    try std.testing.expectEqual(c.KEEL_TYPE_UINT64, out[5].kind);
    try std.testing.expectEqual(@as(usize, 0), paramCount(@TypeOf(.{})));
}
