//! Hand-computed cases for every rule of domain.md §5.

use super::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

fn at(text: &str) -> NaiveDateTime {
    crate::domain::calendar::parse_time(text).unwrap()
}

fn municipality(code: &str) -> MunicipalityCode {
    MunicipalityCode::parse(code).unwrap()
}

/// A somatic episode with every notice sent in time.
pub(super) fn episode(id: &str, code: &str, ready: &str, discharged: &str) -> Episode {
    Episode {
        episode_id: id.into(),
        municipality: municipality(code),
        district: None,
        placement: None,
        care_type: CareType::Somatic,
        care_provider: None,
        admitted_at: None,
        admission_notice_at: Some(at("2020-01-01 08:00")),
        ready_notice_at: Some(at(ready)),
        discharged_at: at(discharged),
        needs_outpatient_contact: false,
        outpatient_contact_assigned: false,
        needs_sip: false,
        sip_called_at: None,
        needs_care_plan: false,
        care_plan_established: false,
        outpatient_care_unavailable: false,
        patient_declined: false,
        aged_65_or_over: None,
        unplanned_readmission_within_7_days: None,
        excluded_by_agreement: false,
    }
}

/// An episode of `days` ready-for-discharge days discharged on `discharge_day` (morning notice).
fn with_days(id: usize, code: &str, discharge_day: NaiveDate, days: u64) -> Episode {
    let ready = discharge_day - chrono::Days::new(days);
    episode(&format!("e{id}"), code, &format!("{ready} 09:00"), &format!("{discharge_day} 15:00"))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn calculate(month: &str, episodes: &[Episode], rules: &Rules) -> Result<Vec<UnitResult>, CalcError> {
    let mut calc = MonthCalculation::new(Month::parse(month).unwrap());
    for e in episodes {
        calc.add(e, rules);
    }
    calc.finish(rules)
}

#[test]
fn a_notice_at_or_before_noon_makes_its_own_day_day_zero() {
    assert_eq!(day_zero(at("2022-03-10 11:59")), day(2022, 3, 10));
    assert_eq!(day_zero(at("2022-03-10 12:00")), day(2022, 3, 10), "senast kl. 12.00: noon itself is on time");
    assert_eq!(day_zero(at("2022-03-10 12:00:00")), day(2022, 3, 10));
    assert_eq!(day_zero(at("2022-03-10 12:00:01")), day(2022, 3, 11));
    assert_eq!(day_zero(at("2022-03-10 12:01")), day(2022, 3, 11));
    assert_eq!(day_zero(at("2022-03-10 00:00")), day(2022, 3, 10));
}

#[test]
fn same_day_and_next_day_discharges_have_zero_days() {
    // Notice before noon, discharged the same day.
    assert_eq!(ready_days(at("2022-03-10 11:59"), at("2022-03-10 18:00")), 0);
    // Notice at 13:00, discharged the next day: that day is day zero.
    assert_eq!(ready_days(at("2022-03-10 13:00"), at("2022-03-11 10:00")), 0);
    // Notice after 12:00 and discharged the same afternoon: still zero, never negative.
    assert_eq!(ready_days(at("2022-03-10 12:00:01"), at("2022-03-10 16:00")), 0);
    // Notice 11:59 or 12:00, discharged two days later; a second past noon counts one day less.
    assert_eq!(ready_days(at("2022-03-10 11:59"), at("2022-03-12 09:00")), 2);
    assert_eq!(ready_days(at("2022-03-10 12:00"), at("2022-03-12 09:00")), 2);
    assert_eq!(ready_days(at("2022-03-10 12:00:01"), at("2022-03-12 09:00")), 1);
}

#[test]
fn the_month_is_the_month_of_discharge() {
    let e = episode("e1", "0127", "2022-01-31 13:00", "2022-02-01 09:00");
    assert_eq!(e.month(), Month { year: 2022, month: 2 });
    assert_eq!(e.ready_days(), Some(0));
    let spanning = episode("e2", "0127", "2022-01-30 10:00", "2022-02-02 09:00");
    assert_eq!(spanning.month().to_string(), "2022-02");
    assert_eq!(spanning.ready_days(), Some(3));
    let results = calculate("2022-01", &[e, spanning], &Rules::default()).unwrap();
    assert!(results.is_empty(), "nothing was discharged in January");
}

#[test]
fn a_sip_called_three_days_after_counts_and_four_days_after_excludes() {
    let mut e = episode("e1", "0127", "2022-03-10 15:00", "2022-03-20 10:00");
    e.needs_sip = true;
    e.sip_called_at = Some(at("2022-03-13 16:00"));
    assert_eq!(e.exclusion(), None);
    e.sip_called_at = Some(at("2022-03-14 08:00"));
    assert_eq!(e.exclusion(), Some(Exclusion::SipLate));
    e.sip_called_at = None;
    assert_eq!(e.exclusion(), Some(Exclusion::SipLate));
}

#[test]
fn exclusions_keep_the_first_failing_reason_in_order() {
    let mut e = episode("e1", "0127", "2022-03-10 09:00", "2022-03-12 10:00");
    e.patient_declined = true;
    e.outpatient_care_unavailable = true;
    assert_eq!(e.exclusion(), Some(Exclusion::OutpatientCareUnavailable));
    e.needs_care_plan = true;
    assert_eq!(e.exclusion(), Some(Exclusion::NoCarePlan));
    e.needs_outpatient_contact = true;
    assert_eq!(e.exclusion(), Some(Exclusion::NoOutpatientContact));
    e.ready_notice_at = None;
    assert_eq!(e.exclusion(), Some(Exclusion::NoReadyNotice));
    e.admission_notice_at = None;
    assert_eq!(e.exclusion(), Some(Exclusion::NoAdmissionNotice));
    e.admission_notice_at = Some(at("2022-03-01 08:00"));
    e.ready_notice_at = Some(at("2022-03-10 09:00"));
    e.outpatient_contact_assigned = true;
    e.care_plan_established = true;
    e.outpatient_care_unavailable = false;
    assert_eq!(e.exclusion(), Some(Exclusion::PatientDeclined));
    e.patient_declined = false;
    assert_eq!(e.exclusion(), None);
}

#[test]
fn the_placing_municipality_pays() {
    let mut e = episode("e1", "0127", "2022-03-10 09:00", "2022-03-12 10:00");
    e.placement = Some(municipality("0126"));
    assert_eq!(e.paying_unit().municipality.as_str(), "0126");
    let results = calculate("2022-03", &[e], &Rules::default()).unwrap();
    assert_eq!(results[0].key.unit.municipality.as_str(), "0126");
}

#[test]
fn stockholm_is_billed_per_district() {
    let mut a = episode("e1", "0180", "2022-03-10 09:00", "2022-03-12 10:00");
    a.district = Some(crate::domain::registry::district_on("Bromma", day(2022, 3, 12)).unwrap());
    let mut b = episode("e2", "0180", "2022-03-10 09:00", "2022-03-15 10:00");
    b.district = Some(crate::domain::registry::district_on("Farsta", day(2022, 3, 15)).unwrap());
    let results = calculate("2022-03", &[b, a], &Rules::default()).unwrap();
    let districts: Vec<_> = results.iter().map(|r| r.key.unit.district).collect();
    assert_eq!(districts, [Some("Bromma"), Some("Farsta")]);
}

#[test]
fn the_average_model_from_2021_11_with_threshold_1_3() {
    // 2022-03, rate 9 300. D = 0, 1, 2, 5 → A = 8/4 = 2.00; T = 1.30; k (D ≥ 1) = 3;
    // B = 0.70 × 3 = 2.10; amount = 2.10 × 9 300 = 19 530.
    let d = day(2022, 3, 20);
    let episodes: Vec<_> = [0, 1, 2, 5].iter().enumerate().map(|(i, days)| with_days(i, "0127", d, *days)).collect();
    let r = &calculate("2022-03", &episodes, &Rules::default()).unwrap()[0];
    assert_eq!((r.tally.episodes_total, r.tally.episodes_included, r.tally.total_days, r.tally.episodes_with_days), (4, 4, 8, 3));
    assert_eq!(r.average_days.unwrap().two_decimals(), "2.00");
    assert_eq!(r.threshold_days.unwrap().two_decimals(), "1.30");
    assert_eq!(r.billable_days.two_decimals(), "2.10");
    assert_eq!(r.daily_rate_sek, Some(9_300));
    assert_eq!(r.amount_sek, Some(19_530));
}

#[test]
fn nothing_is_owed_at_or_below_the_threshold() {
    // 2020-05: T = 2.0; D = 2, 2 → A = 2.00, not above.
    let d = day(2020, 5, 20);
    let episodes = [with_days(1, "0127", d, 2), with_days(2, "0127", d, 2)];
    let r = &calculate("2020-05", &episodes, &Rules::default()).unwrap()[0];
    assert_eq!(r.threshold_days.unwrap().two_decimals(), "2.00");
    assert_eq!((r.billable_days.two_decimals().as_str(), r.amount_sek), ("0.00", Some(0)));
}

#[test]
fn a_unit_with_no_included_episode_owes_nothing() {
    let mut e = with_days(1, "0127", day(2022, 3, 20), 9);
    e.admission_notice_at = None;
    let r = &calculate("2022-03", &[e], &Rules::default()).unwrap()[0];
    assert_eq!((r.tally.episodes_total, r.tally.episodes_included), (1, 0));
    assert_eq!(r.average_days.unwrap().two_decimals(), "0.00");
    assert_eq!(r.amount_sek, Some(0));
}

#[test]
fn rounding_happens_once_half_up_at_the_end() {
    // 2022-03 with an entered rate of 9 310. Twenty episodes: one with D = 0, eleven with
    // D = 1, eight with D = 2 → A = 27/20 = 1.35; k = 19; B = 0.05 × 19 = 0.95;
    // amount = 0.95 × 9 310 = 8 844.50 → 8 845.
    let d = day(2022, 3, 20);
    let days = std::iter::once(0).chain(std::iter::repeat_n(1, 11)).chain(std::iter::repeat_n(2, 8));
    let episodes: Vec<_> = days.enumerate().map(|(i, n)| with_days(i, "0127", d, n)).collect();
    let mut rules = Rules::default();
    rules.daily_rates.insert(2022, 9_310);
    let r = &calculate("2022-03", &episodes, &rules).unwrap()[0];
    assert_eq!(r.billable_days, Fraction::new(19, 20));
    assert_eq!(r.amount_sek, Some(8_845));
    assert_eq!(Fraction::new(9, 8).two_decimals(), "1.13", "1.125 shows as 1.13");
    assert_eq!(Fraction::new(17689, 2).round_half_up(), 8845);
}

#[test]
fn the_county_average_of_october_2020_sets_the_threshold_until_2021_10() {
    // October 2020, all units: D = 1, 2, 2, 3, 1, 2, 2, 2 → 15/8 = 1.875 → 1.88.
    let october: Vec<_> = [1, 2, 2, 3, 1, 2, 2, 2]
        .iter()
        .enumerate()
        .map(|(i, n)| with_days(i, if i % 2 == 0 { "0127" } else { "0126" }, day(2020, 10, 15), *n))
        .collect();
    let mut data = october.clone();
    // December 2020 in Botkyrka: D = 2, 3 → A = 2.50; k = 2; B = (2.50 − 1.88) × 2 = 1.24;
    // amount = 1.24 × 8 200 = 10 168.
    data.push(with_days(100, "0127", day(2020, 12, 10), 2));
    data.push(with_days(101, "0127", day(2020, 12, 11), 3));
    let r = &calculate("2020-12", &data, &Rules::default()).unwrap()[0];
    assert_eq!(r.threshold_days.unwrap().two_decimals(), "1.88");
    assert_eq!(r.billable_days.two_decimals(), "1.24");
    assert_eq!(r.amount_sek, Some(10_168));
    // Above 2.0 the average is capped: October D = 3, 3 → 3.00 → T = 2.00.
    let high =
        vec![with_days(1, "0127", day(2020, 10, 15), 3), with_days(2, "0127", day(2020, 10, 16), 3), with_days(3, "0127", day(2020, 12, 10), 4)];
    assert_eq!(calculate("2020-12", &high, &Rules::default()).unwrap()[0].threshold_days.unwrap().two_decimals(), "2.00");
    // An entered figure replaces the computed one, capped too.
    let mut rules = Rules { county_average_oct_2020: Some(Fraction::parse_decimal("1.70").unwrap()), ..Rules::default() };
    assert_eq!(calculate("2020-12", &data, &rules).unwrap()[0].threshold_days.unwrap().two_decimals(), "1.70");
    rules.county_average_oct_2020 = Some(Fraction::parse_decimal("2,37").unwrap());
    assert_eq!(calculate("2020-12", &data, &rules).unwrap()[0].threshold_days.unwrap().two_decimals(), "2.00");
    // From 2021-11 the threshold is 1.3 whatever October said.
    assert_eq!(threshold(Month::parse("2021-11").unwrap(), &Rules::default(), &Tally::default()).unwrap(), Fraction::hundredths(130));
    assert_eq!(threshold(Month::parse("2021-10").unwrap(), &rules, &Tally::default()).unwrap(), Fraction::whole(2));
}

#[test]
fn without_october_2020_data_the_calculation_stops() {
    let data = [with_days(1, "0127", day(2020, 12, 10), 3)];
    assert_eq!(calculate("2020-12", &data, &Rules::default()), Err(CalcError::NoCountyAverage));
}

#[test]
fn months_before_2020_and_years_without_a_rate_stop_with_an_error() {
    let data = [with_days(1, "0127", day(2019, 12, 10), 3), with_days(2, "0127", day(2021, 12, 10), 3)];
    assert_eq!(calculate("2019-12", &data, &Rules::default()), Err(CalcError::NoRuleSet(Month { year: 2019, month: 12 })));
    // A year without a daily amount keeps its statistics; only the money waits (§6).
    let waiting = calculate("2021-12", &data, &Rules::default()).unwrap();
    assert_eq!((waiting[0].tally.total_days, waiting[0].daily_rate_sek, waiting[0].amount_sek), (3, None, None));
    assert_eq!(waiting[0].billable_days.two_decimals(), "1.70");
    assert!(CalcError::MissingDailyRate(2021).to_string().contains("--rate 2021=AMOUNT"));
    let mut rules = Rules::default();
    rules.daily_rates.insert(2021, 8_500);
    assert_eq!(calculate("2021-12", &data, &rules).unwrap()[0].daily_rate_sek, Some(8_500));
}

#[test]
fn psychiatric_episodes_before_july_2021_follow_the_individual_model_per_provider() {
    let psych = |id: usize, provider: &str, discharge: NaiveDate, days: u64| {
        let mut e = with_days(id, "0127", discharge, days);
        e.care_type = CareType::Psychiatric;
        e.care_provider = Some(provider.into());
        e
    };
    // 2020-06, rate 8 200: provider A: D = 8 → 3, D = 4 → 0; provider B: D = 6 → 1.
    let data =
        [psych(1, "Vårdgivare A", day(2020, 6, 10), 8), psych(2, "Vårdgivare A", day(2020, 6, 11), 4), psych(3, "Vårdgivare B", day(2020, 6, 12), 6)];
    let results = calculate("2020-06", &data, &Rules::default()).unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!((results[0].key.model, results[0].key.care_provider.as_deref()), (Model::Individual, Some("Vårdgivare A")));
    assert_eq!((results[0].billable_days.two_decimals().as_str(), results[0].amount_sek), ("3.00", Some(24_600)));
    assert_eq!(results[0].average_days, None);
    assert_eq!((results[1].billable_days.two_decimals().as_str(), results[1].amount_sek), ("1.00", Some(8_200)));
    // Discharged on 2021-06-30 it is still individual; on 2021-07-01 it joins the average.
    let mut rules = Rules::default();
    rules.daily_rates.insert(2021, 8_500);
    assert_eq!(psych(4, "A", day(2021, 6, 30), 8).model(&rules), Model::Individual);
    assert_eq!(psych(5, "A", day(2021, 7, 1), 8).model(&rules), Model::Average);
    rules.county_average_oct_2020 = Some(Fraction::whole(2));
    let july = calculate("2021-07", &[psych(5, "A", day(2021, 7, 1), 8)], &rules).unwrap();
    assert_eq!((july[0].key.model, july[0].key.care_provider.clone()), (Model::Average, None));
    // The end date is a setting.
    rules.psychiatric_transition_end = day(2021, 9, 1);
    assert_eq!(psych(6, "A", day(2021, 7, 1), 8).model(&rules), Model::Individual);
}

/// Random months of episodes over a few units, for the properties below.
fn random_file(seed: u64, count: usize) -> Vec<Episode> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let codes = ["0127", "0126", "0180", "0188", "0160"];
    let districts = ["Bromma", "Farsta", "Södermalm"];
    (0..count)
        .map(|i| {
            let discharge = day(2022, 3, rng.gen_range(1..=31));
            let mut e = with_days(i, codes[rng.gen_range(0..codes.len())], discharge, rng.gen_range(0..9));
            if e.municipality.is_stockholm() {
                e.district = Some(crate::domain::registry::district_on(districts[rng.gen_range(0..3)], discharge).unwrap());
            }
            e.needs_sip = rng.gen_bool(0.3);
            e.sip_called_at = e.ready_notice_at.map(|r| r + chrono::Duration::days(rng.gen_range(0..6)));
            e.patient_declined = rng.gen_bool(0.05);
            e.ready_notice_at = e.ready_notice_at.map(|r| r + chrono::Duration::hours(rng.gen_range(0..6)));
            e
        })
        .collect()
}

