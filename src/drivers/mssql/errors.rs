//! SQL Server errors → keel status. SQL Server sends an error number, not
//! a SQLSTATE; the SQLSTATE comes from [`TABLE`] (the states Microsoft's
//! ODBC driver reports for those numbers), and the number is kept as the
//! vendor code.

use crate::core::error::{Error, RetrySafety, Status};

/// Error number → (SQLSTATE, status). Numbers not listed fall back by
/// severity in [`classify`].
pub const TABLE: &[(u32, &str, Status)] = &[
    // integrity
    (2627, "23000", Status::Integrity), // PRIMARY KEY / UNIQUE constraint violated
    (2601, "23000", Status::Integrity), // duplicate key in a unique index
    (515, "23000", Status::Integrity),  // NULL into a NOT NULL column
    (547, "23000", Status::Integrity),  // FOREIGN KEY / CHECK constraint conflict
    // data
    (8152, "22001", Status::InvalidData), // string or binary data would be truncated
    (2628, "22001", Status::InvalidData), // the same, naming the column (2019+)
    (8115, "22003", Status::InvalidData), // arithmetic overflow
    (220, "22003", Status::InvalidData),  // arithmetic overflow for a type
    (232, "22003", Status::InvalidData),  // arithmetic overflow for a type
    (8134, "22012", Status::InvalidData), // divide by zero
    (241, "22007", Status::InvalidData),  // conversion failed: date/time from text
    (242, "22008", Status::InvalidData),  // date/time out of range
    (245, "22018", Status::InvalidData),  // conversion failed: text to a number
    (8114, "22018", Status::InvalidData), // error converting data type
    (8169, "22018", Status::InvalidData), // conversion to uniqueidentifier failed
    (9420, "22018", Status::InvalidData), // XML parsing: illegal character
    // syntax and names
    (102, "42000", Status::InvalidArgument), // incorrect syntax near ...
    (156, "42000", Status::InvalidArgument), // incorrect syntax near a keyword
    (105, "42000", Status::InvalidArgument), // unclosed quotation mark
    (170, "42000", Status::InvalidArgument), // incorrect syntax (line)
    (137, "42000", Status::InvalidArgument), // must declare the scalar variable
    (8144, "42000", Status::InvalidArgument), // too many arguments
    (201, "42000", Status::InvalidArgument), // procedure expects a parameter
    (208, "42S02", Status::NotFound),        // invalid object name
    (3701, "42S02", Status::NotFound),       // cannot drop: it does not exist
    (207, "42S22", Status::NotFound),        // invalid column name
    (2812, "42000", Status::NotFound),       // could not find stored procedure
    (2714, "42S01", Status::AlreadyExists),  // there is already an object named ...
    (1801, "42000", Status::AlreadyExists),  // database already exists
    // permissions and login
    (229, "42000", Status::Unauthorized), // permission denied on an object
    (230, "42000", Status::Unauthorized), // permission denied on a column
    (262, "42000", Status::Unauthorized), // permission denied in a database
    (300, "42000", Status::Unauthorized), // permission denied
    (18456, "28000", Status::Unauthenticated), // login failed
    (4060, "08004", Status::NotFound),         // cannot open the database of the login
    // transactions and locks
    (1205, "40001", Status::Busy),         // chosen as deadlock victim (the transaction is rolled back)
    (1222, "HYT00", Status::Busy),         // lock request time out
    (3960, "40001", Status::Busy),         // snapshot isolation update conflict
    (3902, "25000", Status::InvalidState), // COMMIT without BEGIN
    (3903, "25000", Status::InvalidState), // ROLLBACK without BEGIN
    (3930, "25000", Status::InvalidState), // the transaction cannot be committed
    (3906, "25006", Status::InvalidState), // the database is read-only
    (628, "25000", Status::InvalidState),  // SAVE TRANSACTION outside a transaction
    (6401, "3B001", Status::InvalidState), // no savepoint of that name
    (3952, "42000", Status::InvalidState), // snapshot isolation not enabled in the database
    (266, "25000", Status::InvalidState),  // mismatching BEGIN/COMMIT count
    // the session is gone
    (596, "08S01", Status::Io),  // the session is in the kill state
    (6005, "08S01", Status::Io), // SHUTDOWN is in progress
    (701, "HY001", Status::Internal), // out of memory
];

