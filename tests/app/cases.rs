use crate::helpers::*;
use diesel::prelude::*;
use tvistetrappa::db::schema::{case_events, cases};
use tvistetrappa::db_run;

/// The case row's version and event count: what a refused action must leave alone.
fn fingerprint(app: &TestApp, number: &str) -> (i32, i64) {
    let mut conn = app.db();
    let (id, version): (String, i32) =
        db_run!(conn, |c| cases::table.filter(cases::number.eq(number)).select((cases::id, cases::version)).first(c)).unwrap();
    let events: i64 = db_run!(conn, |c| case_events::table.filter(case_events::case_id.eq(&id)).count().get_result(c)).unwrap();
    (version, events)
}

#[actix_web::test]
async fn a_deviation_walks_all_four_levels_to_a_vis_decision() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("SIP kallades inte i tid", "SIP kallades sju dagar efter utskrivningsklar.")).await;
    assert!(number.starts_with("AV-") && number.ends_with("-0001"), "{number}");
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("Lokal nivå"));
    assert!(page.body.contains("motparten"));

    app.login_as(SOS).await;
    assert!(app.get("/").await.body.contains(&number), "the counterpart sees what awaits it");
    ok(&app.act(&number, "answer", &[("text", "Vi kallade så snart vi kunde.")]).await);

    app.login_as(BOTKYRKA).await;
    ok(&app.act(&number, "escalate", &[("text", "Vi är inte överens.")]).await);
    assert!(app.get(&format!("/arenden/{number}")).await.body.contains("Väntar på</dt><dd>Storsthlm och HSF"));
    app.assert_listed_copies_in_step();

    app.login_as(STORSTHLM).await;
    assert!(app.get("/").await.body.contains(&number));
    ok(&app.act(&number, "assess", &[("text", "Storsthlm: kommunen har rätt.")]).await);
    app.login_as(HSF).await;
    ok(&app.act(&number, "assess", &[("text", "HSF: rutinen behöver ses över.")]).await);
    ok(&app.act(&number, "propose", &[("text", "Gemensam genomgång av SIP-rutinen.")]).await);

    app.login_as(BOTKYRKA).await;
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("Gemensam genomgång av SIP-rutinen."));
    ok(&app.act(&number, "reject", &[("text", "Räcker inte.")]).await);

    // Lifting to the steering group takes both: Storsthlm asks, HSF confirms.
    app.login_as(STORSTHLM).await;
    ok(&app.act(&number, "escalate", &[("text", "Strukturell brist.")]).await);
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("Nivå</dt><dd>Storsthlm och HSF") && page.body.contains("HSF behöver bekräfta"));
    app.login_as(HSF).await;
    ok(&app.act(&number, "escalate", &[("text", "HSF instämmer.")]).await);
    app.login_as(STEERING).await;
    assert!(app.get("/").await.body.contains(&number));
    ok(&app.act(&number, "escalate", &[("text", "Tolkningsfråga för VIS.")]).await);
    app.assert_listed_copies_in_step();
    app.login_as(VIS).await;
    assert!(app.get("/").await.body.contains(&number));
    ok(&app
        .act(
            &number,
            "decide",
            &[
                ("outcome", "upheld"),
                ("decided_on", "2026-11-20"),
                ("reference", "VIS 2026-11-20 § 7"),
                ("text", "Regionen ska kalla till SIP inom tre dagar."),
            ],
        )
        .await);

    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("Avslutat"));
    assert!(page.body.contains("VIS 2026-11-20 § 7"));
    assert!(page.body.contains("Bifallen"));
    for step in ["Lokal nivå → Storsthlm och HSF", "Storsthlm och HSF → Styrgruppen", "Styrgruppen → VIS"] {
        assert!(page.body.contains(step), "{step}");
    }
    for label in [
        "Ärendet anmäldes",
        "Motparten svarade",
        "Bedömning",
        "Förslag till lösning",
        "Förslaget avvisades",
        "Begäran om att lyfta",
        "Beslut registrerat",
    ] {
        assert!(page.body.contains(label), "{label}");
    }
    // The filer's list shows it closed at VIS: unfiltered from the copies on its party rows,
    // filtered by status through the case.
    app.assert_listed_copies_in_step();
    app.login_as(BOTKYRKA).await;
    let row = |body: &str| body.split("<tr").find(|row| row.contains(&format!("/arenden/{number}\""))).map(str::to_owned);
    for list in ["/arenden", "/arenden?status=closed"] {
        let shown = row(&app.get(list).await.body).unwrap_or_else(|| panic!("{list} lists {number}"));
        assert!(shown.contains("<td>VIS</td><td>Avslutat</td>"), "{list}: {shown}");
    }
    // So does a county-wide search, on SQLite from the copies on the text index's rows.
    app.login_as(VIS).await;
    let shown = row(&app.get("/arenden?q=kallades+inte").await.body).expect("the search finds it");
    assert!(shown.contains("<td>VIS</td><td>Avslutat</td>"), "{shown}");
    // Immutable: the decision stands; a correction is a new one that points at it.
    ok(&app
        .act(
            &number,
            "correct_decision",
            &[
                ("corrects", &decision_id(&page.body)),
                ("outcome", "partly_upheld"),
                ("decided_on", "2026-11-21"),
                ("reference", "VIS 2026-11-21 § 2"),
                ("text", "Rättelse: delvis bifall."),
            ],
        )
        .await);
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("Bifallen") && page.body.contains("Delvis bifallen"));
    assert!(page.body.contains("rättar"));
}

