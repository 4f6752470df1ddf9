//! Demo data, so that a newcomer sees a living system: one account per role in realistic
//! organisations. Loaded by `tvistetrappa demo` and on the first start of an empty embedded
//! database.

use crate::domain::access::Role;
use crate::domain::ladder::{CaseKind, Command};
use crate::security::hash_password;
use crate::store::cases::{self, NewCase};
use crate::store::{organisations, users, DbConn, QueryResult};

/// The password of every demo account (listed in the README; demo data only).
pub const DEMO_PASSWORD: &str = "demo-losenord-2026";

pub struct DemoUser {
    pub email: &'static str,
    pub name: &'static str,
    pub organisation_id: &'static str,
    pub role: Role,
    pub description: &'static str,
    /// Holds the director capacity for their side (domain.md §4.1).
    pub director: bool,
}

pub const DEMO_USERS: [DemoUser; 12] = [
    DemoUser {
        email: "anna.berg@botkyrka.example",
        name: "Anna Berg",
        organisation_id: "kommun-0127",
        role: Role::Local,
        description: "enhetschef, Botkyrka kommun",
        director: false,
    },
    DemoUser {
        email: "erik.holm@huddinge.example",
        name: "Erik Holm",
        organisation_id: "kommun-0126",
        role: Role::Local,
        description: "enhetschef, Huddinge kommun",
        director: false,
    },
    DemoUser {
        email: "lena.sjoberg@stockholm.example",
        name: "Lena Sjöberg",
        organisation_id: "kommun-0180",
        role: Role::Local,
        description: "avdelningschef, Stockholms stad (ser alla stadsdelsområden)",
        director: false,
    },
    DemoUser {
        email: "omar.said@stockholm.example",
        name: "Omar Said",
        organisation_id: "sdo-sodermalm",
        role: Role::Local,
        description: "enhetschef, Södermalms stadsdelsområde",
        director: false,
    },
    DemoUser {
        email: "sara.nyberg@sodersjukhuset.example",
        name: "Sara Nyberg",
        organisation_id: "enh-sos-medicin-52",
        role: Role::Local,
        description: "avdelningschef, Södersjukhuset medicinavdelning 52",
        director: false,
    },
    DemoUser {
        email: "lars.ek@storsthlm.example",
        name: "Lars Ek",
        organisation_id: "storsthlm",
        role: Role::Reviewer,
        description: "handläggare, Storsthlm",
        director: false,
    },
    DemoUser {
        email: "maria.sund@hsf.example",
        name: "Maria Sund",
        organisation_id: "hsf",
        role: Role::Reviewer,
        description: "handläggare, HSF",
        director: false,
    },
    DemoUser {
        email: "johan.lund@styrgruppen.example",
        name: "Johan Lund",
        organisation_id: "styrgruppen",
        role: Role::Steering,
        description: "ledamot, styrgruppen",
        director: false,
    },
    DemoUser {
        email: "karin.wall@vis.example",
        name: "Karin Wall",
        organisation_id: "vis",
        role: Role::Secretariat,
        description: "VIS-sekretariatet",
        director: false,
    },
    DemoUser {
        email: "karl.strand@botkyrka.example",
        name: "Karl Strand",
        organisation_id: "kommun-0127",
        role: Role::Local,
        description: "socialdirektör, Botkyrka kommun (direktörsnivå)",
        director: true,
    },
    DemoUser {
        email: "eva.linde@hsf.example",
        name: "Eva Linde",
        organisation_id: "hsf",
        role: Role::Local,
        description: "hälso- och sjukvårdsdirektör, HSF (direktörsnivå)",
        director: true,
    },
    DemoUser {
        email: "admin@tvistetrappa.example",
        name: "Alex Admin",
        organisation_id: "region",
        role: Role::Admin,
        description: "administratör",
        director: false,
    },
];

/// The demo administrator's second factor (published like the password, loopback only):
/// add it to an authenticator app, or `oathtool --totp -b` it.
pub const DEMO_ADMIN_TOTP_SECRET: &str = "KRVGS43UMV2GC5DSMFYHAYJSGAZDMYLE";

/// The demo accounts that still exist, are active and still have the demo password.
pub fn accounts_with_demo_password(conn: &mut DbConn) -> QueryResult<Vec<&'static str>> {
    let mut exposed = Vec::new();
    for demo in &DEMO_USERS {
        if let Some((_, hash)) = users::credentials(conn, demo.email)? {
            if crate::security::verify_password(DEMO_PASSWORD, Some(&hash), false) {
                exposed.push(demo.email);
            }
        }
    }
    Ok(exposed)
}

