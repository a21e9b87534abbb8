//! `Rows`, a streaming cursor (`keel_rows`), and `Row`, the current row
//! of one, read with a comptime type.
//!
//! Lifetime: text, bytes, JSON and decimal values read with `Row.get` are
//! borrowed from the cursor and valid until the next `Rows.next` or
//! `Rows.deinit` on it (the rule of `keel_rows_column_text`). Use
//! `Row.getAlloc` to keep a copy. Column names live until `Rows.deinit`.

const std = @import("std");
const c = @import("c.zig");
const errors = @import("errors.zig");
const values = @import("values.zig");

const Error = errors.Error;
const AllocError = errors.AllocError;
const Diagnostics = errors.Diagnostics;
const ErrOut = errors.ErrOut;

/// `keel_nullable`: whether a column may hold NULL.
pub const Nullable = enum(i32) {
    unknown = c.KEEL_NULLABLE_UNKNOWN,
    no = c.KEEL_NULLABLE_NO,
    yes = c.KEEL_NULLABLE_YES,
    _,
};

/// A streaming cursor over one result. Free it with `deinit`; a cursor
/// from `Db.query` then returns its connection to the pool.
pub const Rows = struct {
    handle: *c.keel_rows,
    /// Where failed calls on this cursor and its rows put their details.
    diags: ?*Diagnostics,
    /// How many times the cursor has moved (`next`, `arrowStream`). Each
    /// `Row` records it, so a row kept past the next `next` is refused
    /// (`error.InvalidState`) instead of reading the row the cursor is on
    /// now, which C would give it, as C has one current row per cursor.
    moves: u64 = 0,

    /// Free the cursor. Reading stops; the rest of the result is not read.
    pub fn deinit(rows: *Rows) void {
        c.keel_rows_free(rows.handle);
        rows.* = undefined;
    }

    /// Advance to the next row: the row, or null at the end of the result
    /// (and on every call after it). Values borrowed from the previous row
    /// become invalid.
    pub fn next(rows: *Rows) Error!?Row {
        // Before the call: a failed `next` leaves no current row either.
        rows.moves +%= 1;
        var has_row = false;
        var e = ErrOut.init(rows.diags);
        try e.check(c.keel_rows_next(rows.handle, &has_row, e.ptr()));
        return if (has_row) Row{ .handle = rows.handle, .diags = rows.diags, .rows = rows, .move = rows.moves } else null;
    }

    /// The rest of the cursor's rows as an Arrow C stream
    /// (`keel_rows_export_arrow`), in batches of the pool's
    /// `arrow_batch_rows`. The stream holds what it needs, also after this
    /// cursor is freed and its connection returned; the caller releases it
    /// (`stream.release.?(&stream)`). The cursor is left empty: free it
    /// with `deinit` as usual.
    pub fn arrowStream(rows: *Rows) Error!c.ArrowArrayStream {
        rows.moves +%= 1; // the current row goes into the stream too
        var stream: c.ArrowArrayStream = undefined;
        var e = ErrOut.init(rows.diags);
        try e.check(c.keel_rows_export_arrow(rows.handle, &stream, e.ptr()));
        return stream;
    }

    /// The number of result columns.
    pub fn columnCount(rows: *const Rows) usize {
        return c.keel_rows_column_count(rows.handle);
    }

    /// The name of column `i` (0-based); valid until `deinit`.
    pub fn columnName(rows: *const Rows, i: usize) Error![]const u8 {
        var name: ?[*:0]const u8 = null;
        var e = ErrOut.init(rows.diags);
        try e.check(c.keel_rows_column_name(rows.handle, i, &name, e.ptr()));
        return std.mem.span(name.?);
    }

    /// The engine's declared type of column `i` ("VARCHAR(20)"), or "" when
    /// it has none; valid until `deinit`.
    pub fn columnEngineType(rows: *const Rows, i: usize) Error![]const u8 {
        var name: ?[*:0]const u8 = null;
        var e = ErrOut.init(rows.diags);
        try e.check(c.keel_rows_column_engine_type(rows.handle, i, &name, e.ptr()));
        return std.mem.span(name.?);
    }

    /// The keel type column `i` reads as (`.null` when each value has its
    /// own type, as for SQLite expressions).
    pub fn columnType(rows: *const Rows, i: usize) Error!values.Type {
        var t: c.keel_type = 0;
        var e = ErrOut.init(rows.diags);
        try e.check(c.keel_rows_column_type(rows.handle, i, &t, e.ptr()));
        return @enumFromInt(t);
    }

    /// Whether column `i` may hold NULL, when the engine knows.
    pub fn columnNullable(rows: *const Rows, i: usize) Error!Nullable {
        var n: c.keel_nullable = 0;
        var e = ErrOut.init(rows.diags);
        try e.check(c.keel_rows_column_nullable(rows.handle, i, &n, e.ptr()));
        return @enumFromInt(n);
    }

    /// The index of the column called `name`, if any: the first exact
    /// match, else the first equal ignoring ASCII case
    /// (`keel_rows_column_index`).
    pub fn columnIndex(rows: *const Rows, name: []const u8) Error!?usize {
        return columnIndexOf(rows.handle, rows.diags, name);
    }
};

