//! Builds keel's DuckDB driver (src/driver.zig) into a shared library,
//! zig-out/lib/libkeel_duckdb.so, linked to libduckdb in -Dduckdb-dir
//! (scripts/duckdb.sh fetches it into build/duckdb/package).
const std = @import("std");

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{ .preferred_optimize_mode = .fast });
    const duckdb_dir = b.option([]const u8, "duckdb-dir", "Directory holding libduckdb.so") orelse "../../build/duckdb/package";

    const mod = b.createModule(.{
        .root_source_file = b.path("src/driver.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
        // No debug info in release builds (valgrind cannot read Zig's DWARF 5).
        .strip = if (optimize == .debug) null else true,
    });
    mod.addLibraryPath(.{ .cwd_relative = duckdb_dir });
    mod.linkSystemLibrary("duckdb", .{});
    mod.addRPath(.{ .cwd_relative = duckdb_dir });

    const lib = b.addLibrary(.{ .name = "keel_duckdb", .linkage = .dynamic, .root_module = mod });
    b.installArtifact(lib);

    const tests = b.addTest(.{ .root_module = mod });
    const run = b.addRunArtifact(tests);
    b.step("test", "Run the driver's unit tests").dependOn(&run.step);
}
