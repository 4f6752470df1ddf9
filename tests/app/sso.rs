//! Single sign-on against a real OpenID Connect provider: node-oidc-provider, configured in
//! tests/oidc/provider.mjs and started per test on a free loopback port. CI installs it
//! (`npm ci --prefix tests/oidc`) and sets TVS_REQUIRE_OIDC=1, so a provider that cannot
//! start fails there; elsewhere these tests say why and skip.

use crate::helpers::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const CLIENT_ID: &str = "tvistetrappa";
pub const CLIENT_SECRET: &str = "testhemlighet-for-tvistetrappa";
pub const BOTKYRKA_ORG: &str = "kommun-0127";
/// Eva as Entra ID describes her (tenant and object id).
pub const EVA: (&str, &str, &str) = ("eva", "eva-lösenord-1", "eva.entra@botkyrka.example");
/// Ivar as Inera's provider describes him (the region's HSA id in a claim).
pub const IVAR: (&str, &str, &str) = ("ivar", "ivar-lösenord-1", "ivar.inera@region.example");
/// Olga, whom nobody has provisioned.
pub const OLGA: (&str, &str, &str) = ("olga", "olga-lösenord-1", "olga.okand@botkyrka.example");

/// The test provider, running.
pub struct Idp {
    child: Child,
    pub issuer: String,
    port: u16,
    redirect_uri: String,
    after_logout: String,
    /// The browser's cookies at the provider (the app's stay in the TestApp).
    http: reqwest::Client,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser at the provider: its own cookies, redirects followed by hand.
fn browser_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// How long a provider may take to say where it listens.
const START_WITHIN: std::time::Duration = std::time::Duration::from_secs(30);

/// Starts `provider.mjs` on `port` (0: any) and reads the issuer it prints.
fn launch(port: u16, redirect_uri: &str, after_logout: &str) -> Result<(Child, String), String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
    if !dir.join("node_modules/oidc-provider").is_dir() {
        return Err(format!("{} has no node_modules: npm ci --prefix tests/oidc", dir.display()));
    }
    let mut child = Command::new("node")
        .current_dir(&dir)
        .args(["provider.mjs", "--port", &port.to_string(), "--redirect-uri", redirect_uri, "--post-logout-uri", after_logout])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run node: {e}"))?;
    // The first line, waited for no longer than START_WITHIN: a provider once hung before it
    // listened (alive, no socket, nothing printed), and the test waited for it forever.
    let mut output = BufReader::new(child.stdout.take().expect("piped"));
    let (first_line, said) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = first_line.send(output.read_line(&mut line).map(|_| line));
        // Whatever it prints later is read and dropped: a closed pipe would end the provider.
        std::io::copy(&mut output, &mut std::io::sink())
    });
    let line = match said.recv_timeout(START_WITHIN) {
        Ok(read) => read.map_err(|e| e.to_string())?,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the provider said nothing in {} s", START_WITHIN.as_secs()));
        }
    };
    match line.trim().strip_prefix("issuer ") {
        Some(issuer) => Ok((child, issuer.to_owned())),
        None => {
            let _ = child.kill();
            Err(format!("the provider did not start (printed {line:?})"))
        }
    }
}

impl Idp {
    /// The provider for `app`, or None (with the reason on stderr) where it cannot run and
    /// TVS_REQUIRE_OIDC is not set.
    pub fn start(app: &TestApp) -> Option<Idp> {
        let redirect_uri = format!("{}/logga-in/svar", app.address);
        let after_logout = format!("{}/logga-in?klart=utloggad", app.address);
        // A start that hung or failed is tried again, twice: the provider is the test's tool.
        let mut launched = launch(0, &redirect_uri, &after_logout);
        for _ in 0..2 {
            let Err(why) = &launched else { break };
            eprintln!("provider start: {why}; trying again");
            launched = launch(0, &redirect_uri, &after_logout);
        }
        match launched {
            Ok((child, issuer)) => {
                let port = issuer.rsplit(':').next().and_then(|p| p.parse().ok()).expect("issuer with a port");
                Some(Idp { child, issuer, port, redirect_uri, after_logout, http: browser_client() })
            }
            Err(why) => {
                assert!(std::env::var("TVS_REQUIRE_OIDC").is_err(), "TVS_REQUIRE_OIDC is set but the test provider cannot run: {why}");
                eprintln!("skipped: the test OpenID provider cannot run here: {why}");
                None
            }
        }
    }

