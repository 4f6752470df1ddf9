use crate::helpers::*;

/// Botkyrka and HSF settle a dispute by agreement, as the nearest managers do (no side
/// decides alone): Botkyrka proposes, HSF accepts. Leaves HSF signed in.
async fn settle(app: &TestApp, number: &str, text: &str) {
    app.login_as(BOTKYRKA).await;
    assert_eq!(app.act(number, "propose", &[("text", text)]).await.status, 303);
    app.login_as(HSF).await;
    assert_eq!(app.act(number, "accept", &[]).await.status, 303);
}

async fn import(app: &TestApp, content: &str) -> Response {
    let page = app.get("/betalning/importer").await;
    assert_eq!(page.status, 200, "{}", page.body);
    app.post_file(&page, "/betalning/importer", &[], "vardtillfallen.csv", content.as_bytes()).await
}

#[actix_web::test]
async fn hsf_imports_and_each_municipality_sees_only_its_own_calculation() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    let response = import(&app, FILE).await;
    assert_eq!(response.status, 303, "{}", response.body);
    let imports = app.get("/betalning/importer?klart=import").await;
    assert!(imports.body.contains("vardtillfallen.csv"));
    assert!(imports.body.contains("Maria Sund"));

    let overview = app.get("/betalning?manad=2022-03").await;
    assert!(overview.body.contains("Endast statistik"));
    for unit in ["Botkyrka", "Huddinge", "Stockholm, Södermalm"] {
        assert!(overview.body.contains(unit), "{unit}");
    }
    // Botkyrka: b1 D=5, b2 D=1 (a notice at 12:00:01 is after noon), b3 excluded (SIP after 4 days).
    // A = 3.00; T = 1.30; k = 2; B = 3.40; amount = 3.40 × 9 300 = 31 620.
    // February: f1 D=1 → A = 1.00, nothing owed, so the change is +31 620.
    assert!(overview.body.contains(&sv("31 620 kr")));

    app.login_as(BOTKYRKA).await;
    let own = app.get("/betalning?manad=2022-03").await;
    assert!(own.body.contains("Botkyrka") && own.body.contains(&sv("31 620 kr")));
    assert!(!own.body.contains("Huddinge") && !own.body.contains("Södermalm"));
    let unit = app.get("/betalning/2022-03/enhet?kommun=0127&modell=average").await;
    assert_eq!(unit.status, 200);
    for text in ["A = 6 / 2 = 3,00", "T för 2022-03 = 1,30", "= 3,40", &sv("31 620 kr"), "SIP kallades inte inom tre dagar", "2022-03-11"] {
        assert!(unit.body.contains(text), "{text}");
    }
    let huddinge = app.get("/betalning/2022-03/enhet?kommun=0126&modell=average").await;
    assert_eq!(huddinge.status, 404);
    assert!(!huddinge.body.contains("hud-1"));
    assert_eq!(app.get("/betalning/importer").await.status, 403);

    app.login_as("omar.said@stockholm.example").await;
    let district = app.get("/betalning?manad=2022-03").await;
    assert!(district.body.contains("Södermalm") && !district.body.contains("Botkyrka"));
    app.login_as("lena.sjoberg@stockholm.example").await;
    assert!(app.get("/betalning?manad=2022-03").await.body.contains("Södermalm"));
}

#[actix_web::test]
async fn an_invalid_file_is_refused_whole_with_every_error() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    // Episodes are stored by month and line, so nothing in the table would stop an id that
    // comes again in another month (line 10): the importer must.
    let broken = format!("{FILE}x1,0999,,somatic,,,2022-03-15 10:00,,\nx2,0127,,ortopedi,,,2022-03-32,,\nb1,0127,,somatic,,,2022-04-15 10:00,,\n");
    let response = import(&app, &broken).await;
    assert_eq!(response.status, 422);
    for text in ["4 fel", "Rad 8, kolumn municipality_code", "Rad 9, kolumn care_type", "Rad 9, kolumn discharged_at", "Rad 10, kolumn episode_id"] {
        assert!(response.body.contains(text), "{text}");
    }
    assert!(response.body.contains("Inga filer är importerade."), "nothing was written");
    assert!(app.get("/betalning").await.body.contains("Inga vårdtillfällen är importerade"));
}

#[actix_web::test]
async fn a_corrected_file_becomes_a_new_version_and_the_old_one_is_kept() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    assert_eq!(import(&app, FILE).await.status, 303);
    // The correction: b3's SIP was in fact called in time.
    let corrected = FILE.replace("ja,2022-03-14 10:00", "ja,2022-03-13 10:00");
    assert_eq!(import(&app, &corrected).await.status, 303);
    let imports = app.get("/betalning/importer").await;
    assert_eq!(imports.body.matches("vardtillfallen.csv").count(), 2);
    // Now b3 (D=10) counts: A = 16/3; B = (16/3 − 1.3) × 3 = 12.10; amount = 112 530.
    let overview = app.get("/betalning?manad=2022-03").await;
    assert!(overview.body.contains(&sv("112 530 kr")), "{}", overview.body);
}