/// SQLSTATE and status of a server error.
pub fn classify(number: u32, class: u8) -> (&'static str, Status) {
    if let Some((_, state, status)) = TABLE.iter().find(|(n, _, _)| *n == number) {
        return (state, *status);
    }
    match class {
        // 20 and above end the session.
        20.. => ("08S01", Status::Io),
        17..=19 => ("HY000", Status::Internal),
        _ => ("42000", Status::Unknown),
    }
}

/// Whether an error number ends the session (or arrives with a class that
/// does): the pool must not hand the connection out again.
pub fn ends_session(number: u32, class: u8) -> bool {
    class >= 20 || matches!(number, 596 | 6005)
}

/// Convert a client error; `broken` says the connection is unusable.
pub fn convert(e: &tiberius::error::Error) -> (Error, bool) {
    use tiberius::error::Error as T;
    match e {
        T::Server(t) => {
            let (state, status) = classify(t.code(), t.class());
            (
                Error {
                    status,
                    message: t.message().to_owned(),
                    sqlstate: state.into(),
                    vendor_code: t.code() as i32,
                    driver: "mssql",
                    retry: RetrySafety::Unknown,
                },
                ends_session(t.code(), t.class()),
            )
        }
        T::Io { kind, message } => {
            let timeout = matches!(kind, std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock);
            (
                Error {
                    status: if timeout { Status::Timeout } else { Status::Io },
                    message: format!("connection to SQL Server failed: {message}"),
                    sqlstate: "08S01".into(),
                    vendor_code: 0,
                    driver: "mssql",
                    retry: RetrySafety::Unknown,
                },
                true,
            )
        }
        T::Conversion(m) | T::BulkInput(m) => (
            Error::invalid_argument(format!("SQL Server value conversion: {m}")).with_sqlstate("22018").with_driver("mssql"),
            false,
        ),
        T::Routing { host, port } => (
            Error::new(Status::Io, format!("SQL Server redirected the connection to {host}:{port} again"))
                .with_sqlstate("08001")
                .with_driver("mssql"),
            true,
        ),
        other => (
            Error::new(Status::Io, format!("SQL Server protocol: {other}")).with_sqlstate("08S01").with_driver("mssql"),
            true,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_number_table() {
        let cases = [
            (2627, 14, "23000", Status::Integrity),
            (2601, 14, "23000", Status::Integrity),
            (515, 16, "23000", Status::Integrity),
            (547, 16, "23000", Status::Integrity),
            (8152, 16, "22001", Status::InvalidData),
            (2628, 16, "22001", Status::InvalidData),
            (8115, 16, "22003", Status::InvalidData),
            (8134, 16, "22012", Status::InvalidData),
            (245, 16, "22018", Status::InvalidData),
            (241, 16, "22007", Status::InvalidData),
            (102, 15, "42000", Status::InvalidArgument),
            (156, 15, "42000", Status::InvalidArgument),
            (208, 16, "42S02", Status::NotFound),
            (207, 16, "42S22", Status::NotFound),
            (2714, 16, "42S01", Status::AlreadyExists),
            (229, 14, "42000", Status::Unauthorized),
            (18456, 14, "28000", Status::Unauthenticated),
            (1205, 13, "40001", Status::Busy),
            (1222, 16, "HYT00", Status::Busy),
            (3902, 16, "25000", Status::InvalidState),
            (6401, 16, "3B001", Status::InvalidState),
            (596, 21, "08S01", Status::Io),
            // Unlisted: by severity.
            (50000, 16, "42000", Status::Unknown),
            (9001, 21, "08S01", Status::Io),
            (823, 24, "08S01", Status::Io),
            (1105, 17, "HY000", Status::Internal),
        ];
        for (n, class, state, status) in cases {
            assert_eq!(classify(n, class), (state, status), "error {n}");
        }
        // Every SQLSTATE in the table is five characters.
        for (n, state, _) in TABLE {
            assert_eq!(state.len(), 5, "error {n}");
        }
        assert!(ends_session(596, 16) && ends_session(1, 20) && !ends_session(2627, 14));
    }
}
