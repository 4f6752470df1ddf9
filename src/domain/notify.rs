//! Who is told what, and when. What asks someone to act is essential and goes out at once;
//! everything else follows each user's preference (at once, in a daily digest, or not at
//! all). Reminders and digests go out on Swedish working days within office hours only.

use super::calendar::is_working_day;
use super::ladder::{Command, EventKind, Level, WaitingFor};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// How a user wants what is not essential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preference {
    Immediate,
    Digest,
    Off,
}

pub const ALL_PREFERENCES: [Preference; 3] = [Preference::Immediate, Preference::Digest, Preference::Off];

impl Preference {
    pub fn as_str(self) -> &'static str {
        match self {
            Preference::Immediate => "immediate",
            Preference::Digest => "digest",
            Preference::Off => "off",
        }
    }

    pub fn parse(s: &str) -> Option<Preference> {
        ALL_PREFERENCES.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Preference::Immediate => "Direkt, ett mejl per händelse",
            Preference::Digest => "Samlat i ett dagligt sammandrag",
            Preference::Off => "Inte alls",
        }
    }
}

/// What a message in the outbox is (`outbox.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// What happened in a case, to those it concerns.
    Case,
    /// A deadline near or passed.
    Reminder,
    /// A month's review basis was published.
    ReviewBasis,
    /// A one-time link to an account (welcome, password reset): emptied once settled, never
    /// sent again by hand.
    Account,
    /// The daily digest of what a user chose not to get at once.
    Digest,
}

impl MessageKind {
    pub const ALL: [MessageKind; 5] = [MessageKind::Case, MessageKind::Reminder, MessageKind::ReviewBasis, MessageKind::Account, MessageKind::Digest];

    pub const fn as_str(self) -> &'static str {
        match self {
            MessageKind::Case => "case",
            MessageKind::Reminder => "reminder",
            MessageKind::ReviewBasis => "review_basis",
            MessageKind::Account => "account",
            MessageKind::Digest => "digest",
        }
    }

    pub fn parse(text: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Where a queued message is: waiting to be sent (or tried again), sent, or failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Pending,
    Sent,
    Failed,
}

impl Delivery {
    /// In the order the outbox page shows them.
    pub const ALL: [Delivery; 3] = [Delivery::Pending, Delivery::Failed, Delivery::Sent];

    pub const fn as_str(self) -> &'static str {
        match self {
            Delivery::Pending => "pending",
            Delivery::Sent => "sent",
            Delivery::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Delivery> {
        Delivery::ALL.into_iter().find(|d| d.as_str() == text)
    }

    /// The outbox page's heading for messages in this state.
    pub fn label(self) -> &'static str {
        match self {
            Delivery::Pending => "Väntar",
            Delivery::Sent => "Skickade",
            Delivery::Failed => "Misslyckade",
        }
    }
}

/// Who is told about a case event besides the one who caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The counterpart organisations and whoever handles the level a new case starts at
    /// (a principled case is reported to Storsthlm and HSF when it is filed).
    CounterpartsAndLevel(Level),
    /// The reviewer organisation that did not ask to lift the case: it is to confirm.
    OtherReviewer,
    /// Every party organisation.
    Parties,
    /// Every party and whoever handles the level the case now stands at.
    PartiesAndLevel(Level),
}

/// One case event as the notifications see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseNotice {
    pub audience: Audience,
    /// Essential notices ask for action and go out at once, to functional mailboxes too.
    pub essential: bool,
    /// The subject after the case number.
    pub headline: &'static str,
}