#[actix_web::test]
async fn a_month_without_a_daily_amount_keeps_its_statistics_and_says_the_amount_waits() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    let file = "episode_id,municipality_code,care_type,admission_notice_at,ready_notice_at,discharged_at\n\
                x,0127,somatic,2021-12-01 08:00,2021-12-01 09:00,2021-12-04 10:00\n";
    assert_eq!(import(&app, file).await.status, 303);
    // Statistics never wait for money (§6): the unit, its episode and days show; only the amount waits.
    let overview = app.get("/betalning?manad=2021-12").await;
    assert!(overview.body.contains("Botkyrka") && overview.body.contains("dagbelopp saknas"), "{}", overview.body);
    let unit = app.get("/betalning/2021-12/enhet?kommun=0127&modell=average").await;
    assert!(unit.body.contains("3,00") && unit.body.contains("dagbelopp saknas"), "{}", unit.body);
    let report = app.get("/rapporter/betalning?fran=2021-01&till=2021-12").await;
    assert!(report.body.contains("2021-12") && report.body.contains("dagbelopp saknas"), "the month is shown, not skipped");
    app.activate_payment_responsibility("2021-01-01");
    let invoice = (tvistetrappa::store::today() + chrono::Days::new(30)).to_string();
    let publish = app.submit("/betalning?manad=2021-12", "/betalning/publicera", &[("month", "2021-12"), ("invoice_date", &invoice)]).await;
    assert_eq!(publish.status, 409, "a month without its amounts is not invoiced");
    assert!(publish.body.contains("dagbelopp för 2021 saknas"));

    // An administrator enters the amount with its source; the month is calculated again.
    app.login_as(ADMIN).await;
    let refused = app.submit("/admin/betalning", "/admin/betalning/dagbelopp", &[("year", "tjugo"), ("amount", "-1"), ("source", "")]).await;
    assert_eq!(refused.status, 422);
    for message in ["Ange ett år", "Ange dagbeloppet i hela kronor", "Ange källan"] {
        assert!(refused.body.contains(message), "{message}");
    }
    let saved = app
        .submit("/admin/betalning", "/admin/betalning/dagbelopp", &[("year", "2021"), ("amount", "8 500"), ("source", "Socialstyrelsen, test")])
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let overview = app.get("/betalning?manad=2021-12").await;
    assert!(!overview.body.contains("saknas"), "{}", overview.body);
    // A = 3.00, T = 1.30, B = 1.70 × 8 500 kr = 14 450 kr.
    assert!(overview.body.contains("Botkyrka") && overview.body.contains(&sv("14 450 kr")), "{}", overview.body);
    assert!(app.get("/admin/logg?handelse=payment_settings_changed").await.body.contains("daily amount 2021 = 8500 kr"));
}

#[actix_web::test]
async fn settings_decide_the_threshold_and_when_figures_stop_being_statistics() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    let december = "episode_id,municipality_code,care_type,admission_notice_at,ready_notice_at,discharged_at\n\
                    d1,0127,somatic,2020-12-01 08:00,2020-12-08 09:00,2020-12-10 10:00\n\
                    d2,0127,somatic,2020-12-01 08:00,2020-12-08 09:00,2020-12-11 10:00\n";
    assert_eq!(import(&app, december).await.status, 303);
    assert!(app.get("/betalning?manad=2020-12").await.body.contains("länets genomsnitt i oktober 2020"));
    assert_eq!(app.get("/admin/betalning").await.status, 403);

    app.login_as(ADMIN).await;
    let bad = app
        .submit(
            "/admin/betalning",
            "/admin/betalning/installningar",
            &[("county_average", "1,875"), ("active_from", "snart"), ("transition_end", "2021-07-01")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("högst två decimaler") && bad.body.contains("ÅÅÅÅ-MM-DD"));
    let saved = app
        .submit(
            "/admin/betalning",
            "/admin/betalning/installningar",
            &[("county_average", "1,87"), ("active_from", "2020-12-01"), ("transition_end", "2021-07-01")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    // A = 2.50; B = (2.50 − 1.87) × 2 = 1.26; 1.26 × 8 200 = 10 332.
    let unit = app.get("/betalning/2020-12/enhet?kommun=0127&modell=average").await;
    assert!(unit.body.contains("T för 2020-12 = 1,87"), "{}", unit.body);
    assert!(unit.body.contains(&sv("10 332 kr")));
    assert!(!unit.body.contains("Endast statistik"), "payment responsibility is active from 2020-12-01");
    let csv = app.get("/betalning/2020-12/enhet.csv?kommun=0127&modell=average").await;
    assert!(!csv.body.contains("Endast statistik"));
}

#[actix_web::test]
async fn a_later_file_takes_the_october_2020_county_average_from_the_current_version() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    // October 2020, D = 1, 2, 2, 3, 1, 2, 2, 2 → 15/8 = 1.875 → threshold 1.88.
    let mut october = String::from("episode_id,municipality_code,care_type,admission_notice_at,ready_notice_at,discharged_at\n");
    for (i, days) in [1, 2, 2, 3, 1, 2, 2, 2].iter().enumerate() {
        october.push_str(&format!("o{i},0127,somatic,2020-10-01 08:00,2020-10-10 09:00,2020-10-{:02} 10:00\n", 10 + days));
    }
    assert_eq!(import(&app, &october).await.status, 303);
    // December 2020 alone: D = 2, 3 → A = 2.50; B = (2.50 − 1.88) × 2 = 1.24; 10 168 kr.
    let december = "episode_id,municipality_code,care_type,admission_notice_at,ready_notice_at,discharged_at\n\
                    d1,0127,somatic,2020-12-01 08:00,2020-12-08 09:00,2020-12-10 10:00\n\
                    d2,0127,somatic,2020-12-01 08:00,2020-12-08 09:00,2020-12-11 10:00\n";
    assert_eq!(import(&app, december).await.status, 303);
    let unit = app.get("/betalning/2020-12/enhet?kommun=0127&modell=average").await;
    assert!(unit.body.contains("T för 2020-12 = 1,88"), "{}", unit.body);
    assert!(unit.body.contains(&sv("10 168 kr")));
}

#[actix_web::test]
async fn the_unit_calculation_downloads_as_csv_and_xlsx_with_the_same_numbers() {
    use calamine::{Data, Reader, Xlsx};
    let app = spawn_app().await;
    app.login_as(HSF).await;
    assert_eq!(import(&app, FILE).await.status, 303);
    app.login_as(BOTKYRKA).await;
    let csv = app.get("/betalning/2022-03/enhet.csv?kommun=0127&modell=average").await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers.get("content-disposition").unwrap().to_str().unwrap().starts_with("attachment;"));
    assert!(csv.body.starts_with('\u{feff}'), "a byte-order mark for Excel");
    for line in [
        "Belopp (kr);31620",
        "Genomsnitt A;3,00",
        "Debiterbara dagar B;3,40",
        "b3;2022-03-10 09:00;2022-03-10;2022-03-20 10:00;10;Nej: SIP kallades inte inom tre dagar",
    ] {
        assert!(csv.body.contains(line), "{line}\n{}", csv.body);
    }
    assert_eq!(app.get("/betalning/2022-03/enhet.csv?kommun=0126&modell=average").await.status, 404, "not Huddinge's");

    let xlsx = app.get_bytes("/betalning/2022-03/enhet.xlsx?kommun=0127&modell=average").await;
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    let summary = workbook.worksheet_range("Beräkning").unwrap();
    let value = |label: &str| summary.rows().find(|r| r[0] == Data::String(label.into())).map(|r| r[1].clone()).unwrap();
    assert_eq!(value("Belopp (kr)"), Data::Float(31620.0));
    assert_eq!(value("Debiterbara dagar B"), Data::Float(3.4));
    assert_eq!(value("Ingår"), Data::Float(2.0));
    let episodes = workbook.worksheet_range("Vårdtillfällen").unwrap();
    assert_eq!(episodes.rows().count(), 4, "a heading and three episodes");
}