fn decision_id(body: &str) -> String {
    let start = body.find("id=\"beslut-").expect("a decision") + "id=\"beslut-".len();
    body[start..].split('"').next().unwrap().to_owned()
}

#[actix_web::test]
async fn a_principled_deviation_starts_at_level_two() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let mut fields = deviation("Helgutskrivningar fungerar inte", "Gäller hela länet.");
    fields.push(("principled", "1"));
    let number = app.file_case("deviation", &fields).await;
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("Nivå</dt><dd>Storsthlm och HSF"));
    assert!(page.body.contains("Principiell"));
    app.login_as(HSF).await;
    assert!(app.get("/").await.body.contains(&number));
}

#[actix_web::test]
async fn an_interpretation_question_goes_to_vis_and_enters_the_register() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("interpretation", &principled_question("Vad betyder fast vårdkontakt?", "Parterna läser 4.3 olika.")).await;
    assert!(number.starts_with("TF-"), "{number}");
    app.login_as(STORSTHLM).await;
    ok(&app.act(&number, "escalate", &[("text", "Behöver styrgruppen.")]).await);
    app.login_as(HSF).await;
    ok(&app.act(&number, "escalate", &[("text", "Instämmer.")]).await);
    app.login_as(STEERING).await;
    ok(&app.act(&number, "escalate", &[("text", "VIS har tolkningsföreträde.")]).await);
    app.login_as(VIS).await;
    ok(&app
        .act(
            &number,
            "decide",
            &[
                ("outcome", "resolved"),
                ("decided_on", "2026-11-20"),
                ("reference", "VIS 2026-11-20 § 3"),
                ("text", "Den fasta vårdkontakten utses av öppenvården senast vid utskrivningen."),
                ("register", "on"),
                ("question", "Vem utser den fasta vårdkontakten, och när?"),
                ("concerns", "process.outpatient-contact"),
            ],
        )
        .await);
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("Avslutat") && page.body.contains("Införd i tolkningsregistret"));

    // The register: everyone reads it; the case is linked only for those who may see it.
    app.login_as(SOS).await;
    let register = app.get("/tolkningar?q=V%C3%85RDKONTAKTEN").await;
    assert!(register.body.contains("Vem utser den fasta vårdkontakten"), "{}", register.body);
    assert!(register.body.contains("VIS 2026-11-20 § 3") && register.body.contains("-0001"));
    assert!(!register.body.contains(&format!("/arenden/{number}")), "SÖS is no party to the case");
    assert!(app.get("/tolkningar?q=helgutskrivning").await.body.contains("Inga tolkningar matchar"));
    let csv = app.get("/tolkningar.csv?atagande=process.outpatient-contact").await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.contains("Vem utser den fasta vårdkontakten") && !csv.body.contains(&number));
    app.login_as(BOTKYRKA).await;
    assert!(app.get("/tolkningar").await.body.contains(&format!("/arenden/{number}")));
    // Offered as precedent to whoever files against the same commitment.
    let form = app.get("/arenden/nytt?typ=deviation&atagande=process.outpatient-contact").await;
    assert!(form.body.contains("VIS har tolkat det här åtagandet") && form.body.contains("Vem utser den fasta vårdkontakten"));
    assert!(app.get("/ataganden").await.body.contains("-0001</a>"));
    // And on the page of a case about it; not on one about a commitment VIS has not interpreted.
    let mut about_it = deviation("Ingen fast vårdkontakt utsedd", "Ingen vårdkontakt vid utskrivningen.");
    about_it.retain(|(key, _)| *key != "commitment_id");
    about_it.push(("commitment_id", "process.outpatient-contact"));
    let about_it = app.get(&format!("/arenden/{}", app.file_case("deviation", &about_it).await)).await;
    assert!(about_it.body.contains("VIS har tolkat åtagandet") && about_it.body.contains("Vem utser den fasta vårdkontakten"), "{}", about_it.body);
    let other = app.get(&format!("/arenden/{}", app.file_case("deviation", &deviation("SIP kallades inte", "Text.")).await)).await;
    assert!(other.status == 200 && !other.body.contains("VIS har tolkat åtagandet"), "{}", other.body);
    // VIS's decision is final: no party reopens it.
    let reopen = app.act(&number, "reopen", &[("text", "Vi håller inte med.")]).await;
    assert_eq!(reopen.status, 409);
    assert!(reopen.body.contains("slutligt"));
}

#[actix_web::test]
async fn a_payment_dispute_is_referred_to_a_general_court_and_gets_its_judgment() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number =
        app.file_case("payment_dispute", &payment_dispute("Faktura september", "Fel betalningsansvarig kommun för tre vårdtillfällen.")).await;
    assert!(number.starts_with("BT-"));
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("Närmaste chefer"));
    assert!(page.body.contains(&sv("186 000 kr")));
    app.login_as(HSF).await;
    ok(&app.act(&number, "answer", &[("text", "Underlaget visar Botkyrka.")]).await);
    app.login_as(BOTKYRKA).await;
    // No side decides alone at the nearest managers' level.
    let decide = [("outcome", "upheld"), ("decided_on", "2026-11-20"), ("reference", "x"), ("text", "Vi bestämmer.")];
    assert_eq!(app.act(&number, "decide", &decide).await.status, 403);
    ok(&app.act(&number, "escalate", &[("text", "Till direktörsnivå.")]).await);
    // At director level only a director acts.
    let refused = app.act(&number, "refer_to_court", &[("reference", "Södertörns tingsrätt"), ("text", "Domstol.")]).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("direktörsbehörighet"));
    app.login_as(BOTKYRKA_DIRECTOR).await;
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("Karl Strand (Botkyrka kommun)"), "the directors are shown on the case");
    let escalate_again = app.act(&number, "escalate", &[("text", "Igen")]).await;
    assert_eq!(escalate_again.status, 409);
    assert!(escalate_again.body.contains("allmän domstol"));
    ok(&app
        .act(&number, "refer_to_court", &[("reference", "Södertörns tingsrätt T 1234-26"), ("text", "Ingen överenskommelse på direktörsnivå.")])
        .await);
    app.login_as(BOTKYRKA).await;
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("Hänskjuten till allmän domstol"));
    assert!(page.body.contains("Väntar på</dt><dd>allmän domstol"));
    ok(&app
        .act(
            &number,
            "decide",
            &[
                ("outcome", "partly_upheld"),
                ("decided_on", "2026-11-20"),
                ("reference", "Södertörns tingsrätt T 1234-26"),
                ("text", "Domen: Botkyrka betalar hälften."),
            ],
        )
        .await);
    assert!(app.get(&format!("/arenden/{number}")).await.body.contains("Södertörns tingsrätt T 1234-26"));
    // A judgment ends the case.
    assert_eq!(app.act(&number, "reopen", &[("text", "Vi överklagar.")]).await.status, 409);
}

