//! Drift check: compares `src/c.zig` (hand-written, since Zig 0.17 has no
//! `@cImport`) with `include/keel.h`.
//!
//! The header is parsed as C (comments stripped, `__cplusplus` branches
//! dropped) into functions, enum constants, `#define` numbers, typedefs
//! and structs. Each is looked up in a table built at comptime from the
//! declarations of c.zig, and compared by a canonical spelling of its type
//! (`const u8**`, `keel_conn*`, `i32`, ...): functions by name, return
//! type and the number and kinds of their parameters; constants by value;
//! structs field by field. Every `keel_*`/`KEEL_*` declaration of c.zig
//! must also appear in the header, so stale ones are caught too.

const std = @import("std");
const c = @import("keel").c;

/// One declaration of c.zig, described at comptime.
pub const Decl = struct {
    name: []const u8,
    kind: Kind,
    /// Functions: "ret(param,param)"; structs: "field:type;..." (extern
    /// only); type aliases: the aliased type.
    sig: []const u8 = "",
    value: i64 = 0,

    pub const Kind = enum { function, constant, alias, opaque_type, struct_type };
};

/// Canonical spelling of a Zig type as the C type it stands for. Optional
/// pointers and plain pointers are the same to C; `[*]`, `[*:0]` and `*`
/// all become `*`.
fn render(comptime T: type) []const u8 {
    return switch (@typeInfo(T)) {
        .optional => |o| render(o.child),
        .pointer => |p| blk: {
            const child = p.child;
            const child_is_ptr = switch (@typeInfo(child)) {
                .pointer => true,
                .optional => |o| @typeInfo(o.child) == .pointer,
                else => false,
            };
            const inner = if (child_is_ptr)
                render(child) ++ (if (p.attrs.@"const") " const" else "")
            else
                (if (p.attrs.@"const") "const " else "") ++ render(child);
            break :blk inner ++ "*";
        },
        .@"opaque", .@"struct" => baseName(@typeName(T)),
        .void => "void",
        else => @typeName(T),
    };
}

fn baseName(comptime name: []const u8) []const u8 {
    const dot = comptime std.mem.findScalarLast(u8, name, '.') orelse return name;
    return name[dot + 1 ..];
}

fn fnSig(comptime F: type) []const u8 {
    const info = @typeInfo(F).@"fn";
    var s: []const u8 = render(info.return_type.?) ++ "(";
    for (info.param_types, 0..) |P, i| {
        s = s ++ (if (i == 0) "" else ",") ++ render(P.?);
    }
    return s ++ ")";
}

fn structSig(comptime T: type) []const u8 {
    const info = @typeInfo(T).@"struct";
    if (info.layout != .@"extern") return "not extern";
    var s: []const u8 = "";
    for (info.field_names, info.field_types) |n, F| s = s ++ n ++ ":" ++ render(F) ++ ";";
    return s;
}

/// Every `keel_*` and `KEEL_*` declaration of c.zig.
pub const binding: []const Decl = blk: {
    @setEvalBranchQuota(200_000);
    const names = @typeInfo(c).@"struct".decl_names;
    var out: [names.len]Decl = undefined;
    var n: usize = 0;
    for (names) |name| {
        if (!std.mem.startsWith(u8, name, "keel_") and !std.mem.startsWith(u8, name, "KEEL_")) continue;
        const v = @field(c, name);
        const V = @TypeOf(v);
        out[n] = if (V == type) switch (@typeInfo(v)) {
            .@"opaque" => .{ .name = name, .kind = .opaque_type },
            .@"struct" => .{ .name = name, .kind = .struct_type, .sig = structSig(v) },
            else => .{ .name = name, .kind = .alias, .sig = render(v) },
        } else switch (@typeInfo(V)) {
            .@"fn" => .{ .name = name, .kind = .function, .sig = fnSig(V) },
            .int, .comptime_int => .{ .name = name, .kind = .constant, .value = v },
            else => @compileError("drift: unexpected declaration " ++ name),
        };
        n += 1;
    }
    const final = out[0..n].*;
    break :blk &final;
};

fn lookup(table: []const Decl, name: []const u8) ?Decl {
    for (table) |d| if (std.mem.eql(u8, d.name, name)) return d;
    return null;
}