/// Files the payment dispute about March 2022's first version that a disputed review
/// basis leads to; returns the case number.
async fn file_dispute(app: &TestApp, form_page: &str, unit: &str, amount: &str) -> String {
    let fields = [
        ("kind", "payment_dispute"),
        ("title", "Granskningsunderlag 2022-03"),
        ("filed_by_org", unit),
        ("counterpart", "hsf"),
        ("payment_month", "2022-03"),
        ("billing_unit_id", unit),
        ("amount_sek", amount),
        ("occurred_from", "2022-03-31"),
        ("description", "Vårdtillfällen är fel i underlaget."),
        ("calc_month", "2022-03"),
        ("calc_version", "1"),
        ("calc_unit", unit),
    ];
    let filed = app.submit(form_page, "/arenden/nytt", &fields).await;
    assert_eq!(filed.status, 303, "{}", filed.body);
    filed.location().trim_start_matches("/arenden/").split('?').next().unwrap().to_owned()
}

#[actix_web::test]
async fn hsf_publishes_the_review_basis_and_each_unit_accepts_or_disputes_its_own() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    assert_eq!(import(&app, FILE).await.status, 303);
    let invoice = (tvistetrappa::store::today() + chrono::Days::new(30)).to_string();
    // Nothing is published for invoicing before payment responsibility is active.
    let inactive = app.submit("/betalning?manad=2022-03", "/betalning/publicera", &[("month", "2022-03"), ("invoice_date", &invoice)]).await;
    assert_eq!(inactive.status, 409);
    assert!(inactive.body.contains("inte aktiverat"), "{}", inactive.body);
    app.activate_payment_responsibility("2022-04-01");
    let overview = app.get("/betalning?manad=2022-03").await;
    assert!(overview.body.contains("betalningsansvaret gäller från 2022-04-01") && !overview.body.contains("/betalning/publicera"));
    let early = app.submit("/betalning?manad=2022-03", "/betalning/publicera", &[("month", "2022-03"), ("invoice_date", &invoice)]).await;
    assert_eq!(early.status, 409);
    assert!(early.body.contains("gäller från 2022-04-01"));
    app.activate_payment_responsibility("2022-03-01");
    let too_soon = (tvistetrappa::store::today() + chrono::Days::new(20)).to_string();
    let refused = app.submit("/betalning?manad=2022-03", "/betalning/publicera", &[("month", "2022-03"), ("invoice_date", &too_soon)]).await;
    // Too soon is said at the date field, on the month's overview, with the date kept.
    assert!(refused.body.contains("minst 21 dagar"));
    crate::forms::assert_error_pattern(&refused, &["invoice_date"]);
    assert!(refused.body.contains(&format!("value=\"{too_soon}\"")));
    let garbled = app.submit("/betalning?manad=2022-03", "/betalning/publicera", &[("month", "2022-03"), ("invoice_date", "31/12")]).await;
    crate::forms::assert_error_pattern(&garbled, &["invoice_date"]);
    let published = app.submit("/betalning?manad=2022-03", "/betalning/publicera", &[("month", "2022-03"), ("invoice_date", &invoice)]).await;
    assert_eq!(published.status, 303, "{}", published.body);
    let all = app.get("/granskning").await;
    assert!(all.body.contains("Botkyrka") && all.body.contains("Huddinge"));
    assert!(!all.body.contains("Godkänn</button>"), "HSF follows up but does not answer");

    app.login_as(BOTKYRKA).await;
    let own = app.get("/granskning").await;
    assert!(own.body.contains(&sv("31 620 kr")) && !own.body.contains("Huddinge"));
    assert!(own.body.contains("Väntar på granskning"));
    let last_day = (tvistetrappa::store::today() + chrono::Days::new(29)).to_string();
    assert!(own.body.contains(&format!("<td>{last_day}</td>")), "the units answer until the invoice date");
    let token = own.csrf();
    let basis = own.body.split("/granskning/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let accepted = app
        .post_raw(
            &format!("/granskning/{basis}/svar"),
            &[("csrf", &token), ("organisation_id", "kommun-0127"), ("row_key", "average"), ("response", "accepted")],
        )
        .await;
    assert_eq!(accepted.status, 303);
    assert!(app.get("/granskning").await.body.contains("Godkänt"));
    let again = app
        .post_raw(
            &format!("/granskning/{basis}/svar"),
            &[("csrf", &token), ("organisation_id", "kommun-0127"), ("row_key", "average"), ("response", "disputed")],
        )
        .await;
    assert_eq!(again.status, 409);
    let not_ours = app
        .post_raw(
            &format!("/granskning/{basis}/svar"),
            &[("csrf", &token), ("organisation_id", "kommun-0126"), ("row_key", "average"), ("response", "accepted")],
        )
        .await;
    assert_eq!(not_ours.status, 404);

    app.login_as(HUDDINGE).await;
    let token = app.csrf().await;
    let disputed = app
        .post_raw(
            &format!("/granskning/{basis}/svar"),
            &[("csrf", &token), ("organisation_id", "kommun-0126"), ("row_key", "average"), ("response", "disputed")],
        )
        .await;
    assert_eq!(disputed.status, 303);
    assert!(disputed.location().starts_with("/arenden/nytt?typ=payment_dispute&manad=2022-03&version=1&enhet=kommun-0126"));
    let form = app.get(&disputed.location()).await;
    assert!(form.body.contains("value=\"2022-03\""));
    assert!(form.body.contains("Granskningsunderlag 2022-03"));
    assert!(form.body.contains("name=\"calc_unit\" value=\"kommun-0126\""));
    assert!(app.get("/granskning").await.body.contains("Ifrågasatt"));

    // The dispute refers to the calculation; hud-1 has D = 4 → A = 4.00; B = 2.70; 25 110 kr.
    let number = file_dispute(&app, &disputed.location(), "kommun-0126", "25110").await;
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains(&sv("Belopp enligt underlaget</dt><dd>25 110 kr")), "{}", page.body);
    let missing_value = app.act(&number, "contest", &[("episode_id", "hud-1"), ("reason", "wrong_municipality"), ("corrected", "")]).await;
    assert_eq!(missing_value.status, 422);
    assert!(missing_value.body.contains("Ange det rättade värdet (kommunkod)"));
    crate::forms::assert_error_pattern(&missing_value, &["contest-corrected"]);
    assert!(missing_value.body.contains("<option value=\"hud-1\" selected>"), "the episode chosen is kept");
    assert!(missing_value.body.contains("<option value=\"wrong_municipality\" selected>"), "and the reason");
    let not_in_basis = app.act(&number, "contest", &[("episode_id", "b1"), ("reason", "other")]).await;
    assert_eq!(not_in_basis.status, 422, "Botkyrka's episode is not in Huddinge's basis");
    let contested = app.act(&number, "contest", &[("episode_id", "hud-1"), ("reason", "sip_not_called_in_time")]).await;
    assert_eq!(contested.status, 303);
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains(&sv("Belopp om invändningarna stämmer</dt><dd><strong>0 kr</strong> (skillnad -25 110 kr)")), "{}", page.body);
    assert!(page.body.contains("SIP kallades inte i tid"));
    assert!(page.body.contains("Vårdtillfälle ifrågasatt"));
    // HSF, the counterpart, sees the claims but does not make them.
    app.login_as(HSF).await;
    let hsf_view = app.get(&format!("/arenden/{number}")).await;
    assert!(hsf_view.body.contains("hud-1") && !hsf_view.body.contains("Ifrågasätt vårdtillfället"));
    assert_eq!(app.act(&number, "contest", &[("episode_id", "hud-1"), ("reason", "other")]).await.status, 403);
}

