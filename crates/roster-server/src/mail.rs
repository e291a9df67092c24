//! Outgoing e-mail. Every message is first written to the outbox table in the same
//! transaction as the change that caused it, so none is lost; a background task then sends
//! it over SMTP when one is configured. Without SMTP the outbox is the delivery (read it with
//! `roster-server outbox`) and the log says so, naming recipient and subject only: bodies
//! carry links with tokens, which never go to the log.

use std::sync::Arc;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rusqlite::{Transaction, params};
use tokio::sync::Notify;

use crate::db::{self, Db};
use crate::tokens::{self, Sealer};

pub struct Mail<'a> {
    pub account_id: Option<i64>,
    pub kind: &'a str,
    pub to: &'a str,
    pub subject: String,
    pub body: String,
    /// The link token in `body`: stored sealed, a placeholder in its place (`tokens`).
    pub secret: Option<&'a str>,
}

pub fn enqueue(
    tx: &Transaction<'_>,
    now: chrono::DateTime<chrono::Utc>,
    sealer: &Sealer,
    mail: Mail<'_>,
) -> rusqlite::Result<()> {
    let (body, sealed) = match mail.secret.filter(|s| !s.is_empty()) {
        Some(secret) => (mail.body.replace(secret, tokens::PLACEHOLDER), Some(sealer.seal(secret))),
        None => (mail.body, None),
    };
    tx.execute(
        "INSERT INTO outbox (account_id, kind, to_addr, subject, body, created_at, secret_sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![mail.account_id, mail.kind, mail.to, mail.subject, body, db::ts(now), sealed],
    )?;
    Ok(())
}

/// A stored mail's text as it is sent: its sealed token back in place of the placeholder.
/// A token this server's key cannot open leaves the placeholder (and the mail unusable).
pub fn render(body: String, sealed: Option<&[u8]>, sealer: &Sealer) -> String {
    match sealed.and_then(|s| sealer.open(s)) {
        Some(token) => body.replace(tokens::PLACEHOLDER, &token),
        None => body,
    }
}

#[derive(Clone)]
pub struct Mailer {
    wake: Arc<Notify>,
}

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn start(db: Db, smtp_url: Option<&str>, from: &str) -> anyhow::Result<Mailer> {
        let smtp = match smtp_url {
            Some(url) => Some(Smtp {
                transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| {
                        anyhow::anyhow!("--smtp-url is not a valid smtp:// or smtps:// URL: {e}")
                    })?
                    .build(),
                from: from
                    .parse()
                    .map_err(|e| anyhow::anyhow!("--mail-from is not a valid address: {e}"))?,
            }),
            None => None,
        };
        let wake = Arc::new(Notify::new());
        tokio::spawn(deliver_loop(db, smtp, wake.clone()));
        Ok(Mailer { wake })
    }

    /// Call after committing a transaction that enqueued mail.
    pub fn kick(&self) {
        self.wake.notify_one();
    }
}

async fn deliver_loop(db: Db, smtp: Option<Smtp>, wake: Arc<Notify>) {
    let mut last_seen = 0i64;
    let sealer = db.sealer();
    loop {
        let sealer = sealer.clone();
        let pending = db
            .read(move |tx| {
                let mut st = tx.prepare(
                    "SELECT id, kind, to_addr, subject, body, secret_sealed FROM outbox WHERE id > ?1 AND sent_at IS NULL ORDER BY id LIMIT 100",
                )?;
                let rows = st
                    .query_map([last_seen], |r| {
                        let sealed: Option<Vec<u8>> = r.get(5)?;
                        let body = render(r.get(4)?, sealed.as_deref(), &sealer);
                        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, body))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
            .unwrap_or_default();
        let full_batch = pending.len() == 100;
        for (id, kind, to, subject, body) in pending {
            last_seen = id;
            let Some(smtp) = &smtp else {
                tracing::info!(
                    outbox_id = id,
                    kind,
                    to,
                    subject,
                    "mail recorded in the outbox (no SMTP configured)"
                );
                continue;
            };
            let result = match to.parse::<Mailbox>() {
                Ok(to_box) => match Message::builder()
                    .from(smtp.from.clone())
                    .to(to_box)
                    .subject(&subject)
                    .body(body)
                {
                    Ok(msg) => {
                        smtp.transport.send(msg).await.map(|_| ()).map_err(|e| e.to_string())
                    }
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(format!("bad recipient: {e}")),
            };
            let (sent_at, error) = match &result {
                Ok(()) => {
                    tracing::info!(outbox_id = id, kind, to, subject, "mail sent");
                    (Some(db::ts(chrono::Utc::now())), None)
                }
                Err(e) => {
                    tracing::warn!(outbox_id = id, kind, to, error = %e, "mail not sent; it stays in the outbox");
                    (None, Some(e.clone()))
                }
            };
            let _ = db
                .write(move |tx| {
                    tx.execute(
                        "UPDATE outbox SET sent_at = ?2, error = ?3 WHERE id = ?1",
                        params![id, sent_at, error],
                    )?;
                    Ok(())
                })
                .await;
        }
        if !full_batch {
            wake.notified().await;
        }
    }
}