/// Creates the demo accounts that do not exist yet; returns the ones it created.
pub fn load(conn: &mut DbConn, fast_hashing: bool) -> QueryResult<Vec<&'static DemoUser>> {
    let hash = hash_password(DEMO_PASSWORD, fast_hashing);
    conn.write(|conn| {
        let mut created = Vec::new();
        for demo in &DEMO_USERS {
            if users::by_email(conn, demo.email)?.is_none() {
                let id = users::insert(
                    conn,
                    &users::NewUser {
                        email: demo.email,
                        name: demo.name,
                        organisation_id: demo.organisation_id,
                        role: demo.role,
                        password_hash: &hash,
                        director: demo.director,
                        awaiting_confirmation: false,
                    },
                )?;
                if crate::domain::access::requires_second_factor(demo.role) {
                    crate::store::second_factor::begin_enrolment(conn, &id, DEMO_ADMIN_TOTP_SECRET)?;
                    crate::store::second_factor::confirm(conn, &id, 0, &[])?;
                }
                created.push(demo);
            }
        }
        Ok(created)
    })
}

/// A demo case and the steps it has taken: (who, action, text).
struct DemoCase {
    kind: CaseKind,
    title: &'static str,
    description: &'static str,
    filed_by: (&'static str, &'static str),
    counterparts: &'static [&'static str],
    commitment: Option<&'static str>,
    principled: bool,
    payment: Option<(&'static str, &'static str, i64)>,
    steps: &'static [(&'static str, Command, &'static str)],
}

const DEMO_CASES: [DemoCase; 6] = [
    DemoCase {
        kind: CaseKind::Deviation,
        title: "SIP kallades inte inom tre dagar",
        description:
            "Fast vårdkontakt kallade till SIP först sju dagar efter meddelandet om utskrivningsklar. Kommunen kunde inte planera insatserna i tid.",
        filed_by: ("anna.berg@botkyrka.example", "kommun-0127"),
        counterparts: &["enh-sos-medicin-52"],
        commitment: Some("process.sip-called"),
        principled: false,
        payment: None,
        steps: &[(
            "sara.nyberg@sodersjukhuset.example",
            Command::Answer,
            "Avdelningen hade hög belastning; vi ser över rutinen för att kalla till SIP.",
        )],
    },
    DemoCase {
        kind: CaseKind::Deviation,
        title: "Utskrivningsklar meddelades efter kl. 12",
        description: "Under oktober kom flera meddelanden om utskrivningsklar efter kl. 12.00 utan att dag noll flyttades.",
        filed_by: ("erik.holm@huddinge.example", "kommun-0126"),
        counterparts: &["enh-karolinska-huddinge-akutgeriatrik"],
        commitment: Some("process.ready-notice"),
        principled: false,
        payment: None,
        steps: &[],
    },
    DemoCase {
        kind: CaseKind::Deviation,
        title: "Helgutskrivningar utan kontakt med hemtjänsten",
        description: "Patienter skrivs ut på lördagar utan att hemtjänsten nåtts. Frågan rör flera stadsdelsområden och sjukhus.",
        filed_by: ("omar.said@stockholm.example", "sdo-sodermalm"),
        counterparts: &["region"],
        commitment: Some("availability.staffing"),
        principled: true,
        payment: None,
        steps: &[(
            "lars.ek@storsthlm.example",
            Command::Assess,
            "Storsthlm bedömer att bemanningen under helger inte motsvarar åtagandet i kapitel 5.",
        )],
    },
    DemoCase {
        kind: CaseKind::Interpretation,
        title: "Räknas dag noll in i genomsnittet?",
        description: "Parterna läser avsnitt 12.2 olika: ska vårdtillfällen med noll utskrivningsklara dagar ingå i genomsnittet?",
        filed_by: ("anna.berg@botkyrka.example", "kommun-0127"),
        counterparts: &["region"],
        commitment: Some("invoicing.routines"),
        principled: true,
        payment: None,
        steps: &[
            ("lars.ek@storsthlm.example", Command::Assess, "Storsthlm: dag noll ingår enligt bilaga 1."),
            ("maria.sund@hsf.example", Command::Assess, "HSF: delar Storsthlms bedömning men ser behov av ett förtydligande."),
            ("maria.sund@hsf.example", Command::Escalate, "Frågan är principiell och bör avgöras av styrgruppen."),
            ("lars.ek@storsthlm.example", Command::Escalate, "Storsthlm instämmer: frågan lyfts till styrgruppen."),
        ],
    },
    DemoCase {
        kind: CaseKind::PaymentDispute,
        title: "Fakturaunderlag september: fel betalningsansvarig kommun",
        description: "Tre vårdtillfällen är registrerade på Botkyrka men personerna är folkbokförda i Huddinge.",
        filed_by: ("anna.berg@botkyrka.example", "kommun-0127"),
        counterparts: &["hsf"],
        commitment: None,
        principled: false,
        payment: Some(("2026-09", "kommun-0127", 186_000)),
        steps: &[
            ("maria.sund@hsf.example", Command::Answer, "Underlaget från IT-stödet visar Botkyrka som folkbokföringskommun."),
            ("anna.berg@botkyrka.example", Command::Escalate, "Vi har folkbokföringsuppgifter som visar annat; lyfts till direktörsnivå."),
        ],
    },
    DemoCase {
        kind: CaseKind::Deviation,
        title: "Fast vårdkontakt utsågs inte",
        description: "Ingen fast vårdkontakt utsågs trots att personen behövde fortsatta insatser från öppenvården.",
        filed_by: ("omar.said@stockholm.example", "sdo-sodermalm"),
        counterparts: &["enh-vc-sodermalm"],
        commitment: Some("process.outpatient-contact"),
        principled: false,
        payment: None,
        steps: &[],
    },
];

