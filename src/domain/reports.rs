//! The follow-up reports (domain.md §3, §6): what happened to the cases of a period, and
//! the payment figures per month and unit. Pure arithmetic over facts the store hands in.

use super::ladder::{CaseKind, Level, Status, ALL_KINDS, ALL_LEVELS};
use super::payment::{Month, Readmissions, UnitResult};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

/// A report's period, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// `from` must not come after `to`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Option<Period> {
        (from <= to).then_some(Period { from, to })
    }

    /// The calendar year of `day`.
    pub fn year_of(day: NaiveDate) -> Period {
        let from = NaiveDate::from_ymd_opt(day.year(), 1, 1).expect("1 January exists");
        let to = NaiveDate::from_ymd_opt(day.year(), 12, 31).expect("31 December exists");
        Period { from, to }
    }

    /// The months the period touches.
    pub fn months(&self) -> Vec<Month> {
        Month::of(self.from).through(Month::of(self.to)).collect()
    }
}

/// Reports cover years within these, and at most this many years at a time: one request
/// must stay bounded in time and memory whatever is asked.
pub const FIRST_YEAR: i32 = 2019;
pub const LAST_YEAR: i32 = 2100;
pub const MAX_YEARS: i32 = 10;

/// Why a period asked for is not reported on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodRefusal {
    Reversed,
    OutOfRange,
    TooLong,
}

impl PeriodRefusal {
    pub fn message(self) -> &'static str {
        match self {
            PeriodRefusal::Reversed => "Slutet av perioden kan inte ligga före början.",
            PeriodRefusal::OutOfRange => "Välj en period mellan år 2019 och 2100.",
            PeriodRefusal::TooLong => "Välj en period på högst tio år.",
        }
    }
}

/// `from`..=`to` as months (year, month), checked against the bounds above.
pub fn check_span(from: (i32, u32), to: (i32, u32)) -> Result<(), PeriodRefusal> {
    if from > to {
        return Err(PeriodRefusal::Reversed);
    }
    if from.0 < FIRST_YEAR || to.0 > LAST_YEAR {
        return Err(PeriodRefusal::OutOfRange);
    }
    let months = (to.0 - from.0) * 12 + to.1 as i32 - from.1 as i32 + 1;
    if months > MAX_YEARS * 12 {
        return Err(PeriodRefusal::TooLong);
    }
    Ok(())
}

/// One row of the follow-up per unit and month (§6): a paying unit over all its rows (the
/// average model and each care provider of the transitional rule), or Stockholm as a whole
/// beside its districts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFollowUp {
    pub name: String,
    pub city_total: bool,
    pub episodes: i64,
    pub included: i64,
    pub days: i64,
    /// None while some unit's year has no daily amount.
    pub amount_sek: Option<i64>,
    /// None where the episodes did not report age ("inte rapporterat", never 0 %).
    pub readmissions: Option<Readmissions>,
}

impl UnitFollowUp {
    fn of(r: &UnitResult) -> UnitFollowUp {
        UnitFollowUp {
            name: r.key.unit.name(),
            city_total: false,
            episodes: r.tally.episodes_total,
            included: r.tally.episodes_included,
            days: r.tally.total_days,
            amount_sek: r.amount_sek,
            readmissions: r.tally.readmissions,
        }
    }

    fn merge(&mut self, other: &UnitFollowUp) {
        self.episodes += other.episodes;
        self.included += other.included;
        self.days += other.days;
        self.amount_sek = self.amount_sek.zip(other.amount_sek).map(|(a, b)| a + b);
        if let Some(more) = other.readmissions {
            self.readmissions.get_or_insert_default().add(more);
        }
    }
}

