//! Drivers written outside Rust (keel_driver.h): a small key/value driver
//! written in C (tests/c_driver/kv.c), built here with `cc` into shared
//! libraries, loaded with `keel_driver_load` (and registered with
//! `keel_driver_register`), and used through keel's pool, `?`
//! placeholders, statements, cursors and transactions. Then every way
//! the registration can be refused, and every wrong answer the driver can
//! give, each of which must be a keel error naming the driver, never a
//! crash.

use keel::ffi::driver::{keel_driver_load, keel_driver_register, keel_driver_v1};
use keel::ffi::error::{keel_error, keel_error_driver, keel_error_free, keel_error_message, keel_error_sqlstate, keel_error_vendor_code};
use keel::{Db, Nullable, Status, TxOptions, Type, ValueRef};
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Build tests/c_driver/kv.c with `defines` into a shared library named
/// `name` (once per process; tests run in parallel).
fn build(name: &str, defines: &[&str]) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kv-driver");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!("lib{name}.so"));
    let status = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-g"])
        .arg("-I")
        .arg(root.join("include"))
        .args(defines.iter().map(|d| format!("-D{d}")))
        .arg(root.join("tests/c_driver/kv.c"))
        .arg("-o")
        .arg(&out)
        .arg("-lpthread")
        .status()
        .expect("run cc (a C compiler is needed for this test)");
    assert!(status.success(), "cc failed to build {name}");
    out
}

/// `keel_driver_load(path)`: Ok, or the status and message.
fn load(path: &Path) -> Result<(), (Status, String)> {
    let c = CString::new(path.to_str().unwrap()).unwrap();
    status_of(|err| keel_driver_load(c.as_ptr(), err))
}

fn status_of(f: impl FnOnce(*mut *mut keel_error) -> Status) -> Result<(), (Status, String)> {
    let mut err: *mut keel_error = std::ptr::null_mut();
    let s = f(&mut err);
    if s == Status::Ok {
        assert!(err.is_null(), "an error object on success");
        return Ok(());
    }
    assert!(!err.is_null(), "status {s:?} without an error object");
    let msg = unsafe { CStr::from_ptr(keel_error_message(err)) }.to_string_lossy().into_owned();
    keel_error_free(err);
    Err((s, msg))
}

