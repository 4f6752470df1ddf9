//! The one error pattern of every form (issue 15): a refused form comes back with "Fel: " in
//! its title, a focused summary linking to each field in the form's order, every field with
//! an error marked invalid and described by its message, and everything typed kept.

use crate::helpers::*;

/// The opening tag of the element with `id`.
pub fn tag_with_id<'a>(body: &'a str, id: &str) -> &'a str {
    let at = body.find(&format!(" id=\"{id}\"")).unwrap_or_else(|| panic!("no element with id {id}"));
    let start = body[..at].rfind('<').expect("a tag");
    let end = at + body[at..].find('>').expect("the tag's end");
    &body[start..=end]
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// Asserts the pattern on a refused form's page; `fields` are the ids of the controls with
/// an error, in the order the summary must list them.
pub fn assert_error_pattern(page: &Response, fields: &[&str]) {
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("<title>Fel: "), "the title says there is an error");
    let summary_start = page.body.find("class=\"felsammanfattning\"").expect("an error summary");
    let summary_tag = &page.body[page.body[..summary_start].rfind('<').unwrap()..summary_start + page.body[summary_start..].find('>').unwrap()];
    assert!(summary_tag.contains("tabindex=\"-1\"") && summary_tag.contains("autofocus"), "the summary takes focus: {summary_tag}");
    let summary = &page.body[summary_start..summary_start + page.body[summary_start..].find("</div>").unwrap()];
    let links: Vec<&str> = summary.split("<a href=\"#").skip(1).map(|l| &l[..l.find('"').unwrap()]).collect();
    assert_eq!(links, fields, "the summary links to each field in the form's order");
    for field in fields {
        let control = tag_with_id(&page.body, field);
        assert_eq!(attribute(control, "aria-invalid"), Some("true"), "{control}");
        let described = attribute(control, "aria-describedby").unwrap_or_else(|| panic!("{field} is described by its message: {control}"));
        let message = described.split(' ').find(|id| id.ends_with("-fel")).unwrap_or_else(|| panic!("{field}: {described}"));
        assert!(tag_with_id(&page.body, message).contains("felmeddelande"), "{field}'s message {message} is on the page");
    }
    for form in page.body.split("<form ").skip(1) {
        let tag = &form[..form.find('>').unwrap()];
        assert!(!tag.contains("method=\"post\"") || tag.contains("novalidate"), "the service's own messages are the ones shown: <form {tag}>");
    }
}

#[actix_web::test]
async fn a_refused_new_case_marks_each_field_in_order_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let page = app
        .submit(
            "/arenden/nytt?typ=deviation",
            "/arenden/nytt",
            &[
                ("kind", "deviation"),
                ("title", ""),
                ("filed_by_org", "kommun-0127"),
                ("counterpart", "enh-sos-medicin-52"),
                ("occurred_from", "2026-13-45"),
                ("description", ""),
                ("consequences", "Två dagar längre på sjukhus."),
                ("filer_registration", "KS 2026/77"),
            ],
        )
        .await;
    assert_error_pattern(&page, &["title", "commitment_id", "occurred_from", "description"]);
    for kept in ["value=\"2026-13-45\"", "Två dagar längre på sjukhus.", "value=\"KS 2026/77\""] {
        assert!(page.body.contains(kept), "{kept} is kept");
    }
    assert!(page.body.contains("value=\"enh-sos-medicin-52\" type=\"checkbox\" checked"), "the chosen counterpart is kept");
}

#[actix_web::test]
async fn a_refused_payment_dispute_marks_month_and_amount() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let mut fields = payment_dispute("Faktura", "Fel kommun.");
    fields.retain(|(name, _)| !matches!(*name, "payment_month" | "amount_sek"));
    fields.extend([("kind", "payment_dispute"), ("payment_month", "mars"), ("amount_sek", "tolv")]);
    let page = app.submit("/arenden/nytt?typ=payment_dispute", "/arenden/nytt", &fields).await;
    assert_error_pattern(&page, &["payment_month", "amount_sek"]);
    assert!(page.body.contains("value=\"mars\"") && page.body.contains("value=\"tolv\""));
}