#[test]
fn shuffling_the_rows_never_changes_the_result() {
    for seed in 0..20 {
        let mut episodes = random_file(seed, 300);
        let expected = calculate("2022-03", &episodes, &Rules::default()).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed + 1000);
        for _ in 0..5 {
            episodes.shuffle(&mut rng);
            assert_eq!(calculate("2022-03", &episodes, &Rules::default()).unwrap(), expected, "seed {seed}");
        }
    }
}

#[test]
fn the_units_add_up_to_the_county_totals() {
    for seed in 0..20 {
        let episodes = random_file(seed, 300);
        let results = calculate("2022-03", &episodes, &Rules::default()).unwrap();
        let mut county = Tally::default();
        for e in &episodes {
            county.add(e);
        }
        let sum = |f: fn(&Tally) -> i64| results.iter().map(|r| f(&r.tally)).sum::<i64>();
        assert_eq!(sum(|t| t.episodes_total), county.episodes_total);
        assert_eq!(sum(|t| t.episodes_included), county.episodes_included);
        assert_eq!(sum(|t| t.total_days), county.total_days);
        assert_eq!(sum(|t| t.episodes_with_days), county.episodes_with_days);
        // Each unit's amount is its own billable days times the rate, rounded once.
        for r in &results {
            assert_eq!(r.amount_sek.map(i128::from), Some(r.billable_days.times(9_300).round_half_up()));
        }
    }
}

