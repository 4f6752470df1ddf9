//! End to end in a real headless Chromium, driven over WebDriver (chromedriver).
//! CI installs Debian's `chromium` and `chromium-driver` and sets TVS_REQUIRE_BROWSER=1, so a
//! missing browser fails there; on a developer machine without one the test says so and stops.

use crate::helpers::*;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// What a wait watches the browser for.
enum Watched {
    Url,
    Source,
}

struct Browser {
    driver: Child,
    base: String,
    session: String,
    client: awc::Client,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session closes Chromium; killing only the driver would leave it running.
        use std::io::{Read, Write};
        let address = self.base.trim_start_matches("http://");
        if let Ok(mut stream) = std::net::TcpStream::connect(address) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let request = format!("DELETE /session/{} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", self.session);
            let _ = stream.write_all(request.as_bytes());
            let _ = stream.read_to_end(&mut Vec::new());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    async fn start() -> Option<Browser> {
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        if !std::path::Path::new(&driver_path).exists() || !std::path::Path::new(&chromium).exists() {
            assert!(
                std::env::var("TVS_REQUIRE_BROWSER").is_err(),
                "TVS_REQUIRE_BROWSER is set but {driver_path} or {chromium} is missing: apt-get install chromium chromium-driver"
            );
            eprintln!("browser test not run: install chromium and chromium-driver (Debian) to run it");
            return None;
        }
        let port = free_port();
        let driver =
            Command::new(&driver_path).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start chromedriver");
        let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if client.get(format!("{base}/status")).send().await.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--window-size=1280,1600", format!("--user-data-dir={}", profile.path().display())]
        }}}});
        let mut response = client.post(format!("{base}/session")).send_json(&capabilities).await.expect("new session");
        let body: Value = response.json().limit(1 << 20).await.expect("session json");
        let session = body["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {body}")).to_owned();
        Some(Browser { driver, base, session, client, _profile: profile })
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = match method {
            "GET" => self.client.get(url),
            "DELETE" => self.client.delete(url),
            _ => self.client.post(url),
        };
        let mut response = if method == "POST" { request.send_json(&body).await } else { request.send().await }.expect("webdriver call");
        let value: Value = response.json().limit(64 << 20).await.expect("webdriver json");
        assert!(value["value"].get("error").is_none(), "{method} {path}: {value}");
        value["value"].clone()
    }

    async fn sign_in(&self, base: &str, email: &str) {
        self.call("DELETE", "/cookie", json!({})).await;
        self.goto(&format!("{base}/logga-in")).await;
        self.type_into("#email", email).await;
        self.type_into("#password", DEMO_PASSWORD).await;
        self.click("form[action='/logga-in'] button").await;
        self.wait_for_url(|url| !url.contains("/logga-in")).await;
    }

    /// Files a deviation against Södersjukhuset's ward 52 through the form, as a local
    /// manager does; returns its number.
    async fn file_deviation(&self, base: &str, title: &str) -> String {
        self.goto(&format!("{base}/arenden/nytt?typ=deviation")).await;
        self.type_into("#title", title).await;
        // The counterparts are tick boxes in groups; typing narrows them and opens the group.
        self.type_into("#counterpart-sok", "avdelning 52").await;
        self.click("#counterpart-enh-sos-medicin-52").await;
        self.click("#commitment_id option[value='process.admission-notice']").await;
        self.script("document.getElementById('occurred_from').value = '2026-11-02';").await;
        self.type_into("#description", "Inskrivningsmeddelandet kom aldrig fram.").await;
        self.click("form[action='/arenden/nytt'] button[type=submit]").await;
        let url = self.wait_for_url(|url| url.contains("/arenden/AV-")).await;
        assert!(self.source().await.contains("Ärendet är anmält"));
        url.split("/arenden/").nth(1).unwrap().split('?').next().unwrap().to_owned()
    }

    async fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url})).await;
    }

    async fn find(&self, css: &str) -> String {
        let found = self.call("POST", "/element", json!({"using": "css selector", "value": css})).await;
        found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {found}")).to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call("POST", &format!("/element/{id}/value"), json!({"text": text})).await;
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call("POST", &format!("/element/{id}/click"), json!({})).await;
    }

    async fn script(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", json!({"script": script, "args": []})).await
    }

    async fn url(&self) -> String {
        self.call("GET", "/url", json!({})).await.as_str().unwrap().to_owned()
    }

    /// Waits (up to 20 s) for a URL that `arrived` accepts: on a loaded machine the browser
    /// may still be on its way when a click returns.
    async fn wait_for_url(&self, arrived: impl Fn(&str) -> bool) -> String {
        self.wait_until(Watched::Url, arrived).await
    }

    /// Waits (up to 20 s) for the page to be one that `arrived` accepts.
    async fn wait_for_source(&self, arrived: impl Fn(&str) -> bool) -> String {
        self.wait_until(Watched::Source, arrived).await
    }

    async fn wait_until(&self, watched: Watched, arrived: impl Fn(&str) -> bool) -> String {
        for _ in 0..200 {
            let seen = match watched {
                Watched::Url => self.url().await,
                Watched::Source => self.source().await,
            };
            if arrived(&seen) {
                return seen;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never arrived; still at {}", self.url().await)
    }

    /// Runs `script` as an asynchronous function; it answers by calling its last argument.
    async fn script_async(&self, script: &str) -> Value {
        self.call("POST", "/execute/async", json!({"script": script, "args": []})).await
    }

    /// axe-core's findings on the page as it stands, against WCAG 2.0 and 2.1, A and AA:
    /// one line per rule broken, with where.
    async fn axe_violations(&self, axe: &str) -> Vec<String> {
        // Injected through WebDriver: the service's CSP forbids inline script, this is not.
        self.script(axe).await;
        let found = self
            .script_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                    .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
                    .catch(e => done(['axe failed: ' + e]));",
            )
            .await;
        found.as_array().expect("a list").iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect()
    }

    /// The addresses of the page's links to pages of the service (not downloads).
    async fn links(&self, base: &str) -> Vec<String> {
        let found =
            self.script("return Array.from(document.querySelectorAll('a[href]')).filter(a => !a.hasAttribute('download')).map(a => a.href);").await;
        found
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|v| v.as_str())
            .filter(|href| href.starts_with(base))
            .map(|href| href.split('#').next().unwrap_or_default().to_owned())
            .collect()
    }

    async fn resize(&self, width: u32, height: u32) {
        self.call("POST", "/window/rect", json!({"width": width, "height": height})).await;
    }

    async fn source(&self) -> String {
        self.call("GET", "/source", json!({})).await.as_str().unwrap().to_owned()
    }

    async fn screenshot(&self, name: &str) {
        let data = self.call("GET", "/screenshot", json!({})).await;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("e2e");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), base64_decode(data.as_str().unwrap())).unwrap();
    }
}

