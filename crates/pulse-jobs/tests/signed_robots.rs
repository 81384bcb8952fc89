//! DingTalk and Feishu robots against local servers that check the documented
//! request shape and verify the signature the way the services do.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::Query;
use pulse_jobs::channels::{
    Channel, DingTalkRobot, FeishuRobot, Outgoing, dingtalk_sign, feishu_sign,
};

const SECRET: &str = "SEC0123456789abcdef";

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn dingtalk_signs_the_url_and_sends_markdown() {
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/robot/send",
        axum::routing::post(
            move |Query(q): Query<HashMap<String, String>>, Json(body): Json<serde_json::Value>| {
                let g = g.clone();
                async move {
                    let ts: i64 = q.get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
                    let fresh = (pulse_store::Clock::system().now_ms() - ts).abs() < 3_600_000;
                    if !fresh
                        || q.get("sign") != Some(&dingtalk_sign(ts, SECRET))
                        || q.get("access_token").map(String::as_str) != Some("tok")
                    {
                        return Json(
                            serde_json::json!({"errcode": 310000, "errmsg": "sign not match"}),
                        );
                    }
                    if body["msgtype"] != "markdown"
                        || !body["markdown"]["title"].is_string()
                        || !body["markdown"]["text"].is_string()
                    {
                        return Json(
                            serde_json::json!({"errcode": 40035, "errmsg": "缺少参数 json"}),
                        );
                    }
                    g.lock().unwrap().push(body);
                    Json(serde_json::json!({"errcode": 0, "errmsg": "ok"}))
                }
            },
        ),
    );
    let base = serve(app).await;
    let client = pulse_jobs::channels::http_client();
    let good = DingTalkRobot::new(
        client.clone(),
        &format!("{base}/robot/send?access_token=tok"),
        SECRET,
    )
    .unwrap();
    good.send(&Outgoing {
        subject: "权重变更",
        body: "华东大区：新客户首单转化率 25% → 35%",
        link: None,
        recipient: "",
    })
    .await
    .unwrap();
    let body = got.lock().unwrap()[0].clone();
    assert_eq!(body["markdown"]["title"], "权重变更");
    assert!(
        body["markdown"]["text"]
            .as_str()
            .unwrap()
            .contains("25% → 35%")
    );

    let wrong = DingTalkRobot::new(
        client,
        &format!("{base}/robot/send?access_token=tok"),
        "SECwrong",
    )
    .unwrap();
    let err = wrong
        .send(&Outgoing {
            subject: "x",
            body: "y",
            link: None,
            recipient: "",
        })
        .await
        .unwrap_err();
    assert!(!err.retryable && err.message.contains("310000"), "{err:?}");
}

#[tokio::test]
async fn feishu_signs_the_body_and_sends_text() {
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/open-apis/bot/v2/hook/abc",
        axum::routing::post(move |Json(body): Json<serde_json::Value>| {
            let g = g.clone();
            async move {
                let ts: i64 = body["timestamp"].as_str().and_then(|t| t.parse().ok()).unwrap_or(0);
                if body["sign"].as_str() != Some(&feishu_sign(ts, SECRET)) || (pulse_store::Clock::system().now_ms() / 1000 - ts).abs() > 3600 {
                    return Json(serde_json::json!({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}));
                }
                if body["msg_type"] != "text" || !body["content"]["text"].is_string() {
                    return Json(serde_json::json!({"code": 9499, "msg": "Bad Request"}));
                }
                g.lock().unwrap().push(body);
                Json(serde_json::json!({"code": 0, "msg": "success", "data": {}}))
            }
        }),
    );
    let base = serve(app).await;
    let client = pulse_jobs::channels::http_client();
    let good = FeishuRobot::new(
        client.clone(),
        &format!("{base}/open-apis/bot/v2/hook/abc"),
        SECRET,
    )
    .unwrap();
    good.send(&Outgoing {
        subject: "周报已生成",
        body: "本周‘价格异议’提及频次上升40%",
        link: None,
        recipient: "",
    })
    .await
    .unwrap();
    assert!(
        got.lock().unwrap()[0]["content"]["text"]
            .as_str()
            .unwrap()
            .starts_with("周报已生成\n")
    );

    let wrong = FeishuRobot::new(
        client,
        &format!("{base}/open-apis/bot/v2/hook/abc"),
        "other",
    )
    .unwrap();
    let err = wrong
        .send(&Outgoing {
            subject: "x",
            body: "y",
            link: None,
            recipient: "",
        })
        .await
        .unwrap_err();
    assert!(!err.retryable && err.message.contains("19021"), "{err:?}");
}
