//! The payment model of chapter 12 (domain.md §5, normative): per care episode the paying
//! unit, day zero, ready-for-discharge days and inclusion; per unit and month the average
//! model (or the psychiatric transitional rule) and the amount owed. Exact arithmetic:
//! days are integers, averages exact fractions, money whole kronor rounded half-up once,
//! at the end.

use super::registry::{District, MunicipalityCode, STOCKHOLM};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use std::collections::BTreeMap;
use std::fmt;

/// A calendar month (`YYYY-MM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn parse(text: &str) -> Option<Month> {
        let (year, month) = text.trim().split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let month = Month { year: year.parse().ok()?, month: month.parse().ok()? };
        (1..=12).contains(&month.month).then_some(month)
    }

    pub fn of(day: NaiveDate) -> Month {
        Month { year: day.year(), month: day.month() }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a month parsed or built here is valid")
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("a month has a last day")
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { year: self.year, month: self.month - 1 }
        }
    }

    /// This month and each one after it up to `last`, in order.
    pub fn through(self, last: Month) -> impl Iterator<Item = Month> {
        std::iter::successors(Some(self), |m| Some(m.next())).take_while(move |m| *m <= last)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CareType {
    Somatic,
    Psychiatric,
}

/// One validated row of the episode file (§5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    pub episode_id: String,
    pub municipality: MunicipalityCode,
    pub district: Option<&'static District>,
    pub placement: Option<MunicipalityCode>,
    pub care_type: CareType,
    pub care_provider: Option<String>,
    pub admitted_at: Option<NaiveDateTime>,
    pub admission_notice_at: Option<NaiveDateTime>,
    pub ready_notice_at: Option<NaiveDateTime>,
    pub discharged_at: NaiveDateTime,
    pub needs_outpatient_contact: bool,
    pub outpatient_contact_assigned: bool,
    pub needs_sip: bool,
    pub sip_called_at: Option<NaiveDateTime>,
    pub needs_care_plan: bool,
    pub care_plan_established: bool,
    pub outpatient_care_unavailable: bool,
    pub patient_declined: bool,
    /// Follow-up only (§6): None where the file has no such column.
    pub aged_65_or_over: Option<bool>,
    pub unplanned_readmission_within_7_days: Option<bool>,
    /// The parties agreed, in a payment dispute, that the episode does not count ("Annat").
    pub excluded_by_agreement: bool,
}

/// Why an episode does not count: the first rule of §5.2 that fails, in the brief's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exclusion {
    /// Agreed in a payment dispute for a reason the other rules do not name ("Annat").
    ByAgreement,
    NoAdmissionNotice,
    NoReadyNotice,
    NoOutpatientContact,
    SipLate,
    NoCarePlan,
    OutpatientCareUnavailable,
    PatientDeclined,
}

impl Exclusion {
    pub fn code(self) -> &'static str {
        match self {
            Exclusion::ByAgreement => "by_agreement",
            Exclusion::NoAdmissionNotice => "no_admission_notice",
            Exclusion::NoReadyNotice => "no_ready_notice",
            Exclusion::NoOutpatientContact => "no_outpatient_contact",
            Exclusion::SipLate => "sip_late",
            Exclusion::NoCarePlan => "no_care_plan",
            Exclusion::OutpatientCareUnavailable => "outpatient_care_unavailable",
            Exclusion::PatientDeclined => "patient_declined",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Exclusion::ByAgreement => "Annat: ingår inte enligt överenskommen rättelse",
            Exclusion::NoAdmissionNotice => "Inskrivningsmeddelande skickades inte",
            Exclusion::NoReadyNotice => "Meddelande om utskrivningsklar skickades inte",
            Exclusion::NoOutpatientContact => "Fast vårdkontakt utsågs inte",
            Exclusion::SipLate => "SIP kallades inte inom tre dagar",
            Exclusion::NoCarePlan => "Samordnad vårdplan upprättades inte",
            Exclusion::OutpatientCareUnavailable => "Öppenvårdens insatser fanns inte tillgängliga",
            Exclusion::PatientDeclined => "Personen tackade nej till insatserna",
        }
    }
}

