//! Bound Arrow parameters as keel values: one row of a record batch, a
//! value per column, exactly or not at all (a time with nanoseconds keel
//! cannot hold is an error, never rounded).

use super::err;
use crate::core::value::Value;
use adbc_core::error::{Result as AdbcResult, Status as AdbcStatus};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field, TimeUnit};

/// The values of row `row` of `batch`, in column order. `arrays`: the
/// engine has array types (PostgreSQL), so a list goes as its array text
/// (`codec::arrow::array_literal`); elsewhere a list is NOT_IMPLEMENTED.
pub(crate) fn row_values(batch: &RecordBatch, row: usize, arrays: bool) -> AdbcResult<Vec<Value>> {
    let schema = batch.schema();
    batch
        .columns()
        .iter()
        .zip(schema.fields().iter())
        .enumerate()
        .map(|(i, (a, f))| {
            value(a.as_ref(), f, row, arrays).map_err(|e| {
                err(e.status, format!("parameter {i} ({:?}), row {row}: {}", f.name(), e.message.trim_start_matches("keel: ")))
            })
        })
        .collect()
}

fn micros(v: i64, unit: &TimeUnit) -> AdbcResult<i64> {
    let exact = |n: Option<i64>| n.ok_or_else(|| err(AdbcStatus::InvalidArguments, "the time is out of keel's range"));
    match unit {
        TimeUnit::Second => exact(v.checked_mul(1_000_000)),
        TimeUnit::Millisecond => exact(v.checked_mul(1_000)),
        TimeUnit::Microsecond => Ok(v),
        TimeUnit::Nanosecond if v % 1_000 == 0 => Ok(v / 1_000),
        TimeUnit::Nanosecond => {
            Err(err(AdbcStatus::InvalidArguments, format!("{v} ns has nanoseconds; keel keeps microseconds")))
        }
    }
}

fn extension(f: &Field) -> Option<&str> {
    f.metadata().get("ARROW:extension:name").map(String::as_str)
}

