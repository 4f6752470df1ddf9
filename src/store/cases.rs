//! Cases, their parties, history, decisions and attachments.

use super::{new_id, now, DbConn, QueryResult};
use crate::db::schema::{
    case_attachments, case_counters, case_decisions, case_events, case_parties, cases, cases_text, cases_text_rows, interpretation_commitments,
    level_deadlines, organisations, reminders_sent, users,
};
use crate::db::Page;
use crate::db_run;
use crate::domain::deadlines::{self, DayCount, DeadlineRule};
use crate::domain::ladder::{Actor, CaseKind, CaseState, EventKind, Level, Outcome, Proposal, ReviewerOrg, Side, Status, WaitingFor};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cases)]
pub struct CaseRow {
    pub id: String,
    pub number: String,
    pub kind: CaseKind,
    pub title: String,
    pub description: String,
    pub consequences: String,
    pub commitment_id: Option<String>,
    pub filed_by_org: String,
    pub filed_by_user: String,
    pub principled: bool,
    pub occurred_from: NaiveDate,
    #[diesel(deserialize_as = crate::db::OptionalDay)]
    pub occurred_to: Option<NaiveDate>,
    pub payment_month: Option<String>,
    pub billing_unit_id: Option<String>,
    pub amount_sek: Option<i64>,
    pub level: Level,
    pub status: Status,
    pub waiting_for: WaitingFor,
    pub answered: bool,
    pub assessed_by_storsthlm: bool,
    pub assessed_by_hsf: bool,
    pub proposal_by_party: Option<String>,
    pub proposal_accepted_by: Option<String>,
    #[diesel(deserialize_as = crate::db::OptionalDay)]
    pub deadline_on: Option<NaiveDate>,
    #[diesel(deserialize_as = crate::db::Moment)]
    pub level_entered_at: NaiveDateTime,
    pub version: i32,
    #[diesel(deserialize_as = crate::db::Moment)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = crate::db::Moment)]
    pub updated_at: NaiveDateTime,
    #[diesel(deserialize_as = crate::db::OptionalMoment)]
    pub closed_at: Option<NaiveDateTime>,
    pub proposal_rejected: bool,
    pub escalation_requested_by: Option<String>,
}

impl CaseRow {
    /// The ladder's view of the case on `today`.
    pub fn state(&self, parties: &[Party], today: NaiveDate) -> CaseState {
        CaseState {
            kind: self.kind,
            level: self.level,
            status: self.status,
            answered: self.answered,
            assessed_by_storsthlm: self.assessed_by_storsthlm,
            assessed_by_hsf: self.assessed_by_hsf,
            proposal: self
                .proposal_accepted_by
                .as_deref()
                .map(|accepted| Proposal { by_party: self.proposal_by_party.clone(), accepted_by: split_list(Some(accepted)) }),
            proposal_rejected: self.proposal_rejected,
            deadline_passed: self.deadline_on.is_some_and(|day| day < today),
            escalation_requested_by: self.escalation_requested_by.as_deref().and_then(ReviewerOrg::parse),
            parties: sides(parties),
        }
    }
}

/// Each party organisation with its side, as the ladder takes them.
fn sides(parties: &[Party]) -> Vec<(String, Side)> {
    parties.iter().map(|p| (p.organisation_id.clone(), p.side)).collect()
}