/// The month's units in their order, each once, with Stockholm's city total after its
/// districts (results come sorted by municipality code and district, so they stand together).
pub fn follow_up(results: &[UnitResult]) -> Vec<UnitFollowUp> {
    let empty = |name: String, city_total: bool| UnitFollowUp {
        name,
        city_total,
        episodes: 0,
        included: 0,
        days: 0,
        amount_sek: Some(0),
        readmissions: None,
    };
    let mut rows: Vec<(super::payment::PayingUnit, UnitFollowUp)> = Vec::new();
    for r in results {
        if rows.last().is_none_or(|(unit, _)| *unit != r.key.unit) {
            rows.push((r.key.unit, empty(r.key.unit.name(), false)));
        }
        rows.last_mut().expect("pushed above").1.merge(&UnitFollowUp::of(r));
    }
    let is_district = |unit: &super::payment::PayingUnit| unit.municipality.is_stockholm() && unit.district.is_some();
    let last_district = rows.iter().rposition(|(unit, _)| is_district(unit));
    let mut city = empty("Stockholm, hela staden".to_owned(), true);
    for (_, row) in rows.iter().filter(|(unit, _)| is_district(unit)) {
        city.merge(row);
    }
    let mut out: Vec<UnitFollowUp> = rows.into_iter().map(|(_, row)| row).collect();
    if let Some(i) = last_district {
        out.insert(i + 1, city);
    }
    out
}

/// The share in per cent with one decimal, as Swedish pages write it ("12,5 %").
pub fn percent_text(readmissions: Option<Readmissions>) -> String {
    match readmissions.and_then(Readmissions::percent) {
        Some(percent) => format!("{} %", percent.one_decimal().replace('.', ",")),
        None if readmissions.is_some() => "ingen 65+".to_owned(),
        None => "inte rapporterat".to_owned(),
    }
}

/// The nearest-rank percentile of sorted values: the smallest value with at least `p` per
/// cent of the values at or below it. Always one of the values, so easy to check by hand.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// Cases filed in the period that share kind, commitment, level and status, and how many.
/// The database groups them, so a report over 100 000 cases reads a few hundred rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledGroup {
    pub kind: CaseKind,
    pub commitment: Option<String>,
    /// Levels only go up, so the current level is the highest the case has reached.
    pub level: Level,
    pub status: Status,
    pub cases: usize,
}

/// What the report counts about the cases filed in the period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filed {
    pub groups: Vec<FiledGroup>,
    /// Open with the deadline passed.
    pub overdue: usize,
    /// Per party organisation, the cases it is a party to (once per case).
    pub by_party: Vec<(String, usize)>,
}

/// A case closed in the period: the level it was resolved at and the days it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosedCase {
    pub level: Level,
    pub days: i64,
}

/// Time to resolution at one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub level: Level,
    pub cases: usize,
    pub median_days: i64,
    pub p90_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseFigures {
    pub opened: usize,
    pub closed: usize,
    pub overdue: usize,
    pub to_steering: usize,
    pub to_vis: usize,
    pub by_kind: Vec<(CaseKind, usize)>,
    /// By commitment id; cases without one (payment disputes, some questions) under None.
    pub by_commitment: Vec<(Option<String>, usize)>,
    pub by_level: Vec<(Level, usize)>,
    pub by_status: Vec<(Status, usize)>,
    /// By party organisation id: a case counts once for each organisation that is a party.
    pub by_organisation: Vec<(String, usize)>,
    pub resolution: Vec<Resolution>,
}

/// The figures of the deviation report: what was filed in the period, what was closed in it,
/// and the escalations made in it (their target levels).
pub fn case_figures(filed: &Filed, closed: &[ClosedCase], escalated_to: &[Level]) -> CaseFigures {
    let count = |keep: &dyn Fn(&FiledGroup) -> bool| filed.groups.iter().filter(|g| keep(g)).map(|g| g.cases).sum::<usize>();
    let by_kind = ALL_KINDS.iter().map(|k| (*k, count(&|g| g.kind == *k))).filter(|(_, n)| *n > 0).collect();
    let by_level = ALL_LEVELS.iter().map(|l| (*l, count(&|g| g.level == *l))).filter(|(_, n)| *n > 0).collect();
    let by_status =
        [Status::Open, Status::AwaitingJudgment, Status::Closed].iter().map(|s| (*s, count(&|g| g.status == *s))).filter(|(_, n)| *n > 0).collect();
    let mut commitments: BTreeMap<Option<String>, usize> = BTreeMap::new();
    for group in &filed.groups {
        *commitments.entry(group.commitment.clone()).or_default() += group.cases;
    }
    let most_first = |a: &(Option<String>, usize), b: &(Option<String>, usize)| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0));
    let mut by_commitment: Vec<(Option<String>, usize)> = commitments.into_iter().collect();
    by_commitment.sort_by(most_first);
    let mut by_organisation = filed.by_party.clone();
    by_organisation.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let resolution = ALL_LEVELS
        .iter()
        .filter_map(|level| {
            let mut days: Vec<i64> = closed.iter().filter(|c| c.level == *level).map(|c| c.days).collect();
            days.sort_unstable();
            Some(Resolution { level: *level, cases: days.len(), median_days: percentile(&days, 50)?, p90_days: percentile(&days, 90)? })
        })
        .collect();
    CaseFigures {
        opened: count(&|_| true),
        closed: closed.len(),
        overdue: filed.overdue,
        to_steering: escalated_to.iter().filter(|l| **l == Level::Steering).count(),
        to_vis: escalated_to.iter().filter(|l| **l == Level::Vis).count(),
        by_kind,
        by_commitment,
        by_level,
        by_status,
        by_organisation,
        resolution,
    }
}

