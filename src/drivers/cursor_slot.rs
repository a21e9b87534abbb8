//! The one open cursor of a network session, for drivers whose client
//! streams a result through an object that needs the session mutably for
//! its whole life (`mysql::QueryResult` borrows it; a tokio-postgres
//! `RowStream` needs it to drive the connection on every read).
//!
//! A C handle cannot express that borrow, so the driver keeps the stream
//! here, next to the session, and keeps the rule itself: while a cursor is
//! open the session refuses other work (`is_busy`), except that the
//! statement which opened it may run again, closing it first (as SQLite
//! does). Each opening gets a new generation, so a cursor can tell that it
//! was closed under it. Declare the slot before the session in the owning
//! struct, so the stream is dropped first.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static NEXT_STATEMENT_ID: AtomicU64 = AtomicU64::new(1);

/// A new id for a prepared statement (never 0, which means "none").
pub fn statement_id() -> u64 {
    NEXT_STATEMENT_ID.fetch_add(1, Ordering::Relaxed)
}

pub struct CursorSlot<T> {
    stream: UnsafeCell<Option<T>>,
    owner: AtomicU64,
    generation: AtomicU64,
    busy: AtomicBool,
}

impl<T> Default for CursorSlot<T> {
    fn default() -> Self {
        CursorSlot {
            stream: UnsafeCell::new(None),
            owner: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            busy: AtomicBool::new(false),
        }
    }
}

impl<T> CursorSlot<T> {
    /// Whether a cursor is open.
    pub fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }

    /// The generation of the cursor statement `owner` has open, if any.
    pub fn opened_by(&self, owner: u64) -> Option<u64> {
        (self.is_busy() && self.owner.load(Ordering::Acquire) == owner).then(|| self.generation.load(Ordering::Acquire))
    }

    /// Keep `stream` as the open cursor of statement `owner`; returns its
    /// generation. The caller has checked that no cursor is open.
    pub fn open(&self, owner: u64, stream: T) -> u64 {
        // SAFETY: no cursor is open, so nothing else touches the cell, and
        // the core's calls into a session never overlap (`core::driver`).
        unsafe { *self.stream.get() = Some(stream) };
        self.owner.store(owner, Ordering::Release);
        self.busy.store(true, Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// The open stream, if it is still generation `generation`.
    #[allow(clippy::mut_from_ref)]
    pub fn get(&self, generation: u64) -> Option<&mut T> {
        if self.generation.load(Ordering::Acquire) != generation {
            return None;
        }
        // SAFETY: the core's calls into a session never overlap
        // (`core::driver`), and the generation says the stream is ours.
        unsafe { (*self.stream.get()).as_mut() }
    }

    /// Take the stream out if it is still generation `generation`, leaving
    /// the session free.
    pub fn take(&self, generation: u64) -> Option<T> {
        if self.generation.load(Ordering::Acquire) != generation {
            return None;
        }
        // SAFETY: as in `get`.
        let stream = unsafe { (*self.stream.get()).take() }?;
        self.owner.store(0, Ordering::Release);
        self.busy.store(false, Ordering::Release);
        Some(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_and_owners() {
        let s: CursorSlot<&str> = CursorSlot::default();
        assert!(!s.is_busy());
        let g1 = s.open(7, "a");
        assert!(s.is_busy());
        assert_eq!(s.opened_by(7), Some(g1));
        assert_eq!(s.opened_by(8), None);
        assert_eq!(s.get(g1).copied(), Some("a"));
        assert_eq!(s.take(g1), Some("a"));
        assert!(!s.is_busy());
        let g2 = s.open(8, "b");
        assert_ne!(g1, g2);
        assert_eq!(s.get(g1), None, "an old cursor sees it was closed");
        assert_eq!(s.take(g1), None);
        assert_eq!(s.take(g2), Some("b"));
    }
}
