use crate::helpers::*;
use calamine::{Data, Reader, Xlsx};
use diesel::prelude::*;
use tvistetrappa::db::schema::cases;
use tvistetrappa::db_run;

async fn deviation(app: &TestApp, title: &str, commitment: &str) -> String {
    app.file_case(
        "deviation",
        &[
            ("title", title),
            ("filed_by_org", "kommun-0127"),
            ("counterpart", "kommun-0126"),
            ("commitment_id", commitment),
            ("occurred_from", "2026-01-15"),
            ("description", "Beskrivning."),
            // Huddinge does not hold these commitments; the filer confirms the counterpart.
            ("confirm_holder", "on"),
        ],
    )
    .await
}

/// Moves a case's filing (and closing) time, as if it had been filed then.
fn dates(app: &TestApp, number: &str, filed: &str, closed: Option<&str>) {
    let at = |text: &str| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    let (filed, closed) = (at(filed), closed.map(at));
    let n = db_run!(app.db(), |c| diesel::update(cases::table.filter(cases::number.eq(number)))
        .set((cases::created_at.eq(filed), cases::closed_at.eq(closed)))
        .execute(c))
    .unwrap();
    assert_eq!(n, 1);
}

/// The text of each row of a report table (cells joined by " | ").
fn rows(body: &str, key: &str) -> Vec<String> {
    let section = body.split(&format!("id=\"tabell-{key}\"")).nth(1).unwrap_or_else(|| panic!("no table {key}"));
    let section = section.split("</table>").next().unwrap();
    let tbody = section.split("<tbody>").nth(1).unwrap_or("");
    tbody
        .split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| cell.split_once('>').unwrap().1.split("</td>").next().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect()
}

/// A known set of cases: two resolved locally in 20 and 30 days, one lifted to the steering
/// group, one principled question of interpretation.
async fn known_cases(app: &TestApp) -> [String; 4] {
    app.login_as(BOTKYRKA).await;
    let first = deviation(app, "SIP sent", "process.sip-called").await;
    let second = deviation(app, "SIP sent igen", "process.sip-called").await;
    let third = deviation(app, "Meddelande efter tolv", "process.ready-notice").await;
    let question = app
        .file_case(
            "interpretation",
            &[
                ("title", "Vad betyder fast vårdkontakt?"),
                ("filed_by_org", "kommun-0127"),
                ("counterpart", "region"),
                ("occurred_from", "2026-04-01"),
                ("description", "Parterna läser 4.3 olika."),
                ("principled", "1"),
            ],
        )
        .await;
    for number in [&first, &third] {
        assert_eq!(app.act(number, "withdraw", &[("text", "Löst lokalt.")]).await.status, 303);
    }
    app.login_as(HUDDINGE).await;
    assert_eq!(app.act(&second, "answer", &[("text", "Vi ser det annorlunda.")]).await.status, 303);
    assert_eq!(app.act(&second, "escalate", &[("text", "Ingen lösning lokalt.")]).await.status, 303);
    app.login_as(HSF).await;
    assert_eq!(app.act(&second, "escalate", &[("text", "Strukturell brist.")]).await.status, 303);
    app.login_as("lars.ek@storsthlm.example").await;
    assert_eq!(app.act(&second, "escalate", &[("text", "Storsthlm instämmer.")]).await.status, 303);
    dates(app, &first, "2026-02-10 09:00", Some("2026-03-02 09:00"));
    dates(app, &third, "2026-03-01 09:00", Some("2026-03-31 10:00"));
    dates(app, &second, "2026-04-05 09:00", None);
    dates(app, &question, "2026-04-20 09:00", None);
    [first, second, third, question]
}