fn split_list(list: Option<&str>) -> Vec<String> {
    list.unwrap_or("").split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

#[derive(Debug, Clone)]
pub struct Party {
    pub organisation_id: String,
    pub organisation_name: String,
    pub side: Side,
    pub registration_number: Option<String>,
}

/// The ladder's view of a user on a case: the parties at or below their organisation, and
/// the rules of `Actor::on_case` for who may act for them.
pub fn ladder_actor(user: &super::users::User, subtree: &[String], parties: &[Party]) -> Actor {
    let in_subtree = parties.iter().filter(|p| subtree.contains(&p.organisation_id)).map(|p| p.organisation_id.clone()).collect();
    Actor::on_case(user.role, &user.organisation_id, in_subtree, user.director, &sides(parties))
}

/// The people who hold the director capacity for each party of a case (at the party's
/// organisation or one above it), as "name (party)", for the case page.
pub fn directors(conn: &mut DbConn, parties: &[Party]) -> QueryResult<Vec<String>> {
    let mut found = Vec::new();
    for party in parties {
        let lineage = super::organisations::lineage(conn, &party.organisation_id)?;
        let names: Vec<String> = db_run!(conn, |c| users::table
            .filter(users::organisation_id.eq_any(&lineage))
            .filter(users::director.eq(true))
            .filter(users::active.eq(true))
            .order(users::name)
            .select(users::name)
            .load(c))?;
        found.extend(names.into_iter().map(|name| format!("{name} ({})", party.organisation_name)));
    }
    Ok(found)
}

pub struct NewCase {
    pub kind: CaseKind,
    pub title: String,
    pub description: String,
    pub consequences: String,
    pub commitment_id: Option<String>,
    pub filed_by_org: String,
    pub filed_by_user: String,
    pub filer_registration: Option<String>,
    pub counterparts: Vec<String>,
    pub principled: bool,
    pub occurred_from: NaiveDate,
    pub occurred_to: Option<NaiveDate>,
    pub payment_month: Option<String>,
    pub billing_unit_id: Option<String>,
    pub amount_sek: Option<i64>,
}

/// The next human number with `prefix` in `year` (`AV-2026-0001`, `TOLK-2026-0001`); unique
/// also when two are made at the same instant, because the counter row is locked by the update.
pub(super) fn next_number(conn: &mut DbConn, prefix: &str, year: i32) -> QueryResult<String> {
    db_run!(conn, |c| diesel::insert_into(case_counters::table)
        .values((case_counters::prefix.eq(prefix), case_counters::year.eq(year), case_counters::last_number.eq(0)))
        .on_conflict_do_nothing()
        .execute(c))?;
    let number: i32 = db_run!(conn, |c| diesel::update(case_counters::table.find((prefix, year)))
        .set(case_counters::last_number.eq(case_counters::last_number + 1))
        .returning(case_counters::last_number)
        .get_result(c))?;
    Ok(format!("{prefix}-{year}-{number:04}"))
}

/// The deadline rule of a level, as the administrators have set it.
pub fn level_rule(conn: &mut DbConn, level: Level) -> QueryResult<Option<DeadlineRule>> {
    let row: Option<(i32, String)> = db_run!(conn, |c| level_deadlines::table
        .find(level.as_str())
        .select((level_deadlines::days, level_deadlines::day_count))
        .first(c)
        .optional())?;
    Ok(row.and_then(|(days, count)| Some(DeadlineRule { days: u32::try_from(days).ok()?, count: DayCount::parse(&count)? })))
}

pub fn level_rules(conn: &mut DbConn) -> QueryResult<Vec<(Level, Option<DeadlineRule>)>> {
    let mut rules = Vec::new();
    for level in crate::domain::ladder::ALL_LEVELS {
        rules.push((level, level_rule(conn, level)?));
    }
    Ok(rules)
}

pub fn set_level_rule(conn: &mut DbConn, level: Level, rule: Option<DeadlineRule>) -> QueryResult<()> {
    db_run!(conn, |c| diesel::delete(level_deadlines::table.find(level.as_str())).execute(c))?;
    if let Some(rule) = rule {
        db_run!(conn, |c| diesel::insert_into(level_deadlines::table)
            .values((
                level_deadlines::level.eq(level.as_str()),
                level_deadlines::days.eq(rule.days as i32),
                level_deadlines::day_count.eq(rule.count.as_str())
            ))
            .execute(c))?;
    }
    Ok(())
}

fn deadline_for(conn: &mut DbConn, level: Level, today: NaiveDate) -> QueryResult<Option<NaiveDate>> {
    Ok(level_rule(conn, level)?.map(|rule| deadlines::due_date(today, rule)))
}

fn search_text(number: &str, title: &str, description: &str) -> String {
    format!("{number} {title} {description}").to_lowercase()
}

/// When a case being filed is filed: now, or on SQLite just after the newest case should the
/// clock be behind it or on the same microsecond. SQLite's text index numbers its rows in
/// filing order, and the newest-first search reads them in that order ([`list`]); that order
/// is the list's only while each case is filed after every other. Writers take turns on
/// SQLite, so the newest case read here is the newest there is. PostgreSQL keeps no such
/// order and is not asked (one round trip less per filing).
fn filing_stamp(conn: &mut DbConn) -> QueryResult<NaiveDateTime> {
    let at = now();
    let crate::db::Backend::Sqlite(c) = &mut conn.inner else { return Ok(at) };
    let newest: Option<NaiveDateTime> = cases::table.select(diesel::dsl::max(cases::created_at)).first(c)?;
    Ok(newest.map_or(at, |newest| at.max(newest + chrono::Duration::microseconds(1))))
}

/// Files a case (inside the caller's transaction); returns its number.
pub fn create(conn: &mut DbConn, new: &NewCase, today: NaiveDate) -> QueryResult<String> {
    let id = new_id();
    let at = filing_stamp(conn)?;
    let number = next_number(conn, new.kind.prefix(), chrono::Datelike::year(&today))?;
    let mut parties = vec![(new.filed_by_org.clone(), Side::Filer)];
    parties.extend(new.counterparts.iter().map(|o| (o.clone(), Side::Counterpart)));
    let state = CaseState::new(new.kind, new.principled, parties);
    let deadline = deadline_for(conn, state.level, today)?;
    db_run!(conn, |c| diesel::insert_into(cases::table)
        .values((
            cases::id.eq(&id),
            cases::number.eq(&number),
            cases::kind.eq(new.kind.as_str()),
            cases::title.eq(&new.title),
            cases::description.eq(&new.description),
            cases::consequences.eq(&new.consequences),
            cases::commitment_id.eq(&new.commitment_id),
            cases::filed_by_org.eq(&new.filed_by_org),
            cases::filed_by_user.eq(&new.filed_by_user),
            cases::principled.eq(new.principled),
            cases::occurred_from.eq(new.occurred_from),
            cases::occurred_to.eq(new.occurred_to),
            cases::payment_month.eq(&new.payment_month),
            cases::billing_unit_id.eq(&new.billing_unit_id),
            cases::amount_sek.eq(new.amount_sek),
            cases::level.eq(state.level.as_str()),
            cases::status.eq(state.status.as_str()),
            cases::waiting_for.eq(state.waiting_for().as_str()),
            cases::answered.eq(false),
            cases::assessed_by_storsthlm.eq(false),
            cases::assessed_by_hsf.eq(false),
            cases::deadline_on.eq(deadline),
            cases::level_entered_at.eq(at),
            cases::version.eq(1),
            cases::search_text.eq(search_text(&number, &new.title, &new.description)),
            cases::created_at.eq(at),
            cases::updated_at.eq(at),
        ))
        .execute(c))?;
    // The party rows carry what the case is listed with (migration 032); a trigger keeps the
    // copies in step when the case changes.
    let party = |organisation: &'_ String, side: Side, registration: Option<&'_ String>| {
        (
            case_parties::case_id.eq(id.clone()),
            case_parties::organisation_id.eq(organisation.clone()),
            case_parties::side.eq(side.as_str()),
            case_parties::registration_number.eq(registration.cloned()),
            case_parties::case_created_at.eq(at),
            case_parties::case_number.eq(number.clone()),
            case_parties::case_kind.eq(new.kind.as_str()),
            case_parties::case_title.eq(new.title.clone()),
            case_parties::case_filed_by_org.eq(new.filed_by_org.clone()),
            case_parties::case_level.eq(state.level.as_str()),
            case_parties::case_status.eq(state.status.as_str()),
            case_parties::case_waiting_for.eq(state.waiting_for().as_str()),
            case_parties::case_deadline_on.eq(deadline),
        )
    };
    let mut rows = vec![party(&new.filed_by_org, Side::Filer, new.filer_registration.as_ref())];
    rows.extend(new.counterparts.iter().map(|counterpart| party(counterpart, Side::Counterpart, None)));
    db_run!(conn, |c| diesel::insert_into(case_parties::table).values(&rows).execute(c))?;
    mark_awaited(conn, &id, state.status, state.waiting_for(), deadline)?;
    add_event(
        conn,
        &NewEvent {
            case_id: &id,
            actor_id: Some(&new.filed_by_user),
            actor_org_id: Some(&new.filed_by_org),
            action: EventKind::Filed,
            from_level: None,
            to_level: Some(state.level),
            body: &new.description,
            visible_to_org: None,
        },
    )?;
    Ok(number)
}

pub fn by_number(conn: &mut DbConn, number: &str) -> QueryResult<Option<CaseRow>> {
    db_run!(conn, |c| cases::table.filter(cases::number.eq(number)).select(CaseRow::as_select()).first(c).optional())
}

/// Inside a write transaction: holds the case's row until the transaction ends, so that every
/// change to a case – a ladder step, a comment, a correction – reads the case, checks the
/// version the user saw and writes without another change in between. SQLite's
/// `BEGIN IMMEDIATE` already lets one writer in at a time; PostgreSQL takes the row lock.
pub fn lock(conn: &mut DbConn, number: &str) -> QueryResult<()> {
    match &mut conn.inner {
        crate::db::Backend::Sqlite(_) => Ok(()),
        crate::db::Backend::Pg(c) => cases::table.filter(cases::number.eq(number)).select(cases::id).for_update().load::<String>(c).map(drop),
    }
}

pub fn number_of(conn: &mut DbConn, case_id: &str) -> QueryResult<Option<String>> {
    db_run!(conn, |c| cases::table.find(case_id).select(cases::number).first(c).optional())
}

/// Open cases waiting for someone, with a deadline from `from` (when given) up to `to` at
/// their current level and no reminder of `kind` made about it yet; earliest first.
pub fn due_for_reminder(conn: &mut DbConn, from: Option<NaiveDate>, to: NaiveDate, kind: &str, limit: i64) -> QueryResult<Vec<CaseRow>> {
    db_run!(conn, |c| {
        let reminded = reminders_sent::table
            .filter(reminders_sent::case_id.eq(cases::id))
            .filter(reminders_sent::kind.eq(kind))
            .filter(reminders_sent::level.eq(cases::level))
            .filter(reminders_sent::deadline_on.nullable().eq(cases::deadline_on));
        let mut query = cases::table
            .filter(cases::status.eq(Status::Open.as_str()))
            .filter(cases::waiting_for.ne(WaitingFor::Nobody.as_str()))
            .filter(cases::deadline_on.le(to))
            .filter(diesel::dsl::not(diesel::dsl::exists(reminded)))
            .into_boxed();
        if let Some(from) = from {
            query = query.filter(cases::deadline_on.ge(from));
        }
        query.order(cases::deadline_on).select(CaseRow::as_select()).limit(limit).load(c)
    })
}

pub fn parties(conn: &mut DbConn, case_id: &str) -> QueryResult<Vec<Party>> {
    let rows: Vec<(String, String, Side, Option<String>)> = db_run!(conn, |c| case_parties::table
        .inner_join(organisations::table.on(organisations::id.eq(case_parties::organisation_id)))
        .filter(case_parties::case_id.eq(case_id))
        .order((case_parties::side.desc(), organisations::name))
        .select((case_parties::organisation_id, organisations::name, case_parties::side, case_parties::registration_number))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(organisation_id, organisation_name, side, registration_number)| Party {
            organisation_id,
            organisation_name,
            side,
            registration_number,
        })
        .collect())
}

