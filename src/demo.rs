//! Demo data, so that a newcomer sees a living system: one account per role in realistic
//! organisations. Loaded by `tvistetrappa demo` and on the first start of an empty embedded
//! database.

use crate::domain::access::Role;
use crate::security::hash_password;
use crate::store::{users, DbConn, QueryResult};

/// The password of every demo account (listed in the README; demo data only).
pub const DEMO_PASSWORD: &str = "demo-losenord-2026";

pub struct DemoUser {
    pub email: &'static str,
    pub name: &'static str,
    pub organisation_id: &'static str,
    pub role: Role,
    pub description: &'static str,
}

pub const DEMO_USERS: [DemoUser; 10] = [
    DemoUser { email: "anna.berg@botkyrka.example", name: "Anna Berg", organisation_id: "kommun-0127", role: Role::Local, description: "enhetschef, Botkyrka kommun" },
    DemoUser { email: "erik.holm@huddinge.example", name: "Erik Holm", organisation_id: "kommun-0126", role: Role::Local, description: "enhetschef, Huddinge kommun" },
    DemoUser { email: "lena.sjoberg@stockholm.example", name: "Lena Sjöberg", organisation_id: "kommun-0180", role: Role::Local, description: "avdelningschef, Stockholms stad (ser alla stadsdelsområden)" },
    DemoUser { email: "omar.said@stockholm.example", name: "Omar Said", organisation_id: "sdo-sodermalm", role: Role::Local, description: "enhetschef, Södermalms stadsdelsområde" },
    DemoUser { email: "sara.nyberg@sodersjukhuset.example", name: "Sara Nyberg", organisation_id: "enh-sos-medicin-52", role: Role::Local, description: "avdelningschef, Södersjukhuset medicinavdelning 52" },
    DemoUser { email: "lars.ek@storsthlm.example", name: "Lars Ek", organisation_id: "storsthlm", role: Role::Reviewer, description: "handläggare, Storsthlm" },
    DemoUser { email: "maria.sund@hsf.example", name: "Maria Sund", organisation_id: "hsf", role: Role::Reviewer, description: "handläggare, HSF" },
    DemoUser { email: "johan.lund@styrgruppen.example", name: "Johan Lund", organisation_id: "styrgruppen", role: Role::Steering, description: "ledamot, styrgruppen" },
    DemoUser { email: "karin.wall@vis.example", name: "Karin Wall", organisation_id: "vis", role: Role::Secretariat, description: "VIS-sekretariatet" },
    DemoUser { email: "admin@tvistetrappa.example", name: "Alex Admin", organisation_id: "region", role: Role::Admin, description: "administratör" },
];

/// Creates the demo accounts that do not exist yet; returns the ones it created.
pub fn load(conn: &mut DbConn, fast_hashing: bool) -> QueryResult<Vec<&'static DemoUser>> {
    let hash = hash_password(DEMO_PASSWORD, fast_hashing);
    conn.write(|conn| {
        let mut created = Vec::new();
        for demo in &DEMO_USERS {
            if users::by_email(conn, demo.email)?.is_none() {
                users::insert(
                    conn,
                    &users::NewUser {
                        email: demo.email,
                        name: demo.name,
                        organisation_id: demo.organisation_id,
                        role: demo.role,
                        password_hash: &hash,
                    },
                )?;
                created.push(demo);
            }
        }
        Ok(created)
    })
}
