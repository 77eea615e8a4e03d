//! The server on a real socket: `run_blocking` binds (port 0), says where, and serves; over an
//! archive directory that does not exist yet it serves the first-steps page.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use tgscope_server::run_blocking;

use crate::support::{archive, config};

#[test]
fn a_missing_archive_directory_serves_the_first_steps_page() {
    let tmp = tempfile::TempDir::new().expect("tmp");
    let missing = tmp.path().join("no-such-archive");
    let page = get_over_socket(missing.clone(), tmp, "/");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("<section id=\"empty\">"), "{page}");
    assert!(page.contains("Nothing archived yet"), "{page}");
    assert!(
        page.contains("no-such-archive"),
        "the page names the directory: {page}"
    );
    assert!(!missing.exists(), "serving never creates the archive");
}

/// Starts `run_blocking` over `dir` on a free port and returns the raw HTTP response to
/// `GET path`. The server runs until the test process ends (it stops on Ctrl-C only), holding
/// `keep` (the temporary directory) as long.
fn get_over_socket(dir: PathBuf, keep: impl Send + 'static, path: &str) -> String {
    let (ready, address) = mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let _keep = keep;
        let result = run_blocking(config(&dir), "127.0.0.1:0".parse().expect("addr"), |addr| {
            ready.send(addr).expect("report the address");
        });
        if let Err(e) = result {
            panic!("server failed: {e}");
        }
    });
    let addr = address
        .recv_timeout(Duration::from_secs(60))
        .expect("the server said where it listens");
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
}

#[test]
fn run_blocking_serves_pages_on_the_port_it_reports() {
    let a = archive();
    let response = get_over_socket(a.dir.clone(), a, "/search?q=harbor");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("content-security-policy: default-src 'self'")
    );
    assert!(
        response.contains("<p id=\"total\">3 posts match</p>"),
        "{response}"
    );
}
