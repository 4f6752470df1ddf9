use clap::{Args, Parser, Subcommand};

/// glibc's allocator spends much of a busy server's time consolidating and locking across
/// worker threads; mimalloc measured markedly faster on the case list (see bench/). Its
/// `override` feature (Cargo.toml) serves the C libraries' malloc too: SQLite's allocations
/// were a fifth of the case list's time in glibc (perf), and the list and case pages gained
/// 7–13 % (A/B, same database, alternating runs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use std::process::ExitCode;
use tvistetrappa::config::{Config, Settings};
use tvistetrappa::{cli, db, demo, store, web};

/// Tvistetrappa: deviations, payment disputes and the payment model of the Stockholm
/// discharge agreement (LUS).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    settings: SettingArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct SettingArgs {
    /// sqlite://PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Address and port to listen on
    #[arg(long, env = "BIND", global = true)]
    bind: Option<String>,
    /// Where users reach the service (links in e-mails); https makes cookies Secure
    #[arg(long, env = "BASE_URL", global = true)]
    base_url: Option<String>,
    /// Folder for the embedded database, the kept secret key and the mail outbox
    #[arg(long, env = "DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Minutes without activity before a session ends
    #[arg(long, env = "SESSION_IDLE_MINUTES", global = true)]
    session_idle_minutes: Option<i64>,
    /// Database connections per app server
    #[arg(long, env = "DATABASE_POOL_SIZE", global = true)]
    pool_size: Option<u32>,
    /// HTTP worker threads (default: one per core)
    #[arg(long, env = "WORKERS", global = true)]
    workers: Option<usize>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service (the default)
    Serve,
    /// Run the database migrations and exit
    Migrate,
    /// Load the demo accounts and demo cases
    Demo,
    /// Add synthetic cases for benchmarks
    Generate {
        /// How many cases
        #[arg(long)]
        cases: usize,
        /// Seed for the random choices
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Manage user accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Import an episode file (all or nothing; a new version of the months it covers)
    Import {
        /// The episode CSV (domain.md §5.1); a pipe works, `-` reads standard input
        #[arg(long)]
        episodes: PathBuf,
    },
    /// Calculate one month's payments from an episode file (no database)
    Calc {
        /// The episode CSV (domain.md §5.1); `-` reads standard input
        #[arg(long)]
        episodes: PathBuf,
        /// The month, YYYY-MM
        #[arg(long)]
        month: String,
        /// json (domain.md §5.6) or table
        #[arg(long, default_value = "json")]
        format: String,
        /// A daily amount for a year, YEAR=AMOUNT (repeatable); overrides the shipped table
        #[arg(long = "rate")]
        rates: Vec<String>,
        /// The officially announced county average of October 2020, e.g. 1.87
        #[arg(long)]
        county_average_oct_2020: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (prints a generated password unless --password-stdin)
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Organisation id (kommun-0127, hsf, storsthlm, …) or kommunkod (0127)
        #[arg(long)]
        organisation: String,
        /// local, reviewer, steering, secretariat or admin
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts
    List,
    /// Change an account's role
    SetRole { email: String, role: String },
    /// Set an account's password (prints a generated one unless --password-stdin) and end its sessions
    SetPassword {
        email: String,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account and end its sessions
    Disable { email: String },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    if let Some(Command::Calc { episodes, month, format, rates, county_average_oct_2020 }) = cli.command {
        return calc(episodes, &month, &format, &rates, county_average_oct_2020.as_deref());
    }
    let s = cli.settings;
    let settings = Settings {
        database_url: s.database_url,
        bind: s.bind,
        base_url: s.base_url,
        secret_key: std::env::var("SECRET_KEY").ok(),
        data_dir: s.data_dir,
        smtp_url: std::env::var("SMTP_URL").ok(),
        mail_from: std::env::var("MAIL_FROM").ok(),
        reminder_working_days: match std::env::var("REMINDER_WORKING_DAYS") {
            Ok(text) => Some(text.trim().parse().map_err(|_| format!("REMINDER_WORKING_DAYS must be a whole number of days, not {text:?}"))?),
            Err(_) => None,
        },
        mail_poll_seconds: seconds("MAIL_POLL_SECONDS")?,
        mail_retry_base_seconds: seconds("MAIL_RETRY_BASE_SECONDS")?,
        mail_lease_seconds: seconds("MAIL_LEASE_SECONDS")?,
        trusted_proxies: std::env::var("TRUSTED_PROXIES").ok(),
        session_idle_minutes: s.session_idle_minutes,
        pool_size: s.pool_size,
        workers: s.workers,
    };
    let config = Config::from_settings(settings).map_err(|e| e.to_string())?;
    let applied = config.database.migrate().map_err(|e| e.to_string())?;
    if !applied.is_empty() {
        log::info!("applied {} migration(s) on {}", applied.len(), config.database.redacted());
    }
    let mut conn = config.database.connect().map_err(|e| e.to_string())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config, conn),
        Command::Migrate => {
            println!("{} is up to date ({} migration(s) applied now)", config.database.redacted(), applied.len());
            Ok(())
        }
        Command::Demo => {
            let created = demo::load(&mut conn, false).map_err(|e| e.to_string())?;
            let cases = demo::load_cases(&mut conn).map_err(|e| e.to_string())?;
            let episodes = demo::load_episodes(&mut conn, &config.data_dir)?;
            print_demo_accounts(created.len());
            println!("{cases} demo case(s) filed, {episodes} demo care episode(s) imported");
            Ok(())
        }
        Command::Generate { cases, seed } => {
            demo::load(&mut conn, false).map_err(|e| e.to_string())?;
            let started = std::time::Instant::now();
            let made = demo::generate_cases(&mut conn, cases, seed).map_err(|e| e.to_string())?;
            println!("{made} cases generated in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::User(command) => user_command(&mut conn, command),
        Command::Import { episodes } => {
            let source = match episodes.file_name() {
                _ if episodes.as_os_str() == "-" => "standard input".to_owned(),
                Some(name) => name.to_string_lossy().into_owned(),
                None => episodes.display().to_string(),
            };
            let started = std::time::Instant::now();
            // A regular file's size gives the bar its end; a pipe has none.
            let size = std::fs::metadata(&episodes).ok().filter(|m| m.is_file()).map(|m| m.len());
            let progress = ImportProgress::new(size);
            // Without a second connection the import goes on alone.
            let mut spare = config.database.kind.writes_in_parallel().then(|| config.database.connect().ok()).flatten();
            let imported =
                tvistetrappa::payment::import::import_file(&mut conn, spare.as_mut(), &episodes, &source, None, &mut |read| progress.show(read))
                    .map_err(|e| e.to_string().trim_end().to_owned())?;
            progress.finish(imported.rows);
            let months: Vec<String> = imported.months.iter().map(|(m, n)| format!("{m} ({n})")).collect();
            println!(
                "import {}: {} rows in {:.1} s, sha256 {}; months: {}",
                imported.id,
                imported.rows,
                started.elapsed().as_secs_f64(),
                imported.sha256,
                months.join(", ")
            );
            Ok(())
        }
        Command::Calc { .. } => unreachable!("calc runs before any database is opened"),
    }
}

/// The import's progress on standard error, by bytes read (rows are counted only once the
/// whole stream is read): a bar with rate and time left on a terminal, or a spinner where the
/// size is unknown (a pipe); a plain line at every tenth of the file otherwise (a log).
struct ImportProgress {
    bar: Option<indicatif::ProgressBar>,
    size: Option<u64>,
    last_tenth: std::cell::Cell<u64>,
}

impl ImportProgress {
    fn new(size: Option<u64>) -> ImportProgress {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| match size {
            Some(size) => indicatif::ProgressBar::new(size).with_style(
                indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes}, {bytes_per_sec}, {elapsed_precise} elapsed, {eta} left")
                    .expect("a valid template"),
            ),
            None => indicatif::ProgressBar::new_spinner().with_style(
                indicatif::ProgressStyle::with_template("{spinner} {bytes} read, {bytes_per_sec}, {elapsed_precise}").expect("a valid template"),
            ),
        });
        ImportProgress { bar, size, last_tenth: std::cell::Cell::new(0) }
    }

    fn show(&self, read: u64) {
        match (&self.bar, self.size) {
            (Some(bar), _) => bar.set_position(read),
            (None, Some(size)) => {
                let tenth = (read * 10 / size.max(1)).min(10);
                if tenth > self.last_tenth.get() {
                    self.last_tenth.set(tenth);
                    eprintln!("read {}% of the file", tenth * 10);
                }
            }
            (None, None) => {}
        }
    }

    fn finish(&self, rows: u64) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!("imported {rows} rows");
    }
}