/// Standard base64, for the screenshots WebDriver sends.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text.bytes().filter(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/').collect();
    clean
        .chunks(4)
        .flat_map(|chunk| {
            let n = chunk.iter().enumerate().fold(0u32, |acc, (i, c)| acc | (value(*c) as u32) << (18 - 6 * i));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            bytes.into_iter().take(chunk.len().saturating_sub(1))
        })
        .collect()
}

#[actix_web::test]
async fn a_local_manager_files_finds_and_escalates_a_deviation_in_a_real_browser() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start().await else { return };
    let base = &app.address;

    browser.goto(&format!("{base}/")).await;
    assert!(browser.url().await.contains("/logga-in"));
    browser.type_into("#email", BOTKYRKA).await;
    browser.type_into("#password", DEMO_PASSWORD).await;
    browser.click("form[action='/logga-in'] button").await;
    browser.wait_for_url(|url| !url.contains("/logga-in")).await;
    assert!(browser.source().await.contains("Välkommen, Anna Berg"));

    let number = browser.file_deviation(base, "Hemtjänsten nåddes inte i webbläsartestet").await;

    browser.goto(&format!("{base}/arenden")).await;
    browser.type_into("#q", "webbläsartestet").await;
    browser.click("form.filter button[type=submit]").await;
    browser.wait_for_url(|url| url.contains("q=")).await;
    assert!(browser.source().await.contains(&number));
    // The counterpart answers (11.1: solved locally if possible); then the filer may lift it.
    app.login_as("sara.nyberg@sodersjukhuset.example").await;
    assert_eq!(app.act(&number, "answer", &[("text", "Vi skickade meddelandet.")]).await.status, 303);
    browser.click(&format!("a[href='/arenden/{number}']")).await;

    browser.click("details.atgard:has(#escalate-text) summary").await;
    browser.type_into("#escalate-text", "Motparten har inte svarat.").await;
    browser.click("form:has(#escalate-text) button[type=submit]").await;
    browser.wait_for_url(|url| url.contains("klart=sparat")).await;
    let page = browser.source().await;
    assert!(page.contains("Lyftes till nästa nivå"), "{page}");
    assert!(page.contains("Nivå</dt><dd>Storsthlm och HSF"));
    browser.screenshot("escalated-deviation").await;
}

