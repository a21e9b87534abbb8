//! Build of the keel Zig binding.
//!
//!   zig build test                      unit tests, the SQLite/PostgreSQL/MySQL
//!                                       suite, and the example with its
//!                                       expected output
//!   zig build example                   build examples/basic.zig
//!   zig build run-example               build and run it
//!
//! Options:
//!   -Dlib-dir=PATH      where libkeel.so / libkeel.a are; relative paths
//!                       are taken from the directory zig build runs in.
//!                       Default, inside a keel checkout only: cargo's
//!                       release directory ($CARGO_TARGET_DIR/release, else
//!                       ../../target/release)
//!   -Dlinkage=dynamic|static   link libkeel.so (default) or libkeel.a
//!   -Dtest-filter=TEXT  run only the tests whose names contain TEXT
//!
//! Another package uses the binding through the `keel` module:
//! `b.dependency("keel", .{ .@"lib-dir" = ... }).module("keel")`, which
//! links libkeel itself. The package is self-contained (its C declarations
//! are src/c.zig): it can be a path dependency or fetched by URL and hash.

const std = @import("std");

pub const Linkage = enum { dynamic, static };

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});

    const lib_dir_opt = b.option([]const u8, "lib-dir", "Directory holding libkeel (default in a keel checkout: cargo's target/release)");
    const linkage = b.option(Linkage, "linkage", "Link libkeel dynamically (default) or statically") orelse .dynamic;
    const test_filters = b.option([]const []const u8, "test-filter", "Run only the tests whose names contain this text") orelse &.{};

    // Absolute, so the rpath Zig records for libkeel.so does not depend on
    // the directory a binary is started from.
    const lib_dir_abs = if (lib_dir_opt) |d| absoluteFromCwd(b, d) else checkoutLibDir(b) orelse {
        std.debug.panic(
            "keel: say where libkeel.so / libkeel.a are: -Dlib-dir=/path/to/dir, or " ++
                "b.dependency(\"keel\", .{{ .@\"lib-dir\" = ... }}) (only inside a keel checkout is there a default)",
            .{},
        );
    };
    const lib_dir = b.graph.cwdRelativePath(lib_dir_abs);

    const keel = b.addModule("keel", .{
        .root_source_file = b.path("src/keel.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
    });
    linkKeel(keel, lib_dir, lib_dir_abs, linkage);

    // Unit tests inside the binding's own files.
    const unit_tests = b.addTest(.{ .name = "keel-unit", .root_module = keel, .filters = test_filters });
    const run_unit = b.addRunArtifact(unit_tests);

    // The engine suite, through the public module.
    const suite_mod = b.createModule(.{
        .root_source_file = b.path("src/tests.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
        .imports = &.{.{ .name = "keel", .module = keel }},
    });
    // The README's example is examples/readme.zig; a test keeps them equal.
    suite_mod.addAnonymousImport("readme_md", .{ .root_source_file = b.path("README.md") });
    suite_mod.addAnonymousImport("readme_zig", .{ .root_source_file = b.path("examples/readme.zig") });
    suite_mod.addAnonymousImport("build_zig_zon", .{ .root_source_file = b.path("build.zig.zon") });
    // The example project outside the tree (scripts/test_zig_consumer.sh
    // builds it); the README shows its files.
    suite_mod.addAnonymousImport("consumer_build_zig", .{ .root_source_file = b.path("examples/consumer/build.zig") });
    suite_mod.addAnonymousImport("consumer_build_zig_zon", .{ .root_source_file = b.path("examples/consumer/build.zig.zon") });
    suite_mod.addAnonymousImport("consumer_main_zig", .{ .root_source_file = b.path("examples/consumer/src/main.zig") });
    const suite = b.addTest(.{ .name = "keel-suite", .root_module = suite_mod, .filters = test_filters });
    const run_suite = b.addRunArtifact(suite);

    // Test results depend on the library and on the databases named in the
    // environment, which the build cache cannot see: always run them.
    run_unit.has_side_effects = true;
    run_suite.has_side_effects = true;

    const test_step = b.step("test", "Run the binding's tests");
    test_step.dependOn(&run_unit.step);
    test_step.dependOn(&run_suite.step);

    const example = b.addExecutable(.{
        .name = "basic",
        .root_module = b.createModule(.{
            .root_source_file = b.path("examples/basic.zig"),
            .target = target,
            .optimize = optimize,
            .link_libc = true,
            .imports = &.{.{ .name = "keel", .module = keel }},
        }),
    });
    const install_example = b.addInstallArtifact(example, .{});
    const example_step = b.step("example", "Build examples/basic.zig and examples/readme.zig");
    example_step.dependOn(&install_example.step);

    const readme_example = b.addExecutable(.{
        .name = "readme",
        .root_module = b.createModule(.{
            .root_source_file = b.path("examples/readme.zig"),
            .target = target,
            .optimize = optimize,
            .link_libc = true,
            .imports = &.{.{ .name = "keel", .module = keel }},
        }),
    });
    const install_readme = b.addInstallArtifact(readme_example, .{});
    example_step.dependOn(&install_readme.step);

    // An Arrow C stream read from its buffers (examples/arrow.zig).
    const arrow_example = b.addExecutable(.{
        .name = "arrow",
        .root_module = b.createModule(.{
            .root_source_file = b.path("examples/arrow.zig"),
            .target = target,
            .optimize = optimize,
            .link_libc = true,
            .imports = &.{.{ .name = "keel", .module = keel }},
        }),
    });
    const install_arrow = b.addInstallArtifact(arrow_example, .{});
    example_step.dependOn(&install_arrow.step);
    const run_arrow = b.addRunArtifact(arrow_example);
    const run_arrow_step = b.step("run-arrow-example", "Build and run examples/arrow.zig");
    run_arrow_step.dependOn(&run_arrow.step);
    // `zig build test` runs it and checks its exact output.
    const check_arrow = b.addRunArtifact(arrow_example);
    check_arrow.expectStdOutEqual(
        \\column 0: id (l)
        \\column 1: name (u)
        \\batch 0: 2 rows
        \\  1 C
        \\  2 Zig
        \\batch 1: 2 rows
        \\  3 (null)
        \\  4 Odin
        \\batch 2: 1 rows
        \\  5 Python
        \\
    );
    check_arrow.has_side_effects = true;
    check_arrow.step.dependOn(&install_arrow.step);

    const run_example = b.addRunArtifact(example);
    run_example.addPassthruArgs();
    const run_example_step = b.step("run-example", "Build and run examples/basic.zig");
    run_example_step.dependOn(&run_example.step);

    // `zig build test` also runs the example and checks its exact output,
    // as the C examples are checked.
    const check_example = b.addRunArtifact(example);
    check_example.expectStdOutEqual(
        \\inserted Ada as id 1
        \\inserted Grace as id 2
        \\inserted Edsger as id 3
        \\1 Ada 1.65
        \\Ada (#1) is 1.65 m
        \\Grace (#2) is 1.52 m
        \\Edsger (#3) has no height on file
        \\duplicate id: Integrity (SQLSTATE 23505)
        \\
    );
    check_example.has_side_effects = true;
    // `zig build test example` installs and runs the same binary: run it
    // only after the install, or exec can meet the copy in progress
    // (ETXTBSY, reported as FileBusy).
    check_example.step.dependOn(&install_example.step);
    test_step.dependOn(&check_example.step);
    test_step.dependOn(&check_arrow.step);
    // The README example must build and run cleanly too, and print what
    // it should (std.debug.print writes to stderr; checked, it is no
    // longer reported as an unexpected stderr of the step).
    const run_readme = b.addRunArtifact(readme_example);
    run_readme.expectStdErrEqual(
        \\inserted id 1
        \\1 Ada 1.65 / Ada
        \\2 Grace 1.52 / Grace
        \\3 Edsger null / Edsger
        \\
    );
    run_readme.expectExitCode(0);
    run_readme.has_side_effects = true;
    run_readme.step.dependOn(&install_readme.step);
    test_step.dependOn(&run_readme.step);
}

/// Link libkeel from `lib_dir` into `m`: the shared library or the static
/// archive plus the system libraries Rust's standard library needs. With
/// `rpath` (an absolute directory), dynamically linked binaries find
/// libkeel.so there without LD_LIBRARY_PATH.
pub fn linkKeel(m: *std.Build.Module, lib_dir: std.Build.LazyPath, rpath: ?[]const u8, linkage: Linkage) void {
    const b = m.owner;
    switch (linkage) {
        .dynamic => {
            m.addLibraryPath(lib_dir);
            if (rpath) |r| m.addRPathSpecial(r);
            m.linkSystemLibrary("keel", .{ .preferred_link_mode = .dynamic, .use_pkg_config = .no });
        },
        .static => {
            m.addObjectFile(lib_dir.path(b, "libkeel.a"));
            for ([_][]const u8{ "pthread", "dl", "m", "unwind" }) |name| {
                m.linkSystemLibrary(name, .{ .use_pkg_config = .no });
            }
        },
    }
}

/// `p` as an absolute path: relative paths are taken from the directory
/// `zig build` runs in.
fn absoluteFromCwd(b: *std.Build, p: []const u8) []const u8 {
    const arena = b.graph.arena;
    if (std.fs.path.isAbsolute(p)) return p;
    const cwd = std.process.currentPathAlloc(b.graph.io, arena) catch |err| std.debug.panic("keel: cannot find the working directory: {t}", .{err});
    return std.fs.path.resolveAlloc(arena, &.{ cwd, p }) catch @panic("OOM");
}

/// Cargo's release directory when this package sits in a keel checkout
/// (bindings/zig, with the crate's Cargo.toml two levels up):
/// $CARGO_TARGET_DIR/release (relative to the checkout), else
/// target/release; null anywhere else (a fetched copy, say).
fn checkoutLibDir(b: *std.Build) ?[]const u8 {
    const arena = b.graph.arena;
    const root = absoluteFromCwd(b, b.root.toString(arena) catch @panic("OOM"));
    const checkout = std.fs.path.resolveAlloc(arena, &.{ root, "../.." }) catch @panic("OOM");
    const cargo_toml = std.fs.path.join(arena, &.{ checkout, "Cargo.toml" }) catch @panic("OOM");
    std.Io.Dir.cwd().access(b.graph.io, cargo_toml, .{}) catch return null;
    const target = b.graph.environ_map.get("CARGO_TARGET_DIR") orelse "target";
    return std.fs.path.resolveAlloc(arena, &.{ checkout, target, "release" }) catch @panic("OOM");
}
