//! PostgreSQL errors → keel status. The server's SQLSTATE is kept as is;
//! the vendor code is 0 (PostgreSQL's own code is the SQLSTATE).

use crate::core::error::{Error, RetrySafety, Status};

/// Status for a SQLSTATE.
pub fn status_for(sqlstate: &str) -> Status {
    match sqlstate {
        "40001" | "40P01" | "55P03" => Status::Busy,
        "57014" => Status::Cancelled,
        "42501" => Status::Unauthorized,
        "28000" | "28P01" => Status::Unauthenticated,
        // Undefined database, table, function, column, object (an index,
        // a type, a constraint), schema.
        "3D000" | "42P01" | "42883" | "42703" | "42704" | "3F000" => Status::NotFound,
        // Duplicate database, table, object, function, column, schema.
        "42P04" | "42P07" | "42710" | "42723" | "42701" | "42P06" => Status::AlreadyExists,
        // Sessions the server ends: terminated by an administrator, a
        // shutdown, a server not accepting them yet, a dropped database,
        // idle_session_timeout and idle_in_transaction_session_timeout
        // (which are no cancel and no transaction state: the session is
        // gone).
        "57P01" | "57P02" | "57P03" | "57P04" | "57P05" | "25P03" => Status::Io,
        _ => match &sqlstate[..sqlstate.len().min(2)] {
            "23" => Status::Integrity,
            "42" => Status::InvalidArgument,
            "22" => Status::InvalidData,
            "08" => Status::Io,
            "25" | "2D" | "3B" => Status::InvalidState,
            "0A" => Status::NotImplemented,
            "53" | "54" | "XX" => Status::Internal,
            "57" => Status::Cancelled,
            _ => Status::Unknown,
        },
    }
}

/// Whether an error with this SQLSTATE means the session is gone: a
/// connection exception, or the server shutting it down or terminating it.
pub fn ends_session(sqlstate: &str) -> bool {
    sqlstate.starts_with("08") || matches!(sqlstate, "57P01" | "57P02" | "57P03")
}

/// Convert a client error: server errors keep SQLSTATE, message, detail
/// and hint; others (network, protocol) become IO errors.
pub fn convert(e: &tokio_postgres::Error) -> Error {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let mut msg = db.message().to_owned();
        if let Some(d) = db.detail() {
            msg.push_str(&format!(" (detail: {d})"));
        }
        if let Some(h) = db.hint() {
            msg.push_str(&format!(" (hint: {h})"));
        }
        // Where the server was: the function and line of PL/pgSQL, or the
        // line of a COPY, which is the row (`copy::copy_row`).
        if let Some(w) = db.where_() {
            msg.push_str(&format!(" (context: {w})"));
        }
        // 57014 is both a cancel and a statement timeout; the server's
        // message tells them apart (in its default English messages; a
        // translated server falls back to CANCELLED).
        let status = if code == "57014" && db.message().contains("statement timeout") {
            Status::Timeout
        } else {
            status_for(code)
        };
        // A prepared statement that vanished, or a name taken already: what
        // a pooler in transaction mode does to named statements.
        if matches!(code, "26000" | "42P05") {
            msg.push_str(
                " (if a pooler in transaction mode, such as PgBouncer with pool_mode=transaction, is between keel \
                 and the server, set the option prepared_statements=unnamed)",
            );
        }
        // The server ended the whole transaction without committing it: a
        // serialization failure or deadlock (class 40), or a write a
        // read-only server refused (25006, a standby after a failover).
        let retry = if code.starts_with("40") || code == "25006" { RetrySafety::NotCommitted } else { RetrySafety::Unknown };
        return Error {
            status,
            message: msg,
            sqlstate: code.to_owned(),
            vendor_code: 0,
            driver: "postgres",
            retry,
        };
    }
    // Our own parameter-encoding errors travel inside the client's error.
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(k) = s.downcast_ref::<Error>() {
            return k.clone();
        }
        source = s.source();
    }
    let mut hint = "";
    let (status, sqlstate) = if let Some(tls) = tls_error(e) {
        // A server that fails the certificate check has not proved who it
        // is, and a server that refuses ours says we have not; other
        // handshake failures are connection failures.
        match tls {
            rustls::Error::InvalidCertificate(_) => (Status::Unauthenticated, "08001"),
            rustls::Error::AlertReceived(a) if crate::drivers::tls::refuses_client_certificate(a) => {
                hint = " (the server refused the client certificate: sslcert/sslkey must hold a certificate it trusts, and its key)";
                (Status::Unauthenticated, "08001")
            }
            _ => (Status::Io, "08001"),
        }
    } else if e.is_closed() {
        (Status::Io, "08006")
    } else if e.to_string().contains("timed out") {
        (Status::Timeout, "08001")
    } else {
        (Status::Io, "08000")
    };
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message.push_str(hint);
    Error {
        status,
        message,
        sqlstate: sqlstate.into(),
        vendor_code: 0,
        driver: "postgres",
        retry: RetrySafety::Unknown,
    }
}

/// The rustls error inside a client error, if the TLS handshake failed.
fn tls_error(e: &tokio_postgres::Error) -> Option<&rustls::Error> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && let Some(t) = io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(t);
        }
        source = s.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstate_table() {
        let cases = [
            ("23505", Status::Integrity),
            ("23503", Status::Integrity),
            ("42601", Status::InvalidArgument),
            ("42P01", Status::NotFound),
            ("42704", Status::NotFound),
            ("57P05", Status::Io),
            ("25P03", Status::Io),
            ("42701", Status::AlreadyExists),
            ("42501", Status::Unauthorized),
            ("40001", Status::Busy),
            ("40P01", Status::Busy),
            ("57014", Status::Cancelled),
            ("28P01", Status::Unauthenticated),
            ("22003", Status::InvalidData),
            ("08006", Status::Io),
            ("25006", Status::InvalidState),
            ("0A000", Status::NotImplemented),
            ("3D000", Status::NotFound),
            ("XX000", Status::Internal),
            ("P0001", Status::Unknown),
        ];
        for (code, status) in cases {
            assert_eq!(status_for(code), status, "{code}");
        }
    }

    #[test]
    fn session_ending_states() {
        for code in ["08006", "08000", "57P01", "57P02", "57P03"] {
            assert!(ends_session(code), "{code}");
        }
        for code in ["57014", "23505", "25P02", "40001"] {
            assert!(!ends_session(code), "{code}");
        }
    }
}