fn value(a: &dyn Array, f: &Field, row: usize, arrays: bool) -> AdbcResult<Value> {
    if a.is_null(row) {
        return Ok(Value::Null);
    }
    let text = |s: &str| if extension(f) == Some("arrow.json") { Value::Json(s.to_owned()) } else { Value::Text(s.to_owned()) };
    Ok(match a.data_type() {
        DataType::Null => Value::Null,
        DataType::Boolean => Value::Bool(a.as_boolean().value(row)),
        DataType::Int8 => Value::Int64(a.as_primitive::<Int8Type>().value(row).into()),
        DataType::Int16 => Value::Int64(a.as_primitive::<Int16Type>().value(row).into()),
        DataType::Int32 => Value::Int64(a.as_primitive::<Int32Type>().value(row).into()),
        DataType::Int64 => Value::Int64(a.as_primitive::<Int64Type>().value(row)),
        DataType::UInt8 => Value::Int64(a.as_primitive::<UInt8Type>().value(row).into()),
        DataType::UInt16 => Value::Int64(a.as_primitive::<UInt16Type>().value(row).into()),
        DataType::UInt32 => Value::Int64(a.as_primitive::<UInt32Type>().value(row).into()),
        DataType::UInt64 => Value::Uint64(a.as_primitive::<UInt64Type>().value(row)),
        DataType::Float32 => Value::Double(a.as_primitive::<Float32Type>().value(row).into()),
        DataType::Float64 => Value::Double(a.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 => text(a.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => text(a.as_string::<i64>().value(row)),
        DataType::Utf8View => text(a.as_string_view().value(row)),
        DataType::Binary => Value::Bytes(a.as_binary::<i32>().value(row).to_vec()),
        DataType::LargeBinary => Value::Bytes(a.as_binary::<i64>().value(row).to_vec()),
        DataType::BinaryView => Value::Bytes(a.as_binary_view().value(row).to_vec()),
        DataType::FixedSizeBinary(16) if extension(f) == Some("arrow.uuid") => {
            let mut u = [0u8; 16];
            u.copy_from_slice(a.as_fixed_size_binary().value(row));
            Value::Uuid(u)
        }
        DataType::FixedSizeBinary(_) => Value::Bytes(a.as_fixed_size_binary().value(row).to_vec()),
        DataType::Date32 => Value::Date(a.as_primitive::<Date32Type>().value(row)),
        DataType::Date64 => {
            let ms = a.as_primitive::<Date64Type>().value(row);
            if ms % 86_400_000 != 0 {
                return Err(err(AdbcStatus::InvalidArguments, format!("date64 {ms} is not a whole day")));
            }
            Value::Date(i32::try_from(ms / 86_400_000).map_err(|_| err(AdbcStatus::InvalidArguments, "date out of range"))?)
        }
        DataType::Time32(TimeUnit::Second) => Value::Time(micros(a.as_primitive::<Time32SecondType>().value(row).into(), &TimeUnit::Second)?),
        DataType::Time32(TimeUnit::Millisecond) => {
            Value::Time(micros(a.as_primitive::<Time32MillisecondType>().value(row).into(), &TimeUnit::Millisecond)?)
        }
        DataType::Time64(TimeUnit::Nanosecond) => {
            Value::Time(micros(a.as_primitive::<Time64NanosecondType>().value(row), &TimeUnit::Nanosecond)?)
        }
        DataType::Time64(TimeUnit::Microsecond) => Value::Time(a.as_primitive::<Time64MicrosecondType>().value(row)),
        DataType::Timestamp(unit, tz) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(row),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(row),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(row),
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(row),
            };
            let us = micros(v, unit)?;
            // With a zone, the value is an instant (UTC): keel's timestamptz.
            if tz.is_some() { Value::Timestamptz(us) } else { Value::Timestamp(us) }
        }
        DataType::Decimal128(_, _) => Value::Decimal(a.as_primitive::<Decimal128Type>().value_as_string(row)),
        DataType::Decimal256(_, _) => Value::Decimal(a.as_primitive::<Decimal256Type>().value_as_string(row)),
        DataType::List(item) | DataType::LargeList(item) if arrays => {
            let elems = match a.data_type() {
                DataType::List(_) => a.as_list::<i32>().value(row),
                _ => a.as_list::<i64>().value(row),
            };
            let text = crate::codec::arrow::array_literal(elems.as_ref(), item)
                .map_err(|e| err(AdbcStatus::NotImplemented, e.message))?;
            Value::Text(text)
        }
        other => {
            return Err(err(AdbcStatus::NotImplemented, format!("keel cannot bind Arrow type {other}")));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Int32Array, StringArray, Time64NanosecondArray, TimestampNanosecondArray};
    use std::sync::Arc;

    #[test]
    fn arrow_values_become_keel_values_exactly() {
        let batch = RecordBatch::try_from_iter(vec![
            ("a", Arc::new(Int32Array::from(vec![Some(7), None])) as ArrayRef),
            ("b", Arc::new(StringArray::from(vec!["x", "y"])) as ArrayRef),
            ("c", Arc::new(TimestampNanosecondArray::from(vec![2_000, 2_001]).with_timezone("UTC")) as ArrayRef),
            ("d", Arc::new(Time64NanosecondArray::from(vec![5_000, 5_000])) as ArrayRef),
        ])
        .unwrap();
        assert_eq!(
            row_values(&batch, 0, false).unwrap(),
            vec![Value::Int64(7), Value::Text("x".into()), Value::Timestamptz(2), Value::Time(5)]
        );
        let e = row_values(&batch, 1, false).unwrap_err();
        assert!(e.message.contains("parameter 2 (\"c\"), row 1") && e.message.contains("nanoseconds"), "{}", e.message);
    }
}