#[actix_web::test]
async fn the_report_page_renders_its_charts_in_a_real_browser() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start().await else { return };
    app.login_as(BOTKYRKA).await;
    for title in ["Hemtjänsten nåddes inte", "SIP kallades för sent"] {
        app.file_case(
            "deviation",
            &[
                ("title", title),
                ("filed_by_org", "kommun-0127"),
                ("counterpart", "kommun-0126"),
                ("commitment_id", "process.sip-called"),
                ("occurred_from", "2026-11-02"),
                ("description", "Beskrivning."),
                ("confirm_holder", "on"),
            ],
        )
        .await;
    }
    let base = &app.address;
    browser.goto(&format!("{base}/logga-in")).await;
    browser.type_into("#email", "lars.ek@storsthlm.example").await;
    browser.type_into("#password", DEMO_PASSWORD).await;
    browser.click("form[action='/logga-in'] button").await;
    browser.wait_for_url(|url| !url.contains("/logga-in")).await;
    browser.goto(&format!("{base}/rapporter/arenden")).await;
    // Each chart is laid out with a real size and carries its text alternative.
    let charts = browser
        .script(
            "return Array.from(document.querySelectorAll('svg.diagram')).map(s => { const r = s.getBoundingClientRect(); \
             return [Math.round(r.width), Math.round(r.height), s.getAttribute('role'), s.querySelector('title').textContent, s.querySelectorAll('rect').length]; });",
        )
        .await;
    let charts = charts.as_array().expect("a list of charts");
    assert_eq!(charts.len(), 3, "{charts:?}");
    for chart in charts {
        assert!(chart[0].as_i64().unwrap() > 200 && chart[1].as_i64().unwrap() >= 20, "a chart of real size: {chart}");
        assert_eq!(chart[2], "img");
    }
    assert_eq!(charts[1][3], "Anmälda ärenden per åtagande");
    assert_eq!(charts[1][4], 1, "one commitment, one bar");
    browser.screenshot("report-with-charts").await;
}

