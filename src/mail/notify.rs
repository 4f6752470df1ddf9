//! Turns what happens into queued e-mail, inside the transaction that makes it happen: case
//! events, published review bases, account mail, deadline reminders and daily digests. The
//! rules of who and when are in `domain::notify`; delivery is `mail::Worker`'s.

use crate::config::Config;
use crate::domain::access::Role;
use crate::domain::calendar::add_working_days;
use crate::domain::ladder::{EventKind, Level, ReviewerOrg, Side, Status, WaitingFor};
use crate::domain::notify::{self, Audience, MessageKind, Preference, Reminder};
use crate::store::cases::{self, CaseRow, Party};
use crate::store::outbox::{self, NewMessage};
use crate::store::users::{self, Recipient};
use crate::store::{DbConn, QueryResult};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};

/// The body of every message, in plain text and HTML: a headline, facts, one link.
struct Body<'a> {
    headline: &'a str,
    lines: &'a [String],
    link: Option<(&'a str, &'a str)>,
    /// (text, address) pairs, for the digest.
    items: &'a [(String, String)],
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct TextMail<'a> {
    body: &'a Body<'a>,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct HtmlMail<'a> {
    body: &'a Body<'a>,
}

const FOOTER: &str = "Meddelandet kommer från Tvistetrappa. Det innehåller inga patientuppgifter; läs ärendet i tjänsten.";

/// The domain of the sender's address, for Message-IDs.
pub fn mail_domain(config: &Config) -> String {
    let from = &config.mail.from;
    let address = from.rsplit('<').next().unwrap_or(from).trim_end_matches('>');
    address.rsplit('@').next().filter(|d| !d.is_empty()).unwrap_or("tvistetrappa.invalid").to_owned()
}

struct Queued<'a> {
    kind: MessageKind,
    case_id: Option<&'a str>,
    subject: &'a str,
    body: Body<'a>,
    thread_id: Option<&'a str>,
    list_unsubscribe: Option<&'a str>,
}

/// Renders and queues one message per recipient; a recipient with `dedupe` gets the key
/// suffixed with their address. Returns how many were queued.
fn queue(conn: &mut DbConn, config: &Config, mail: &Queued, to: &[String], dedupe: Option<&str>, now: NaiveDateTime) -> QueryResult<usize> {
    let text = TextMail { body: &mail.body }.render().expect("mail templates render");
    let html = HtmlMail { body: &mail.body }.render().expect("mail templates render");
    let domain = mail_domain(config);
    let mut queued = 0;
    for recipient in to {
        let key = dedupe.map(|d| format!("{d}:{recipient}"));
        let message = NewMessage {
            kind: mail.kind,
            case_id: mail.case_id,
            recipient,
            subject: mail.subject,
            text_body: &text,
            html_body: &html,
            thread_id: mail.thread_id,
            list_unsubscribe: mail.list_unsubscribe,
            dedupe_key: key.as_deref(),
        };
        queued += usize::from(outbox::enqueue(conn, &message, &domain, now)?);
    }
    Ok(queued)
}

fn unique_emails(recipients: impl IntoIterator<Item = Recipient>) -> Vec<String> {
    let mut emails: Vec<String> = recipients.into_iter().map(|r| r.email).collect();
    emails.sort();
    emails.dedup();
    emails
}

fn case_link(config: &Config, case: &CaseRow) -> String {
    format!("{}/arenden/{}", config.base_url, case.number)
}

/// A case's thread: every message about it refers to the same root.
fn thread_id(case: &CaseRow, config: &Config) -> String {
    format!("<arende-{}@{}>", case.id, mail_domain(config))
}

/// The facts of a case a message may carry: no title or text (they could hold patient
/// details), only the number, kind, level, who is due and by when.
fn case_facts(case: &CaseRow) -> Vec<String> {
    let mut lines = vec![format!("Ärende: {} ({})", case.number, case.kind.label()), format!("Nivå: {}", case.level.label())];
    if case.status != Status::Closed {
        lines.push(format!("Väntar på: {}", case.waiting_for.label()));
        if let Some(deadline) = case.deadline_on {
            lines.push(format!("Svarsfrist: {deadline}"));
        }
    }
    lines
}

/// The people and functional mailboxes of the party organisations (of one side, or all).
fn party_recipients(conn: &mut DbConn, parties: &[Party], side: Option<Side>) -> QueryResult<Vec<Recipient>> {
    let ids: Vec<String> = parties.iter().filter(|p| side.is_none_or(|s| p.side == s)).map(|p| p.organisation_id.clone()).collect();
    users::recipients_in(conn, &ids)
}