#[actix_web::test]
async fn refused_actions_answer_403_or_409_and_change_nothing() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Inskrivningsmeddelande saknades", "Inget meddelande kom.")).await;
    let before = fingerprint(&app, &number);

    // Wrong party: the filer cannot answer for the counterpart.
    let response = app.act(&number, "answer", &[("text", "Svar")]).await;
    assert_eq!(response.status, 403);
    assert!(response.body.contains("Bara motparten"));
    // Wrong level: only a payment dispute at director level goes to court.
    let response = app.act(&number, "refer_to_court", &[("text", "Domstol")]).await;
    assert_eq!(response.status, 409);
    // Wrong role: the steering group has nothing to do at the local level.
    app.login_as(STEERING).await;
    let response = app.act(&number, "escalate", &[("text", "Lyft")]).await;
    assert_eq!(response.status, 403);
    let response = app.act(&number, "decide", &[("outcome", "upheld"), ("decided_on", "2026-11-20"), ("reference", "x"), ("text", "x")]).await;
    assert_eq!(response.status, 403);
    // No proposal to accept.
    app.login_as(SOS).await;
    assert_eq!(app.act(&number, "accept", &[]).await.status, 409);
    // The counterpart neither decides nor closes; nor lifts before the local level had its chance.
    let response = app.act(&number, "decide", &[("outcome", "upheld"), ("decided_on", "2026-11-20"), ("reference", "x"), ("text", "x")]).await;
    assert_eq!(response.status, 403);
    assert!(response.body.contains("Ingen part beslutar ensam"));
    assert_eq!(app.act(&number, "withdraw", &[("text", "x")]).await.status, 403);
    assert_eq!(app.act(&number, "escalate", &[("text", "x")]).await.status, 409);
    // An unknown action and a missing reason.
    assert_eq!(app.act(&number, "delete", &[]).await.status, 400);
    let response = app.act(&number, "answer", &[("text", "  ")]).await;
    assert_eq!(response.status, 422);
    assert!(response.body.contains("Fyll i texten."));
    assert_eq!(fingerprint(&app, &number), before);

    // A closed case.
    app.login_as(BOTKYRKA).await;
    ok(&app.act(&number, "withdraw", &[("text", "Löst i samtal.")]).await);
    let closed = fingerprint(&app, &number);
    app.login_as(SOS).await;
    for action in ["answer", "escalate", "propose"] {
        let response = app.act(&number, action, &[("text", "x")]).await;
        assert_eq!(response.status, 409, "{action}");
        assert!(response.body.contains("Ärendet är avslutat"));
    }
    assert_eq!(fingerprint(&app, &number), closed);
    ok(&app.act(&number, "reopen", &[("text", "Det hände igen.")]).await);
    assert!(app.get(&format!("/arenden/{number}")).await.body.contains("Pågår"));
}

#[actix_web::test]
async fn two_simultaneous_escalations_let_exactly_one_through() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Samtidigt", "Två flikar.")).await;
    app.login_as(SOS).await;
    ok(&app.act(&number, "answer", &[("text", "Vi ser det annorlunda.")]).await);
    app.login_as(BOTKYRKA).await;
    let page = app.get(&format!("/arenden/{number}")).await;
    let version = case_version(&page.body);
    let token = page.csrf();
    let path = format!("/arenden/{number}/atgard");
    let first = [("csrf", token.as_str()), ("version", version.as_str()), ("action", "escalate"), ("text", "Flik ett")];
    let second = [("csrf", token.as_str()), ("version", version.as_str()), ("action", "escalate"), ("text", "Flik två")];
    let (a, b) = futures_util::future::join(app.post_raw(&path, &first), app.post_raw(&path, &second)).await;
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [303, 409], "exactly one escalation goes through");
    let (refused, own) = if a.status == 409 { (a, "Flik ett") } else { (b, "Flik två") };
    assert!(refused.body.contains("ändrades"));
    // Escalating is no longer offered at level 2, yet the loser's own text is given back.
    assert!(refused.body.contains(&format!("readonly>{own}</textarea>")), "the typed text is kept: {}", refused.body);
    let page = app.get(&format!("/arenden/{number}")).await;
    assert_eq!(page.body.matches("Lyftes till nästa nivå").count(), 1);
    assert!(page.body.contains("Nivå</dt><dd>Storsthlm och HSF"));
    app.assert_listed_copies_in_step();
}