/// The kv driver under `name`, loaded once for the whole test process.
fn kv(name: &'static str) -> &'static str {
    static LOADED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut l = LOADED.lock().unwrap();
    if !l.contains(&name) {
        let path = build(name, &[&format!("KV_NAME=\"{name}\"")]);
        load(&path).unwrap_or_else(|e| panic!("load {name}: {e:?}"));
        l.push(name);
    }
    name
}

#[test]
fn the_happy_path_through_the_pool_and_placeholders() {
    let s = kv("kvhappy");
    let db = Db::open(&format!("{s}:happy")).unwrap();
    assert_eq!(db.driver_name(), "kvhappy");
    let r = db.exec("PUT ?, ?", &[ValueRef::Text("b"), ValueRef::Int64(2)]).unwrap();
    assert_eq!(r.rows_affected, 1);
    assert_eq!(r.last_insert_id, Some(1));
    db.exec("PUT ?, ?", &[ValueRef::Text("a"), ValueRef::Text("one")]).unwrap();
    db.exec("PUT ?, ?", &[ValueRef::Text("c"), ValueRef::Null]).unwrap();
    db.exec("PUT ?, ?", &[ValueRef::Text("d"), ValueRef::Uuid([7; 16])]).unwrap();

    let conn = db.checkout().unwrap();
    assert_eq!(conn.server_version().unwrap(), "kv 1.0 (happy)");
    conn.ping().unwrap();
    let mut rows = conn.query("ALL", &[]).unwrap();
    assert_eq!(rows.column_count(), 2);
    assert_eq!(rows.columns()[0].name, "k");
    assert_eq!(rows.columns()[0].engine_type, "TEXT");
    let mut got = Vec::new();
    while rows.next().unwrap() {
        got.push((rows.value(0).unwrap().to_owned(), rows.value(1).unwrap().to_owned()));
    }
    drop(rows);
    use keel::Value::*;
    let want = [
        (Text("a".into()), Text("one".into())),
        (Text("b".into()), Int64(2)),
        (Text("c".into()), Null),
        (Text("d".into()), Uuid([7; 16])),
    ];
    assert!(got.starts_with(&want), "{got:?}");

    // A prepared statement run twice: the first cursor is closed by the
    // second run (the driver's rows_free before stmt_query).
    let mut st = conn.prepare("GET ?").unwrap();
    assert_eq!(st.param_count(), 1);
    st.bind(0, ValueRef::Text("b")).unwrap();
    let mut first = st.query().unwrap();
    assert!(first.next().unwrap());
    assert_eq!(first.value(1).unwrap(), ValueRef::Int64(2));
    st.bind(0, ValueRef::Text("a")).unwrap();
    let mut second = st.query().unwrap();
    assert!(first.is_closed());
    assert!(first.next().is_err());
    assert!(second.next().unwrap());
    assert_eq!(second.value(1).unwrap(), ValueRef::Text("one"));
    assert!(!second.next().unwrap());
    drop((first, second, st));

    // Transactions, and savepoints through the SQL fallback: kv has no
    // SAVEPOINT statement, so its error comes back.
    conn.begin(&TxOptions::default()).unwrap();
    assert!(conn.in_transaction());
    let e = conn.savepoint("sp1").unwrap_err();
    assert_eq!(e.status, Status::InvalidArgument);
    assert!(e.message.contains("unknown statement"), "{}", e.message);
    conn.rollback().unwrap();
    assert!(!conn.in_transaction());
    let e = conn.begin(&TxOptions { isolation: keel::Isolation::Snapshot, ..Default::default() }).unwrap_err();
    assert_eq!(e.status, Status::NotImplemented);

    // The driver's own error, with its SQLSTATE, vendor code and name.
    let e = conn.exec("FAIL", &[]).unwrap_err();
    assert_eq!((e.status, e.sqlstate.as_str(), e.vendor_code, e.driver), (Status::Integrity, "23505", 19, "kvhappy"));
    assert!(e.message.contains("failing on purpose"), "{}", e.message);
    // The session survives it.
    let mut rows = conn.query("COUNT", &[]).unwrap();
    assert!(rows.next().unwrap());
    assert!(matches!(rows.value(0).unwrap(), ValueRef::Int64(n) if n >= 4));
    drop(rows);
    drop(conn);

    // Connections in parallel, each through the pool, sharing the store.
    std::thread::scope(|sc| {
        for t in 0..4 {
            let db = &db;
            sc.spawn(move || {
                for i in 0..50 {
                    let k = format!("t{t}-{i}");
                    db.exec("PUT ?, ?", &[ValueRef::Text(&k), ValueRef::Int64(i)]).unwrap();
                }
            });
        }
    });
    let mut rows = db.query("GET ?", &[ValueRef::Text("t3-49")]).unwrap();
    assert!(rows.next().unwrap());
    assert_eq!(rows.value(1).unwrap(), ValueRef::Int64(49));
    assert!(db.stats().open >= 1);
}

#[test]
fn a_connect_error_is_the_drivers() {
    let s = kv("kvconnect");
    let e = Db::open(&format!("{s}:refuse")).err().unwrap();
    assert_eq!((e.status, e.sqlstate.as_str(), e.driver), (Status::Unauthenticated, "28000", "kvconnect"));
    let e = Db::open(&format!("{s}:x?nope=1")).err().unwrap();
    assert_eq!(e.status, Status::InvalidArgument);
    assert!(e.message.contains("unknown option 'nope'"), "{}", e.message);
}

#[test]
fn a_scheme_is_taken_once() {
    let s = kv("kvtwice");
    let path = build("kvtwice", &["KV_NAME=\"kvtwice\""]);
    let (st, msg) = load(&path).unwrap_err();
    assert_eq!(st, Status::AlreadyExists);
    assert!(msg.contains("'kvtwice' is registered already"), "{msg}");
    // Another name, a built-in's scheme.
    let path = build("kvsqlite", &["KV_NAME=\"kvsqlite\"", "KV_SCHEMES=\"kvsqlite2,sqlite\""]);
    let (st, msg) = load(&path).unwrap_err();
    assert_eq!(st, Status::AlreadyExists);
    assert!(msg.contains("URL scheme 'sqlite' is taken by the sqlite driver"), "{msg}");
    assert!(Db::open("kvsqlite2:x").is_err(), "a refused driver registers no scheme");
    assert!(Db::open(&format!("{s}:x")).is_ok());
}

#[test]
fn registration_refuses_what_it_cannot_use() {
    let cases: [(&str, &[&str], Status, &str); 11] = [
        ("kvabi", &["KV_ABI=2"], Status::InvalidArgument, "driver ABI version 2; this keel speaks version 1"),
        (
            "kvhalfdesc",
            &["KV_HALF_DESCRIBE"],
            Status::InvalidArgument,
            "stmt_column_count and stmt_column come both or none; missing (NULL): stmt_column",
        ),
        ("kvsmall", &["KV_SIZE=16"], Status::InvalidArgument, "driver->size is 16, smaller than the first keel_driver_v1"),
        (
            "kvhalf",
            &["KV_HALF_APPEND"],
            Status::InvalidArgument,
            "the append functions come all four or none; missing (NULL): append_row, append_finish, append_free",
        ),
        ("kvmissing", &["KV_MISSING"], Status::InvalidArgument, "required function(s) missing (NULL): rows_value"),
        ("kvnoentry", &["KV_NO_ENTRY"], Status::NotFound, "exports no function keel_driver_entry"),
        ("kvrefuse", &["KV_REFUSE"], Status::InvalidArgument, "keel_driver_entry returned NULL"),
        ("kvbadname", &["KV_NAME=\"Bad Name\""], Status::InvalidArgument, "is not a name of lower-case letters"),
        ("kvtypeutf8", &["KV_COLUMN_TYPE=\"\\xff\""], Status::InvalidArgument, "driver->column_types[5] is not valid UTF-8"),
        ("kvtypeempty", &["KV_COLUMN_TYPE=\" \""], Status::InvalidArgument, "column_types[5] is \" \", which is not a column type"),
        ("kvcatempty", &["KV_CATALOG=\" \""], Status::InvalidArgument, "catalog_queries[2] is empty"),
    ];
    for (name, defines, status, text) in cases {
        let mut d: Vec<String> = defines.iter().map(|s| s.to_string()).collect();
        if !defines.iter().any(|s| s.starts_with("KV_NAME")) {
            d.push(format!("KV_NAME=\"{name}\""));
        }
        let d: Vec<&str> = d.iter().map(String::as_str).collect();
        let path = build(name, &d);
        let (st, msg) = load(&path).unwrap_err();
        assert_eq!(st, status, "{name}: {msg}");
        assert!(msg.contains(text), "{name}: {msg}");
    }
    let (st, msg) = load(Path::new("/nonexistent/libnothing.so")).unwrap_err();
    assert_eq!(st, Status::NotFound);
    assert!(msg.contains("cannot load the driver library"), "{msg}");
    let (st, _) = status_of(|err| keel_driver_load(std::ptr::null(), err)).unwrap_err();
    assert_eq!(st, Status::NullArgument);
    let (st, _) = status_of(|err| keel_driver_register(std::ptr::null(), err)).unwrap_err();
    assert_eq!(st, Status::NullArgument);
}

/// A driver's catalog: a question it has no query for is NOT_IMPLEMENTED
/// naming the driver; one it has runs as the driver's SQL wrapped in
/// keel's filter (which this driver's tiny language refuses: the
/// driver's error comes back as it is).
#[test]
fn a_drivers_catalog_is_its_queries() {
    use keel::core::catalog::Catalog;
    let path = build("kvcat", &["KV_NAME=\"kvcat\"", "KV_CATALOG=\"ALL\""]);
    load(&path).unwrap_or_else(|e| panic!("load kvcat: {e:?}"));
    let c = Db::open("kvcat:cat").unwrap().checkout().unwrap();
    let e = c.catalog(&Catalog::Catalogs).err().expect("no catalogs query");
    assert_eq!(e.status, Status::NotImplemented, "{e}");
    assert!(e.message.contains("driver kvcat does not list catalogs"), "{e}");
    let e = c.catalog(&Catalog::Tables { catalog: None, schema: None, table: Some("t%"), types: vec![] }).err().expect("kv has no SELECT");
    assert!(e.message.contains("SELECT * FROM (ALL) AS keel_catalog") || e.message.contains("kv:"), "{e}");
    // A driver without catalog_queries: every question.
    let kv = build("kvnocat", &["KV_NAME=\"kvnocat\""]);
    load(&kv).unwrap_or_else(|e| panic!("load kvnocat: {e:?}"));
    let c = Db::open("kvnocat:x").unwrap().checkout().unwrap();
    let e = c.catalog(&Catalog::Indexes { catalog: None, schema: None, table: Some("t") }).err().unwrap();
    assert_eq!(e.status, Status::NotImplemented, "{e}");
}

/// A driver that describes its statements before they run: the columns
/// are those of a run's cursor, a command has 0 (known), and the
/// capability says so; "cannot tell" comes back as NOT_IMPLEMENTED with
/// the driver's words, and a count or a column keel cannot take is the
/// driver's error. Without the functions, NOT_IMPLEMENTED naming them.
#[test]
fn a_driver_describes_statements_before_they_run() {
    use keel::core::driver::Capability;
    let path = build("kvdesc", &["KV_NAME=\"kvdesc\"", "KV_DESCRIBE"]);
    load(&path).unwrap_or_else(|e| panic!("load kvdesc: {e:?}"));
    let c = Db::open("kvdesc:desc").unwrap().checkout().unwrap();
    assert!(c.supports(Capability::ColumnsAfterPrepare).unwrap());
    let mut get = c.prepare("GET ?").unwrap();
    let cols = get.columns().unwrap();
    let described: Vec<(&str, Type)> = cols.iter().map(|c| (c.name.as_str(), c.kind)).collect();
    assert_eq!(described, [("k", Type::Text), ("v", Type::Null)]);
    assert_eq!(cols[0].nullable, Nullable::No);
    assert_eq!(cols[0].engine_type, "TEXT");
    get.bind(0, ValueRef::Text("nothing")).unwrap();
    let r = get.query().unwrap();
    let ran: Vec<(&str, Type)> = r.columns().iter().map(|c| (c.name.as_str(), c.kind)).collect();
    assert_eq!(ran, described);
    drop(r);
    assert_eq!(c.prepare("PUT ?, ?").unwrap().columns().unwrap().len(), 0);
    assert_eq!(c.prepare("COUNT").unwrap().columns().unwrap().len(), 1);
    let e = c.prepare("BAD describe_unknown").unwrap().columns().unwrap_err();
    assert_eq!((e.status, e.driver), (Status::NotImplemented, "kvdesc"), "{e}");
    assert!(e.message.contains("known only when it runs"), "{e}");
    let e = c.prepare("BAD describe_many").unwrap().columns().unwrap_err();
    assert_eq!(e.status, Status::Internal, "{e}");
    assert!(e.message.contains("stmt_column_count") && e.message.contains("columns"), "{e}");
    let e = c.prepare("BAD column_kind").unwrap().columns().unwrap_err();
    assert_eq!(e.status, Status::Internal, "{e}");
    assert!(e.message.contains("stmt_column(0)") && e.message.contains("not a keel_type"), "{e}");
    // A driver without them.
    let kv = build("kvnodesc", &["KV_NAME=\"kvnodesc\""]);
    load(&kv).unwrap_or_else(|e| panic!("load kvnodesc: {e:?}"));
    let c = Db::open("kvnodesc:x").unwrap().checkout().unwrap();
    assert!(!c.supports(Capability::ColumnsAfterPrepare).unwrap());
    let e = c.prepare("GET ?").unwrap().columns().unwrap_err();
    assert_eq!(e.status, Status::NotImplemented, "{e}");
    assert!(e.message.contains("stmt_column_count is NULL"), "{e}");
}

/// A driver built against the first keel_driver.h (its table ends at
/// rows_free, before the append functions) loads and works: keel reads no
/// field past its `size`.
#[test]
fn a_driver_built_before_the_append_functions_loads() {
    let path = build("kvfirst", &["KV_NAME=\"kvfirst\"", "KV_FIRST_SIZE"]);
    load(&path).unwrap_or_else(|e| panic!("load kvfirst: {e:?}"));
    let db = Db::open("kvfirst:first").unwrap();
    let r = db.exec("PUT ?, ?", &[ValueRef::Text("a"), ValueRef::Int64(1)]).unwrap();
    assert_eq!(r.rows_affected, 1);
}

/// A driver linked into the program registers with keel_driver_register
/// (here the table comes from the library's own entry point, called with
/// a host table of keel's exported functions).
#[test]
fn a_linked_driver_registers_its_table() {
    use keel::ext::abi::{keel_driver_host, keel_error_new, DriverV1, KEEL_DRIVER_ABI_VERSION};
    let path = build("kvlinked", &["KV_NAME=\"kvlinked\""]);
    let c = CString::new(path.to_str().unwrap()).unwrap();
    let lib = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW) };
    assert!(!lib.is_null());
    let sym = unsafe { libc::dlsym(lib, c"keel_driver_entry".as_ptr()) };
    assert!(!sym.is_null());
    unsafe extern "C" fn new(s: i32, st: *const std::ffi::c_char, v: i32, m: *const std::ffi::c_char) -> *mut keel_error {
        keel_error_new(s, st, v, m)
    }
    unsafe extern "C" fn free(e: *mut keel_error) {
        keel_error_free(e)
    }
    let host = Box::leak(Box::new(keel_driver_host {
        size: std::mem::size_of::<keel_driver_host>(),
        abi_version: KEEL_DRIVER_ABI_VERSION,
        error_new: Some(new),
        error_free: Some(free),
    }));
    let entry: unsafe extern "C" fn(*const keel_driver_host) -> *const DriverV1 = unsafe { std::mem::transmute(sym) };
    let table = unsafe { entry(host) };
    status_of(|err| keel_driver_register(table as *const keel_driver_v1, err)).unwrap();
    let db = Db::open("kvlinked:x").unwrap();
    db.exec("PUT ?, ?", &[ValueRef::Text("k"), ValueRef::Double(0.5)]).unwrap();
    let mut rows = db.query("GET ?", &[ValueRef::Text("k")]).unwrap();
    assert!(rows.next().unwrap());
    assert_eq!(rows.value(1).unwrap(), ValueRef::Double(0.5));
}