/// Files the demo cases (once: only into a database without cases) and walks them to the
/// levels they are shown at. Returns how many it filed.
pub fn load_cases(conn: &mut DbConn) -> QueryResult<usize> {
    if cases::count(conn)? > 0 {
        return Ok(0);
    }
    let today = crate::store::today();
    conn.write(|conn| {
        for demo in &DEMO_CASES {
            let filer = users::by_email(conn, demo.filed_by.0)?.ok_or(diesel::result::Error::NotFound)?;
            let new = NewCase {
                kind: demo.kind,
                title: demo.title.into(),
                description: demo.description.into(),
                consequences: String::new(),
                commitment_id: demo.commitment.map(Into::into),
                filed_by_org: demo.filed_by.1.into(),
                filed_by_user: filer.id.clone(),
                filer_registration: None,
                counterparts: demo.counterparts.iter().map(|c| c.to_string()).collect(),
                principled: demo.principled,
                occurred_from: today - chrono::Days::new(14),
                occurred_to: None,
                payment_month: demo.payment.map(|p| p.0.into()),
                billing_unit_id: demo.payment.map(|p| p.1.into()),
                amount_sek: demo.payment.map(|p| p.2),
            };
            let number = cases::create(conn, &new, today)?;
            for (email, command, text) in demo.steps {
                let user = users::by_email(conn, email)?.ok_or(diesel::result::Error::NotFound)?;
                let (case, parties, _) = cases::with_parties(conn, &number)?.ok_or(diesel::result::Error::NotFound)?;
                let subtree = organisations::subtree(conn, &user.organisation_id)?;
                let actor = cases::ladder_actor(&user, &subtree, &parties);
                let state = case.state(&parties, today);
                // The demo steps are written to be allowed; a refused one is a bug in this table.
                let transition = state.apply(&actor, *command).map_err(|refusal| {
                    diesel::result::Error::QueryBuilderError(format!("demo step {command:?} on {number} refused: {refusal:?}").into())
                })?;
                cases::record_transition(conn, &case, &state, &transition, *command, text, &user)?;
            }
        }
        Ok(DEMO_CASES.len())
    })
}

