use crate::helpers::*;
use crate::smtp::{Received, SmtpServer};
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use std::time::Duration;
use tvistetrappa::domain::calendar;
use tvistetrappa::domain::notify::Delivery;
use tvistetrappa::mail::Clock;
use tvistetrappa::store::{cases, outbox};

const HUDDINGE_MAILBOX: &str = "socialtjanst@huddinge.example";

/// Botkyrka files a deviation against Huddinge; returns the case number.
async fn file_against_huddinge(app: &TestApp) -> String {
    app.login_as(BOTKYRKA).await;
    app.file_case(
        "deviation",
        &[
            ("title", "Utskrivningsklar utan SIP"),
            ("filed_by_org", "kommun-0127"),
            ("counterpart", "kommun-0126"),
            ("commitment_id", "process.sip-called"),
            ("occurred_from", "2026-11-02"),
            ("description", "SIP kallades inte."),
            ("confirm_holder", "on"),
        ],
    )
    .await
}

/// The local level's deadline has passed, so either side may lift the case (11.1: "om möjligt
/// lösas på lokal nivå") without another step that would send mail of its own.
fn deadline_passed(app: &TestApp, number: &str) {
    use diesel::prelude::*;
    use tvistetrappa::db::schema::cases as t;
    let yesterday = tvistetrappa::store::today() - chrono::Days::new(1);
    tvistetrappa::db_run!(app.db(), |c| diesel::update(t::table.filter(t::number.eq(number))).set(t::deadline_on.eq(yesterday)).execute(c)).unwrap();
}

/// 07:00 on the next working day: essential mail goes out at once, while digests and
/// reminders (office hours only) wait, so that the counts below do not depend on the hour
/// the tests run at.
fn before_office_hours() -> Clock {
    Clock::fixed(stockholm(calendar::next_working_day(tvistetrappa::store::today() + chrono::Days::new(1)), 7, 0))
}

fn about(messages: &[Received], subject: &str) -> Vec<Received> {
    messages.iter().filter(|m| m.header("Subject").is_some_and(|s| s.contains(subject))).cloned().collect()
}

/// The messages about `subject` once at least `count` have arrived (or after 10 s, so that
/// the assertion after says what did).
fn arrived(smtp: &SmtpServer, subject: &str, count: usize) -> Vec<Received> {
    let mut found = Vec::new();
    for _ in 0..500 {
        found = about(&smtp.received(), subject);
        if found.len() >= count {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    found
}

/// UTC of a Stockholm wall-clock time.
fn stockholm(day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    let local = day.and_hms_opt(hour, minute, 0).unwrap();
    chrono_tz::Europe::Stockholm.from_local_datetime(&local).single().unwrap().naive_utc()
}

#[actix_web::test]
async fn case_mail_reaches_the_right_people_threaded_with_a_link() {
    let smtp = SmtpServer::start(false);
    let app = spawn_app_with(Options { smtp_url: Some(smtp.url.clone()), clock: Some(before_office_hours()), ..Options::default() }).await;
    app.login_as(ADMIN).await;
    let refused =
        app.submit("/organisationer/kommun-0126", "/admin/organisationer/kommun-0126/brevlada", &[("contact_email", "inte en adress")]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("contact_email-fel"));
    let saved = app.submit("/organisationer/kommun-0126", "/admin/organisationer/kommun-0126/brevlada", &[("contact_email", HUDDINGE_MAILBOX)]).await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    // A new case: Huddinge (its user and its functional mailbox) is asked to answer.
    let number = file_against_huddinge(&app).await;
    let filed = smtp.wait_for(2);
    let mut recipients: Vec<String> = filed.iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    assert_eq!(recipients, [HUDDINGE, HUDDINGE_MAILBOX]);
    let mail = &filed[0];
    assert_eq!(mail.header("Subject").unwrap(), format!("{number}: Nytt ärende att besvara"));
    let case = cases::by_number(&mut app.db(), &number).unwrap().unwrap();
    let thread = format!("<arende-{}@tvistetrappa.example>", case.id);
    assert_eq!(mail.header("In-Reply-To").as_deref(), Some(thread.as_str()));
    assert_eq!(mail.header("References").as_deref(), Some(thread.as_str()));
    assert!(mail.text().contains(&format!("{}/arenden/{number}", app.address)), "{}", mail.text());
    assert!(!mail.text().contains("SIP kallades inte"), "no case text (it could hold patient details)");
    let html = String::from_utf8_lossy(&mail.raw).to_string();
    assert!(html.contains("text/html"), "an HTML part beside the text");

    // Huddinge escalates: the reviewers and both parties hear of it; Huddinge's own user does not.
    deadline_passed(&app, &number);
    app.login_as(HUDDINGE).await;
    assert_eq!(app.act(&number, "escalate", &[("text", "Vi är inte överens.")]).await.status, 303);
    let escalated = arrived(&smtp, "lyfts till nästa nivå", 5);
    let all = smtp.received();
    let mut recipients: Vec<String> = escalated.iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    assert_eq!(recipients, [BOTKYRKA, BOTKYRKA_DIRECTOR, STORSTHLM, HSF, HUDDINGE_MAILBOX]);
    for m in &escalated {
        assert_eq!(m.header("References").as_deref(), Some(thread.as_str()), "one thread per case");
    }
    let mut ids: Vec<String> = all.iter().map(|m| m.header("Message-ID").unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "every message has its own Message-ID");

    // A comment is not essential: by default it waits for the digest; a user who chose
    // "immediate" gets it at once, and the functional mailbox never does.
    app.login_as(HUDDINGE).await;
    let page = app.get("/konto/aviseringar").await;
    assert!(page.body.contains("value=\"digest\" checked"));
    assert_eq!(app.submit("/konto/aviseringar", "/konto/aviseringar", &[("preference", "immediate")]).await.status, 303);
    app.login_as(BOTKYRKA).await;
    assert_eq!(app.act(&number, "comment", &[("text", "Vi bifogar underlag.")]).await.status, 303);
    let comments = arrived(&smtp, "Ny kommentar", 1);
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].to, [HUDDINGE]);
    app.wait_for_outbox();
    assert_eq!(smtp.received().len(), 8, "nothing else went out");
    assert_eq!(app.outbox_count(Delivery::Sent), 8);
}