/// Who pays for an episode: a municipality, or for Stockholm one of its districts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PayingUnit {
    pub municipality: MunicipalityCode,
    /// The district's name, for Stockholm only.
    pub district: Option<&'static str>,
}

impl PayingUnit {
    /// "Botkyrka", or "Stockholm, Södermalm".
    pub fn name(&self) -> String {
        match self.district {
            Some(district) => format!("{}, {district}", self.municipality.name()),
            None => self.municipality.name().to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Model {
    Average,
    Individual,
}

impl Model {
    pub fn as_str(self) -> &'static str {
        match self {
            Model::Average => "average",
            Model::Individual => "individual",
        }
    }
}

/// Noon: a ready notice sent at it or before makes its own day day zero.
fn noon() -> NaiveTime {
    NaiveTime::from_hms_opt(12, 0, 0).expect("noon")
}

/// Day zero (§5.2): the ready notice's date if sent at or before 12:00, else the next day.
/// The agreement (12.3) asks for the notice "senast kl. 12.00": 12:00:00 is on time,
/// 12:00:01 is not (the seeds' "before 12" paraphrases it; the agreement's words govern).
pub fn day_zero(ready_notice_at: NaiveDateTime) -> NaiveDate {
    let date = ready_notice_at.date();
    if ready_notice_at.time() <= noon() {
        date
    } else {
        date.succ_opt().expect("a date after a real date")
    }
}

/// Ready-for-discharge days: discharge date − day zero, at least 0.
pub fn ready_days(ready_notice_at: NaiveDateTime, discharged_at: NaiveDateTime) -> i64 {
    (discharged_at.date() - day_zero(ready_notice_at)).num_days().max(0)
}

/// The date rules that the brief leaves to settings.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Psychiatric episodes discharged before this day follow the individual model.
    pub psychiatric_transition_end: NaiveDate,
    /// The officially announced county average of October 2020, if entered.
    pub county_average_oct_2020: Option<Fraction>,
    /// Socialstyrelsen's daily amount per year, in kronor.
    pub daily_rates: BTreeMap<i32, i64>,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            psychiatric_transition_end: NaiveDate::from_ymd_opt(2021, 7, 1).expect("date"),
            county_average_oct_2020: None,
            daily_rates: default_daily_rates(),
        }
    }
}

/// The daily amounts shipped with a source each (§5.5); other years are not guessed.
pub const DAILY_RATES: [(i32, i64, &str); 3] = [
    (2019, 7_800, "HSLF-FS 2018:67"),
    (2020, 8_200, "Publicerat av regionala samverkansorgan med hänvisning till Socialstyrelsen"),
    (2022, 9_300, "Publicerat av Vårdsamverkan Skåne med hänvisning till Socialstyrelsens föreskrift"),
];

pub fn default_daily_rates() -> BTreeMap<i32, i64> {
    DAILY_RATES.iter().map(|(year, amount, _)| (*year, *amount)).collect()
}

impl Episode {
    /// Who pays: the placing municipality if any, else the municipality of residence; for
    /// Stockholm the district.
    pub fn paying_unit(&self) -> PayingUnit {
        let municipality = self.placement.unwrap_or(self.municipality);
        let district = if municipality.as_str() == STOCKHOLM { self.district.map(|d| d.name) } else { None };
        PayingUnit { municipality, district }
    }

    pub fn month(&self) -> Month {
        Month::of(self.discharged_at.date())
    }

    pub fn day_zero(&self) -> Option<NaiveDate> {
        self.ready_notice_at.map(day_zero)
    }

    pub fn ready_days(&self) -> Option<i64> {
        self.ready_notice_at.map(|ready| ready_days(ready, self.discharged_at))
    }

