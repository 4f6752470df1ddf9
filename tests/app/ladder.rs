//! Who is offered what on a case (domain.md §3.1, §4.1), walked table by table: for each
//! level, each demo user (each role and side) sees exactly the actions the agreement gives
//! them, and posting any other ladder action is refused – with a 403 audited.

use crate::helpers::*;
use std::collections::BTreeSet;
use tvistetrappa::store::audit;

const EVERYONE: [&str; 11] =
    [BOTKYRKA, BOTKYRKA_DIRECTOR, SOS, HUDDINGE, STORSTHLM, HSF, HSF_DIRECTOR, STEERING, VIS, ADMIN, "omar.said@stockholm.example"];

const LADDER_ACTIONS: [&str; 11] =
    ["answer", "assess", "propose", "accept", "reject", "escalate", "refer_to_court", "decide", "correct_decision", "withdraw", "reopen"];

/// The ladder actions a case page offers the signed-in user; None when they may not see it.
async fn offered(app: &TestApp, number: &str) -> Option<BTreeSet<String>> {
    let page = app.get(&format!("/arenden/{number}")).await;
    if page.status == 404 {
        return None;
    }
    assert_eq!(page.status, 200, "{number}: {}", page.body);
    Some(LADDER_ACTIONS.iter().filter(|key| page.body.contains(&format!("name=\"action\" value=\"{key}\""))).map(|key| key.to_string()).collect())
}

/// Checks one table: each user sees exactly their row (users not listed see nothing), and
/// every other ladder action they post is refused without changing the case.
async fn check(app: &TestApp, number: &str, table: &[(&str, &[&str])]) {
    for user in EVERYONE {
        app.login_as(user).await;
        let expected: BTreeSet<String> = table.iter().find(|(u, _)| *u == user).map_or(&[][..], |(_, a)| *a).iter().map(|a| a.to_string()).collect();
        let Some(shown) = offered(app, number).await else {
            assert!(expected.is_empty(), "{number}: {user} cannot see the case");
            continue;
        };
        assert_eq!(shown, expected, "{number}: actions offered to {user}");
        for action in LADDER_ACTIONS.iter().filter(|a| !expected.contains(**a)) {
            let denied_before = audit::count(&mut app.db(), "access_denied").unwrap();
            let response =
                app.act(number, action, &[("text", "Försök"), ("outcome", "upheld"), ("decided_on", "2026-11-20"), ("reference", "x")]).await;
            assert!(matches!(response.status, 403 | 404 | 409), "{number}: {user} posting {action} got {}", response.status);
            // Refusals are logged one by one up to the per-address bound (all tests come from
            // 127.0.0.1); the first ones of every test are checked.
            if response.status == 403 && denied_before < audit::BOUNDED_PER_WINDOW - 1 {
                assert_eq!(audit::count(&mut app.db(), "access_denied").unwrap(), denied_before + 1, "{user} {action} audited");
            }
        }
    }
}

async fn step(app: &TestApp, user: &str, number: &str, action: &str) {
    app.login_as(user).await;
    ok(&app.act(number, action, &[("text", "Steg."), ("reference", "Södertörns tingsrätt T 1-26")]).await);
}

#[actix_web::test]
async fn a_deviation_offers_each_role_and_side_what_its_level_allows() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Tabell", "Vem får göra vad.")).await;
    // Level 1: the counterpart answers, either side proposes, the filer withdraws; nobody decides.
    check(&app, &number, &[(BOTKYRKA, &["propose", "withdraw"]), (BOTKYRKA_DIRECTOR, &["propose", "withdraw"]), (SOS, &["answer", "propose"])]).await;
    step(&app, SOS, &number, "answer").await;
    check(
        &app,
        &number,
        &[
            (BOTKYRKA, &["escalate", "propose", "withdraw"]),
            (BOTKYRKA_DIRECTOR, &["escalate", "propose", "withdraw"]),
            (SOS, &["answer", "escalate", "propose"]),
        ],
    )
    .await;
    step(&app, BOTKYRKA, &number, "escalate").await;
    // Level 2: Storsthlm and HSF assess and ask to lift; nobody there decides or closes.
    let parties: [(&str, &[&str]); 3] = [(BOTKYRKA, &["withdraw"]), (BOTKYRKA_DIRECTOR, &["withdraw"]), (SOS, &["answer"])];
    let mut table = parties.to_vec();
    table.extend([(STORSTHLM, &["assess", "escalate"][..]), (HSF, &["assess", "escalate"][..])]);
    check(&app, &number, &table).await;
    step(&app, STORSTHLM, &number, "escalate").await;
    let mut table = parties.to_vec();
    table.extend([(STORSTHLM, &["assess"][..]), (HSF, &["assess", "escalate"][..])]);
    check(&app, &number, &table).await;
    step(&app, HSF, &number, "escalate").await;
    // Level 3: the steering group decides or lifts.
    let mut table = parties.to_vec();
    table.push((STEERING, &["decide", "escalate"][..]));
    check(&app, &number, &table).await;
    step(&app, STEERING, &number, "escalate").await;
    // Level 4: the secretariat records VIS's decision; then nothing but its correction.
    let mut table = parties.to_vec();
    table.push((VIS, &["decide"][..]));
    check(&app, &number, &table).await;
    app.login_as(VIS).await;
    ok(&app.act(&number, "decide", &[("outcome", "upheld"), ("decided_on", "2026-11-20"), ("reference", "VIS § 1"), ("text", "Beslut.")]).await);
    check(&app, &number, &[(VIS, &["correct_decision"])]).await;
}