/// Synthetic cases for benchmarks: `count` cases among the registry's parties, about a third
/// of them closed. Deterministic for a given `seed`.
pub fn generate_cases(conn: &mut DbConn, count: usize, seed: u64) -> QueryResult<usize> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let parties: Vec<String> = organisations::all(conn)?
        .into_iter()
        .filter(|o| {
            use crate::domain::registry::OrganisationKind as Kind;
            matches!(o.kind, Kind::Municipality | Kind::District | Kind::InpatientUnit | Kind::OutpatientUnit | Kind::CareProvider)
        })
        .map(|o| o.id)
        .collect();
    let filer = users::by_email(conn, DEMO_USERS[0].email)?.ok_or(diesel::result::Error::NotFound)?;
    let today = crate::store::today();
    let kinds = [CaseKind::Deviation, CaseKind::Deviation, CaseKind::Deviation, CaseKind::Interpretation, CaseKind::PaymentDispute];
    let mut made = 0;
    while made < count {
        let batch = (count - made).min(1000);
        conn.write(|conn| {
            for i in 0..batch {
                let kind = kinds[rng.gen_range(0..kinds.len())];
                let filed_by = parties[rng.gen_range(0..parties.len())].clone();
                let mut counterpart = parties[rng.gen_range(0..parties.len())].clone();
                if counterpart == filed_by {
                    counterpart = "region".into();
                }
                let commitment = crate::domain::commitments::CATALOGUE[rng.gen_range(0..crate::domain::commitments::CATALOGUE.len())].id;
                let new = NewCase {
                    kind,
                    title: format!("Genererat ärende {} om {}", made + i + 1, commitment),
                    description: "Syntetiskt ärende för prestandamätning.".into(),
                    consequences: String::new(),
                    commitment_id: (kind != CaseKind::PaymentDispute).then(|| commitment.into()),
                    filed_by_org: filed_by,
                    filed_by_user: filer.id.clone(),
                    filer_registration: None,
                    counterparts: vec![counterpart],
                    principled: rng.gen_bool(0.1),
                    occurred_from: today - chrono::Days::new(rng.gen_range(0..700)),
                    occurred_to: None,
                    payment_month: (kind == CaseKind::PaymentDispute).then(|| "2026-09".into()),
                    billing_unit_id: (kind == CaseKind::PaymentDispute).then(|| "kommun-0127".into()),
                    amount_sek: (kind == CaseKind::PaymentDispute).then(|| rng.gen_range(1_000..500_000)),
                };
                let number = cases::create(conn, &new, today)?;
                if rng.gen_bool(0.33) {
                    cases::close_generated(conn, &number)?;
                }
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        made += batch;
    }
    Ok(made)
}

/// Demo care episodes for 2022-01 to 2022-03 (a few hundred, deterministic), imported once
/// like any file, so that the payment pages have something to show.
pub fn load_episodes(conn: &mut DbConn, data_dir: &std::path::Path) -> Result<u64, String> {
    use rand::{Rng, SeedableRng};
    if !crate::store::episodes::imports(conn).map_err(|e| e.to_string())?.is_empty() {
        return Ok(0);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(2022);
    let units = [("0127", ""), ("0126", ""), ("0136", ""), ("0182", ""), ("0180", "Södermalm"), ("0180", "Bromma"), ("0188", "")];
    let mut csv = String::from("episode_id,municipality_code,district,care_type,care_provider,admission_notice_at,ready_notice_at,discharged_at,needs_sip,sip_called_at,patient_declined,aged_65_or_over,unplanned_readmission_within_7_days\n");
    for i in 0..600 {
        let (code, district) = units[rng.gen_range(0..units.len())];
        let ready = chrono::NaiveDate::from_ymd_opt(2022, 1, 1)
            .expect("date")
            .and_hms_opt(rng.gen_range(7..17), [0, 30][rng.gen_range(0..2)], 0)
            .expect("time")
            + chrono::Duration::days(rng.gen_range(0..88));
        let discharged = ready + chrono::Duration::hours(rng.gen_range(0..24 * 5));
        let psychiatric = rng.gen_bool(0.08);
        let needs_sip = rng.gen_bool(0.3);
        let aged = rng.gen_bool(0.7);
        let sip = if needs_sip { (ready + chrono::Duration::days(rng.gen_range(0..5))).format("%Y-%m-%d %H:%M").to_string() } else { String::new() };
        csv.push_str(&format!(
            "demo-{i:04},{code},{district},{},{},{},{},{},{},{sip},{},{},{}\n",
            if psychiatric { "psychiatric" } else { "somatic" },
            if psychiatric { "SLSO" } else { "" },
            (ready - chrono::Duration::days(4)).format("%Y-%m-%d %H:%M"),
            ready.format("%Y-%m-%d %H:%M"),
            discharged.format("%Y-%m-%d %H:%M"),
            if needs_sip { "ja" } else { "nej" },
            if rng.gen_bool(0.03) { "ja" } else { "" },
            if aged { "ja" } else { "nej" },
            if aged && rng.gen_bool(0.12) { "ja" } else { "nej" },
        ));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| e.to_string())?;
    let path = data_dir.join("demo-vardtillfallen.csv");
    std::fs::write(&path, csv).map_err(|e| e.to_string())?;
    let imported = crate::payment::import::import_file(conn, None, &path, "demo-vardtillfallen.csv", None, &mut |_| {}).map_err(|e| e.to_string());
    let _ = std::fs::remove_file(&path);
    Ok(imported?.rows)
}
