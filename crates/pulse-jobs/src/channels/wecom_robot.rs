//! WeChat Work (企业微信) group robot: `POST {webhook}` with
//! `{"msgtype":"markdown","markdown":{"content":"…"}}`. The content may be at
//! most 4096 bytes of UTF-8; the answer is `{"errcode":0,"errmsg":"ok"}`, and a
//! non-zero `errcode` in a 200 response is a failure.

use serde::Deserialize;

use super::{Channel, Outgoing, SendError};

pub const MAX_MARKDOWN_BYTES: usize = 4096;

pub struct WecomRobot {
    client: reqwest::Client,
    webhook_url: String,
}

#[derive(Deserialize)]
struct Config {
    webhook_url: String,
}

#[derive(Deserialize)]
struct Answer {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// Error codes that mean the robot's settings are wrong, not that the service is busy.
const PERMANENT: &[i64] = &[93000, 93004, 40008, 40058, 44004];

impl WecomRobot {
    pub fn new(client: reqwest::Client, webhook_url: &str) -> Result<WecomRobot, String> {
        let url = reqwest::Url::parse(webhook_url)
            .map_err(|e| format!("企业微信机器人 webhook 地址无效：{e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("企业微信机器人 webhook 地址必须是 http(s)".into());
        }
        Ok(WecomRobot {
            client,
            webhook_url: webhook_url.to_string(),
        })
    }

    pub fn from_config(client: reqwest::Client, config_json: &str) -> Result<WecomRobot, String> {
        let c: Config =
            serde_json::from_str(config_json).map_err(|e| format!("机器人配置格式错误：{e}"))?;
        WecomRobot::new(client, &c.webhook_url)
    }

    /// The markdown sent: the subject as a heading, the body, cut to the limit.
    pub fn content(message: &Outgoing<'_>) -> String {
        let text = format!("**{}**\n{}", message.subject, message.body);
        let tail = match message.link {
            Some(l) => format!("\n…[查看全文]({l})"),
            None => "\n…".to_string(),
        };
        pulse_domain::delivery::fit(&text, MAX_MARKDOWN_BYTES, &tail)
    }
}

#[async_trait::async_trait]
impl Channel for WecomRobot {
    fn kind(&self) -> &'static str {
        "wecom_robot"
    }

    async fn send(&self, message: &Outgoing<'_>) -> Result<(), SendError> {
        let payload = serde_json::json!({"msgtype": "markdown", "markdown": {"content": WecomRobot::content(message)}});
        let res = self
            .client
            .post(&self.webhook_url)
            .json(&payload)
            .send()
            .await
            .map_err(|e| SendError::retry(format!("企业微信机器人不可达：{e}")))?;
        let status = res.status();
        let text = res
            .text()
            .await
            .map_err(|e| SendError::retry(format!("读取应答失败：{e}")))?;
        if !status.is_success() {
            return Err(SendError::retry(format!(
                "企业微信机器人返回 HTTP {status}"
            )));
        }
        let answer: Answer = serde_json::from_str(&text).map_err(|_| {
            let start: String = text.chars().take(60).collect();
            SendError::retry(format!("企业微信机器人的应答不是 JSON：{start}"))
        })?;
        match answer.errcode {
            0 => Ok(()),
            code if PERMANENT.contains(&code) => Err(SendError::permanent(format!(
                "企业微信错误 {code}：{}",
                answer.errmsg
            ))),
            code => Err(SendError::retry(format!(
                "企业微信错误 {code}：{}",
                answer.errmsg
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_cut_to_the_limit_with_a_link() {
        let long = "本周‘价格异议’提及频次上升40%。".repeat(400);
        let c = WecomRobot::content(&Outgoing {
            subject: "周报",
            body: &long,
            link: Some("http://pulse/digests/1"),
            recipient: "",
        });
        assert!(c.len() <= MAX_MARKDOWN_BYTES);
        assert!(c.ends_with("[查看全文](http://pulse/digests/1)"));
        let short = WecomRobot::content(&Outgoing {
            subject: "周报",
            body: "正常",
            link: None,
            recipient: "",
        });
        assert_eq!(short, "**周报**\n正常");
    }

    #[test]
    fn bad_urls_are_refused() {
        let client = reqwest::Client::new();
        assert!(WecomRobot::new(client.clone(), "not a url").is_err());
        assert!(WecomRobot::new(client.clone(), "ftp://x/y").is_err());
        assert!(WecomRobot::from_config(client, "{\"webhook\": 1}").is_err());
    }
}