/// What a case event (as recorded in the case history) means for mail. Internal notes and
/// registration numbers tell nobody.
pub fn case_notice(event: EventKind, level: Level) -> Option<CaseNotice> {
    let essential = |audience, headline| Some(CaseNotice { audience, essential: true, headline });
    let digest = |headline| Some(CaseNotice { audience: Audience::Parties, essential: false, headline });
    match event {
        EventKind::Filed if level == Level::Review => {
            essential(Audience::CounterpartsAndLevel(level), "Nytt principiellt ärende rapporterat till Storsthlm och HSF")
        }
        EventKind::Filed => essential(Audience::CounterpartsAndLevel(level), "Nytt ärende att besvara"),
        EventKind::EscalationRequested => essential(Audience::OtherReviewer, "Bekräfta att ärendet lyfts till styrgruppen"),
        EventKind::Step(Command::Escalate) => essential(Audience::PartiesAndLevel(level), "Ärendet har lyfts till nästa nivå"),
        EventKind::Step(Command::ReferToCourt) => essential(Audience::Parties, "Tvisten har hänskjutits till allmän domstol"),
        EventKind::Step(Command::Propose) => essential(Audience::Parties, "Förslag till lösning att ta ställning till"),
        EventKind::Step(Command::Decide { .. }) => essential(Audience::Parties, "Beslut i ärendet"),
        EventKind::Note | EventKind::Registration | EventKind::Interpretation => None,
        EventKind::Step(Command::Answer) => digest("Motparten har svarat"),
        EventKind::Step(Command::Assess) => digest("Ny bedömning"),
        EventKind::Step(Command::Accept) => digest("Förslaget har godtagits"),
        EventKind::Step(Command::Reject) => digest("Förslaget har avvisats"),
        EventKind::Resolved => digest("Ärendet är löst genom överenskommelse"),
        EventKind::Step(Command::Withdraw) => digest("Ärendet har återkallats"),
        EventKind::Step(Command::Reopen) => digest("Ärendet har öppnats igen"),
        EventKind::Comment => digest("Ny kommentar"),
        EventKind::Attachment => digest("Ny bilaga"),
        EventKind::Contest => digest("Vårdtillfälle ifrågasatt"),
        EventKind::Corrections => digest("Rättelser tillämpade"),
    }
}

/// Who handles a level: the people mailed when a case arrives there. Party-run levels
/// (local, nearest managers, directors) and the court have no one besides the parties.
pub fn handles_level(level: Level) -> Option<WaitingFor> {
    match level {
        Level::Review => Some(WaitingFor::Reviewers),
        Level::Steering => Some(WaitingFor::SteeringGroup),
        Level::Vis => Some(WaitingFor::Vis),
        _ => None,
    }
}

/// Office hours in Stockholm: reminders and digests are sent only then.
pub const OFFICE_OPENS: NaiveTime = NaiveTime::from_hms_opt(8, 0, 0).expect("valid time");
pub const OFFICE_CLOSES: NaiveTime = NaiveTime::from_hms_opt(17, 0, 0).expect("valid time");

/// Whether `local` (Stockholm time) is within office hours of a Swedish working day.
pub fn in_office_hours(local: NaiveDateTime) -> bool {
    let time = local.time().with_nanosecond(0).unwrap_or(local.time());
    is_working_day(local.date()) && time >= OFFICE_OPENS && time < OFFICE_CLOSES
}

/// A reminder about a case's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// The deadline is `lead` working days away or nearer.
    Near,
    Overdue,
}

impl Reminder {
    pub fn as_str(self) -> &'static str {
        match self {
            Reminder::Near => "near",
            Reminder::Overdue => "overdue",
        }
    }

    pub fn headline(self) -> &'static str {
        match self {
            Reminder::Near => "Påminnelse: svarsfristen närmar sig",
            Reminder::Overdue => "Svarsfristen har passerat",
        }
    }
}

/// Which reminder, if any, a case with `deadline` calls for on `today`: overdue after the
/// deadline, near when it is at most `lead` working days ahead.
pub fn reminder(deadline: NaiveDate, today: NaiveDate, lead: u32) -> Option<Reminder> {
    if today > deadline {
        Some(Reminder::Overdue)
    } else if super::calendar::working_days_between(today, deadline) <= lead {
        Some(Reminder::Near)
    } else {
        None
    }
}

/// Delivery attempts before a message is marked failed.
pub const MAX_ATTEMPTS: i32 = 8;

