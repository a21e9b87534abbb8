//! Runs a TDS test peer until killed: `keel-tds-peer [--port N]` prints its
//! keel URL (`mssql://...`) on the first line of stdout. Used by the C and
//! Python test suites; the Rust tests start peers in-process.

fn main() {
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port needs a number"),
            other => {
                eprintln!("keel-tds-peer: unknown argument {other}; usage: keel-tds-peer [--port N]");
                std::process::exit(2);
            }
        }
    }
    let peer = keel_tds_peer::Peer::start_on(port, keel_tds_peer::Encryption::Offered).unwrap_or_else(|e| {
        eprintln!("keel-tds-peer: cannot listen: {e}");
        std::process::exit(1);
    });
    println!("{}", peer.url());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
