//! One typed configuration, from the environment (flags on the command line override).
//! The defaults run the service on an embedded SQLite file under `./data/`.

use crate::db::{DbError, DbUrl};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone)]
pub struct Config {
    pub database: DbUrl,
    pub pool_size: u32,
    pub bind: String,
    /// Where users reach the service; links in e-mails are built from it.
    pub base_url: String,
    pub secret_key: SecretKey,
    pub data_dir: PathBuf,
    pub mail: MailConfig,
    pub session_idle_minutes: i64,
    pub workers: Option<usize>,
    /// Load balancers whose X-Forwarded-For is believed (TRUSTED_PROXIES).
    pub trusted_proxies: Vec<crate::proxies::Network>,
    /// Cheap password hashing; only the test suite turns this on.
    pub fast_password_hashing: bool,
}

#[derive(Clone, Debug)]
pub struct MailConfig {
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://…` (TLS) or
    /// `smtp://host:25` (plain, inside a trusted network); none = `.eml` files.
    pub smtp_url: Option<String>,
    pub from: String,
    /// How often the sender looks for due messages.
    pub poll: Duration,
    /// The first retry's wait; it doubles per failed attempt.
    pub retry_base: Duration,
    /// How often reminders and digests are looked for.
    pub scan: Duration,
    /// How long a sender's claim on a message holds: longer than one SMTP attempt (20 s), so
    /// a claim never runs out mid-send; a sender that dies leaves the message to others then.
    pub lease: Duration,
    /// Remind the party that is due this many working days before a deadline.
    pub reminder_working_days: u32,
}