/// What a case holds besides its row and parties, read with the case so that its page asks
/// for a list only when there is something in it: most cases have no decision and no
/// attachment, and most commitments no interpretation by VIS (on PostgreSQL those were three
/// of a case page's six statements).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holdings {
    pub decisions: bool,
    pub attachments: bool,
    /// Whether VIS has interpreted the case's commitment (`interpretations::concerning`).
    pub precedents: bool,
}

/// [`Holdings`] as columns of a query on `cases`.
macro_rules! holdings_columns {
    () => {
        (
            diesel::dsl::exists(case_decisions::table.filter(case_decisions::case_id.eq(cases::id))),
            diesel::dsl::exists(case_attachments::table.filter(case_attachments::case_id.eq(cases::id))),
            diesel::dsl::exists(
                interpretation_commitments::table.filter(interpretation_commitments::commitment_id.nullable().eq(cases::commitment_id)),
            ),
        )
    };
}

/// The case with this number, its parties (in [`parties`]' order) and what else it holds. A
/// case page asks this first. On PostgreSQL it is one statement, as every statement is a round
/// trip; on SQLite two, as the joined rows repeat the case's thirty columns, which diesel reads
/// again for each party (measured: 18 % of a case page's CPU, against 12 % for the two
/// statements).
pub fn with_parties(conn: &mut DbConn, number: &str) -> QueryResult<Option<(CaseRow, Vec<Party>, Holdings)>> {
    let holdings = |(decisions, attachments, precedents)| Holdings { decisions, attachments, precedents };
    let c = match &mut conn.inner {
        crate::db::Backend::Pg(c) => c,
        crate::db::Backend::Sqlite(c) => {
            let found: Option<(CaseRow, (bool, bool, bool))> =
                cases::table.filter(cases::number.eq(number)).select((CaseRow::as_select(), holdings_columns!())).first(c).optional()?;
            let Some((case, held)) = found else { return Ok(None) };
            let parties = parties(conn, &case.id)?;
            return Ok(Some((case, parties, holdings(held))));
        }
    };
    type Columns = (CaseRow, (bool, bool, bool), Option<(String, Side, Option<String>)>, Option<String>);
    let rows: Vec<Columns> = cases::table
        .left_join(case_parties::table)
        .left_join(organisations::table.on(organisations::id.eq(case_parties::organisation_id)))
        .filter(cases::number.eq(number))
        .order((case_parties::side.desc(), organisations::name))
        .select((
            CaseRow::as_select(),
            holdings_columns!(),
            (case_parties::organisation_id, case_parties::side, case_parties::registration_number).nullable(),
            organisations::name.nullable(),
        ))
        .load(c)?;
    let mut rows = rows.into_iter();
    let Some((case, held, party, name)) = rows.next() else { return Ok(None) };
    // A party whose organisation is gone is left out, as `parties` leaves it out.
    let parties = std::iter::once((party, name))
        .chain(rows.map(|(_, _, party, name)| (party, name)))
        .filter_map(|(party, name)| {
            let (organisation_id, side, registration_number) = party?;
            Some(Party { organisation_id, organisation_name: name?, side, registration_number })
        })
        .collect();
    Ok(Some((case, parties, holdings(held))))
}

pub fn set_registration_number(conn: &mut DbConn, case_id: &str, organisation_id: &str, number: Option<&str>) -> QueryResult<usize> {
    db_run!(conn, |c| diesel::update(case_parties::table.find((case_id, organisation_id)))
        .set(case_parties::registration_number.eq(number))
        .execute(c))
}

pub struct NewEvent<'a> {
    pub case_id: &'a str,
    pub actor_id: Option<&'a str>,
    pub actor_org_id: Option<&'a str>,
    pub action: EventKind,
    pub from_level: Option<Level>,
    pub to_level: Option<Level>,
    pub body: &'a str,
    /// Some(org) for an internal note that only that organisation sees.
    pub visible_to_org: Option<&'a str>,
}

