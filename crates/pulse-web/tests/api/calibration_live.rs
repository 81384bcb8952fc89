//! Calibration under a live room (C4): every member scores at once, on
//! several cases. Each σ counts every score (on PostgreSQL two writers
//! would each miss the other's score without the session lock), and every
//! open stream receives exactly the session's events, in order, none
//! skipped — the streams share one read per signal.

use axum::http::StatusCode;
use pulse_domain::roles::{Grant, Role, ScopeKind};
use pulse_store::Actor;
use serde_json::{Value, json};

use crate::support::{TestApp, build_demo, demo_login, scalar, text};

/// The `id:` lines a stream received, in order.
fn ids(text: &str) -> Vec<i64> {
    text.lines()
        .filter_map(|l| l.strip_prefix("id: ").or_else(|| l.strip_prefix("id:")))
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

/// Every `data:` body of one event kind a stream received.
fn bodies(text: &str, kind: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut current = None;
    for l in text.lines() {
        if let Some(k) = l.strip_prefix("event: ") {
            current = Some(k.trim().to_string());
        } else if let Some(d) = l.strip_prefix("data: ")
            && current.as_deref() == Some(kind)
            && let Ok(v) = serde_json::from_str(d)
        {
            out.push(v);
        }
    }
    out
}

#[tokio::test]
async fn members_scoring_at_once_are_all_counted_and_every_client_sees_every_event() {
    let app = TestApp::empty().await;
    build_demo(&app, 2).await;
    let hrbp = demo_login(&app, "hrbp").await;
    let list = hrbp.get("/api/v1/calibration-sessions").await.json();
    let id = list["items"][0]["id"].as_i64().expect("session");
    let members = pulse_store::calibration::members(&app.db, id)
        .await
        .expect("members");
    assert!(members.len() >= 4, "{members:?}");
    // Members the demo gives no login (the HR head, another director) get one.
    let mut logins = Vec::new();
    for m in &members {
        let has = format!("FROM accounts WHERE person_id = {}", m.person_id);
        if scalar(&app, &format!("SELECT COUNT(*) {has}")).await == 0 {
            let mut tx = app.db.begin().await.expect("tx");
            let grant = Grant {
                role: Role::Employee,
                scope: ScopeKind::SelfOnly,
                anchor_unit: None,
            };
            pulse_store::accounts::create_account(
                &mut tx,
                &Actor::system("test"),
                &m.employee_no,
                &m.employee_no,
                pulse_demo::DEMO_PASSWORD,
                &[grant],
            )
            .await
            .expect("account");
            tx.commit().await.expect("commit");
        }
        logins.push(text(&app, &format!("SELECT login {has}")).await);
    }
    let mut scorers = Vec::new();
    for l in &logins {
        scorers.push(demo_login(&app, l).await);
    }
    let cases = hrbp
        .get(&format!("/api/v1/calibration-sessions/{id}/cases"))
        .await
        .json();
    let case_ids: Vec<i64> = cases["items"]
        .as_array()
        .unwrap()
        .iter()
        .take(5)
        .map(|c| c["case_id"].as_i64().unwrap())
        .collect();
    assert_eq!(case_ids.len(), 5);

    let director = demo_login(&app, "director").await;
    let mut streams = Vec::new();
    for c in [&hrbp, &director, &scorers[1]].iter().cycle().take(6) {
        let mut s = c
            .open_stream(&format!("/api/v1/calibration-sessions/{id}/stream"), &[])
            .await;
        assert_eq!(s.status, StatusCode::OK);
        assert!(s.until(5, |t| t.contains("event: hello")).await);
        streams.push(s);
    }
    let before = scalar(
        &app,
        &format!("SELECT COALESCE(MAX(id), 0) FROM calibration_events WHERE session_id = {id}"),
    )
    .await;

    // Each member scores each case, all at once: 1 and 5 alternate, so σ = 2.
    let mut writes = Vec::new();
    for (i, c) in scorers.iter().enumerate() {
        for case_id in &case_ids {
            let c = c.clone();
            let path = format!("/api/v1/calibration-sessions/{id}/cases/{case_id}/score");
            let score = if i % 2 == 0 { 1 } else { 5 };
            writes.push(tokio::spawn(async move {
                c.put_json(&path, &json!({ "score": score })).await
            }));
        }
    }
    for w in writes {
        let r = w.await.expect("task");
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }

    let n = members.len();
    for case_id in &case_ids {
        let stored = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM calibration_scores s JOIN calibration_cases k ON k.id = s.case_id \
                 WHERE s.case_id = {case_id} AND s.round = k.round"
            ),
        )
        .await;
        assert_eq!(stored, n as i64, "case {case_id}");
        let flagged = scalar(
            &app,
            &format!("SELECT flagged FROM calibration_cases WHERE id = {case_id}"),
        )
        .await;
        assert_eq!(flagged, 1, "σ 2 over {n} scores flags case {case_id}");
    }
    let expected: Vec<i64> = {
        let total = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM calibration_events WHERE session_id = {id} AND id > {before}"
            ),
        )
        .await;
        assert!(total >= (n * case_ids.len()) as i64, "{total}");
        let mut v = Vec::new();
        for k in 0..total {
            v.push(
                scalar(
                    &app,
                    &format!(
                        "SELECT id FROM calibration_events WHERE session_id = {id} AND id > {before} \
                         ORDER BY id LIMIT 1 OFFSET {k}"
                    ),
                )
                .await,
            );
        }
        v
    };
    let last = *expected.last().unwrap();
    for s in &mut streams {
        let needle = format!("id: {last}\n");
        assert!(
            s.until(5, |t| t.contains(&needle)).await,
            "a client stopped short of event {last}: {}",
            s.text
        );
        assert_eq!(
            ids(&s.text),
            expected,
            "a client skipped or repeated events"
        );
        // The last score event of each case counts every member.
        for case_id in &case_ids {
            let full = bodies(&s.text, "score")
                .into_iter()
                .filter(|b| b["case_id"] == *case_id)
                .map(|b| b["n"].as_u64().unwrap_or(0))
                .max();
            assert_eq!(full, Some(n as u64), "case {case_id}: {}", s.text);
        }
    }
}