#[actix_web::test]
async fn a_refused_decision_keeps_outcome_and_date_and_puts_each_message_at_its_field() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("interpretation", &principled_question("Vem kallar till SIP?", "Oklart vem som kallar.")).await;
    app.login_as(STORSTHLM).await;
    app.act(&number, "escalate", &[("text", "Lyft.")]).await;
    app.login_as(HSF).await;
    app.act(&number, "escalate", &[("text", "Instämmer.")]).await;
    app.login_as(STEERING).await;
    app.act(&number, "escalate", &[("text", "Till VIS.")]).await;
    app.login_as(VIS).await;
    let page =
        app.act(&number, "decide", &[("outcome", "upheld"), ("decided_on", "2099-01-01"), ("reference", ""), ("text", "Regionen kallar.")]).await;
    assert_error_pattern(&page, &["decide-decided_on", "decide-reference"]);
    let summary = &page.body[page.body.find("felsammanfattning").unwrap()..];
    assert!(summary.contains("Registrera beslut gick inte igenom"), "the summary names the action");
    assert!(page.body.contains("<option value=\"upheld\" selected>"), "the outcome is kept");
    assert!(tag_with_id(&page.body, "decide-decided_on").contains("value=\"2099-01-01\""), "the date typed is kept, not reset to today");
    assert!(page.body.contains("Regionen kallar.</textarea>"));
    let message = tag_with_id(&page.body, "decide-decided_on-fel");
    assert!(page.body[page.body.find(message).unwrap()..].starts_with(&format!("{message}Beslutsdatum kan inte ligga i framtiden.")));
}

#[actix_web::test]
async fn a_refused_comment_and_deadline_form_mark_their_fields() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Rubrik", "Beskrivning")).await;
    let page = app.act(&number, "comment", &[("text", "   ")]).await;
    assert_error_pattern(&page, &["comment-text"]);
    assert!(page.body.contains("Skicka kommentar gick inte igenom"));

    app.login_as(ADMIN).await;
    let page = app.submit("/admin/frister", "/admin/frister", &[("days_local", "tre"), ("count_local", "working")]).await;
    assert_error_pattern(&page, &["days_local"]);
    assert!(tag_with_id(&page.body, "days_local").contains("value=\"tre\""), "what was typed is shown again");
}

/// The address a sign-in redirect leads on to (its `next`).
fn next_of(login: &str) -> String {
    let query = login.split_once('?').expect("a query").1;
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "next").expect("a next address").1.into_owned()
}

/// Signs in again in the same browser (its anonymous cookie kept), going on to `next`.
async fn sign_in_again(app: &TestApp, email: &str, next: &str) -> Response {
    let signed_in = app.submit("/logga-in", "/logga-in", &[("email", email), ("password", DEMO_PASSWORD), ("next", next)]).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.location(), next, "signing in leads back to the form");
    app.get(next).await
}

#[actix_web::test]
async fn a_form_sent_after_the_session_ended_comes_back_filled_in_after_signing_in() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let form_page = "/arenden/nytt?typ=deviation";
    let token = app.get(form_page).await.csrf();
    app.expire_sessions();
    let mut fields = deviation("Skrivet före utloggningen", "En lång beskrivning som inte får gå förlorad.");
    fields.extend([("csrf", token.as_str()), ("kind", "deviation")]);
    let referer = format!("{}{form_page}", app.address);
    let sent = app.post_with_headers("/arenden/nytt", &fields, &[("referer", &referer)]).await;
    assert_eq!(sent.status, 303);
    let login = sent.location();
    assert!(login.starts_with("/logga-in?next="), "{login}");
    let next = next_of(&login);
    assert!(next.starts_with("/arenden/nytt?typ=deviation&aterstall="), "{next}");
    assert!(app.get(&login).await.body.contains("Det du skrev är sparat"), "the sign-in page says the form waits");

    let page = sign_in_again(&app, BOTKYRKA, &next).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Du loggades ut eftersom du inte hade varit aktiv"), "a notice says why the form is filled in");
    assert!(page.body.contains("value=\"Skrivet före utloggningen\""), "{}", page.body);
    assert!(page.body.contains(">En lång beskrivning som inte får gå förlorad.</textarea>"));
    assert!(page.body.contains("<option value=\"process.sip-called\" selected=\"\">"), "the commitment chosen is chosen again");
    assert!(page.body.contains("value=\"2026-11-02\""));
    assert!(!app.get("/arenden").await.body.contains("Skrivet före utloggningen"), "nothing was filed without the user");
    // A kept form is handed out once.
    assert!(!app.get(&next).await.body.contains("Skrivet före utloggningen"));
}