    /// Included, or the first reason it is not (§5.2, in the brief's order).
    pub fn exclusion(&self) -> Option<Exclusion> {
        if self.excluded_by_agreement {
            return Some(Exclusion::ByAgreement);
        }
        if self.admission_notice_at.is_none() {
            return Some(Exclusion::NoAdmissionNotice);
        }
        let Some(ready) = self.ready_notice_at else { return Some(Exclusion::NoReadyNotice) };
        if self.needs_outpatient_contact && !self.outpatient_contact_assigned {
            return Some(Exclusion::NoOutpatientContact);
        }
        if self.needs_sip {
            let latest = ready.date() + chrono::Days::new(3);
            if self.sip_called_at.is_none_or(|called| called.date() > latest) {
                return Some(Exclusion::SipLate);
            }
        }
        if self.needs_care_plan && !self.care_plan_established {
            return Some(Exclusion::NoCarePlan);
        }
        if self.outpatient_care_unavailable {
            return Some(Exclusion::OutpatientCareUnavailable);
        }
        if self.patient_declined {
            return Some(Exclusion::PatientDeclined);
        }
        None
    }

    pub fn model(&self, rules: &Rules) -> Model {
        match self.care_type {
            CareType::Psychiatric if self.discharged_at.date() < rules.psychiatric_transition_end => Model::Individual,
            _ => Model::Average,
        }
    }
}

/// An exact fraction of integers; equal when their values are (1/2 = 2/4).
#[derive(Debug, Clone, Copy)]
pub struct Fraction {
    pub numerator: i128,
    pub denominator: i128,
}

impl PartialEq for Fraction {
    fn eq(&self, other: &Fraction) -> bool {
        self.numerator * other.denominator == other.numerator * self.denominator
    }
}

impl Eq for Fraction {}

impl Fraction {
    pub fn new(numerator: i128, denominator: i128) -> Fraction {
        assert!(denominator > 0, "a fraction needs a positive denominator");
        Fraction { numerator, denominator }
    }

    pub fn whole(n: i128) -> Fraction {
        Fraction::new(n, 1)
    }

    /// Hundredths, as entered or as rounded.
    pub fn hundredths(n: i128) -> Fraction {
        Fraction::new(n, 100)
    }

    /// Rounded half-up (away from zero) to a whole number.
    pub fn round_half_up(self) -> i128 {
        let (n, d) = (self.numerator, self.denominator);
        if n >= 0 {
            (2 * n + d) / (2 * d)
        } else {
            -((2 * -n + d) / (2 * d))
        }
    }

    /// Rounded half-up to hundredths, as a count of hundredths.
    pub fn round_to_hundredths(self) -> i128 {
        Fraction::new(self.numerator * 100, self.denominator).round_half_up()
    }

    /// "12.34", rounded half-up.
    /// Rounded half-up to one decimal, as `12.5`.
    pub fn one_decimal(self) -> String {
        let tenths = self.times(10).round_half_up();
        let sign = if tenths < 0 { "-" } else { "" };
        format!("{sign}{}.{}", tenths.abs() / 10, tenths.abs() % 10)
    }

    pub fn two_decimals(self) -> String {
        let h = self.round_to_hundredths();
        let sign = if h < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", h.abs() / 100, h.abs() % 100)
    }

    /// Parses "1.87" or "1,87" (at most two decimals, not negative).
    pub fn parse_decimal(text: &str) -> Option<Fraction> {
        let text = text.trim().replace(',', ".");
        let (whole, decimals) = text.split_once('.').unwrap_or((&text, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || decimals.len() > 2 || !decimals.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: i128 = whole.parse().ok()?;
        let hundredths: i128 = format!("{decimals:0<2}").parse().ok()?;
        Some(Fraction::hundredths(whole * 100 + hundredths))
    }

    fn greater_than(self, other: Fraction) -> bool {
        self.numerator * other.denominator > other.numerator * self.denominator
    }

    fn min(self, other: Fraction) -> Fraction {
        if self.greater_than(other) {
            other
        } else {
            self
        }
    }

    fn minus(self, other: Fraction) -> Fraction {
        Fraction::new(self.numerator * other.denominator - other.numerator * self.denominator, self.denominator * other.denominator)
    }

    fn times(self, n: i128) -> Fraction {
        Fraction::new(self.numerator * n, self.denominator)
    }
}

/// The totals of one unit, month and model (and care provider in the individual model).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub episodes_total: i64,
    pub episodes_included: i64,
    /// Sum of D over the included episodes.
    pub total_days: i64,
    /// Included episodes with D ≥ 1.
    pub episodes_with_days: i64,
    /// Sum of max(0, D − 5) over the included episodes (the individual model).
    pub days_over_five: i64,
    /// Follow-up of readmissions (§6), over every episode, included or not; None when the
    /// episodes did not report age.
    pub readmissions: Option<Readmissions>,
}

/// Among the episodes of people 65 or older, how many were readmitted unplanned within 7 days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readmissions {
    pub aged_65_or_over: i64,
    pub readmitted: i64,
}

