//! Sending e-mail. Until an SMTP relay is wired in, messages are written as `.eml` files
//! into `data/outbox/`, where an operator (or a test) can read them.

use crate::config::Config;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{FileTransport, Message, Transport};

pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

pub fn send(config: &Config, mail: Mail) -> Result<(), String> {
    let from: Mailbox = config.mail.from.parse().map_err(|e| format!("MAIL_FROM: {e}"))?;
    let to: Mailbox = mail.to.parse().map_err(|e| format!("recipient {}: {e}", mail.to))?;
    let message =
        Message::builder().from(from).to(to).subject(mail.subject).header(ContentType::TEXT_PLAIN).body(mail.text).map_err(|e| e.to_string())?;
    let dir = config.outbox_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    FileTransport::new(&dir).send(&message).map_err(|e| e.to_string())?;
    Ok(())
}