#[actix_web::test]
async fn a_stale_form_gets_the_current_state_and_keeps_the_text() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Gammal flik", "Text.")).await;
    let page = app.get(&format!("/arenden/{number}")).await;
    let (stale, token) = (case_version(&page.body), page.csrf());
    ok(&app.act(&number, "comment", &[("text", "Under tiden")]).await);
    let response = app
        .post_raw(&format!("/arenden/{number}/atgard"), &[("csrf", &token), ("version", &stale), ("action", "escalate"), ("text", "Mitt långa skäl")])
        .await;
    assert_eq!(response.status, 409);
    assert!(response.body.contains("Ärendet ändrades av någon annan"));
    assert!(response.body.contains("Mitt långa skäl"));
    assert!(response.body.contains("Under tiden"), "the current state is shown");
}

#[actix_web::test]
async fn personal_identity_numbers_are_refused_in_every_free_text_field() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let numbers = ["811218-9876", "8112189876", "19811218-9876", "198112189876", "811218+9876", "701063-2391", "197010632391"];
    for field in ["title", "description", "consequences", "filer_registration"] {
        for pnr in numbers {
            let text = format!("Gäller patient {pnr} på avdelningen");
            let mut fields: Vec<(&str, &str)> = deviation("Rubrik", "Beskrivning").into_iter().filter(|(k, _)| *k != field).collect();
            fields.push((field, &text));
            fields.push(("kind", "deviation"));
            let response = app.submit("/arenden/nytt?typ=deviation", "/arenden/nytt", &fields).await;
            assert_eq!(response.status, 422, "{field} {pnr}");
            assert!(response.body.contains("personnummer eller samordningsnummer"), "{field} {pnr}");
        }
    }
    let list = app.get("/arenden").await;
    assert!(list.body.contains("Inga ärenden matchar."), "nothing was filed");

    // A wrong check digit is not an identity number: an invoice number passes.
    let number = app.file_case("deviation", &deviation("Faktura 8112189877", "Se underlag 19811218-9870.")).await;
    for pnr in numbers {
        let response = app.act(&number, "comment", &[("text", &format!("Patienten {pnr}"))]).await;
        assert_eq!(response.status, 422, "{pnr}");
        let response = app.act(&number, "propose", &[("text", &format!("Förslag {pnr}"))]).await;
        assert_eq!(response.status, 422, "{pnr}");
    }
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(!page.body.contains("811218-9876") && !page.body.contains("Förslag 8"));
}

#[actix_web::test]
async fn comments_reach_both_parties_and_internal_notes_stay_home() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Anteckningar", "Text.")).await;
    ok(&app.act(&number, "comment", &[("text", "Kan vi ses på torsdag?")]).await);
    ok(&app.act(&number, "note", &[("text", "Internt: chefen är informerad.")]).await);
    ok(&app.act(&number, "registration", &[("organisation_id", "kommun-0127"), ("text", "SN 2026/123")]).await);
    let own = app.get(&format!("/arenden/{number}")).await;
    assert!(own.body.contains("Internt: chefen är informerad."));
    assert!(own.body.contains("dnr SN 2026/123"));
    app.login_as(SOS).await;
    let other = app.get(&format!("/arenden/{number}")).await;
    assert!(other.body.contains("Kan vi ses på torsdag?"));
    assert!(!other.body.contains("Internt: chefen"));
    // A party sets only its own registration number.
    let response = app.act(&number, "registration", &[("organisation_id", "kommun-0127"), ("text", "X")]).await;
    assert_eq!(response.status, 403);
    app.login_as(STORSTHLM).await;
    assert!(!app.get(&format!("/arenden/{number}")).await.body.contains("Internt: chefen"));
}

#[actix_web::test]
async fn attachments_are_checked_like_the_case_and_served_as_downloads() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Bilagor", "Text.")).await;
    let response = app.upload(&number, "protokoll.pdf", b"%PDF-1.4\n%test\n").await;
    assert_eq!(response.status, 303, "{}", response.body);
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("protokoll.pdf"));
    let start = page.body.find(&format!("/arenden/{number}/bilagor/")).unwrap();
    let link = page.body[start..].split('"').next().unwrap().to_owned();

    app.login_as(SOS).await;
    let download = app.get(&link).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.headers.get("content-type").unwrap(), "application/pdf");
    assert!(download.headers.get("content-disposition").unwrap().to_str().unwrap().starts_with("attachment;"));
    assert!(download.body.starts_with("%PDF"));

    app.login_as(HUDDINGE).await;
    let refused = app.get(&link).await;
    assert_eq!(refused.status, 404);
    assert!(!refused.body.contains("%PDF"));

    app.login_as(BOTKYRKA).await;
    let html = app.upload(&number, "sida.html", b"<script>alert(1)</script>").await;
    assert_eq!(html.status, 422);
    assert!(html.body.contains("Filtypen tas inte emot"));
    let fake = app.upload(&number, "falsk.pdf", b"<html>").await;
    assert_eq!(fake.status, 422);
    let named = app.upload(&number, "patient 811218-9876.pdf", b"%PDF-1.4").await;
    assert_eq!(named.status, 422);
    let too_big = app.upload(&number, "stor.pdf", &[b'%'; 11 * 1024 * 1024]).await;
    assert_eq!(too_big.status, 413);
    let no_token = app.post_raw(&format!("/arenden/{number}/bilagor"), &[("version", "1")]).await;
    assert_eq!(no_token.status, 403);
    assert_eq!(app.get(&format!("/arenden/{number}")).await.body.matches("Bilaga tillagd").count(), 1);
}