impl Readmissions {
    pub fn add(&mut self, other: Readmissions) {
        self.aged_65_or_over += other.aged_65_or_over;
        self.readmitted += other.readmitted;
    }

    /// The share in per cent with one decimal ("12,5 %" is written by the page); None
    /// without anyone 65 or older.
    pub fn percent(self) -> Option<Fraction> {
        (self.aged_65_or_over > 0).then(|| Fraction::new(self.readmitted as i128 * 100, self.aged_65_or_over as i128))
    }
}

impl Tally {
    pub fn add(&mut self, episode: &Episode) {
        if let Some(aged) = episode.aged_65_or_over {
            let readmissions = self.readmissions.get_or_insert_default();
            if aged {
                readmissions.aged_65_or_over += 1;
                readmissions.readmitted += i64::from(episode.unplanned_readmission_within_7_days == Some(true));
            }
        }
        self.episodes_total += 1;
        if episode.exclusion().is_none() {
            let days = episode.ready_days().expect("an included episode has a ready notice");
            self.episodes_included += 1;
            self.total_days += days;
            self.episodes_with_days += i64::from(days >= 1);
            self.days_over_five += (days - 5).max(0);
        }
    }

    /// Adds another tally of the same unit (the same file read in chunks): integer sums, so
    /// the order of merging cannot change a result.
    pub fn merge(&mut self, other: &Tally) {
        self.episodes_total += other.episodes_total;
        self.episodes_included += other.episodes_included;
        self.total_days += other.total_days;
        self.episodes_with_days += other.episodes_with_days;
        self.days_over_five += other.days_over_five;
        if let Some(readmissions) = other.readmissions {
            self.readmissions.get_or_insert_default().add(readmissions);
        }
    }

    /// A = (sum of D) / (number of included episodes); None without included episodes.
    pub fn average(&self) -> Option<Fraction> {
        (self.episodes_included > 0).then(|| Fraction::new(self.total_days as i128, self.episodes_included as i128))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitKey {
    pub unit: PayingUnit,
    pub model: Model,
    pub care_provider: Option<String>,
}

/// Why a month cannot be calculated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalcError {
    NoRuleSet(Month),
    MissingDailyRate(i32),
    NoCountyAverage,
}

impl fmt::Display for CalcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalcError::NoRuleSet(month) => write!(f, "no payment rules apply to {month}: the agreement's model starts in 2020-01"),
            CalcError::MissingDailyRate(year) => {
                write!(f, "no daily amount for {year}: enter Socialstyrelsen's amount for {year} (calc: --rate {year}=AMOUNT); it is never guessed")
            }
            CalcError::NoCountyAverage => write!(
                f,
                "the threshold of 2020-11 to 2021-10 is the county average of October 2020, but the data has no included \
                 average-model episode discharged in 2020-10 and no official figure was entered (--county-average-oct-2020)"
            ),
        }
    }
}

impl CalcError {
    /// The reason in Swedish, for pages.
    pub fn label(&self) -> String {
        match self {
            CalcError::NoRuleSet(month) => format!("Betalningsmodellen gäller från 2020-01; {month} har inga regler."),
            CalcError::MissingDailyRate(year) => format!("Socialstyrelsens dagbelopp för {year} saknas. Beloppet gissas aldrig: det behöver läggas in innan månaden kan beräknas."),
            CalcError::NoCountyAverage => "Tröskeln för 2020-11–2021-10 är länets genomsnitt i oktober 2020, men det finns varken data för oktober 2020 eller en inlagd officiell siffra.".into(),
        }
    }
}

