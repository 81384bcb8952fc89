//! WeChat Work application messages against a local server speaking the
//! documented gettoken / message/send protocol, including an expiring token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Query, State};
use pulse_jobs::channels::{Channel, Outgoing, WecomApp};

#[derive(Default)]
struct Server {
    tokens_issued: usize,
    /// Tokens the server no longer accepts.
    expired: Vec<String>,
    sent: Vec<serde_json::Value>,
}

type Shared = Arc<Mutex<Server>>;

async fn gettoken(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<serde_json::Value> {
    if q.get("corpid").map(String::as_str) != Some("ww123")
        || q.get("corpsecret").map(String::as_str) != Some("sec")
    {
        return Json(serde_json::json!({"errcode": 40001, "errmsg": "invalid credential"}));
    }
    let mut s = s.lock().unwrap();
    s.tokens_issued += 1;
    Json(
        serde_json::json!({"errcode": 0, "errmsg": "ok", "access_token": format!("T{}", s.tokens_issued), "expires_in": 7200}),
    )
}

async fn send(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<serde_json::Value>,
) -> Json<serde_json::Value> {
    let mut s = s.lock().unwrap();
    let token = q.get("access_token").cloned().unwrap_or_default();
    if token.is_empty() || s.expired.contains(&token) {
        return Json(serde_json::json!({"errcode": 42001, "errmsg": "access_token expired"}));
    }
    if body["msgtype"] != "markdown"
        || body["agentid"] != 1000002
        || !body["touser"].is_string()
        || !body["markdown"]["content"].is_string()
    {
        return Json(serde_json::json!({"errcode": 40008, "errmsg": "invalid message type"}));
    }
    if body["touser"] == "nobody" {
        return Json(serde_json::json!({"errcode": 0, "errmsg": "ok", "invaliduser": "nobody"}));
    }
    s.sent.push(body);
    Json(serde_json::json!({"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "m1"}))
}

async fn server() -> (Shared, String) {
    let shared: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/cgi-bin/gettoken", axum::routing::get(gettoken))
        .route("/cgi-bin/message/send", axum::routing::post(send))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (shared, base)
}

fn app(base: &str, secret: &str) -> WecomApp {
    let config = serde_json::json!({"base_url": base, "corpid": "ww123", "corpsecret": secret, "agentid": 1000002});
    WecomApp::from_config(pulse_jobs::channels::http_client(), &config.to_string()).unwrap()
}

fn msg(recipient: &str) -> Outgoing<'_> {
    Outgoing {
        subject: "目标微调申请待审批",
        body: "易销售申请将目标从 100 调整为 110",
        link: None,
        recipient,
    }
}

#[tokio::test]
async fn token_is_cached_and_refreshed_when_expired() {
    let (s, base) = server().await;
    let ch = app(&base, "sec");
    ch.send(&msg("YiXiaoShou")).await.unwrap();
    ch.send(&msg("YiXiaoShou")).await.unwrap();
    assert_eq!(s.lock().unwrap().tokens_issued, 1, "the token is reused");
    s.lock().unwrap().expired.push("T1".into());
    ch.send(&msg("MaZhuGuan")).await.unwrap();
    let server = s.lock().unwrap();
    assert_eq!(server.tokens_issued, 2, "an expired token is fetched again");
    assert_eq!(server.sent.len(), 3);
    assert_eq!(server.sent[2]["touser"], "MaZhuGuan");
    assert!(
        server.sent[0]["markdown"]["content"]
            .as_str()
            .unwrap()
            .contains("100 调整为 110")
    );
}

#[tokio::test]
async fn clear_errors_for_bad_settings_and_unknown_people() {
    let (_, base) = server().await;
    let bad = app(&base, "wrong");
    let err = bad.send(&msg("YiXiaoShou")).await.unwrap_err();
    assert!(!err.retryable && err.message.contains("40001"), "{err:?}");
    let good = app(&base, "sec");
    let none = good.send(&msg("")).await.unwrap_err();
    assert!(!none.retryable && none.message.contains("没有企业微信账号"));
    let unknown = good.send(&msg("nobody")).await.unwrap_err();
    assert!(unknown.message.contains("nobody"));
    assert!(
        WecomApp::from_config(
            pulse_jobs::channels::http_client(),
            r#"{"corpid":"x","corpsecret":"y","agentid":0}"#
        )
        .is_err()
    );
}