/// A structural deviation, reported to VIS: principled, or lifted past Storsthlm/HSF.
pub fn is_structural(kind: CaseKind, principled: bool, level: Level) -> bool {
    kind != CaseKind::PaymentDispute && (principled || matches!(level, Level::Steering | Level::Vis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_follow_up_sums_a_unit_over_its_models_and_adds_stockholm_as_a_whole() {
        use crate::domain::payment::{settle, Fraction, Model, PayingUnit, Tally, UnitKey};
        use crate::domain::registry::MunicipalityCode;
        let unit = |code: &str, district: Option<&'static str>, model: Model, days: i64, readmissions: Option<(i64, i64)>, rate: Option<i64>| {
            let key = UnitKey {
                unit: PayingUnit { municipality: MunicipalityCode::parse(code).unwrap(), district },
                model,
                care_provider: (model == Model::Individual).then(|| "SLSO".to_owned()),
            };
            let tally = Tally {
                episodes_total: 2,
                episodes_included: 1,
                total_days: days,
                episodes_with_days: 1,
                days_over_five: 0,
                readmissions: readmissions.map(|(aged_65_or_over, readmitted)| Readmissions { aged_65_or_over, readmitted }),
            };
            settle(key, tally, Fraction::whole(1), rate)
        };
        let results = [
            unit("0127", None, Model::Average, 3, Some((4, 1)), Some(100)),
            unit("0127", None, Model::Individual, 8, Some((2, 1)), Some(100)),
            unit("0180", Some("Bromma"), Model::Average, 2, None, Some(100)),
            unit("0180", Some("Södermalm"), Model::Average, 5, Some((8, 1)), Some(100)),
            unit("0184", None, Model::Average, 1, None, None),
        ];
        let rows = follow_up(&results);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Botkyrka", "Stockholm, Bromma", "Stockholm, Södermalm", "Stockholm, hela staden", "Solna"]);
        assert_eq!((rows[0].episodes, rows[0].days, rows[0].readmissions), (4, 11, Some(Readmissions { aged_65_or_over: 6, readmitted: 2 })));
        assert_eq!(percent_text(rows[0].readmissions), "33,3 %");
        assert_eq!(percent_text(rows[1].readmissions), "inte rapporterat", "not reported is never 0 %");
        let city = &rows[3];
        assert!(city.city_total);
        assert_eq!((city.episodes, city.days, city.readmissions), (4, 7, Some(Readmissions { aged_65_or_over: 8, readmitted: 1 })));
        assert_eq!(percent_text(city.readmissions), "12,5 %");
        assert_eq!(city.amount_sek, rows[1].amount_sek.zip(rows[2].amount_sek).map(|(a, b)| a + b));
        assert_eq!(rows[4].amount_sek, None, "a year without its daily amount");
        assert_eq!(percent_text(Some(Readmissions { aged_65_or_over: 0, readmitted: 0 })), "ingen 65+");
    }

    #[test]
    fn report_periods_are_bounded() {
        assert_eq!(check_span((2026, 1), (2026, 12)), Ok(()));
        assert_eq!(check_span((2019, 1), (2028, 12)), Ok(()), "exactly ten years");
        assert_eq!(check_span((2019, 1), (2029, 1)), Err(PeriodRefusal::TooLong));
        assert_eq!(check_span((2018, 12), (2019, 1)), Err(PeriodRefusal::OutOfRange));
        assert_eq!(check_span((2100, 1), (2101, 1)), Err(PeriodRefusal::OutOfRange));
        assert_eq!(check_span((2026, 5), (2026, 4)), Err(PeriodRefusal::Reversed));
        assert_eq!(check_span((1, 1), (9999, 12)), Err(PeriodRefusal::OutOfRange));
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn group(kind: CaseKind, commitment: Option<&str>, level: Level, status: Status, cases: usize) -> FiledGroup {
        FiledGroup { kind, commitment: commitment.map(str::to_owned), level, status, cases }
    }

    #[test]
    fn a_period_knows_its_months() {
        let p = Period::new(day("2026-11-15"), day("2027-02-01")).unwrap();
        let months: Vec<String> = p.months().iter().map(Month::to_string).collect();
        assert_eq!(months, ["2026-11", "2026-12", "2027-01", "2027-02"]);
        assert_eq!(Period::new(day("2026-02-01"), day("2026-01-31")), None);
        assert_eq!(Period::year_of(day("2026-06-30")), Period { from: day("2026-01-01"), to: day("2026-12-31") });
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&ten, 50), Some(5));
        assert_eq!(percentile(&ten, 90), Some(9));
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[3, 8], 50), Some(3));
        assert_eq!(percentile(&[3, 8], 90), Some(8));
        assert_eq!(percentile(&[2, 4, 9, 30], 90), Some(30));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn the_figures_add_up_the_groups() {
        use CaseKind::*;
        let filed = Filed {
            groups: vec![
                group(Deviation, Some("process.sip-called"), Level::Local, Status::Open, 1),
                group(Deviation, Some("process.sip-called"), Level::Steering, Status::Open, 1),
                group(Deviation, Some("info.ready-notice"), Level::Review, Status::Closed, 1),
                group(PaymentDispute, None, Level::NearestManagers, Status::Open, 1),
            ],
            overdue: 1,
            by_party: vec![("kommun-0126".to_owned(), 2), ("hsf".to_owned(), 3), ("kommun-0127".to_owned(), 3)],
        };
        let closed = [
            ClosedCase { level: Level::Local, days: 10 },
            ClosedCase { level: Level::Local, days: 30 },
            ClosedCase { level: Level::Local, days: 20 },
            ClosedCase { level: Level::Review, days: 45 },
        ];
        let f = case_figures(&filed, &closed, &[Level::Review, Level::Steering, Level::Steering, Level::Vis]);
        assert_eq!((f.opened, f.closed, f.overdue, f.to_steering, f.to_vis), (4, 4, 1, 2, 1));
        assert_eq!(f.by_kind, [(Deviation, 3), (PaymentDispute, 1)]);
        assert_eq!(f.by_commitment, [(Some("process.sip-called".to_owned()), 2), (None, 1), (Some("info.ready-notice".to_owned()), 1)]);
        assert_eq!(f.by_level, [(Level::Local, 1), (Level::Review, 1), (Level::Steering, 1), (Level::NearestManagers, 1)]);
        assert_eq!(f.by_status, [(Status::Open, 3), (Status::Closed, 1)]);
        assert_eq!(f.by_organisation, [("hsf".to_owned(), 3), ("kommun-0127".to_owned(), 3), ("kommun-0126".to_owned(), 2)]);
        // Local: 10, 20, 30 → median 20, 90th percentile 30; Review: 45.
        assert_eq!(
            f.resolution,
            [
                Resolution { level: Level::Local, cases: 3, median_days: 20, p90_days: 30 },
                Resolution { level: Level::Review, cases: 1, median_days: 45, p90_days: 45 },
            ]
        );
    }

    #[test]
    fn structural_means_principled_or_past_level_two() {
        assert!(is_structural(CaseKind::Deviation, true, Level::Review));
        assert!(is_structural(CaseKind::Interpretation, false, Level::Steering));
        assert!(is_structural(CaseKind::Deviation, false, Level::Vis));
        assert!(!is_structural(CaseKind::Deviation, false, Level::Review));
        assert!(!is_structural(CaseKind::PaymentDispute, false, Level::Directors));
    }
}