/// Moves a published review basis's invoice date to yesterday: the month is invoiced.
fn invoice_yesterday(app: &TestApp, month: &str) {
    use diesel::prelude::*;
    use tvistetrappa::db::schema::review_bases;
    use tvistetrappa::db_run;
    let mut conn = app.db();
    let yesterday = tvistetrappa::store::today() - chrono::Days::new(1);
    let n = db_run!(conn, |c| diesel::update(review_bases::table.filter(review_bases::month.eq(month)))
        .set(review_bases::invoice_date.eq(yesterday))
        .execute(c))
    .unwrap();
    assert_eq!(n, 1);
}

#[actix_web::test]
async fn agreed_corrections_become_a_new_version_and_an_invoiced_month_shows_what_to_credit() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    assert_eq!(import(&app, FILE).await.status, 303);
    app.activate_payment_responsibility("2022-01-01");
    let invoice = (tvistetrappa::store::today() + chrono::Days::new(30)).to_string();
    let published = app.submit("/betalning?manad=2022-03", "/betalning/publicera", &[("month", "2022-03"), ("invoice_date", &invoice)]).await;
    assert_eq!(published.status, 303, "{}", published.body);
    let twice = app.submit("/betalning?manad=2022-03", "/betalning/publicera", &[("month", "2022-03"), ("invoice_date", &invoice)]).await;
    assert_eq!(twice.status, 409, "a version is published once");

    // Botkyrka disputes: b1 (D = 5) was noticed at 13:00, not 11:59; b2 (D = 1) declined.
    app.login_as(BOTKYRKA).await;
    let review = app.get("/granskning").await;
    let basis = review.body.split("/granskning/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let disputed = app
        .post_raw(
            &format!("/granskning/{basis}/svar"),
            &[("csrf", &review.csrf()), ("organisation_id", "kommun-0127"), ("row_key", "average"), ("response", "disputed")],
        )
        .await;
    let number = file_dispute(&app, &disputed.location(), "kommun-0127", "31620").await;
    let late = app.act(&number, "contest", &[("episode_id", "b1"), ("reason", "notice_after_noon"), ("corrected", "2022-03-10 13:00")]).await;
    assert_eq!(late.status, 303, "{}", late.body);
    assert_eq!(app.act(&number, "contest", &[("episode_id", "b2"), ("reason", "patient_declined")]).await.status, 303);
    // What if both hold: only b1 with D = 4 → A = 4.00, B = (4.00 − 1.30) × 1 = 2.70 → 25 110 kr.
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains(&sv("Belopp om invändningarna stämmer</dt><dd><strong>25 110 kr</strong> (skillnad -6 510 kr)")), "{}", page.body);
    assert_eq!(app.act(&number, "corrections", &[("agreed", "b1")]).await.status, 403, "the filer does not apply corrections");

    // Open, HSF may not apply corrections yet; the parties settle and Botkyrka closes.
    app.login_as(HSF).await;
    assert!(!app.get(&format!("/arenden/{number}")).await.body.contains("Tillämpa rättelserna"));
    assert_eq!(app.act(&number, "corrections", &[("agreed", "b1")]).await.status, 403);
    app.login_as(BOTKYRKA).await;
    settle(&app, &number, "Överens: b1 rättas, b2 står kvar.").await;

    app.login_as(HSF).await;
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("Tillämpa rättelserna"));
    let nothing = app.act(&number, "corrections", &[]).await;
    assert_eq!(nothing.status, 422);
    assert!(nothing.body.contains("Markera de invändningar"));
    let applied = app.act(&number, "corrections", &[("agreed", "b1")]).await;
    assert_eq!(applied.status, 303, "{}", applied.body);
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("version 2 av beräkningen för 2022-03"), "{}", page.body);
    assert!(page.body.contains("Rättat") && page.body.contains("Inte rättat"));
    assert!(page.body.contains("Rättelser tillämpade"));
    assert_eq!(app.act(&number, "corrections", &[("agreed", "b2")]).await.status, 403, "corrections are applied once");

    // Version 2: b1 D = 4, b2 D = 1 → A = 2.50, B = (2.50 − 1.30) × 2 = 2.40 → 22 320 kr.
    let diff = app.get("/betalning/2022-03/versioner/2").await;
    assert_eq!(diff.status, 200, "{}", diff.body);
    assert!(diff.body.contains("Rättelse efter betalningstvist"));
    let botkyrka = diff.body.split("<td>Botkyrka</td>").nth(1).expect("Botkyrka's row").split("</tr>").next().unwrap().to_owned();
    assert!(botkyrka.contains(&sv(">31 620 kr<")) && botkyrka.contains(&sv(">22 320 kr<")) && botkyrka.contains(&sv(">-9 300 kr<")), "{botkyrka}");
    let huddinge = diff.body.split("<td>Huddinge</td>").nth(1).unwrap().split("</tr>").next().unwrap().to_owned();
    assert!(huddinge.contains(&sv(">25 110 kr<")) && huddinge.contains(&sv(">0 kr<")), "other units are unchanged: {huddinge}");
    let b1 = diff.body.split("<th scope=\"row\">b1</th>").nth(1).expect("b1 changed").split("</tr>").next().unwrap().to_owned();
    assert!(b1.contains("2022-03-10</td><td>5</td>") && b1.contains("2022-03-11</td><td>4</td>"), "{b1}");
    assert!(!diff.body.contains("<th scope=\"row\">b2</th>"), "b2 was not agreed");
    let overview = app.get("/betalning?manad=2022-03").await;
    assert!(overview.body.contains("Version 2 av beräkningen") && overview.body.contains(&sv("22 320 kr")));
    assert!(!overview.body.contains("Fakturerat underlag"), "not invoiced yet");

    // The invoice date passes: version 1 is the invoice basis; version 2 is credited.
    invoice_yesterday(&app, "2022-03");
    let overview = app.get("/betalning?manad=2022-03").await;
    assert!(overview.body.contains("Fakturerat underlag: version 1"), "{}", overview.body);
    assert!(overview.body.contains(&sv("Att kreditera 9 300 kr")));
    let against = app.get("/betalning/2022-03/versioner/2?mot=1").await;
    assert!(against.body.contains("det fakturerade underlaget"));
    assert!(against.body.contains(&sv("Att kreditera 9 300 kr")));
    let versions = app.get("/betalning/2022-03/versioner").await;
    assert!(versions.body.contains("1 (fakturerad)"));
    // The invoiced version itself is still there as it was invoiced.
    let invoiced_unit = app.get("/betalning/2022-03/enhet?version=1&kommun=0127&modell=average").await;
    assert!(invoiced_unit.body.contains(&sv("<strong>31 620 kr</strong>")), "{}", invoiced_unit.body);

    // Huddinge sees its own (unchanged) units only: nothing to credit.
    app.login_as(HUDDINGE).await;
    let own = app.get("/betalning/2022-03/versioner/2?mot=1").await;
    assert!(!own.body.contains("Botkyrka") && !own.body.contains("<th scope=\"row\">b1</th>"), "{}", own.body);
    // Nor the dispute behind version 2: its case number and who applied it are Botkyrka's and HSF's.
    assert!(!own.body.contains(&number) && !own.body.contains("Maria Sund"), "{}", own.body);
    let list = app.get("/betalning/2022-03/versioner").await.body;
    assert!(!list.contains(&number) && list.contains("<td>Rättelse efter betalningstvist</td>\n    <td>–</td>"), "{list}");
    assert!(app.get("/betalning?manad=2022-03").await.body.contains("Fakturerat underlag: version 1"));
    assert!(!app.get("/betalning?manad=2022-03").await.body.contains("Att kreditera"));

    // Stored versions cannot be changed, even from the database.
    use diesel::prelude::*;
    let mut conn = app.db();
    let refused = tvistetrappa::db_run!(conn, |c| diesel::sql_query("UPDATE calculation_units SET amount_sek = 0").execute(c));
    assert!(refused.is_err(), "calculation versions are append-only");
}