/// The people who handle what a case waits for at the county (reviewers, the steering
/// group, the secretariat); nobody for the parties' own levels or the court.
fn handlers(conn: &mut DbConn, waiting: WaitingFor) -> QueryResult<Vec<Recipient>> {
    match waiting {
        WaitingFor::Reviewers => reviewers(conn, &[ReviewerOrg::Storsthlm, ReviewerOrg::Hsf]),
        WaitingFor::SteeringGroup => users::recipients_with_role(conn, Role::Steering, None),
        WaitingFor::Vis => users::recipients_with_role(conn, Role::Secretariat, None),
        _ => Ok(Vec::new()),
    }
}

/// The officers of Storsthlm and/or HSF: a reviewer role elsewhere does not count (§3.1).
fn reviewers(conn: &mut DbConn, of: &[ReviewerOrg]) -> QueryResult<Vec<Recipient>> {
    let ids: Vec<&str> = of.iter().map(|o| o.as_str()).collect();
    users::recipients_with_role(conn, Role::Reviewer, Some(&ids))
}

/// The parties (of one side, or all) and whoever handles `level` at the county.
fn parties_and_level(conn: &mut DbConn, parties: &[Party], side: Option<Side>, level: Level) -> QueryResult<Vec<Recipient>> {
    let mut all = party_recipients(conn, parties, side)?;
    if let Some(waiting) = notify::handles_level(level) {
        all.extend(handlers(conn, waiting)?);
    }
    Ok(all)
}

fn case_subject(case: &CaseRow, headline: &str) -> String {
    format!("{}: {headline}", case.number)
}

/// Queues one message about a case to each recipient, threaded on the case, with its facts
/// and a link to it.
fn queue_case_mail(
    conn: &mut DbConn,
    config: &Config,
    case: &CaseRow,
    kind: MessageKind,
    headline: &str,
    recipients: Vec<Recipient>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let subject = case_subject(case, headline);
    let thread = thread_id(case, config);
    let link = case_link(config, case);
    let lines = case_facts(case);
    let mail = Queued {
        kind,
        case_id: Some(&case.id),
        subject: &subject,
        body: Body { headline, lines: &lines, link: Some(("Öppna ärendet", &link)), items: &[], footer: FOOTER },
        thread_id: Some(&thread),
        list_unsubscribe: None,
    };
    queue(conn, config, &mail, &unique_emails(recipients), None, now)
}

/// Queues what a case event means for mail: essential notices at once to everyone in the
/// audience (functional mailboxes too); the rest by each user's preference. The one who
/// acted is not told about their own action.
pub fn case_event(conn: &mut DbConn, config: &Config, number: &str, event: EventKind, actor_id: &str, now: NaiveDateTime) -> QueryResult<()> {
    let Some((case, parties, _)) = cases::with_parties(conn, number)? else { return Ok(()) };
    let level = case.level;
    let Some(notice) = notify::case_notice(event, level) else { return Ok(()) };
    let mut recipients = match notice.audience {
        Audience::CounterpartsAndLevel(level) => parties_and_level(conn, &parties, Some(Side::Counterpart), level)?,
        Audience::OtherReviewer => match case.escalation_requested_by.as_deref().and_then(ReviewerOrg::parse) {
            Some(asked) => reviewers(conn, &[asked.other()])?,
            None => Vec::new(),
        },
        Audience::Parties => party_recipients(conn, &parties, None)?,
        Audience::PartiesAndLevel(level) => parties_and_level(conn, &parties, None, level)?,
    };
    recipients.retain(|r| r.user_id.as_deref() != Some(actor_id));
    let immediate: Vec<Recipient> = if notice.essential {
        recipients
    } else {
        let subject = case_subject(&case, notice.headline);
        let mut now_list = Vec::new();
        for r in recipients {
            match (r.preference, &r.user_id) {
                (Preference::Immediate, Some(_)) => now_list.push(r),
                (Preference::Digest, Some(user)) => outbox::add_digest_item(conn, user, &case.id, &subject, now)?,
                // Functional mailboxes get only what asks for action.
                _ => {}
            }
        }
        now_list
    };
    queue_case_mail(conn, config, &case, MessageKind::Case, notice.headline, immediate, now)?;
    Ok(())
}

/// A month's review basis is published: each paying unit's organisation is told, with the
/// last day to answer.
pub fn review_published(
    conn: &mut DbConn,
    config: &Config,
    month: &str,
    organisation_ids: &[String],
    closes: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let recipients = users::recipients_in(conn, organisation_ids)?;
    let subject = format!("Granskningsunderlag för {month} att granska senast {closes}");
    let link = format!("{}/granskning", config.base_url);
    let lines = vec![
        format!("HSF har publicerat granskningsunderlaget för betalningsansvaret {month}."),
        format!("Godkänn eller ifrågasätt underlaget senast {closes}."),
    ];
    let mail = Queued {
        kind: MessageKind::ReviewBasis,
        case_id: None,
        subject: &subject,
        body: Body {
            headline: "Granskningsunderlag publicerat",
            lines: &lines,
            link: Some(("Granska underlaget", &link)),
            items: &[],
            footer: FOOTER,
        },
        thread_id: None,
        list_unsubscribe: None,
    };
    queue(conn, config, &mail, &unique_emails(recipients), None, now)
}