/// The key that derives CSRF tokens. It is never printed or logged.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn generate() -> SecretKey {
        use rand::RngCore;
        let mut key = vec![0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        SecretKey(key)
    }

    /// Reads `SECRET_KEY` if given (at least 32 characters), else the key kept in the data
    /// folder, generating and keeping one on first start.
    pub fn load(from_env: Option<&str>, data_dir: &Path) -> Result<SecretKey, ConfigError> {
        if let Some(key) = from_env.filter(|k| !k.is_empty()) {
            if key.len() < 32 {
                return Err(ConfigError("SECRET_KEY must be at least 32 characters".into()));
            }
            return Ok(SecretKey(key.as_bytes().to_vec()));
        }
        let path = data_dir.join("secret_key");
        match std::fs::read_to_string(&path) {
            Ok(text) => hex::decode(text.trim())
                .ok()
                .filter(|k| k.len() >= 32)
                .map(SecretKey)
                .ok_or_else(|| ConfigError(format!("{} is damaged; remove it to make a new key", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SecretKey::generate();
                std::fs::create_dir_all(data_dir)
                    .and_then(|()| write_private(&path, &hex::encode(&key.0)))
                    .map_err(|e| ConfigError(format!("cannot keep a new secret key in {}: {e}", path.display())))?;
                log::info!("generated a new secret key in {}", path.display());
                Ok(key)
            }
            Err(e) => Err(ConfigError(format!("cannot read {}: {e}", path.display()))),
        }
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl From<DbError> for ConfigError {
    fn from(e: DbError) -> Self {
        ConfigError(e.to_string())
    }
}

/// The raw settings, as the CLI collects them from flags and the environment.
#[derive(Debug, Default, Clone)]
pub struct Settings {
    pub database_url: Option<String>,
    pub bind: Option<String>,
    pub base_url: Option<String>,
    pub secret_key: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub reminder_working_days: Option<u32>,
    /// The mail worker's timing, in seconds: poll interval, first retry wait, claim lease.
    pub mail_poll_seconds: Option<u64>,
    pub mail_retry_base_seconds: Option<u64>,
    pub mail_lease_seconds: Option<u64>,
    pub trusted_proxies: Option<String>,
    pub session_idle_minutes: Option<i64>,
    pub pool_size: Option<u32>,
    pub workers: Option<usize>,
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

impl Config {
    pub fn from_settings(settings: Settings) -> Result<Config, ConfigError> {
        let data_dir = settings.data_dir.unwrap_or_else(|| PathBuf::from("data"));
        let database_url = settings
            .database_url
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("tvistetrappa.db").display()));
        let database = DbUrl::parse(&database_url)?;
        let bind = settings.bind.unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let base_url = settings.base_url.filter(|u| !u.trim().is_empty()).unwrap_or_else(|| format!("http://{bind}"));
        let base_url = base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ConfigError(format!("BASE_URL {base_url} must start with http:// or https://")));
        }
        let idle = settings.session_idle_minutes.unwrap_or(30);
        if !(1..=24 * 60).contains(&idle) {
            return Err(ConfigError("SESSION_IDLE_MINUTES must be between 1 and 1440".into()));
        }
        let secret_key = SecretKey::load(settings.secret_key.as_deref(), &data_dir)?;
        let default_pool = match database.kind {
            crate::db::BackendKind::Sqlite => 8,
            crate::db::BackendKind::Postgres => 16,
        };
        Ok(Config {
            database,
            pool_size: settings.pool_size.unwrap_or(default_pool).max(1),
            bind,
            base_url,
            secret_key,
            data_dir,
            mail: MailConfig {
                smtp_url: settings.smtp_url.filter(|u| !u.trim().is_empty()),
                from: settings.mail_from.unwrap_or_else(|| "Tvistetrappa <noreply@tvistetrappa.example>".to_owned()),
                poll: Duration::from_secs(settings.mail_poll_seconds.unwrap_or(2).max(1)),
                retry_base: Duration::from_secs(settings.mail_retry_base_seconds.unwrap_or(30).max(1)),
                scan: Duration::from_secs(60),
                lease: Duration::from_secs(settings.mail_lease_seconds.unwrap_or(60).max(30)),
                reminder_working_days: settings.reminder_working_days.unwrap_or(5),
            },
            session_idle_minutes: idle,
            workers: settings.workers,
            trusted_proxies: crate::proxies::parse_list(settings.trusted_proxies.as_deref().unwrap_or(""))
                .map_err(|entry| ConfigError(format!("TRUSTED_PROXIES: {entry:?} is not an IP address or network (like 10.0.0.0/8)")))?,
            fast_password_hashing: false,
        })
    }

    /// Whether the service listens only on this machine (127.0.0.0/8, ::1 or localhost).
    pub fn listens_on_loopback(&self) -> bool {
        match self.bind.parse::<std::net::SocketAddr>() {
            Ok(address) => address.ip().is_loopback(),
            Err(_) => self.bind.rsplit_once(':').is_some_and(|(host, _)| host == "localhost"),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &Path) -> Settings {
        Settings { data_dir: Some(dir.to_path_buf()), ..Settings::default() }
    }

    #[test]
    fn defaults_run_on_sqlite_under_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_settings(settings(dir.path())).unwrap();
        assert_eq!(config.database.kind, crate::db::BackendKind::Sqlite);
        assert_eq!(config.database.sqlite_path().unwrap(), dir.path().join("tvistetrappa.db"));
        assert_eq!(config.bind, DEFAULT_BIND);
        assert_eq!(config.base_url, "http://127.0.0.1:8080");
        assert!(!config.secure_cookies());
    }

    #[test]
    fn the_secret_key_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = Config::from_settings(settings(dir.path())).unwrap();
        let second = Config::from_settings(settings(dir.path())).unwrap();
        assert_eq!(first.secret_key.bytes(), second.secret_key.bytes());
        assert_eq!(first.secret_key.bytes().len(), 32);
    }

    #[test]
    fn bad_values_are_refused_with_a_message() {
        let dir = tempfile::tempdir().unwrap();
        let short_key = Settings { secret_key: Some("kort".into()), ..settings(dir.path()) };
        assert!(Config::from_settings(short_key).err().unwrap().0.contains("SECRET_KEY"));
        let bad_base = Settings { base_url: Some("ftp://x".into()), ..settings(dir.path()) };
        assert!(Config::from_settings(bad_base).err().unwrap().0.contains("BASE_URL"));
        let bad_db = Settings { database_url: Some("oracle://x".into()), ..settings(dir.path()) };
        assert!(Config::from_settings(bad_db).err().unwrap().0.contains("unknown scheme"));
    }

    #[test]
    fn https_base_url_makes_cookies_secure() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_settings(Settings { base_url: Some("https://tvist.example/".into()), ..settings(dir.path()) }).unwrap();
        assert!(config.secure_cookies());
        assert_eq!(config.base_url, "https://tvist.example");
    }
}