#[actix_web::test]
async fn a_correction_to_october_2020_moves_the_threshold_of_the_later_months() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    // October 2020, D = 1, 2, 2, 3, 1, 2, 2, 2 → 15/8 = 1.875 → threshold 1.88; December:
    // D = 2, 3 → A = 2.50; B = (2.50 − 1.88) × 2 = 1.24 → 1.24 × 8 200 = 10 168 kr.
    let mut file = String::from("episode_id,municipality_code,care_type,admission_notice_at,ready_notice_at,discharged_at\n");
    for (i, days) in [1, 2, 2, 3, 1, 2, 2, 2].iter().enumerate() {
        file.push_str(&format!("o{i},0127,somatic,2020-10-01 08:00,2020-10-10 09:00,2020-10-{:02} 10:00\n", 10 + days));
    }
    file.push_str("d1,0127,somatic,2020-12-01 08:00,2020-12-08 09:00,2020-12-10 10:00\n");
    file.push_str("d2,0127,somatic,2020-12-01 08:00,2020-12-08 09:00,2020-12-11 10:00\n");
    assert_eq!(import(&app, &file).await.status, 303);

    app.login_as(BOTKYRKA).await;
    let fields = [
        ("kind", "payment_dispute"),
        ("title", "Oktober 2020"),
        ("filed_by_org", "kommun-0127"),
        ("counterpart", "hsf"),
        ("payment_month", "2020-10"),
        ("billing_unit_id", "kommun-0127"),
        ("amount_sek", "1000"),
        ("occurred_from", "2020-10-31"),
        ("description", "o3 avböjde."),
        ("calc_month", "2020-10"),
        ("calc_unit", "kommun-0127"),
    ];
    let filed = app.submit("/arenden/nytt?typ=payment_dispute", "/arenden/nytt", &fields).await;
    assert_eq!(filed.status, 303, "{}", filed.body);
    let number = filed.location().trim_start_matches("/arenden/").split('?').next().unwrap().to_owned();
    assert_eq!(app.act(&number, "contest", &[("episode_id", "o3"), ("reason", "patient_declined")]).await.status, 303);
    settle(&app, &number, "Överens.").await;
    app.login_as(HSF).await;
    assert_eq!(app.act(&number, "corrections", &[("agreed", "o3")]).await.status, 303);

    // Without o3: 12/7 = 1.714… → 1.71; December B = (2.50 − 1.71) × 2 = 1.58 → 12 956 kr.
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(
        page.body.contains("version 2 av beräkningen för 2020-10") && page.body.contains("version 2 av beräkningen för 2020-12"),
        "{}",
        page.body
    );
    let december = app.get("/betalning/2020-12/versioner/2").await;
    let botkyrka = december.body.split("<td>Botkyrka</td>").nth(1).unwrap().split("</tr>").next().unwrap().to_owned();
    assert!(botkyrka.contains(&sv(">10 168 kr<")) && botkyrka.contains(&sv(">12 956 kr<")), "{botkyrka}");
    assert!(app.get("/betalning/2020-12/enhet?kommun=0127&modell=average").await.body.contains("T för 2020-12 = 1,71"));
}