pub fn add_event(conn: &mut DbConn, event: &NewEvent) -> QueryResult<()> {
    let id = new_id();
    let at = now();
    db_run!(conn, |c| diesel::insert_into(case_events::table)
        .values((
            case_events::id.eq(&id),
            case_events::case_id.eq(event.case_id),
            case_events::at.eq(at),
            case_events::actor_id.eq(event.actor_id),
            case_events::actor_org_id.eq(event.actor_org_id),
            case_events::action.eq(event.action.as_str()),
            case_events::from_level.eq(event.from_level.map(Level::as_str)),
            case_events::to_level.eq(event.to_level.map(Level::as_str)),
            case_events::body.eq(event.body),
            case_events::visible_to_org.eq(event.visible_to_org),
        ))
        .execute(c))?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Event {
    pub at: NaiveDateTime,
    pub actor_name: Option<String>,
    pub actor_org_name: Option<String>,
    pub action: EventKind,
    pub from_level: Option<Level>,
    pub to_level: Option<Level>,
    pub body: String,
    pub internal: bool,
}

/// The case's history, oldest first, with the internal notes of `viewer_org` only.
pub fn events(conn: &mut DbConn, case_id: &str, viewer_org: &str) -> QueryResult<Vec<Event>> {
    type Row = (crate::db::Moment, Option<String>, Option<String>, EventKind, Option<Level>, Option<Level>, String, Option<String>);
    let rows: Vec<Row> = db_run!(conn, |c| case_events::table
        .left_join(users::table.on(users::id.nullable().eq(case_events::actor_id)))
        .left_join(organisations::table.on(organisations::id.nullable().eq(case_events::actor_org_id)))
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::visible_to_org.is_null().or(case_events::visible_to_org.eq(viewer_org)))
        .order(case_events::id)
        .select((
            case_events::at,
            users::name.nullable(),
            organisations::name.nullable(),
            case_events::action,
            case_events::from_level,
            case_events::to_level,
            case_events::body,
            case_events::visible_to_org,
        ))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(at, actor_name, actor_org_name, action, from, to, body, visible)| Event {
            at: at.into(),
            actor_name,
            actor_org_name,
            action,
            from_level: from,
            to_level: to,
            body,
            internal: visible.is_some(),
        })
        .collect())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = case_decisions)]
pub struct Decision {
    pub id: String,
    pub case_id: String,
    pub level: Level,
    pub decided_on: NaiveDate,
    pub reference: String,
    pub body: String,
    pub outcome: Outcome,
    pub corrects_id: Option<String>,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

pub struct NewDecision<'a> {
    pub case_id: &'a str,
    pub level: Level,
    pub decided_on: NaiveDate,
    pub reference: &'a str,
    pub body: &'a str,
    pub outcome: Outcome,
    pub corrects_id: Option<&'a str>,
    pub recorded_by: &'a str,
}

pub fn add_decision(conn: &mut DbConn, decision: &NewDecision) -> QueryResult<String> {
    let id = new_id();
    let at = now();
    db_run!(conn, |c| diesel::insert_into(case_decisions::table)
        .values((
            case_decisions::id.eq(&id),
            case_decisions::case_id.eq(decision.case_id),
            case_decisions::level.eq(decision.level.as_str()),
            case_decisions::decided_on.eq(decision.decided_on),
            case_decisions::reference.eq(decision.reference),
            case_decisions::body.eq(decision.body),
            case_decisions::outcome.eq(decision.outcome.as_str()),
            case_decisions::corrects_id.eq(decision.corrects_id),
            case_decisions::recorded_by.eq(decision.recorded_by),
            case_decisions::recorded_at.eq(at),
        ))
        .execute(c))?;
    Ok(id)
}

pub fn decisions(conn: &mut DbConn, case_id: &str) -> QueryResult<Vec<Decision>> {
    db_run!(conn, |c| case_decisions::table
        .filter(case_decisions::case_id.eq(case_id))
        .order(case_decisions::id)
        .select(Decision::as_select())
        .load(c))
}

/// Stores the new state if nobody changed the case since `version` was read; false when
/// somebody did (the caller rolls back and tells the user).
pub fn save_state(conn: &mut DbConn, case: &CaseRow, state: &CaseState, level_entered: bool, today: NaiveDate) -> QueryResult<bool> {
    let at = now();
    let deadline = if level_entered { deadline_for(conn, state.level, today)? } else { case.deadline_on };
    let level_entered_at = if level_entered { at } else { case.level_entered_at };
    let closed_at = match state.status {
        Status::Closed => Some(case.closed_at.unwrap_or(at)),
        _ => None,
    };
    let (by_party, accepted) = match &state.proposal {
        Some(p) => (p.by_party.clone(), Some(p.accepted_by.join(","))),
        None => (None, None),
    };
    let updated = db_run!(conn, |c| diesel::update(cases::table.filter(cases::id.eq(&case.id)).filter(cases::version.eq(case.version)))
        .set((
            cases::level.eq(state.level.as_str()),
            cases::status.eq(state.status.as_str()),
            cases::waiting_for.eq(state.waiting_for().as_str()),
            cases::answered.eq(state.answered),
            cases::assessed_by_storsthlm.eq(state.assessed_by_storsthlm),
            cases::assessed_by_hsf.eq(state.assessed_by_hsf),
            cases::proposal_by_party.eq(by_party),
            cases::proposal_accepted_by.eq(accepted),
            cases::deadline_on.eq(deadline),
            cases::level_entered_at.eq(level_entered_at),
            cases::version.eq(case.version + 1),
            cases::updated_at.eq(at),
            cases::closed_at.eq(closed_at),
            cases::proposal_rejected.eq(state.proposal_rejected),
            cases::escalation_requested_by.eq(state.escalation_requested_by.map(ReviewerOrg::as_str)),
        ))
        .execute(c))?;
    if updated == 1 {
        mark_awaited(conn, &case.id, state.status, state.waiting_for(), deadline)?;
    }
    Ok(updated == 1)
}

