//! Generates include/keel.h from src/ffi with cbindgen (pinned in
//! Cargo.toml). The header is committed; `write_to_file` rewrites it only
//! when its content changed, and tests/header.rs fails when the committed
//! copy is stale.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let mut config = cbindgen::Config::from_file(format!("{dir}/cbindgen.toml")).expect("cbindgen.toml");
    let v = |k: &str| std::env::var(k).expect(k).parse::<u32>().expect("numeric version part");
    let (major, minor, patch) = (v("CARGO_PKG_VERSION_MAJOR"), v("CARGO_PKG_VERSION_MINOR"), v("CARGO_PKG_VERSION_PATCH"));
    config.after_includes = Some(format!(
        "\n#define KEEL_VERSION_MAJOR {major}\n#define KEEL_VERSION_MINOR {minor}\n#define KEEL_VERSION_PATCH {patch}\n#define KEEL_VERSION_NUMBER {}\n",
        major * 1_000_000 + minor * 1_000 + patch
    ));
    match cbindgen::Builder::new().with_crate(&dir).with_config(config).generate() {
        Ok(b) => {
            b.write_to_file(format!("{dir}/include/keel.h"));
        }
        Err(e) => panic!("cbindgen failed to generate include/keel.h: {e}"),
    }
}