#[actix_web::test]
async fn the_list_filters_searches_pages_and_keeps_the_filter_in_the_url() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let first = app.file_case("deviation", &deviation("Helgbemanning saknas", "Ingen personal på lördag.")).await;
    let second = app
        .file_case(
            "interpretation",
            &[
                ("title", "Tolkning av 12.2"),
                ("filed_by_org", "kommun-0127"),
                ("counterpart", "region"),
                ("occurred_from", "2026-11-01"),
                ("description", "Hur räknas dag noll?"),
            ],
        )
        .await;
    app.login_as(HUDDINGE).await;
    let huddinge = app
        .file_case(
            "deviation",
            &[
                ("title", "Huddinges eget"),
                ("filed_by_org", "kommun-0126"),
                ("counterpart", "enh-karolinska-huddinge-akutgeriatrik"),
                ("commitment_id", "process.ready-notice"),
                ("occurred_from", "2026-11-01"),
                ("description", "Meddelande efter 12."),
            ],
        )
        .await;
    assert!(!app.get("/arenden").await.body.contains(&first), "Huddinge does not see Botkyrka's cases");

    app.login_as(BOTKYRKA).await;
    let all = app.get("/arenden").await;
    assert!(all.body.contains(&first) && all.body.contains(&second) && !all.body.contains(&huddinge));
    let by_kind = app.get("/arenden?typ=interpretation").await;
    assert!(by_kind.body.contains(&second) && !by_kind.body.contains(&first));
    let by_text = app.get("/arenden?q=L%C3%96RDAG").await;
    assert!(by_text.body.contains(&first) && !by_text.body.contains(&second), "search ignores case, å ä ö included");
    let by_commitment = app.get("/arenden?atagande=process.sip-called").await;
    assert!(by_commitment.body.contains(&first) && !by_commitment.body.contains(&second));
    let by_level = app.get("/arenden?niva=review").await;
    assert!(by_level.body.contains("Inga ärenden matchar."));
    let by_org = app.get("/arenden?org=enh-sos-medicin-52").await;
    assert!(by_org.body.contains(&first) && !by_org.body.contains(&second));
    let sorted = app.get("/arenden?sortering=aldst").await;
    assert!(sorted.body.find(&first).unwrap() < sorted.body.find(&second).unwrap());
    let future = app.get("/arenden?fran=2099-01-01").await;
    assert!(future.body.contains("Inga ärenden matchar."));

    app.login_as(STORSTHLM).await;
    let county = app.get("/arenden?typ=deviation").await;
    assert!(county.body.contains(&first) && county.body.contains(&huddinge));
    assert!(county.body.contains("value=\"deviation\" selected"), "the filter stays in the form");
}

#[actix_web::test]
async fn pagination_keeps_the_filter() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    for i in 0..52 {
        app.file_case("deviation", &deviation(&format!("Ärende nummer {i}"), "Text.")).await;
    }
    let page_one = app.get("/arenden?typ=deviation").await;
    assert_eq!(page_one.body.matches("<tr>").count() + page_one.body.matches("<tr class").count(), 51, "50 rows and the header");
    assert!(page_one.body.contains("/arenden?typ=deviation&#38;sida=2"), "{}", page_one.body);
    let page_two = app.get("/arenden?typ=deviation&sida=2").await;
    assert!(page_two.body.contains("Ärende nummer 0") && page_two.body.contains("Ärende nummer 1<"));
    assert!(page_two.body.contains("Föregående sida"));
    assert!(!page_two.body.contains("Nästa sida"));
}

#[actix_web::test]
async fn overdue_cases_are_flagged_for_whoever_is_due() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Försenat svar", "Text.")).await;
    {
        let mut conn = app.db();
        let yesterday = tvistetrappa::store::today().pred_opt().unwrap();
        db_run!(conn, |c| diesel::update(cases::table.filter(cases::number.eq(&number))).set(cases::deadline_on.eq(yesterday)).execute(c)).unwrap();
    }
    // Written straight into the case, its copies follow.
    app.assert_listed_copies_in_step();
    let overdue = app.get("/arenden?forsenade=1").await;
    assert!(overdue.body.contains(&number));
    assert!(!app.get("/").await.body.contains(&number), "the filer is not the one due");
    app.login_as(SOS).await;
    let start = app.get("/").await;
    assert!(start.body.contains(&number));
    assert!(start.body.contains("1 ärende har passerat svarsfristen"));
    assert!(start.body.contains("1 dag försenat"));
}

#[actix_web::test]
async fn filing_needs_valid_fields_and_a_filing_role() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let response = app
        .submit(
            "/arenden/nytt?typ=deviation",
            "/arenden/nytt",
            &[("kind", "deviation"), ("title", ""), ("filed_by_org", "kommun-0126"), ("occurred_from", "2099-01-01"), ("description", "")],
        )
        .await;
    assert_eq!(response.status, 422);
    for message in [
        "Ange en rubrik.",
        "Beskriv vad som hänt.",
        "Välj din egen organisation",
        "Välj minst en motpart.",
        "Välj vilket åtagande",
        "Datumet kan inte ligga i framtiden.",
    ] {
        assert!(response.body.contains(message), "{message}");
    }
    let payment = app
        .submit(
            "/arenden/nytt?typ=payment_dispute",
            "/arenden/nytt",
            &[
                ("kind", "payment_dispute"),
                ("title", "X"),
                ("filed_by_org", "kommun-0127"),
                ("counterpart", "kommun-0127"),
                ("payment_month", "2026-13"),
                ("amount_sek", "mycket"),
                ("occurred_from", "2026-11-01"),
                ("description", "x"),
            ],
        )
        .await;
    for message in [
        "Din egen organisation kan inte vara motpart.",
        "Ange månaden som ÅÅÅÅ-MM",
        "Ange beloppet i hela kronor",
        "Välj en kommun eller ett stadsdelsområde som fanns under fakturamånaden",
    ] {
        assert!(payment.body.contains(message), "{message}");
    }
    app.login_as(STEERING).await;
    assert_eq!(app.get("/arenden/nytt").await.status, 403);
}

