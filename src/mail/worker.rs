//! Delivering the outbox. A worker thread inside `serve` claims due messages, sends them
//! over SMTP (`SMTP_URL`) or, without it, writes them as `.eml` files into `data/outbox/`,
//! retries transient failures with backoff and marks permanent ones failed. It also makes
//! the deadline reminders and daily digests when they are due.

use crate::config::Config;
use crate::db::Pool;
use crate::domain::notify::{backoff, MAX_ATTEMPTS};
use crate::store::outbox::{self, Outcome};
use chrono::NaiveDateTime;
use lettre::message::header::{self, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{FileTransport, Message, SmtpTransport, Transport as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The time the worker goes by: the system's, or one a test sets.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<Mutex<NaiveDateTime>>>);

impl Clock {
    pub fn system() -> Clock {
        Clock(None)
    }

    pub fn fixed(at: NaiveDateTime) -> Clock {
        Clock(Some(Arc::new(Mutex::new(at))))
    }

    /// Moves a fixed clock; a system clock ignores it.
    pub fn set(&self, at: NaiveDateTime) {
        if let Some(fixed) = &self.0 {
            *fixed.lock().unwrap_or_else(|e| e.into_inner()) = at;
        }
    }

    /// Now, in UTC.
    pub fn now(&self) -> NaiveDateTime {
        match &self.0 {
            Some(fixed) => *fixed.lock().unwrap_or_else(|e| e.into_inner()),
            None => crate::store::now(),
        }
    }
}

/// Where messages go.
pub enum Transport {
    Smtp(Box<SmtpTransport>),
    Files(FileTransport),
}

/// Why a delivery did not happen: worth another try, or not.
pub struct SendError {
    pub permanent: bool,
    pub text: String,
}

impl Transport {
    pub fn from_config(config: &Config) -> Result<Transport, String> {
        match &config.mail.smtp_url {
            Some(url) => {
                let builder = SmtpTransport::from_url(url).map_err(|e| format!("SMTP_URL: {e}"))?;
                Ok(Transport::Smtp(Box::new(builder.timeout(Some(Duration::from_secs(20))).build())))
            }
            None => {
                let dir = config.outbox_dir();
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                Ok(Transport::Files(FileTransport::new(dir)))
            }
        }
    }

    fn send(&self, message: &Message) -> Result<(), SendError> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).map(|_| ()).map_err(|e| SendError { permanent: e.is_permanent(), text: e.to_string() }),
            Transport::Files(files) => files.send(message).map(|_| ()).map_err(|e| SendError { permanent: false, text: e.to_string() }),
        }
    }
}

/// `List-Unsubscribe`, which lettre has no type for.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl header::Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The message as it goes out: stable Message-ID, threaded on its case, text and HTML.
pub fn build(config: &Config, m: &outbox::Message) -> Result<Message, SendError> {
    let bad = |text: String| SendError { permanent: true, text };
    let from: Mailbox = config.mail.from.parse().map_err(|e| bad(format!("MAIL_FROM: {e}")))?;
    let to: Mailbox = m.recipient.parse().map_err(|e| bad(format!("recipient {}: {e}", m.recipient)))?;
    let mut builder = Message::builder().from(from).to(to).subject(m.subject.clone()).message_id(Some(m.message_id.clone()));
    if let Some(thread) = &m.thread_id {
        builder = builder.in_reply_to(thread.clone()).references(thread.clone());
    }
    if let Some(unsubscribe) = &m.list_unsubscribe {
        builder = builder.header(ListUnsubscribe(unsubscribe.clone()));
    }
    builder.multipart(MultiPart::alternative_plain_html(m.text_body.clone(), m.html_body.clone())).map_err(|e| bad(e.to_string()))
}

/// Messages sent per round at most, so that a stop is heard between rounds.
const ROUND: usize = 20;