    /// Stops the provider and starts it again on the same port: its sessions are gone and it
    /// signs with a new key.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The port came from the ephemeral range, so a connection may hold it for a moment:
        // try again for a few seconds (CI once waited forever here).
        let mut attempt = 0;
        let (child, issuer) = loop {
            match launch(self.port, &self.redirect_uri, &self.after_logout) {
                Ok(started) => break started,
                Err(why) if attempt < 25 => {
                    attempt += 1;
                    eprintln!("provider restart on port {}: {why}; trying again", self.port);
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                Err(why) => panic!("restart: {why}"),
            }
        };
        assert_eq!(issuer, self.issuer);
        self.child = child;
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A request at the provider as the browser makes it; returns (status, location, body).
    async fn request(&self, url: &str, form: Option<&[(&str, &str)]>) -> (u16, String, String) {
        let request = match form {
            Some(fields) => self.http.post(url).form(fields),
            None => self.http.get(url),
        };
        let response = request.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
        let status = response.status().as_u16();
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let location = if location.is_empty() { location } else { response.url().join(&location).expect("location").to_string() };
        (status, location, response.text().await.unwrap_or_default())
    }

    /// Follows the provider's redirects from `url` until it shows a page (its login form, a
    /// logout question) or sends the browser back to the app.
    pub async fn follow(&self, app: &TestApp, mut url: String, mut form: Option<Vec<(&str, &str)>>) -> Step {
        for _ in 0..10 {
            if let Some(path) = url.strip_prefix(&app.address) {
                return Step::BackToApp(path.to_owned());
            }
            let (status, location, body) = self.request(&url, form.take().as_deref()).await;
            if !(300..400).contains(&status) {
                return Step::Page { url, status, body };
            }
            url = location;
        }
        panic!("the provider redirected too often");
    }

    /// Starts signing in through provider `id` at the app and signs in at the provider as
    /// `user` (if it asks): where the provider sends the browser back to, or its page.
    pub async fn sign_in_at_provider(&self, app: &TestApp, id: &str, user: &str, password: &str) -> Step {
        self.sign_in_from(app, &format!("/logga-in/via/{id}"), user, password).await
    }

    /// As `sign_in_at_provider`, starting at `start` (a sign-in link with its `next`).
    pub async fn sign_in_from(&self, app: &TestApp, start: &str, user: &str, password: &str) -> Step {
        let start = app.get(start).await;
        assert_eq!(start.status, 303, "start: {}", start.body);
        assert!(start.location().starts_with(&self.issuer), "to the provider: {}", start.location());
        match self.follow(app, start.location(), None).await {
            Step::Page { url, status: 200, body } if body.contains("name=\"password\"") => {
                let action = between(&body, "action=\"", "\"");
                let target = reqwest::Url::parse(&url).unwrap().join(&action).unwrap().to_string();
                self.follow(app, target, Some(vec![("username", user), ("password", password)])).await
            }
            other => other,
        }
    }

    /// Signs in all the way: back at the app with the provider's answer, and on to the page
    /// the app sends the browser to. Returns the app's answer to the provider's redirect.
    pub async fn sign_in(&self, app: &TestApp, id: &str, (user, password, _): (&str, &str, &str)) -> Response {
        app.forget_cookies();
        match self.sign_in_at_provider(app, id, user, password).await {
            Step::BackToApp(path) => app.get(&path).await,
            Step::Page { status, body, .. } => panic!("stuck at the provider ({status}): {body}"),
        }
    }

    /// Forgets the browser's cookies at the provider, which then asks for a password again.
    pub fn forget_provider_session(&mut self) {
        self.http = browser_client();
    }

    /// Makes the provider hand out ID tokens for another audience (`Some`) or its own.
    pub async fn issue_tokens_for(&self, audience: Option<&str>) {
        let url = match audience {
            Some(to) => format!("{}/test/audience?to={to}", self.issuer),
            None => format!("{}/test/audience", self.issuer),
        };
        assert_eq!(self.request(&url, Some(&[])).await.0, 204);
    }
}

pub enum Step {
    /// The provider sends the browser back to the app, at this path.
    BackToApp(String),
    /// The provider shows a page.
    Page { url: String, status: u16, body: String },
}

pub fn between(text: &str, start: &str, end: &str) -> String {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start} in {text}")) + start.len();
    let to = text[from..].find(end).expect("end") + from;
    // As a browser reads an attribute: askama writes & as &#38;.
    text[from..to].replace("&#38;", "&").replace("&amp;", "&")
}

