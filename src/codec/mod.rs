//! Wire formats for batches of rows, outside the core: each is a
//! [`RowEncoder`](crate::core::encode::RowEncoder) for result rows and a
//! [`RowDecoder`](crate::core::encode::RowDecoder) for parameter rows,
//! which `src/ffi` picks by `keel_batch_format`. Today: pickle, Python's.

pub mod pickle;
