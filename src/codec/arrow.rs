//! The Arrow codec: result rows out as Arrow record batches
//! ([`ArrowReader`], an arrow-rs `RecordBatchReader`), which `src/ffi`
//! hands to C as the standard `ArrowArrayStream`.
//!
//! # Type mapping
//!
//! Each column's Arrow type comes from its keel type (the column metadata
//! the engine gives), the same on every engine:
//!
//! | keel | Arrow |
//! |---|---|
//! | bool | bool |
//! | int64 | int64 |
//! | uint64 | uint64 |
//! | double | float64 |
//! | text | utf8 |
//! | bytes | binary |
//! | date | date32 |
//! | time | time64\[us\] |
//! | timestamp | timestamp\[us\] |
//! | timestamptz | timestamp\[us, tz=UTC\] (SQL Server's stored offset is not kept: the instant is) |
//! | decimal with known (p, s), p ≤ 38 | decimal128(p, s) |
//! | decimal with known (p, s), 38 < p ≤ 76 | decimal256(p, s) |
//! | decimal otherwise | utf8, the exact decimal text (PostgreSQL's unconstrained numeric, SQL Server) |
//! | uuid | fixed_size_binary(16), extension `arrow.uuid` |
//! | json | utf8, extension `arrow.json` |
//! | a PostgreSQL array of any of the above (`Column::list_of`) | list<T> of the elements' type (field `item`) |
//!
//! Every field is nullable; NULL is a cleared validity bit (in a list, of
//! the list or of an element). A PostgreSQL array of more than one
//! dimension, or one whose elements keel hands out as raw bytes (types it
//! does not decode), is not a list: an array value of more dimensions in a
//! list column is an error, and a column of such elements reads as bytes
//! (binary). A column without a
//! declared type (a SQLite expression) takes the Arrow type of its first
//! non-NULL value in the stream's first batch; when the whole first batch
//! is NULL there, it is Arrow's `null` type. A value that does not fit its
//! column's Arrow type (another type than the first value's in such a
//! column, a decimal with more digits than (p, s) allow, a text value past
//! 2 GiB) is an error naming the row (0-based, counted over the whole
//! stream) and the column, never a silent change.
//!
//! A batch ends after `arrow_batch_rows` rows, or once its text and bytes
//! pass [`SOFT_BYTE_LIMIT`], so utf8/binary offsets (32-bit) never
//! overflow.

use crate::core::db::{CurrentRow, Rows};
use crate::core::driver::{Vector, VectorData};
use crate::core::encode::SOFT_BYTE_LIMIT;
use crate::core::error::{Error, Result, Status};
use crate::core::value::{Type, ValueRef};
use arrow_array::builder::{
    ArrayBuilder, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Decimal256Builder,
    FixedSizeBinaryBuilder, Float64Builder, Int64Builder, StringBuilder, Time64MicrosecondBuilder,
    TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow_array::builder::PrimitiveBuilder;
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, ListArray, NullArray, RecordBatch, RecordBatchOptions, RecordBatchReader,
    make_array,
};
use arrow_buffer::{ArrowNativeType, Buffer, MutableBuffer, NullBufferBuilder, OffsetBuffer, ScalarBuffer, i256};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// The Arrow type of one column: what its values must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Bool,
    Int64,
    UInt64,
    Float64,
    Text,
    Json,
    Binary,
    Date,
    Time,
    Timestamp,
    Timestamptz,
    Uuid,
    Decimal(u8, i8),
    /// Precision 39 to 76.
    Decimal256(u8, i8),
    DecimalText,
    /// Not known yet (no declared type, no non-NULL value so far).
    Unknown,
    /// Arrow's null type: the first batch held only NULLs.
    Null,
    /// A list; its elements' target is the reader's (`ArrowReader::lists`)
    /// and the column's ([`Col::List`]).
    List,
}

impl Target {
    fn of_column(kind: Type, decimal: Option<(u8, i8)>) -> Target {
        match kind {
            Type::Null => Target::Unknown,
            Type::Bool => Target::Bool,
            Type::Int64 => Target::Int64,
            Type::Uint64 => Target::UInt64,
            Type::Double => Target::Float64,
            Type::Text => Target::Text,
            Type::Bytes => Target::Binary,
            Type::Date => Target::Date,
            Type::Time => Target::Time,
            Type::Timestamp => Target::Timestamp,
            Type::Timestamptz => Target::Timestamptz,
            Type::Uuid => Target::Uuid,
            Type::Json => Target::Json,
            Type::Decimal => match decimal {
                Some((p, s)) if p <= 38 => Target::Decimal(p, s),
                Some((p, s)) if p <= 76 => Target::Decimal256(p, s),
                _ => Target::DecimalText,
            },
        }
    }

    /// The target a value of an untyped column gives it.
    fn of_value(v: &ValueRef<'_>) -> Target {
        match v {
            ValueRef::Null => Target::Unknown,
            ValueRef::Bool(_) => Target::Bool,
            ValueRef::Int64(_) => Target::Int64,
            ValueRef::Uint64(_) => Target::UInt64,
            ValueRef::Double(_) => Target::Float64,
            ValueRef::Text(_) => Target::Text,
            ValueRef::Bytes(_) => Target::Binary,
            ValueRef::Date(_) => Target::Date,
            ValueRef::Time(_) => Target::Time,
            ValueRef::Timestamp(_) => Target::Timestamp,
            ValueRef::Timestamptz(_) => Target::Timestamptz,
            ValueRef::Uuid(_) => Target::Uuid,
            ValueRef::Json(_) => Target::Json,
            ValueRef::Decimal(_) => Target::DecimalText,
        }
    }

    fn field(self, name: &str) -> Field {
        let ext = |dt: DataType, name_: &str, ext: &str| {
            Field::new(name_, dt, true).with_metadata(HashMap::from([(
                "ARROW:extension:name".to_owned(),
                ext.to_owned(),
            )]))
        };
        match self {
            Target::Uuid => ext(DataType::FixedSizeBinary(16), name, "arrow.uuid"),
            Target::Json => ext(DataType::Utf8, name, "arrow.json"),
            t => Field::new(name, t.data_type(), true),
        }
    }

    fn data_type(self) -> DataType {
        match self {
            Target::Bool => DataType::Boolean,
            Target::Int64 => DataType::Int64,
            Target::UInt64 => DataType::UInt64,
            Target::Float64 => DataType::Float64,
            Target::Text | Target::Json | Target::DecimalText => DataType::Utf8,
            Target::Binary => DataType::Binary,
            Target::Date => DataType::Date32,
            Target::Time => DataType::Time64(TimeUnit::Microsecond),
            Target::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            Target::Timestamptz => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Target::Uuid => DataType::FixedSizeBinary(16),
            Target::Decimal(p, s) => DataType::Decimal128(p, s),
            Target::Decimal256(p, s) => DataType::Decimal256(p, s),
            Target::Unknown | Target::Null => DataType::Null,
            // Only named in messages: the field comes from `list_field`.
            Target::List => DataType::List(Arc::new(Field::new("item", DataType::Null, true))),
        }
    }

    fn builder(self, cap: usize) -> Col {
        self.builder_sized(cap, cap * 8)
    }