/// The administrator registers the test provider through the admin form (`id: None`) or
/// changes it; returns its id. No organisation values: fixed to Botkyrka.
pub async fn save_provider(app: &TestApp, idp: &Idp, id: Option<&str>, name: &str, organisations: &[(&str, &str)], create_unknown: bool) -> String {
    app.login_as(ADMIN).await;
    let values: String = organisations.iter().map(|(value, org)| format!("{value} = {org}\n")).collect();
    let mut fields = vec![
        ("name", name),
        ("issuer", idp.issuer.as_str()),
        ("client_id", CLIENT_ID),
        ("client_secret", if id.is_some() { "" } else { CLIENT_SECRET }),
        ("secret_expires_on", "2027-06-30"),
        ("enabled", "on"),
    ];
    if organisations.is_empty() {
        fields.extend([("organisation_from", "fixed"), ("organisation_id", BOTKYRKA_ORG)]);
    } else {
        fields.extend([("organisation_from", "claim"), ("organisation_claim", "hsa_organisation"), ("organisation_values", values.as_str())]);
    }
    if create_unknown {
        fields.push(("create_unknown", "on"));
    }
    let path = id.map_or("/admin/inloggning/ny".to_owned(), |id| format!("/admin/inloggning/{id}"));
    let saved = app.submit(&path, &path, &fields).await;
    assert_eq!(saved.status, 303, "provider saved: {}", saved.body);
    app.forget_cookies();
    app.texts(&format!("SELECT id AS value FROM identity_providers WHERE name = '{name}'")).remove(0)
}

pub async fn register(app: &TestApp, idp: &Idp, name: &str, organisations: &[(&str, &str)], create_unknown: bool) -> String {
    save_provider(app, idp, None, name, organisations, create_unknown).await
}

/// An account for `email` in `organisation`, as an administrator adds one.
/// The most common start: an app, the provider registered for Botkyrka as "Botkyrkas Entra
/// ID" (its id last), and Eva provisioned there; None where the provider cannot run.
async fn eva_at_botkyrka() -> Option<(TestApp, Idp, String)> {
    let app = spawn_app().await;
    let idp = Idp::start(&app)?;
    let id = register(&app, &idp, "Botkyrkas Entra ID", &[], false).await;
    provision(&app, EVA.2, "Eva Entra", BOTKYRKA_ORG).await;
    Some((app, idp, id))
}

pub async fn provision(app: &TestApp, email: &str, name: &str, organisation: &str) {
    app.login_as(ADMIN).await;
    let fields = [("email", email), ("name", name), ("organisation_id", organisation), ("role", "local"), ("active", "on")];
    let saved = app.submit("/admin/anvandare/ny", "/admin/anvandare/ny", &fields).await;
    assert_eq!(saved.status, 303, "user saved: {}", saved.body);
    app.forget_cookies();
}

pub fn audit_details(app: &TestApp, action: &str) -> Vec<String> {
    app.texts(&format!("SELECT detail AS value FROM audit_log WHERE action = '{action}' ORDER BY at"))
}

