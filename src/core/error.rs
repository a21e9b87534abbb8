//! The portable status set and the error value every layer returns.
//!
//! `Status` numbers are part of the C ABI (`keel_status`): they never change
//! and a retired number is never reused. Callers must treat an unknown number
//! as `Unknown`.

use std::fmt;

/// Portable outcome of a call. Follows ADBC's status set, plus `Busy`,
/// `NullArgument` and `Panic`.
///
/// Numbers are frozen. Retired numbers: none yet.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Ok = 0,
    Unknown = 1,
    NotImplemented = 2,
    NotFound = 3,
    AlreadyExists = 4,
    InvalidArgument = 5,
    InvalidState = 6,
    InvalidData = 7,
    Integrity = 8,
    Internal = 9,
    Io = 10,
    Cancelled = 11,
    Timeout = 12,
    Unauthenticated = 13,
    Unauthorized = 14,
    Busy = 15,
    NullArgument = 16,
    Panic = 17,
}

impl Status {
    /// Every status, in numeric order.
    pub const ALL: [Status; 18] = [
        Status::Ok,
        Status::Unknown,
        Status::NotImplemented,
        Status::NotFound,
        Status::AlreadyExists,
        Status::InvalidArgument,
        Status::InvalidState,
        Status::InvalidData,
        Status::Integrity,
        Status::Internal,
        Status::Io,
        Status::Cancelled,
        Status::Timeout,
        Status::Unauthenticated,
        Status::Unauthorized,
        Status::Busy,
        Status::NullArgument,
        Status::Panic,
    ];

    pub fn from_i32(n: i32) -> Option<Status> {
        Status::ALL.get(usize::try_from(n).ok()?).copied()
    }

    /// Static English text for the status, like `sqlite3_errstr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Unknown => "unknown error",
            Status::NotImplemented => "not implemented",
            Status::NotFound => "not found",
            Status::AlreadyExists => "already exists",
            Status::InvalidArgument => "invalid argument",
            Status::InvalidState => "invalid state",
            Status::InvalidData => "invalid data",
            Status::Integrity => "integrity constraint violated",
            Status::Internal => "internal error",
            Status::Io => "I/O error",
            Status::Cancelled => "cancelled",
            Status::Timeout => "timed out",
            Status::Unauthenticated => "unauthenticated",
            Status::Unauthorized => "unauthorized",
            Status::Busy => "busy (locked or deadlocked; retryable)",
            Status::NullArgument => "NULL argument",
            Status::Panic => "internal panic",
        }
    }
}

/// Whether running the failed call again could apply its statement twice.
/// Part of the C ABI (`keel_retry_safety`): numbers never change.
///
/// keel says `NotSent` only when it knows the statement never ran, and
/// `MayHaveRun` when a request went out and the connection failed before
/// its answer came back. An error the server answered with (a constraint,
/// a syntax error) is `Unknown`: the statement did not take effect, and
/// whether trying again helps is what the status says. `NotCommitted`
/// says more: the server ended the whole transaction the statement was in
/// without committing it (a deadlock, a serialization or certification
/// failure, a write refused by a server that is read-only), so running the
/// whole transaction again cannot apply it twice.
#[repr(i32)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RetrySafety {
    /// keel cannot say more than the status does.
    #[default]
    Unknown = 0,
    /// Nothing of the statement reached the server (it failed before
    /// sending: no connection, pool timeout, bad arguments, or a connection
    /// found dead before use), or only its preparation or a ping did: it
    /// did not run, and running it again cannot apply it twice.
    NotSent = 1,
    /// The statement was sent and the connection failed or timed out
    /// before its answer: it may have run, and even committed. Retrying a
    /// statement that is not idempotent may apply it twice.
    MayHaveRun = 2,
    /// The server answered that the transaction the statement was in did
    /// not commit and will not (it was rolled back, or can only be rolled
    /// back), or the session ended inside a transaction before the
    /// statement was sent (the server rolls that transaction back):
    /// nothing of it took effect. Running the whole transaction
    /// again (on another connection, for a write refused by a read-only
    /// server) cannot apply it twice; whether it can succeed is what the
    /// status says (`Busy`: try again).
    NotCommitted = 3,
}

/// An error from any layer: a portable status, a message with context, and
/// the engine's own details where it has them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    pub message: String,
    /// Five-character SQLSTATE, or empty when unknown.
    pub sqlstate: String,
    /// The engine's own error number (SQLite extended code, MySQL errno,
    /// SQL Server error number); 0 when there is none.
    pub vendor_code: i32,
    /// Which driver raised it (`"sqlite"`, ...), or `"keel"` for the core.
    pub driver: &'static str,
    /// Whether the statement can have run (see [`RetrySafety`]).
    pub retry: RetrySafety,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The longest prefix of a SQL string quoted in error messages, in chars.
const SQL_QUOTE_CHARS: usize = 80;

impl Error {
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
            sqlstate: String::new(),
            vendor_code: 0,
            driver: "keel",
            retry: RetrySafety::Unknown,
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }

    pub fn invalid_state(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidState, message)
    }

    pub fn invalid_data(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidData, message)
    }

    pub fn not_implemented(message: impl Into<String>) -> Error {
        Error::new(Status::NotImplemented, message)
    }

    pub fn with_sqlstate(mut self, sqlstate: &str) -> Error {
        self.sqlstate = sqlstate.to_owned();
        self
    }

    pub fn with_driver(mut self, driver: &'static str) -> Error {
        self.driver = driver;
        self
    }

    pub fn with_retry(mut self, retry: RetrySafety) -> Error {
        self.retry = retry;
        self
    }

    /// Whether the error is about the data a statement was given (a
    /// constraint, a value the engine refuses), not the session: a failed
    /// chunk of a batch may then run again row by row to find the row.
    pub fn about_the_data(&self) -> bool {
        matches!(self.status, Status::Integrity | Status::InvalidData | Status::InvalidArgument)
    }

    /// Mark an error raised before anything of the statement was sent as
    /// `NotSent`, unless it already says more.
    pub fn not_sent(self) -> Error {
        if self.retry == RetrySafety::Unknown { self.with_retry(RetrySafety::NotSent) } else { self }
    }

    /// Append the start of the SQL text the error is about.
    pub fn with_sql(mut self, sql: &str) -> Error {
        let mut quoted: String = sql.chars().take(SQL_QUOTE_CHARS).collect();
        if quoted.len() < sql.len() {
            quoted.push_str("...");
        }
        self.message = format!("{} (in SQL: \"{}\")", self.message, quoted);
        self
    }

    /// Prefix the message with where it happened (`"parameter 2"`).
    pub fn context(mut self, what: impl fmt::Display) -> Error {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if !self.sqlstate.is_empty() {
            write!(f, " [SQLSTATE {}]", self.sqlstate)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_numbers_are_frozen() {
        for (i, s) in Status::ALL.iter().enumerate() {
            assert_eq!(*s as i32, i as i32);
            assert_eq!(Status::from_i32(i as i32), Some(*s));
        }
        assert_eq!(Status::from_i32(-1), None);
        assert_eq!(Status::from_i32(18), None);
        assert_eq!(Status::Panic as i32, 17);
    }

    #[test]
    fn sql_is_quoted_and_cut() {
        let e = Error::invalid_argument("bad").with_sql(&"x".repeat(200));
        assert!(e.message.starts_with("bad (in SQL: \"xxxx"));
        assert!(e.message.ends_with("...\")"));
        let e = Error::invalid_argument("bad").with_sql("SELECT 1");
        assert_eq!(e.message, "bad (in SQL: \"SELECT 1\")");
    }
}
