//! One way to calculate (issue 11): whatever the order of settings and import, the amounts
//! the service stores are those of `calc` under the same rules, on both databases.

use crate::helpers::*;
use rand::{Rng, SeedableRng};
use tvistetrappa::domain::payment::{Fraction, Month, Rules};
use tvistetrappa::payment::import::{import_file, recalculate_all, Recalculation};
use tvistetrappa::store::{calculations, settings};

const MONTHS: [(&str, u32); 5] = [("2020-10", 31), ("2020-12", 31), ("2021-03", 31), ("2022-05", 31), ("2023-02", 28)];
const UNITS: [(&str, &str); 4] = [("0127", ""), ("0126", ""), ("0180", "Södermalm"), ("0184", "")];

/// A random but valid episode file over months whose years have shipped daily amounts and
/// months whose years have none (2021, 2023), with notices around noon.
fn random_file(rng: &mut rand::rngs::StdRng) -> String {
    let mut file = String::from("episode_id,municipality_code,district,care_type,care_provider,admission_notice_at,ready_notice_at,discharged_at\n");
    for i in 0..rng.gen_range(30..90) {
        let (month, days) = MONTHS[rng.gen_range(0..MONTHS.len())];
        let (code, district) = UNITS[rng.gen_range(0..UNITS.len())];
        let psychiatric = rng.gen_bool(0.2);
        let (care_type, provider) = if psychiatric { ("psychiatric", "SLSO") } else { ("somatic", "") };
        let discharge_day = rng.gen_range(9..=days);
        let ready_day = discharge_day - rng.gen_range(0..8);
        let ready_time = match rng.gen_range(0..4) {
            0 => "12:00".to_owned(),
            1 => "12:00:01".to_owned(),
            _ => format!("{:02}:{:02}", rng.gen_range(7..17), rng.gen_range(0..60)),
        };
        let admission = if rng.gen_bool(0.9) { format!("{month}-01 08:00") } else { String::new() };
        file.push_str(&format!(
            "r{i},{code},{district},{care_type},{provider},{admission},{month}-{ready_day:02} {ready_time},{month}-{discharge_day:02} 17:30\n"
        ));
    }
    file
}

/// Daily amounts for the years that ship none, and perhaps an official October 2020 figure.
fn random_settings(rng: &mut rand::rngs::StdRng) -> (Vec<(i32, i64)>, Option<i64>) {
    let rates = vec![(2021, rng.gen_range(8_000..12_000)), (2023, rng.gen_range(8_000..12_000))];
    let average = rng.gen_bool(0.5).then(|| rng.gen_range(100..250));
    (rates, average)
}

fn enter(app: &TestApp, (rates, average): &(Vec<(i32, i64)>, Option<i64>)) {
    let mut conn = app.db();
    conn.write(|conn| {
        for (year, amount) in rates {
            settings::set_daily_rate(conn, *year, *amount, "test")?;
        }
        let mut s = settings::settings(conn)?;
        s.county_average_oct_2020 = average.map(|h| Fraction::hundredths(h as i128));
        settings::save_settings(conn, &s)
    })
    .unwrap();
}

fn rules_of((rates, average): &(Vec<(i32, i64)>, Option<i64>)) -> Rules {
    let mut rules = Rules::default();
    rules.daily_rates.extend(rates.iter().copied());
    rules.county_average_oct_2020 = average.map(|h| Fraction::hundredths(h as i128));
    rules
}

fn import(app: &TestApp, file: &str) {
    let path = app.config.data_dir.join("episodes.csv");
    std::fs::write(&path, file).unwrap();
    let mut conn = app.db();
    import_file(&mut conn, None, &path, "episodes.csv", None, &mut |_| {}).unwrap();
}

/// Every month's stored current version against `calc` on the same file and rules.
fn assert_stored_equals_calc(app: &TestApp, file: &str, rules: &Rules, case: usize) {
    let mut conn = app.db();
    assert_eq!(settings::rules(&mut conn).unwrap().daily_rates, rules.daily_rates, "case {case}: the rules as stored");
    for (month, _) in MONTHS {
        let month = Month::parse(month).unwrap();
        let Some(stored) = calculations::current(&mut conn, month).unwrap() else { continue };
        let calculated = tvistetrappa::payment::calc::month_results(file.as_bytes(), month, rules);
        match (&stored.results, &calculated) {
            (Ok(stored), Ok(calculated)) => assert_eq!(stored, calculated, "case {case}, {month}"),
            (Err(_), Err(_)) => {}
            (stored, calculated) => panic!("case {case}, {month}: stored {stored:?}, calc {calculated:?}\n{file}"),
        }
    }
}

#[actix_web::test]
async fn an_import_stores_what_calc_computes_whichever_comes_first_settings_or_import() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2_017_612);
    for case in 0..6 {
        let file = random_file(&mut rng);
        let settings = random_settings(&mut rng);
        let rules = rules_of(&settings);

        // Settings first, then the import (what HSF does once the amounts are in).
        let app = spawn_app().await;
        enter(&app, &settings);
        import(&app, &file);
        assert_stored_equals_calc(&app, &file, &rules, case);
        drop(app);

        // The import first, then the settings (recalculated as the admin page does).
        let app = spawn_app().await;
        import(&app, &file);
        assert_stored_equals_calc(&app, &file, &Rules::default(), case);
        enter(&app, &settings);
        let mut conn = app.db();
        conn.write(|conn| {
            recalculate_all(conn, &Recalculation { cause: tvistetrappa::domain::payment::versions::Cause::Settings, case_id: None, user_id: None })
        })
        .unwrap();
        drop(conn);
        assert_stored_equals_calc(&app, &file, &rules, case);
    }
}
