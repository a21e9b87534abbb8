//! Builds every `examples-c/NN_*.c` with the C compiler against the library
//! cargo built for this test run (shared and static, plus one build with
//! AddressSanitizer and UBSan when the compiler has them), runs it, and
//! checks exit status 0 and stdout equal to `examples-c/expected/NN_*.txt`
//! byte for byte (Wasmtime's wasm-c-examples idea).
//!
//! The compiler is `$CC` or `cc`. The library is found next to this test
//! executable: `target/<profile>/deps/examples_c-*` → `target/<profile>/`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>`: the directory holding libkeel.so and libkeel.a.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable is in target/<profile>/deps")
        .to_path_buf();
    for lib in ["libkeel.so", "libkeel.a"] {
        assert!(
            dir.join(lib).is_file(),
            "{} not found next to the test executable; cargo builds it with the cdylib/staticlib crate types",
            dir.join(lib).display()
        );
    }
    dir
}

fn out_dir(what: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("examples-c").join(what);
    std::fs::create_dir_all(&d).expect("create build dir");
    d
}

fn cc() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".into())
}

/// Every numbered example, sorted.
fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("examples-c"))
        .expect("examples-c/")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let b = name.as_bytes();
            name.ends_with(".c") && b.len() > 3 && b[0].is_ascii_digit() && b[1].is_ascii_digit() && b[2] == b'_'
        })
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no examples-c/NN_*.c found");
    v
}

#[derive(Clone, Copy, PartialEq)]
enum Link {
    Shared,
    Static,
}

/// Compile `src` to `exe`; returns the compiler's complaint on failure.
fn compile(src: &Path, exe: &Path, link: Link, extra: &[&str]) -> Result<(), String> {
    let lib = lib_dir();
    let mut cmd = Command::new(cc());
    cmd.args(["-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror"])
        .args(extra)
        .arg("-I")
        .arg(root().join("include"))
        .arg("-I")
        .arg(root().join("examples-c"))
        .arg(src)
        .arg("-o")
        .arg(exe);
    match link {
        Link::Shared => {
            cmd.arg(format!("-L{}", lib.display()))
                .arg("-lkeel")
                .arg(format!("-Wl,-rpath,{}", lib.display()));
        }
        Link::Static => {
            cmd.arg(lib.join("libkeel.a")).args(["-lpthread", "-ldl", "-lm"]);
        }
    }
    let out = cmd.output().map_err(|e| format!("cannot run {}: {e}", cc()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} failed:\n{}{}",
            cmd,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Run `exe` and compare with the expected output of example `name`.
fn run_and_check(exe: &Path, name: &str, env: &[(&str, &str)]) -> Result<(), String> {
    let expected_path = root().join("examples-c/expected").join(format!("{name}.txt"));
    let expected = std::fs::read(&expected_path)
        .map_err(|e| format!("{name}: cannot read {}: {e}", expected_path.display()))?;
    let out = Command::new(exe)
        .envs(env.iter().copied())
        .output()
        .map_err(|e| format!("{name}: cannot run {}: {e}", exe.display()))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("{name}: {} exited with {}; stderr:\n{stderr}", exe.display(), out.status));
    }
    if out.stdout != expected {
        return Err(format!(
            "{name}: stdout differs from {}\n--- expected\n{}\n--- got\n{}\n--- stderr\n{stderr}",
            expected_path.display(),
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    Ok(())
}

fn stem(p: &Path) -> String {
    p.file_stem().and_then(|s| s.to_str()).expect("UTF-8 file name").to_owned()
}

fn build_and_run_all(what: &str, link: Link, cflags: &[&str], env: &[(&str, &str)]) {
    let dir = out_dir(what);
    let mut failures = Vec::new();
    let list = examples();
    for src in &list {
        let name = stem(src);
        let exe = dir.join(&name);
        let r = compile(src, &exe, link, cflags).and_then(|()| run_and_check(&exe, &name, env));
        match r {
            Ok(()) => println!("ok: {what} {name}"),
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples failed ({what}):\n\n{}",
        failures.len(),
        list.len(),
        failures.join("\n\n")
    );
}

#[test]
fn examples_linked_shared() {
    build_and_run_all("shared", Link::Shared, &[], &[]);
}

#[test]
fn examples_linked_static() {
    build_and_run_all("static", Link::Static, &[], &[]);
}

const SANITIZE: &[&str] = &["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer"];

/// Whether the compiler can build and run a sanitized program here.
fn sanitizers_work() -> Result<(), String> {
    let dir = out_dir("probe");
    let src = dir.join("probe.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").expect("write probe");
    let exe = dir.join("probe");
    let out = Command::new(cc())
        .args(SANITIZE)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let run = Command::new(&exe).output().map_err(|e| e.to_string())?;
    if !run.status.success() {
        return Err(String::from_utf8_lossy(&run.stderr).into_owned());
    }
    Ok(())
}

#[test]
fn examples_with_sanitizers() {
    if let Err(why) = sanitizers_work() {
        println!("skipped: {} cannot build or run -fsanitize=address,undefined programs here: {why}", cc());
        return;
    }
    // Leak checking stays on: the examples free everything they make.
    build_and_run_all("sanitize", Link::Shared, SANITIZE, &[("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")]);
}

#[test]
fn every_example_has_expected_output() {
    for src in examples() {
        let name = stem(&src);
        let p = root().join("examples-c/expected").join(format!("{name}.txt"));
        assert!(p.is_file(), "{} has no expected output {}", src.display(), p.display());
    }
}

/// The README's Arrow section shows `examples-c/05_arrow_stream.c` and its
/// output exactly as they are, so the code a reader copies is the code
/// these tests build and run.
#[test]
fn readme_shows_the_arrow_example_as_built() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let section = &readme[readme.find("\n## Arrow\n").expect("README has an Arrow section")..];
    let src = std::fs::read_to_string(root().join("examples-c/05_arrow_stream.c")).unwrap();
    let out = std::fs::read_to_string(root().join("examples-c/expected/05_arrow_stream.txt")).unwrap();
    assert!(section.contains(&format!("```c\n{src}```")), "README's Arrow example differs from examples-c/05_arrow_stream.c");
    assert!(section.contains(&format!("```\n{out}```")), "README's Arrow output differs from examples-c/expected/05_arrow_stream.txt");
}