/// The threshold T of a month (§5.3). `october_2020` is the county tally of included
/// average-model episodes discharged in 2020-10.
pub fn threshold(month: Month, rules: &Rules, october_2020: &Tally) -> Result<Fraction, CalcError> {
    let two = Fraction::whole(2);
    match (month.year, month.month) {
        (year, _) if year < 2020 => Err(CalcError::NoRuleSet(month)),
        (2020, m) if m <= 10 => Ok(two),
        (2020, _) | (2021, 1..=10) => {
            let average = match rules.county_average_oct_2020 {
                Some(entered) => entered,
                None => {
                    let computed = october_2020.average().ok_or(CalcError::NoCountyAverage)?;
                    Fraction::hundredths(computed.round_to_hundredths())
                }
            };
            Ok(average.min(two))
        }
        _ => Ok(Fraction::hundredths(130)),
    }
}

/// The result for one unit (one object of §5.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitResult {
    pub key: UnitKey,
    pub tally: Tally,
    /// None while the year has no daily amount: the statistics stand, the money waits (§6).
    pub daily_rate_sek: Option<i64>,
    /// A and T, for the average model.
    pub average_days: Option<Fraction>,
    pub threshold_days: Option<Fraction>,
    pub billable_days: Fraction,
    pub amount_sek: Option<i64>,
}

/// Applies the model to one unit's tally.
pub fn settle(key: UnitKey, tally: Tally, threshold_days: Fraction, daily_rate_sek: Option<i64>) -> UnitResult {
    let amount = |billable: Fraction| daily_rate_sek.map(|rate| billable.times(rate as i128).round_half_up() as i64);
    match key.model {
        Model::Average => {
            let average = tally.average();
            let billable = match average {
                Some(a) if a.greater_than(threshold_days) => a.minus(threshold_days).times(tally.episodes_with_days as i128),
                _ => Fraction::whole(0),
            };
            UnitResult {
                key,
                average_days: Some(average.unwrap_or(Fraction::whole(0))),
                threshold_days: Some(threshold_days),
                billable_days: billable,
                amount_sek: amount(billable),
                daily_rate_sek,
                tally,
            }
        }
        Model::Individual => {
            let billable = Fraction::whole(tally.days_over_five as i128);
            UnitResult { key, average_days: None, threshold_days: None, billable_days: billable, amount_sek: amount(billable), daily_rate_sek, tally }
        }
    }
}

/// Collects what one month's calculation needs while the episodes stream past.
#[derive(Debug, Default)]
pub struct MonthCalculation {
    pub month: Option<Month>,
    pub units: BTreeMap<UnitKey, Tally>,
    pub october_2020: Tally,
}

impl MonthCalculation {
    pub fn new(month: Month) -> MonthCalculation {
        MonthCalculation { month: Some(month), ..MonthCalculation::default() }
    }

    pub fn add(&mut self, episode: &Episode, rules: &Rules) {
        let model = episode.model(rules);
        let month = episode.month();
        if counts_towards_county_average(episode, rules) {
            self.october_2020.add(episode);
        }
        if Some(month) == self.month {
            let care_provider = match model {
                Model::Individual => episode.care_provider.clone(),
                Model::Average => None,
            };
            self.units.entry(UnitKey { unit: episode.paying_unit(), model, care_provider }).or_default().add(episode);
        }
    }

    /// Adds the tallies of another part of the same month's episodes.
    pub fn merge(&mut self, other: MonthCalculation) {
        for (key, tally) in other.units {
            self.units.entry(key).or_default().merge(&tally);
        }
        self.october_2020.merge(&other.october_2020);
    }