#[actix_web::test]
async fn a_provisioned_person_signs_in_through_the_provider_and_is_known_by_subject_not_address() {
    let app = spawn_app().await;
    let Some(idp) = Idp::start(&app) else { return };
    let id = register(&app, &idp, "Botkyrkas Entra ID", &[], false).await;
    let login_page = app.get("/logga-in").await;
    assert!(login_page.body.contains("Logga in med Botkyrkas Entra ID"), "offered by name");
    provision(&app, EVA.2, "Eva Entra", BOTKYRKA_ORG).await;

    let landed = idp.sign_in(&app, &id, EVA).await;
    assert_eq!(landed.status, 303, "{}", landed.body);
    assert_eq!(landed.location(), "/");
    let start = app.get("/").await;
    assert_eq!(start.status, 200);
    assert!(start.body.contains("Eva Entra") && start.body.contains("Botkyrka kommun"), "{}", start.body);
    assert_eq!(audit_details(&app, "sso_linked").len(), 1);
    assert!(audit_details(&app, "sso_linked")[0].starts_with("Botkyrkas Entra ID: tenant-botkyrka/object-eva"), "Entra: tid and oid");
    assert!(audit_details(&app, "login").iter().any(|d| d == "single sign-on: Botkyrkas Entra ID"));
    app.login_as(ADMIN).await;
    let eva = app.texts("SELECT id AS value FROM users WHERE email = 'eva.entra@botkyrka.example'").remove(0);
    assert!(app.get(&format!("/admin/anvandare/{eva}")).await.body.contains("<strong>Inloggningstjänster:</strong> Botkyrkas Entra ID"));

    // The link holds whatever the address: the account is found by issuer and subject.
    app.sql("UPDATE users SET email = 'eva.ny@botkyrka.example' WHERE email = 'eva.entra@botkyrka.example'");
    let again = idp.sign_in(&app, &id, EVA).await;
    assert_eq!(again.status, 303, "{}", again.body);
    assert!(app.get("/").await.body.contains("Eva Entra"));
    assert_eq!(audit_details(&app, "sso_linked").len(), 1, "linked once");

    // The client secret is kept sealed and never shown again.
    let sealed = app.texts("SELECT client_secret_sealed AS value FROM identity_providers").remove(0);
    assert!(!sealed.contains(CLIENT_SECRET));
    app.login_as(ADMIN).await;
    let edit = app.get(&format!("/admin/inloggning/{id}")).await;
    assert!(!edit.body.contains(CLIENT_SECRET) && !edit.body.contains(&sealed));
    assert_eq!(audit_details(&app, "provider_created").len(), 1);
}

#[actix_web::test]
async fn the_organisation_comes_from_the_providers_claim_and_must_match_the_account() {
    let app = spawn_app().await;
    let Some(idp) = Idp::start(&app) else { return };
    // Ivar's token names the region's HSA id; this provider maps it to Botkyrka first.
    let id = register(&app, &idp, "Ineras inloggning", &[("SE2120001231-0001", BOTKYRKA_ORG)], false).await;
    provision(&app, IVAR.2, "Ivar Inera", "region").await;
    let refused = idp.sign_in(&app, &id, IVAR).await;
    assert_eq!(refused.status, 403, "an HSA id the provider may not sign in for: {}", refused.body);
    assert!(refused.body.contains("ingen organisation"), "{}", refused.body);
    assert!(app.cookie("tvs_session").is_none());

    // Mapped to the region: in.
    let values = [("SE2321000016-0001", "region"), ("SE2120001231-0001", BOTKYRKA_ORG)];
    save_provider(&app, &idp, Some(&id), "Ineras inloggning", &values, false).await;
    assert_eq!(audit_details(&app, "provider_changed").len(), 1);
    assert!(audit_details(&app, "provider_changed")[0].contains("SE2321000016-0001=region"));
    let landed = idp.sign_in(&app, &id, IVAR).await;
    assert_eq!(landed.status, 303, "{}", landed.body);
    assert!(app.get("/").await.body.contains("Region Stockholm"));
    assert!(audit_details(&app, "sso_refused").iter().any(|d| d.starts_with("Ineras inloggning: no organisation")));
}