/// Every wrong answer is an error naming the driver and what it did; the
/// connection stays usable after each.
#[test]
fn a_misbehaving_driver_gives_errors_not_crashes() {
    let s = kv("kvbad");
    let db = Db::open(&format!("{s}:bad?pool_max_open=1")).unwrap();
    db.exec("PUT ?, ?", &[ValueRef::Text("a"), ValueRef::Int64(1)]).unwrap();
    let conn = db.checkout().unwrap();
    let cases: [(&str, Status, &str); 19] = [
        ("BAD null_stmt", Status::Internal, "conn_prepare succeeded without a statement (NULL)"),
        ("BAD prepare_status", Status::Internal, "conn_prepare returned 1234, which is not a keel_status"),
        ("BAD prepare_null_argument", Status::Internal, "conn_prepare returned NULL argument, a status only keel itself gives"),
        ("BAD prepare_panic", Status::Internal, "a status only keel itself gives"),
        ("BAD exec_no_error", Status::Io, "stmt_execute failed (I/O error) without saying why"),
        ("BAD exec_status", Status::Internal, "returned 99, which is not a keel_status (its error says: kv: with a status"),
        ("BAD null_rows", Status::Internal, "stmt_query succeeded without a cursor (NULL)"),
        ("BAD many_columns", Status::Internal, "rows_column_count says"),
        ("BAD column_name_utf8", Status::Internal, "gave a name that is not UTF-8"),
        ("BAD column_name_nul", Status::Internal, "gave a name with a NUL byte in it"),
        ("BAD column_name_len", Status::Internal, "gave a name of 18446744073709551615 bytes"),
        ("BAD column_kind", Status::Internal, "gave type 77, which is not a keel_type"),
        ("BAD has_row", Status::Internal, "gave has_row 7, neither 0 nor 1"),
        ("BAD next_no_error", Status::Io, "rows_next failed (I/O error) without saying why"),
        ("BAD value_utf8", Status::Internal, "rows_value(0) gave text that is not UTF-8"),
        ("BAD value_kind", Status::Internal, "rows_value(1) gave type 99, which is not a keel_type"),
        ("BAD value_bool", Status::Internal, "gave bool 2, neither 0 nor 1"),
        ("BAD value_decimal", Status::Internal, "gave decimal \"12x.4\", which is not a decimal number"),
        ("BAD value_null_data", Status::Internal, "gave NULL data with a length"),
    ];
    for (sql, status, text) in cases {
        let r = if sql.contains("exec_") || sql.contains("prepare") || sql.contains("stmt") {
            conn.exec(sql, &[]).map(|_| ())
        } else {
            conn.query(sql, &[]).and_then(|mut rows| {
                while rows.next()? {
                    for i in 0..rows.column_count() {
                        rows.value(i)?;
                    }
                }
                Ok(())
            })
        };
        let e = r.expect_err(sql);
        assert_eq!(e.status, status, "{sql}: {}", e.message);
        assert!(e.message.contains(text), "{sql}: {}", e.message);
        assert_eq!(e.driver, "kvbad", "{sql}");
        assert!(e.message.contains("kvbad driver"), "{sql}: {}", e.message);
    }
    for (sql, text) in [
        ("BAD value_wrong_type", "gave a int64 value in column \"k\", whose type is text"),
        ("BAD value_uuid", "gave a uuid that is not 16 bytes"),
    ] {
        let mut rows = conn.query(sql, &[]).unwrap();
        let e = rows.next().unwrap_err();
        assert!(e.message.contains(text), "{sql}: {}", e.message);
    }
    // An error given with success is dropped, and the call succeeds.
    conn.exec("BAD exec_ok_with_error", &[]).unwrap();
    // Still usable.
    let mut rows = conn.query("GET ?", &[ValueRef::Text("a")]).unwrap();
    assert!(rows.next().unwrap());
    assert_eq!(rows.value(1).unwrap(), ValueRef::Int64(1));
}

