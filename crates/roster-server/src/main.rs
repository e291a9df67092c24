//! `roster-server`: serve the Team API, create accounts, seed a scale team, read the outbox.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use roster_server::{Config, Db, Limits, seed};

#[derive(Parser)]
#[command(
    name = "roster-server",
    version,
    about = "The Roster Team API reference server (axum + SQLite)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API. Prints one JSON line on stdout once it accepts connections.
    Serve {
        /// The SQLite database. Its token key is kept beside it as `<db>.key` (made on first
        /// start): back it up apart from the database.
        #[arg(long, env = "ROSTER_DB")]
        db: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080", env = "ROSTER_LISTEN")]
        listen: SocketAddr,
        /// Seed one demo account per preset (only into an empty database) and print their keys.
        #[arg(long)]
        demo: bool,
        /// Base URL of the links handed out (invite links), when it differs from the listen address.
        #[arg(long, env = "ROSTER_PUBLIC_URL")]
        public_url: Option<String>,
        /// smtp:// or smtps:// URL (with credentials) to send e-mail; without it mail stays in the outbox.
        #[arg(long, env = "ROSTER_SMTP_URL")]
        smtp_url: Option<String>,
        #[arg(long, default_value = "Roster <no-reply@roster.invalid>", env = "ROSTER_MAIL_FROM")]
        mail_from: String,
        /// Raise the rate limits far out of the way (load tests from one address).
        #[arg(long)]
        relaxed_limits: bool,
        /// Log as JSON lines (to stderr).
        #[arg(long)]
        log_json: bool,
    },
    /// Create a real account with its first owner; prints the owner's API key once.
    CreateAccount {
        #[arg(long, env = "ROSTER_DB")]
        db: PathBuf,
        #[arg(long)]
        name: String,
        /// One of the presets: owner-member-link, six-roles-2fa, link-email-quotas, admin-member-idp, four-roles-7day.
        #[arg(long)]
        preset: String,
        #[arg(long)]
        owner_email: String,
        #[arg(long, default_value = "Owner")]
        owner_name: String,
    },
    /// Seed a large team for benchmarks; prints its account and owner key as JSON.
    Seed {
        #[arg(long, env = "ROSTER_DB")]
        db: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        members: usize,
        #[arg(long, default_value_t = 2_000)]
        invites: usize,
        #[arg(long, default_value = "owner-member-link")]
        preset: String,
        #[arg(long, default_value = "Scale Test")]
        name: String,
    },
    /// Print the e-mails the server recorded (newest first), e.g. to pick up a link without SMTP.
    Outbox {
        #[arg(long, env = "ROSTER_DB")]
        db: PathBuf,
        /// Only mail to this address.
        #[arg(long)]
        to: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// List the team presets.
    Presets,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            db,
            listen,
            demo,
            public_url,
            smtp_url,
            mail_from,
            relaxed_limits,
            log_json,
        } => {
            init_logs(log_json);
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            rt.block_on(serve(db, listen, demo, public_url, smtp_url, mail_from, relaxed_limits))
        }
        Command::CreateAccount { db, name, preset, owner_email, owner_name } => {
            let db = Db::open(&db)?;
            let acc = seed::create_account(&db, &name, &preset, &owner_email, &owner_name, None)?;
            println!("{}", serde_json::to_string(&acc)?);
            Ok(())
        }
        Command::Seed { db, members, invites, preset, name } => {
            let db = Db::open(&db)?;
            let acc = seed::scale(&db, &name, &preset, members, invites, chrono::Utc::now())?;
            println!("{}", serde_json::to_string(&acc)?);
            Ok(())
        }
        Command::Outbox { db, to, limit } => {
            let db = Db::open(&db)?;
            for mail in roster_server::outbox(&db, to.as_deref(), limit)? {
                println!("{}", serde_json::to_string(&mail)?);
            }
            Ok(())
        }
        Command::Presets => {
            for p in roster_server::PRESETS.iter() {
                println!("{:<20} {}", p.id, p.summary);
            }
            Ok(())
        }
    }
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(
    db_path: PathBuf,
    listen: SocketAddr,
    demo: bool,
    public_url: Option<String>,
    smtp_url: Option<String>,
    mail_from: String,
    relaxed: bool,
) -> anyhow::Result<()> {
    let db = Db::open(&db_path)?;
    let accounts = if demo {
        if roster_server::account_count(&db)? > 0 {
            anyhow::bail!(
                "--demo seeds only an empty database; {} already has accounts. Use a new --db path.",
                db_path.display()
            );
        }
        seed::demo(&db, chrono::Utc::now())?
    } else {
        Vec::new()
    };
    let config = Config {
        db_path,
        listen,
        public_url,
        smtp_url,
        mail_from,
        limits: if relaxed { Limits::relaxed() } else { Limits::default() },
    };
    let server = roster_server::start_with_db(config, db).await?;
    println!("{}", serde_json::json!({"url": server.url, "accounts": accounts}));
    tracing::info!(url = %server.url, demo, "listening");
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}