    /// As [`Target::builder`], with room for `data` bytes of text or
    /// binary values.
    fn builder_sized(self, cap: usize, data: usize) -> Col {
        match self {
            Target::Bool => Col::Bool(BooleanBuilder::with_capacity(cap)),
            Target::Int64 => Col::Int64(Int64Builder::with_capacity(cap)),
            Target::UInt64 => Col::UInt64(UInt64Builder::with_capacity(cap)),
            Target::Float64 => Col::Float64(Float64Builder::with_capacity(cap)),
            Target::Text | Target::Json | Target::DecimalText => {
                Col::Utf8(StringBuilder::with_capacity(cap, data))
            }
            Target::Binary => Col::Binary(BinaryBuilder::with_capacity(cap, data)),
            Target::Date => Col::Date(Date32Builder::with_capacity(cap)),
            Target::Time => Col::Time(Time64MicrosecondBuilder::with_capacity(cap)),
            Target::Timestamp => Col::Timestamp(TimestampMicrosecondBuilder::with_capacity(cap)),
            Target::Timestamptz => {
                Col::Timestamp(TimestampMicrosecondBuilder::with_capacity(cap).with_timezone("UTC"))
            }
            Target::Uuid => Col::Uuid(FixedSizeBinaryBuilder::with_capacity(cap, 16)),
            Target::Decimal(p, s) => Col::Decimal(
                Decimal128Builder::with_capacity(cap).with_data_type(DataType::Decimal128(p, s)),
            ),
            Target::Decimal256(p, s) => Col::Decimal256(
                Decimal256Builder::with_capacity(cap).with_data_type(DataType::Decimal256(p, s)),
            ),
            Target::Unknown | Target::Null | Target::List => Col::Null(0),
        }
    }

    /// As [`Target::builder`], filling `old` (the buffers of a batch its
    /// consumer has released, [`Recycler::take`]) again where they are
    /// of this type: no new memory for values and offsets.
    fn builder_from(self, cap: usize, data: usize, old: Recycled) -> Col {
        if old.iter().all(Option::is_none) {
            return self.builder_sized(cap, data);
        }
        let [a, b] = old;
        match self {
            Target::Int64 => Col::Int64(primitive_from(a, cap)),
            Target::UInt64 => Col::UInt64(primitive_from(a, cap)),
            Target::Float64 => Col::Float64(primitive_from(a, cap)),
            Target::Date => Col::Date(primitive_from(a, cap)),
            Target::Time => Col::Time(primitive_from(a, cap)),
            Target::Timestamp => Col::Timestamp(primitive_from(a, cap)),
            Target::Timestamptz => Col::Timestamp(primitive_from::<TimestampMicrosecondType>(a, cap).with_timezone("UTC")),
            Target::Decimal(p, s) => {
                Col::Decimal(primitive_from::<Decimal128Type>(a, cap).with_data_type(DataType::Decimal128(p, s)))
            }
            Target::Decimal256(p, s) => {
                Col::Decimal256(primitive_from::<Decimal256Type>(a, cap).with_data_type(DataType::Decimal256(p, s)))
            }
            Target::Text | Target::Json | Target::DecimalText => {
                let (offsets, values) = bytes_from(a, b, cap, data);
                // SAFETY: no values, one offset 0: an empty array's buffers.
                Col::Utf8(unsafe { StringBuilder::new_from_buffer(offsets, values, None) })
            }
            Target::Binary => {
                let (offsets, values) = bytes_from(a, b, cap, data);
                // SAFETY: as above.
                Col::Binary(unsafe { BinaryBuilder::new_from_buffer(offsets, values, None) })
            }
            _ => self.builder(cap),
        }
    }
}

/// A released buffer as an empty vector of `T` with room for `cap`
/// (a new one when there is none, or it is not one of `T`s).
fn reused<T: ArrowNativeType>(old: Option<Buffer>, cap: usize) -> Vec<T> {
    let mut v = old.and_then(|b| b.into_vec::<T>().ok()).unwrap_or_default();
    v.clear();
    v.reserve(cap);
    v
}

fn primitive_from<T: ArrowPrimitiveType>(old: Option<Buffer>, cap: usize) -> PrimitiveBuilder<T> {
    PrimitiveBuilder::new_from_buffer(MutableBuffer::from(reused::<T::Native>(old, cap)), None)
}

/// The offsets (holding the first, 0) and values (room for `data`
/// bytes) of an empty utf8 or binary array, in released buffers where
/// there are some.
fn bytes_from(offsets: Option<Buffer>, values: Option<Buffer>, cap: usize, data: usize) -> (MutableBuffer, MutableBuffer) {
    let mut o = reused::<i32>(offsets, cap + 1);
    o.push(0);
    (MutableBuffer::from(o), MutableBuffer::from(reused::<u8>(values, data)))
}

/// The buffers one column of a released batch gives back: its values (or
/// offsets, for utf8 and binary) and its utf8 or binary data.
type Recycled = [Option<Buffer>; 2];

/// The memory of the batches a stream's consumer has released, for the
/// batches after them. Without it, each batch of a stream read batch by
/// batch asks the allocator for fresh buffers: for 65,536 rows, megabytes
/// that the C library maps, the kernel zeroes page by page and the C
/// library unmaps again when the consumer lets go. With it a column's
/// values go into the buffers of the last batch released. It holds one
/// batch's buffers at most (the last released of each column), and only
/// while the reader lives; batches the consumer keeps (a table of them)
/// give nothing back until released.
#[derive(Default)]
struct Recycler {
    columns: Mutex<Vec<Recycled>>,
}

impl Recycler {
    /// Column `col`'s released buffers, if any (they are then the
    /// caller's).
    fn take(&self, col: usize) -> Recycled {
        let mut cols = self.columns.lock().unwrap_or_else(PoisonError::into_inner);
        cols.get_mut(col).map(std::mem::take).unwrap_or_default()
    }

    fn give_back(&self, col: usize, which: usize, buffer: Buffer) {
        let old = {
            let mut cols = self.columns.lock().unwrap_or_else(PoisonError::into_inner);
            if cols.len() <= col {
                cols.resize_with(col + 1, Default::default);
            }
            cols[col][which].replace(buffer)
        };
        // Freed outside the lock.
        drop(old);
    }

    /// `a` (column `col` of a batch) with its values and offsets lent
    /// out: when its consumer drops the last reference to one of them, it
    /// comes back here (when this recycler still exists).
    fn lend(self: &Arc<Self>, col: usize, a: ArrayRef) -> ArrayRef {
        let data = a.to_data();
        drop(a);
        let lent = match data.data_type() {
            DataType::Utf8 | DataType::Binary => 2,
            DataType::Int64
            | DataType::UInt64
            | DataType::Float64
            | DataType::Date32
            | DataType::Time64(_)
            | DataType::Timestamp(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..) => 1,
            _ => 0,
        };
        if lent == 0 || data.offset() != 0 || data.buffers().len() < lent {
            return make_array(data);
        }
        let buffers = data
            .buffers()
            .iter()
            .enumerate()
            .map(|(which, b)| {
                if which >= lent {
                    return b.clone();
                }
                let ptr = NonNull::new(b.as_ptr() as *mut u8).unwrap_or(NonNull::dangling());
                let len = b.len();
                let owner = Arc::new(Lent { buffer: Some(b.clone()), home: Arc::downgrade(self), col, which });
                // SAFETY: `owner` holds the buffer `ptr` and `len` describe,
                // unchanged, until it is dropped with the last reference
                // to the buffer made here.
                unsafe { Buffer::from_custom_allocation(ptr, len, owner) }
            })
            .collect();
        // SAFETY: the same buffers, each lent out as it is.
        make_array(unsafe { data.into_builder().buffers(buffers).build_unchecked() })
    }
}

/// One buffer of a batch, lent to the stream's consumer (see
/// [`Recycler`]).
struct Lent {
    buffer: Option<Buffer>,
    home: Weak<Recycler>,
    col: usize,
    which: usize,
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let (Some(home), Some(b)) = (self.home.upgrade(), self.buffer.take()) {
            home.give_back(self.col, self.which, b);
        }
    }
}

/// The field of a list column whose elements are of `elem`'s type.
fn list_field(name: &str, elem: Target) -> Field {
    Field::new(name, DataType::List(Arc::new(elem.field("item"))), true)
}