#[actix_web::test]
async fn the_case_report_computes_every_figure_of_a_known_set() {
    let app = spawn_app().await;
    let [first, second, third, question] = known_cases(&app).await;
    app.login_as(STEERING).await;
    let page = app.get("/rapporter/arenden?fran=2026-01-01&till=2026-12-31").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("Period: <strong>2026-01-01 – 2026-12-31</strong> · Hela länet"));
    assert_eq!(
        rows(body, "oversikt"),
        [
            "Anmälda ärenden | 4",
            "Avslutade ärenden | 2",
            "Öppna ärenden med passerad svarsfrist | 0",
            "Lyfta till styrgruppen | 1",
            "Lyfta till VIS | 0"
        ]
    );
    assert_eq!(rows(body, "typ"), ["Avvikelse | 3", "Tolkningsfråga | 1"]);
    let commitments = rows(body, "atagande");
    assert!(commitments[0].starts_with("Fast vårdkontakt kallar till SIP") && commitments[0].ends_with("| 2"), "{commitments:?}");
    assert!(commitments[1].starts_with("Inget åtagande") && commitments[1].ends_with("| 1"));
    assert!(commitments[2].starts_with("Behandlande läkare meddelar") && commitments[2].ends_with("| 1"));
    assert_eq!(rows(body, "niva"), ["Lokal nivå | 2", "Storsthlm och HSF | 1", "Styrgruppen | 1"]);
    assert_eq!(rows(body, "status"), ["Pågår | 2", "Avslutat | 2"]);
    let parties = rows(body, "organisation");
    assert_eq!(parties[0], "Botkyrka kommun | 4");
    assert_eq!(parties[1], "Huddinge kommun | 3");
    // Resolved locally in 20 and 30 days: nearest-rank median 20, 90th percentile 30.
    assert_eq!(rows(body, "losningstid"), ["Lokal nivå | 2 | 20 | 30"]);
    let months = rows(body, "manader");
    assert_eq!(months.len(), 12);
    assert_eq!(months[1], "2026-02 | 1 | 0");
    assert_eq!(months[2], "2026-03 | 1 | 2");
    assert_eq!(months[3], "2026-04 | 2 | 0");
    let structural = rows(body, "strukturella");
    assert_eq!(structural.len(), 2, "{structural:?}");
    assert!(structural.iter().any(|r| r.starts_with(&format!("{second} | Avvikelse | SIP sent igen | Styrgruppen | Nej | Inget beslut ännu"))));
    assert!(structural.iter().any(|r| r.starts_with(&format!("{question} | Tolkningsfråga |")) && r.contains("| Ja |")));
    assert!(!structural.iter().any(|r| r.starts_with(&first) || r.starts_with(&third)));
    // Three charts, each with a text alternative.
    assert_eq!(body.matches("<svg").count(), 3);
    assert!(body.contains("<desc id=\"per-niva-beskrivning\">Lokal nivå 2 ärenden, Storsthlm och HSF 1 ärende, Styrgruppen 1 ärende</desc>"));

    // A narrower period counts only what falls in it.
    let march = app.get("/rapporter/arenden?fran=2026-03-01&till=2026-03-31").await;
    assert_eq!(rows(&march.body, "oversikt")[0], "Anmälda ärenden | 1");
    assert_eq!(rows(&march.body, "oversikt")[1], "Avslutade ärenden | 2");
}

#[actix_web::test]
async fn the_case_report_downloads_as_xlsx_and_csv_with_the_same_numbers() {
    let app = spawn_app().await;
    known_cases(&app).await;
    app.login_as(STEERING).await;
    let bytes = app.get_bytes("/rapporter/arenden.xlsx?fran=2026-01-01&till=2026-12-31").await;
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx workbook");
    let cover = workbook.worksheet_range("Rapport").unwrap();
    assert_eq!(cover.get_value((1, 1)), Some(&Data::String("2026-01-01 – 2026-12-31".into())));
    let overview = workbook.worksheet_range("Översikt").unwrap();
    let figures: Vec<(String, f64)> = overview
        .rows()
        .skip(1)
        .map(|r| {
            (
                r[0].to_string(),
                match r[1] {
                    Data::Float(f) => f,
                    ref other => panic!("a number, not {other:?}"),
                },
            )
        })
        .collect();
    assert_eq!(figures[0], ("Anmälda ärenden".to_owned(), 4.0));
    assert_eq!(figures[1], ("Avslutade ärenden".to_owned(), 2.0));
    assert_eq!(figures[3], ("Lyfta till styrgruppen".to_owned(), 1.0));
    let resolution = workbook.worksheet_range("Tid till avslut per nivå").unwrap();
    let row: Vec<Data> = resolution.rows().nth(1).unwrap().to_vec();
    assert_eq!(row, [Data::String("Lokal nivå".into()), Data::Float(2.0), Data::Float(20.0), Data::Float(30.0)]);
    assert!(workbook.worksheet_range("Strukturella avvikelser").unwrap().rows().count() == 3);

    let csv = app.get("/rapporter/arenden.csv?fran=2026-01-01&till=2026-12-31&tabell=niva").await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.body.trim_start_matches('\u{feff}'), "Högsta nivå som nåtts;Ärenden\nLokal nivå;2\nStorsthlm och HSF;1\nStyrgruppen;1\n");
    assert_eq!(app.get("/rapporter/arenden.csv?tabell=finns-inte").await.status, 404);
}

#[actix_web::test]
async fn a_local_user_sees_the_report_of_their_own_organisation_only() {
    let app = spawn_app().await;
    let [first, second, third, _] = known_cases(&app).await;
    app.login_as(HUDDINGE).await;
    // Huddinge is only the counterpart: its case list finds them all the same.
    let list = app.get("/arenden").await;
    for number in [&first, &second, &third] {
        assert!(list.body.contains(number.as_str()), "{number} missing from the counterpart's list");
    }
    let own = app.get("/rapporter/arenden?fran=2026-01-01&till=2026-12-31").await;
    assert!(own.body.contains("Huddinge kommun med underordnade enheter"));
    assert_eq!(rows(&own.body, "oversikt")[0], "Anmälda ärenden | 3", "the three deviations Huddinge is party to");
    app.login_as(SODERMALM).await;
    let none = app.get("/rapporter/arenden?fran=2026-01-01&till=2026-12-31").await;
    assert_eq!(rows(&none.body, "oversikt")[0], "Anmälda ärenden | 0");
    assert!(none.body.contains("Inget under perioden."));
}

