//! Bulk ingest by `COPY ... FROM STDIN (FORMAT binary)`: rows from a
//! `RowSource` encoded straight into PostgreSQL's binary COPY format, for
//! `DriverConn::bulk_insert`. Used when every column's keel type has a
//! binary encoding for the table column's PostgreSQL type (below), and
//! every list column's element type one for the array column's element
//! type (written as a one-dimensional binary array); otherwise keel falls
//! back to multi-row INSERTs.

use super::client::{Client, Effect};
use super::types::{PG_EPOCH_DAYS, PG_EPOCH_MICROS};
use crate::core::error::{Error, Result};
use crate::core::ingest::{Lists, RowSource};
use crate::core::value::{Type as K, ValueRef};
use bytes::{BufMut, BytesMut};
use futures_util::SinkExt;
use tokio_postgres::types::{Kind, Type};

/// Whether values of keel type `kind` go into a column of `ty` in binary.
fn binary_fits(kind: K, ty: &Type) -> bool {
    match kind {
        K::Null => true,
        K::Bool => *ty == Type::BOOL,
        K::Int64 | K::Uint64 => matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8),
        K::Double => matches!(*ty, Type::FLOAT8 | Type::FLOAT4),
        K::Text | K::Json => matches!(*ty, Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::JSON | Type::JSONB),
        K::Decimal => matches!(*ty, Type::NUMERIC),
        K::Bytes => *ty == Type::BYTEA,
        K::Date => *ty == Type::DATE,
        K::Time => *ty == Type::TIME,
        K::Timestamp => *ty == Type::TIMESTAMP,
        K::Timestamptz => *ty == Type::TIMESTAMPTZ,
        K::Uuid => *ty == Type::UUID,
    }
}

fn bad(msg: String) -> Error {
    Error::invalid_data(msg).with_sqlstate("22003").with_driver("postgres")
}

/// PostgreSQL's binary numeric of decimal text (`-12.340`).
fn numeric(t: &str, out: &mut BytesMut) -> Result<()> {
    let (neg, int, frac) = crate::core::value::split_decimal(t)
        .ok_or_else(|| bad(format!("{t:?} is not a decimal PostgreSQL's binary COPY can carry")))?;
    let int = int.trim_start_matches('0');
    let group = |s: &[u8]| s.iter().fold(0i16, |n, c| n * 10 + (c - b'0') as i16);
    let mut digits: Vec<i16> = Vec::new();
    let lead = int.len() % 4;
    if lead > 0 {
        digits.push(group(&int.as_bytes()[..lead]));
    }
    digits.extend(int.as_bytes()[lead..].chunks(4).map(group));
    let mut weight = digits.len() as i32 - 1;
    for chunk in frac.as_bytes().chunks(4) {
        let mut g = group(chunk);
        for _ in chunk.len()..4 {
            g *= 10;
        }
        digits.push(g);
    }
    while digits.first() == Some(&0) {
        digits.remove(0);
        weight -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        weight = 0;
    }
    let dscale = u16::try_from(frac.len()).map_err(|_| bad(format!("decimal {t:?} has too many digits")))?;
    let weight = i16::try_from(weight).map_err(|_| bad(format!("decimal {t:?} has too many digits")))?;
    out.put_i16(digits.len() as i16);
    out.put_i16(weight);
    out.put_u16(if neg && !digits.is_empty() { 0x4000 } else { 0 });
    out.put_u16(dscale);
    for d in digits {
        out.put_i16(d);
    }
    Ok(())
}