/// One column's values of the batch being built.
enum Col {
    Bool(BooleanBuilder),
    Int64(Int64Builder),
    UInt64(UInt64Builder),
    Float64(Float64Builder),
    Utf8(StringBuilder),
    Binary(BinaryBuilder),
    Date(Date32Builder),
    Time(Time64MicrosecondBuilder),
    Timestamp(TimestampMicrosecondBuilder),
    Uuid(FixedSizeBinaryBuilder),
    Decimal(Decimal128Builder),
    Decimal256(Decimal256Builder),
    /// NULLs only, this many.
    Null(usize),
    /// A list column: its elements (of `elem`'s type) one after another,
    /// where each row's list ends (`offsets`, starting with 0), and which
    /// rows are not NULL.
    List { elem: Target, items: Box<Col>, offsets: Vec<i32>, valid: NullBufferBuilder },
}

impl Col {
    /// The bytes of text or binary values appended so far (0 for other
    /// columns).
    fn value_bytes(&self) -> usize {
        match self {
            Col::Utf8(b) => b.values_slice().len(),
            Col::Binary(b) => b.values_slice().len(),
            _ => 0,
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Col::Bool(b) => Arc::new(b.finish()),
            Col::Int64(b) => Arc::new(b.finish()),
            Col::UInt64(b) => Arc::new(b.finish()),
            Col::Float64(b) => Arc::new(b.finish()),
            Col::Utf8(b) => Arc::new(b.finish()),
            Col::Binary(b) => Arc::new(b.finish()),
            Col::Date(b) => Arc::new(b.finish()),
            Col::Time(b) => Arc::new(b.finish()),
            Col::Timestamp(b) => Arc::new(b.finish()),
            Col::Uuid(b) => Arc::new(b.finish()),
            Col::Decimal(b) => Arc::new(b.finish()),
            Col::Decimal256(b) => Arc::new(b.finish()),
            Col::Null(n) => Arc::new(NullArray::new(std::mem::take(n))),
            Col::List { elem, items, offsets, valid } => {
                let offsets = OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(offsets, vec![0])));
                Arc::new(ListArray::new(Arc::new(elem.field("item")), offsets, items.finish(), valid.finish()))
            }
        }
    }

    fn list(elem: Target, cap: usize) -> Col {
        let mut offsets = Vec::with_capacity(cap + 1);
        offsets.push(0);
        Col::List { elem, items: Box::new(elem.builder(cap)), offsets, valid: NullBufferBuilder::new(cap) }
    }

    /// Append the current row's value of list column `i` of `rows`;
    /// returns the bytes of text or binary data it added.
    fn append_list(&mut self, rows: &CurrentRow<'_>, i: usize) -> Result<usize> {
        let Col::List { elem, items, offsets, valid } = self else {
            return Err(Error::new(Status::Internal, "a list value for a column that is not a list"));
        };
        let elem = *elem;
        let mut bytes = 0;
        let mut k = 0usize;
        let present = rows
            .list_elements(i, &mut |v| {
                bytes += items.append(elem, v).map_err(|e| e.context(format_args!("array element {k}")))?;
                k += 1;
                Ok(())
            })?;
        let end = i32::try_from(items.len()).map_err(|_| {
            Error::invalid_data("more than 2^31 array elements in one batch: lower arrow_batch_rows")
        })?;
        offsets.push(end);
        valid.append(present);
        Ok(bytes)
    }

    fn len(&self) -> usize {
        match self {
            Col::Bool(b) => b.len(),
            Col::Int64(b) => b.len(),
            Col::UInt64(b) => b.len(),
            Col::Float64(b) => b.len(),
            Col::Utf8(b) => b.len(),
            Col::Binary(b) => b.len(),
            Col::Date(b) => b.len(),
            Col::Time(b) => b.len(),
            Col::Timestamp(b) => b.len(),
            Col::Uuid(b) => b.len(),
            Col::Decimal(b) => b.len(),
            Col::Decimal256(b) => b.len(),
            Col::Null(n) => *n,
            Col::List { offsets, .. } => offsets.len() - 1,
        }
    }

    fn append_null(&mut self) {
        match self {
            Col::Bool(b) => b.append_null(),
            Col::Int64(b) => b.append_null(),
            Col::UInt64(b) => b.append_null(),
            Col::Float64(b) => b.append_null(),
            Col::Utf8(b) => b.append_null(),
            Col::Binary(b) => b.append_null(),
            Col::Date(b) => b.append_null(),
            Col::Time(b) => b.append_null(),
            Col::Timestamp(b) => b.append_null(),
            Col::Uuid(b) => b.append_null(),
            Col::Decimal(b) => b.append_null(),
            Col::Decimal256(b) => b.append_null(),
            Col::Null(n) => *n += 1,
            Col::List { offsets, valid, .. } => {
                offsets.push(*offsets.last().unwrap_or(&0));
                valid.append_null();
            }
        }
    }

    /// Append `v`, which must be of `target`'s type; returns the bytes of
    /// text or binary data it added.
    fn append(&mut self, target: Target, v: ValueRef<'_>) -> Result<usize> {
        if v.is_null() {
            self.append_null();
            return Ok(0);
        }
        match (self, target, v) {
            (Col::Bool(b), _, ValueRef::Bool(x)) => b.append_value(x),
            (Col::Int64(b), _, ValueRef::Int64(x)) => b.append_value(x),
            (Col::UInt64(b), _, ValueRef::Uint64(x)) => b.append_value(x),
            (Col::Float64(b), _, ValueRef::Double(x)) => b.append_value(x),
            (Col::Utf8(b), Target::Text, ValueRef::Text(t))
            | (Col::Utf8(b), Target::Json, ValueRef::Json(t))
            | (Col::Utf8(b), Target::DecimalText, ValueRef::Decimal(t)) => {
                check_len(t.len())?;
                b.append_value(t);
                return Ok(t.len());
            }
            (Col::Binary(b), _, ValueRef::Bytes(x)) => {
                check_len(x.len())?;
                b.append_value(x);
                return Ok(x.len());
            }
            (Col::Date(b), _, ValueRef::Date(x)) => b.append_value(x),
            (Col::Time(b), _, ValueRef::Time(x)) => b.append_value(within_a_day(x)?),
            (Col::Timestamp(b), Target::Timestamp, ValueRef::Timestamp(x))
            | (Col::Timestamp(b), Target::Timestamptz, ValueRef::Timestamptz(x)) => {
                b.append_value(x)
            }
            (Col::Uuid(b), _, ValueRef::Uuid(u)) => b
                .append_value(u)
                .map_err(|e| Error::new(Status::Internal, e.to_string()))?,
            (Col::Decimal(b), Target::Decimal(p, s), ValueRef::Decimal(t)) => {
                b.append_value(parse_decimal(t, p, s)?)
            }
            (Col::Decimal256(b), Target::Decimal256(p, s), ValueRef::Decimal(t)) => {
                b.append_value(parse_decimal256(t, p, s)?)
            }
            (_, target, v) => {
                return Err(Error::invalid_data(format!(
                    "a {} value does not fit the column's Arrow type {}",
                    v.kind().name(),
                    target.data_type()
                )));
            }
        }
        Ok(0)
    }
}