fn columnIndexOf(handle: *c.keel_rows, diags: ?*Diagnostics, name: []const u8) Error!?usize {
    var i: usize = 0;
    var e = ErrOut.init(diags);
    const st = c.keel_rows_column_index(handle, name.ptr, name.len, &i, e.ptr());
    if (st == c.KEEL_STATUS_NOT_FOUND) {
        // No such column is an answer here (null), not a failure to report.
        c.keel_error_free(e.err);
        return null;
    }
    try e.check(st);
    return i;
}

/// The current row of a `Rows`. Valid until the next `Rows.next` or
/// `Rows.deinit`; copying it does not extend that. Every read of a row
/// the cursor has moved past fails with `error.InvalidState` (C would
/// read the cursor's new row instead); the check finds the `Rows` by
/// address, so keep it in place (do not copy or move it) while its rows
/// are read.
pub const Row = struct {
    handle: *c.keel_rows,
    diags: ?*Diagnostics,
    /// The cursor that gave this row, and its `moves` then; null for a
    /// `Row` made by hand around a handle, which C's checks alone guard.
    rows: ?*const Rows = null,
    move: u64 = 0,

    /// `error.InvalidState` when the cursor has moved past this row: a
    /// compare of two integers before each read.
    fn live(row: Row) Error!void {
        const rows = row.rows orelse return;
        if (rows.moves == row.move) return;
        return errors.fail(row.diags, error.InvalidState, "this Row is stale: its cursor has moved on (Rows.next) since it was read; a Row is valid until the next Rows.next, so read its values (or copy them with getAlloc) before that", .{});
    }

    /// Whether column `i` of this row is NULL.
    pub fn isNull(row: Row, i: usize) Error!bool {
        try row.live();
        var is_null = false;
        var e = ErrOut.init(row.diags);
        try e.check(c.keel_rows_column_is_null(row.handle, i, &is_null, e.ptr()));
        return is_null;
    }

    /// Read column `i` (0-based) as `T`.
    ///
    /// `T` may be `bool`; an integer type up to 64 bits (a value that does
    /// not fit is `error.InvalidData`, never truncated); `f64`; text as
    /// `[]const u8` (which also reads a BLOB's bytes as they are, and any
    /// other value as its canonical text) or `[:0]const u8`; `keel.Blob`, `keel.Json`,
    /// `keel.Decimal`, `keel.Date`, `keel.Time`, `keel.Timestamp`,
    /// `keel.TimestampTz`, `keel.Uuid`; `keel.Value` for whatever the value
    /// is; or `?T` of any of these, which gives null for NULL. A NULL read
    /// as a non-optional type is `error.InvalidData`.
    ///
    /// Lifetime: text, bytes, JSON and decimal slices point into the
    /// cursor and are valid until the next `Rows.next` or `Rows.deinit`.
    pub fn get(row: Row, comptime T: type, i: usize) Error!T {
        try row.live();
        if (@typeInfo(T) == .optional) {
            if (try row.isNull(i)) return null;
            return try row.get(@typeInfo(T).optional.child, i);
        }
        var e = ErrOut.init(row.diags);
        switch (T) {
            []const u8 => return row.textOrBytes(i),
            [:0]const u8 => return row.text(i),
            values.Blob => return .{ .data = try row.bytes(i) },
            values.Json => return .{ .text = try row.text(i) },
            values.Decimal => return .{ .text = try row.text(i) },
            values.Date => {
                var days: i32 = 0;
                try e.check(c.keel_rows_column_date(row.handle, i, &days, e.ptr()));
                return .{ .days = days };
            },
            values.Time => {
                var us: i64 = 0;
                try e.check(c.keel_rows_column_time(row.handle, i, &us, e.ptr()));
                return .{ .micros = us };
            },
            values.Timestamp, values.TimestampTz => {
                var us: i64 = 0;
                try e.check(c.keel_rows_column_timestamp(row.handle, i, &us, e.ptr()));
                return .{ .micros = us };
            },
            values.Uuid => {
                var u: values.Uuid = .{ .bytes = undefined };
                try e.check(c.keel_rows_column_uuid(row.handle, i, &u.bytes, e.ptr()));
                return u;
            },
            values.Value => {
                var v: c.keel_value = undefined;
                try e.check(c.keel_rows_column_value(row.handle, i, &v, e.ptr()));
                return values.Value.fromC(v) catch
                    errors.fail(row.diags, error.InvalidData, "column {d}: keel type {d} is not known to this binding", .{ i, v.kind });
            },
            bool => {
                var b = false;
                try e.check(c.keel_rows_column_bool(row.handle, i, &b, e.ptr()));
                return b;
            },
            f64 => {
                var f: f64 = 0;
                try e.check(c.keel_rows_column_double(row.handle, i, &f, e.ptr()));
                return f;
            },
            else => {},
        }
        switch (@typeInfo(T)) {
            .int => |info| {
                if (info.bits > 64) @compileError("keel: " ++ @typeName(T) ++ " is wider than 64 bits");
                if (info.signedness == .signed) {
                    var v: i64 = 0;
                    try e.check(c.keel_rows_column_int64(row.handle, i, &v, e.ptr()));
                    return std.math.cast(T, v) orelse
                        errors.fail(row.diags, error.InvalidData, "column {d}: {d} does not fit in {s}", .{ i, v, @typeName(T) });
                } else {
                    var v: u64 = 0;
                    try e.check(c.keel_rows_column_uint64(row.handle, i, &v, e.ptr()));
                    return std.math.cast(T, v) orelse
                        errors.fail(row.diags, error.InvalidData, "column {d}: {d} does not fit in {s}", .{ i, v, @typeName(T) });
                }
            },
            .float => @compileError("keel: read floats as f64 (keel reads doubles: an integer only when exact, a decimal rounded to the nearest double)"),
            else => @compileError("keel: cannot read a column as " ++ @typeName(T)),
        }
    }

    /// Read column `i` as `T`, copying text and bytes into memory from
    /// `allocator` that the caller owns (free slices with
    /// `allocator.free`; for `Blob`, `Json` and `Decimal` free the inner
    /// slice; for a `Value`, see `freeValue`). Other types are read as by
    /// `get`. `T` may also be `[]u8`.
    pub fn getAlloc(row: Row, allocator: std.mem.Allocator, comptime T: type, i: usize) AllocError!T {
        try row.live();
        if (@typeInfo(T) == .optional) {
            if (try row.isNull(i)) return null;
            return try row.getAlloc(allocator, @typeInfo(T).optional.child, i);
        }
        return switch (T) {
            []const u8, []u8 => try allocator.dupe(u8, try row.textOrBytes(i)),
            [:0]const u8, [:0]u8 => try allocator.dupeSentinel(u8, try row.text(i), 0),
            values.Blob => .{ .data = try allocator.dupe(u8, try row.bytes(i)) },
            values.Json => .{ .text = try allocator.dupe(u8, try row.text(i)) },
            values.Decimal => .{ .text = try allocator.dupe(u8, try row.text(i)) },
            values.Value => blk: {
                var v = try row.get(values.Value, i);
                switch (v) {
                    .text, .bytes, .json, .decimal => |*s| s.* = try allocator.dupe(u8, s.*),
                    else => {},
                }
                break :blk v;
            },
            else => try row.get(T, i),
        };
    }

    /// Fill a struct of type `T` from this row, matching each field name to
    /// a column name (exactly, else ignoring ASCII case, as
    /// `Rows.columnIndex`). A struct renames fields with a declaration
    /// `pub const keel_columns = .{ .field = "column name" };`. Each field
    /// is read with `get`, so its type follows the same rules and text
    /// stays borrowed (`scanAlloc` copies it). A field with no matching
    /// column takes its default value, or is null if it is optional;
    /// otherwise it is `error.InvalidArgument`. Columns with no field are
    /// ignored.
    pub fn scan(row: Row, comptime T: type) Error!T {
        return row.scanWith(T, null) catch |err| switch (err) {
            error.OutOfMemory => unreachable, // no allocator, no allocation
            else => |e| e,
        };
    }

    /// `scan` into a struct that owns its text and bytes: each field is
    /// read with `getAlloc`, so slices are copies from `allocator` and
    /// stay valid after the cursor moves on or is freed. Free them with
    /// `keel.freeScanned(allocator, value)` (on error, nothing is left
    /// allocated).
    pub fn scanAlloc(row: Row, allocator: std.mem.Allocator, comptime T: type) AllocError!T {
        return row.scanWith(T, allocator);
    }

    fn scanWith(row: Row, comptime T: type, allocator: ?std.mem.Allocator) AllocError!T {
        const info = switch (@typeInfo(T)) {
            .@"struct" => |s| s,
            else => @compileError("keel: scan needs a struct type, not " ++ @typeName(T)),
        };
        // Also here, for a struct whose fields all take their defaults.
        try row.live();
        var out: T = undefined;
        // Which fields hold a copy so far, to free them if a later one fails.
        var done: usize = 0;
        errdefer if (allocator) |a| {
            inline for (info.field_names, info.field_types, 0..) |name, F, k| {
                if (k < done) freeField(a, F, @field(out, name));
            }
        };
        inline for (info.field_names, info.field_types, info.field_attrs) |name, F, attrs| {
            const column = comptime columnOf(T, name);
            if (try columnIndexOf(row.handle, row.diags, column)) |idx| {
                @field(out, name) = if (allocator) |a| try row.getAlloc(a, F, idx) else try row.get(F, idx);
            } else if (comptime attrs.defaultValue(F)) |default| {
                @field(out, name) = default;
                if (allocator) |a| @field(out, name) = try dupeField(a, F, default);
            } else if (@typeInfo(F) == .optional) {
                @field(out, name) = null;
            } else {
                return errors.fail(row.diags, error.InvalidArgument, "scan: no column named \"{s}\" for field {s}.{s}", .{ column, @typeName(T), name });
            }
            done += 1;
        }
        return out;
    }

    /// The text of column `i`, or, when its value is a BLOB, its bytes.
    fn textOrBytes(row: Row, i: usize) Error![]const u8 {
        var t: c.keel_type = 0;
        var e = ErrOut.init(row.diags);
        try e.check(c.keel_rows_column_type(row.handle, i, &t, e.ptr()));
        if (t == c.KEEL_TYPE_BYTES) return row.bytes(i);
        if (t == c.KEEL_TYPE_NULL) {
            // Each value has its own type (SQLite expressions): ask this one.
            var v: c.keel_value = undefined;
            try e.check(c.keel_rows_column_value(row.handle, i, &v, e.ptr()));
            if (v.kind == c.KEEL_TYPE_BYTES) return row.bytes(i);
        }
        return row.text(i);
    }

    fn text(row: Row, i: usize) Error![:0]const u8 {
        var ptr: ?[*:0]const u8 = null;
        var len: usize = 0;
        var e = ErrOut.init(row.diags);
        try e.check(c.keel_rows_column_text(row.handle, i, &ptr, &len, e.ptr()));
        return ptr.?[0..len :0];
    }

    /// A bytes value (`keel.Blob`): only bytes, as the README says; C's
    /// `keel_rows_column_bytes` also gives a text value's bytes.
    fn bytes(row: Row, i: usize) Error![]const u8 {
        var v: c.keel_value = undefined;
        var e = ErrOut.init(row.diags);
        try e.check(c.keel_rows_column_value(row.handle, i, &v, e.ptr()));
        return switch (v.kind) {
            c.KEEL_TYPE_BYTES => if (v.data) |p| p[0..v.len] else &.{},
            c.KEEL_TYPE_NULL => errors.fail(row.diags, error.InvalidData, "column {d}: value is NULL and cannot be read as keel.Blob; read it as ?keel.Blob", .{i}),
            else => errors.fail(row.diags, error.InvalidData, "column {d}: a value of keel type {d} is not bytes; keel.Blob reads only bytes (read text as []const u8)", .{ i, v.kind }),
        };
    }
};