#[actix_web::test]
async fn a_principled_question_climbs_to_vis_enters_the_register_and_is_offered_as_precedent() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start().await else { return };
    let base = &app.address;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("interpretation", &principled_question("Vem utser den fasta vårdkontakten?", "Parterna läser kapitel 4 olika.")).await;
    // Level 2 asks and confirms together; the steering group lifts it to VIS.
    for (who, text) in [
        ("lars.ek@storsthlm.example", "Principiell fråga."),
        ("maria.sund@hsf.example", "HSF instämmer."),
        ("johan.lund@styrgruppen.example", "Till VIS."),
    ] {
        app.login_as(who).await;
        assert_eq!(app.act(&number, "escalate", &[("text", text)]).await.status, 303, "{who}");
    }

    // The secretariat records VIS's decision; an interpretation question enters the register.
    browser.sign_in(base, "karin.wall@vis.example").await;
    browser.goto(&format!("{base}/arenden/{number}")).await;
    assert!(browser.source().await.contains("Nivå</dt><dd>VIS"));
    browser.click("details.atgard:has(#decide-text) summary").await;
    browser.click("#decide-outcome option[value='resolved']").await;
    browser.script("document.getElementById('decide-decided_on').value = '2026-11-20';").await;
    browser.type_into("#decide-reference", "VIS 2026-11-20 § 4").await;
    browser.type_into("#decide-text", "Öppenvården utser den fasta vårdkontakten innan patienten skrivs ut.").await;
    let register =
        browser.script("return [document.getElementById('decide-register').checked, document.getElementById('decide-question').value];").await;
    assert_eq!(register, json!([true, "Vem utser den fasta vårdkontakten?"]), "an interpretation is registered by default, with its question");
    browser.click("form:has(#decide-text) button[type=submit]").await;
    browser.wait_for_url(|url| url.contains("klart=sparat")).await;
    assert!(browser.source().await.contains("Införd i tolkningsregistret"));

    browser.goto(&format!("{base}/tolkningar")).await;
    browser.type_into("#q", "vårdkontakten").await;
    browser.click("form.filter button[type=submit]").await;
    browser.wait_for_url(|url| url.contains("q=")).await;
    let register = browser.source().await;
    assert!(register.contains("Vem utser den fasta vårdkontakten?") && register.contains("VIS 2026-11-20 § 4"), "{register}");

    // Whoever files against the same commitment meets the interpretation first.
    browser.sign_in(base, "erik.holm@huddinge.example").await;
    browser.goto(&format!("{base}/ataganden")).await;
    browser.click("a[href='/arenden/nytt?typ=deviation&atagande=process.outpatient-contact']").await;
    browser.wait_for_url(|url| url.contains("atagande=")).await;
    let form = browser.source().await;
    assert!(form.contains("VIS har tolkat det här åtagandet") && form.contains("Öppenvården utser den fasta vårdkontakten"), "{form}");
    let chosen = browser.script("return document.getElementById('commitment_id').value;").await;
    assert_eq!(chosen, "process.outpatient-contact");
    browser.screenshot("precedent-on-new-case").await;
}

/// axe-core's script, installed at its pinned version by `npm ci --prefix tests/browser`
/// (CI does; TVS_REQUIRE_BROWSER makes its absence a failure).
fn axe_source() -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(_) => {
            assert!(
                std::env::var("TVS_REQUIRE_BROWSER").is_err(),
                "TVS_REQUIRE_BROWSER is set but {} is missing: npm ci --prefix tests/browser",
                path.display()
            );
            eprintln!("accessibility test not run: npm ci --prefix tests/browser installs axe-core");
            None
        }
    }
}

/// The Nu HTML Checker's complaints about `pages` (name, HTML), one line each; None where
/// Java or vnu.jar is missing (which TVS_REQUIRE_BROWSER makes a failure).
fn nu_checker_errors(pages: &[(String, String)]) -> Option<Vec<String>> {
    let jar = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/vnu-jar/build/dist/vnu.jar");
    let java = Command::new("java").arg("-version").stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    if !jar.exists() || !java {
        assert!(std::env::var("TVS_REQUIRE_BROWSER").is_err(), "TVS_REQUIRE_BROWSER is set but java or {} is missing", jar.display());
        eprintln!("HTML check not run: install a Java runtime and npm ci --prefix tests/browser");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    for (i, (_, html)) in pages.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i}.html")), html).unwrap();
    }
    let output =
        Command::new("java").arg("-jar").arg(&jar).args(["--errors-only", "--format", "json"]).arg(dir.path()).output().expect("run vnu.jar");
    let report: Value = serde_json::from_slice(&output.stderr).unwrap_or_else(|_| panic!("vnu: {}", String::from_utf8_lossy(&output.stderr)));
    let errors = report["messages"].as_array().expect("messages").iter().map(|m| {
        let file =
            m["url"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default().trim_end_matches(".html").parse::<usize>().unwrap_or(0);
        format!("{} line {}: {}", pages[file].0, m["lastLine"], m["message"].as_str().unwrap_or_default())
    });
    Some(errors.collect())
}

