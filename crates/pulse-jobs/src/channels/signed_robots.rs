//! DingTalk (钉钉) and Feishu (飞书) group robots with their documented
//! signatures.
//!
//! - DingTalk: `sign = urlencode(base64(HMAC-SHA256(key = secret, msg = "{timestamp_ms}\n{secret}")))`,
//!   sent as `&timestamp=…&sign=…` on the webhook URL; body
//!   `{"msgtype":"markdown","markdown":{"title","text"}}`; answer `{"errcode":0,"errmsg":"ok"}`.
//! - Feishu: `sign = base64(HMAC-SHA256(key = "{timestamp_s}\n{secret}", msg = ""))`, sent in
//!   the body `{"timestamp","sign","msg_type":"text","content":{"text"}}`; answer
//!   `{"code":0,"msg":"success"}`.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::{Channel, Outgoing, SendError};

type HmacSha256 = Hmac<Sha256>;

fn hmac_b64(key: &[u8], msg: &[u8]) -> String {
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The DingTalk signature for `timestamp_ms` (before URL-encoding).
pub fn dingtalk_sign(timestamp_ms: i64, secret: &str) -> String {
    hmac_b64(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    )
}

/// The Feishu signature for `timestamp_s`.
pub fn feishu_sign(timestamp_s: i64, secret: &str) -> String {
    hmac_b64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

fn check_url(url: &str, what: &str) -> Result<reqwest::Url, String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("{what} webhook 地址无效：{e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("{what} webhook 地址必须是 http(s)"));
    }
    Ok(u)
}

fn check_secret(secret: &str, what: &str) -> Result<(), String> {
    if secret.is_empty()
        || secret.len() > 256
        || secret.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!("{what}加签密钥格式不正确（不能为空或含空白）"));
    }
    Ok(())
}

#[derive(Deserialize)]
struct RobotConfig {
    webhook_url: String,
    secret: String,
}

/// The body of an answer: JSON, or a clear error naming what came back instead.
async fn json_answer(res: reqwest::Response, what: &str) -> Result<serde_json::Value, SendError> {
    let status = res.status();
    let text = res
        .text()
        .await
        .map_err(|e| SendError::retry(format!("读取{what}应答失败：{e}")))?;
    if !status.is_success() {
        return Err(SendError::retry(format!("{what}返回 HTTP {status}")));
    }
    serde_json::from_str(&text).map_err(|_| {
        SendError::retry(format!(
            "{what}的应答不是 JSON：{}",
            text.chars().take(60).collect::<String>()
        ))
    })
}

pub struct DingTalkRobot {
    client: reqwest::Client,
    url: reqwest::Url,
    secret: String,
}

impl DingTalkRobot {
    pub fn new(
        client: reqwest::Client,
        webhook_url: &str,
        secret: &str,
    ) -> Result<DingTalkRobot, String> {
        let url = check_url(webhook_url, "钉钉机器人")?;
        check_secret(secret, "钉钉机器人")?;
        Ok(DingTalkRobot {
            client,
            url,
            secret: secret.to_string(),
        })
    }

    pub fn from_config(client: reqwest::Client, json: &str) -> Result<DingTalkRobot, String> {
        let c: RobotConfig =
            serde_json::from_str(json).map_err(|e| format!("钉钉机器人配置格式错误：{e}"))?;
        DingTalkRobot::new(client, &c.webhook_url, &c.secret)
    }
}

/// DingTalk markdown messages are limited to 20,000 bytes.
pub const DINGTALK_MAX_BYTES: usize = 20_000;

