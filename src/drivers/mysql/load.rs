//! Bulk ingest by `LOAD DATA LOCAL INFILE`, fed from the row source: the
//! client never opens a file. The mysql crate asks a local-infile handler
//! for the "file" while the statement runs; keel's handler writes the
//! rows as tab-separated text (the statement says how it is escaped)
//! straight from the source. When the server has `local_infile` off, keel
//! uses multi-row INSERTs instead (`DriverConn::bulk_insert` says `None`).
//! With LOCAL, the server reports duplicate keys and values it cannot
//! store as warnings and goes on; keel turns the first such warning into
//! the load's error (and `Conn::ingest` rolls the rows back).

use super::session::Shared;
use crate::core::error::{Error, Result, Status};
use crate::core::ingest::RowSource;
use crate::core::value::{Type as K, ValueRef};
use mysql::prelude::Queryable;
use mysql::LocalInfileHandler;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

/// Escape `b` for LOAD DATA's text format (ESCAPED BY '\\').
fn escape(b: &[u8], out: &mut Vec<u8>) {
    // Runs of bytes that need no escape are copied whole.
    let mut rest = b;
    while let Some(at) = rest.iter().position(|&c| matches!(c, b'\\' | b'\t' | b'\n' | b'\r' | 0)) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(match rest[at] {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => b"\\0",
        });
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

fn field(v: ValueRef<'_>, text: &mut String, out: &mut Vec<u8>) -> Result<()> {
    match v {
        ValueRef::Null => out.extend_from_slice(b"\\N"),
        ValueRef::Bool(b) => out.push(if b { b'1' } else { b'0' }),
        ValueRef::Bytes(b) => escape(b, out),
        ValueRef::Text(t) | ValueRef::Json(t) | ValueRef::Decimal(t) => escape(t.as_bytes(), out),
        // The session runs at time_zone '+00:00': an instant is its UTC
        // date and time.
        ValueRef::Timestamptz(t) => {
            text.clear();
            ValueRef::Timestamp(t).write_text(text)?;
            escape(text.as_bytes(), out)
        }
        v => {
            text.clear();
            v.write_text(text)?;
            escape(text.as_bytes(), out)
        }
    }
    Ok(())
}

/// The row source, for the handler, which the mysql crate wants `Send +
/// 'static`.
struct Feed(*mut (dyn RowSource + 'static));

// SAFETY: the handler holding it runs only inside `load`'s `query_drop`,
// on the thread that called `load`, while `load` borrows the source
// mutably; `load` removes the handler before it returns.
unsafe impl Send for Feed {}

impl Feed {
    /// The source (a method, so that the closure captures the whole
    /// `Feed`, which is `Send`, not its pointer field).
    fn source(&self) -> *mut (dyn RowSource + 'static) {
        self.0
    }
}

/// Send this much of the "file" at a time.
const CHUNK: usize = 1 << 20;

/// LOAD DATA `src` into `table`; `None` when the server has local_infile
/// off (nothing of `src` read then).
pub(super) fn load(shared: &Shared, table: &str, columns: &[String], src: &mut dyn RowSource) -> Result<Option<u64>> {
    let c = shared.conn()?;
    let on: Option<i64> = shared.check_as(false, c.query_first("SELECT @@local_infile"))?;
    let has = |k: K| src.columns().iter().any(|col| col.kind == k);
    // The "file" is read in one character set: binary (bytes as they are)
    // unless a column is JSON, which MySQL 8 refuses from binary text;
    // JSON and bytes together go by INSERTs.
    if on != Some(1) || has(K::Uuid) || (has(K::Json) && has(K::Bytes)) {
        return Ok(None);
    }
    let charset = if has(K::Json) { "utf8mb4" } else { "binary" };
    let failure: Arc<Mutex<Option<Error>>> = Arc::new(Mutex::new(None));
    // SAFETY: only the lifetime is erased; see `Feed`.
    let feed = Feed(unsafe {
        std::mem::transmute::<*mut (dyn RowSource + '_), *mut (dyn RowSource + 'static)>(src as *mut dyn RowSource)
    });
    let fail = failure.clone();
    let handler = LocalInfileHandler::new(move |_name, writer| {
        // SAFETY: see `Feed`.
        let src = unsafe { &mut *feed.source() };
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + CHUNK / 4);
        let mut text = String::new();
        loop {
            let more = src.next_rows(&mut |row| {
                for (i, v) in row.iter().enumerate() {
                    if i > 0 {
                        buf.push(b'\t');
                    }
                    field(*v, &mut text, &mut buf)?;
                }
                buf.push(b'\n');
                Ok(())
            });
            match more {
                Ok(Some(_)) => {
                    if buf.len() >= CHUNK {
                        writer.write_all(&buf)?;
                        buf.clear();
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    *fail.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    return Err(io::Error::other("the row source failed"));
                }
            }
        }
        writer.write_all(&buf)?;
        writer.flush()
    });
    c.set_local_infile_handler(Some(handler));
    let sql = format!(
        "LOAD DATA LOCAL INFILE 'keel-rows' INTO TABLE {table} CHARACTER SET {charset} \
         FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({})",
        columns.join(", ")
    );
    let r = c.query_drop(&sql);
    c.set_local_infile_handler(None);
    let source_failed = failure.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(e) = source_failed {
        // The server may have taken the rows sent before the failure: the
        // ingest's transaction is rolled back by the caller. A session
        // that failed mid-statement is marked by check_as.
        let _ = shared.check_as(true, r);
        return Err(e);
    }
    shared.check_as(true, r)?;
    let loaded = c.affected_rows();
    // With LOCAL the server turns duplicate keys and values it cannot take
    // into warnings and goes on (it cannot stop the client's file): keel
    // makes the first of them the error, and the caller rolls back.
    refuse_warnings(shared, c, "LOAD DATA LOCAL INFILE")?;
    Ok(Some(loaded))
}

/// The first warning of the statement `c` just ran, as its error: keel's
/// bulk paths refuse what the server let pass with a warning (a value
/// adjusted to fit, a duplicate key skipped), and the ingest's
/// transaction is rolled back. `what` names the path in the message.
pub(super) fn refuse_warnings(shared: &Shared, c: &mut mysql::Conn, what: &str) -> Result<()> {
    if c.warnings() == 0 {
        return Ok(());
    }
    let w: Option<(String, u32, String)> = shared.check_as(false, c.query_first("SHOW WARNINGS LIMIT 1"))?;
    let Some((level, code, msg)) = w else { return Ok(()) };
    let (status, sqlstate) = if code == 1062 { (Status::Integrity, "23000") } else { (Status::InvalidData, "22000") };
    let mut e = Error::new(
        status,
        format!("{what}: {msg} (a {} the server let pass; keel refuses the load)", level.to_lowercase()),
    )
    .with_sqlstate(sqlstate)
    .with_driver("mysql");
    e.vendor_code = code as i32;
    Err(e)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_marks_each_special_byte_and_copies_the_rest() {
        let mut out = Vec::new();
        escape(b"a\\b\tc\nd\re\0f", &mut out);
        assert_eq!(out, b"a\\\\b\\tc\\nd\\re\\0f");
        out.clear();
        escape(b"\n\n", &mut out);
        assert_eq!(out, b"\\n\\n");
        out.clear();
        escape(b"plain", &mut out);
        assert_eq!(out, b"plain");
    }
}
