//! A real SMTP server inside the test (mailin-embedded on port 0) that keeps what it
//! receives and can refuse mail for a while, as a relay that is down would.

use mailin_embedded::{response, Handler, Response, Server, SslConfig};
use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One message as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

impl Received {
    /// A header, decoded (RFC 2047).
    pub fn header(&self, name: &str) -> Option<String> {
        let parsed = mailparse::parse_mail(&self.raw).expect("a parseable message");
        mailparse::MailHeaderMap::get_first_value(&parsed.headers[..], name)
    }

    /// The plain-text part.
    pub fn text(&self) -> String {
        super::helpers::plain_text(&self.raw)
    }
}

#[derive(Clone)]
struct Capture {
    to: Vec<String>,
    data: Vec<u8>,
    received: Arc<Mutex<Vec<Received>>>,
    refusing: Arc<AtomicBool>,
    rejecting: Arc<AtomicBool>,
    /// Milliseconds the server takes over each message, as a slow relay would.
    delay_ms: Arc<AtomicU64>,
}

impl Handler for Capture {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        if self.rejecting.load(Ordering::SeqCst) {
            return response::TRANSACTION_FAILED;
        }
        if self.refusing.load(Ordering::SeqCst) {
            return response::INTERNAL_ERROR;
        }
        self.to.clear();
        self.data.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        self.to.push(to.trim_matches(|c| c == '<' || c == '>').to_owned());
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        std::thread::sleep(std::time::Duration::from_millis(self.delay_ms.load(Ordering::SeqCst)));
        let message = Received { to: std::mem::take(&mut self.to), raw: std::mem::take(&mut self.data) };
        self.received.lock().unwrap().push(message);
        response::OK
    }
}

pub struct SmtpServer {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    refusing: Arc<AtomicBool>,
    rejecting: Arc<AtomicBool>,
    delay_ms: Arc<AtomicU64>,
}

impl SmtpServer {
    /// Starts a server on a free port; `refusing` makes it answer 451 to every message.
    pub fn start(refusing: bool) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let refusing = Arc::new(AtomicBool::new(refusing));
        let rejecting = Arc::new(AtomicBool::new(false));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let handler = Capture {
            to: Vec::new(),
            data: Vec::new(),
            received: received.clone(),
            refusing: refusing.clone(),
            rejecting: rejecting.clone(),
            delay_ms: delay_ms.clone(),
        };
        let mut server = Server::new(handler);
        server.with_name("smtp.test").with_ssl(SslConfig::None).expect("no TLS").with_tcp_listener(listener);
        // The server runs until the test process ends.
        std::thread::spawn(move || {
            if let Err(e) = server.serve() {
                eprintln!("test SMTP server stopped: {e}");
            }
        });
        SmtpServer { url: format!("smtp://127.0.0.1:{port}"), received, refusing, rejecting, delay_ms }
    }

    /// From now on the server takes mail.
    pub fn accept(&self) {
        self.refusing.store(false, Ordering::SeqCst);
        self.rejecting.store(false, Ordering::SeqCst);
    }

    /// From now on the server takes `ms` milliseconds over each message.
    pub fn slow_down(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// From now on the server refuses every message for good (554).
    pub fn reject_permanently(&self) {
        self.rejecting.store(true, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to ten seconds) until at least `count` messages have arrived.
    pub fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..500 {
            let all = self.received();
            if all.len() >= count {
                return all;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let all = self.received();
        panic!("expected {count} messages, got {}: {:?}", all.len(), all.iter().map(|m| m.header("Subject")).collect::<Vec<_>>());
    }
}