#[test]
fn months_and_decimals_parse_strictly() {
    assert_eq!(Month::parse("2022-03"), Some(Month { year: 2022, month: 3 }));
    for bad in ["2022-3", "2022-13", "22-03", "2022/03", ""] {
        assert_eq!(Month::parse(bad), None, "{bad}");
    }
    assert_eq!(Fraction::parse_decimal("1.87"), Some(Fraction::hundredths(187)));
    assert_eq!(Fraction::parse_decimal("2"), Some(Fraction::hundredths(200)));
    assert_eq!(Fraction::parse_decimal("1.5"), Some(Fraction::hundredths(150)));
    for bad in ["1.875", "-1", "abc", "", "1.2.3"] {
        assert_eq!(Fraction::parse_decimal(bad), None, "{bad}");
    }
}

#[test]
fn months_step_across_the_year() {
    let december = Month { year: 2021, month: 12 };
    assert_eq!(december.next(), Month { year: 2022, month: 1 });
    assert_eq!(december.next().previous(), december);
    assert_eq!(december.first_day(), NaiveDate::from_ymd_opt(2021, 12, 1).unwrap());
    let months: Vec<String> = Month { year: 2021, month: 11 }.through(Month { year: 2022, month: 2 }).map(|m| m.to_string()).collect();
    assert_eq!(months, ["2021-11", "2021-12", "2022-01", "2022-02"]);
    assert_eq!(december.through(Month { year: 2021, month: 11 }).count(), 0);
}