#[actix_web::test]
async fn an_unknown_person_is_refused_or_waits_unconfirmed_where_the_provider_creates_people() {
    let app = spawn_app().await;
    let Some(idp) = Idp::start(&app) else { return };
    let id = register(&app, &idp, "Botkyrkas Entra ID", &[], false).await;
    let refused = idp.sign_in(&app, &id, OLGA).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Du har inget konto i Tvistetrappa"), "{}", refused.body);
    assert!(app.cookie("tvs_session").is_none());
    assert!(audit_details(&app, "sso_refused").iter().any(|d| d == "Botkyrkas Entra ID: no account"));

    let creating = save_provider(&app, &idp, Some(&id), "Botkyrkas Entra ID", &[], true).await;
    let waiting = idp.sign_in(&app, &creating, OLGA).await;
    assert_eq!(waiting.status, 403);
    assert!(waiting.body.contains("väntar på att en administratör bekräftar"), "{}", waiting.body);
    assert!(app.cookie("tvs_session").is_none(), "no rights before confirmation");
    let rows = app.texts("SELECT role || ' ' || organisation_id AS value FROM users WHERE email = 'olga.okand@botkyrka.example' AND NOT active AND awaiting_confirmation");
    assert_eq!(rows, ["local kommun-0127"]);
    let again = idp.sign_in(&app, &creating, OLGA).await;
    assert_eq!(again.status, 403, "still waiting");
    assert_eq!(app.texts("SELECT email AS value FROM users WHERE email LIKE 'olga%'").len(), 1, "created once");

    // An administrator sees and confirms her; then she is in.
    app.login_as(ADMIN).await;
    assert!(app.get("/").await.body.contains("1 person väntar"));
    assert!(app.get("/admin/anvandare").await.body.contains("Väntar på bekräftelse"));
    let user_id = app.texts("SELECT id AS value FROM users WHERE email = 'olga.okand@botkyrka.example'").remove(0);
    let fields = [("name", "Olga Okänd"), ("organisation_id", BOTKYRKA_ORG), ("role", "local"), ("active", "on")];
    let confirmed = app.submit(&format!("/admin/anvandare/{user_id}"), &format!("/admin/anvandare/{user_id}"), &fields).await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    let landed = idp.sign_in(&app, &creating, OLGA).await;
    assert_eq!(landed.status, 303, "{}", landed.body);
    assert!(app.get("/").await.body.contains("Olga Okänd"));
    assert_eq!(audit_details(&app, "sso_user_created").len(), 1);
}

#[actix_web::test]
async fn a_sign_in_leads_back_to_the_page_asked_for_but_never_to_another_site() {
    let Some((app, idp, id)) = eva_at_botkyrka().await else { return };
    // The sign-in page passes on where the person was going.
    app.forget_cookies();
    let asked = app.get("/arenden?sida=2").await;
    let login = app.get(&asked.location()).await;
    let link = between(&login.body, "href=\"/logga-in/via/", "\"");
    assert_eq!(link, format!("{id}?next=%2Farenden%3Fsida%3D2"));
    for (next, lands) in [("%2Farenden%3Fsida%3D2", "/arenden?sida=2"), ("%2F%2Fevil.example", "/"), ("https%3A%2F%2Fevil.example", "/")] {
        app.forget_cookies();
        let Step::BackToApp(answer) = idp.sign_in_from(&app, &format!("/logga-in/via/{id}?next={next}"), EVA.0, EVA.1).await else {
            panic!("no answer")
        };
        let landed = app.get(&answer).await;
        assert_eq!(landed.status, 303, "{}", landed.body);
        assert_eq!(landed.location(), lands, "next={next}");
    }
}

#[actix_web::test]
async fn a_wrong_password_at_the_provider_leaves_the_person_signed_out() {
    let Some((app, idp, id)) = eva_at_botkyrka().await else { return };
    match idp.sign_in_at_provider(&app, &id, EVA.0, "fel-lösenord").await {
        Step::Page { status, body, .. } => {
            assert_eq!(status, 200);
            assert!(body.contains("Fel användarnamn eller lösenord"), "{body}");
        }
        Step::BackToApp(path) => panic!("a wrong password was let through to {path}"),
    }
    assert!(app.cookie("tvs_session").is_none());
    let start = app.get("/").await;
    assert_eq!(start.status, 303);
    assert!(start.location().starts_with("/logga-in"));
}