/// One visit per kind of page: digits stand for any number, query values for any value.
fn page_kind(url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut keys: Vec<&str> = query.split('&').filter_map(|pair| pair.split('=').next()).filter(|k| !k.is_empty()).collect();
    keys.sort_unstable();
    let path: String = path.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect();
    format!("{path}?{}", keys.join("&"))
}

/// Pages a crawl must not open: signing out, and downloads.
fn crawlable(url: &str) -> bool {
    !url.contains("/logga-ut") && !url.contains("/bilagor/") && !url.contains(".csv") && !url.contains(".xlsx")
}

#[actix_web::test]
async fn every_page_of_every_role_passes_axe_core() {
    let app = spawn_app().await;
    let Some(axe) = axe_source() else { return };
    let Some(browser) = Browser::start().await else { return };
    let base = &app.address;
    tvistetrappa::demo::load_cases(&mut app.db()).expect("demo cases");
    tvistetrappa::demo::load_episodes(&mut app.db(), app.config.data_dir.as_path()).expect("demo episodes");
    let mut checked = 0;
    let mut problems = Vec::new();
    // Every page as the server sent it, for the Nu HTML Checker.
    let mut sent = Vec::new();
    for role in [BOTKYRKA, SOS, STORSTHLM, HSF, STEERING, VIS, BOTKYRKA_DIRECTOR, ADMIN] {
        app.login_as(role).await;
        browser.call("DELETE", "/cookie", json!({})).await;
        browser.goto(&format!("{base}/logga-in")).await;
        problems.extend(browser.axe_violations(&axe).await.into_iter().map(|v| format!("/logga-in: {v}")));
        browser.type_into("#email", role).await;
        browser.type_into("#password", DEMO_PASSWORD).await;
        browser.click("form[action='/logga-in'] button").await;
        let url = browser.wait_for_url(|url| !url.ends_with("/logga-in")).await;
        if url.contains("/logga-in/kod") {
            browser.type_into("#code", &app.next_totp_code(role)).await;
            browser.click("form button[type=submit]").await;
            browser.wait_for_url(|url| !url.contains("/logga-in")).await;
        }
        // Breadth first from the start page, one visit per kind of page, at most 40 a role.
        let mut queue = std::collections::VecDeque::from([format!("{base}/")]);
        let mut seen = std::collections::HashSet::new();
        while let Some(url) = queue.pop_front() {
            if seen.len() >= 40 || !seen.insert(page_kind(&url)) {
                continue;
            }
            browser.goto(&url).await;
            checked += 1;
            let path = url.trim_start_matches(base.as_str());
            sent.push((format!("{role} {path}"), app.get(path).await.body));
            problems.extend(browser.axe_violations(&axe).await.into_iter().map(|v| format!("{role} {url}: {v}")));
            queue.extend(browser.links(base).await.into_iter().filter(|l| crawlable(l) && !seen.contains(&page_kind(l))));
        }
        // A refused form too, where the role files cases: the error pattern must pass as well.
        if matches!(role, BOTKYRKA | SOS) {
            browser.goto(&format!("{base}/arenden/nytt?typ=deviation")).await;
            browser.click("form[action='/arenden/nytt'] button[type=submit]").await;
            browser.wait_for_source(|page| page.contains("<title>Fel: ")).await;
            checked += 1;
            problems.extend(browser.axe_violations(&axe).await.into_iter().map(|v| format!("{role} refused new case: {v}")));
        }
    }
    eprintln!("axe-core: {checked} pages, {} violations", problems.len());
    if let Some(errors) = nu_checker_errors(&sent) {
        eprintln!("Nu HTML Checker: {} pages, {} errors", sent.len(), errors.len());
        problems.extend(errors);
    }
    assert!(checked > 100, "the crawl reached {checked} pages");
    assert!(problems.is_empty(), "{} violations on {checked} pages:\n{}", problems.len(), problems.join("\n"));
}

