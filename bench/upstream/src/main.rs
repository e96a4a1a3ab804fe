//! The benchmark's signup service: an HTTP/1.1 server that reads every request body in full
//! (`content-length` or chunked) before it answers, and keeps connections alive, as a real
//! service behind Envoy does. An upstream that answered before reading the body would make
//! passthrough look slower than a filter that buffers it (docs: engineering notes).
//!
//! `bench-upstream ADDR` (e.g. `127.0.0.1:18080`). `GET /stats` answers the requests and body
//! bytes received so far, so the benchmark can check that what it measured really went through.
//! A thread per connection: Envoy keeps a handful of pooled connections, and blocking reads
//! cost less CPU here than an event loop would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    body_bytes: AtomicU64,
}

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18080".to_string());
    let listener = match TcpListener::bind(&addr) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench-upstream: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    let counters = Arc::new(Counters::default());
    for stream in listener.incoming().flatten() {
        let counters = Arc::clone(&counters);
        std::thread::spawn(move || {
            // A connection that breaks mid-request just ends; the client sees the error.
            let _ = serve(stream, &counters);
        });
    }
}

fn serve(stream: TcpStream, counters: &Counters) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let mut line = String::new();
    let mut body = Vec::with_capacity(16 * 1024);
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(()); // the peer closed a kept-alive connection
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let (mut length, mut chunked, mut close) = (0usize, false, false);
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse().map_err(|_| bad("bad content-length"))?;
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.eq_ignore_ascii_case("chunked");
                } else if name.eq_ignore_ascii_case("connection") {
                    close = value.eq_ignore_ascii_case("close");
                }
            }
        }
        body.clear();
        if chunked {
            read_chunked(&mut reader, &mut body, &mut line)?;
        } else {
            body.resize(length, 0);
            reader.read_exact(&mut body)?;
        }
        let answer = if method == "GET" && path == "/stats" {
            format!(
                "{{\"requests\":{},\"body_bytes\":{}}}",
                counters.requests.load(Ordering::Relaxed),
                counters.body_bytes.load(Ordering::Relaxed)
            )
        } else {
            counters.requests.fetch_add(1, Ordering::Relaxed);
            counters
                .body_bytes
                .fetch_add(body.len() as u64, Ordering::Relaxed);
            format!("{{\"received\":{}}}", body.len())
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        writer.write_all(response.as_bytes())?;
        if close {
            return Ok(());
        }
    }
}

fn read_chunked(
    reader: &mut BufReader<TcpStream>,
    body: &mut Vec<u8>,
    line: &mut String,
) -> std::io::Result<()> {
    loop {
        line.clear();
        reader.read_line(line)?;
        let size = line.trim_end().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size.trim(), 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                line.clear();
                if reader.read_line(line)? == 0 || line.trim_end().is_empty() {
                    return Ok(());
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        line.clear();
        reader.read_line(line)?; // the CRLF after the chunk
    }
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what)
}