#[actix_web::test]
async fn a_tampered_state_a_replayed_code_and_a_token_for_another_audience_are_refused() {
    let Some((app, idp, id)) = eva_at_botkyrka().await else { return };
    app.forget_cookies();
    let Step::BackToApp(answer) = idp.sign_in_at_provider(&app, &id, EVA.0, EVA.1).await else { panic!("no answer") };
    let state = between(&answer, "state=", "&");
    let code = between(&answer, "code=", "&");

    let tampered = app.get(&answer.replace(&state, &format!("{}x", &state[..state.len() - 1]))).await;
    assert_eq!(tampered.status, 400, "{}", tampered.body);
    assert!(tampered.body.contains("hörde inte till en inloggning som pågår"));
    assert!(app.cookie("tvs_session").is_none());

    // Another browser (without this one's cookie) cannot finish this browser's sign-in.
    let sso_cookie = app.cookie("tvs_sso").expect("the sign-in cookie");
    app.forget_cookies();
    assert_eq!(app.get(&answer).await.status, 400, "without the browser's cookie");
    app.set_cookie("tvs_sso", &sso_cookie);
    let first = app.get(&answer).await;
    assert_eq!(first.status, 303, "the untampered answer still works once: {}", first.body);
    app.forget_cookies();
    app.set_cookie("tvs_sso", &sso_cookie);
    assert_eq!(app.get(&answer).await.status, 400, "the same answer again");

    // The person said no at the provider: a clear page, nobody signed in.
    app.forget_cookies();
    let Step::BackToApp(declined) = idp.sign_in_at_provider(&app, &id, EVA.0, EVA.1).await else { panic!("no answer") };
    let declined_code = between(&declined, "code=", "&");
    let declined = app.get(&declined.replace(&format!("code={declined_code}"), "error=access_denied")).await;
    assert_eq!(declined.status, 401);
    assert!(declined.body.contains("avbröts eller nekades"), "{}", declined.body);
    assert!(app.cookie("tvs_session").is_none());

    // The code again, under a fresh sign-in's state: the provider refuses it.
    app.forget_cookies();
    let Step::BackToApp(fresh) = idp.sign_in_at_provider(&app, &id, EVA.0, EVA.1).await else { panic!("no answer") };
    let fresh_code = between(&fresh, "code=", "&");
    let replayed = app.get(&fresh.replace(&fresh_code, &code)).await;
    assert_eq!(replayed.status, 401, "{}", replayed.body);
    assert!(app.cookie("tvs_session").is_none());
    assert!(audit_details(&app, "sso_refused").iter().any(|d| d.contains("refused the code")), "{:?}", audit_details(&app, "sso_refused"));

    // An ID token for another client, signed with the provider's real key.
    idp.issue_tokens_for(Some("annan-tjanst")).await;
    app.forget_cookies();
    let Step::BackToApp(foreign) = idp.sign_in_at_provider(&app, &id, EVA.0, EVA.1).await else { panic!("no answer") };
    let refused = app.get(&foreign).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(app.cookie("tvs_session").is_none());
    assert!(audit_details(&app, "sso_refused").iter().any(|d| d.contains("audience")), "{:?}", audit_details(&app, "sso_refused"));
    idp.issue_tokens_for(None).await;
    let fine = idp.sign_in(&app, &id, EVA).await;
    assert_eq!(fine.status, 303, "{}", fine.body);

    // An answer naming another issuer (a mix-up between providers).
    app.forget_cookies();
    let Step::BackToApp(mixed) = idp.sign_in_at_provider(&app, &id, EVA.0, EVA.1).await else { panic!("no answer") };
    let issuer = url::form_urlencoded::byte_serialize(idp.issuer.as_bytes()).collect::<String>();
    let other = url::form_urlencoded::byte_serialize(b"http://127.0.0.1:1").collect::<String>();
    assert!(mixed.contains(&issuer), "{mixed}");
    assert_eq!(app.get(&mixed.replace(&issuer, &other)).await.status, 401);
}

#[actix_web::test]
async fn a_provider_that_restarts_with_a_new_key_still_signs_people_in() {
    let app = spawn_app().await;
    let Some(mut idp) = Idp::start(&app) else { return };
    let id = register(&app, &idp, "Botkyrkas Entra ID", &[], false).await;
    provision(&app, EVA.2, "Eva Entra", BOTKYRKA_ORG).await;
    assert_eq!(idp.sign_in(&app, &id, EVA).await.status, 303);
    idp.restart();
    let after = idp.sign_in(&app, &id, EVA).await;
    assert_eq!(after.status, 303, "signed in with the new key, no restart of the service: {}", after.body);
    assert!(app.get("/").await.body.contains("Eva Entra"));
}