fn calc(episodes: PathBuf, month: &str, format: &str, rates: &[String], county_average: Option<&str>) -> Result<(), String> {
    use tvistetrappa::domain::payment::{Fraction, Month, Rules};
    use tvistetrappa::payment::calc::{self, Format};
    let month = Month::parse(month).ok_or_else(|| format!("--month {month}: write the month as YYYY-MM"))?;
    let format = match format {
        "json" => Format::Json,
        "table" => Format::Table,
        other => return Err(format!("--format {other}: use json or table")),
    };
    let mut rules = Rules::default();
    for rate in rates {
        let (year, amount) = calc::parse_rate(rate)?;
        rules.daily_rates.insert(year, amount);
    }
    if let Some(average) = county_average {
        let parsed = Fraction::parse_decimal(average).ok_or_else(|| format!("--county-average-oct-2020 {average}: write a number such as 1.87"))?;
        rules.county_average_oct_2020 = Some(parsed);
    }
    let results = if episodes.as_os_str() == "-" {
        calc::calculate(std::io::BufReader::with_capacity(1 << 20, std::io::stdin().lock()), month, &rules)
    } else {
        // A file (not a pipe) is read in one chunk per core.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        calc::calculate_file(&episodes, month, &rules, threads)
    }
    .map_err(|e| e.to_string().trim_end().to_owned())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    calc::write(&mut out, &calc::output(month, &results), format).map_err(|e| e.to_string())
}