impl Col {
    /// Append rows `start..start + rows` of `v`, a column of a run whose
    /// values are of `target`'s type; returns the bytes of text or binary
    /// data it added, or the failing row (counted from `start`) and why.
    fn append_vector(
        &mut self,
        target: Target,
        v: &Vector<'_>,
        start: usize,
        rows: usize,
    ) -> std::result::Result<usize, (usize, Error)> {
        let range = start..start + rows;
        let all_valid = v.validity.is_none() || range.clone().all(|r| v.is_valid(r));
        let flags = || range.clone().map(|r| v.is_valid(r)).collect::<Vec<bool>>();
        macro_rules! primitive {
            ($b:expr, $x:expr) => {{
                if all_valid {
                    $b.append_slice(&$x[range.clone()]);
                } else {
                    $b.append_values(&$x[range.clone()], &flags());
                }
                Ok(0)
            }};
        }
        // Text and bytes, value by value; a batch's data stays below the
        // 2 GiB its 32-bit offsets can address.
        macro_rules! each {
            ($b:expr, $x:expr, $get:ident) => {{
                let mut added = 0usize;
                for r in range.clone() {
                    if !v.is_valid(r) {
                        $b.append_null();
                        continue;
                    }
                    let val = $x[r].$get();
                    let len = val.len();
                    if $b.values_slice().len() + len > i32::MAX as usize {
                        return Err((
                            r - start,
                            Error::invalid_data(
                                "the batch's text or bytes pass 2 GiB (Arrow utf8 and binary offsets are 32-bit): \
                                 ask for fewer rows per batch (arrow_batch_rows)",
                            ),
                        ));
                    }
                    $b.append_value(val);
                    added += len;
                }
                Ok(added)
            }};
        }
        match (self, target, v.data) {
            (Col::Null(n), _, VectorData::Null) => {
                *n += rows;
                Ok(0)
            }
            (Col::Bool(b), _, VectorData::Bool(x)) => {
                for r in range.clone() {
                    b.append_option(v.is_valid(r).then(|| x[r] != 0));
                }
                Ok(0)
            }
            (Col::Int64(b), _, VectorData::Int64(x)) => primitive!(b, x),
            (Col::Time(b), _, VectorData::Int64(x)) => {
                if let Some(r) = range.clone().find(|&r| v.is_valid(r) && within_a_day(x[r]).is_err()) {
                    return Err((r - start, within_a_day(x[r]).unwrap_err()));
                }
                primitive!(b, x)
            }
            (Col::Timestamp(b), Target::Timestamp | Target::Timestamptz, VectorData::Int64(x)) => primitive!(b, x),
            (Col::UInt64(b), _, VectorData::Uint64(x)) => primitive!(b, x),
            (Col::Float64(b), _, VectorData::Double(x)) => primitive!(b, x),
            (Col::Date(b), _, VectorData::Date(x)) => primitive!(b, x),
            (Col::Utf8(b), Target::Text | Target::Json | Target::DecimalText, VectorData::Bytes(x)) => each!(b, x, text),
            (Col::Binary(b), _, VectorData::Bytes(x)) => each!(b, x, bytes),
            (Col::Uuid(b), _, VectorData::Bytes(x)) => {
                for r in range.clone() {
                    if !v.is_valid(r) {
                        b.append_null();
                        continue;
                    }
                    b.append_value(x[r].bytes()).map_err(|e| (r - start, Error::new(Status::Internal, e.to_string())))?;
                }
                Ok(0)
            }
            (Col::Decimal(b), Target::Decimal(p, s), VectorData::Bytes(x)) => {
                for r in range.clone() {
                    if !v.is_valid(r) {
                        b.append_null();
                        continue;
                    }
                    b.append_value(parse_decimal(x[r].text(), p, s).map_err(|e| (r - start, e))?);
                }
                Ok(0)
            }
            (Col::Decimal256(b), Target::Decimal256(p, s), VectorData::Bytes(x)) => {
                for r in range.clone() {
                    if !v.is_valid(r) {
                        b.append_null();
                        continue;
                    }
                    b.append_value(parse_decimal256(x[r].text(), p, s).map_err(|e| (r - start, e))?);
                }
                Ok(0)
            }
            (_, target, _) => Err((
                0,
                Error::new(
                    Status::Internal,
                    format!("a vector of the driver does not fit the column's Arrow type {}", target.data_type()),
                ),
            )),
        }
    }
}

/// A time of day as Arrow's time64 takes it: from midnight to before the
/// next (PostgreSQL's and DuckDB's 24:00:00 is not one).
fn within_a_day(us: i64) -> Result<i64> {
    if (0..crate::core::value::MICROS_PER_DAY).contains(&us) {
        return Ok(us);
    }
    let mut t = String::new();
    crate::core::value::format_time(us, &mut t);
    Err(Error::invalid_data(format!("time value {us} µs ({t}) is not within one day, as Arrow's time64 must be"))
        .with_sqlstate("22008"))
}

fn check_len(n: usize) -> Result<()> {
    if n > i32::MAX as usize {
        return Err(Error::invalid_data(format!(
            "a value of {n} bytes is larger than an Arrow utf8 or binary value can be (2 GiB)"
        )));
    }
    Ok(())
}

/// The unscaled i128 of decimal text `t` at precision `p`, scale `s`:
/// exact, or an error (more fractional digits than `s` that are not 0,
/// more digits than `p`, not a finite decimal).
pub fn parse_decimal(t: &str, p: u8, s: i8) -> Result<i128> {
    crate::core::value::unscaled_decimal(t, p, s.max(0) as u8).ok_or_else(|| {
        Error::invalid_data(format!("decimal {t:?} does not fit Arrow decimal128({p}, {s})")).with_sqlstate("22003")
    })
}

/// The unscaled i256 of decimal text `t` at precision `p` (39 to 76),
/// scale `s`: exact, or an error, as [`parse_decimal`].
pub fn parse_decimal256(t: &str, p: u8, s: i8) -> Result<i256> {
    let bad = || Error::invalid_data(format!("decimal {t:?} does not fit Arrow decimal256({p}, {s})")).with_sqlstate("22003");
    if p > 76 {
        return Err(bad());
    }
    let (neg, int, frac, zeros) = crate::core::value::scaled_digits(t, p, s.max(0) as u8).ok_or_else(bad)?;
    // At most 76 digits: below 2^255, so no step overflows.
    let ten = i256::from_i128(10);
    let mut n = i256::ZERO;
    for c in int.bytes().chain(frac.bytes()) {
        n = n * ten + i256::from_i128((c - b'0') as i128);
    }
    for _ in 0..zeros {
        n = n * ten;
    }
    Ok(if neg { -n } else { n })
}

/// The Arrow field a column of keel type `kind` (with `decimal`'s
/// precision and scale, where known) gets in a stream ([`ArrowReader`]),
/// before any value is read: a column without a declared type
/// (`Type::Null`) is Arrow's `null` type here. `nullable` is whether the
/// field may hold NULL (streams always say it may).
pub fn arrow_field(name: &str, kind: Type, decimal: Option<(u8, i8)>, nullable: bool) -> Field {
    let t = match Target::of_column(kind, decimal) {
        Target::Unknown => Target::Null,
        t => t,
    };
    t.field(name).with_nullable(nullable)
}

/// The Arrow field of result column `c` in a stream ([`ArrowReader`]), as
/// [`arrow_field`] gives it, and list<T> for a column of arrays
/// (`Column::list_of`).
pub fn column_field(c: &crate::core::value::Column, nullable: bool) -> Field {
    match c.list_of {
        Some(k) => list_field(&c.name, Target::of_column(k, c.decimal)).with_nullable(nullable),
        None => arrow_field(&c.name, c.kind, c.decimal, nullable),
    }
}

/// Reads a cursor as Arrow record batches. Owns the cursor (`Rows`), and
/// through it the connection's session, until dropped.
pub struct ArrowReader {
    rows: Rows,
    names: Vec<String>,
    targets: Vec<Target>,
    /// For each list column (`Target::List`), its elements' target.
    lists: Vec<Option<Target>>,
    schema: SchemaRef,
    batch_rows: usize,
    /// Rows read so far, over the whole stream (for error messages).
    row_no: u64,
    /// The first batch, read when the reader was made (to learn the types
    /// of untyped columns).
    first: Option<RecordBatch>,
    /// The cursor hands out runs of rows column by column
    /// ([`Rows::next_run`]): `None` until asked.
    columnar: Option<bool>,
    done: bool,
    /// The buffers of batches the consumer has released.
    recycler: Arc<Recycler>,
    /// For each text or binary column, the bytes a row of the last batch
    /// took (rounded up; 0 before the first): the next batch's values get
    /// room for as many from the start, instead of growing by copies.
    row_bytes: Vec<usize>,
}