#[actix_web::test]
async fn a_published_review_basis_tells_each_municipality_its_deadline() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    let page = app.get("/betalning/importer").await;
    let file = "episode_id,municipality_code,care_type,admission_notice_at,ready_notice_at,discharged_at\n\
                b1,0127,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-15 10:00\n\
                h1,0126,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-14 10:00\n";
    assert_eq!(app.post_file(&page, "/betalning/importer", &[], "v.csv", file.as_bytes()).await.status, 303);
    app.activate_payment_responsibility("2022-01-01");
    let invoice = tvistetrappa::store::today() + chrono::Days::new(30);
    let published =
        app.submit("/betalning?manad=2022-03", "/betalning/publicera", &[("month", "2022-03"), ("invoice_date", &invoice.to_string())]).await;
    assert_eq!(published.status, 303);
    // The units answer until the invoice date: the day before it is the last.
    let closes = invoice - chrono::Days::new(1);
    let mail = app.sent_mail();
    for address in [BOTKYRKA, HUDDINGE] {
        let to_them = mail.iter().find(|m| m.contains(&format!("To: {address}"))).unwrap_or_else(|| panic!("no mail to {address}"));
        assert!(to_them.contains(&format!("Subject: Granskningsunderlag för 2022-03 att granska senast {closes}")), "{to_them}");
        assert!(to_them.contains(&format!("{}/granskning", app.address)));
    }
    assert!(!mail.iter().any(|m| m.contains("To: lena.sjoberg@stockholm.example")), "Stockholm has no unit in this file");
}

