//! Work orders from the field (issue 13 §9, P3): the customer picked as on
//! the visit form, times that start at now, the photo taken in the same
//! form, and an upload that says it worked and how big the photo is.

use axum::http::{Method, StatusCode};

use crate::support::{Client, TestApp, count};

const BOUNDARY: &str = "pulse-test-boundary";

fn multipart(fields: &[(&str, &str)], photo: Option<&[u8]>) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some(bytes) = photo {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_multipart(c: &Client, path: &str, body: Vec<u8>) -> crate::support::Res {
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    c.send(Method::POST, path, Some(&ct), body, true).await
}

#[tokio::test]
async fn a_work_order_is_logged_with_its_photo_in_one_form() {
    let app = TestApp::new().await;
    let e3 = app.login("engineer").await;
    let form = e3.get("/feedback/new?kind=work_order").await.text();
    // The times start at now, China time (the test clock: 2026-12-02 10:00).
    for f in ["reported_at", "arrived_at", "resolved_at"] {
        assert!(
            form.contains(&format!("name=\"{f}\" id=\"wo-{f}\"")),
            "{f} field"
        );
    }
    assert!(
        form.matches("value=\"2026-12-02T10:0").count() >= 3,
        "times default to now"
    );
    assert!(form.contains("data-shift=\"-15\"") && form.contains("data-customer-search"));
    assert!(
        form.contains("enctype=\"multipart/form-data\"")
            && form.contains("capture=\"environment\"")
    );

    let fields = [
        ("kind", "work_order"),
        ("reported_at", "2026-12-02T08:00"),
        ("arrived_at", "2026-12-02T09:10"),
        ("resolved_at", "2026-12-02T09:55"),
        ("parts_planned", "2"),
        ("parts_used", "1"),
        ("note", "更换电源模块"),
    ];
    // A file that is not a photo refuses the whole form and keeps the rest.
    let events_before = count(&app, "events").await;
    let r = post_multipart(
        &e3,
        "/feedback/events",
        multipart(&fields, Some(b"%PDF-1.7 not a photo")),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(html.contains("value=\"2026-12-02T09:10\"") && html.contains("value=\"更换电源模块\""));
    assert_eq!(
        count(&app, "events").await,
        events_before,
        "nothing recorded"
    );

    let jpeg = pulse_domain::photos::jpeg_with_capture_time("2026:12:02 09:41:07");
    let r = post_multipart(&e3, "/feedback/events", multipart(&fields, Some(&jpeg))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let to = r.headers["location"].to_str().unwrap().to_string();
    assert!(to.ends_with("/card"), "on to the card: {to}");
    assert_eq!(count(&app, "events").await, events_before + 1);
    assert_eq!(
        count(&app, "event_photos").await,
        1,
        "the photo came with it"
    );

    // A later photo on the photos page: confirmed, with its real size.
    let id: i64 = to
        .trim_start_matches("/feedback/events/")
        .trim_end_matches("/card")
        .parse()
        .unwrap();
    let page = format!("/feedback/events/{id}/photos");
    let second = pulse_domain::photos::jpeg_with_capture_time("2026:12:02 09:50:00");
    let r = post_multipart(&e3, &page, multipart(&[], Some(&second))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let back = e3.get(r.headers["location"].to_str().unwrap()).await.text();
    assert!(back.contains("照片已上传（1 KB）"), "size said: {back}");
    assert!(!back.contains("0.0 MB"));
}