// ---------------------------------------------------------------------
// The C side.

/// Map a C base type to the spelling `render` gives its Zig counterpart.
fn cBase(words: []const []const u8) ?[]const u8 {
    var name: []const u8 = "";
    for (words) |w| {
        if (std.mem.eql(u8, w, "struct") or std.mem.eql(u8, w, "enum")) continue;
        name = w;
    }
    const map = [_][2][]const u8{
        .{ "char", "u8" },     .{ "uint8_t", "u8" },   .{ "int8_t", "i8" },
        .{ "int32_t", "i32" }, .{ "uint32_t", "u32" }, .{ "int64_t", "i64" },
        .{ "uint64_t", "u64" }, .{ "size_t", "usize" }, .{ "double", "f64" },
        .{ "bool", "bool" },   .{ "void", "void" },    .{ "int16_t", "i16" },
        .{ "uint16_t", "u16" }, .{ "float", "f32" },
    };
    for (map) |m| if (std.mem.eql(u8, m[0], name)) return m[1];
    if (std.mem.startsWith(u8, name, "keel_")) return name;
    return null;
}

/// Canonical spelling of one C declarator (`const char **text_out`, a
/// return type such as `const char *`), without its name. Enum typedefs
/// (`keel_status`) are resolved through `aliases`.
fn cType(arena: std.mem.Allocator, decl: []const u8, has_name: bool, aliases: *const std.StringHashMapUnmanaged([]const u8)) ![]const u8 {
    // Split into words and '*'.
    var toks: std.ArrayList([]const u8) = .empty;
    var i: usize = 0;
    while (i < decl.len) {
        const ch = decl[i];
        if (ch == '*') {
            try toks.append(arena, "*");
            i += 1;
        } else if (std.ascii.isAlphanumeric(ch) or ch == '_') {
            const start = i;
            while (i < decl.len and (std.ascii.isAlphanumeric(decl[i]) or decl[i] == '_')) i += 1;
            try toks.append(arena, decl[start..i]);
        } else i += 1;
    }
    var items = toks.items;
    if (has_name and items.len >= 2 and !std.mem.eql(u8, items[items.len - 1], "*")) items = items[0 .. items.len - 1];
    // Leading words up to the first '*' are the base type.
    var base_const = false;
    var base_words: std.ArrayList([]const u8) = .empty;
    var k: usize = 0;
    while (k < items.len and !std.mem.eql(u8, items[k], "*")) : (k += 1) {
        if (std.mem.eql(u8, items[k], "const")) base_const = true else try base_words.append(arena, items[k]);
    }
    var base = cBase(base_words.items) orelse return error.UnknownCType;
    if (aliases.get(base)) |target| base = target;
    var out: std.ArrayList(u8) = .empty;
    if (base_const) try out.appendSlice(arena, "const ");
    try out.appendSlice(arena, base);
    while (k < items.len) : (k += 1) {
        if (std.mem.eql(u8, items[k], "*")) try out.append(arena, '*') else if (std.mem.eql(u8, items[k], "const")) {
            try out.appendSlice(arena, " const");
        } else return error.UnexpectedToken;
    }
    return out.items;
}