/// Append one field (length, then bytes) of `v` for a column of `ty`.
fn field(v: ValueRef<'_>, ty: &Type, out: &mut BytesMut) -> Result<()> {
    if v.is_null() {
        out.put_i32(-1);
        return Ok(());
    }
    let at = out.len();
    out.put_i32(0);
    let int = |n: i128, out: &mut BytesMut| -> Result<()> {
        let range = || bad(format!("{n} does not fit PostgreSQL type {}", ty.name()));
        match *ty {
            Type::INT2 => out.put_i16(i16::try_from(n).map_err(|_| range())?),
            Type::INT4 => out.put_i32(i32::try_from(n).map_err(|_| range())?),
            _ => out.put_i64(i64::try_from(n).map_err(|_| range())?),
        }
        Ok(())
    };
    match v {
        ValueRef::Null => unreachable!("handled above"),
        ValueRef::Bool(b) if *ty == Type::BOOL => out.put_u8(b as u8),
        ValueRef::Int64(n) if binary_fits(K::Int64, ty) => int(n as i128, out)?,
        ValueRef::Uint64(n) if binary_fits(K::Int64, ty) => int(n as i128, out)?,
        ValueRef::Double(d) if *ty == Type::FLOAT4 => out.put_f32(super::types::float4(d).map_err(bad)?),
        ValueRef::Double(d) if *ty == Type::FLOAT8 => out.put_f64(d),
        ValueRef::Text(s) | ValueRef::Json(s) if binary_fits(K::Text, ty) => {
            if *ty == Type::JSONB {
                out.put_u8(1);
            }
            out.put_slice(s.as_bytes())
        }
        ValueRef::Decimal(s) if *ty == Type::NUMERIC => numeric(s, out)?,
        ValueRef::Bytes(b) if *ty == Type::BYTEA => out.put_slice(b),
        ValueRef::Date(d) if *ty == Type::DATE => {
            out.put_i32(i32::try_from(d as i64 - PG_EPOCH_DAYS).map_err(|_| bad(format!("date {d} is out of range")))?)
        }
        ValueRef::Time(t) if *ty == Type::TIME => out.put_i64(t),
        ValueRef::Timestamp(t) if *ty == Type::TIMESTAMP => {
            out.put_i64(t.checked_sub(PG_EPOCH_MICROS).ok_or_else(|| bad(format!("timestamp {t} is out of range")))?)
        }
        ValueRef::Timestamptz(t) if *ty == Type::TIMESTAMPTZ => {
            out.put_i64(t.checked_sub(PG_EPOCH_MICROS).ok_or_else(|| bad(format!("timestamp {t} is out of range")))?)
        }
        ValueRef::Uuid(u) if *ty == Type::UUID => out.put_slice(&u),
        v => {
            return Err(Error::invalid_data(format!(
                "a {} value does not go into a column of PostgreSQL type {}",
                v.kind().name(),
                ty.name()
            ))
            .with_driver("postgres"));
        }
    }
    let len = i32::try_from(out.len() - at - 4).map_err(|_| bad("a value is larger than 2 GiB".into()))?;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// Append the field of the list in column `col` as a one-dimensional
/// array of `elem` in PostgreSQL's binary form: dimensions, a NULL flag,
/// the element type, then each element as a field (NULL: length -1).
fn array_field(lists: &dyn Lists, col: usize, elem: &Type, out: &mut BytesMut) -> Result<()> {
    let at = out.len();
    out.put_i32(0);
    let head = out.len();
    out.put_i32(1); // dimensions
    out.put_i32(0); // has NULLs, set below
    out.put_u32(elem.oid());
    out.put_i32(0); // elements, set below
    out.put_i32(1); // lower bound
    let (mut n, mut nulls) = (0i32, false);
    let present = lists.elements(col, &mut |v| {
        nulls |= v.is_null();
        field(v, elem, out).map_err(|e| e.context(format_args!("array element {n}")))?;
        n = n.checked_add(1).ok_or_else(|| bad("an array has more than 2^31 elements".into()))?;
        Ok(())
    })?;
    if !present {
        out.truncate(at);
        out.put_i32(-1);
        return Ok(());
    }
    if n == 0 {
        // An empty array has no dimensions.
        out.truncate(head);
        out.put_i32(0);
        out.put_i32(0);
        out.put_u32(elem.oid());
    } else {
        out[head + 4..head + 8].copy_from_slice(&(nulls as i32).to_be_bytes());
        out[head + 12..head + 16].copy_from_slice(&n.to_be_bytes());
    }
    let len = i32::try_from(out.len() - at - 4).map_err(|_| bad("an array is larger than 2 GiB".into()))?;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// A future that is ready at its third poll, waking itself before: run
/// through `Client::run`, it makes the runtime turn its I/O driver once
/// (the connection writes what it has queued, as far as the socket takes
/// it) without waiting for anything from the server.
struct Turn(u8);

impl std::future::Future for Turn {
    type Output = std::result::Result<(), tokio_postgres::Error>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        if self.0 >= 2 {
            return std::task::Poll::Ready(Ok(()));
        }
        self.0 += 1;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// Send data to the server once this much is buffered.
const CHUNK: usize = 1 << 16;

/// The types of `columns` of `table` (SQL text, quotes included), from a
/// probe that reads no row.
fn column_types(client: &mut Client, table: &str, columns: &[String]) -> Result<Vec<Type>> {
    let probe = format!("SELECT {} FROM {table} WHERE false", columns.join(", "));
    let stmt = client.run(Effect::NoRun, None, |c| c.prepare(&probe))?;
    Ok(stmt.columns().iter().map(|c| c.type_().clone()).collect())
}

/// What `copy_from` gives its `encode` to send a full buffer with.
type SendChunk<'a> = dyn FnMut(&mut BytesMut) -> Result<()> + 'a;

/// Run `COPY table (columns) FROM STDIN (FORMAT binary)` with the tuples
/// `encode` writes, a few at a time, into the buffer it is given (after
/// the header); `encode` returns false once it has written its last.
/// `encode` may also hand the buffer to the `send` it is given whenever
/// it holds a full chunk (a long batch of rows then reaches the server
/// while the rest is encoded); `send` sends it and empties it, and does
/// nothing to a buffer shorter than a chunk. Returns the rows the server
/// loaded.
fn copy_from(
    client: &mut Client,
    table: &str,
    columns: &[String],
    encode: &mut dyn FnMut(&mut BytesMut, &mut SendChunk<'_>) -> Result<bool>,
) -> Result<u64> {
    let sql = format!("COPY {table} ({}) FROM STDIN (FORMAT binary)", columns.join(", "));
    // The rows are read and encoded between the calls that send them,
    // never while the connection's runtime runs: reading the source may
    // drive another connection (an Arrow stream from another PostgreSQL
    // session), which cannot run inside this one's.
    let sink = client.run(Effect::Runs, None, |c| c.copy_in::<_, bytes::Bytes>(&sql))?;
    let mut sink = Box::pin(sink);
    let mut buf = BytesMut::with_capacity(CHUNK + CHUNK / 4);
    buf.put_slice(b"PGCOPY\n\xff\r\n\0");
    buf.put_i32(0);
    buf.put_i32(0);
    let mut send = |buf: &mut BytesMut| -> Result<()> {
        if buf.len() < CHUNK {
            return Ok(());
        }
        let chunk = buf.split().freeze();
        let s = &mut sink;
        client.run(Effect::Runs, None, move |_| async move { s.as_mut().send(chunk).await })?;
        // Queued is not sent: let the connection write the chunk now,
        // so that the server loads it while the next one is encoded.
        client.run(Effect::Runs, None, |_| Turn(0))
    };
    // On an error, dropping the sink unfinished aborts the COPY
    // (CopyFail, sent with the next call): nothing of it stays.
    while encode(&mut buf, &mut send)? {
        send(&mut buf)?;
    }
    buf.put_i16(-1);
    let chunk = buf.split().freeze();
    let s = &mut sink;
    client.run(Effect::Runs, None, move |_| async move { s.as_mut().send(chunk).await })?;
    let s = &mut sink;
    client.run(Effect::Runs, None, move |_| async move { s.as_mut().finish().await })
}

/// The 0-based row a COPY's error is about: PostgreSQL names it as the
/// 1-based line of the COPY data (`COPY t, line 4, column id: "1"` in the
/// error's context, which `errors::convert` puts in the message).
pub(super) fn copy_row(e: &Error) -> Option<u64> {
    let at = e.message.find("(context: COPY ")?;
    let rest = &e.message[at..];
    let line = &rest[rest.find(", line ")? + 7..];
    let digits = line.find(|c: char| !c.is_ascii_digit()).unwrap_or(line.len());
    line[..digits].parse::<u64>().ok()?.checked_sub(1)
}

/// COPY `src` into `table`; `None` when a column's type has no binary
/// path from its keel type (nothing of `src` read then).
pub(super) fn copy_in(client: &mut Client, table: &str, columns: &[String], src: &mut dyn RowSource) -> Result<Option<u64>> {
    let types = column_types(client, table, columns)?;
    if types.len() != src.columns().len() {
        return Ok(None);
    }
    // Each column's array element type, for a list column: it goes into
    // an array column whose elements take the list's elements in binary.
    let mut elems: Vec<Option<Type>> = Vec::with_capacity(types.len());
    for (c, t) in src.columns().iter().zip(&types) {
        elems.push(match (c.list_of, t.kind()) {
            (None, _) if binary_fits(c.kind, t) => None,
            (Some(k), Kind::Array(e)) if binary_fits(k, e) => Some(e.clone()),
            _ => return Ok(None),
        });
    }
    let ncols = types.len() as i16;
    let names: Vec<String> = src.columns().iter().map(|c| c.name.clone()).collect();
    let n = copy_from(client, table, columns, &mut |buf, send| {
        // The source gives a record batch's rows after reading it, with
        // no read of its stream under way (`RowSource`), so full chunks
        // go out between rows: the server loads the start of a long batch
        // while the rest is encoded.
        let more = src.next_rows_with_lists(&mut |row, lists| {
            send(buf)?;
            buf.put_i16(ncols);
            for (i, (v, ty)) in row.iter().zip(&types).enumerate() {
                match &elems[i] {
                    Some(e) => array_field(lists, i, e, buf),
                    None => field(*v, ty, buf),
                }
                .map_err(|e| e.context(format_args!("column {i} ({:?})", names[i])))?;
            }
            Ok(())
        })?;
        Ok(more.is_some())
    })
    .map_err(|e| match copy_row(&e) {
        // The server's error, about a row it was loading: named as keel
        // names the rows of an ingest (0-based, from the stream's start,
        // one COPY for the whole stream).
        Some(row) => e.context(format_args!("row {row}")),
        None => e,
    })?;
    Ok(Some(n))
}

/// COPY `rows` (`columns.len()` values each) into `table`, for a batch of
/// `INSERT INTO table (columns) VALUES (?, ...)`. Every row is encoded
/// before anything is sent: `None`, with nothing sent, when a value has
/// no binary form for its column's type or does not fit it (the batch then
/// runs as multi-row INSERTs, whose binding names the row and leaves an
/// open transaction as it was; a COPY stopped by the client would abort it).
pub(super) fn copy_rows(client: &mut Client, table: &str, columns: &[String], rows: &[ValueRef<'_>]) -> Result<Option<u64>> {
    let types = column_types(client, table, columns)?;
    let width = types.len();
    if width == 0 || width != columns.len() || rows.len() % width != 0 {
        return Ok(None);
    }
    let mut tuples = BytesMut::with_capacity(rows.len() * 16);
    for row in rows.chunks(width) {
        tuples.put_i16(width as i16);
        for (v, ty) in row.iter().zip(&types) {
            if !(v.is_null() || binary_fits(v.kind(), ty)) || field(*v, ty, &mut tuples).is_err() {
                return Ok(None);
            }
        }
    }
    let mut at = 0;
    let n = copy_from(client, table, columns, &mut |buf, _| {
        let take = (tuples.len() - at).min(CHUNK);
        buf.put_slice(&tuples[at..at + take]);
        at += take;
        Ok(at < tuples.len())
    })?;
    Ok(Some(n))
}