#[actix_web::test]
async fn the_main_pages_reflow_at_320_pixels_and_are_kept_as_screenshots() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start().await else { return };
    let base = &app.address;
    tvistetrappa::demo::load_cases(&mut app.db()).expect("demo cases");
    tvistetrappa::demo::load_episodes(&mut app.db(), app.config.data_dir.as_path()).expect("demo episodes");
    browser.sign_in(base, HSF).await;
    browser.goto(&format!("{base}/arenden")).await;
    let number = browser.links(base).await.into_iter().find(|l| l.contains("/arenden/") && l.contains("-20")).expect("a case in the list");
    let overview = format!("{base}/betalning");
    for (name, url) in [("case-list", format!("{base}/arenden")), ("case-page", number), ("payment-overview", overview)] {
        for width in [320, 1280] {
            browser.resize(width, 1200).await;
            browser.goto(&url).await;
            let sideways = browser.script("return document.documentElement.scrollWidth - document.documentElement.clientWidth;").await;
            assert!(sideways.as_i64().unwrap_or(1) <= 0, "{name} at {width} px scrolls sideways by {sideways} px");
            browser.screenshot(&format!("{name}-{width}")).await;
        }
    }
}

#[actix_web::test]
async fn a_form_filled_in_when_the_session_ends_is_there_again_after_signing_in() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start().await else { return };
    let base = &app.address;
    browser.sign_in(base, BOTKYRKA).await;
    browser.goto(&format!("{base}/arenden/nytt?typ=deviation")).await;
    browser.type_into("#title", "Skrivet när sessionen tog slut").await;
    browser.type_into("#description", "Det här får inte försvinna.").await;
    // The user is away longer than the idle time-out.
    app.expire_sessions();
    browser.click("form[action='/arenden/nytt'] button[type=submit]").await;
    browser.wait_for_url(|url| url.contains("/logga-in")).await;
    assert!(browser.source().await.contains("Det du skrev är sparat"));
    browser.type_into("#email", BOTKYRKA).await;
    browser.type_into("#password", DEMO_PASSWORD).await;
    browser.click("form[action='/logga-in'] button").await;
    browser.wait_for_url(|url| url.contains("/arenden/nytt")).await;
    let title = browser.script("return document.getElementById('title').value;").await;
    let description = browser.script("return document.getElementById('description').value;").await;
    assert_eq!((title.as_str(), description.as_str()), (Some("Skrivet när sessionen tog slut"), Some("Det här får inte försvinna.")));
    assert!(browser.source().await.contains("Du loggades ut eftersom du inte hade varit aktiv"));
    browser.screenshot("form-kept-after-time-out").await;
}

#[actix_web::test]
async fn a_person_signs_in_through_the_provider_files_a_case_and_logs_out_of_both_in_a_real_browser() {
    use crate::sso::{provision, register, Idp, BOTKYRKA_ORG, EVA};
    let app = spawn_app().await;
    let Some(idp) = Idp::start(&app) else { return };
    let Some(browser) = Browser::start().await else { return };
    let base = &app.address;
    let id = register(&app, &idp, "Botkyrkas Entra ID", &[], false).await;
    provision(&app, EVA.2, "Eva Entra", BOTKYRKA_ORG).await;

    browser.goto(&format!("{base}/arenden")).await;
    browser.click(&format!("a[href^='/logga-in/via/{id}']")).await;
    browser.wait_for_url(|url| url.starts_with(&idp.issuer)).await;
    browser.type_into("#username", EVA.0).await;
    browser.type_into("#password", EVA.1).await;
    browser.click("#logga-in").await;
    // Back where the person was going, signed in (the Lax cookies came along).
    browser.wait_for_url(|url| url.starts_with(base.as_str()) && url.ends_with("/arenden")).await;
    assert!(browser.source().await.contains("Eva Entra"));

    let number = browser.file_deviation(base, "Anmält efter inloggning via Entra ID").await;
    assert!(number.starts_with("AV-"));

    browser.click("form[action='/logga-ut'] button").await;
    browser.wait_for_source(|page| page.contains("Vill du logga ut från testleverantören")).await;
    browser.click("button[name=logout]").await;
    browser.wait_for_url(|url| url.ends_with("/logga-in?klart=utloggad")).await;
    browser.goto(&format!("{base}/arenden")).await;
    assert!(browser.url().await.contains("/logga-in?next="), "signed out of the service");
}
