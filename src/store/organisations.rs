use super::{DbConn, QueryResult};
use crate::db::schema::organisations;
use crate::db_run;
use crate::domain::registry::OrganisationKind;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    pub id: String,
    pub kind: OrganisationKind,
    pub name: String,
    pub municipality_code: Option<String>,
    pub parent_id: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    /// A functional mailbox that receives what asks the organisation to act.
    pub contact_email: Option<String>,
}

impl Organisation {
    pub fn kind_label(&self) -> &'static str {
        self.kind.label()
    }

    pub fn is_editable(&self) -> bool {
        self.kind.is_editable()
    }

    pub fn validity(&self) -> String {
        crate::domain::registry::Validity { from: self.valid_from, to: self.valid_to }.text().unwrap_or_default()
    }
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Organisation>> {
    db_run!(conn, |c| organisations::table.order((organisations::kind, organisations::name)).select(Organisation::as_select()).load(c))
}

/// Id, name and kind of every organisation, by name: enough for a choice list, and cheap.
pub fn choices(conn: &mut DbConn) -> QueryResult<Vec<Choice>> {
    db_run!(conn, |c| organisations::table
        .order(organisations::name)
        .select((
            organisations::id,
            organisations::name,
            organisations::kind,
            organisations::active,
            organisations::municipality_code,
            organisations::valid_from,
            organisations::valid_to,
        ))
        .load(c))
}

/// The choice list as [`choices`] read it a moment ago, for pages that only show it: the case
/// list's filter offers every organisation on every request, and reading them was a fifth of
/// that page's CPU (perf, 100 000 cases). Lists of cases also take the filing organisation's
/// name from it instead of joining every row to the registry. A change made through this
/// process is shown at once (its handler calls [`forget`](Self::forget) after the write); one
/// made through another app server on the same database shows within
/// [`FRESH_FOR`](Self::FRESH_FOR). Checks of what a user posted read the table itself.
#[derive(Default)]
pub struct RecentChoices {
    kept: std::sync::Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    /// Counts the changes forgotten, so that a list read before a change is not kept after it.
    generation: u64,
    read: Option<(std::time::Instant, std::sync::Arc<Choices>)>,
}

/// Text escaped for HTML once, to be written as it is (`|safe`) on many pages: the
/// organisations' names in the case lists. Made only by [`Escaped::new`], with askama's own
/// escaper, so it reads exactly as `{{ text }}` would.
#[derive(Debug, Clone)]
pub struct Escaped(String);

impl Escaped {
    pub fn new(text: &str) -> Escaped {
        let Ok(escaped) = askama::filters::escape(text, askama::filters::Html);
        Escaped(escaped.to_string())
    }
}

impl std::fmt::Display for Escaped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Written straight into the page, not through `Display`'s formatter.
impl askama::FastWritable for Escaped {
    fn write_into(&self, dest: &mut dyn std::fmt::Write, _: &dyn askama::Values) -> askama::Result<()> {
        Ok(dest.write_str(&self.0)?)
    }
}

/// Every organisation by name, and where each id is in that order.
pub struct Choices {
    by_name: Vec<Choice>,
    by_id: std::collections::HashMap<String, usize>,
    /// Each choice's id and name escaped for HTML, in the same order: the case list writes
    /// every party organisation in its filter and the filer's name in each row (perf, a
    /// reviewer's list of 100 000 cases: askama's escaping went from 5.1 % of the CPU to 3.6 %,
    /// the page's rendering from 12.0 % to 10.2 %).
    html: Vec<ChoiceHtml>,
}

/// A [`Choice`] as the case lists write it.
pub struct ChoiceHtml {
    pub id_html: Escaped,
    pub name_html: Escaped,
}

