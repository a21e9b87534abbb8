//! Wire formats for batches of rows, outside the core: each is a
//! [`RowEncoder`](crate::core::encode::RowEncoder) for result rows and a
//! [`RowDecoder`](crate::core::encode::RowDecoder) for parameter rows,
//! which `src/ffi` picks by `keel_batch_format`: pickle and marshal,
//! Python's (marshal for results of plain values only, built faster); and
//! Arrow record batches out (`arrow`), which `src/ffi` hands to C as an
//! `ArrowArrayStream`.

pub mod arrow;
pub mod marshal;
pub mod pickle;