/// Account mail (a password reset, a welcome): one recipient, one link.
pub fn account_mail(
    conn: &mut DbConn,
    config: &Config,
    to: &str,
    subject: &str,
    lines: &[String],
    link: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let mail = Queued {
        kind: MessageKind::Account,
        case_id: None,
        subject,
        body: Body { headline: subject, lines, link: Some(("Öppna länken", link)), items: &[], footer: "Meddelandet kommer från Tvistetrappa." },
        thread_id: None,
        list_unsubscribe: None,
    };
    queue(conn, config, &mail, &[to.to_owned()], None, now)?;
    Ok(())
}

/// Cases per reminder run at most, so that a backlog is worked off gradually.
const REMINDER_BATCH: i64 = 500;

/// Reminds the party that is due of deadlines `lead` working days away or passed, once per
/// case, level and deadline; only within office hours of a working day. Returns the cases
/// reminded.
pub fn remind(conn: &mut DbConn, config: &Config, now_utc: NaiveDateTime, lead: u32) -> QueryResult<usize> {
    let local = crate::store::stockholm_time(&now_utc);
    if !notify::in_office_hours(local) {
        return Ok(0);
    }
    let today = local.date();
    let mut reminded = 0;
    let yesterday = today.pred_opt().unwrap_or(today);
    for (kind, from, to) in [(Reminder::Overdue, None, yesterday), (Reminder::Near, Some(today), add_working_days(today, lead))] {
        for case in cases::due_for_reminder(conn, from, to, kind.as_str(), REMINDER_BATCH)? {
            let Some(deadline) = case.deadline_on else { continue };
            if notify::reminder(deadline, today, lead) != Some(kind) {
                continue;
            }
            if !outbox::mark_reminded(conn, &case.id, kind.as_str(), case.level.as_str(), deadline, now_utc)? {
                continue;
            }
            let parties = cases::parties(conn, &case.id)?;
            let recipients = match case.waiting_for {
                WaitingFor::Counterpart => party_recipients(conn, &parties, Some(Side::Counterpart))?,
                WaitingFor::Filer => party_recipients(conn, &parties, Some(Side::Filer))?,
                waiting => handlers(conn, waiting)?,
            };
            queue_case_mail(conn, config, &case, MessageKind::Reminder, kind.headline(), recipients, now_utc)?;
            reminded += 1;
        }
    }
    Ok(reminded)
}

/// Sends each user with waiting lines one digest per working day, within office hours.
/// Returns the digests queued.
pub fn digests(conn: &mut DbConn, config: &Config, now_utc: NaiveDateTime) -> QueryResult<usize> {
    let local = crate::store::stockholm_time(&now_utc);
    if !notify::in_office_hours(local) {
        return Ok(0);
    }
    let preferences = format!("{}/konto/aviseringar", config.base_url);
    let unsubscribe = format!("<{preferences}>");
    let mut sent = 0;
    for user_id in outbox::digest_users(conn)? {
        let Some(user) = users::get(conn, &user_id)? else { continue };
        let lines = outbox::digest_lines(conn, &user_id)?;
        if !user.active || users::preference(conn, &user_id)? != Preference::Digest {
            // Lines kept for someone who has since chosen otherwise are not sent.
            outbox::mark_digested(conn, &lines.iter().map(|l| l.0.clone()).collect::<Vec<_>>(), now_utc)?;
            continue;
        }
        let mut items = Vec::new();
        for (_, case_id, line) in &lines {
            let Some(number) = cases::number_of(conn, case_id)? else { continue };
            items.push((line.clone(), format!("{}/arenden/{number}", config.base_url)));
        }
        let subject = format!("Sammandrag från Tvistetrappa {}", local.date());
        let intro = vec![format!("Det här har hänt i era ärenden sedan förra sammandraget ({} händelser).", items.len())];
        let mail = Queued {
            kind: MessageKind::Digest,
            case_id: None,
            subject: &subject,
            body: Body {
                headline: "Dagligt sammandrag",
                lines: &intro,
                link: Some(("Ändra vad du får e-post om", &preferences)),
                items: &items,
                footer: FOOTER,
            },
            thread_id: None,
            list_unsubscribe: Some(&unsubscribe),
        };
        let key = format!("digest:{user_id}:{}", local.date());
        if queue(conn, config, &mail, std::slice::from_ref(&user.email), Some(&key), now_utc)? == 1 {
            outbox::mark_digested(conn, &lines.iter().map(|l| l.0.clone()).collect::<Vec<_>>(), now_utc)?;
            sent += 1;
        }
    }
    Ok(sent)
}