impl Choices {
    fn new(by_name: Vec<Choice>) -> Choices {
        let by_id = by_name.iter().enumerate().map(|(at, c)| (c.id.clone(), at)).collect();
        let html = by_name.iter().map(|c| ChoiceHtml { id_html: Escaped::new(&c.id), name_html: Escaped::new(&c.name) }).collect();
        Choices { by_name, by_id, html }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Choice> {
        self.by_name.iter()
    }

    /// Each choice with its escaped form.
    pub fn with_html(&self) -> impl Iterator<Item = (&Choice, &ChoiceHtml)> {
        self.by_name.iter().zip(&self.html)
    }

    pub fn get(&self, id: &str) -> Option<&Choice> {
        self.by_id.get(id).map(|&at| &self.by_name[at])
    }

    pub fn html(&self, id: &str) -> Option<&ChoiceHtml> {
        self.by_id.get(id).map(|&at| &self.html[at])
    }
}

impl RecentChoices {
    pub const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(5);

    pub fn get(&self, conn: &mut DbConn) -> QueryResult<std::sync::Arc<Choices>> {
        let generation = {
            let kept = self.lock();
            if let Some((_, list)) = kept.read.as_ref().filter(|(at, _)| at.elapsed() < Self::FRESH_FOR) {
                return Ok(list.clone());
            }
            kept.generation
        };
        let list = std::sync::Arc::new(Choices::new(choices(conn)?));
        let mut kept = self.lock();
        if kept.generation == generation {
            kept.read = Some((std::time::Instant::now(), list.clone()));
        }
        Ok(list)
    }

    /// [`get`](Self::get), read again when it lacks one of `ids`: an organisation another app
    /// server added a moment ago.
    pub fn naming<'a>(&self, conn: &mut DbConn, mut ids: impl Iterator<Item = &'a str>) -> QueryResult<std::sync::Arc<Choices>> {
        let list = self.get(conn)?;
        if ids.all(|id| list.get(id).is_some()) {
            return Ok(list);
        }
        self.forget();
        self.get(conn)
    }