/// keel_error_new normalizes what it is given.
#[test]
fn keel_error_new_checks_its_arguments() {
    use keel::ext::abi::keel_error_new;
    let e = keel_error_new(0, c"bad".as_ptr(), 5, c"m".as_ptr());
    assert_eq!(keel::ffi::error::keel_error_status(e), Status::Unknown);
    assert_eq!(unsafe { CStr::from_ptr(keel_error_sqlstate(e)) }.to_bytes(), b"");
    assert_eq!(keel_error_vendor_code(e), 5);
    keel_error_free(e);
    let e = keel_error_new(42, std::ptr::null(), 0, std::ptr::null());
    assert_eq!(keel::ffi::error::keel_error_status(e), Status::Unknown);
    assert_eq!(unsafe { CStr::from_ptr(keel_error_message(e)) }.to_bytes(), b"");
    assert_eq!(unsafe { CStr::from_ptr(keel_error_driver(e)) }.to_bytes(), b"");
    keel_error_free(e);
    let e = keel_error_new(Status::Busy as i32, c"40001".as_ptr(), 0, c"x\xff".as_ptr());
    assert_eq!(keel::ffi::error::keel_error_status(e), Status::Busy);
    assert_eq!(unsafe { CStr::from_ptr(keel_error_sqlstate(e)) }.to_bytes(), b"40001");
    // Class 40: the transaction was rolled back, nothing of it stays.
    assert_eq!(keel::ffi::error::keel_error_retry_safety(e), keel::RetrySafety::NotCommitted);
    keel_error_free(e);
    let e = keel_error_new(Status::Integrity as i32, c"23505".as_ptr(), 0, c"dup".as_ptr());
    assert_eq!(keel::ffi::error::keel_error_retry_safety(e), keel::RetrySafety::Unknown);
    keel_error_free(e);
}