#[actix_web::test]
async fn a_payment_dispute_offers_director_level_to_directors_only() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("payment_dispute", &payment_dispute("Faktura september", "Fel betalningsansvarig kommun.")).await;
    // Nearest managers: Botkyrka's users, and HSF as the invoicing party; no other reviewer.
    let botkyrka: &[&str] = &["escalate", "propose", "withdraw"];
    let hsf: &[&str] = &["answer", "escalate", "propose"];
    check(&app, &number, &[(BOTKYRKA, botkyrka), (BOTKYRKA_DIRECTOR, botkyrka), (HSF, hsf), (HSF_DIRECTOR, hsf)]).await;
    step(&app, BOTKYRKA, &number, "escalate").await;
    // Director level: only those with the director capacity, each for their own side.
    check(
        &app,
        &number,
        &[(BOTKYRKA_DIRECTOR, &["propose", "refer_to_court", "withdraw"]), (HSF_DIRECTOR, &["answer", "propose", "refer_to_court"])],
    )
    .await;
    step(&app, HSF_DIRECTOR, &number, "refer_to_court").await;
    // The court: either side records the judgment (and the filer may withdraw the suit).
    let filer: &[&str] = &["decide", "withdraw"];
    let invoicer: &[&str] = &["decide"];
    check(&app, &number, &[(BOTKYRKA, filer), (BOTKYRKA_DIRECTOR, filer), (HSF, invoicer), (HSF_DIRECTOR, invoicer)]).await;
}

#[actix_web::test]
async fn an_administrator_of_a_party_is_offered_nothing_and_grants_the_director_capacity() {
    let app = spawn_app().await;
    app.login_as(ADMIN).await;
    let users = app.get("/admin/anvandare").await;
    assert!(users.body.contains("Karl Strand") && users.body.contains("direktörsnivå"));
    // Only someone who acts for a party can hold it.
    let refused = grant_director(&app, STEERING, &[("name", "Johan Lund"), ("organisation_id", "styrgruppen"), ("role", "steering")]).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("Direktörsbehörighet kan bara ges"));
    let granted = grant_director(&app, HUDDINGE, &[("name", "Erik Holm"), ("organisation_id", "kommun-0126"), ("role", "local")]).await;
    assert_eq!(granted.status, 303, "{}", granted.body);
    assert!(tvistetrappa::store::users::by_email(&mut app.db(), HUDDINGE).unwrap().unwrap().director);
}

/// Saves a user's form with the director capacity ticked, as the signed-in administrator.
async fn grant_director(app: &TestApp, email: &str, profile: &[(&str, &str)]) -> Response {
    let path = format!("/admin/anvandare/{}", user_id(app, email));
    let mut fields = profile.to_vec();
    fields.extend([("active", "on"), ("director", "on")]);
    app.submit(&path, &path, &fields).await
}

fn user_id(app: &TestApp, email: &str) -> String {
    tvistetrappa::store::users::by_email(&mut app.db(), email).unwrap().unwrap().id
}

#[actix_web::test]
async fn storsthlm_and_hsf_asking_to_lift_at_the_same_moment_make_one_request_not_a_lift() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("interpretation", &principled_question("Samtidigt lyft", "Båda trycker på en gång.")).await;
    app.login_as(STORSTHLM).await;
    let (storsthlm, storsthlm_token) = (app.session(), app.csrf().await);
    app.login_as(HSF).await;
    let (hsf, hsf_token) = (app.session(), app.csrf().await);
    let version = case_version(&app.get(&format!("/arenden/{number}")).await.body);
    let body = |token: &str| format!("csrf={token}&version={version}&action=escalate&text=Lyft");
    let statuses = at_once(&app.address, (&storsthlm, body(&storsthlm_token)), (&hsf, body(&hsf_token)), &format!("/arenden/{number}/atgard"));
    // One asks; the other's press, made on the same version, is refused rather than taken as
    // the confirmation it never saw.
    assert_eq!(statuses, [303, 409]);
    let page = app.get(&format!("/arenden/{number}")).await;
    assert!(page.body.contains("Nivå</dt><dd>Storsthlm och HSF") && page.body.contains("behöver bekräfta"));
    // Whoever did not get through confirms now; then the case is with the steering group.
    let asked_by_hsf = page.body.contains("HSF har begärt");
    app.login_as(if asked_by_hsf { STORSTHLM } else { HSF }).await;
    ok(&app.act(&number, "escalate", &[("text", "Bekräftar.")]).await);
    assert!(app.get(&format!("/arenden/{number}")).await.body.contains("Nivå</dt><dd>Styrgruppen"));
}