impl ArrowReader {
    /// A reader of `rows`' remaining rows, `batch_rows` (at least 1) per
    /// batch. Reads the first batch now, so that untyped columns get their
    /// types; its errors are returned here.
    pub fn new(rows: Rows, batch_rows: usize) -> Result<ArrowReader> {
        let batch_rows = batch_rows.max(1);
        let cols = rows.columns();
        let names: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
        // An Arrow C schema names its fields with C strings.
        if let Some((i, n)) = names.iter().enumerate().find(|(_, n)| n.contains('\0')) {
            return Err(Error::invalid_data(format!(
                "column {i} ({n:?}) has a NUL byte in its name, which an Arrow C schema cannot carry"
            )));
        }
        let targets: Vec<Target> = cols
            .iter()
            .map(|c| if c.list_of.is_some() { Target::List } else { Target::of_column(c.kind, c.decimal) })
            .collect();
        let lists = cols.iter().map(|c| c.list_of.map(|k| Target::of_column(k, c.decimal))).collect();
        let mut r = ArrowReader {
            rows,
            names,
            targets,
            lists,
            schema: Arc::new(Schema::empty()),
            batch_rows,
            row_no: 0,
            first: None,
            columnar: None,
            done: false,
            recycler: Arc::default(),
            row_bytes: Vec::new(),
        };
        let first = r.read_batch()?;
        for t in &mut r.targets {
            if *t == Target::Unknown {
                *t = Target::Null;
            }
        }
        r.schema = r.make_schema();
        r.first = Some(match first {
            Some(cols) => r.batch(cols)?,
            None => RecordBatch::new_empty(r.schema.clone()),
        });
        Ok(r)
    }

    fn make_schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .names
            .iter()
            .zip(&self.targets)
            .zip(&self.lists)
            .map(|((n, t), l)| match l {
                Some(elem) => list_field(n, *elem),
                None => t.field(n),
            })
            .collect();
        Arc::new(Schema::new(fields))
    }

    fn batch(&self, (cols, n): (Vec<ArrayRef>, usize)) -> Result<RecordBatch> {
        let cols = cols.into_iter().enumerate().map(|(i, a)| self.recycler.lend(i, a)).collect();
        RecordBatch::try_new_with_options(
            self.schema.clone(),
            cols,
            &RecordBatchOptions::new().with_row_count(Some(n)),
        )
        .map_err(|e| {
            Error::new(
                Status::Internal,
                format!("building an Arrow record batch: {e}"),
            )
        })
    }

    /// The next batch's columns, or `None` at the end of the result.
    fn read_batch(&mut self) -> Result<Option<(Vec<ArrayRef>, usize)>> {
        if self.done {
            return Ok(None);
        }
        // A cursor that hands out runs fills its batches (but the last),
        // and so does one read row by row once its first batch was full:
        // room for all of it at once, instead of growing by copies. A
        // first batch starts small, for the many results of a few rows.
        let full = self.columnar == Some(true) || self.row_no >= self.batch_rows as u64;
        let cap = if full { self.batch_rows.min(1 << 16) } else { self.batch_rows.min(4096) };
        let mut cols: Vec<Col> = self
            .targets
            .iter()
            .zip(&self.lists)
            .enumerate()
            .map(|(i, (t, l))| match l {
                Some(elem) => Col::list(*elem, cap),
                None => {
                    // The last batch's bytes a row, and a sixteenth more,
                    // up to what ends a batch (`SOFT_BYTE_LIMIT`): one
                    // large value must not reserve room for `cap` more.
                    let data = match self.row_bytes.get(i) {
                        Some(&b) if b > 0 => {
                            let want = b.saturating_mul(cap);
                            want.saturating_add(want / 16).min(SOFT_BYTE_LIMIT)
                        }
                        _ => cap * 8,
                    };
                    t.builder_from(cap, data, self.recycler.take(i))
                }
            })
            .collect();
        let mut n = 0usize;
        let mut bytes = 0usize;
        // Whole runs of rows, column by column, where the cursor has them.
        while self.columnar != Some(false) && n < self.batch_rows && bytes < SOFT_BYTE_LIMIT {
            let room = SOFT_BYTE_LIMIT - bytes;
            let Some(run) = self.rows.next_run(self.batch_rows - n, room).inspect_err(|_| self.done = true)? else {
                self.columnar = Some(false);
                break;
            };
            self.columnar = Some(true);
            if run.rows == 0 {
                self.done = true;
                break;
            }
            for (i, v) in run.columns.iter().enumerate() {
                match cols[i].append_vector(self.targets[i], v, run.start, run.rows) {
                    Ok(b) => bytes += b,
                    Err((at, e)) => {
                        self.done = true;
                        let name = &self.names[i];
                        let row = self.row_no + at as u64;
                        return Err(e.context(format_args!("row {row}, column {i} ({name:?})")));
                    }
                }
            }
            n += run.rows;
            self.row_no += run.rows as u64;
        }
        // Otherwise row by row, in one call into the cursor that reads
        // until the batch is full (rows or bytes) or the result ends.
        if self.columnar != Some(true) && n < self.batch_rows && bytes < SOFT_BYTE_LIMIT {
            let (targets, lists, names, row_no) = (&mut self.targets, &self.lists, &self.names, &mut self.row_no);
            let read = self.rows.each_row(self.batch_rows - n, &mut |row| {
                for i in 0..cols.len() {
                    let appended = if lists[i].is_some() {
                        cols[i].append_list(row, i)
                    } else {
                        let v = row.value(i);
                        let mut t = targets[i];
                        // A column with no declared type (SQLite
                        // expressions): NULLs so far; its first non-NULL
                        // value sets its type.
                        if t == Target::Unknown && !v.is_null() {
                            t = Target::of_value(&v);
                            let nulls = cols[i].len();
                            cols[i] = t.builder(cap);
                            for _ in 0..nulls {
                                cols[i].append_null();
                            }
                            targets[i] = t;
                        }
                        cols[i].append(t, v)
                    };
                    match appended {
                        Ok(b) => bytes += b,
                        Err(e) => {
                            let name = &names[i];
                            return Err(e.context(format_args!("row {row_no}, column {i} ({name:?})")));
                        }
                    }
                }
                n += 1;
                *row_no += 1;
                Ok(bytes < SOFT_BYTE_LIMIT)
            });
            match read {
                Ok((_, end)) => self.done = end,
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
        if n == 0 {
            return Ok(None);
        }
        self.row_bytes = cols.iter().map(|c| c.value_bytes().div_ceil(n)).collect();
        Ok(Some((cols.iter_mut().map(Col::finish).collect(), n)))
    }

    /// The next batch, or `None` at the end.
    pub fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if let Some(b) = self.first.take().filter(|b| b.num_rows() > 0) {
            return Ok(Some(b));
        }
        match self.read_batch()? {
            Some(cols) => Ok(Some(self.batch(cols)?)),
            None => Ok(None),
        }
    }
}

/// The message of an error as the Arrow stream reports it
/// (`get_last_error`): keel's status name, then its message. NUL bytes,
/// which a C string cannot hold, become `?`.
fn stream_error(e: &Error) -> ArrowError {
    let mut msg = format!("keel: {}: {}", e.status.as_str(), e);
    if msg.contains('\0') {
        msg = msg.replace('\0', "?");
    }
    match e.status {
        Status::Io => ArrowError::IoError(msg.clone(), std::io::Error::other(msg)),
        _ => ArrowError::ComputeError(msg),
    }
}