    /// Every unit's result, sorted by municipality code, district, model, care provider.
    pub fn finish(self, rules: &Rules) -> Result<Vec<UnitResult>, CalcError> {
        let month = self.month.expect("a calculation has a month");
        if month < (Month { year: 2020, month: 1 }) {
            return Err(CalcError::NoRuleSet(month));
        }
        // A year without a daily amount still gets its statistics; only the amounts wait.
        let rate = rules.daily_rates.get(&month.year).copied();
        // The threshold is needed only by average-model units (a month of 2020-11 with only
        // psychiatric episodes in the transitional rule needs no October 2020 figure).
        let needs_threshold = self.units.keys().any(|k| k.model == Model::Average);
        let threshold_days = if needs_threshold { threshold(month, rules, &self.october_2020)? } else { Fraction::whole(0) };
        Ok(self.units.into_iter().map(|(key, tally)| settle(key, tally, threshold_days, rate)).collect())
    }
}

pub mod versions;

#[cfg(test)]
mod tests;

/// Every month of a file at once, as an import calculates them.
#[derive(Debug, Default)]
pub struct FileCalculation {
    months: BTreeMap<Month, MonthCalculation>,
    october_2020: Tally,
}

impl FileCalculation {
    pub fn add(&mut self, episode: &Episode, rules: &Rules) {
        let month = episode.month();
        self.months.entry(month).or_insert_with(|| MonthCalculation::new(month)).add(episode, rules);
        if counts_towards_county_average(episode, rules) {
            self.october_2020.add(episode);
        }
    }

    /// Whether a month of the file needs October 2020 that the file does not have.
    pub fn needs_october_2020(&self) -> bool {
        self.october_2020.episodes_included == 0 && self.months.keys().any(|m| *m > OCTOBER_2020 && *m <= LAST_COUNTY_AVERAGE_MONTH)
    }

    /// Each month's results; `october_2020` stands in when the file has no October 2020.
    pub fn finish(self, rules: &Rules, october_2020: Option<Tally>) -> Vec<(Month, Result<Vec<UnitResult>, CalcError>)> {
        let october = if self.october_2020.episodes_included > 0 { self.october_2020 } else { october_2020.unwrap_or_default() };
        self.months
            .into_iter()
            .map(|(month, mut calculation)| {
                calculation.october_2020 = october.clone();
                (month, calculation.finish(rules))
            })
            .collect()
    }
}

pub const OCTOBER_2020: Month = Month { year: 2020, month: 10 };

/// Whether an episode is one of those whose average is the county average of October 2020
/// (§5.3): included, average model, discharged in 2020-10.
pub fn counts_towards_county_average(episode: &Episode, rules: &Rules) -> bool {
    episode.month() == OCTOBER_2020 && episode.model(rules) == Model::Average && episode.exclusion().is_none()
}

/// The county tally of October 2020 over `episodes` (any months; the others are skipped).
pub fn october_2020_tally<'a>(episodes: impl IntoIterator<Item = &'a Episode>, rules: &Rules) -> Tally {
    let mut tally = Tally::default();
    for episode in episodes.into_iter().filter(|e| counts_towards_county_average(e, rules)) {
        tally.add(episode);
    }
    tally
}
/// The last month whose threshold is the county average of October 2020.
pub const LAST_COUNTY_AVERAGE_MONTH: Month = Month { year: 2021, month: 10 };

/// Why a municipality contests an episode of its review basis (§ issue: disputes on
/// calculations), and what the claim changes if it is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContestReason {
    /// Another municipality pays; the corrected value is its kommunkod.
    WrongMunicipality,
    /// The ready notice came later than recorded; the corrected value is its time.
    NoticeAfterNoon,
    SipNotCalledInTime,
    NoOutpatientContact,
    OutpatientCareUnavailable,
    PatientDeclined,
    /// The discharge was on another day; the corrected value is its time.
    WrongDischargeDate,
    /// Anything else: the claim is that the episode should not count.
    Other,
}

pub const ALL_CONTEST_REASONS: [ContestReason; 8] = [
    ContestReason::WrongMunicipality,
    ContestReason::NoticeAfterNoon,
    ContestReason::SipNotCalledInTime,
    ContestReason::NoOutpatientContact,
    ContestReason::OutpatientCareUnavailable,
    ContestReason::PatientDeclined,
    ContestReason::WrongDischargeDate,
    ContestReason::Other,
];

