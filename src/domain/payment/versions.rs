//! Versions of a month's calculation: why a version was made, the corrections agreed in a
//! payment dispute, and what changed from one version to the next, per episode and in
//! kronor. After the invoice date the invoiced version is fixed; a later version's
//! difference is credited or charged.

use super::{Claim, Episode, Exclusion, Month, PayingUnit, UnitKey, UnitResult};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Why a calculation version was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Import,
    Settings,
    Correction,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Import => "import",
            Cause::Settings => "settings",
            Cause::Correction => "correction",
        }
    }

    pub fn parse(s: &str) -> Option<Cause> {
        [Cause::Import, Cause::Settings, Cause::Correction].into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Cause::Import => "Import av vårdtillfällen",
            Cause::Settings => "Ändrade inställningar",
            Cause::Correction => "Rättelse efter betalningstvist",
        }
    }
}

/// The month's episodes with the agreed claims applied. An episode whose corrected
/// discharge date falls in another month belongs to that month's calculation afterwards.
pub fn apply_agreed(episodes: &[Episode], agreed: &[Claim]) -> Vec<Episode> {
    episodes
        .iter()
        .map(|episode| match agreed.iter().find(|c| c.episode_id == episode.episode_id) {
            Some(claim) => super::corrected_episode(episode, claim),
            None => episode.clone(),
        })
        .collect()
}

/// How an episode counts: who pays, in which month, from which day and for how many days,
/// or why it does not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub unit: PayingUnit,
    pub month: Month,
    pub day_zero: Option<NaiveDate>,
    pub days: Option<i64>,
    pub exclusion: Option<Exclusion>,
}

impl Counted {
    pub fn of(episode: &Episode) -> Counted {
        Counted {
            unit: episode.paying_unit(),
            month: episode.month(),
            day_zero: episode.day_zero(),
            days: episode.ready_days(),
            exclusion: episode.exclusion(),
        }
    }
}

/// One episode whose record differs between two versions; None where it is absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeChange {
    pub episode_id: String,
    pub before: Option<Counted>,
    pub after: Option<Counted>,
}

/// The episodes whose records differ between two versions of a month, by episode id.
pub fn episode_changes(before: &[Episode], after: &[Episode]) -> Vec<EpisodeChange> {
    let mut pairs: BTreeMap<&str, (Option<&Episode>, Option<&Episode>)> = BTreeMap::new();
    for e in before {
        pairs.entry(&e.episode_id).or_default().0 = Some(e);
    }
    for e in after {
        pairs.entry(&e.episode_id).or_default().1 = Some(e);
    }
    pairs
        .into_iter()
        .filter(|(_, (b, a))| b != a)
        .map(|(id, (b, a))| EpisodeChange { episode_id: id.to_owned(), before: b.map(Counted::of), after: a.map(Counted::of) })
        .collect()
}

/// One unit's amount in two versions (0 where the unit does not appear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitChange {
    pub key: UnitKey,
    pub before_sek: i64,
    pub after_sek: i64,
}

impl UnitChange {
    pub fn difference_sek(&self) -> i64 {
        self.after_sek - self.before_sek
    }

    pub fn settlement(&self) -> Settlement {
        Settlement::of(self.difference_sek())
    }
}

/// Every unit of either version with its amount in both, in unit order. A year without a
/// daily amount has no money in it yet (and is never invoiced): it counts as 0 kr here.
pub fn unit_changes(before: &[UnitResult], after: &[UnitResult]) -> Vec<UnitChange> {
    let mut units: BTreeMap<UnitKey, (i64, i64)> = BTreeMap::new();
    for r in before {
        units.entry(r.key.clone()).or_default().0 += r.amount_sek.unwrap_or(0);
    }
    for r in after {
        units.entry(r.key.clone()).or_default().1 += r.amount_sek.unwrap_or(0);
    }
    units.into_iter().map(|(key, (before_sek, after_sek))| UnitChange { key, before_sek, after_sek }).collect()
}

/// What a later version means for an invoice already sent: the region credits the
/// municipality what was invoiced too much, and charges what was invoiced too little.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    Credit(i64),
    Charge(i64),
    Nothing,
}

impl Settlement {
    pub fn of(difference_sek: i64) -> Settlement {
        match difference_sek {
            0 => Settlement::Nothing,
            d if d < 0 => Settlement::Credit(-d),
            d => Settlement::Charge(d),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Settlement::Credit(_) => "Att kreditera",
            Settlement::Charge(_) => "Att debitera",
            Settlement::Nothing => "Ingen skillnad",
        }
    }