#[actix_web::test]
async fn logging_out_ends_the_session_here_and_at_the_provider() {
    let Some((app, idp, id)) = eva_at_botkyrka().await else { return };
    assert_eq!(idp.sign_in(&app, &id, EVA).await.status, 303);
    let token = app.csrf().await;
    let out = app.post_raw("/logga-ut", &[("csrf", &token)]).await;
    assert_eq!(out.status, 200, "{}", out.body);
    let end_session = between(&out.body, "url=", "\"");
    assert!(end_session.starts_with(&format!("{}/session/end?", idp.issuer)), "{end_session}");
    assert!(end_session.contains("id_token_hint=") && end_session.contains("post_logout_redirect_uri="));
    assert_eq!(app.get("/").await.status, 303, "signed out here");

    // The provider asks, as providers do, and ends its session.
    let Step::Page { url, body, .. } = idp.follow(&app, end_session, None).await else { panic!("no logout question") };
    let action = reqwest::Url::parse(&url).unwrap().join(&between(&body, "action=\"", "\"")).unwrap().to_string();
    let xsrf = between(&body, "name=\"xsrf\" value=\"", "\"");
    match idp.follow(&app, action, Some(vec![("xsrf", xsrf.as_str()), ("logout", "yes")])).await {
        Step::BackToApp(path) => assert_eq!(path, "/logga-in?klart=utloggad"),
        Step::Page { body, .. } => panic!("not sent back: {body}"),
    }
    // Signing in again means typing the password again at the provider.
    app.forget_cookies();
    match idp.sign_in_at_provider(&app, &id, EVA.0, "fel-lösenord").await {
        Step::Page { body, .. } => assert!(body.contains("Fel användarnamn eller lösenord")),
        Step::BackToApp(path) => panic!("the provider's session lived on: {path}"),
    }
}

#[actix_web::test]
async fn a_provider_that_is_down_gets_a_clear_page_and_passwords_still_work() {
    let app = spawn_app().await;
    let Some(mut idp) = Idp::start(&app) else { return };
    let id = register(&app, &idp, "Botkyrkas Entra ID", &[], false).await;
    provision(&app, EVA.2, "Eva Entra", BOTKYRKA_ORG).await;
    idp.stop();
    let down = app.get(&format!("/logga-in/via/{id}")).await;
    assert_eq!(down.status, 503);
    assert!(down.body.contains("Inloggning med Botkyrkas Entra ID fungerar inte just nu"), "{}", down.body);
    assert!(down.body.contains("name=\"password\""), "local sign-in below");
    let local = app.login(BOTKYRKA, DEMO_PASSWORD).await;
    assert_eq!(local.status, 303, "{}", local.body);
    // Back up: signing in through it works again, without restarting the service.
    idp.restart();
    assert_eq!(idp.sign_in(&app, &id, EVA).await.status, 303);
}

#[actix_web::test]
async fn the_admin_form_refuses_shared_entra_endpoints_unreachable_issuers_and_bad_values_at_their_fields() {
    let app = spawn_app().await;
    app.login_as(ADMIN).await;
    let post = |fields: Vec<(&'static str, &'static str)>| async move {
        let mut all = vec![("client_id", "x"), ("client_secret", "y"), ("organisation_from", "fixed"), ("organisation_id", BOTKYRKA_ORG)];
        all.extend(fields);
        all
    };
    let common = app
        .submit(
            "/admin/inloggning/ny",
            "/admin/inloggning/ny",
            &post(vec![("name", "Entra"), ("issuer", "https://login.microsoftonline.com/common/v2.0")]).await,
        )
        .await;
    crate::forms::assert_error_pattern(&common, &["issuer"]);
    assert!(common.body.contains("gemensamma adress"));
    let unreachable =
        app.submit("/admin/inloggning/ny", "/admin/inloggning/ny", &post(vec![("name", "Ingen"), ("issuer", "http://127.0.0.1:1")]).await).await;
    crate::forms::assert_error_pattern(&unreachable, &["issuer"]);
    assert!(unreachable.body.contains("svarar inte med OpenID Connect-uppgifter"));
    let fields = [
        ("name", ""),
        ("issuer", "http://127.0.0.1:1"),
        ("client_id", "x"),
        ("client_secret", ""),
        ("secret_expires_on", "30/6"),
        ("organisation_from", "claim"),
        ("organisation_claim", "hsa org"),
        ("organisation_values", "SE1 = botkyrka-finns-inte"),
    ];
    let bad = app.submit("/admin/inloggning/ny", "/admin/inloggning/ny", &fields).await;
    crate::forms::assert_error_pattern(&bad, &["name", "client_secret", "secret_expires_on", "organisation_claim", "organisation_values"]);
    for message in ["Ange ett namn", "Ange klienthemligheten", "ÅÅÅÅ-MM-DD", "bara innehålla", "Rad 1: det finns ingen organisation"] {
        assert!(bad.body.contains(message), "{message}");
    }
    assert!(app.texts("SELECT id AS value FROM identity_providers").is_empty(), "nothing saved");
}