fn print_demo_accounts(created: usize) {
    println!("Demo accounts ({created} new), all with the password {}:", demo::DEMO_PASSWORD);
    for user in &demo::DEMO_USERS {
        println!("  {:<38} {:<12} {}", user.email, user.role.as_str(), user.description);
    }
    println!("The administrator also gives a code from an authenticator app with the key {}", demo::DEMO_ADMIN_TOTP_SECRET);
}

/// A whole number of seconds from the environment, if set.
fn seconds(variable: &str) -> Result<Option<u64>, String> {
    match std::env::var(variable) {
        Ok(text) => text.trim().parse().map(Some).map_err(|_| format!("{variable} must be a whole number of seconds, not {text:?}")),
        Err(_) => Ok(None),
    }
}

fn password_from_stdin(wanted: bool) -> Result<Option<String>, String> {
    if !wanted {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| format!("reading the password: {e}"))?;
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

fn user_command(conn: &mut db::DbConn, command: UserCommand) -> Result<(), String> {
    match command {
        UserCommand::Add { email, name, organisation, role, password_stdin } => {
            let password = password_from_stdin(password_stdin)?;
            let generated = password.is_none();
            let password = cli::add_user(conn, &email, &name, &organisation, &role, password, false).map_err(|e| e.to_string())?;
            if generated {
                println!("created {email}; password: {password}");
            } else {
                println!("created {email}");
            }
        }
        UserCommand::List => {
            for line in cli::list(conn).map_err(|e| e.to_string())? {
                println!("{line}");
            }
        }
        UserCommand::SetRole { email, role } => {
            cli::set_role(conn, &email, &role).map_err(|e| e.to_string())?;
            println!("{email} is now {role}");
        }
        UserCommand::SetPassword { email, password_stdin } => {
            let password = password_from_stdin(password_stdin)?;
            let generated = password.is_none();
            let password = cli::set_password(conn, &email, password, false).map_err(|e| e.to_string())?;
            if generated {
                println!("{email} has a new password: {password}");
            } else {
                println!("{email} has a new password");
            }
        }
        UserCommand::Disable { email } => {
            cli::disable(conn, &email).map_err(|e| e.to_string())?;
            println!("{email} is disabled and signed out");
        }
    }
    Ok(())
}

fn serve(config: Config, mut conn: db::DbConn) -> Result<(), String> {
    let loopback = config.listens_on_loopback();
    let empty = store::users::count(&mut conn).map_err(|e| e.to_string())? == 0;
    if empty && !loopback {
        log::warn!("no accounts yet; create the first administrator with: tvistetrappa user add --role admin …");
    }
    if !loopback {
        // The demo password is published in the README: an account that still has it is a
        // way in for anyone who can reach a non-loopback address.
        let exposed = demo::accounts_with_demo_password(&mut conn).map_err(|e| e.to_string())?;
        if !exposed.is_empty() {
            return Err(format!(
                "refusing to serve on {}: these accounts still have the published demo password: {}. \
                 Give each a new password with `tvistetrappa user set-password EMAIL --password-stdin`, \
                 or disable it with `tvistetrappa user disable EMAIL`.",
                config.bind,
                exposed.join(", ")
            ));
        }
    }
    // Demo data, with its published password, only where nobody else can reach it.
    if config.database.kind == db::BackendKind::Sqlite && empty && loopback {
        log::info!("the embedded database has no users: loading the demo data");
        let created = demo::load(&mut conn, false).map_err(|e| e.to_string())?;
        let cases = demo::load_cases(&mut conn).map_err(|e| e.to_string())?;
        let episodes = demo::load_episodes(&mut conn, &config.data_dir)?;
        print_demo_accounts(created.len());
        log::info!("{cases} demo case(s) filed, {episodes} demo care episode(s) imported");
    }
    drop(conn);
    let pool = config.database.pool(config.pool_size).map_err(|e| e.to_string())?;
    // Stops, after its current round, when serve returns.
    let _mail = tvistetrappa::mail::Worker::spawn(pool.clone(), config.clone(), tvistetrappa::mail::Clock::system())?;
    let listener = std::net::TcpListener::bind(&config.bind).map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    log::info!("Tvistetrappa listens on http://{} ({}), database {}", config.bind, config.base_url, config.database.redacted());
    let state = actix_web::web::Data::new(web::AppState {
        config,
        pool,
        sso: Default::default(),
        recent_choices: Default::default(),
        sessions: Default::default(),
    });
    actix_web::rt::System::new().block_on(async move { web::serve(state, listener).map_err(|e| e.to_string())?.await.map_err(|e| e.to_string()) })
}