#[actix_web::test]
async fn a_wrong_period_is_explained_next_to_its_field() {
    let app = spawn_app().await;
    app.login_as(STEERING).await;
    let bad = app.get("/rapporter/arenden?fran=2026-13-01&till=2026-01-01").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"fran-fel\">Ange datumet som ÅÅÅÅ-MM-DD."));
    let backwards = app.get("/rapporter/arenden?fran=2026-05-01&till=2026-04-01").await;
    assert!(backwards.body.contains("id=\"till-fel\">Slutdatumet kan inte ligga före startdatumet."));
    let months = app.get("/rapporter/betalning?fran=mars&till=2022-03").await;
    assert_eq!(months.status, 422);
    assert!(months.body.contains("id=\"fran-fel\">Ange månaden som ÅÅÅÅ-MM."));
}

#[actix_web::test]
async fn the_payment_report_adds_up_months_units_and_disputes() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    let page = app.get("/betalning/importer").await;
    assert_eq!(app.post_file(&page, "/betalning/importer", &[], "v.csv", FILE.as_bytes()).await.status, 303);
    app.login_as(HUDDINGE).await;
    let filed = app
        .submit(
            "/arenden/nytt?typ=payment_dispute",
            "/arenden/nytt",
            &[
                ("kind", "payment_dispute"),
                ("title", "Mars 2022"),
                ("filed_by_org", "kommun-0126"),
                ("counterpart", "hsf"),
                ("payment_month", "2022-03"),
                ("billing_unit_id", "kommun-0126"),
                ("amount_sek", "25110"),
                ("occurred_from", "2022-03-31"),
                ("description", "SIP kallades för sent."),
                ("calc_month", "2022-03"),
                ("calc_unit", "kommun-0126"),
            ],
        )
        .await;
    assert_eq!(filed.status, 303, "{}", filed.body);
    let number = filed.location().trim_start_matches("/arenden/").split('?').next().unwrap().to_owned();

    app.login_as(HSF).await;
    let report = app.get("/rapporter/betalning?fran=2022-02&till=2022-03").await;
    assert_eq!(report.status, 200, "{}", report.body);
    // March: 5 episodes, 4 included (b3's SIP was late), D = 5 + 1 + 4 + 3 = 13, county
    // average 13/4 = 3.25; B = 3.40 + 2.70 + 1.70 = 7.80; 31 620 + 25 110 + 15 810 = 72 540 kr.
    assert_eq!(
        rows(&report.body, "manader"),
        [sv("2022-02 | 1 | 1 | 1 | 1,00 | 0,00 | 0 | 0"), sv("2022-03 | 5 | 4 | 13 | 3,25 | 7,80 | 72 540 | 25 110")]
    );
    let units = rows(&report.body, "enheter");
    assert!(units.contains(&sv("2022-03 | Botkyrka | Genomsnitt | 3 | 2 | 6 | 3,00 | 1,30 | 3,40 | 31 620 | 0 | ")), "{units:?}");
    assert!(
        units.contains(&sv(&format!("2022-03 | Huddinge | Genomsnitt | 1 | 1 | 4 | 4,00 | 1,30 | 2,70 | 25 110 | 25 110 | {number}: Pågår"))),
        "{units:?}"
    );
    assert!(units.contains(&sv("2022-03 | Stockholm, Södermalm | Genomsnitt | 1 | 1 | 3 | 3,00 | 1,30 | 1,70 | 15 810 | 0 | ")), "{units:?}");
    assert_eq!(rows(&report.body, "tvister"), [sv(&format!("2022-03 | Huddinge kommun | {number} | 25 110 | Pågår"))]);
    assert_eq!(report.body.matches("<svg").count(), 2);

    let bytes = app.get_bytes("/rapporter/betalning.xlsx?fran=2022-02&till=2022-03").await;
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx workbook");
    let months = workbook.worksheet_range("Per månad").unwrap();
    let march: Vec<Data> = months.rows().nth(2).unwrap().to_vec();
    assert_eq!(
        march,
        [
            Data::String("2022-03".into()),
            Data::Float(5.0),
            Data::Float(4.0),
            Data::Float(13.0),
            Data::Float(3.25),
            Data::Float(7.8),
            Data::Float(72540.0),
            Data::Float(25110.0)
        ]
    );

    // Huddinge sees its own unit only, and its own totals.
    app.login_as(HUDDINGE).await;
    let own = app.get("/rapporter/betalning?fran=2022-03&till=2022-03").await;
    assert_eq!(rows(&own.body, "manader"), [sv("2022-03 | 1 | 1 | 4 | 4,00 | 2,70 | 25 110 | 25 110")]);
    assert!(!own.body.contains("Botkyrka"));
}
