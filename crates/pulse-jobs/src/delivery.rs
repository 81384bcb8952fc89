//! The outbox delivery worker (N3): claim due messages with a lease, send
//! each through its channel, record the outcome; retry with exponential
//! backoff and jitter, dead-letter after [`Policy::max_attempts`].

use pulse_store::outbox::{self, Message};
use pulse_store::{Db, StoreError};
use rand::RngExt;

use crate::channels::{Outgoing, Registry};

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_attempts: i64,
    pub base_delay_ms: i64,
    pub max_delay_ms: i64,
    /// How long a claimed message is held; a worker that dies mid-send loses it after this.
    pub lease_ms: i64,
    pub batch: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: 8,
            base_delay_ms: 5_000,
            max_delay_ms: 3_600_000,
            lease_ms: 60_000,
            batch: 50,
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
}

/// Claims and delivers one batch at `now`. Channels are called one message at
/// a time, in id order, so a chat group reads messages in the order they happened.
pub async fn deliver_once(
    db: &Db,
    channels: &Registry,
    policy: &Policy,
    now: i64,
) -> Result<Round, StoreError> {
    let batch = outbox::claim(db, now, policy.lease_ms, policy.batch).await?;
    let mut round = Round::default();
    for m in batch {
        match send(channels, &m).await {
            Ok(()) => {
                outbox::mark_sent(db, m.id).await?;
                round.sent += 1;
            }
            Err((error, retryable)) => {
                let retry_at = (retryable && m.attempts < policy.max_attempts).then(|| {
                    let unit: f64 = rand::rng().random();
                    now + pulse_domain::delivery::backoff_ms(
                        m.attempts as u32,
                        policy.base_delay_ms,
                        policy.max_delay_ms,
                        unit,
                    )
                });
                if retry_at.is_some() {
                    round.retried += 1;
                } else {
                    round.dead += 1;
                }
                tracing::warn!(id = m.id, attempt = m.attempts, %error, dead = retry_at.is_none(), "notification not delivered");
                outbox::mark_failed(db, m.id, &error, retry_at).await?;
            }
        }
    }
    Ok(round)
}

async fn send(channels: &Registry, m: &Message) -> Result<(), (String, bool)> {
    let Some(channel) = channels.get(&m.target) else {
        return Err((format!("渠道“{}”未配置或已停用", m.target), false));
    };
    if channel.kind() != m.channel {
        return Err((
            format!(
                "渠道“{}”的类型是 {}，不是 {}",
                m.target,
                channel.kind(),
                m.channel
            ),
            false,
        ));
    }
    channel
        .send(&Outgoing {
            subject: &m.subject,
            body: &m.body,
            link: None,
            recipient: &m.recipient,
        })
        .await
        .map_err(|e| (e.message, e.retryable))
}

/// Runs the worker until `shutdown` fires: reload channel settings, deliver,
/// sleep a little when idle.
/// A channel's settings as compared between rounds: name, kind, JSON, enabled.
type SettingsKey = (String, String, String, i64);

pub async fn run(db: Db, policy: Policy, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let client = crate::channels::http_client();
    // Channels are rebuilt only when their settings change, so state such as a
    // cached WeChat Work access token survives between rounds.
    let mut current: Option<(Vec<SettingsKey>, Registry)> = None;
    loop {
        match outbox::channels(&db).await {
            Ok(configs) => {
                let key: Vec<_> = configs
                    .iter()
                    .map(|c| {
                        (
                            c.name.clone(),
                            c.kind.clone(),
                            c.config_json.clone(),
                            c.enabled,
                        )
                    })
                    .collect();
                if current.as_ref().is_none_or(|(k, _)| *k != key) {
                    current = Some((key, Registry::from_configs(&configs, &client)));
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read channel settings"),
        }
        let registry = current.as_ref().map(|(_, r)| r.clone()).unwrap_or_default();
        let idle = match deliver_once(&db, &registry, &policy, db.now_ms()).await {
            Ok(r) => r.sent + r.retried + r.dead == 0,
            Err(e) => {
                tracing::warn!(error = %e, "outbox delivery round failed");
                true
            }
        };
        let pause = if idle {
            std::time::Duration::from_secs(2)
        } else {
            std::time::Duration::ZERO
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
    }
}