impl Iterator for ArrowReader {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        // A panic must not unwind into the C caller of get_next.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.next_batch()));
        match r {
            Ok(Ok(b)) => b.map(Ok),
            Ok(Err(e)) => {
                self.done = true;
                Some(Err(stream_error(&e)))
            }
            Err(_) => {
                self.done = true;
                Some(Err(ArrowError::ComputeError(
                    "keel PANIC: an internal error (a panic) while reading the result".into(),
                )))
            }
        }
    }
}

impl RecordBatchReader for ArrowReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::parse_decimal;

    #[test]
    fn decimals_are_exact_or_refused() {
        assert_eq!(parse_decimal("12.34", 10, 2).unwrap(), 1234);
        assert_eq!(parse_decimal("-12.3", 10, 2).unwrap(), -1230);
        assert_eq!(parse_decimal("12.3400", 10, 2).unwrap(), 1234);
        assert_eq!(parse_decimal("0.5", 1, 1).unwrap(), 5);
        assert_eq!(parse_decimal("7", 5, 0).unwrap(), 7);
        assert!(parse_decimal("12.345", 10, 2).is_err());
        assert!(parse_decimal("123456789.1", 10, 2).is_err());
        assert!(parse_decimal("NaN", 10, 2).is_err());
        assert!(parse_decimal("1e5", 10, 2).is_err());
        assert!(parse_decimal("", 10, 2).is_err());
        assert!(parse_decimal("-", 10, 2).is_err());
    }
}

// --- Rows in: an Arrow stream as a row source for `Conn::ingest` -----------

use crate::core::db::Stmt;
use crate::core::ingest::{IndexedRows, IngestColumn, RowSource};
use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Decimal256Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, Time64MicrosecondType, Time64NanosecondType, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};

/// The keel type of an Arrow field, for ingest: the inverse of the export
/// mapping, plus the narrower Arrow integers and floats, large_utf8 and
/// large_binary, and timestamps in s/ms/ns (converted to µs exactly).
pub(crate) fn ingest_kind(f: &Field) -> Result<(Type, Option<(u8, i8)>)> {
    let ext = f.metadata().get("ARROW:extension:name").map(String::as_str);
    Ok(match f.data_type() {
        DataType::Boolean => (Type::Bool, None),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => (Type::Int64, None),
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 => (Type::Int64, None),
        DataType::UInt64 => (Type::Uint64, None),
        DataType::Float32 | DataType::Float64 => (Type::Double, None),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View if ext == Some("arrow.json") => {
            (Type::Json, None)
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => (Type::Text, None),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => (Type::Bytes, None),
        DataType::FixedSizeBinary(16) if ext == Some("arrow.uuid") => (Type::Uuid, None),
        DataType::Date32 => (Type::Date, None),
        DataType::Time64(_) => (Type::Time, None),
        DataType::Timestamp(_, None) => (Type::Timestamp, None),
        DataType::Timestamp(_, Some(_)) => (Type::Timestamptz, None),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) if *s >= 0 => (Type::Decimal, Some((*p, *s))),
        other => {
            return Err(Error::new(
                Status::NotImplemented,
                format!(
                    "column {:?}: keel cannot ingest Arrow type {other}",
                    f.name()
                ),
            ));
        }
    })
}

/// The rows of an Arrow stream (any `RecordBatchReader`, such as an
/// imported `ArrowArrayStream`) for `Conn::ingest`.
pub struct ArrowSource<R: RecordBatchReader> {
    reader: R,
    /// Rows of the batches read before the current one.
    before: u64,
    schema: SchemaRef,
    columns: Vec<IngestColumn>,
}

/// The ingest columns of an Arrow schema, or the error naming the first
/// field keel cannot ingest.
pub fn ingest_columns(schema: &arrow_schema::Schema) -> Result<Vec<IngestColumn>> {
    schema
        .fields()
        .iter()
        .map(|f| {
            let name = f.name().clone();
            match f.data_type() {
                // Lists: text in PostgreSQL's array syntax (`array_literal`).
                DataType::List(item) | DataType::LargeList(item) => {
                    let (elem, decimal) = ingest_kind(item)
                        .map_err(|e| e.context(format_args!("the elements of list column {name:?}")))?;
                    Ok(IngestColumn { name, kind: Type::Text, decimal, list_of: Some(elem) })
                }
                _ => {
                    let (kind, decimal) = ingest_kind(f)?;
                    Ok(IngestColumn { name, kind, decimal, list_of: None })
                }
            }
        })
        .collect()
}

impl<R: RecordBatchReader> ArrowSource<R> {
    pub fn new(reader: R) -> Result<ArrowSource<R>> {
        let schema = reader.schema();
        let columns = ingest_columns(&schema)?;
        Ok(ArrowSource {
            reader,
            before: 0,
            schema,
            columns,
        })
    }
}

/// Value `row` of `a` (of field type `dt`, keel type `kind`); `text` holds
/// the decimal's text when the column is decimal.
fn value_at<'a>(
    a: &'a dyn Array,
    kind: Type,
    row: usize,
    text: &'a [String],
) -> Result<ValueRef<'a>> {
    if a.is_null(row) {
        return Ok(ValueRef::Null);
    }
    let exact = |v: i64, per_us: i64, mul: i64| -> Result<i64> {
        if per_us > 1 {
            if v % per_us != 0 {
                return Err(Error::invalid_data(format!(
                    "{v} does not convert to whole microseconds"
                ))
                .with_sqlstate("22008"));
            }
            Ok(v / per_us)
        } else {
            v.checked_mul(mul).ok_or_else(|| {
                Error::invalid_data(format!("{v} is out of range in microseconds"))
                    .with_sqlstate("22008")
            })
        }
    };
    Ok(match a.data_type() {
        DataType::Boolean => ValueRef::Bool(a.as_boolean().value(row)),
        DataType::Int8 => ValueRef::Int64(a.as_primitive::<Int8Type>().value(row) as i64),
        DataType::Int16 => ValueRef::Int64(a.as_primitive::<Int16Type>().value(row) as i64),
        DataType::Int32 => ValueRef::Int64(a.as_primitive::<Int32Type>().value(row) as i64),
        DataType::Int64 => ValueRef::Int64(a.as_primitive::<Int64Type>().value(row)),
        DataType::UInt8 => ValueRef::Int64(a.as_primitive::<UInt8Type>().value(row) as i64),
        DataType::UInt16 => ValueRef::Int64(a.as_primitive::<UInt16Type>().value(row) as i64),
        DataType::UInt32 => ValueRef::Int64(a.as_primitive::<UInt32Type>().value(row) as i64),
        DataType::UInt64 => ValueRef::Uint64(a.as_primitive::<UInt64Type>().value(row)),
        DataType::Float32 => ValueRef::Double(a.as_primitive::<Float32Type>().value(row) as f64),
        DataType::Float64 => ValueRef::Double(a.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let s = match a.data_type() {
                DataType::Utf8 => a.as_string::<i32>().value(row),
                DataType::LargeUtf8 => a.as_string::<i64>().value(row),
                _ => a.as_string_view().value(row),
            };
            if kind == Type::Json {
                ValueRef::Json(s)
            } else {
                ValueRef::Text(s)
            }
        }
        DataType::Binary => ValueRef::Bytes(a.as_binary::<i32>().value(row)),
        DataType::LargeBinary => ValueRef::Bytes(a.as_binary::<i64>().value(row)),
        DataType::BinaryView => ValueRef::Bytes(a.as_binary_view().value(row)),
        DataType::FixedSizeBinary(16) => ValueRef::Uuid(
            a.as_fixed_size_binary()
                .value(row)
                .try_into()
                .expect("16 bytes"),
        ),
        DataType::Date32 => ValueRef::Date(a.as_primitive::<Date32Type>().value(row)),
        DataType::Time64(TimeUnit::Microsecond) => {
            ValueRef::Time(a.as_primitive::<Time64MicrosecondType>().value(row))
        }
        DataType::Time64(_) => ValueRef::Time(exact(
            a.as_primitive::<Time64NanosecondType>().value(row),
            1000,
            1,
        )?),
        DataType::Timestamp(unit, _) => {
            let us = match unit {
                TimeUnit::Second => exact(
                    a.as_primitive::<TimestampSecondType>().value(row),
                    1,
                    1_000_000,
                )?,
                TimeUnit::Millisecond => exact(
                    a.as_primitive::<TimestampMillisecondType>().value(row),
                    1,
                    1000,
                )?,
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(row),
                TimeUnit::Nanosecond => exact(
                    a.as_primitive::<TimestampNanosecondType>().value(row),
                    1000,
                    1,
                )?,
            };
            if kind == Type::Timestamptz {
                ValueRef::Timestamptz(us)
            } else {
                ValueRef::Timestamp(us)
            }
        }
        DataType::Decimal128(..) | DataType::Decimal256(..) => ValueRef::Decimal(&text[row]),
        DataType::List(_) | DataType::LargeList(_) => ValueRef::Text(&text[row]),
        other => {
            return Err(Error::new(
                Status::NotImplemented,
                format!("keel cannot ingest Arrow type {other}"),
            ));
        }
    })
}