/// The kv driver built with `rows_next_chunk` (-DKV_CHUNKS), loaded once.
fn kv_chunks() -> &'static str {
    static LOADED: std::sync::Once = std::sync::Once::new();
    LOADED.call_once(|| {
        let path = build("kvchunk", &["KV_NAME=\"kvchunk\"", "KV_CHUNKS"]);
        load(&path).unwrap_or_else(|e| panic!("load kvchunk: {e:?}"));
    });
    "kvchunk"
}

/// Row `i` of kv's CHUNK result, as keel must hand it out (row 3 is NULL
/// but in `n`; its entries hold garbage that keel must not read).
fn chunk_row(i: i64) -> Vec<ValueRef<'static>> {
    if i == 3 {
        let mut v = vec![ValueRef::Null; 7];
        v[1] = ValueRef::Int64(30);
        return v;
    }
    let text: &'static str = Box::leak(format!("row{i}").into_boxed_str());
    vec![
        ValueRef::Text(text),
        ValueRef::Int64(i * 10),
        ValueRef::Bool(i % 2 == 1),
        ValueRef::Date(19000 + i as i32),
        ValueRef::Time(i * 1_000_000),
        ValueRef::Uuid([i as u8; 16]),
        ValueRef::Double(i as f64 / 2.0),
    ]
}