#[async_trait::async_trait]
impl Channel for DingTalkRobot {
    fn kind(&self) -> &'static str {
        "dingtalk_robot"
    }

    async fn send(&self, m: &Outgoing<'_>) -> Result<(), SendError> {
        let ts = pulse_store::Clock::system().now_ms();
        let mut url = self.url.clone();
        url.query_pairs_mut()
            .append_pair("timestamp", &ts.to_string())
            .append_pair("sign", &dingtalk_sign(ts, &self.secret));
        let text = pulse_domain::delivery::fit(
            &format!("#### {}\n{}", m.subject, m.body),
            DINGTALK_MAX_BYTES,
            "\n…",
        );
        let body = serde_json::json!({"msgtype": "markdown", "markdown": {"title": m.subject, "text": text}});
        let res = self
            .client
            .post(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::retry(format!("钉钉机器人不可达：{e}")))?;
        let answer = json_answer(res, "钉钉机器人").await?;
        match answer["errcode"].as_i64() {
            Some(0) => Ok(()),
            // 310000: signature / keyword / IP check failed — a settings problem.
            Some(310000) => Err(SendError::permanent(format!(
                "钉钉错误 310000：{}",
                answer["errmsg"].as_str().unwrap_or("")
            ))),
            Some(code) => Err(SendError::retry(format!(
                "钉钉错误 {code}：{}",
                answer["errmsg"].as_str().unwrap_or("")
            ))),
            None => Err(SendError::retry("钉钉机器人的应答缺少 errcode")),
        }
    }
}

pub struct FeishuRobot {
    client: reqwest::Client,
    url: reqwest::Url,
    secret: String,
}

impl FeishuRobot {
    pub fn new(
        client: reqwest::Client,
        webhook_url: &str,
        secret: &str,
    ) -> Result<FeishuRobot, String> {
        let url = check_url(webhook_url, "飞书机器人")?;
        check_secret(secret, "飞书机器人")?;
        Ok(FeishuRobot {
            client,
            url,
            secret: secret.to_string(),
        })
    }

    pub fn from_config(client: reqwest::Client, json: &str) -> Result<FeishuRobot, String> {
        let c: RobotConfig =
            serde_json::from_str(json).map_err(|e| format!("飞书机器人配置格式错误：{e}"))?;
        FeishuRobot::new(client, &c.webhook_url, &c.secret)
    }
}

/// Feishu limits a robot request body to 20 KB; leave room for the envelope.
pub const FEISHU_MAX_BYTES: usize = 19_000;

#[async_trait::async_trait]
impl Channel for FeishuRobot {
    fn kind(&self) -> &'static str {
        "feishu_robot"
    }

    async fn send(&self, m: &Outgoing<'_>) -> Result<(), SendError> {
        let ts = pulse_store::Clock::system().now_ms() / 1000;
        let text = pulse_domain::delivery::fit(
            &format!("{}\n{}", m.subject, m.body),
            FEISHU_MAX_BYTES,
            "\n…",
        );
        let body = serde_json::json!({
            "timestamp": ts.to_string(),
            "sign": feishu_sign(ts, &self.secret),
            "msg_type": "text",
            "content": {"text": text},
        });
        let res = self
            .client
            .post(self.url.clone())
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::retry(format!("飞书机器人不可达：{e}")))?;
        let answer = json_answer(res, "飞书机器人").await?;
        match answer["code"]
            .as_i64()
            .or_else(|| answer["StatusCode"].as_i64())
        {
            Some(0) => Ok(()),
            // 19021 sign match fail, 19022 ip not allowed, 19024 keyword not found: settings problems.
            Some(code @ (19021 | 19022 | 19024)) => Err(SendError::permanent(format!(
                "飞书错误 {code}：{}",
                answer["msg"].as_str().unwrap_or("")
            ))),
            Some(code) => Err(SendError::retry(format!(
                "飞书错误 {code}：{}",
                answer["msg"].as_str().unwrap_or("")
            ))),
            None => Err(SendError::retry("飞书机器人的应答缺少 code")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values computed independently with Python's hmac/hashlib/base64,
    /// following each vendor's published sample code.
    #[test]
    fn signatures_match_the_documented_algorithms() {
        assert_eq!(
            dingtalk_sign(1_700_000_000_000, "SECtest"),
            "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g="
        );
        assert_eq!(
            feishu_sign(1_700_000_000, "test-secret"),
            "mbm4Y4oluIPQ00qlBIhX8vAZ0EKv3nw0LuTb91jPL84="
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        let c = reqwest::Client::new();
        assert!(
            DingTalkRobot::new(
                c.clone(),
                "https://oapi.dingtalk.com/robot/send?access_token=x",
                ""
            )
            .is_err()
        );
        assert!(FeishuRobot::new(c.clone(), "nope", "s").is_err());
        assert!(
            FeishuRobot::new(
                c,
                "https://open.feishu.cn/open-apis/bot/v2/hook/x",
                "has space"
            )
            .is_err()
        );
    }
}