#[actix_web::test]
async fn case_numbers_are_unique_under_concurrent_filing() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let page = app.get("/arenden/nytt?typ=deviation").await;
    let token = page.csrf();
    let mut fields: Vec<(&str, &str)> = deviation("Samtidig", "Text.");
    fields.push(("kind", "deviation"));
    fields.push(("csrf", &token));
    let posts = (0..6).map(|_| app.post_raw("/arenden/nytt", &fields));
    let responses = futures_util::future::join_all(posts).await;
    let mut numbers: Vec<String> = responses
        .iter()
        .map(|r| {
            assert_eq!(r.status, 303, "{}", r.body);
            r.location()
        })
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 6);
    app.assert_listed_copies_in_step();
}

#[actix_web::test]
async fn admins_set_the_deadline_of_each_level() {
    let app = spawn_app().await;
    app.login_as(ADMIN).await;
    let page = app.get("/admin/frister").await;
    assert!(page.body.contains("value=\"60\""));
    let response = app
        .submit(
            "/admin/frister",
            "/admin/frister",
            &[("days_local", "10"), ("count_local", "working"), ("days_review", "0"), ("count_review", "calendar")],
        )
        .await;
    assert_eq!(response.status, 422);
    assert!(response.body.contains("ange ett antal dagar mellan 1 och 730"));
    let response = app.submit("/admin/frister", "/admin/frister", &[("days_local", "10"), ("count_local", "working")]).await;
    ok(&response);
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Ny frist", "Text.")).await;
    let mut conn = app.db();
    let deadline: Option<chrono::NaiveDate> =
        db_run!(conn, |c| cases::table.filter(cases::number.eq(&number)).select(cases::deadline_on).first(c)).unwrap();
    let expected = tvistetrappa::domain::calendar::add_working_days(tvistetrappa::store::today(), 10);
    assert_eq!(deadline, Some(expected));
}

#[actix_web::test]
async fn the_demo_cases_stand_at_their_levels() {
    let app = spawn_app().await;
    {
        let mut conn = app.db();
        assert_eq!(tvistetrappa::demo::load_cases(&mut conn).unwrap(), 6);
        assert_eq!(tvistetrappa::demo::load_cases(&mut conn).unwrap(), 0, "loaded once");
        assert_eq!(tvistetrappa::demo::load_episodes(&mut conn, &app.config.data_dir).unwrap(), 600);
        assert_eq!(tvistetrappa::demo::load_episodes(&mut conn, &app.config.data_dir).unwrap(), 0, "imported once");
    }
    app.login_as(STORSTHLM).await;
    let list = app.get("/arenden").await;
    assert_eq!(list.body.matches("<td class=\"nr\"><a href=\"/arenden/").count(), 6);
    assert_eq!(app.get("/arenden?niva=steering").await.body.matches("<td class=\"nr\"><a href=\"/arenden/").count(), 1);
    assert_eq!(app.get("/arenden?niva=directors").await.body.matches("<td class=\"nr\"><a href=\"/arenden/").count(), 1);
    assert_eq!(app.get("/arenden?niva=review").await.body.matches("<td class=\"nr\"><a href=\"/arenden/").count(), 1);
    app.login_as(BOTKYRKA).await;
    assert!(app.get("/").await.body.contains("SIP kallades inte inom tre dagar"), "answered: waiting for Botkyrka");
    let payment = app.get("/betalning?manad=2022-03").await;
    assert!(payment.body.contains("Botkyrka") && !payment.body.contains("Huddinge"), "{}", payment.body);
}

#[actix_web::test]
async fn a_filing_form_sent_again_files_one_case_and_answers_with_it() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let page = app.get("/arenden/nytt?typ=deviation").await;
    let key = page.body.split("name=\"submission\" value=\"").nth(1).unwrap()[..64].to_owned();
    let token = page.csrf();
    let mut fields = vec![("csrf", token.as_str()), ("kind", "deviation"), ("submission", key.as_str())];
    fields.extend(deviation("Skickad två gånger", "Svaret kom aldrig fram."));
    // A client that retries after a lost answer, and one that sends twice at once.
    let first = app.post_raw("/arenden/nytt", &fields).await;
    let again = app.post_raw("/arenden/nytt", &fields).await;
    assert_eq!((first.status, again.status), (303, 303));
    assert_eq!(first.location(), again.location(), "the second sending gets the first case");
    let page = app.get("/arenden/nytt?typ=deviation").await;
    let other_key = page.body.split("name=\"submission\" value=\"").nth(1).unwrap()[..64].to_owned();
    assert_ne!(other_key, key, "each form has its own key");
    let mut twice = vec![("csrf", token.as_str()), ("kind", "deviation"), ("submission", other_key.as_str())];
    twice.extend(deviation("Dubbelklick", "Två på en gång."));
    let (a, b) = futures_util::future::join(app.post_raw("/arenden/nytt", &twice), app.post_raw("/arenden/nytt", &twice)).await;
    assert_eq!((a.status, b.status), (303, 303));
    assert_eq!(a.location(), b.location());
    let mut conn = app.db();
    let filed: i64 = db_run!(conn, |c| cases::table.count().get_result(c)).unwrap();
    assert_eq!(filed, 2, "two forms, two cases");
}

