//! Notification channels, each an adapter behind [`Channel`] with a
//! configurable base URL so tests can point it at a local server.

mod email;
mod signed_robots;
mod wecom_app;
mod wecom_robot;

use std::collections::HashMap;
use std::sync::Arc;

pub use email::Email;
pub use signed_robots::{DingTalkRobot, FeishuRobot, dingtalk_sign, feishu_sign};
pub use wecom_app::WecomApp;
pub use wecom_robot::WecomRobot;

/// Channel kinds an admin can configure.
pub const KINDS: &[&str] = &[
    "wecom_robot",
    "dingtalk_robot",
    "feishu_robot",
    "wecom_app",
    "email",
];

/// Builds a channel of `kind` from its stored settings (JSON).
pub fn build(
    kind: &str,
    client: &reqwest::Client,
    config_json: &str,
) -> Result<Arc<dyn Channel>, String> {
    match kind {
        "wecom_robot" => WecomRobot::from_config(client.clone(), config_json)
            .map(|c| Arc::new(c) as Arc<dyn Channel>),
        "dingtalk_robot" => DingTalkRobot::from_config(client.clone(), config_json)
            .map(|c| Arc::new(c) as Arc<dyn Channel>),
        "feishu_robot" => FeishuRobot::from_config(client.clone(), config_json)
            .map(|c| Arc::new(c) as Arc<dyn Channel>),
        "wecom_app" => WecomApp::from_config(client.clone(), config_json)
            .map(|c| Arc::new(c) as Arc<dyn Channel>),
        "email" => Email::from_config(config_json).map(|c| Arc::new(c) as Arc<dyn Channel>),
        other => Err(format!("不支持的渠道类型“{other}”")),
    }
}

/// Why a send failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub message: String,
    /// False for problems a retry cannot fix (bad configuration, rejected content).
    pub retryable: bool,
}

impl SendError {
    pub fn retry(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            retryable: true,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            retryable: false,
        }
    }
}

/// What a channel is asked to deliver.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub subject: &'a str,
    /// Markdown.
    pub body: &'a str,
    /// A link to the whole text, used when the channel must cut the message.
    pub link: Option<&'a str>,
    /// Who receives it inside the channel (person channels); empty for group robots.
    pub recipient: &'a str,
}

#[async_trait::async_trait]
pub trait Channel: Send + Sync {
    /// The channel kind, e.g. `wecom_robot`.
    fn kind(&self) -> &'static str;
    async fn send(&self, message: &Outgoing<'_>) -> Result<(), SendError>;
}

/// The configured channels by name; the outbox's `target` names one.
#[derive(Clone, Default)]
pub struct Registry {
    by_name: HashMap<String, Arc<dyn Channel>>,
}

impl Registry {
    pub fn insert(&mut self, name: &str, channel: Arc<dyn Channel>) {
        self.by_name.insert(name.to_string(), channel);
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Channel>> {
        self.by_name.get(name)
    }

    /// Builds the registry from the enabled channel settings in the database.
    /// A setting that does not parse is skipped with a warning; its messages
    /// fail with a clear error and end in the dead-letter view.
    pub fn from_configs(
        configs: &[pulse_store::outbox::ChannelConfig],
        client: &reqwest::Client,
    ) -> Registry {
        let mut r = Registry::default();
        for c in configs.iter().filter(|c| c.enabled != 0) {
            match build(&c.kind, client, &c.config_json) {
                Ok(ch) => r.insert(&c.name, ch),
                Err(e) => {
                    tracing::warn!(channel = %c.name, error = %e, "channel settings rejected")
                }
            }
        }
        r
    }
}

/// The HTTP client channels share: bounded timeouts, no system proxy.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

/// Where a URL points, without path or query (which may carry a key): `https://host/…`.
pub fn endpoint_hint(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(|h| format!("{}://{h}/…", u.scheme())))
        .unwrap_or_else(|| "—".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind an admin can pick is one the worker can build.
    #[test]
    fn every_kind_builds_from_its_settings() {
        let client = reqwest::Client::new();
        let settings = |kind: &str| match kind {
            "wecom_robot" => r#"{"webhook_url":"http://127.0.0.1:9/x"}"#,
            "dingtalk_robot" | "feishu_robot" => {
                r#"{"webhook_url":"http://127.0.0.1:9/x","secret":"s"}"#
            }
            "email" => r#"{"host":"127.0.0.1","port":9,"from":"pulse@example.cn"}"#,
            _ => r#"{"base_url":"http://127.0.0.1:9","corpid":"c","corpsecret":"s","agentid":1}"#,
        };
        for kind in KINDS {
            let ch = build(kind, &client, settings(kind)).unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(ch.kind(), *kind);
            let configs = vec![pulse_store::outbox::ChannelConfig {
                id: 1,
                name: "n".into(),
                kind: kind.to_string(),
                config_json: settings(kind).into(),
                enabled: 1,
            }];
            assert!(
                Registry::from_configs(&configs, &client).get("n").is_some(),
                "{kind} reaches the worker"
            );
        }
    }
}