/// A driver that hands out chunks (`rows_next_chunk`): rows read one by
/// one across chunks, NULLs from the validity bits (whatever the entries
/// of a NULL row hold), the same rows as Arrow batches, built from whole
/// vectors, also from a cursor already part-way through a chunk; and
/// every other cursor of the driver read by chunks too.
#[test]
fn a_driver_that_hands_out_chunks() {
    let s = kv_chunks();
    let db = Db::open(&format!("{s}:chunks?pool_max_open=1")).unwrap();
    let conn = db.checkout().unwrap();
    let mut rows = conn.query("CHUNK ok", &[]).unwrap();
    let mut i = 0;
    while rows.next().unwrap() {
        let got: Vec<ValueRef<'_>> = (0..7).map(|c| rows.value(c).unwrap()).collect();
        assert_eq!(got, chunk_row(i), "row {i}");
        i += 1;
    }
    assert_eq!(i, 5);
    assert!(!rows.next().unwrap(), "the end stays the end");
    drop(rows);

    // Arrow: from the start, and from a cursor on its second row (the
    // middle of the first chunk), in batches of 3 that span chunks.
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Date32Type, Float64Type, Int64Type, Time64MicrosecondType};
    use arrow_array::Array;
    for skip in [0i64, 2] {
        let mut rows = conn.query("CHUNK ok", &[]).unwrap();
        for _ in 0..skip {
            assert!(rows.next().unwrap());
        }
        let mut reader = keel::codec::arrow::ArrowReader::new(rows, 3).unwrap();
        let mut i = skip;
        let mut batches = 0;
        while let Some(b) = reader.next_batch().unwrap() {
            batches += 1;
            for r in 0..b.num_rows() {
                let want = chunk_row(i);
                let t = b.column(0).as_string::<i32>();
                let n = b.column(1).as_primitive::<Int64Type>();
                let flag = b.column(2).as_boolean();
                let d = b.column(3).as_primitive::<Date32Type>();
                let tm = b.column(4).as_primitive::<Time64MicrosecondType>();
                let u = b.column(5).as_fixed_size_binary();
                let f = b.column(6).as_primitive::<Float64Type>();
                assert_eq!(ValueRef::Int64(n.value(r)), want[1], "row {i}");
                if i == 3 {
                    for c in [0, 2, 3, 4, 5, 6] {
                        assert!(b.column(c).is_null(r), "row 3, column {c}");
                    }
                } else {
                    assert_eq!(ValueRef::Text(t.value(r)), want[0], "row {i}");
                    assert_eq!(ValueRef::Bool(flag.value(r)), want[2], "row {i}");
                    assert_eq!(ValueRef::Date(d.value(r)), want[3], "row {i}");
                    assert_eq!(ValueRef::Time(tm.value(r)), want[4], "row {i}");
                    assert_eq!(ValueRef::Uuid(u.value(r).try_into().unwrap()), want[5], "row {i}");
                    assert_eq!(ValueRef::Double(f.value(r)), want[6], "row {i}");
                }
                i += 1;
            }
        }
        assert_eq!(i, 5, "skip {skip}");
        assert_eq!(batches, if skip == 0 { 2 } else { 1 }, "skip {skip}: batches of 3");
    }

    // The driver's other cursors come by chunks as well.
    conn.exec("PUT ?, ?", &[ValueRef::Text("a"), ValueRef::Int64(1)]).unwrap();
    conn.exec("PUT ?, ?", &[ValueRef::Text("b"), ValueRef::Int64(2)]).unwrap();
    let mut rows = conn.query("COUNT", &[]).unwrap();
    assert!(rows.next().unwrap());
    assert!(matches!(rows.value(0).unwrap(), ValueRef::Int64(n) if n >= 2));
    drop(rows);
    let mut rows = conn.query("ALL", &[]).unwrap();
    let mut keys = Vec::new();
    while rows.next().unwrap() {
        keys.push(rows.value(0).unwrap().as_str_direct().unwrap().to_owned());
        assert_eq!(rows.value(1).unwrap(), ValueRef::Null, "v has no declared type: NULL in a chunk");
    }
    assert!(keys.contains(&"a".to_owned()) && keys.contains(&"b".to_owned()), "{keys:?}");
}

