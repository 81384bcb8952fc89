//! WeChat Work's `access_token` cache, shared by the sign-in and the
//! app-message channel: one token per app (corp id, agent id), renewed five
//! minutes before its `expires_in` runs out so none expires mid-call.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

#[derive(Default)]
pub struct TokenCache {
    /// (corp id, agent id) → (token, renew after).
    tokens: Mutex<HashMap<(String, i64), (String, Instant)>>,
}

impl TokenCache {
    /// The app's token while it is fresh.
    pub async fn fresh(&self, corp_id: &str, agent_id: i64) -> Option<String> {
        let tokens = self.tokens.lock().await;
        tokens
            .get(&(corp_id.to_string(), agent_id))
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(t, _)| t.clone())
    }

    /// Keeps a token `gettoken` answered with its `expires_in` (seconds).
    pub async fn keep(&self, corp_id: &str, agent_id: i64, token: &str, expires_in: Option<u64>) {
        self.tokens.lock().await.insert(
            (corp_id.to_string(), agent_id),
            (token.to_string(), Instant::now() + renew_after(expires_in)),
        );
    }
}

/// How long a token is used: five minutes short of its lifetime (7,200 s
/// when unsaid), never under a minute.
pub fn renew_after(expires_in: Option<u64>) -> Duration {
    Duration::from_secs(expires_in.unwrap_or(7200).saturating_sub(300).max(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_renewed_five_minutes_early_and_never_within_a_minute() {
        assert_eq!(renew_after(Some(7200)), Duration::from_secs(6900));
        assert_eq!(renew_after(None), Duration::from_secs(6900));
        assert_eq!(renew_after(Some(200)), Duration::from_secs(60));
    }

    #[tokio::test]
    async fn each_app_has_its_own_token() {
        let c = TokenCache::default();
        c.keep("corp", 1, "t1", Some(7200)).await;
        assert_eq!(c.fresh("corp", 1).await.as_deref(), Some("t1"));
        assert_eq!(c.fresh("corp", 2).await, None);
        c.keep("corp", 2, "t2", Some(7200)).await;
        assert_eq!(c.fresh("corp", 1).await.as_deref(), Some("t1"));
        assert_eq!(c.fresh("corp", 2).await.as_deref(), Some("t2"));
    }
}