/// Sends what is due now, claiming one message at a time (a claim of many would run out while
/// a slow relay takes the first ones, and another sender would send the rest again); returns
/// how many were sent.
pub fn deliver_due(pool: &Pool, config: &Config, transport: &Transport, owner: &str, now: NaiveDateTime) -> Result<usize, String> {
    let mut conn = crate::db::checkout(pool).map_err(|e| e.to_string())?;
    if !outbox::any_due(&mut conn, now).map_err(|e| e.to_string())? {
        return Ok(0);
    }
    let started = std::time::Instant::now();
    let mut sent = 0;
    for _ in 0..ROUND {
        // Each claim's lease runs from when it is made, however long the round has taken.
        let lease_until = now + started.elapsed() + config.mail.lease;
        let Some(message) = conn.write(|c| outbox::claim(c, owner, now, lease_until, 1)).map_err(|e| e.to_string())?.pop() else { break };
        let outcome = match build(config, &message).and_then(|mail| transport.send(&mail)) {
            Ok(()) => {
                sent += 1;
                Outcome::Sent
            }
            Err(e) if e.permanent || message.attempts + 1 >= MAX_ATTEMPTS => {
                log::warn!("mail {} to {} failed for good: {}", message.message_id, message.recipient, e.text);
                Outcome::Failed { error: e.text }
            }
            Err(e) => {
                let wait = backoff(message.attempts, config.mail.retry_base);
                log::info!("mail {} to {} not sent ({}); next try in {} s", message.message_id, message.recipient, e.text, wait.as_secs());
                Outcome::Retry { at: now + wait, error: e.text }
            }
        };
        conn.write(|c| outbox::settle(c, &message.id, owner, now, outcome)).map_err(|e| e.to_string())?;
    }
    Ok(sent)
}

/// Makes the reminders and digests that are due now.
pub fn scan(pool: &Pool, config: &Config, now: NaiveDateTime) -> Result<(), String> {
    let mut conn = crate::db::checkout(pool).map_err(|e| e.to_string())?;
    let lead = config.mail.reminder_working_days;
    conn.write(|c| crate::mail::notify::remind(c, config, now, lead)).map_err(|e| e.to_string())?;
    conn.write(|c| crate::mail::notify::digests(c, config, now)).map_err(|e| e.to_string())?;
    Ok(())
}

/// Upkeep that runs with the scan: the case text index merged into one piece.
fn tidy(pool: &Pool) -> Result<(), String> {
    let mut conn = crate::db::checkout(pool).map_err(|e| e.to_string())?;
    crate::store::cases::tidy_text_index(&mut conn).map_err(|e| e.to_string())
}

/// The background thread: sends mail, makes reminders and digests, and merges the case text
/// index; stops (and is waited for) when dropped.
pub struct Worker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    pub fn spawn(pool: Pool, config: Config, clock: Clock) -> Result<Worker, String> {
        let transport = Transport::from_config(&config)?;
        if matches!(transport, Transport::Files(_)) {
            log::warn!(
                "no SMTP_URL set: e-mail is written as .eml files into {} (for development: nothing is delivered, and password links lie on disk)",
                config.outbox_dir().display()
            );
        }
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let owner = crate::store::new_id();
        let thread = std::thread::Builder::new()
            .name("mail".into())
            .spawn(move || {
                let mut next_scan = clock.now();
                while !stopping.load(Ordering::Relaxed) {
                    let now = clock.now();
                    if now >= next_scan {
                        if let Err(e) = scan(&pool, &config, now) {
                            crate::db::note_failure();
                            log::error!("reminders and digests: {e}");
                        }
                        if let Err(e) = tidy(&pool) {
                            crate::db::note_failure();
                            log::error!("merging the case text index: {e}");
                        }
                        next_scan = now + config.mail.scan;
                    }
                    if let Err(e) = deliver_due(&pool, &config, &transport, &owner, clock.now()) {
                        // The database may have restarted: the next connections are tested.
                        crate::db::note_failure();
                        log::error!("mail delivery: {e}");
                    }
                    sleep_unless_stopped(&stopping, config.mail.poll);
                }
            })
            .map_err(|e| format!("cannot start the mail worker: {e}"))?;
        Ok(Worker { stop, thread: Some(thread) })
    }
}

fn sleep_unless_stopped(stop: &AtomicBool, total: Duration) {
    let step = Duration::from_millis(20);
    let mut slept = Duration::ZERO;
    while slept < total && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(step.min(total - slept));
        slept += step;
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