/// Remove comments and the lines a C (not C++) compiler skips; collect
/// `#define NAME number` along the way.
fn preprocess(arena: std.mem.Allocator, text: []const u8, defines: *std.ArrayList(Decl)) ![]const u8 {
    // Comments first.
    var nc: std.ArrayList(u8) = .empty;
    var i: usize = 0;
    while (i < text.len) {
        if (std.mem.startsWith(u8, text[i..], "/*")) {
            const end = std.mem.find(u8, text[i + 2 ..], "*/") orelse return error.UnterminatedComment;
            i += 2 + end + 2;
            try nc.append(arena, ' ');
        } else if (std.mem.startsWith(u8, text[i..], "//")) {
            while (i < text.len and text[i] != '\n') i += 1;
        } else {
            try nc.append(arena, text[i]);
            i += 1;
        }
    }
    // Then conditionals: a stack of "is this branch live".
    var out: std.ArrayList(u8) = .empty;
    var live: std.ArrayList(bool) = .empty;
    var lines = std.mem.splitScalar(u8, nc.items, '\n');
    while (lines.next()) |raw| {
        const line = std.mem.trim(u8, raw, " \t\r");
        const all_live = std.mem.findScalar(bool, live.items, false) == null;
        if (std.mem.startsWith(u8, line, "#")) {
            var words = std.mem.tokenizeAny(u8, line[1..], " \t");
            const directive = words.next() orelse continue;
            const arg = words.next() orelse "";
            if (std.mem.eql(u8, directive, "ifdef")) {
                try live.append(arena, !std.mem.eql(u8, arg, "__cplusplus"));
            } else if (std.mem.eql(u8, directive, "ifndef")) {
                try live.append(arena, true);
            } else if (std.mem.eql(u8, directive, "if")) {
                try live.append(arena, true);
            } else if (std.mem.eql(u8, directive, "else")) {
                if (live.items.len == 0) return error.UnbalancedElse;
                live.items[live.items.len - 1] = !live.items[live.items.len - 1];
            } else if (std.mem.eql(u8, directive, "endif")) {
                _ = live.pop() orelse return error.UnbalancedEndif;
            } else if (std.mem.eql(u8, directive, "define") and all_live) {
                const value = words.next() orelse continue;
                const number = std.fmt.parseInt(i64, value, 0) catch continue;
                try defines.append(arena, .{ .name = arg, .kind = .constant, .value = number });
            }
            continue;
        }
        if (!all_live) continue;
        try out.appendSlice(arena, raw);
        try out.append(arena, '\n');
    }
    if (live.items.len != 0) return error.UnbalancedIf;
    return out.items;
}

