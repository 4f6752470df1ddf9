use crate::helpers::*;
use chrono::NaiveDate;
use diesel::prelude::*;
use tvistetrappa::db::schema::{commitments, organisations};
use tvistetrappa::db_run;
use tvistetrappa::domain::{commitments::CATALOGUE, registry};
use tvistetrappa::store::organisations as orgs;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[actix_web::test]
async fn the_registry_holds_the_26_municipalities() {
    let app = spawn_app().await;
    let mut conn = app.db();
    let codes: Vec<Option<String>> = db_run!(conn, |c| organisations::table
        .filter(organisations::kind.eq("municipality"))
        .order(organisations::municipality_code)
        .select(organisations::municipality_code)
        .load(c))
    .unwrap();
    let expected: Vec<Option<String>> = registry::MUNICIPALITIES.iter().map(|m| Some(m.code.to_owned())).collect();
    assert_eq!(codes, expected);
}

#[actix_web::test]
async fn the_right_districts_exist_on_each_date() {
    let app = spawn_app().await;
    let mut conn = app.db();
    for (date, count) in [(day(2020, 6, 30), 14), (day(2020, 7, 1), 13), (day(2023, 6, 30), 13), (day(2023, 7, 1), 11)] {
        let mut stored: Vec<String> = orgs::districts_on(&mut conn, date).unwrap().into_iter().map(|o| o.name).collect();
        let mut expected: Vec<String> = registry::districts_on(date).map(|d| d.name.to_owned()).collect();
        stored.sort();
        expected.sort();
        assert_eq!(stored.len(), count, "{date}");
        assert_eq!(stored, expected, "{date}");
    }
    let names = |date| orgs::districts_on(&mut app.db(), date).unwrap().into_iter().map(|o| o.name).collect::<Vec<_>>();
    assert!(names(day(2020, 6, 30)).contains(&"Älvsjö".to_owned()));
    assert!(names(day(2020, 7, 1)).contains(&"Hägersten-Älvsjö".to_owned()));
    assert!(names(day(2023, 7, 1)).contains(&"Järva".to_owned()));
    assert!(!names(day(2023, 7, 1)).contains(&"Norrmalm".to_owned()));
}

#[actix_web::test]
async fn districts_belong_to_stockholm_and_commitments_match_the_catalogue() {
    let app = spawn_app().await;
    let mut conn = app.db();
    for district in &registry::DISTRICTS {
        let stored = orgs::get(&mut conn, district.id).unwrap().unwrap();
        assert_eq!(stored.parent_id.as_deref(), Some("kommun-0180"));
        assert_eq!((stored.valid_from, stored.valid_to), (district.valid_from, district.valid_to), "{}", district.name);
    }
    type Row = (String, String, String, String, String, String);
    let stored: Vec<Row> = db_run!(conn, |c| commitments::table
        .order(commitments::sort_order)
        .select((commitments::id, commitments::area, commitments::title, commitments::reference, commitments::responsible, commitments::wording))
        .load(c))
    .unwrap();
    let expected: Vec<Row> = CATALOGUE
        .iter()
        .map(|c| {
            (
                c.id.to_owned(),
                c.area.id().to_owned(),
                c.title.to_owned(),
                c.reference.to_owned(),
                c.responsible.as_str().to_owned(),
                c.wording.to_owned(),
            )
        })
        .collect();
    assert_eq!(stored, expected);
    // Official names (domain.md §1): the genitive where Swedish takes it, and the four "stad".
    for (id, name) in [
        ("kommun-0162", "Danderyds kommun"),
        ("kommun-0117", "Österåkers kommun"),
        ("kommun-0128", "Salems kommun"),
        ("kommun-0140", "Nykvarns kommun"),
        ("kommun-0192", "Nynäshamns kommun"),
        ("kommun-0184", "Solna stad"),
        ("kommun-0183", "Sundbybergs stad"),
        ("kommun-0186", "Lidingö stad"),
        ("kommun-0187", "Vaxholms stad"),
        ("kommun-0180", "Stockholms stad"),
    ] {
        assert_eq!(orgs::get(&mut conn, id).unwrap().unwrap().name, name);
    }
}

#[actix_web::test]
async fn migrations_run_from_empty_and_again_as_a_no_op() {
    let app = spawn_app().await;
    // spawn_app migrated a new, empty database; a second run finds nothing to do.
    assert!(app.config.database.migrate().unwrap().is_empty());
    let mut conn = app.db();
    assert_eq!(orgs::lineage(&mut conn, "sdo-bromma").unwrap(), vec!["sdo-bromma", "kommun-0180"]);
    assert_eq!(orgs::lineage(&mut conn, "enh-sos-medicin-52").unwrap(), vec!["enh-sos-medicin-52", "vg-sos", "region"]);
    assert_eq!(orgs::lineage(&mut conn, "kommun-0188").unwrap(), vec!["kommun-0188", "kson"]);
    assert!(orgs::lineage(&mut conn, "finns-inte").unwrap().is_empty());
    let subtree = orgs::subtree(&mut conn, "kommun-0180").unwrap();
    assert_eq!(subtree.len(), 1 + registry::DISTRICTS.len());
    // Two levels down, and a leaf is its own subtree.
    let region = orgs::subtree(&mut conn, "region").unwrap();
    assert_eq!(region[0], "region");
    assert!(region.contains(&"vg-sos".to_owned()) && region.contains(&"enh-sos-medicin-52".to_owned()), "{region:?}");
    assert!(!region.contains(&"kommun-0127".to_owned()));
    assert_eq!(orgs::subtree(&mut conn, "enh-sos-medicin-52").unwrap(), ["enh-sos-medicin-52"]);
    assert_eq!(orgs::subtree(&mut conn, "kommun-0127").unwrap(), ["kommun-0127"]);
}

#[actix_web::test]
async fn the_seeded_daily_amounts_are_the_ones_calc_ships() {
    let app = spawn_app().await;
    let mut conn = app.db();
    let stored: Vec<(i32, i64, String)> =
        tvistetrappa::store::settings::daily_rates(&mut conn).unwrap().into_iter().map(|r| (r.year, r.amount_sek, r.source)).collect();
    let shipped: Vec<(i32, i64, String)> = tvistetrappa::domain::payment::DAILY_RATES.iter().map(|(y, a, s)| (*y, *a, s.to_string())).collect();
    assert_eq!(stored, shipped);
}