/// `keel_rows_next_values` on a chunked cursor reads each value straight
/// from the chunk's vectors: the same kinds, numbers and bytes as
/// `keel_rows_column_value` gives for the row (text NUL-terminated for C,
/// NULLs from the validity bits), across chunks, for a prefix of the
/// columns too, and nothing written at the end.
#[test]
fn next_values_on_a_chunked_cursor_reads_what_the_column_reader_does() {
    use keel::ffi::conn::{keel_conn_free, keel_conn_query};
    use keel::ffi::db::{keel_db_checkout, keel_db_free, keel_db_open};
    use keel::ffi::rows::{keel_rows, keel_rows_column_value, keel_rows_free, keel_rows_next_values};
    use keel::ffi::types::keel_value;
    let s = kv_chunks();
    let url = CString::new(format!("{s}:nextvalues?pool_max_open=1")).unwrap();
    let mut err: *mut keel_error = std::ptr::null_mut();
    let mut db = std::ptr::null_mut();
    assert_eq!(keel_db_open(url.as_ptr(), &mut db, &mut err), Status::Ok);
    let mut conn = std::ptr::null_mut();
    assert_eq!(keel_db_checkout(db, &mut conn, &mut err), Status::Ok);
    let query = |err: &mut *mut keel_error| {
        let mut rows: *mut keel_rows = std::ptr::null_mut();
        assert_eq!(keel_conn_query(conn, c"CHUNK ok".as_ptr(), std::ptr::null(), 0, &mut rows, err), Status::Ok);
        rows
    };
    let null = || keel_value { kind: keel::Type::Null as i32, int_value: 0, uint_value: 0, double_value: 0.0, data: std::ptr::null(), len: 0 };
    for count in [7usize, 3] {
        let rows = query(&mut err);
        let mut i = 0;
        loop {
            let mut vals = [null(); 8];
            vals[7].int_value = -5;
            let mut has = false;
            assert_eq!(keel_rows_next_values(rows, vals.as_mut_ptr(), count, &mut has, &mut err), Status::Ok);
            if !has {
                assert_eq!(vals[0].kind, keel::Type::Null as i32, "nothing written at the end");
                break;
            }
            assert_eq!(vals[count].int_value, if count == 7 { -5 } else { 0 }, "only `count` values written");
            for (c, v) in vals.iter().take(count).enumerate() {
                let mut w = null();
                assert_eq!(keel_rows_column_value(rows, c, &mut w, &mut err), Status::Ok);
                assert_eq!((v.kind, v.int_value, v.uint_value, v.len), (w.kind, w.int_value, w.uint_value, w.len), "row {i} column {c}");
                assert_eq!(v.double_value.to_bits(), w.double_value.to_bits(), "row {i} column {c}");
                if v.len > 0 {
                    // SAFETY: both valid until the cursor moves (the contract).
                    let (a, b) = unsafe { (std::slice::from_raw_parts(v.data, v.len), std::slice::from_raw_parts(w.data, w.len)) };
                    assert_eq!(a, b, "row {i} column {c}");
                }
            }
            let text = vals[0];
            if i == 3 {
                assert_eq!(text.kind, keel::Type::Null as i32, "row 3 is NULL but in column 1");
                assert_eq!((vals[1].kind, vals[1].int_value), (keel::Type::Int64 as i32, 30));
            } else {
                assert_eq!(text.kind, keel::Type::Text as i32);
                // SAFETY: text for C has its NUL after `len` bytes.
                let t = unsafe { CStr::from_ptr(text.data as *const std::ffi::c_char) };
                assert_eq!(t.to_str().unwrap(), format!("row{i}"));
                assert_eq!((vals[1].kind, vals[1].int_value), (keel::Type::Int64 as i32, i * 10));
                assert_eq!((vals[2].kind, vals[2].int_value), (keel::Type::Bool as i32, i % 2));
            }
            i += 1;
        }
        assert_eq!(i, 5, "count {count}: every row, across chunks");
        keel_rows_free(rows);
    }
    keel_conn_free(conn);
    keel_db_free(db);
}

