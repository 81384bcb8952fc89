//! WeChat Work (企业微信) web login. Inside the client the page redirects to
//! `open.weixin.qq.com/connect/oauth2/authorize` (snsapi_base: silent); on a
//! desktop to the QR login at `login.work.weixin.qq.com`. Both come back
//! with a `code`, which we turn into the member's user id:
//! `GET {base}/cgi-bin/gettoken?corpid&corpsecret` → `access_token` (cached
//! per app and renewed five minutes early; fetched again on 40014/42001),
//! then `GET {base}/cgi-bin/auth/getuserinfo?access_token&code` →
//! `{"errcode":0,"userid":…}` for a member, `{"errcode":0,"openid":…}` for a
//! non-member. `errcode` decides, never `errmsg`; -1 (system busy) is retried.

use std::time::Duration;

use pulse_domain::Problem;

const TOKEN_EXPIRED: &[i64] = &[40014, 42001];
const BUSY: i64 = -1;
const BUSY_RETRIES: usize = 2;

pub const AUTHORIZE_URL: &str = "https://open.weixin.qq.com/connect/oauth2/authorize";
pub const QR_URL: &str = "https://login.work.weixin.qq.com/wwlogin/sso/login";

/// One WeChat Work app's credentials.
#[derive(Debug, Clone)]
pub struct App<'a> {
    pub base_url: &'a str,
    pub corp_id: &'a str,
    pub agent_id: i64,
    pub secret: &'a str,
}

pub struct WecomLogin {
    http: reqwest::Client,
    tokens: crate::wecom_token::TokenCache,
    busy_pause: Duration,
}

impl Default for WecomLogin {
    fn default() -> Self {
        WecomLogin::new(crate::channels::http_client(), Duration::from_millis(300))
    }
}

fn failed(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem::new(code, zh, en)
}

/// The silent in-client authorize URL.
pub fn authorize_url(app: &App<'_>, redirect_uri: &str, state: &str) -> String {
    let mut u = reqwest::Url::parse(AUTHORIZE_URL).expect("constant URL");
    u.query_pairs_mut()
        .append_pair("appid", app.corp_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "snsapi_base")
        .append_pair("state", state)
        .append_pair("agentid", &app.agent_id.to_string());
    format!("{u}#wechat_redirect")
}

/// The desktop QR-code login URL.
pub fn qr_url(app: &App<'_>, redirect_uri: &str, state: &str) -> String {
    let mut u = reqwest::Url::parse(QR_URL).expect("constant URL");
    u.query_pairs_mut()
        .append_pair("login_type", "CorpApp")
        .append_pair("appid", app.corp_id)
        .append_pair("agentid", &app.agent_id.to_string())
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state);
    u.to_string()
}

impl WecomLogin {
    pub fn new(http: reqwest::Client, busy_pause: Duration) -> Self {
        WecomLogin {
            http,
            tokens: Default::default(),
            busy_pause,
        }
    }

    async fn call(&self, url: reqwest::Url) -> Result<serde_json::Value, Problem> {
        let res = self.http.get(url).send().await.map_err(|e| {
            failed(
                "wecom_unreachable",
                format!("无法连接企业微信：{e}"),
                format!("WeChat Work cannot be reached: {e}"),
            )
        })?;
        if !res.status().is_success() {
            return Err(failed(
                "wecom_unreachable",
                format!("企业微信返回 HTTP {}", res.status()),
                format!("WeChat Work answered HTTP {}", res.status()),
            ));
        }
        res.json().await.map_err(|_| {
            failed(
                "wecom_answer",
                "企业微信的应答无法识别",
                "WeChat Work's answer is not JSON",
            )
        })
    }

    fn url(base: &str, path: &str, query: &[(&str, &str)]) -> Result<reqwest::Url, Problem> {
        let mut u =
            reqwest::Url::parse(&format!("{}{path}", base.trim_end_matches('/'))).map_err(|e| {
                failed(
                    "wecom_base_url",
                    format!("企业微信接口地址无效：{e}"),
                    format!("the WeChat Work API address is invalid: {e}"),
                )
            })?;
        u.query_pairs_mut().extend_pairs(query);
        Ok(u)
    }

    async fn token(&self, app: &App<'_>, force: bool) -> Result<String, Problem> {
        if !force && let Some(t) = self.tokens.fresh(app.corp_id, app.agent_id).await {
            return Ok(t);
        }
        let url = Self::url(
            app.base_url,
            "/cgi-bin/gettoken",
            &[("corpid", app.corp_id), ("corpsecret", app.secret)],
        )?;
        let mut answer = self.call(url.clone()).await?;
        for _ in 0..BUSY_RETRIES {
            if answer["errcode"].as_i64() != Some(BUSY) {
                break;
            }
            tokio::time::sleep(self.busy_pause).await;
            answer = self.call(url.clone()).await?;
        }
        match (answer["errcode"].as_i64(), answer["access_token"].as_str()) {
            (Some(0), Some(token)) => {
                let expires_in = answer["expires_in"].as_u64();
                self.tokens
                    .keep(app.corp_id, app.agent_id, token, expires_in)
                    .await;
                Ok(token.to_string())
            }
            (code, _) => Err(failed(
                "wecom_token",
                format!(
                    "企业微信应用凭证无效（错误码 {}），请管理员检查企业 ID 和 Secret",
                    code.unwrap_or(-1)
                ),
                format!(
                    "WeChat Work refused the app credentials (errcode {}); check the corp id and secret",
                    code.unwrap_or(-1)
                ),
            )),
        }
    }

    /// The WeChat Work user id behind a login code.
    pub async fn user_id(&self, app: &App<'_>, code: &str) -> Result<String, Problem> {
        let mut token = self.token(app, false).await?;
        let mut busy = 0;
        let mut refreshed = false;
        loop {
            let url = Self::url(
                app.base_url,
                "/cgi-bin/auth/getuserinfo",
                &[("access_token", &token), ("code", code)],
            )?;
            let answer = self.call(url).await?;
            match answer["errcode"].as_i64() {
                Some(0) => {
                    return match answer["userid"].as_str().or(answer["UserId"].as_str()) {
                        Some(id) if !id.trim().is_empty() => Ok(id.trim().to_string()),
                        _ => Err(failed(
                            "wecom_not_member",
                            "您不是本企业的成员，不能登录",
                            "you are not a member of this company and cannot sign in",
                        )),
                    };
                }
                Some(c) if TOKEN_EXPIRED.contains(&c) && !refreshed => {
                    refreshed = true;
                    token = self.token(app, true).await?;
                }
                Some(BUSY) if busy < BUSY_RETRIES => {
                    busy += 1;
                    tokio::time::sleep(self.busy_pause).await;
                }
                Some(40029) | Some(40163) => {
                    return Err(failed(
                        "wecom_code_invalid",
                        "登录码无效或已使用，请重新扫码或重新打开",
                        "the login code is invalid or was used; scan or open again",
                    ));
                }
                code => {
                    return Err(failed(
                        "wecom_refused",
                        format!("企业微信拒绝了这次登录（错误码 {}）", code.unwrap_or(-1)),
                        format!(
                            "WeChat Work refused the sign-in (errcode {})",
                            code.unwrap_or(-1)
                        ),
                    ));
                }
            }
        }
    }
}