#[actix_web::test]
async fn a_settings_change_that_moves_an_amount_makes_a_new_version() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    assert_eq!(import(&app, FILE).await.status, 303);
    app.login_as(ADMIN).await;
    let saved =
        app.submit("/admin/betalning", "/admin/betalning/dagbelopp", &[("year", "2022"), ("amount", "9400"), ("source", "Rättat dagbelopp")]).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let versions = app.get("/betalning/2022-03/versioner").await;
    assert!(versions.body.contains("Ändrade inställningar"), "{}", versions.body);
    // Botkyrka: B = 3.40 → 3.40 × 9 400 = 31 960 kr (was 31 620 kr).
    let diff = app.get("/betalning/2022-03/versioner/2").await;
    let botkyrka = diff.body.split("<td>Botkyrka</td>").nth(1).unwrap().split("</tr>").next().unwrap().to_owned();
    assert!(botkyrka.contains(&sv(">31 620 kr<")) && botkyrka.contains(&sv(">31 960 kr<")) && botkyrka.contains(&sv(">340 kr<")), "{botkyrka}");
    assert!(diff.body.contains("Inga vårdtillfällen ändrades"));
    // The same amount again changes no figure: no new version.
    let again =
        app.submit("/admin/betalning", "/admin/betalning/dagbelopp", &[("year", "2022"), ("amount", "9400"), ("source", "Samma belopp")]).await;
    assert_eq!(again.status, 303);
    assert_eq!(app.get("/betalning/2022-03/versioner/3").await.status, 404);
}

#[actix_web::test]
async fn the_review_window_runs_until_the_invoice_date_and_pages_say_when_figures_are_statistics() {
    use diesel::prelude::*;
    use tvistetrappa::db::schema::review_bases;
    let app = spawn_app().await;
    app.login_as(HSF).await;
    assert_eq!(import(&app, FILE).await.status, 303);
    // Before activation the review and report pages say the figures are statistics.
    assert!(app.get("/granskning").await.body.contains("Endast statistik"));
    assert!(app.get("/rapporter/betalning?fran=2022-01&till=2022-12").await.body.contains("Endast statistik"));
    app.activate_payment_responsibility("2022-01-01");
    assert!(!app.get("/granskning").await.body.contains("Endast statistik"));
    assert!(!app.get("/rapporter/betalning?fran=2022-01&till=2022-12").await.body.contains("Endast statistik"));
    let invoice = (tvistetrappa::store::today() + chrono::Days::new(21)).to_string();
    let published = app.submit("/betalning?manad=2022-03", "/betalning/publicera", &[("month", "2022-03"), ("invoice_date", &invoice)]).await;
    assert_eq!(published.status, 303, "exactly three weeks is enough: {}", published.body);

    let set_invoice_date = |days: i64| {
        let mut conn = app.db();
        let date = tvistetrappa::store::today() + chrono::Duration::days(days);
        tvistetrappa::db_run!(conn, |c| diesel::update(review_bases::table).set(review_bases::invoice_date.eq(date)).execute(c)).unwrap();
    };
    app.login_as(BOTKYRKA).await;
    // On the invoice date the window has closed: the version is the invoice basis.
    set_invoice_date(0);
    let page = app.get("/granskning").await;
    assert!(page.body.contains("Granskningstiden har gått ut") && !page.body.contains("Godkänn</button>"));
    let basis: String = {
        let mut conn = app.db();
        tvistetrappa::db_run!(conn, |c| review_bases::table.select(review_bases::id).first(c)).unwrap()
    };
    let token = page.csrf();
    let late = app
        .post_raw(
            &format!("/granskning/{basis}/svar"),
            &[("csrf", &token), ("organisation_id", "kommun-0127"), ("row_key", "average"), ("response", "accepted")],
        )
        .await;
    assert_eq!(late.status, 409);
    // The day before, it is the last day to answer.
    set_invoice_date(1);
    let page = app.get("/granskning").await;
    assert!(page.body.contains(&format!("<td>{}</td>", tvistetrappa::store::today())), "today is the last day");
    let answered = app
        .post_raw(
            &format!("/granskning/{basis}/svar"),
            &[("csrf", &token), ("organisation_id", "kommun-0127"), ("row_key", "average"), ("response", "accepted")],
        )
        .await;
    assert_eq!(answered.status, 303);
}