/// Keeps `case_parties.awaited_key` in step with its case (migration 021): the rows of the
/// side an open case waits for carry the key the party's start page sorts by (soonest
/// deadline first, undated last, then by case); every other row carries none.
fn mark_awaited(conn: &mut DbConn, case_id: &str, status: Status, waiting_for: WaitingFor, deadline: Option<NaiveDate>) -> QueryResult<()> {
    let side = match (status, waiting_for) {
        (Status::Closed, _) => None,
        (_, WaitingFor::Filer) => Some(Side::Filer),
        (_, WaitingFor::Counterpart) => Some(Side::Counterpart),
        _ => None,
    };
    let key = match deadline {
        Some(day) => format!("0{}{case_id}", day.format("%Y-%m-%d")),
        None => format!("1{case_id}"),
    };
    let rows = || case_parties::table.filter(case_parties::case_id.eq(case_id));
    db_run!(conn, |c| diesel::update(rows()).set(case_parties::awaited_key.eq(None::<String>)).execute(c))?;
    if let Some(side) = side {
        db_run!(conn, |c| diesel::update(rows().filter(case_parties::side.eq(side.as_str()))).set(case_parties::awaited_key.eq(&key)).execute(c))?;
    }
    Ok(())
}

/// Stores an allowed ladder step: the new state and its event (and the closing event when
/// the last party's acceptance resolved the case). False when the case changed meanwhile.
pub fn record_transition(
    conn: &mut DbConn,
    case: &CaseRow,
    before: &CaseState,
    transition: &crate::domain::ladder::Transition,
    command: crate::domain::ladder::Command,
    body: &str,
    actor: &super::users::User,
) -> QueryResult<bool> {
    // A level entered now has its deadline counted from today, in Stockholm.
    if !save_state(conn, case, &transition.state, transition.level_entered, super::today())? {
        return Ok(false);
    }
    let event = |action, body| NewEvent {
        case_id: &case.id,
        actor_id: Some(&actor.id),
        actor_org_id: Some(&actor.organisation_id),
        action,
        from_level: Some(before.level),
        to_level: Some(transition.state.level),
        body,
        visible_to_org: None,
    };
    add_event(conn, &event(transition.event(command), body))?;
    if transition.resolved_by_agreement {
        add_event(conn, &event(EventKind::Resolved, "Alla parter har godtagit förslaget."))?;
    }
    Ok(true)
}

/// Bumps the version for changes that leave the ladder state alone (comments, attachments),
/// so that a concurrent form built on the old page still notices.
pub fn touch(conn: &mut DbConn, case_id: &str) -> QueryResult<()> {
    let at = now();
    db_run!(conn, |c| diesel::update(cases::table.find(case_id)).set((cases::version.eq(cases::version + 1), cases::updated_at.eq(at))).execute(c))?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = case_attachments)]
pub struct AttachmentInfo {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: NaiveDateTime,
}

pub fn attachments(conn: &mut DbConn, case_id: &str) -> QueryResult<Vec<AttachmentInfo>> {
    db_run!(conn, |c| case_attachments::table
        .filter(case_attachments::case_id.eq(case_id))
        .order(case_attachments::id)
        .select(AttachmentInfo::as_select())
        .load(c))
}

pub fn add_attachment(conn: &mut DbConn, case_id: &str, filename: &str, content_type: &str, content: &[u8], user_id: &str) -> QueryResult<String> {
    let id = new_id();
    let at = now();
    db_run!(conn, |c| diesel::insert_into(case_attachments::table)
        .values((
            case_attachments::id.eq(&id),
            case_attachments::case_id.eq(case_id),
            case_attachments::filename.eq(filename),
            case_attachments::content_type.eq(content_type),
            case_attachments::size_bytes.eq(content.len() as i64),
            case_attachments::content.eq(content),
            case_attachments::uploaded_by.eq(user_id),
            case_attachments::uploaded_at.eq(at),
        ))
        .execute(c))?;
    Ok(id)
}