/// One column of a record batch, downcast once per batch: reading a
/// value of the common types is then a slice index and a match, where
/// [`value_at`] asks the array its type and downcasts it for every value.
/// Other types go through [`value_at`].
struct Cells<'a> {
    array: &'a dyn Array,
    nulls: Option<&'a arrow_buffer::NullBuffer>,
    kind: Type,
    data: CellData<'a>,
}

enum CellData<'a> {
    Int64(&'a [i64]),
    Double(&'a [f64]),
    Bool(&'a arrow_buffer::BooleanBuffer),
    Text(&'a arrow_array::StringArray),
    Bytes(&'a arrow_array::BinaryArray),
    Date(&'a [i32]),
    /// Timestamps in microseconds.
    Micros(&'a [i64]),
    Other,
}

impl<'a> Cells<'a> {
    fn new(array: &'a dyn Array, kind: Type) -> Cells<'a> {
        let data = match array.data_type() {
            DataType::Int64 => CellData::Int64(array.as_primitive::<Int64Type>().values()),
            DataType::Float64 => CellData::Double(array.as_primitive::<Float64Type>().values()),
            DataType::Boolean => CellData::Bool(array.as_boolean().values()),
            DataType::Utf8 if kind != Type::Json => CellData::Text(array.as_string::<i32>()),
            DataType::Binary => CellData::Bytes(array.as_binary::<i32>()),
            DataType::Date32 => CellData::Date(array.as_primitive::<Date32Type>().values()),
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                CellData::Micros(array.as_primitive::<TimestampMicrosecondType>().values())
            }
            _ => CellData::Other,
        };
        Cells { array, nulls: array.nulls(), kind, data }
    }

    /// The value at `row`; `None` for a column read through [`value_at`]
    /// (`CellData::Other`), which can fail.
    #[inline(always)]
    fn get(&self, row: usize) -> Option<ValueRef<'a>> {
        if self.nulls.is_some_and(|n| n.is_null(row)) {
            return Some(ValueRef::Null);
        }
        Some(match self.data {
            CellData::Int64(v) => ValueRef::Int64(v[row]),
            CellData::Double(v) => ValueRef::Double(v[row]),
            CellData::Bool(v) => ValueRef::Bool(v.value(row)),
            CellData::Text(a) => ValueRef::Text(a.value(row)),
            CellData::Bytes(a) => ValueRef::Bytes(a.value(row)),
            CellData::Date(v) => ValueRef::Date(v[row]),
            CellData::Micros(v) if self.kind == Type::Timestamptz => ValueRef::Timestamptz(v[row]),
            CellData::Micros(v) => ValueRef::Timestamp(v[row]),
            CellData::Other => return None,
        })
    }
}

/// The text values of a record batch's columns that need one (decimals,
/// lists), made once per batch: values borrow them (`value_at`). Fails
/// with the row and column of a list that has no text.
fn batch_texts(cols: &[&dyn Array], n: usize) -> std::result::Result<Vec<Vec<String>>, (usize, usize, Error)> {
    cols.iter()
        .enumerate()
        .map(|(i, a)| {
            let each = |f: &dyn Fn(usize) -> Result<String>| {
                (0..n).map(|r| if a.is_null(r) { Ok(String::new()) } else { f(r).map_err(|e| (r, i, e)) }).collect()
            };
            match a.data_type() {
                DataType::Decimal128(_, s) => {
                    let d = a.as_primitive::<Decimal128Type>();
                    each(&|r| Ok(decimal_text(d.value(r), *s)))
                }
                DataType::Decimal256(..) => {
                    let d = a.as_primitive::<Decimal256Type>();
                    each(&|r| Ok(d.value_as_string(r)))
                }
                DataType::List(item) => {
                    let l = a.as_list::<i32>();
                    each(&|r| array_literal(l.value(r).as_ref(), item))
                }
                DataType::LargeList(item) => {
                    let l = a.as_list::<i64>();
                    each(&|r| array_literal(l.value(r).as_ref(), item))
                }
                _ => Ok(Vec::new()),
            }
        })
        .collect()
}

/// One list value (`a`: its elements, of field `item`) as PostgreSQL's
/// array text: `{"1",NULL,"x y"}`, every element quoted (which the server
/// accepts for any element type), as keel writes its value's text; bytes
/// as `\x` and hex.
pub fn array_literal(a: &dyn Array, item: &Field) -> Result<String> {
    let (kind, _) = ingest_kind(item)?;
    let texts = batch_texts(&[a], a.len()).map_err(|(j, _, e)| e.context(format_args!("array element {j}")))?;
    let mut out = String::with_capacity(2 + a.len() * 4);
    let mut v_text = String::new();
    out.push('{');
    for j in 0..a.len() {
        if j > 0 {
            out.push(',');
        }
        let v = value_at(a, kind, j, &texts[0]).map_err(|e| e.context(format_args!("array element {j}")))?;
        v_text.clear();
        match v {
            ValueRef::Null => {
                out.push_str("NULL");
                continue;
            }
            ValueRef::Bytes(b) => {
                v_text.push_str("\\x");
                for x in b {
                    let _ = write!(v_text, "{x:02x}");
                }
            }
            v => v.write_text(&mut v_text)?,
        }
        crate::core::value::quote_array_element(&v_text, &mut out);
    }
    out.push('}');
    Ok(out)
}

/// The text of decimal128 `v` at scale `s`: `-12.340`.
fn decimal_text(v: i128, s: i8) -> String {
    let s = s.max(0) as usize;
    let digits = format!("{:0>width$}", v.unsigned_abs(), width = s + 1);
    let (int, frac) = digits.split_at(digits.len() - s);
    let sign = if v < 0 { "-" } else { "" };
    if s == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// The list elements of one row of a record batch.
struct BatchLists<'a> {
    cols: &'a [&'a dyn Array],
    columns: &'a [IngestColumn],
    row: usize,
}

impl crate::core::ingest::Lists for BatchLists<'_> {
    fn elements(&self, col: usize, each: &mut dyn FnMut(ValueRef<'_>) -> Result<()>) -> Result<bool> {
        let a = self.cols[col];
        if a.is_null(self.row) {
            return Ok(false);
        }
        let elems = match a.data_type() {
            DataType::List(_) => a.as_list::<i32>().value(self.row),
            DataType::LargeList(_) => a.as_list::<i64>().value(self.row),
            other => return Err(Error::invalid_argument(format!("column {col} is {other}, not a list"))),
        };
        let kind = self.columns[col].list_of.unwrap_or(Type::Text);
        let texts = batch_texts(&[elems.as_ref()], elems.len()).map_err(|(j, _, e)| e.context(format_args!("array element {j}")))?;
        for j in 0..elems.len() {
            let v = value_at(elems.as_ref(), kind, j, &texts[0]).map_err(|e| e.context(format_args!("array element {j}")))?;
            each(v)?;
        }
        Ok(true)
    }
}

/// A record batch read from the stream, ready to give its rows: its
/// columns, each downcast once ([`Cells`]), and the text values of those
/// that need one ([`batch_texts`]).
struct ReadBatch<'a> {
    cols: Vec<&'a dyn Array>,
    cells: Vec<Cells<'a>>,
    texts: Vec<Vec<String>>,
}

/// Row `r`, column `i` of `b` (whose first row is row `before` of the
/// source) read through [`value_at`] (decimals, lists, the types `Cells`
/// does not read directly), its error placed.
#[inline(never)]
fn other_value<'a>(b: &'a ReadBatch<'_>, columns: &[IngestColumn], before: u64, r: usize, i: usize) -> Result<ValueRef<'a>> {
    let c = &b.cells[i];
    value_at(c.array, c.kind, r, &b.texts[i])
        .map_err(|e| e.context(format_args!("row {}, column {i} ({:?})", before + r as u64, columns[i].name)))
}

/// A read record batch, `n` rows from row `before` of the source on, its
/// values by row and column ([`RowSource::next_indexed`]).
struct Indexed<'s, 'a> {
    b: &'s ReadBatch<'a>,
    columns: &'s [IngestColumn],
    before: u64,
    n: usize,
}

impl IndexedRows for Indexed<'_, '_> {
    fn len(&self) -> usize {
        self.n
    }

    fn width(&self) -> usize {
        self.columns.len()
    }

    #[inline]
    fn value(&self, row: usize, col: usize) -> Result<ValueRef<'_>> {
        match self.b.cells[col].get(row) {
            Some(v) => Ok(v),
            None => other_value(self.b, self.columns, self.before, row, col),
        }
    }

    fn row_number(&self, row: usize) -> u64 {
        self.before + row as u64
    }
}

impl<R: RecordBatchReader> ArrowSource<R> {
    /// The next record batch of the stream, checked against its schema;
    /// `None` at the end. Its errors say how many rows came before
    /// (`after N rows: `), as a row's errors name the row.
    fn next_record_batch(&mut self) -> Result<Option<RecordBatch>> {
        let batch = match self.reader.next() {
            None => return Ok(None),
            Some(Err(e)) => Err(Error::invalid_data(format!("reading the Arrow stream: {e}"))),
            Some(Ok(b)) if b.schema().fields() != self.schema.fields() => {
                Err(Error::invalid_data("a record batch of the Arrow stream does not have the stream's schema"))
            }
            Some(Ok(b)) => Ok(b),
        };
        batch.map(Some).map_err(|e| e.context(format_args!("after {} rows", self.before)))
    }

    fn read<'a>(&self, batch: &'a RecordBatch) -> Result<ReadBatch<'a>> {
        let cols: Vec<&dyn Array> = batch.columns().iter().map(|c| c.as_ref()).collect();
        let texts = batch_texts(&cols, batch.num_rows()).map_err(|(r, i, e)| {
            e.context(format_args!("row {}, column {i} ({:?})", self.before + r as u64, self.columns[i].name))
        })?;
        let cells = cols.iter().zip(&self.columns).map(|(a, c)| Cells::new(*a, c.kind)).collect();
        Ok(ReadBatch { cols, cells, texts })
    }

    /// Row `r` of `b` into `row`, one value per column.
    fn row_of<'a>(&self, b: &'a ReadBatch<'_>, r: usize, row: &mut Vec<ValueRef<'a>>) -> Result<()> {
        row.clear();
        for (i, c) in b.cells.iter().enumerate() {
            let v = match c.get(r) {
                Some(v) => v,
                None => other_value(b, &self.columns, self.before, r, i)?,
            };
            row.push(v);
        }
        Ok(())
    }

    /// Call `each` for every row of the next record batch, with its lists.
    fn rows_of_next(&mut self, each: &mut dyn FnMut(&[ValueRef<'_>], &dyn crate::core::ingest::Lists) -> Result<()>) -> Result<Option<u64>> {
        let Some(batch) = self.next_record_batch()? else { return Ok(None) };
        let n = batch.num_rows();
        let b = self.read(&batch)?;
        let mut row = Vec::with_capacity(b.cells.len());
        for r in 0..n {
            self.row_of(&b, r, &mut row)?;
            let lists = BatchLists { cols: &b.cols, columns: &self.columns, row: r };
            each(&row, &lists).map_err(|e| e.context(format_args!("row {}", self.before + r as u64)))?;
        }
        self.before += n as u64;
        Ok(Some(n as u64))
    }
}

impl<R: RecordBatchReader> RowSource for ArrowSource<R> {
    fn columns(&self) -> &[IngestColumn] {
        &self.columns
    }

    fn next_rows(&mut self, each: &mut dyn FnMut(&[ValueRef<'_>]) -> Result<()>) -> Result<Option<u64>> {
        self.rows_of_next(&mut |row, _| each(row))
    }

    fn next_rows_with_lists(
        &mut self,
        each: &mut dyn FnMut(&[ValueRef<'_>], &dyn crate::core::ingest::Lists) -> Result<()>,
    ) -> Result<Option<u64>> {
        self.rows_of_next(each)
    }

    fn next_indexed(&mut self, each: &mut dyn FnMut(&dyn IndexedRows) -> Result<()>) -> Result<Option<u64>> {
        let Some(batch) = self.next_record_batch()? else { return Ok(None) };
        let n = batch.num_rows();
        let b = self.read(&batch)?;
        each(&Indexed { b: &b, columns: &self.columns, before: self.before, n })?;
        self.before += n as u64;
        Ok(Some(n as u64))
    }

    fn next_batch(&mut self, stmt: &mut Stmt) -> Result<Option<u64>> {
        let Some(batch) = self.next_record_batch()? else { return Ok(None) };
        let n = batch.num_rows();
        let b = self.read(&batch)?;
        let mut row = Vec::with_capacity(b.cells.len());
        if stmt.executes_rows_in_place() {
            // The batch is read: its rows go to the statement under the
            // session's lock, with no call into the stream meanwhile (it
            // may read from this same session).
            let mut at_row = false;
            stmt.execute_rows(
                &mut |each| {
                    for r in 0..n {
                        // Both name the row: reading it from the batch
                        // (`row_of`), and running it.
                        self.row_of(&b, r, &mut row)
                            .and_then(|()| each(&row).map_err(|e| e.context(format_args!("row {}", self.before + r as u64))))
                            .inspect_err(|_| at_row = true)?;
                    }
                    Ok(())
                },
                false,
            )
            .map_err(|e| if at_row { e } else { e.context(format_args!("after {} rows", self.before)) })?;
        } else {
            let mut pb = stmt.batch();
            for r in 0..n {
                self.row_of(&b, r, &mut row)?;
                pb.push(&row).map_err(|e| e.context(format_args!("in the record batch of rows {} on", self.before)))?;
            }
            pb.finish().map_err(|e| e.context(format_args!("in the record batch of rows {} on", self.before)))?;
        }
        self.before += n as u64;
        Ok(Some(n as u64))
    }
}