#[actix_web::test]
async fn readmissions_among_people_65_and_over_are_followed_up_and_stockholm_shows_as_a_whole() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    // March reports age and readmission; April's file has no such columns.
    let march = "episode_id,municipality_code,district,care_type,admission_notice_at,ready_notice_at,discharged_at,aged_65_or_over,unplanned_readmission_within_7_days\n\
                 m1,0127,,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-12 10:00,ja,ja\n\
                 m2,0127,,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-12 10:00,ja,nej\n\
                 m3,0127,,somatic,,2022-03-10 09:00,2022-03-12 10:00,true,true\n\
                 m4,0127,,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-12 10:00,nej,ja\n\
                 s1,0180,Södermalm,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-13 10:00,ja,\n\
                 s2,0180,Bromma,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-13 10:00,ja,ja\n";
    assert_eq!(import(&app, march).await.status, 303);
    let april = "episode_id,municipality_code,care_type,admission_notice_at,ready_notice_at,discharged_at\n\
                 a1,0127,somatic,2022-04-01 08:00,2022-04-10 09:00,2022-04-12 10:00\n";
    assert_eq!(import(&app, april).await.status, 303);

    let report = app.get("/rapporter/betalning?fran=2022-03&till=2022-04").await;
    assert_eq!(report.status, 200);
    assert!(report.body.contains("Stockholm, hela staden"), "the city total beside its districts");
    assert!(report.body.contains("id=\"aterinskrivning-titel\""), "a chart of the share");
    let csv = String::from_utf8(app.get_bytes("/rapporter/betalning.csv?fran=2022-03&till=2022-04&tabell=uppfoljning").await).unwrap();
    let line = |prefix: &str| csv.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix} in {csv}")).to_owned();
    // Botkyrka: m1, m2 and m3 are 65+ (m3 counts though excluded), m1 and m3 were readmitted: 2 of 3;
    // m1, m2, m4 are included with D = 2: A = 2.00, B = 0.70 × 3 = 2.10 → 19 530 kr.
    assert_eq!(line("2022-03;Botkyrka;"), "2022-03;Botkyrka;4;3;6;19530;3;2;66,7 %");
    assert_eq!(line("2022-03;Stockholm, Bromma;"), "2022-03;Stockholm, Bromma;1;1;3;15810;1;1;100,0 %");
    assert_eq!(line("2022-03;Stockholm, hela staden;"), "2022-03;Stockholm, hela staden;2;2;6;31620;2;1;50,0 %");
    assert_eq!(line("2022-04;Botkyrka;"), "2022-04;Botkyrka;1;1;2;6510;inte rapporterat;inte rapporterat;inte rapporterat", "never 0 %");

    let unit = app.get("/betalning/2022-03/enhet?kommun=0127&modell=average").await;
    assert!(unit.body.contains("<strong>2 av 3</strong> (66,7 %)"), "{}", unit.body);
    let unit = app.get("/betalning/2022-04/enhet?kommun=0127&modell=average").await;
    assert!(unit.body.contains("<strong>inte rapporterat</strong>"));
}

#[actix_web::test]
async fn an_agreed_claim_of_another_reason_keeps_that_reason_after_the_correction() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    assert_eq!(import(&app, FILE).await.status, 303);
    app.login_as(BOTKYRKA).await;
    let form = "/arenden/nytt?typ=payment_dispute&manad=2022-03&version=1&enhet=kommun-0127";
    let number = file_dispute(&app, form, "kommun-0127", "31620").await;
    assert_eq!(app.act(&number, "contest", &[("episode_id", "b2"), ("reason", "other")]).await.status, 303);
    settle(&app, &number, "Överens: b2 ingår inte.").await;
    app.login_as(HSF).await;
    let applied = app.act(&number, "corrections", &[("agreed", "b2")]).await;
    assert_eq!(applied.status, 303, "{}", applied.body);
    let unit = app.get("/betalning/2022-03/enhet?kommun=0127&modell=average").await;
    assert!(unit.body.contains("Annat: ingår inte enligt överenskommen rättelse"), "{}", unit.body);
    assert!(!unit.body.contains("Inskrivningsmeddelande skickades inte"));
}