#[actix_web::test]
async fn a_kept_form_is_not_shown_to_someone_else_signing_in_on_the_same_browser() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Rubrik", "Beskrivning")).await;
    let page = app.get(&format!("/arenden/{number}")).await;
    let (token, version) = (page.csrf(), case_version(&page.body));
    app.expire_sessions();
    let referer = format!("{}/arenden/{number}", app.address);
    let fields = [("csrf", token.as_str()), ("version", &version), ("action", "comment"), ("text", "Hemlig kommentar från Botkyrka")];
    let sent = app.post_with_headers(&format!("/arenden/{number}/atgard"), &fields, &[("referer", &referer)]).await;
    let next = next_of(&sent.location());
    assert!(next.starts_with(&format!("/arenden/{number}?aterstall=")), "{next}");

    let other = sign_in_again(&app, SOS, &next).await;
    assert!(!other.body.contains("Hemlig kommentar"), "another user's kept form stays hidden");
    let own = sign_in_again(&app, BOTKYRKA, &next).await;
    assert!(own.body.contains(">Hemlig kommentar från Botkyrka</textarea>"), "{}", own.body);
}

#[actix_web::test]
async fn the_administrators_forms_follow_the_pattern() {
    let app = spawn_app().await;
    app.login_as(ADMIN).await;
    let user = app
        .submit(
            "/admin/anvandare/ny",
            "/admin/anvandare/ny",
            &[("email", "inte en adress"), ("name", ""), ("organisation_id", ""), ("role", "local")],
        )
        .await;
    assert_error_pattern(&user, &["email", "name", "organisation_id"]);
    assert!(user.body.contains("value=\"inte en adress\""));
    let unit = app.submit("/admin/enheter/ny", "/admin/enheter/ny", &[("kind", "inpatient_unit"), ("name", ""), ("parent_id", "")]).await;
    assert_error_pattern(&unit, &["name", "parent_id"]);
    let rate =
        app.submit("/admin/betalning", "/admin/betalning/dagbelopp", &[("year", "tjugo"), ("amount", "-5"), ("source", "Socialstyrelsen")]).await;
    assert_error_pattern(&rate, &["year", "amount"]);
    assert!(rate.body.contains("value=\"tjugo\"") && rate.body.contains("value=\"Socialstyrelsen\""));
    let settings = app
        .submit(
            "/admin/betalning",
            "/admin/betalning/installningar",
            &[("county_average", "två"), ("active_from", "2026-02-30"), ("transition_end", "")],
        )
        .await;
    assert_error_pattern(&settings, &["county_average", "active_from", "transition_end"]);
    assert!(settings.body.contains("value=\"2026-02-30\""), "the date typed is kept");
    let mailbox = app.submit("/organisationer/hsf", "/admin/organisationer/hsf/brevlada", &[("contact_email", "hsf-at-example")]).await;
    assert_error_pattern(&mailbox, &["contact_email"]);
}

#[actix_web::test]
async fn a_users_own_forms_follow_the_pattern() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let password = app.submit("/konto/losenord", "/konto/losenord", &[("current", "fel"), ("password", "kort"), ("repeat", "kort")]).await;
    assert_error_pattern(&password, &["current", "password"]);

    let number = app.file_case("deviation", &deviation("Rubrik", "Beskrivning")).await;
    let registration = app.act(&number, "registration", &[("organisation_id", "kommun-0127"), ("text", &"x".repeat(101))]).await;
    assert_error_pattern(&registration, &["dnr-kommun-0127"]);
    let empty = app.upload(&number, "tom.txt", b"").await;
    assert_error_pattern(&empty, &["file"]);
    assert!(empty.body.contains("Ladda upp gick inte igenom"), "the summary names the action");

    let report = app.get("/rapporter/arenden?fran=2026-13-01&till=2026-01-01").await;
    assert_eq!(report.status, 422);
    assert!(report.body.contains("<title>Fel: ") && report.body.contains("<h1>Uppföljning av avvikelser och tvister</h1>"), "the h1 stays");
    assert!(tag_with_id(&report.body, "fran").contains("aria-invalid=\"true\""));
}