    /// Called after an organisation was added or changed.
    pub fn forget(&self) {
        let mut kept = self.lock();
        kept.generation += 1;
        kept.read = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // A panic elsewhere while holding it leaves nothing half-done: the list is replaced whole.
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct Choice {
    pub id: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub active: bool,
    pub municipality_code: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

impl Choice {
    pub fn validity(&self) -> crate::domain::registry::Validity {
        crate::domain::registry::Validity { from: self.valid_from, to: self.valid_to }
    }

    /// The name with the days it existed, where it did not always: "Älvsjö (till och med 2020-06-30)".
    pub fn label(&self) -> String {
        match self.validity().text() {
            Some(days) => format!("{} ({days})", self.name),
            None => self.name.clone(),
        }
    }

    /// Whether it can be the billing unit of a payment dispute about `month` (domain.md §4.1).
    pub fn bills_for(&self, month: Option<crate::domain::payment::Month>) -> bool {
        crate::domain::registry::may_be_billing_unit(self.kind, self.municipality_code.as_deref(), self.validity(), month)
    }

    pub fn kind_label(&self) -> &'static str {
        self.kind.label()
    }

    /// Whether it can be a party to a case (everything but the steering group and VIS).
    pub fn can_be_party(&self) -> bool {
        self.active && self.kind.can_be_party()
    }
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<Organisation>> {
    db_run!(conn, |c| organisations::table.find(id).select(Organisation::as_select()).first(c).optional())
}

pub fn children(conn: &mut DbConn, id: &str) -> QueryResult<Vec<Organisation>> {
    db_run!(conn, |c| organisations::table
        .filter(organisations::parent_id.eq(id))
        .order(organisations::name)
        .select(Organisation::as_select())
        .load(c))
}

pub fn districts_on(conn: &mut DbConn, day: NaiveDate) -> QueryResult<Vec<Organisation>> {
    db_run!(conn, |c| organisations::table
        .filter(organisations::kind.eq(OrganisationKind::District.as_str()))
        .filter(organisations::valid_from.is_null().or(organisations::valid_from.le(day)))
        .filter(organisations::valid_to.is_null().or(organisations::valid_to.ge(day)))
        .order(organisations::name)
        .select(Organisation::as_select())
        .load(c))
}

/// The organisation followed by its ancestors; empty when it does not exist.
pub fn lineage(conn: &mut DbConn, id: &str) -> QueryResult<Vec<String>> {
    let mut chain = Vec::new();
    let mut next = Some(id.to_owned());
    while let Some(current) = next.take() {
        // The registry is shallow; the bound stops a cycle an administrator could make.
        if chain.len() > 16 || chain.contains(&current) {
            break;
        }
        let parent: Option<Option<String>> =
            db_run!(conn, |c| organisations::table.find(&current).select(organisations::parent_id).first(c).optional())?;
        match parent {
            Some(parent) => {
                chain.push(current);
                next = parent;
            }
            None => break,
        }
    }
    Ok(chain)
}

/// `root` and every organisation below it, one level at a time through the parent index: a
/// user's own organisation is most often a leaf, and one look for its children that finds
/// none replaced reading every organisation's parent link, which was a tenth of a local
/// user's case list (perf, 100 000 cases).
pub fn subtree(conn: &mut DbConn, root: &str) -> QueryResult<Vec<String>> {
    let mut found = vec![root.to_owned()];
    let mut level = found.clone();
    while !level.is_empty() {
        let children: Vec<String> = match level.as_slice() {
            // One parent, the commonest look (a user's own organisation), is one statement
            // diesel prepares once; an `IN` over a list is prepared again on every call
            // (perf: 9 % of the case page, where every viewer's subtree is looked up).
            [parent] => db_run!(conn, |c| organisations::table.filter(organisations::parent_id.eq(parent)).select(organisations::id).load(c))?,
            parents => db_run!(conn, |c| organisations::table.filter(organisations::parent_id.eq_any(parents)).select(organisations::id).load(c))?,
        };
        // A loop in the parent links ends here rather than running forever.
        level = children.into_iter().filter(|id| !found.contains(id)).collect();
        found.extend(level.iter().cloned());
    }
    Ok(found)
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = organisations)]
pub struct UnitChange<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub parent_id: &'a str,
    pub active: bool,
}

pub fn insert_unit(conn: &mut DbConn, id: &str, unit: &UnitChange) -> QueryResult<()> {
    let now = super::now();
    db_run!(conn, |c| diesel::insert_into(organisations::table)
        .values((organisations::id.eq(id), unit, organisations::created_at.eq(now)))
        .execute(c))?;
    Ok(())
}

pub fn update_unit(conn: &mut DbConn, id: &str, unit: &UnitChange) -> QueryResult<usize> {
    db_run!(conn, |c| diesel::update(organisations::table.find(id)).set(unit).execute(c))
}

/// Organisations an editable unit may hang under: the region, a care provider or a municipality.
pub fn possible_parents(conn: &mut DbConn) -> QueryResult<Vec<Organisation>> {
    db_run!(conn, |c| organisations::table
        .filter(
            organisations::kind
                .eq_any([OrganisationKind::Region, OrganisationKind::CareProvider, OrganisationKind::Municipality].map(OrganisationKind::as_str))
        )
        .order((organisations::kind.desc(), organisations::name))
        .select(Organisation::as_select())
        .load(c))
}

/// Sets or removes the functional mailbox; false when there is no such organisation.
pub fn set_contact_email(conn: &mut DbConn, id: &str, email: Option<&str>) -> QueryResult<bool> {
    let n = db_run!(conn, |c| diesel::update(organisations::table.find(id)).set(organisations::contact_email.eq(email)).execute(c))?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_text_reads_as_askama_writes_it() {
        assert_eq!(Escaped::new("Vård & omsorg <Syd> \"A\" 'B'").to_string(), "Vård &#38; omsorg &#60;Syd&#62; &#34;A&#34; &#39;B&#39;");
        assert_eq!(Escaped::new("Botkyrka kommun").to_string(), "Botkyrka kommun");
    }
}