/// An attachment of the case: its name, type and bytes.
pub fn attachment(conn: &mut DbConn, case_id: &str, id: &str) -> QueryResult<Option<(String, String, Vec<u8>)>> {
    db_run!(conn, |c| case_attachments::table
        .filter(case_attachments::case_id.eq(case_id))
        .filter(case_attachments::id.eq(id))
        .select((case_attachments::filename, case_attachments::content_type, case_attachments::content))
        .first(c)
        .optional())
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Organisations whose cases may be shown (a `local` user's subtree); None = the county.
    pub scope: Option<Vec<String>>,
    pub kind: Option<CaseKind>,
    pub level: Option<Level>,
    pub status: Option<Status>,
    pub organisation: Option<String>,
    pub commitment: Option<String>,
    pub overdue_on: Option<NaiveDate>,
    pub filed_from: Option<NaiveDate>,
    pub filed_to: Option<NaiveDate>,
    pub text: Option<String>,
    pub sort: Sort,
}

impl Filter {
    /// A page of the list `query` (ordered) reads. Where a filter is set whose best plan
    /// depends on its value (a rare level or a common status, a date range, a search), the
    /// statement is planned for its values at every execution; a list of one organisation, of
    /// a user's units or of the county, in any order, reuses one plan ([`Page`]).
    fn page<Q>(&self, query: Q, rows: i64, offset: i64) -> Page<Q> {
        if self.narrows_cases() {
            Page::bound(query, rows, offset)
        } else {
            Page::written(query, rows, offset)
        }
    }

    /// Whether a field on the case itself narrows the list, beyond whose cases it shows.
    fn narrows_cases(&self) -> bool {
        let Filter { scope: _, organisation: _, sort: _, kind, level, status, commitment, overdue_on, filed_from, filed_to, text } = self;
        kind.is_some()
            || level.is_some()
            || status.is_some()
            || commitment.is_some()
            || overdue_on.is_some()
            || filed_from.is_some()
            || filed_to.is_some()
            || text.is_some()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    Deadline,
}

#[derive(Debug, Clone, Queryable)]
pub struct ListedCase {
    pub number: String,
    pub kind: CaseKind,
    pub title: String,
    pub level: Level,
    pub status: Status,
    pub waiting_for: WaitingFor,
    #[diesel(deserialize_as = crate::db::OptionalDay)]
    pub deadline_on: Option<NaiveDate>,
    /// The organisation that filed it, by id: lists name it from `organisations::RecentChoices`
    /// (joining each row to the registry was a tenth of the case list's query).
    pub filed_by_org: String,
}

impl ListedCase {
    pub fn is_closed(&self) -> bool {
        self.status == Status::Closed
    }
}

/// A list row's columns.
macro_rules! listed_columns {
    () => {
        (cases::number, cases::kind, cases::title, cases::level, cases::status, cases::waiting_for, cases::deadline_on, cases::filed_by_org)
    };
}

/// A list row's columns as a table that carries them holds them: the party rows (migration
/// 032) and, on SQLite, the text index's rows (migration 033).
macro_rules! carried_listed_columns {
    ($table:ident) => {
        (
            $table::case_number,
            $table::case_kind,
            $table::case_title,
            $table::case_level,
            $table::case_status,
            $table::case_waiting_for,
            $table::case_deadline_on,
            $table::case_filed_by_org,
        )
    };
}

fn like_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of cases matching the filter; asks for one more than `limit` so the caller
/// knows whether there is a next page without counting them all.
/// Below this many party rows a set of organisations counts as sparse (see `list`).
const SPARSE_PARTY_ROWS: i64 = 500;

/// Whether the organisations are party to fewer than [`SPARSE_PARTY_ROWS`] cases; counts
/// no further than that, so it costs at most a short index range.
fn sparse(conn: &mut DbConn, orgs: &[String]) -> QueryResult<bool> {
    let found: Vec<String> = db_run!(conn, |c| case_parties::table
        .filter(case_parties::organisation_id.eq_any(orgs))
        .select(case_parties::case_id)
        .limit(SPARSE_PARTY_ROWS)
        .load(c))?;
    Ok((found.len() as i64) < SPARSE_PARTY_ROWS)
}

/// Narrows a boxed list query by the filter's fields on the case itself.
macro_rules! case_filters {
    ($query:ident, $filter:expr, $few_text_matches:expr) => {
        if let Some(kind) = $filter.kind {
            $query = $query.filter(cases::kind.eq(kind.as_str()));
        }
        if let Some(level) = $filter.level {
            $query = $query.filter(cases::level.eq(level.as_str()));
        }
        if let Some(status) = $filter.status {
            $query = $query.filter(cases::status.eq(status.as_str()));
        }
        if let Some(commitment) = &$filter.commitment {
            $query = $query.filter(cases::commitment_id.eq(commitment.clone()));
        }
        if let Some(today) = $filter.overdue_on {
            $query = $query.filter(cases::status.ne(Status::Closed.as_str())).filter(cases::deadline_on.lt(today));
        }
        if let Some(from) = $filter.filed_from {
            $query = $query.filter(cases::created_at.ge(from.and_hms_opt(0, 0, 0).expect("midnight")));
        }
        if let Some(to) = $filter.filed_to.and_then(|d| d.succ_opt()) {
            $query = $query.filter(cases::created_at.lt(to.and_hms_opt(0, 0, 0).expect("midnight")));
        }
        match (&$few_text_matches, &$filter.text) {
            // One match (a case number) keeps the statement the same on every request, so it
            // is prepared once; diesel prepares an `IN` over a list again each time.
            (Some(ids), _) if ids.len() == 1 => $query = $query.filter(cases::id.eq(ids[0].clone())),
            (Some(ids), _) => $query = $query.filter(cases::id.eq_any(ids.clone())),
            (None, Some(text)) => $query = $query.filter(cases::search_text.like(like_pattern(text)).escape('\\')),
            (None, None) => {}
        }
    };
}

/// Up to this many cases matching a search are fetched by id through the text index; with
/// more, walking the list in its order and testing each case's text finds a page sooner.
/// Measured (bench/compare.sh, 100 000 cases, against the Fortunes baseline in the same run):
/// a case number went from 8.6 to 2 245 pages/s on SQLite and from 32 to 380 on PostgreSQL;
/// a common word (?q=SIP) stayed near 2 500 on SQLite and went from 1 913 to 930 on
/// PostgreSQL, where the check for few matches reads the trigram index. A limit of 500 made
/// the common word 3 to 5 times slower on both.
const SPARSE_TEXT_MATCHES: i64 = 100;

#[derive(QueryableByName)]
struct TextMatch {
    #[diesel(sql_type = diesel::sql_types::Text)]
    case_id: String,
}

/// The part of a search that the trigram index is asked for: the longest run of four or more
/// digits in it that is not a year (a case number's serial, an amount), or else the whole
/// text. The index looks up every trigram of what it is given, and those of a case number's
/// prefix and year ("av-", "202", "026") are in every case, so it read some 100 000 entries
/// for each of them to find one case; the whole text is still tested on each case the part
/// finds. A year is left alone for the same reason: it is in every case number.
fn indexed_part(text: &str) -> &str {
    let year = |run: &str| run.len() == 4 && (run.starts_with("19") || run.starts_with("20"));
    text.split(|c: char| !c.is_ascii_digit()).filter(|run| run.len() >= 4 && !year(run)).max_by_key(|run| run.len()).unwrap_or(text)
}

/// Whether the trigram index can look for `text`: it indexes runs of three characters.
fn has_trigrams(text: &str) -> bool {
    text.chars().count() >= 3
}

/// The cases whose text holds `text`, through the trigram index (FTS5 on SQLite, pg_trgm on
/// PostgreSQL), when they are few; None when they are many, or when the text is too short for
/// trigrams or holds LIKE's own characters (the list then tests each text as it walks, or on
/// SQLite reads the index in list order: `newest_text_matches`).
fn few_text_matches(conn: &mut DbConn, text: &str) -> QueryResult<Option<Vec<String>>> {
    if !has_trigrams(text) || text.contains(['%', '_', '\\']) {
        return Ok(None);
    }
    let part = indexed_part(text);
    // Given a part, the index looks for it and `search_text || ''`, which the index cannot
    // take, is the whole text tested on each case found. Without one the query stays as it
    // was: the second test made PostgreSQL's planner expect fewer matches and read the index
    // for a common word too (?q=SIP 4.1 ms instead of 0.8 ms).
    let recheck = (part != text).then(|| like_pattern(text));
    if recheck.is_none() && many_sqlite_text_matches(conn, text)? {
        return Ok(None);
    }
    let part = like_pattern(part);
    let limit = SPARSE_TEXT_MATCHES + 1;
    let found: Vec<String> = match &mut conn.inner {
        // Through the query builder, so that the statement is prepared once.
        crate::db::Backend::Sqlite(c) => {
            let mut query = cases_text::table.select(cases_text::case_id).filter(cases_text::search_text.like(part)).into_boxed();
            if let Some(whole) = recheck {
                query = query.filter(cases_text::search_text.concat("").like(whole));
            }
            query.limit(limit).load(c)?
        }
        // As written, for the planner's sake: a prepared statement's generic plan would not
        // see how common the pattern is.
        crate::db::Backend::Pg(c) => {
            use diesel::sql_types::{BigInt, Text};
            let sql = match recheck {
                Some(_) => "SELECT id AS case_id FROM cases WHERE search_text LIKE $1 AND (search_text || '') LIKE $2 LIMIT $3",
                None => "SELECT id AS case_id FROM cases WHERE search_text LIKE $1 LIMIT $2",
            };
            let mut query = diesel::sql_query(sql).into_boxed().bind::<Text, _>(part);
            if let Some(whole) = recheck {
                query = query.bind::<Text, _>(whole);
            }
            query.bind::<BigInt, _>(limit).load::<TextMatch>(c)?.into_iter().map(|m| m.case_id).collect()
        }
    };
    Ok((found.len() as i64 <= SPARSE_TEXT_MATCHES).then_some(found))
}

/// Whether more than [`SPARSE_TEXT_MATCHES`] cases hold `text` by SQLite's text index; false
/// on PostgreSQL. A trigram index's phrase is a substring of the text, as `LIKE '%text%'`
/// is, and counting the phrase's matches reads only the index, where fetching a match's
/// case id reads the index's stored row as well: for a common word (?q=SIP) 19 µs against
/// 89 µs for 101 matches (100 000 cases).
fn many_sqlite_text_matches(conn: &mut DbConn, text: &str) -> QueryResult<bool> {
    let crate::db::Backend::Sqlite(c) = &mut conn.inner else { return Ok(false) };
    let found: Vec<i64> = cases_text::table.select(cases_text::rowid).filter(text_matches(text)).limit(SPARSE_TEXT_MATCHES + 1).load(c)?;
    Ok(found.len() as i64 > SPARSE_TEXT_MATCHES)
}

/// SQLite's text index matching `text` as one FTS5 phrase, which the trigram index matches
/// where `LIKE '%text%'` would.
fn text_matches(text: &str) -> crate::db::Matches<cases_text::search_text, diesel::dsl::AsExprOf<String, diesel::sql_types::Text>> {
    let phrase = format!("\"{}\"", text.to_lowercase().replace('"', "\"\""));
    crate::db::Matches::new(cases_text::search_text, phrase.into_sql::<diesel::sql_types::Text>())
}

/// A county-wide search newest first on SQLite, when the text index can take the text (three
/// characters or more): the index's rows are numbered in list order (migration 028,
/// [`filing_stamp`]), so its matches read from the highest number down, each with what the
/// list shows of its case (`cases_text_rows`), give the page after a page of matches. Walking
/// the list and testing each case's text read every case in between: for a common word
/// (?q=SIP, about 540 cases for a page, 100 000 in all) the query took 250 µs, and 90 µs this
/// way. None on PostgreSQL.
fn newest_text_matches(conn: &mut DbConn, filter: &Filter, text: &str, offset: i64, limit: i64) -> QueryResult<Option<Vec<ListedCase>>> {
    let crate::db::Backend::Sqlite(c) = &mut conn.inner else { return Ok(None) };
    if !has_trigrams(text) {
        return Ok(None);
    }
    let others = Filter { text: None, ..filter.clone() };
    // Each match from the narrow `cases_text_rows` by the match's number: the index's own
    // stored row holds the case's whole text too. The row carries what the list shows
    // (migration 033); only another filter on the case joins the cases.
    let matches = cases_text::table.inner_join(cases_text_rows::table.on(cases_text_rows::rowid.eq(cases_text::rowid))).filter(text_matches(text));
    if !others.narrows_cases() {
        return matches
            .select(carried_listed_columns!(cases_text_rows))
            .order(cases_text::rowid.desc())
            .offset(offset)
            .limit(limit + 1)
            .load(c)
            .map(Some);
    }
    let mut query = matches.inner_join(cases::table.on(cases::id.eq(cases_text_rows::case_id))).select(listed_columns!()).into_boxed();
    case_filters!(query, others, None::<Vec<String>>);
    query.order(cases_text::rowid.desc()).offset(offset).limit(limit + 1).load(c).map(Some)
}

/// Merges SQLite's case text index into one piece. Every filing adds a small segment to the
/// FTS5 index and a search reads every segment: 100 000 cases filed one by one left 16, and
/// finding a case number took 500 µs, 110 µs after merging (the merge took 0.5 s; it does
/// nothing when the index is one piece already). PostgreSQL's trigram index is left to
/// autovacuum: moving its pending entries in at once (`gin_clean_pending_list`) made a search
/// for a case number 1.5 times faster but led the planner to read the index for common words
/// too, and ?q=SIP became twice as slow (bench/compare.sh, 100 000 cases).
pub fn tidy_text_index(conn: &mut DbConn) -> QueryResult<()> {
    if let crate::db::Backend::Sqlite(c) = &mut conn.inner {
        diesel::sql_query("INSERT INTO cases_text (cases_text) VALUES ('optimize')").execute(c)?;
    }
    Ok(())
}

pub fn list(conn: &mut DbConn, filter: &Filter, offset: i64, limit: i64) -> QueryResult<Vec<ListedCase>> {
    let mut party_filters: Vec<Vec<String>> = [filter.scope.clone(), filter.organisation.clone().map(|o| vec![o])].into_iter().flatten().collect();
    let county_newest = filter.sort == Sort::Newest && party_filters.is_empty();
    let text_ids = match &filter.text {
        Some(text) => {
            // Few matches or many, SQLite's text index gives them in list order; except a case
            // number's, whose phrase is mostly trigrams every case has: its serial is looked up
            // first (`few_text_matches`).
            let county_word = county_newest && indexed_part(text) == text;
            if county_word {
                if let Some(found) = newest_text_matches(conn, filter, text, offset, limit)? {
                    return Ok(found);
                }
            }
            // A county-wide search for a word on PostgreSQL walks the list straight away: its
            // statement is planned for the word it is given (its LIMIT is a parameter), which
            // reads the trigram index for a rare word and walks for a common one. Asking the
            // index first whether the matches are few took 1.4–4.5 ms of ?q=SIP (a word in 9 %
            // of 100 000 cases), twice the walk.
            if county_word && matches!(conn.inner, crate::db::Backend::Pg(_)) {
                None
            } else {
                few_text_matches(conn, text)?
            }
        }
        None => None,
    };
    if let (None, Some(text), true) = (&text_ids, &filter.text, county_newest) {
        if let Some(found) = newest_text_matches(conn, filter, text, offset, limit)? {
            return Ok(found);
        }
    }
    // The commonest list, a one-organisation user's newest cases, reads that organisation's
    // party rows newest first from their index and stops after one page; unfiltered, the
    // index holds all it shows (migration 032), and only a filter on the case joins them.
    if filter.sort == Sort::Newest && party_filters.len() == 1 && party_filters[0].len() == 1 {
        let organisation = party_filters.remove(0).remove(0);
        let ours = case_parties::organisation_id.eq(organisation);
        let newest = (case_parties::case_created_at.desc(), case_parties::case_id.desc());
        return db_run!(conn, |c| {
            if filter.narrows_cases() {
                let mut query = case_parties::table.inner_join(cases::table).filter(ours.clone()).select(listed_columns!()).into_boxed();
                case_filters!(query, filter, text_ids);
                filter.page(query.order(newest), limit + 1, offset).load(c)
            } else {
                filter
                    .page(case_parties::table.filter(ours.clone()).select(carried_listed_columns!(case_parties)).order(newest), limit + 1, offset)
                    .load(c)
            }
        });
    }
    let mut sparse_flags = Vec::new();
    for orgs in &party_filters {
        sparse_flags.push(sparse(conn, orgs)?);
    }
    db_run!(conn, |c| {
        let mut query = cases::table.select(listed_columns!()).into_boxed();
        for (orgs, sparse) in party_filters.iter().zip(&sparse_flags) {
            // Few cases: fetch them by id and sort. Many: walk the cases newest first and keep
            // those with such a party, which finds a page long before the end.
            if *sparse {
                let ids = case_parties::table.filter(case_parties::organisation_id.eq_any(orgs.clone())).select(case_parties::case_id);
                query = query.filter(cases::id.eq_any(ids));
            } else {
                let party =
                    case_parties::table.filter(case_parties::case_id.eq(cases::id)).filter(case_parties::organisation_id.eq_any(orgs.clone()));
                query = query.filter(diesel::dsl::exists(party));
            }
        }
        case_filters!(query, filter, text_ids);
        query = match filter.sort {
            Sort::Newest => query.order((cases::created_at.desc(), cases::id.desc())),
            Sort::Oldest => query.order((cases::created_at.asc(), cases::id.asc())),
            Sort::Deadline => query.order((cases::deadline_on.is_null(), cases::deadline_on.asc(), cases::id.asc())),
        };
        filter.page(query, limit + 1, offset).load(c)
    })
}

/// Open cases waiting for a side on which `orgs` (a user's organisations) are party,
/// soonest deadline first, those without a deadline last: the party rows' awaited keys
/// (`case_parties_awaited`, which sort in exactly that order) walked in order, stopping after
/// a page; the index carries what the page shows of each case (migration 032). Asking the
/// cases read every case waiting for any counterpart (measured: 20 pages/s with 100 000
/// cases), joining every party row to its case in deadline order still read some 3 500 (90
/// pages/s), fetching the page's ids first and then their cases parsed an `IN` of 100 ids on
/// every request, and joining the page's entries to their cases was half its database time.
pub fn awaiting_party(conn: &mut DbConn, orgs: &[String], limit: i64) -> QueryResult<Vec<ListedCase>> {
    let mut found: Vec<ListedCase> = db_run!(conn, |c| {
        let mut query =
            case_parties::table.filter(case_parties::awaited_key.is_not_null()).select(carried_listed_columns!(case_parties)).into_boxed();
        // One organisation (the commonest user) keeps the statement the same on every request,
        // so it is prepared once; a case then has one party row for it at most.
        let rows = match orgs {
            [one] => {
                query = query.filter(case_parties::organisation_id.eq(one));
                limit
            }
            // A case with two of `orgs` on its waited-for side comes once per party row, next
            // to each other (the same key); twice the page leaves room.
            many => {
                query = query.filter(case_parties::organisation_id.eq_any(many));
                2 * limit
            }
        };
        Page::written(query.order(case_parties::awaited_key), rows, 0).load(c)
    })?;
    found.dedup_by(|a, b| a.number == b.number);
    found.truncate(limit as usize);
    Ok(found)
}

/// The open cases waiting for a county role (Storsthlm/HSF, the steering group, VIS), in
/// deadline order with those without a deadline last: the dated ones, then as many undated
/// as the page has room for, each an ordered range of `cases_waiting` that stops at `limit`
/// (one query ordering on `deadline_on IS NULL` sorted every case waiting for the role).
pub fn awaiting_role(conn: &mut DbConn, waiting: WaitingFor, limit: i64) -> QueryResult<Vec<ListedCase>> {
    let open =
        || cases::table.select(listed_columns!()).filter(cases::status.ne(Status::Closed.as_str())).filter(cases::waiting_for.eq(waiting.as_str()));
    let mut found: Vec<ListedCase> = db_run!(conn, |c| {
        Page::written(open().filter(cases::deadline_on.is_not_null()).order((cases::deadline_on.asc(), cases::id.asc())), limit, 0).load(c)
    })?;
    // The room left varies, and with it the statement's row count: bound, not written.
    let room = limit - found.len() as i64;
    if room > 0 {
        found.extend(db_run!(conn, |c| open().filter(cases::deadline_on.is_null()).order(cases::id.asc()).limit(room).load::<ListedCase>(c))?);
    }
    Ok(found)
}

/// Marks a generated benchmark case closed without history (bench data only).
pub fn close_generated(conn: &mut DbConn, number: &str) -> QueryResult<usize> {
    let at = now();
    let closed = db_run!(conn, |c| diesel::update(cases::table.filter(cases::number.eq(number)))
        .set((cases::status.eq(Status::Closed.as_str()), cases::waiting_for.eq(WaitingFor::Nobody.as_str()), cases::closed_at.eq(at)))
        .execute(c))?;
    if let Some(case) = by_number(conn, number)? {
        mark_awaited(conn, &case.id, Status::Closed, WaitingFor::Nobody, None)?;
    }
    Ok(closed)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    db_run!(conn, |c| cases::table.count().get_result(c))
}

#[cfg(test)]
mod tests {
    use super::indexed_part;

    #[test]
    fn the_index_is_asked_for_a_long_run_of_digits_when_there_is_one() {
        assert_eq!(indexed_part("AV-2026-0404"), "0404");
        assert_eq!(indexed_part("AV-2026-59958"), "59958");
        assert_eq!(indexed_part("belopp 1250000 kr, ärende 00123"), "1250000");
        // A year, a date or a short number leaves the whole text to the index.
        assert_eq!(indexed_part("2026-10-01"), "2026-10-01");
        assert_eq!(indexed_part("kostnad 1999 och 2026"), "kostnad 1999 och 2026");
        assert_eq!(indexed_part("ärende 123 om"), "ärende 123 om");
        assert_eq!(indexed_part("SIP"), "SIP");
        assert_eq!(indexed_part("3050"), "3050");
    }
}