#[test]
fn the_what_if_amount_applies_each_claim() {
    // Botkyrka 2022-03: D = 5, 1, 3, 0 → A = 9/4 = 2.25; k = 3; B = 0.95 × 3 = 2.85;
    // amount = 26 505.
    let d = day(2022, 3, 20);
    let episodes: Vec<_> = [5, 1, 3, 0].iter().enumerate().map(|(i, n)| with_days(i, "0127", d, *n)).collect();
    let rules = Rules::default();
    let original = calculate("2022-03", &episodes, &rules).unwrap().remove(0);
    assert_eq!(original.amount_sek, Some(26_505));
    let month = Month::parse("2022-03").unwrap();
    let claim = |id: &str, reason, corrected: Option<&str>| Claim { episode_id: id.into(), reason, corrected: corrected.map(Into::into) };

    // e0 belongs to Huddinge: D = 1, 3, 0 → A = 4/3; k = 2; B = (4/3 − 1.3) × 2 = 1/15;
    // amount = 9 300 / 15 = 620.
    let moved = what_if(&original, month, &episodes, &[claim("e0", ContestReason::WrongMunicipality, Some("0126"))], &rules);
    assert_eq!((moved.tally.episodes_total, moved.amount_sek), (3, Some(620)));
    // e0 SIP not called in time: excluded, same as above for this unit's amount.
    let sip = what_if(&original, month, &episodes, &[claim("e0", ContestReason::SipNotCalledInTime, None)], &rules);
    assert_eq!((sip.tally.episodes_total, sip.tally.episodes_included, sip.amount_sek), (4, 3, Some(620)));
    // e0's notice was at 13:00 on the 15th, not 09:00: day zero the 16th → D = 4.
    // D = 4, 1, 3, 0 → A = 2.00; B = 0.70 × 3 = 2.10; amount = 19 530.
    let later = what_if(&original, month, &episodes, &[claim("e0", ContestReason::NoticeAfterNoon, Some("2022-03-15 13:00"))], &rules);
    assert_eq!(later.amount_sek, Some(19_530));
    // e2 discharged on 2022-04-01 instead: it leaves March. D = 5, 1, 0 → A = 2.00; k = 2;
    // B = 1.40; amount = 13 020.
    let april = what_if(&original, month, &episodes, &[claim("e2", ContestReason::WrongDischargeDate, Some("2022-04-01 10:00"))], &rules);
    assert_eq!(april.amount_sek, Some(13_020));
    // No claim: the same amount.
    assert_eq!(what_if(&original, month, &episodes, &[], &rules).amount_sek, Some(26_505));
    assert_eq!(ContestReason::parse("patient_declined"), Some(ContestReason::PatientDeclined));
}
