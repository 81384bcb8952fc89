//! PIPL data rights (issue 18, S3): a person downloads their archive; every
//! view of another person's review data is logged and both they and HR can
//! read the log; HR notes beside a record; leavers past the retention
//! period are anonymised once, with figures intact. Bad input changes nothing.

use std::io::{Cursor, Read};

use axum::http::{Method, StatusCode};
use calamine::{Reader, Xlsx};
use serde_json::{Value, json};

use crate::support::{TestApp, build_demo, count, demo_login, scalar, text};

fn unzip(bytes: &[u8]) -> (Value, Vec<u8>) {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a zip");
    let mut json = String::new();
    z.by_name("archive.json")
        .expect("archive.json")
        .read_to_string(&mut json)
        .unwrap();
    let mut xlsx = Vec::new();
    z.by_name("archive.xlsx")
        .expect("archive.xlsx")
        .read_to_end(&mut xlsx)
        .unwrap();
    (serde_json::from_str(&json).expect("JSON"), xlsx)
}

fn section<'a>(archive: &'a Value, key: &str) -> &'a Vec<Value> {
    archive["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("section {key}"))["rows"]
        .as_array()
        .unwrap()
}

#[tokio::test]
async fn a_person_downloads_everything_and_sees_who_viewed_their_review() {
    let app = TestApp::empty().await;
    build_demo(&app, 2).await;
    let employee = demo_login(&app, "employee").await;
    let manager = demo_login(&app, "manager").await;
    let hr = demo_login(&app, "hrbp").await;
    let me = employee.get("/api/v1/me").await.json();
    let rep = me["employee_no"].as_str().unwrap().to_string();
    let rep_id = scalar(
        &app,
        &format!("SELECT id FROM people WHERE employee_no = '{rep}'"),
    )
    .await;

    let res = employee.get("/api/v1/me/export").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.headers["content-type"], "application/zip");
    let disposition = res.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains(".zip") && disposition.contains(&rep),
        "{disposition}"
    );
    let (archive, xlsx) = unzip(&res.body);
    assert_eq!(archive["person"]["employee_no"], rep.as_str());
    let keys: Vec<&str> = archive["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    for k in [
        "profile",
        "account",
        "goals",
        "events",
        "cards_received",
        "reviews",
        "calibration",
        "outcomes",
        "audit",
        "views",
        "annotations",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    let profile = &section(&archive, "profile")[0];
    assert_eq!(profile["employee_no"], rep.as_str());
    assert_eq!(profile["name"], me["name"]);
    // Instants read as China time, not epoch numbers.
    assert!(
        profile["created_at"]
            .as_str()
            .is_some_and(|s| s.len() == 19),
        "{profile}"
    );
    let goals = section(&archive, "goals").len() as i64;
    assert_eq!(
        goals,
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM goals WHERE person_id = {rep_id}")
        )
        .await
    );
    assert!(!section(&archive, "events").is_empty());
    assert!(!section(&archive, "reviews").is_empty());
    // A review not yet released carries no text of the reviewer's.
    for r in section(&archive, "reviews") {
        if r["released_at"].is_null() {
            assert_eq!(r["body"], "", "{r}");
        }
    }
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let sheets = book.sheet_names();
    assert_eq!(sheets.len(), keys.len());
    assert!(
        sheets.contains(&"个人信息".to_string()) && sheets.contains(&"绩效评估".to_string()),
        "{sheets:?}"
    );
    let first = book.worksheet_range("个人信息").unwrap();
    let header: Vec<String> = first
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(&header[..2], ["工号", "姓名"]);
    // In English the sheets and headings are English.
    let en = employee
        .send_with(
            Method::GET,
            "/api/v1/me/export",
            None,
            Vec::new(),
            false,
            &[("accept-language", "en")],
        )
        .await;
    let (_, xlsx) = unzip(&en.body);
    let book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    assert!(book.sheet_names().contains(&"Profile".to_string()));

    // The manager opens the rep's review: logged. The rep opening it: not.
    let reviews = manager.get("/api/v1/reviews").await.json();
    let review = reviews["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["employee_no"] == rep.as_str() && r["role"] == "reviewer")
        .expect("the manager writes the rep's review")["id"]
        .as_i64()
        .unwrap();
    let before = count(&app, "data_views").await;
    assert_eq!(
        manager
            .get(&format!("/api/v1/reviews/{review}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(count(&app, "data_views").await, before + 1);
    employee.get(&format!("/api/v1/reviews/{review}")).await;
    assert_eq!(count(&app, "data_views").await, before + 1);

    let manager_name = manager.get("/api/v1/me").await.json()["name"]
        .as_str()
        .unwrap()
        .to_string();
    let page = employee.get("/me/data").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains(&manager_name) && html.contains("绩效评估"),
        "the viewer is named on /me/data"
    );
    assert!(html.contains("href=\"/api/v1/me/export\""));
    // The page's counts are the archive's rows.
    let events = section(&archive, "events").len();
    assert!(
        html.contains(&format!(
            "业务事件 <span class=\"muted\">{events} 条</span>"
        )),
        "{events} events"
    );

    let log = hr
        .get(&format!("/api/v1/privacy/views?employee_no={rep}"))
        .await;
    assert_eq!(log.status, StatusCode::OK);
    let first = &log.json()["items"][0];
    assert_eq!(first["subject_employee_no"], rep.as_str());
    assert_eq!(first["kind"], "review");
    assert_eq!(first["reference"], format!("review:{review}"));
    assert_eq!(first["viewer_name"], manager_name.as_str());
    assert!(first["at"].as_str().unwrap().ends_with("+08:00"));
    // The HR page lists it too, and HR's copy of the archive is itself logged.
    assert!(
        hr.get(&format!("/privacy?person={rep}"))
            .await
            .text()
            .contains(&manager_name)
    );
    let copy = hr.get(&format!("/api/v1/people/{rep}/export")).await;
    assert_eq!(copy.status, StatusCode::OK);
    assert_eq!(
        text(
            &app,
            &format!(
                "SELECT kind FROM data_views WHERE subject_id = {rep_id} ORDER BY id DESC LIMIT 1"
            )
        )
        .await,
        "archive"
    );

    // Not for staff: the log, another person's archive.
    assert_eq!(
        employee.get("/api/v1/privacy/views").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        employee
            .get(&format!("/api/v1/people/{rep}/export"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bad = hr.get("/api/v1/privacy/views?limit=0").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        hr.get("/api/v1/privacy/views?employee_no=NOPE")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn hr_notes_a_record_and_a_refused_note_keeps_what_was_typed() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let employee = app.login("employee").await;
    let audits = count(&app, "audit_log").await;

    for bad in [
        json!({"topic": "salary", "body": "x"}),
        json!({"topic": "profile", "body": "   "}),
        json!({"topic": "profile", "body": "长".repeat(501)}),
        json!({"topic": "profile"}),
    ] {
        let r = hr.post_json("/api/v1/people/E1/annotations", &bad).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text()
        );
    }
    assert_eq!(count(&app, "data_annotations").await, 0);
    assert_eq!(count(&app, "audit_log").await, audits);

    let r = hr
        .post_json(
            "/api/v1/people/E1/annotations",
            &json!({"topic": "profile", "body": "入职日期以劳动合同为准：2021-03-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["author_name"], "何人事");
    assert_eq!(count(&app, "audit_log").await, audits + 1);
    let list = hr.get("/api/v1/people/E1/annotations").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        employee
            .post_json(
                "/api/v1/people/E1/annotations",
                &json!({"topic": "other", "body": "x"})
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The page: a refusal re-renders with the topic and text typed.
    let long = "备".repeat(501);
    let page = hr
        .post_form(
            "/people/E1/data/notes",
            &[("topic", "goals"), ("body", &long)],
            true,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("role=\"alert\""));
    assert!(html.contains(&long), "the typed note is kept");
    assert!(
        html.contains("value=\"goals\" selected"),
        "the chosen topic is kept"
    );
    assert_eq!(count(&app, "data_annotations").await, 1);
    let ok = hr
        .post_form(
            "/people/E1/data/notes",
            &[
                ("topic", "goals"),
                ("body", "季度目标已与本人核对\r\n下季度复核"),
            ],
            true,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    // The person sees HR's notes on their data page.
    let mine = employee.get("/me/data").await.text();
    assert!(mine.contains("季度目标已与本人核对") && mine.contains("入职日期以劳动合同为准"));
}

#[tokio::test]
async fn leavers_past_retention_are_anonymised_once_and_figures_stay() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let admin = app.login("admin").await;
    // A note and a ledger entry that name the leaver.
    hr.post_json(
        "/api/v1/people/E1/annotations",
        &json!({"topic": "other", "body": "易销售（E1）离职面谈已完成"}),
    )
    .await;
    let e1 = scalar(&app, "SELECT id FROM people WHERE employee_no = 'E1'").await;
    let r = admin
        .patch_json("/api/v1/people/E1", &json!({"status": "left"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let people = count(&app, "people").await;

    // Within the retention period nothing happens.
    let run = hr.post_json("/api/v1/privacy/anonymise", &json!({})).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text());
    assert_eq!(run.json()["people"], 0);
    assert_eq!(
        text(&app, &format!("SELECT name FROM people WHERE id = {e1}")).await,
        "易销售"
    );

    app.db.clock().advance(366 * 24 * 3600 * 1000);
    // A year on, sessions have long expired.
    let hr = app.login("hrbp").await;
    assert!(
        hr.get("/privacy")
            .await
            .text()
            .contains("<strong>1</strong>"),
        "one leaver is due"
    );
    let run = hr
        .post_json("/api/v1/privacy/anonymise", &json!({}))
        .await
        .json();
    assert_eq!(run["people"], 1);
    assert!(run["texts"].as_u64().unwrap() >= 1);
    assert_eq!(run["retention_days"], 365);
    let name = text(&app, &format!("SELECT name FROM people WHERE id = {e1}")).await;
    assert!(!name.contains("易销售"), "{name}");
    assert_eq!(
        text(
            &app,
            &format!("SELECT employee_no FROM people WHERE id = {e1}")
        )
        .await,
        format!("ANON-{e1}")
    );
    let note = text(
        &app,
        &format!("SELECT body FROM data_annotations WHERE person_id = {e1}"),
    )
    .await;
    assert!(!note.contains("易销售") && !note.contains("E1"), "{note}");
    assert_eq!(
        count(&app, "people").await,
        people,
        "rows stay for the figures"
    );
    // The account is closed.
    let c = app.anon();
    let login = c
        .post_json(
            "/api/v1/session",
            &json!({"login": "employee", "password": crate::support::PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    // Twice is once.
    let again = hr
        .post_json("/api/v1/privacy/anonymise", &json!({}))
        .await
        .json();
    assert_eq!(
        (again["people"].as_u64(), again["texts"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'anonymise'"
        )
        .await,
        1
    );
}