/// The column a field of `T` reads: `T.keel_columns.field` when `T`
/// declares it, else the field's own name.
fn columnOf(comptime T: type, comptime field: []const u8) []const u8 {
    if (@hasDecl(T, "keel_columns")) {
        const renames = T.keel_columns;
        inline for (@typeInfo(@TypeOf(renames)).@"struct".field_names) |f| {
            if (!@hasField(T, f)) @compileError("keel: " ++ @typeName(T) ++ ".keel_columns renames " ++ f ++ ", which is not a field");
        }
        if (@hasField(@TypeOf(renames), field)) return @field(renames, field);
    }
    return field;
}

/// A copy of a field's default value, so `freeScanned` can free every
/// field of a `scanAlloc` result alike.
fn dupeField(allocator: std.mem.Allocator, comptime F: type, v: F) error{OutOfMemory}!F {
    if (@typeInfo(F) == .optional) {
        const x = v orelse return null;
        return try dupeField(allocator, @typeInfo(F).optional.child, x);
    }
    return switch (F) {
        []const u8, []u8 => try allocator.dupe(u8, v),
        [:0]const u8, [:0]u8 => try allocator.dupeSentinel(u8, v, 0),
        values.Blob => .{ .data = try allocator.dupe(u8, v.data) },
        values.Json => .{ .text = try allocator.dupe(u8, v.text) },
        values.Decimal => .{ .text = try allocator.dupe(u8, v.text) },
        values.Value => switch (v) {
            .text => |t| .{ .text = try allocator.dupe(u8, t) },
            .bytes => |t| .{ .bytes = try allocator.dupe(u8, t) },
            .json => |t| .{ .json = try allocator.dupe(u8, t) },
            .decimal => |t| .{ .decimal = try allocator.dupe(u8, t) },
            else => v,
        },
        else => v,
    };
}

fn freeField(allocator: std.mem.Allocator, comptime F: type, v: F) void {
    if (@typeInfo(F) == .optional) {
        if (v) |x| freeField(allocator, @typeInfo(F).optional.child, x);
        return;
    }
    switch (F) {
        []const u8, []u8, [:0]const u8, [:0]u8 => allocator.free(v),
        values.Blob => allocator.free(v.data),
        values.Json, values.Decimal => allocator.free(v.text),
        values.Value => freeValue(allocator, v),
        else => {},
    }
}

/// Free the text and bytes of a struct from `Row.scanAlloc` (or
/// `Conn.queryRow`), every field alike.
pub fn freeScanned(allocator: std.mem.Allocator, value: anytype) void {
    const T = @TypeOf(value);
    inline for (@typeInfo(T).@"struct".field_names, @typeInfo(T).@"struct".field_types) |name, F| {
        freeField(allocator, F, @field(value, name));
    }
}

/// Free the copies in a `Value` returned by `Row.getAlloc`.
pub fn freeValue(allocator: std.mem.Allocator, v: values.Value) void {
    switch (v) {
        .text, .bytes, .json, .decimal => |s| allocator.free(s),
        else => {},
    }
}
