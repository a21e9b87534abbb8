//! keel's stand-in for `webpki-roots`: [`TLS_SERVER_ROOTS`] holds no CA.
//!
//! The mysql crate builds its rustls verifier from `TLS_SERVER_ROOTS` plus
//! the root file it is given (keel's `ssl_ca`). keel wants only `ssl_ca`
//! trusted, but the verifier refuses an empty root store, so the list
//! holds one anchor that verifies nothing: its public key is of an
//! algorithm no one implements (OID 2.999, ITU-T's example arc, with an
//! empty key), so no signature can ever check against it, and its name
//! (`CN=keel: no built-in roots`) is no real CA's. keel checks at run time
//! that this crate, and not the real one, was built in
//! (`src/drivers/mysql/tls.rs`).

#![no_std]
#![forbid(unsafe_code)]

use pki_types::{Der, TrustAnchor};

/// The subject of the inert anchor, as webpki stores it (the contents of
/// the Name SEQUENCE): `CN=keel: no built-in roots`.
pub const INERT_SUBJECT: &[u8] = b"\x31\x20\x30\x1e\x06\x03\x55\x04\x03\x0c\x17keel: no built-in roots";

/// Its SubjectPublicKeyInfo contents: AlgorithmIdentifier { OID 2.999 }
/// and an empty BIT STRING.
pub const INERT_SPKI: &[u8] = b"\x30\x04\x06\x02\x88\x37\x03\x01\x00";

/// The trust anchors: only the inert one.
pub const TLS_SERVER_ROOTS: &[TrustAnchor<'static>] = &[TrustAnchor {
    subject: Der::from_slice(INERT_SUBJECT),
    subject_public_key_info: Der::from_slice(INERT_SPKI),
    name_constraints: None,
}];
