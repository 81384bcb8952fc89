//! Calibration reports (issue 15, C6) on the demo: the gap map shows the
//! seed's 复杂谈判策略 gap in every 华东 sales unit; a growth letter opens
//! to the facilitator after the reveal, to the manager once finalized and
//! to the person only after release, and carries no committee score; both
//! export as workbooks. And the HRBP's keyword dictionary (C2).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, build_demo, demo_login, scalar, text};

const GAP: &str = "复杂谈判策略";

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_gap_map_and_the_letters_follow_the_session() {
    let app = TestApp::empty().await;
    build_demo(&app, 3).await;
    let hrbp = demo_login(&app, "hrbp").await;
    let director = demo_login(&app, "director").await;
    let id = scalar(&app, "SELECT id FROM calibration_sessions").await;
    let case_id = scalar(&app, "SELECT id FROM calibration_cases WHERE seq = 7").await;
    let cases = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM calibration_cases WHERE session_id = {id}"),
    )
    .await;

    // The gap map while the committee scores blind: the facilitator reads it.
    let r = hrbp
        .get(&format!("/api/v1/calibration-sessions/{id}/gaps"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let map = r.json();
    let comps = names(&map["competencies"]);
    let gi = comps
        .iter()
        .position(|c| c == GAP)
        .expect("复杂谈判策略 column");
    let units = map["units"].as_array().unwrap();
    let people: i64 = units.iter().map(|u| u["people"].as_i64().unwrap()).sum();
    assert_eq!(people, cases, "every case counted once");
    let distinct_units = scalar(
        &app,
        &format!("SELECT COUNT(DISTINCT p.org_unit_id) FROM calibration_cases k JOIN reviews r ON r.id = k.review_id JOIN people p ON p.id = r.person_id WHERE k.session_id = {id}"),
    )
    .await;
    assert_eq!(units.len() as i64, distinct_units);
    for u in units {
        let n = u["people"].as_u64().unwrap();
        for (short, gap) in u["short"]
            .as_array()
            .unwrap()
            .iter()
            .zip(u["gap"].as_array().unwrap())
        {
            let s = short.as_u64().unwrap();
            assert!(s <= n, "{u}");
            assert_eq!(gap.as_bool().unwrap(), s >= 2 && s * 100 >= n * 40, "{u}");
        }
        assert_eq!(u["gap"][gi], true, "the seed's gap in {}", u["unit"]);
    }
    assert_eq!(map["headline"][0]["competency"], GAP, "{}", map["headline"]);
    assert_eq!(map["headline"][0]["units"].as_i64(), Some(distinct_units));

    // A member without HR's role is refused the map; outsiders do not see the session.
    assert_eq!(
        director
            .get(&format!("/api/v1/calibration-sessions/{id}/gaps"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let employee = demo_login(&app, "employee").await;
    assert_eq!(
        employee
            .get(&format!("/api/v1/calibration-sessions/{id}/gaps"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let page = hrbp.get(&format!("/calibration/{id}/gaps")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(GAP) && page.text().contains("data-print"));

    // Letters wait for the reveal: they name the person.
    let letter = format!("/api/v1/calibration-sessions/{id}/cases/{case_id}/letter");
    let r = hrbp.get(&letter).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.error_code(), "letters_after_reveal");
    let moves = format!("/api/v1/calibration-sessions/{id}/state");
    for s in ["live", "revealed"] {
        let r = hrbp.post_json(&moves, &json!({"state": s})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let r = hrbp.get(&letter).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let l = r.json();
    let person = scalar(
        &app,
        &format!("SELECT r.person_id FROM calibration_cases k JOIN reviews r ON r.id = k.review_id WHERE k.id = {case_id}"),
    )
    .await;
    let name = text(
        &app,
        &format!("SELECT name FROM people WHERE id = {person}"),
    )
    .await;
    assert_eq!(l["name"], name.as_str());
    // Never the committee's scores.
    for key in ["scores", "mean", "sigma", "my_score", "history"] {
        assert!(l.get(key).is_none(), "letter carries {key}: {l}");
    }
    for p in l["improve"].as_array().unwrap() {
        let v = p["value"].as_f64().unwrap();
        match p["basis"].as_str().unwrap() {
            "radar" => assert!(v < 25.0, "{p}"),
            "texts" => assert!(v < 3.0, "{p}"),
            other => panic!("basis {other}"),
        }
    }
    assert!(l["improve"].as_array().unwrap().len() <= 3);
    // Someone short on negotiation is offered the negotiation course.
    let mut offered = false;
    for seq in 1..=cases.min(40) {
        let cid = scalar(
            &app,
            &format!("SELECT id FROM calibration_cases WHERE session_id = {id} AND seq = {seq}"),
        )
        .await;
        let l = hrbp
            .get(&format!(
                "/api/v1/calibration-sessions/{id}/cases/{cid}/letter"
            ))
            .await
            .json();
        if l["improve"]
            .as_array()
            .is_some_and(|a| a.iter().any(|p| p["competency"] == GAP))
        {
            assert!(
                names(&l["courses"]).iter().any(|c| c.contains("谈判")),
                "{l}"
            );
            offered = true;
            break;
        }
    }
    assert!(offered, "no letter names the 复杂谈判策略 gap");

    // A member reads no letters; the person not before the committee is done.
    assert_eq!(director.get(&letter).await.status, StatusCode::FORBIDDEN);
    let subject_no = text(
        &app,
        &format!("SELECT employee_no FROM people WHERE id = {person}"),
    )
    .await;
    let subject = demo_login(&app, &subject_no).await;
    assert_eq!(subject.get(&letter).await.status, StatusCode::NOT_FOUND);

    // Decide and finalize: the manager reads it with the rationale.
    let manager_rating = scalar(
        &app,
        &format!("SELECT CAST(COALESCE(manager_rating, 3) AS BIGINT) FROM calibration_cases WHERE id = {case_id}"),
    )
    .await;
    let final_rating = if manager_rating >= 4 { 3.0 } else { 4.0 };
    let rationale = "委员会复核全年过程数据后取中";
    let r = hrbp
        .put_json(
            &format!("/api/v1/calibration-sessions/{id}/cases/{case_id}/decision"),
            &json!({"final_rating": final_rating, "rationale": rationale}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = hrbp.post_json(&moves, &json!({"state": "finalized"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let reviewer_no = text(
        &app,
        &format!("SELECT m.employee_no FROM calibration_cases k JOIN reviews r ON r.id = k.review_id JOIN people m ON m.id = r.reviewer_id WHERE k.id = {case_id}"),
    )
    .await;
    let manager = demo_login(&app, &reviewer_no).await;
    let r = manager.get(&letter).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let l = r.json();
    assert_eq!(l["rationale"], rationale);
    assert_eq!(l["calibrated"], true);
    assert_eq!(l["rating"].as_f64(), Some(final_rating));
    // Not yet released to the person.
    assert_eq!(subject.get(&letter).await.status, StatusCode::NOT_FOUND);
    let review_id = scalar(
        &app,
        &format!("SELECT review_id FROM calibration_cases WHERE id = {case_id}"),
    )
    .await;
    let review_page = manager.get(&format!("/reviews/{review_id}")).await;
    assert!(
        review_page
            .text()
            .contains(&format!("/calibration/{id}/letters/{case_id}")),
        "the manager's review page links the letter"
    );
    let cycle = scalar(
        &app,
        &format!("SELECT cycle_id FROM calibration_sessions WHERE id = {id}"),
    )
    .await;
    let r = hrbp
        .post_json(
            &format!("/api/v1/review-cycles/{cycle}/release"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = subject.get(&letter).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = subject
        .get(&format!("/calibration/{id}/letters/{case_id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(rationale));
    assert!(
        !page
            .text()
            .contains(&format!("/calibration/{id}/letters\"")),
        "the person gets no link to the session's list"
    );

    // Workbooks: a row per case; the gap map with its counts.
    let r = hrbp.get(&format!("/calibration/{id}/letters.xlsx")).await;
    assert_eq!(r.status, StatusCode::OK);
    let grid = pulse_sheets::read(&r.body).expect("letters workbook");
    assert_eq!(
        grid.rows.len() as i64,
        cases + 1,
        "header + one row per case"
    );
    assert!(
        grid.rows
            .iter()
            .any(|row| row.iter().any(|c| c.as_text() == rationale))
    );
    let r = hrbp.get(&format!("/calibration/{id}/gaps.xlsx")).await;
    assert_eq!(r.status, StatusCode::OK);
    let grid = pulse_sheets::read(&r.body).expect("gap workbook");
    assert_eq!(grid.rows.len() as i64, distinct_units + 1);
    assert!(grid.rows[0].iter().any(|c| c.as_text().starts_with(GAP)));
    assert_eq!(
        manager
            .get(&format!("/calibration/{id}/letters.xlsx"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "the manager is not on the session"
    );
}

#[tokio::test]
async fn hr_keeps_the_keyword_dictionary() {
    let app = TestApp::empty().await;
    build_demo(&app, 1).await;
    let hrbp = demo_login(&app, "hrbp").await;
    let list = hrbp.get("/api/v1/competency-keywords").await.json();
    let before = list["items"].as_array().unwrap().len();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["competency"] == GAP && k["keyword"] == "价格异议")
    );
    let audit0 = scalar(&app, "SELECT COUNT(*) FROM audit_log").await;

    // Bad input changes nothing.
    for (body, status, code) in [
        (
            json!({"competency": GAP, "keyword": "价格异议"}),
            StatusCode::CONFLICT,
            "duplicate_keyword",
        ),
        (
            json!({"competency": "", "keyword": "折扣"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
        (
            json!({"competency": GAP, "keyword": "折".repeat(21)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
        ),
    ] {
        let r = hrbp.post_json("/api/v1/competency-keywords", &body).await;
        assert_eq!(r.status, status, "{body}: {}", r.text());
        if !code.is_empty() {
            assert_eq!(r.error_code(), code);
        }
    }
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM competency_keywords").await as usize,
        before
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM audit_log").await, audit0);

    let r = hrbp
        .post_json(
            "/api/v1/competency-keywords",
            &json!({"competency": GAP, "keyword": "折扣"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let kid = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'keyword.add'"
        )
        .await,
        1
    );
    let path = format!("/api/v1/competency-keywords/{kid}");
    assert_eq!(hrbp.delete(&path).await.status, StatusCode::NO_CONTENT);
    assert_eq!(hrbp.delete(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'keyword.delete'"
        )
        .await,
        1
    );

    // The page: a refused form keeps what was typed.
    let r = hrbp
        .post_form(
            "/calibration/keywords",
            &[("competency", GAP), ("keyword", "价格异议")],
            true,
        )
        .await;
    let html = r.text();
    assert!(html.contains("已有关键词"), "{html}");
    assert!(html.contains(&format!("value=\"{GAP}\"")) && html.contains("value=\"价格异议\""));

    let employee = demo_login(&app, "employee").await;
    assert_eq!(
        employee.get("/api/v1/competency-keywords").await.status,
        StatusCode::FORBIDDEN
    );
}

/// The gap map reads a session's texts in two queries; each person's share
/// is what the screens read for that person alone.
#[tokio::test]
async fn a_sessions_texts_read_at_once_match_each_persons_own() {
    use pulse_store::calibration::screens::{session_texts, texts, year_of_quarters};
    let app = TestApp::empty().await;
    build_demo(&app, 3).await;
    let id = scalar(&app, "SELECT id FROM calibration_sessions").await;
    let year = year_of_quarters(app.db.today());
    let all = session_texts(&app.db, id, &year)
        .await
        .expect("session texts");
    let cases = pulse_store::calibration::cases(&app.db, id)
        .await
        .expect("cases");
    assert!(cases.len() > 10);
    let mut read = 0;
    for c in &cases {
        let own = texts(&app.db, c.person_id, &year).await.expect("texts");
        assert_eq!(
            all.get(&c.person_id).cloned().unwrap_or_default(),
            own,
            "case {}",
            c.seq
        );
        read += own.len();
    }
    assert!(read > cases.len(), "the demo's people have texts: {read}");
    assert_eq!(
        all.len(),
        cases
            .iter()
            .filter(|c| all.contains_key(&c.person_id))
            .count()
    );
}