#[actix_web::test]
async fn a_reviewers_start_page_lists_what_waits_soonest_deadline_first_and_undated_last() {
    use tvistetrappa::db::schema::cases as c;
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let mut numbers = Vec::new();
    for title in ["Ett", "Två", "Tre", "Fyra"] {
        numbers.push(app.file_case("deviation", &deviation(title, "Väntar på Storsthlm och HSF.")).await);
    }
    // At level 2, waiting for the reviewers: two with deadlines (the later filed first), two without.
    let deadlines = [Some("2026-12-20"), None, Some("2026-12-10"), None];
    let mut conn = app.db();
    for (number, deadline) in numbers.iter().zip(deadlines) {
        let deadline = deadline.map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
        db_run!(conn, |x| diesel::update(c::table.filter(c::number.eq(number)))
            .set((c::level.eq("review"), c::waiting_for.eq("reviewers"), c::deadline_on.eq(deadline)))
            .execute(x))
        .unwrap();
    }
    drop(conn);
    app.login_as(STORSTHLM).await;
    let page = app.get("/").await.body;
    let at = |number: &String| page.find(&format!("/arenden/{number}\"")).unwrap_or_else(|| panic!("{number} is listed"));
    let order: Vec<usize> = [&numbers[2], &numbers[0], &numbers[1], &numbers[3]].into_iter().map(at).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "dated by deadline, then undated in filing order: {order:?}");
}

#[actix_web::test]
async fn a_partys_start_page_follows_whose_move_it_is() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let first = app.file_case("deviation", &deviation("Första", "Väntar på avdelningen.")).await;
    let second = app.file_case("deviation", &deviation("Andra", "Väntar också på avdelningen.")).await;
    let listed = |body: &str, number: &str| body.contains(&format!("/arenden/{number}\""));
    assert!(!listed(&app.get("/").await.body, &first), "the filer does not wait for itself");

    app.login_as(SOS).await;
    let start = app.get("/").await.body;
    assert!(listed(&start, &first) && listed(&start, &second), "the counterpart sees both");
    assert_eq!(app.act(&first, "answer", &[("text", "Vi har svarat.")]).await.status, 303);
    let start = app.get("/").await.body;
    assert!(!listed(&start, &first) && listed(&start, &second), "answered: no longer the ward's move");

    app.login_as(BOTKYRKA).await;
    assert!(listed(&app.get("/").await.body, &first), "answered: Botkyrka's move");
    assert_eq!(app.act(&first, "withdraw", &[("text", "Vi nöjer oss med svaret.")]).await.status, 303);
    assert!(!listed(&app.get("/").await.body, &first), "withdrawn: nobody's move");
    app.assert_listed_copies_in_step();
}

/// The party's start page lists its waiting cases soonest deadline first and undated last,
/// with the deadlines the level's rule gave each case when it was filed.
#[actix_web::test]
async fn a_partys_start_page_lists_what_waits_soonest_deadline_first_and_undated_last() {
    let app = spawn_app().await;
    let mut numbers = Vec::new();
    for (title, days) in [("Trettio dagar", "30"), ("Fem dagar", "5"), ("Utan frist", "")] {
        app.login_as(ADMIN).await;
        ok(&app.submit("/admin/frister", "/admin/frister", &[("days_local", days), ("count_local", "calendar")]).await);
        app.login_as(BOTKYRKA).await;
        numbers.push(app.file_case("deviation", &deviation(title, "Väntar på avdelningen.")).await);
    }
    app.login_as(SOS).await;
    let page = app.get("/").await.body;
    let at = |number: &String| page.find(&format!("/arenden/{number}\"")).unwrap_or_else(|| panic!("{number} is listed"));
    let order: Vec<usize> = [&numbers[1], &numbers[0], &numbers[2]].into_iter().map(at).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "five days, thirty days, then the one without: {order:?}");
}