/// Every wrong chunk is an error naming the driver, the column and the
/// row, found when the chunk arrives, before any of its rows is read;
/// the connection stays usable.
#[test]
fn a_misbehaving_chunk_gives_errors_not_crashes() {
    let s = kv_chunks();
    let db = Db::open(&format!("{s}:badchunks?pool_max_open=1")).unwrap();
    let conn = db.checkout().unwrap();
    let cases: [(&str, Status, &str); 9] = [
        ("CHUNK bad_bool", Status::Internal, "gave bool 2 in row 1, neither 0 nor 1 in column 2 (\"b\")"),
        ("CHUNK bad_utf8", Status::Internal, "gave text that is not UTF-8 in row 1 in column 0 (\"t\")"),
        ("CHUNK null_data", Status::Internal, "gave NULL data with a length in row 0 in column 0 (\"t\")"),
        ("CHUNK uuid_len", Status::Internal, "gave a uuid of 15 bytes in row 1, not 16 in column 5 (\"u\")"),
        ("CHUNK bad_time", Status::Internal, "gave time 86400000000 in row 0, not a time of day in column 4 (\"tm\")"),
        ("CHUNK misaligned", Status::Internal, "gave an int64_t vector at a misaligned address"),
        ("CHUNK null_columns", Status::Internal, "gave the columns of 7 rows as NULL"),
        ("CHUNK null_vector", Status::Internal, "gave an int32_t vector of 2 rows as NULL"),
        ("CHUNK status", Status::Io, "kv: the chunk was lost"),
    ];
    for (sql, status, text) in cases {
        for arrow in [false, true] {
            let mut rows = conn.query(sql, &[]).unwrap();
            let e = if arrow {
                keel::codec::arrow::ArrowReader::new(rows, 10).err().unwrap_or_else(|| panic!("{sql}: Arrow read it"))
            } else {
                rows.next().unwrap_err()
            };
            assert_eq!(e.status, status, "{sql}: {}", e.message);
            assert!(e.message.contains(text), "{sql} (arrow {arrow}): {}", e.message);
            assert_eq!(e.driver, "kvchunk", "{sql}");
        }
    }
    let mut rows = conn.query("CHUNK ok", &[]).unwrap();
    assert!(rows.next().unwrap());
    assert_eq!(rows.value(0).unwrap(), ValueRef::Text("row0"));
}

/// What keel refuses before a loaded driver sees it (keel_driver.h): SQL
/// holding a second statement, and, for a driver without
/// KEEL_DRIVER_SEVERAL_CURSORS, every other call on a connection while
/// one of its cursors is open (the statement that opened it may run
/// again, closing it first).
#[test]
fn one_statement_and_one_open_cursor_are_kept_for_the_driver() {
    let path = build("kvone", &["KV_NAME=\"kvone\"", "KV_ONE_CURSOR"]);
    load(&path).unwrap();
    let db = Db::open("kvone:one").unwrap();
    for sql in ["ALL; ALL", "PUT ?, ?; ALL", "ALL -- c\n; ALL", "ALL /* ; */ ; GET ?"] {
        let e = db.exec(sql, &[]).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument, "{sql}: {e}");
        assert!(e.message.contains("more than one statement"), "{e}");
        assert_eq!(e.retry, keel::RetrySafety::NotSent);
    }
    // A `;` inside a string is no end of a statement.
    db.exec("PUT ?, ?", &[ValueRef::Text("a;b"), ValueRef::Int64(1)]).unwrap();
    db.exec("PUT ?, ?", &[ValueRef::Text("b"), ValueRef::Int64(2)]).unwrap();
    let put = |c: &keel::Conn, k: &str, v: i64| c.exec("PUT ?, ?", &[ValueRef::Text(k), ValueRef::Int64(v)]).map(|_| ());

    let conn = db.checkout().unwrap();
    let mut st = conn.prepare("ALL").unwrap();
    let mut open = st.query().unwrap();
    assert!(open.next().unwrap());
    let busy = |r: keel::Result<()>| {
        let e = r.unwrap_err();
        assert_eq!(e.status, Status::InvalidState, "{e}");
        assert!(e.message.contains("a cursor is still open"), "{e}");
        assert_eq!(e.retry, keel::RetrySafety::NotSent);
    };
    busy(put(&conn, "c", 3));
    busy(conn.prepare("GET ?").map(|_| ()));
    busy(conn.begin(&keel::TxOptions::default()));
    // The statement that opened it runs again: its old cursor closes.
    let mut again = st.query().unwrap();
    assert!(open.is_closed());
    drop(open);
    // Read to its end, the cursor frees the connection.
    while again.next().unwrap() {}
    put(&conn, "c", 3).unwrap();
    let mut third = conn.query("ALL", &[]).unwrap();
    assert!(third.next().unwrap());
    busy(put(&conn, "d", 4));
    // Freed before its end, too.
    drop(third);
    put(&conn, "d", 4).unwrap();
    drop(again);
    drop(st);
}