/// The wait before attempt `attempts + 1`: `base` doubled per failed attempt, at most an hour.
pub fn backoff(attempts: i32, base: std::time::Duration) -> std::time::Duration {
    let factor = 1u32 << attempts.clamp(0, 16);
    base.saturating_mul(factor).min(std::time::Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The event as the case history stores it.
    fn event(text: &str) -> EventKind {
        EventKind::parse(text).unwrap_or_else(|| panic!("no event {text}"))
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn delivery_states_read_back_from_their_text() {
        for delivery in Delivery::ALL {
            assert_eq!(Delivery::parse(delivery.as_str()), Some(delivery));
        }
        assert_eq!(Delivery::parse("sending"), None);
    }

    #[test]
    fn preferences_round_trip() {
        for p in ALL_PREFERENCES {
            assert_eq!(Preference::parse(p.as_str()), Some(p));
        }
        assert_eq!(Preference::parse("weekly"), None);
    }

    #[test]
    fn what_asks_for_action_is_essential_and_the_rest_is_not() {
        let filed = case_notice(event("filed"), Level::Local).unwrap();
        assert_eq!((filed.audience, filed.essential), (Audience::CounterpartsAndLevel(Level::Local), true));
        // A principled case is reported to Storsthlm and HSF as it is filed (11.1 step 2).
        assert_eq!(case_notice(event("filed"), Level::Review).unwrap().audience, Audience::CounterpartsAndLevel(Level::Review));
        let asked = case_notice(event("escalation_requested"), Level::Review).unwrap();
        assert_eq!((asked.audience, asked.essential), (Audience::OtherReviewer, true));
        let up = case_notice(event("escalate"), Level::Steering).unwrap();
        assert_eq!(up.audience, Audience::PartiesAndLevel(Level::Steering));
        assert!(case_notice(event("propose"), Level::Review).unwrap().essential);
        assert!(case_notice(event("decide"), Level::Vis).unwrap().essential);
        for action in ["comment", "answer", "withdraw", "attachment", "contest"] {
            let notice = case_notice(event(action), Level::Local).unwrap();
            assert!(!notice.essential, "{action}");
            assert_eq!(notice.audience, Audience::Parties);
        }
        assert_eq!(case_notice(event("note"), Level::Local), None, "internal notes stay internal");
        assert_eq!(case_notice(event("registration"), Level::Local), None, "a party's own reference number tells nobody");
    }

    #[test]
    fn each_handling_level_has_its_people() {
        assert_eq!(handles_level(Level::Review), Some(WaitingFor::Reviewers));
        assert_eq!(handles_level(Level::Steering), Some(WaitingFor::SteeringGroup));
        assert_eq!(handles_level(Level::Vis), Some(WaitingFor::Vis));
        assert_eq!(handles_level(Level::Local), None);
        assert_eq!(handles_level(Level::Court), None);
    }

    #[test]
    fn office_hours_are_working_days_from_eight_to_five() {
        assert!(in_office_hours(at("2026-11-23 08:00")), "Monday 08:00");
        assert!(in_office_hours(at("2026-11-23 16:59")));
        assert!(!in_office_hours(at("2026-11-23 07:59")));
        assert!(!in_office_hours(at("2026-11-23 17:00")));
        assert!(!in_office_hours(at("2026-11-21 10:00")), "Saturday");
        assert!(!in_office_hours(at("2026-12-25 10:00")), "Christmas Day");
        assert!(!in_office_hours(at("2026-06-19 10:00")), "Midsummer Eve");
    }

    #[test]
    fn a_reminder_comes_within_the_lead_in_working_days_and_when_overdue() {
        // Deadline Friday 4 December 2026; five working days before is Friday 27 November.
        let deadline = day("2026-12-04");
        assert_eq!(reminder(deadline, day("2026-11-26"), 5), None, "six working days ahead");
        assert_eq!(reminder(deadline, day("2026-11-27"), 5), Some(Reminder::Near));
        assert_eq!(reminder(deadline, day("2026-12-04"), 5), Some(Reminder::Near), "the day itself");
        assert_eq!(reminder(deadline, day("2026-12-05"), 5), Some(Reminder::Overdue));
        // Over Christmas: 23 Dec → 30 Dec is 24, 25, 26 (holidays/weekend) … only 28, 29, 30 count.
        assert_eq!(reminder(day("2026-12-30"), day("2026-12-23"), 3), Some(Reminder::Near));
        assert_eq!(reminder(day("2026-12-30"), day("2026-12-23"), 2), None);
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(0, base), Duration::from_secs(30));
        assert_eq!(backoff(1, base), Duration::from_secs(60));
        assert_eq!(backoff(3, base), Duration::from_secs(240));
        assert_eq!(backoff(10, base), Duration::from_secs(3600));
        assert_eq!(backoff(40, base), Duration::from_secs(3600));
    }
}