#[actix_web::test]
async fn a_search_ignores_case_takes_short_texts_and_wildcards_literally_and_pages_what_it_finds() {
    // A clock that stands still: the background thread merges the text index once, at its
    // start, and not again behind the test's back.
    let clock = tvistetrappa::mail::Clock::fixed(tvistetrappa::store::now());
    let app = spawn_app_with(Options { clock: Some(clock), ..Default::default() }).await;
    tvistetrappa::demo::generate_cases(&mut app.db(), 700, 7).expect("generated cases");
    app.login_as(STORSTHLM).await;
    let rows = |page: &Response| page.body.matches("<td class=\"nr\"><a href=\"/arenden/").count();
    // "ärende 123 om" is in one title only.
    let one = app.get("/arenden?q=%C3%A4rende+123+om").await;
    assert_eq!(rows(&one), 1, "{}", one.body);
    assert!(one.body.contains("Genererat ärende 123 om"));
    // Upper case, as typed, finds the same.
    assert_eq!(rows(&app.get("/arenden?q=%C3%84RENDE+123+OM").await), 1);
    // All 700 match "syntetiskt": a full page, and a next one.
    let many = app.get("/arenden?q=syntetiskt").await;
    assert_eq!(rows(&many), 50, "a full page");
    assert!(many.body.contains("Nästa"), "with more after it");
    // Two letters are enough.
    let short = app.get("/arenden?q=99").await;
    assert!(short.body.contains("Genererat ärende 99 om") && short.body.contains("Genererat ärende 199 om"));
    // LIKE's own characters are taken literally.
    assert_eq!(rows(&app.get("/arenden?q=%25%25%25").await), 0);
    assert_eq!(rows(&app.get("/arenden?q=nothing+like+this").await), 0);
    // Quotes too (SQLite counts the matches as a quoted phrase of its text index first).
    let quoted = app.get("/arenden?q=%22syntetiskt%22").await;
    assert_eq!((quoted.status, rows(&quoted)), (200, 0));

    // A filing adds a piece to the index; merged into one (as the background thread does), it
    // finds the same, and what is filed after.
    app.login_as(BOTKYRKA).await;
    let before = app.file_case("deviation", &deviation("Före sammanslagningen", "Hittas.")).await;
    let segments = "SELECT CAST(count(DISTINCT segid) AS TEXT) AS value FROM cases_text_idx";
    let sqlite = app.config.database.kind == tvistetrappa::db::BackendKind::Sqlite;
    if sqlite {
        assert_ne!(app.texts(segments), ["1"], "filed in two transactions, the index is in pieces");
    }
    tvistetrappa::store::cases::tidy_text_index(&mut app.db()).unwrap();
    if sqlite {
        assert_eq!(app.texts(segments), ["1"]);
    }
    let after = app.file_case("deviation", &deviation("Efter sammanslagningen", "Hittas ändå.")).await;
    if sqlite {
        // Every case's row of the index has the case's id under its number (migration 031),
        // the generated cases' and those filed one by one alike.
        let agreeing =
            "SELECT CAST(count(*) AS TEXT) AS value FROM cases_text_rows r JOIN cases_text t ON t.rowid = r.rowid AND t.case_id = r.case_id";
        assert_eq!(app.texts(agreeing), app.texts("SELECT CAST(count(*) AS TEXT) AS value FROM cases"));
    }
    app.assert_listed_copies_in_step();
    app.login_as(STORSTHLM).await;
    assert_eq!(rows(&app.get("/arenden?q=%C3%A4rende+123+om").await), 1);
    assert_eq!(rows(&app.get("/arenden?q=syntetiskt").await), 50);
    assert!(app.get("/arenden?q=f%C3%B6re+sammanslagningen").await.body.contains(&before));
    assert!(app.get("/arenden?q=efter+sammanslagningen").await.body.contains(&after));
    // A case number is found by its serial through the index and then tested whole: its own
    // case, and not one whose number only shares the serial.
    let found = app.get(&format!("/arenden?q={}", after.to_lowercase())).await;
    assert_eq!(rows(&found), 1, "{}", found.body);
    assert!(found.body.contains(&after));
    let serial = after.rsplit('-').next().unwrap();
    assert!(serial.len() >= 4, "{after}");
    assert_eq!(rows(&app.get(&format!("/arenden?q=XX-1999-{serial}")).await), 0);
}

#[actix_web::test]
async fn a_search_with_many_matches_lists_them_in_the_lists_order_also_after_the_clock_went_back() {
    let app = spawn_app().await;
    tvistetrappa::demo::generate_cases(&mut app.db(), 400, 11).expect("generated cases");
    app.login_as(STORSTHLM).await;
    // Each row's number and title.
    let rows = |page: &Response| -> Vec<(String, String)> {
        page.body
            .split("<td class=\"nr\"><a href=\"/arenden/")
            .skip(1)
            .map(|rest| (rest.split('"').next().unwrap().to_owned(), rest.split("<td>").nth(1).unwrap().split('<').next().unwrap().to_owned()))
            .collect()
    };
    let numbers = |page: &Response| -> Vec<String> { rows(page).into_iter().map(|(number, _)| number).collect() };
    // Every case, newest first, as the list shows them page by page.
    let mut listed = Vec::new();
    for page in 1..=9 {
        listed.extend(rows(&app.get(&format!("/arenden?sida={page}")).await));
    }
    assert!(listed.len() >= 400, "{}", listed.len());
    // "ärende 1" is in 111 titles (1, 10–19, 100–199): more than the index fetches by id, so
    // the page is read in list order. Its pages hold the list's matching cases in its order.
    let expected: Vec<&String> = listed.iter().filter(|(_, title)| title.to_lowercase().contains("ärende 1")).map(|(number, _)| number).collect();
    assert!(expected.len() > 100, "{}", expected.len());
    let mut found = Vec::new();
    for page in 1..=3 {
        found.extend(numbers(&app.get(&format!("/arenden?q=%C3%A4rende+1&sida={page}")).await));
    }
    assert_eq!(found.iter().collect::<Vec<_>>(), expected);

    // On SQLite, where the text index keeps the list's order: the clock went back an hour, so
    // the newest case stands in the future. What is filed now is filed after it all the same,
    // and is found first. (PostgreSQL keeps no such order and files at its clock's time.)
    if app.config.database.kind != tvistetrappa::db::BackendKind::Sqlite {
        return;
    }
    app.sql("UPDATE cases SET created_at = datetime(created_at, '+1 hour') WHERE created_at = (SELECT max(created_at) FROM cases)");
    app.sql("UPDATE case_parties SET case_created_at = (SELECT created_at FROM cases WHERE cases.id = case_parties.case_id)");
    app.login_as(BOTKYRKA).await;
    let filed = app.file_case("deviation", &deviation("Ärende 1 med klockan efter", "Hittas först.")).await;
    app.login_as(STORSTHLM).await;
    assert_eq!(numbers(&app.get("/arenden").await)[0], filed, "newest first");
    assert_eq!(numbers(&app.get("/arenden?q=%C3%A4rende+1").await)[0], filed, "newest first in a search too");
}