#[actix_web::test]
async fn each_row_of_a_review_basis_is_answered_on_its_own_with_the_invoicing_party_as_counterpart() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    // June 2020: Botkyrka's average-model row and two care providers' rows under the
    // psychiatric transitional rule (SLSO is registered, the other is not).
    let file = "episode_id,municipality_code,care_type,care_provider,admission_notice_at,ready_notice_at,discharged_at\n\
                s1,0127,somatic,,2020-06-01 08:00,2020-06-10 09:00,2020-06-14 10:00\n\
                p1,0127,psychiatric,SLSO,2020-06-01 08:00,2020-06-10 09:00,2020-06-20 10:00\n\
                p2,0127,psychiatric,Privat psykiatri AB,2020-06-01 08:00,2020-06-10 09:00,2020-06-19 10:00\n";
    assert_eq!(import(&app, file).await.status, 303);
    app.activate_payment_responsibility("2020-01-01");
    let invoice = (tvistetrappa::store::today() + chrono::Days::new(30)).to_string();
    let published = app.submit("/betalning?manad=2020-06", "/betalning/publicera", &[("month", "2020-06"), ("invoice_date", &invoice)]).await;
    assert_eq!(published.status, 303, "{}", published.body);

    app.login_as(BOTKYRKA).await;
    let page = app.get("/granskning").await;
    assert_eq!(page.body.matches("Godkänn</button>").count(), 3, "three rows, each with its own answer");
    let basis = page.body.split("/granskning/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let token = page.csrf();
    let answer = |row: &'static str, response: &'static str| {
        let (app, basis, token) = (&app, basis.clone(), token.clone());
        async move {
            app.post_raw(
                &format!("/granskning/{basis}/svar"),
                &[("csrf", &token), ("organisation_id", "kommun-0127"), ("row_key", row), ("response", response)],
            )
            .await
        }
    };
    assert_eq!(answer("average", "accepted").await.status, 303);
    let after = app.get("/granskning").await;
    assert_eq!(after.body.matches("Väntar på granskning").count(), 2, "accepting one row leaves the others open");
    assert_eq!(answer("average", "disputed").await.status, 409);

    let slso = answer("individual:SLSO", "disputed").await;
    assert_eq!(slso.status, 303);
    assert!(slso.location().contains("motpart=vg-slso"), "{}", slso.location());
    let form = app.get(&slso.location()).await;
    assert!(form.body.contains("value=\"vg-slso\" type=\"checkbox\" checked"), "the care provider invoices its row, not HSF");
    assert!(!form.body.contains("value=\"hsf\" type=\"checkbox\" checked"));
    // The dispute is about SLSO's row: p1, D = 10, billable 5 days × 8 200 kr = 41 000 kr.
    let fields = [
        ("kind", "payment_dispute"),
        ("title", "Granskningsunderlag 2020-06, SLSO"),
        ("filed_by_org", "kommun-0127"),
        ("counterpart", "vg-slso"),
        ("payment_month", "2020-06"),
        ("billing_unit_id", "kommun-0127"),
        ("amount_sek", "41000"),
        ("occurred_from", "2020-06-30"),
        ("description", "p1 skrevs ut tidigare."),
        ("calc_month", "2020-06"),
        ("calc_unit", "kommun-0127"),
        ("calc_row", "individual:SLSO"),
    ];
    let filed = app.submit(&slso.location(), "/arenden/nytt", &fields).await;
    assert_eq!(filed.status, 303, "{}", filed.body);
    let case = app.get(&filed.location()).await;
    assert!(case.body.contains(&sv("Belopp enligt underlaget</dt><dd>41 000 kr")), "{}", case.body);
    assert!(case.body.contains("p1") && !case.body.contains("value=\"s1\""), "only the row's episodes are contested");

    let unknown = answer("individual:Privat psykiatri AB", "disputed").await;
    assert_eq!(unknown.status, 303);
    let form = app.get(&unknown.location()).await;
    assert!(!form.body.contains("value=\"hsf\" type=\"checkbox\" checked"), "an unregistered care provider: the filer chooses");
    assert_eq!(answer("individual:Finns inte", "accepted").await.status, 404);
}

#[actix_web::test]
async fn two_officers_applying_the_same_corrections_at_once_make_one_new_version() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    assert_eq!(import(&app, FILE).await.status, 303);
    app.login_as(BOTKYRKA).await;
    let number = file_dispute(&app, "/arenden/nytt?typ=payment_dispute&manad=2022-03&version=1&enhet=kommun-0127", "kommun-0127", "31620").await;
    assert_eq!(app.act(&number, "contest", &[("episode_id", "b2"), ("reason", "patient_declined")]).await.status, 303);
    settle(&app, &number, "Överens.").await;
    app.login_as(HSF).await;
    let (first, first_token) = (app.session(), app.csrf().await);
    app.login_as(HSF).await;
    let (second, second_token) = (app.session(), app.csrf().await);
    let version = crate::helpers::case_version(&app.get(&format!("/arenden/{number}")).await.body);
    let body = |token: &str| format!("csrf={token}&version={version}&action=corrections&agreed=b2");
    let statuses = at_once(&app.address, (&first, body(&first_token)), (&second, body(&second_token)), &format!("/arenden/{number}/atgard"));
    assert_eq!(statuses[0], 303, "{statuses:?}");
    assert!(matches!(statuses[1], 403 | 409), "the second is refused, not an error: {statuses:?}");
    let mut conn = app.db();
    let march = tvistetrappa::domain::payment::Month { year: 2022, month: 3 };
    assert_eq!(tvistetrappa::store::calculations::versions(&mut conn, march).unwrap().len(), 2, "the corrections are applied once");
}

#[actix_web::test]
async fn bad_values_in_episode_fields_and_empty_files_are_refused_with_line_and_column() {
    let app = spawn_app().await;
    app.login_as(HSF).await;
    let nul = "episode_id,municipality_code,care_type,care_provider,discharged_at\nx\u{0}1,0127,somatic,,2022-03-10 10:00\n";
    let refused = import(&app, nul).await;
    assert_eq!(refused.status, 422, "not a 500 on PostgreSQL: {}", refused.body);
    assert!(refused.body.contains("contains a control character"), "{}", refused.body);
    let huge =
        format!("episode_id,municipality_code,care_type,care_provider,discharged_at\nx1,0127,psychiatric,{},2022-03-10 10:00\n", "V".repeat(100_000));
    let refused = import(&app, &huge).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("longer than 200 characters") && refused.body.len() < 60_000, "the value is not echoed");
    let header_only = import(&app, "episode_id,municipality_code,care_type,discharged_at\n").await;
    assert_eq!(header_only.status, 422);
    assert!(header_only.body.contains("no episodes after its header"));
    let mut conn = app.db();
    assert!(tvistetrappa::store::episodes::imports(&mut conn).unwrap().is_empty(), "nothing was written");
}
