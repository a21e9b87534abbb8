const std = @import("std");

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    // Where libkeel.so / libkeel.a are: `make install` puts them in /usr/local/lib.
    const lib_dir = b.option([]const u8, "keel-lib-dir", "Directory holding libkeel") orelse "/usr/local/lib";
    const keel = b.dependency("keel", .{ .target = target, .optimize = optimize, .@"lib-dir" = lib_dir });

    const exe = b.addExecutable(.{
        .name = "hello-keel",
        .root_module = b.createModule(.{
            .root_source_file = b.path("src/main.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{.{ .name = "keel", .module = keel.module("keel") }},
        }),
    });
    b.installArtifact(exe);
    const run = b.addRunArtifact(exe);
    b.step("run", "Build and run hello-keel").dependOn(&run.step);
}