#[actix_web::test]
async fn a_person_with_a_second_factor_gives_the_code_after_the_provider_and_still_logs_out_of_both() {
    use tvistetrappa::store::second_factor;
    let Some((app, idp, id)) = eva_at_botkyrka().await else { return };
    let user_id = app.texts("SELECT id AS value FROM users WHERE email = 'eva.entra@botkyrka.example'").remove(0);
    {
        let mut conn = app.db();
        second_factor::begin_enrolment(&mut conn, &user_id, &tvistetrappa::security::new_totp_secret()).unwrap();
        second_factor::confirm(&mut conn, &user_id, 0, &[]).unwrap();
    }
    let answer = idp.sign_in(&app, &id, EVA).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(answer.location().starts_with("/logga-in/kod"), "{}", answer.location());
    assert!(app.cookie("tvs_session").is_none(), "not in before the code");
    let code = app.next_totp_code(EVA.2);
    let done = app.submit(&answer.location(), "/logga-in/kod", &[("code", &code), ("next", "/")]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(app.get("/").await.body.contains("Eva Entra"));
    // The session still knows the provider it began at.
    let token = app.csrf().await;
    let out = app.post_raw("/logga-ut", &[("csrf", &token)]).await;
    assert_eq!(out.status, 200);
    assert!(out.body.contains(&format!("{}/session/end?", idp.issuer)), "{}", out.body);
}

#[actix_web::test]
async fn two_first_sign_ins_of_one_person_at_once_link_one_account_and_both_get_in() {
    let app = spawn_app().await;
    let Some(mut idp) = Idp::start(&app) else { return };
    let id = register(&app, &idp, "Botkyrka, skapar konton", &[], true).await;
    provision(&app, EVA.2, "Eva Entra", BOTKYRKA_ORG).await;
    // Two browsers' answers from the provider, neither yet taken.
    let mut answers = Vec::new();
    for person in [EVA, OLGA, EVA, OLGA] {
        app.forget_cookies();
        let Step::BackToApp(path) = idp.sign_in_at_provider(&app, &id, person.0, person.1).await else { panic!("no answer") };
        answers.push((format!("tvs_sso={}", app.cookie("tvs_sso").expect("sign-in cookie")), path));
        // The next person signs in at the provider afresh.
        idp.forget_provider_session();
    }
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(answers.len()));
    let threads: Vec<_> = answers
        .into_iter()
        .map(|(cookies, path)| {
            let (barrier, address) = (barrier.clone(), app.address.clone());
            std::thread::spawn(move || {
                barrier.wait();
                raw_request(&address, &cookies, "GET", &path, "").0
            })
        })
        .collect();
    let mut statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    statuses.sort();
    // Eva is let in twice; Olga's account is created once and waits, twice.
    assert_eq!(statuses, [303, 303, 403, 403]);
    assert_eq!(audit_details(&app, "sso_linked").len(), 1);
    assert_eq!(audit_details(&app, "sso_user_created").len(), 1);
    assert_eq!(
        app.texts("SELECT subject AS value FROM user_identities ORDER BY subject"),
        ["tenant-botkyrka/object-eva", "tenant-botkyrka/object-olga"]
    );
}