impl ContestReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ContestReason::WrongMunicipality => "wrong_municipality",
            ContestReason::NoticeAfterNoon => "notice_after_noon",
            ContestReason::SipNotCalledInTime => "sip_not_called_in_time",
            ContestReason::NoOutpatientContact => "no_outpatient_contact",
            ContestReason::OutpatientCareUnavailable => "outpatient_care_unavailable",
            ContestReason::PatientDeclined => "patient_declined",
            ContestReason::WrongDischargeDate => "wrong_discharge_date",
            ContestReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ContestReason> {
        ALL_CONTEST_REASONS.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ContestReason::WrongMunicipality => "Fel betalningsansvarig kommun",
            ContestReason::NoticeAfterNoon => "Meddelandet kom efter kl. 12",
            ContestReason::SipNotCalledInTime => "SIP kallades inte i tid",
            ContestReason::NoOutpatientContact => "Ingen fast vårdkontakt",
            ContestReason::OutpatientCareUnavailable => "Öppenvården var inte tillgänglig",
            ContestReason::PatientDeclined => "Personen tackade nej",
            ContestReason::WrongDischargeDate => "Fel utskrivningsdatum",
            ContestReason::Other => "Annat",
        }
    }

    /// Whether the claim needs a corrected value, and what kind.
    pub fn corrected_value(self) -> Option<&'static str> {
        match self {
            ContestReason::WrongMunicipality => Some("kommunkod"),
            ContestReason::NoticeAfterNoon | ContestReason::WrongDischargeDate => Some("tid ÅÅÅÅ-MM-DD TT:MM"),
            _ => None,
        }
    }
}

/// One contested episode: the reason and, where it applies, the corrected value (already
/// checked to parse for its reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub episode_id: String,
    pub reason: ContestReason,
    pub corrected: Option<String>,
}

/// The episode as the claim says it should have been recorded.
pub fn corrected_episode(episode: &Episode, claim: &Claim) -> Episode {
    let mut e = episode.clone();
    let time = || claim.corrected.as_deref().and_then(super::calendar::parse_time);
    match claim.reason {
        ContestReason::WrongMunicipality => {
            if let Some(code) = claim.corrected.as_deref().and_then(MunicipalityCode::parse) {
                e.municipality = code;
                e.placement = None;
            }
        }
        ContestReason::NoticeAfterNoon => e.ready_notice_at = time().or(e.ready_notice_at),
        ContestReason::WrongDischargeDate => e.discharged_at = time().unwrap_or(e.discharged_at),
        ContestReason::SipNotCalledInTime => {
            e.needs_sip = true;
            e.sip_called_at = None;
        }
        ContestReason::NoOutpatientContact => {
            e.needs_outpatient_contact = true;
            e.outpatient_contact_assigned = false;
        }
        ContestReason::OutpatientCareUnavailable => e.outpatient_care_unavailable = true,
        ContestReason::PatientDeclined => e.patient_declined = true,
        ContestReason::Other => e.excluded_by_agreement = true,
    }
    e
}

/// What the unit would owe if every claim were right: the unit's episodes with the claims
/// applied (an episode that moves to another unit or month leaves), under the same
/// threshold and daily amount as the original.
pub fn what_if(original: &UnitResult, month: Month, episodes: &[Episode], claims: &[Claim], rules: &Rules) -> UnitResult {
    let mut tally = Tally::default();
    for episode in episodes {
        let corrected = match claims.iter().find(|c| c.episode_id == episode.episode_id) {
            Some(claim) => corrected_episode(episode, claim),
            None => episode.clone(),
        };
        let same_unit = corrected.paying_unit() == original.key.unit
            && corrected.month() == month
            && corrected.model(rules) == original.key.model
            && (original.key.model == Model::Average || corrected.care_provider == original.key.care_provider);
        if same_unit {
            tally.add(&corrected);
        }
    }
    let threshold = original.threshold_days.unwrap_or(Fraction::whole(0));
    settle(original.key.clone(), tally, threshold, original.daily_rate_sek)
}