#[actix_web::test]
async fn with_smtp_down_actions_succeed_and_every_message_arrives_once_after_a_restart() {
    let smtp = SmtpServer::start(true);
    let app = spawn_app_with(Options { smtp_url: Some(smtp.url.clone()), ..Options::default() }).await;
    let number = file_against_huddinge(&app).await;
    app.login_as(HUDDINGE).await;
    assert_eq!(app.act(&number, "propose", &[("text", "Vi går igenom rutinen tillsammans.")]).await.status, 303, "the user's action succeeds");
    let queued = app.outbox_count(Delivery::Pending);
    assert_eq!(queued, 1 + 2, "the new case to Huddinge; the proposal to Botkyrka's two users");
    // The relay refuses: the worker tries, backs off and keeps every message queued.
    for _ in 0..200 {
        let tried: i64 = {
            use diesel::prelude::*;
            use tvistetrappa::db::schema::outbox as t;
            tvistetrappa::db_run!(app.db(), |c| t::table.filter(t::attempts.ge(2)).count().get_result(c)).unwrap()
        };
        if tried == queued {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(smtp.received().is_empty());
    assert_eq!(app.outbox_count(Delivery::Pending), queued);

    // The app stops, the relay comes back, the app starts again.
    app.stop_mail();
    smtp.accept();
    app.start_mail();
    let delivered = smtp.wait_for(queued as usize);
    std::thread::sleep(std::time::Duration::from_millis(300));
    app.wait_for_outbox();
    let delivered_later = smtp.received();
    assert_eq!(delivered_later.len(), delivered.len(), "nothing is delivered twice");
    let mut ids: Vec<String> = delivered_later.iter().map(|m| m.header("Message-ID").unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, queued, "each message exactly once");
    assert_eq!(app.outbox_count(Delivery::Sent), queued);
    assert_eq!(app.outbox_count(Delivery::Pending), 0);
}

#[actix_web::test]
async fn a_refused_message_fails_and_an_admin_sends_it_again_with_the_same_message_id() {
    let smtp = SmtpServer::start(false);
    let app = spawn_app_with(Options { smtp_url: Some(smtp.url.clone()), ..Options::default() }).await;
    smtp.reject_permanently();
    file_against_huddinge(&app).await;
    for _ in 0..500 {
        if app.outbox_count(Delivery::Failed) == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(app.outbox_count(Delivery::Failed), 1, "a permanent refusal is not retried");
    app.login_as(ADMIN).await;
    let page = app.get("/admin/utkorg?status=failed").await;
    assert!(page.body.contains("Misslyckade (1)") && page.body.contains(HUDDINGE), "{}", page.body);
    let id = page.body.split("/admin/utkorg/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let message_id: String = {
        use diesel::prelude::*;
        use tvistetrappa::db::schema::outbox as t;
        tvistetrappa::db_run!(app.db(), |c| t::table.find(&id).select(t::message_id).first(c)).unwrap()
    };
    smtp.accept();
    let retried = app.post_raw(&format!("/admin/utkorg/{id}/igen"), &[("csrf", &page.csrf())]).await;
    assert_eq!(retried.status, 303);
    let received = smtp.wait_for(1);
    assert_eq!(received[0].header("Message-ID"), Some(message_id));
    assert_eq!(app.post_raw(&format!("/admin/utkorg/{id}/igen"), &[("csrf", &page.csrf())]).await.status, 409, "only a failed message is retried");
    assert!(app.get("/admin/logg?handelse=mail_retried").await.body.contains(&id));
}

#[actix_web::test]
async fn a_deadline_reminder_goes_out_once_on_a_working_day_within_office_hours() {
    let smtp = SmtpServer::start(false);
    // The worker's time starts a minute ahead, so the mail the handlers queue now is due.
    let clock = Clock::fixed(tvistetrappa::store::now() + chrono::Duration::minutes(1));
    let app = spawn_app_with(Options { smtp_url: Some(smtp.url.clone()), clock: Some(clock.clone()), ..Options::default() }).await;
    let number = file_against_huddinge(&app).await;
    smtp.wait_for(1);
    let deadline = cases::by_number(&mut app.db(), &number).unwrap().unwrap().deadline_on.expect("a deadline at the local level");
    // The Saturday before the deadline lies within five working days of it.
    let saturday = (1..=7).map(|n| deadline - chrono::Days::new(n)).find(|d| d.format("%u").to_string() == "6").unwrap();
    assert!(calendar::working_days_between(saturday, deadline) <= 5);
    let monday = calendar::next_working_day(saturday);
    let reminders = |smtp: &SmtpServer| about(&smtp.received(), "Påminnelse").len();

    for (at, what) in [(stockholm(saturday, 10, 0), "a Saturday"), (stockholm(monday, 7, 30), "before office hours")] {
        clock.set(at);
        std::thread::sleep(std::time::Duration::from_millis(300));
        app.wait_for_outbox();
        assert_eq!(reminders(&smtp), 0, "no reminder on {what}");
    }
    clock.set(stockholm(monday, 9, 0));
    let all = smtp.wait_for(2);
    let reminder = about(&all, "Påminnelse");
    assert_eq!(reminder.len(), 1);
    assert_eq!(reminder[0].to, [HUDDINGE], "the party that is due");
    assert_eq!(reminder[0].header("Subject").unwrap(), format!("{number}: Påminnelse: svarsfristen närmar sig"));
    clock.set(stockholm(monday, 11, 0));
    std::thread::sleep(std::time::Duration::from_millis(300));
    app.wait_for_outbox();
    assert_eq!(reminders(&smtp), 1, "once");

    // After the deadline: once more, as overdue, on the next working day in office hours.
    let after = calendar::next_working_day(deadline + chrono::Days::new(1));
    clock.set(stockholm(after, 8, 30));
    let all = smtp.wait_for(3);
    assert_eq!(about(&all, "Svarsfristen har passerat").len(), 1);
    clock.set(stockholm(after, 15, 0));
    std::thread::sleep(std::time::Duration::from_millis(300));
    app.wait_for_outbox();
    assert_eq!(smtp.received().len(), 3);
}

#[actix_web::test]
async fn what_is_not_essential_comes_in_one_daily_digest_with_list_unsubscribe() {
    let smtp = SmtpServer::start(false);
    // A working day a week ahead, long before the case's deadline, so that no reminder mixes in.
    let monday = calendar::next_working_day(tvistetrappa::store::today() + chrono::Days::new(7));
    let tuesday = calendar::next_working_day(monday + chrono::Days::new(1));
    let clock = Clock::fixed(stockholm(monday, 7, 0));
    let app = spawn_app_with(Options { smtp_url: Some(smtp.url.clone()), clock: Some(clock.clone()), ..Options::default() }).await;
    let number = file_against_huddinge(&app).await;
    app.login_as(HUDDINGE).await;
    assert_eq!(app.act(&number, "answer", &[("text", "Vi har kallat till SIP nu.")]).await.status, 303);
    assert_eq!(app.act(&number, "comment", &[("text", "Kontakta oss vid frågor.")]).await.status, 303);
    smtp.wait_for(1);
    app.wait_for_outbox();
    assert_eq!(smtp.received().len(), 1, "only the new case went out at once; it is 07:00");

    clock.set(stockholm(monday, 8, 5));
    let all = smtp.wait_for(3);
    let mut digest = about(&all, &format!("Sammandrag från Tvistetrappa {monday}"));
    digest.sort_by_key(|m| m.to.clone());
    let recipients: Vec<String> = digest.iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(recipients, [BOTKYRKA, BOTKYRKA_DIRECTOR], "one digest each for Botkyrka's two users");
    assert_eq!(digest[0].header("List-Unsubscribe"), Some(format!("<{}/konto/aviseringar>", app.address)));
    let text = digest[0].text();
    assert!(text.contains(&format!("{number}: Motparten har svarat")) && text.contains(&format!("{number}: Ny kommentar")), "{text}");

    // One digest a day: what happens later today waits for tomorrow's.
    assert_eq!(app.act(&number, "comment", &[("text", "En sak till.")]).await.status, 303);
    clock.set(stockholm(monday, 14, 0));
    std::thread::sleep(std::time::Duration::from_millis(300));
    app.wait_for_outbox();
    assert_eq!(smtp.received().len(), 3);
    clock.set(stockholm(tuesday, 8, 0));
    let all = smtp.wait_for(5);
    assert_eq!(about(&all, &format!("Sammandrag från Tvistetrappa {tuesday}")).len(), 2);
}

#[actix_web::test]
async fn two_senders_never_claim_the_same_message() {
    let app = spawn_app().await;
    app.stop_mail();
    let now = tvistetrappa::store::now();
    for i in 0..40 {
        let to = format!("mottagare{i}@example.org");
        let message = outbox::NewMessage {
            kind: tvistetrappa::domain::notify::MessageKind::Case,
            case_id: None,
            recipient: &to,
            subject: "Prov",
            text_body: "Prov",
            html_body: "<p>Prov</p>",
            thread_id: None,
            list_unsubscribe: None,
            dedupe_key: None,
        };
        assert!(outbox::enqueue(&mut app.db(), &message, "tvistetrappa.example", now).unwrap());
    }
    let claim = |owner: &'static str| {
        let pool = app.pool.clone();
        std::thread::spawn(move || {
            use diesel::prelude::*;
            use tvistetrappa::db::schema::outbox as t;
            let mut claimed = Vec::new();
            loop {
                let mut conn = pool.get().unwrap();
                let lease = now + chrono::Duration::minutes(5);
                let batch = conn.write(|c| outbox::claim(c, owner, now, lease, 3)).unwrap();
                claimed.extend(batch.into_iter().map(|m| m.id));
                let free: i64 = tvistetrappa::db_run!(conn, |c| t::table.filter(t::lease_owner.is_null()).count().get_result(c)).unwrap();
                if free == 0 {
                    return claimed;
                }
            }
        })
    };
    let (a, b) = (claim("sender-a"), claim("sender-b"));
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    assert!(a.iter().all(|id| !b.contains(id)), "a message claimed twice");
    let mut all: Vec<&String> = a.iter().chain(b.iter()).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 40, "every message claimed by one of them");
}

#[actix_web::test]
async fn two_senders_and_a_slow_relay_deliver_every_message_once() {
    let smtp = SmtpServer::start(false);
    smtp.slow_down(150);
    // A lease shorter than a batch of twenty slow messages: a sender that claimed many at
    // once would lose the tail of its claim to the other sender mid-batch.
    let app = spawn_app_with(Options { smtp_url: Some(smtp.url.clone()), mail_lease: Some(Duration::from_secs(1)), ..Options::default() }).await;
    app.stop_mail();
    {
        let mut conn = app.db();
        let now = tvistetrappa::store::now();
        for i in 0..16 {
            let subject = format!("Meddelande {i}");
            let message = tvistetrappa::store::outbox::NewMessage {
                kind: tvistetrappa::domain::notify::MessageKind::Case,
                case_id: None,
                recipient: BOTKYRKA,
                subject: &subject,
                text_body: "Text",
                html_body: "<p>Text</p>",
                thread_id: None,
                list_unsubscribe: None,
                dedupe_key: None,
            };
            assert!(tvistetrappa::store::outbox::enqueue(&mut conn, &message, "tvistetrappa.example", now).unwrap());
        }
    }
    // Two app servers' senders on one database.
    let first = tvistetrappa::mail::Worker::spawn(app.pool.clone(), app.config.clone(), app.clock.clone()).unwrap();
    let second = tvistetrappa::mail::Worker::spawn(app.pool.clone(), app.config.clone(), app.clock.clone()).unwrap();
    app.wait_for_outbox();
    std::thread::sleep(Duration::from_millis(500));
    drop((first, second));
    let received = smtp.received();
    let mut ids: Vec<String> = received.iter().filter_map(|m| m.header("Message-ID")).collect();
    ids.sort();
    let unique = ids.len();
    ids.dedup();
    assert_eq!((unique, ids.len()), (16, 16), "every message once, none twice");
    assert_eq!(app.outbox_count(Delivery::Sent), 16);
}

/// At level 2 one reviewer organisation asks to lift the case and the other is to confirm
/// (the mail follows the event the case recorded, not the button pressed): the other is
/// asked, and nobody is told the case was lifted before it is.
#[actix_web::test]
async fn a_request_to_lift_a_case_asks_the_other_reviewer_to_confirm() {
    let smtp = SmtpServer::start(false);
    let app = spawn_app_with(Options { smtp_url: Some(smtp.url.clone()), clock: Some(before_office_hours()), ..Options::default() }).await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("interpretation", &principled_question("Lyft till styrgruppen", "En fråga om tolkning.")).await;
    app.login_as(STORSTHLM).await;
    ok(&app.act(&number, "escalate", &[("text", "Vi vill lyfta frågan.")]).await);
    let asked = arrived(&smtp, "Bekräfta att ärendet lyfts till styrgruppen", 1);
    let recipients: Vec<String> = asked.iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(recipients, [HSF]);
    assert!(about(&smtp.received(), "lyfts till nästa nivå").is_empty(), "not lifted yet");
}
