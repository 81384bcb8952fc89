//! WeChat Work (企业微信) application message to one person:
//! `GET {base}/cgi-bin/gettoken?corpid=…&corpsecret=…` → `{"errcode":0,"access_token","expires_in"}`,
//! cached until shortly before it expires and fetched again when the service
//! answers 40014 (invalid) or 42001 (expired); then
//! `POST {base}/cgi-bin/message/send?access_token=…` with
//! `{"touser","msgtype":"markdown","agentid","markdown":{"content"}}` (content ≤ 2048 bytes).

use serde::Deserialize;

use super::{Channel, Outgoing, SendError};

pub const MAX_MARKDOWN_BYTES: usize = 2048;
const TOKEN_EXPIRED: &[i64] = &[40014, 42001];

#[derive(Deserialize)]
struct Config {
    #[serde(default = "default_base")]
    base_url: String,
    corpid: String,
    corpsecret: String,
    agentid: i64,
}

fn default_base() -> String {
    "https://qyapi.weixin.qq.com".into()
}

pub struct WecomApp {
    client: reqwest::Client,
    base: String,
    corpid: String,
    corpsecret: String,
    agentid: i64,
    tokens: crate::wecom_token::TokenCache,
}

impl WecomApp {
    pub fn from_config(client: reqwest::Client, json: &str) -> Result<WecomApp, String> {
        let c: Config =
            serde_json::from_str(json).map_err(|e| format!("企业微信应用配置格式错误：{e}"))?;
        reqwest::Url::parse(&c.base_url).map_err(|e| format!("企业微信接口地址无效：{e}"))?;
        if c.corpid.trim().is_empty() || c.corpsecret.trim().is_empty() || c.agentid <= 0 {
            return Err("企业微信应用需要 corpid、corpsecret 和正整数 agentid".into());
        }
        Ok(WecomApp {
            client,
            base: c.base_url.trim_end_matches('/').to_string(),
            corpid: c.corpid,
            corpsecret: c.corpsecret,
            agentid: c.agentid,
            tokens: Default::default(),
        })
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<reqwest::Url, SendError> {
        let mut url = reqwest::Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| SendError::permanent(format!("企业微信接口地址无效：{e}")))?;
        url.query_pairs_mut().extend_pairs(query);
        Ok(url)
    }

    async fn json(&self, req: reqwest::RequestBuilder) -> Result<serde_json::Value, SendError> {
        let res = req
            .send()
            .await
            .map_err(|e| SendError::retry(format!("企业微信接口不可达：{e}")))?;
        let status = res.status();
        let text = res
            .text()
            .await
            .map_err(|e| SendError::retry(format!("读取企业微信应答失败：{e}")))?;
        if !status.is_success() {
            return Err(SendError::retry(format!("企业微信接口返回 HTTP {status}")));
        }
        serde_json::from_str(&text).map_err(|_| {
            SendError::retry(format!(
                "企业微信的应答不是 JSON：{}",
                text.chars().take(60).collect::<String>()
            ))
        })
    }

    /// The cached token, or a fresh one when missing, expired or `force`d.
    async fn token(&self, force: bool) -> Result<String, SendError> {
        if !force && let Some(t) = self.tokens.fresh(&self.corpid, self.agentid).await {
            return Ok(t);
        }
        let url = self.url(
            "/cgi-bin/gettoken",
            &[("corpid", &self.corpid), ("corpsecret", &self.corpsecret)],
        )?;
        let answer = self.json(self.client.get(url)).await?;
        match (answer["errcode"].as_i64(), answer["access_token"].as_str()) {
            (Some(0), Some(token)) => {
                let expires_in = answer["expires_in"].as_u64();
                self.tokens
                    .keep(&self.corpid, self.agentid, token, expires_in)
                    .await;
                Ok(token.to_string())
            }
            (code, _) => Err(SendError::permanent(format!(
                "企业微信获取 access_token 失败 {}：{}",
                code.unwrap_or(-1),
                answer["errmsg"].as_str().unwrap_or("")
            ))),
        }
    }

    async fn post(
        &self,
        token: &str,
        payload: &serde_json::Value,
    ) -> Result<serde_json::Value, SendError> {
        let url = self.url("/cgi-bin/message/send", &[("access_token", token)])?;
        self.json(self.client.post(url).json(payload)).await
    }
}

#[async_trait::async_trait]
impl Channel for WecomApp {
    fn kind(&self) -> &'static str {
        "wecom_app"
    }

    async fn send(&self, m: &Outgoing<'_>) -> Result<(), SendError> {
        if m.recipient.trim().is_empty() {
            return Err(SendError::permanent(
                "此人没有企业微信账号（企业微信ID为空），无法发送应用消息",
            ));
        }
        let content = pulse_domain::delivery::fit(
            &format!("**{}**\n{}", m.subject, m.body),
            MAX_MARKDOWN_BYTES,
            "\n…",
        );
        let payload = serde_json::json!({"touser": m.recipient, "msgtype": "markdown", "agentid": self.agentid, "markdown": {"content": content}});
        let mut answer = self.post(&self.token(false).await?, &payload).await?;
        if answer["errcode"]
            .as_i64()
            .is_some_and(|c| TOKEN_EXPIRED.contains(&c))
        {
            answer = self.post(&self.token(true).await?, &payload).await?;
        }
        match answer["errcode"].as_i64() {
            Some(0) if answer["invaliduser"].as_str().is_none_or(str::is_empty) => Ok(()),
            Some(0) => Err(SendError::permanent(format!(
                "企业微信找不到成员 {}",
                answer["invaliduser"].as_str().unwrap_or("")
            ))),
            Some(code) => Err(SendError::retry(format!(
                "企业微信错误 {code}：{}",
                answer["errmsg"].as_str().unwrap_or("")
            ))),
            None => Err(SendError::retry("企业微信的应答缺少 errcode")),
        }
    }
}