/// Everything the header declares, in the shape of `Decl`.
pub fn parseHeader(arena: std.mem.Allocator, text: []const u8) ![]Decl {
    var decls: std.ArrayList(Decl) = .empty;
    const src = try preprocess(arena, text, &decls);

    // First pass: typedef aliases (`typedef int32_t keel_status;`), so
    // signatures can be resolved; struct typedefs and opaque handles too.
    var aliases: std.StringHashMapUnmanaged([]const u8) = .empty;
    var chunks: std.ArrayList([]const u8) = .empty;
    {
        var depth: usize = 0;
        var start: usize = 0;
        for (src, 0..) |ch, i| switch (ch) {
            '{' => depth += 1,
            '}' => depth -= 1,
            ';' => if (depth == 0) {
                try chunks.append(arena, std.mem.trim(u8, src[start..i], " \t\r\n"));
                start = i + 1;
            },
            else => {},
        };
        if (std.mem.trim(u8, src[start..], " \t\r\n").len != 0) return error.TrailingText;
    }
    for (chunks.items) |chunk| {
        if (!std.mem.startsWith(u8, chunk, "typedef ") or std.mem.findScalar(u8, chunk, '{') != null) continue;
        var words = std.mem.tokenizeAny(u8, chunk["typedef ".len..], " \t\r\n");
        var list: std.ArrayList([]const u8) = .empty;
        while (words.next()) |w| try list.append(arena, w);
        if (list.items.len < 2) return error.BadTypedef;
        const name = list.items[list.items.len - 1];
        if (std.mem.eql(u8, list.items[0], "struct")) {
            try decls.append(arena, .{ .name = name, .kind = .opaque_type });
        } else {
            const target = cBase(list.items[0 .. list.items.len - 1]) orelse return error.UnknownCType;
            try aliases.put(arena, name, target);
            try decls.append(arena, .{ .name = name, .kind = .alias, .sig = target });
        }
    }

    for (chunks.items) |chunk| {
        if (chunk.len == 0) continue;
        if (std.mem.startsWith(u8, chunk, "typedef struct") and std.mem.findScalar(u8, chunk, '{') != null) {
            const open = std.mem.findScalar(u8, chunk, '{').?;
            const close = std.mem.findScalarLast(u8, chunk, '}') orelse return error.BadStruct;
            const name = std.mem.trim(u8, chunk[close + 1 ..], " \t\r\n");
            var sig: std.ArrayList(u8) = .empty;
            var fields = std.mem.tokenizeScalar(u8, chunk[open + 1 .. close], ';');
            while (fields.next()) |f| {
                const field = std.mem.trim(u8, f, " \t\r\n");
                if (field.len == 0) continue;
                const name_start = (std.mem.findLastAny(u8, field, " *") orelse return error.BadField) + 1;
                try sig.appendSlice(arena, field[name_start..]);
                try sig.append(arena, ':');
                try sig.appendSlice(arena, try cType(arena, field, true, &aliases));
                try sig.append(arena, ';');
            }
            try decls.append(arena, .{ .name = name, .kind = .struct_type, .sig = sig.items });
        } else if (std.mem.startsWith(u8, chunk, "enum ")) {
            const open = std.mem.findScalar(u8, chunk, '{') orelse return error.BadEnum;
            const close = std.mem.findScalarLast(u8, chunk, '}') orelse return error.BadEnum;
            var members = std.mem.tokenizeScalar(u8, chunk[open + 1 .. close], ',');
            while (members.next()) |m| {
                const member = std.mem.trim(u8, m, " \t\r\n");
                if (member.len == 0) continue;
                const eq = std.mem.findScalar(u8, member, '=') orelse return error.EnumWithoutNumber;
                const value = try std.fmt.parseInt(i64, std.mem.trim(u8, member[eq + 1 ..], " \t\r\n"), 0);
                try decls.append(arena, .{ .name = std.mem.trim(u8, member[0..eq], " \t\r\n"), .kind = .constant, .value = value });
            }
        } else if (std.mem.findScalar(u8, chunk, '(') != null and !std.mem.startsWith(u8, chunk, "typedef")) {
            const open = std.mem.findScalar(u8, chunk, '(').?;
            const close = std.mem.findScalarLast(u8, chunk, ')') orelse return error.BadFunction;
            const head = std.mem.trim(u8, chunk[0..open], " \t\r\n");
            const name_start = (std.mem.findLastAny(u8, head, " *") orelse return error.BadFunction) + 1;
            const name = head[name_start..];
            var sig: std.ArrayList(u8) = .empty;
            try sig.appendSlice(arena, try cType(arena, head[0..name_start], false, &aliases));
            try sig.append(arena, '(');
            const params = std.mem.trim(u8, chunk[open + 1 .. close], " \t\r\n");
            if (!std.mem.eql(u8, params, "void") and params.len != 0) {
                var it = std.mem.splitScalar(u8, params, ',');
                var first = true;
                while (it.next()) |p| {
                    if (!first) try sig.append(arena, ',');
                    first = false;
                    try sig.appendSlice(arena, try cType(arena, p, true, &aliases));
                }
            }
            try sig.append(arena, ')');
            try decls.append(arena, .{ .name = name, .kind = .function, .sig = sig.items });
        } else if (!std.mem.startsWith(u8, chunk, "typedef ")) {
            return error.UnrecognisedDeclaration;
        }
    }
    return decls.items;
}

/// Compare the header with a binding table. Prints one line per
/// difference to `out` and returns how many there were.
pub fn compare(arena: std.mem.Allocator, header: []const u8, table: []const Decl, out: *std.Io.Writer) !usize {
    const decls = try parseHeader(arena, header);
    var problems: usize = 0;
    for (decls) |d| {
        const b = lookup(table, d.name) orelse {
            try out.print("drift: {s} {s} is in keel.h but not in src/c.zig\n", .{ @tagName(d.kind), d.name });
            problems += 1;
            continue;
        };
        if (b.kind != d.kind) {
            try out.print("drift: {s} is a {s} in keel.h but a {s} in src/c.zig\n", .{ d.name, @tagName(d.kind), @tagName(b.kind) });
            problems += 1;
        } else if (d.kind == .constant and b.value != d.value) {
            try out.print("drift: {s} is {d} in keel.h but {d} in src/c.zig\n", .{ d.name, d.value, b.value });
            problems += 1;
        } else if (!std.mem.eql(u8, b.sig, d.sig)) {
            try out.print("drift: {s}\n  keel.h:    {s}\n  src/c.zig: {s}\n", .{ d.name, d.sig, b.sig });
            problems += 1;
        }
    }
    for (table) |b| {
        if (lookup(decls, b.name) == null) {
            try out.print("drift: {s} {s} is in src/c.zig but not in keel.h\n", .{ @tagName(b.kind), b.name });
            problems += 1;
        }
    }
    return problems;
}