    pub fn amount_sek(self) -> i64 {
        match self {
            Settlement::Credit(sek) | Settlement::Charge(sek) => sek,
            Settlement::Nothing => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::episode;
    use super::super::{settle, ContestReason, Fraction, Model, Rules, Tally};
    use super::*;
    use crate::domain::registry::MunicipalityCode;

    fn claim(id: &str, reason: ContestReason, corrected: Option<&str>) -> Claim {
        Claim { episode_id: id.into(), reason, corrected: corrected.map(str::to_owned) }
    }

    fn unit(code: &str, days: i64, episodes: i64, amount: i64) -> UnitResult {
        let key = UnitKey {
            unit: PayingUnit { municipality: MunicipalityCode::parse(code).unwrap(), district: None },
            model: Model::Average,
            care_provider: None,
        };
        let tally = Tally {
            episodes_total: episodes,
            episodes_included: episodes,
            total_days: days,
            episodes_with_days: episodes,
            days_over_five: 0,
            readmissions: None,
        };
        let mut result = settle(key, tally, Fraction::whole(0), Some(1));
        result.amount_sek = Some(amount);
        result
    }

    #[test]
    fn cause_round_trips() {
        for cause in [Cause::Import, Cause::Settings, Cause::Correction] {
            assert_eq!(Cause::parse(cause.as_str()), Some(cause));
        }
        assert_eq!(Cause::parse("manual"), None);
    }

    #[test]
    fn only_the_agreed_claims_are_applied() {
        let episodes = [episode("E1", "0127", "2022-03-10 09:00", "2022-03-14 10:00"), episode("E2", "0127", "2022-03-10 09:00", "2022-03-12 10:00")];
        let agreed = [claim("E1", ContestReason::PatientDeclined, None)];
        let corrected = apply_agreed(&episodes, &agreed);
        assert!(corrected[0].patient_declined);
        assert_eq!(corrected[1], episodes[1]);
    }

    #[test]
    fn a_corrected_discharge_date_moves_the_episode_to_its_month() {
        let episodes = [episode("E1", "0127", "2022-03-30 09:00", "2022-03-31 10:00")];
        let corrected = apply_agreed(&episodes, &[claim("E1", ContestReason::WrongDischargeDate, Some("2022-04-02 10:00"))]);
        assert_eq!(corrected[0].month(), Month::parse("2022-04").unwrap());
        // Notice 30 March before noon: day zero is 30 March, D = 3 (31 March, 1 and 2 April).
        assert_eq!(Counted::of(&corrected[0]).days, Some(3));
    }

    #[test]
    fn episode_changes_list_what_differs_and_how_it_counts() {
        let before = [
            episode("E1", "0127", "2022-03-10 09:00", "2022-03-14 10:00"),
            episode("E2", "0127", "2022-03-10 09:00", "2022-03-12 10:00"),
            episode("E3", "0127", "2022-03-10 09:00", "2022-03-11 10:00"),
        ];
        let mut after = apply_agreed(&before, &[claim("E1", ContestReason::NoticeAfterNoon, Some("2022-03-10 13:00"))]);
        after.remove(2);
        after.push(episode("E4", "0136", "2022-03-01 09:00", "2022-03-01 15:00"));
        let changes = episode_changes(&before, &after);
        let ids: Vec<&str> = changes.iter().map(|c| c.episode_id.as_str()).collect();
        assert_eq!(ids, ["E1", "E3", "E4"]);
        // 09:00 notice: day zero 10 March, D = 4; 13:00 notice: day zero 11 March, D = 3.
        assert_eq!(changes[0].before.as_ref().unwrap().days, Some(4));
        assert_eq!(changes[0].after.as_ref().unwrap().days, Some(3));
        assert_eq!(changes[0].after.as_ref().unwrap().day_zero, NaiveDate::from_ymd_opt(2022, 3, 11));
        assert!(changes[1].after.is_none());
        assert!(changes[2].before.is_none());
    }

    #[test]
    fn unit_changes_pair_units_and_count_a_missing_unit_as_zero() {
        let before = [unit("0127", 10, 2, 18_600), unit("0126", 4, 1, 9_300)];
        let after = [unit("0127", 7, 2, 4_650), unit("0136", 3, 1, 27_900)];
        let changes = unit_changes(&before, &after);
        let by_code: Vec<(&str, i64, i64, i64)> =
            changes.iter().map(|c| (c.key.unit.municipality.as_str(), c.before_sek, c.after_sek, c.difference_sek())).collect();
        assert_eq!(by_code, [("0126", 9_300, 0, -9_300), ("0127", 18_600, 4_650, -13_950), ("0136", 0, 27_900, 27_900)]);
    }

    #[test]
    fn settlement_credits_what_was_invoiced_too_much() {
        assert_eq!(Settlement::of(-13_950), Settlement::Credit(13_950));
        assert_eq!(Settlement::of(27_900), Settlement::Charge(27_900));
        assert_eq!(Settlement::of(0), Settlement::Nothing);
        assert_eq!(Settlement::of(-1).label(), "Att kreditera");
        assert_eq!(Settlement::Charge(5).amount_sek(), 5);
    }

    #[test]
    fn a_correction_recalculated_matches_the_what_if_amount() {
        // The what-if amount shown during the dispute is what the correction version gives,
        // when threshold and daily amount are unchanged.
        let rules = Rules::default();
        let episodes = [episode("E1", "0127", "2022-03-10 09:00", "2022-03-16 10:00"), episode("E2", "0127", "2022-03-10 09:00", "2022-03-13 10:00")];
        let claims = [claim("E1", ContestReason::PatientDeclined, None)];
        let month = Month::parse("2022-03").unwrap();
        let mut original = super::super::MonthCalculation::new(month);
        episodes.iter().for_each(|e| original.add(e, &rules));
        let mut corrected = super::super::MonthCalculation::new(month);
        apply_agreed(&episodes, &claims).iter().for_each(|e| corrected.add(e, &rules));
        let before = original.finish(&rules).unwrap();
        let after = corrected.finish(&rules).unwrap();
        let what_if = super::super::what_if(&before[0], month, &episodes, &claims, &rules);
        assert_eq!(after[0].amount_sek, what_if.amount_sek);
        assert!(after[0].amount_sek < before[0].amount_sek);
    }
}
