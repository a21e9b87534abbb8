//! MySQL/MariaDB errors → keel status. The server's SQLSTATE and errno are
//! kept (errno as the vendor code).

use crate::core::error::{Error, RetrySafety, Status};

/// Server errors after which the session is gone: the connection was
/// killed (1927), the server is shutting down (1053), it closed an idle
/// session (4031), or it is a Galera node that is not part of the
/// cluster's primary component (1047, "WSREP has not yet prepared node
/// for application use"): its session is of no use until it rejoins, so
/// the pool discards it and the next connection goes to a node that is.
pub fn ends_session(code: u16) -> bool {
    matches!(code, 1047 | 1053 | 1927 | 4031)
}

/// Whether the error shows the server refused the command before running
/// it (it closed an idle session: 4031; a Galera node that left the
/// cluster: 1047), so nothing ran.
pub fn closed_before_use(e: &mysql::Error) -> bool {
    matches!(e, mysql::Error::MySqlError(m) if m.code == 4031 || m.code == 1047)
}

/// Status for a server error number, falling back to its SQLSTATE class.
pub fn status_for(code: u16, sqlstate: &str) -> Status {
    match code {
        c if ends_session(c) => Status::Io,
        1062 | 1048 | 1451 | 1452 | 1216 | 1217 | 1557 | 3819 | 4025 => Status::Integrity,
        1213 | 1205 | 1614 => Status::Busy,
        1045 | 1698 => Status::Unauthenticated,
        1044 | 1142 | 1143 | 1227 => Status::Unauthorized,
        // Unknown database, table (1146; 1051 from DROP TABLE), column,
        // routine, key or column to drop (1091), database to drop (1008),
        // trigger (1360).
        1049 | 1146 | 1051 | 1054 | 1305 | 1091 | 1008 | 1360 => Status::NotFound,
        // Table, database, key, column (1060), routine (1304) or trigger
        // (1359) that exists already.
        1050 | 1007 | 1061 | 1060 | 1304 | 1359 => Status::AlreadyExists,
        1317 => Status::Cancelled,
        1969 | 3024 => Status::Timeout,
        1264 | 1406 | 1292 | 1366 | 1690 => Status::InvalidData,
        1792 => Status::InvalidState,
        _ => match &sqlstate[..sqlstate.len().min(2)] {
            "23" => Status::Integrity,
            "42" => Status::InvalidArgument,
            "22" => Status::InvalidData,
            "08" => Status::Io,
            "28" => Status::Unauthenticated,
            "40" => Status::Busy,
            "25" => Status::InvalidState,
            "0A" => Status::NotImplemented,
            "70" => Status::Cancelled,
            _ => Status::Unknown,
        },
    }
}

/// Convert a client error. Network-level errors come back with
/// `broken = true`: the session is unusable and must be discarded.
pub fn convert(e: &mysql::Error) -> (Error, bool) {
    // The crate reports socket errors directly or inside its packet codec's
    // error.
    let io = match e {
        mysql::Error::IoError(io) => Some(io),
        mysql::Error::CodecError(c) => std::error::Error::source(c).and_then(|s| s.downcast_ref::<std::io::Error>()),
        _ => None,
    };
    if let Some(io) = io {
        let timeout = matches!(io.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock);
        let message = if timeout {
            format!("the MySQL server sent nothing for socket_timeout_ms ({io})")
        } else {
            format!("connection to the MySQL server failed: {io}")
        };
        let status = if timeout { Status::Timeout } else { Status::Io };
        let err = Error::new(status, message).with_sqlstate("08S01").with_driver("mysql");
        return (err, true);
    }
    match e {
        mysql::Error::MySqlError(m) => (
            Error {
                status: status_for(m.code, &m.state),
                message: m.message.clone(),
                sqlstate: m.state.clone(),
                vendor_code: m.code as i32,
                driver: "mysql",
                // A deadlock (InnoDB's, or a Galera certification failure
                // at commit) rolls the whole transaction back.
                retry: if m.code == 1213 { RetrySafety::NotCommitted } else { RetrySafety::Unknown },
            },
            ends_session(m.code),
        ),
        // The crate's Display wraps each kind in its name and braces
        // ("DriverError { ... }"): the inner error's own text reads better.
        mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(d)) => (
            Error {
                status: Status::Io,
                message: match d {
                    Some((addr, why, _)) => format!("could not connect to the MySQL server at {addr}: {why}"),
                    None => "could not connect to the MySQL server: no address".to_owned(),
                },
                sqlstate: "08001".into(),
                vendor_code: 0,
                driver: "mysql",
                retry: RetrySafety::NotSent,
            },
            true,
        ),
        other => (
            Error {
                status: Status::Io,
                message: match other {
                    mysql::Error::DriverError(d) => d.to_string(),
                    mysql::Error::UrlError(u) => u.to_string(),
                    _ => other.to_string(),
                },
                sqlstate: "HY000".into(),
                vendor_code: 0,
                driver: "mysql",
                retry: RetrySafety::Unknown,
            },
            matches!(other, mysql::Error::DriverError(_) | mysql::Error::CodecError(_)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_table() {
        let cases = [
            (1062, "23000", Status::Integrity),
            (1048, "23000", Status::Integrity),
            (1452, "23000", Status::Integrity),
            (1213, "40001", Status::Busy),
            (1205, "HY000", Status::Busy),
            (1045, "28000", Status::Unauthenticated),
            (1142, "42000", Status::Unauthorized),
            (1146, "42S02", Status::NotFound),
            (1051, "42S02", Status::NotFound),
            (1091, "42000", Status::NotFound),
            (1060, "42S21", Status::AlreadyExists),
            (1064, "42000", Status::InvalidArgument),
            (1317, "70100", Status::Cancelled),
            (1969, "70100", Status::Timeout),
            (1264, "22003", Status::InvalidData),
            (1406, "22001", Status::InvalidData),
            (9999, "HY000", Status::Unknown),
            (1927, "70100", Status::Io),
            (1053, "08S01", Status::Io),
            (9998, "23000", Status::Integrity),
        ];
        for (code, state, status) in cases {
            assert_eq!(status_for(code, state), status, "{code}");
        }
    }
}
