//! The import framework through the API (X1): xlsx and GBK CSV, dry run,
//! row errors with the error workbook, all-or-nothing, upsert by 工号.

use axum::http::StatusCode;

use crate::support::{TestApp, xlsx};

const HEADER: &[&str] = &[
    "工号",
    "姓名",
    "部门",
    "上级工号",
    "岗位族",
    "职级",
    "入职日期",
];

fn people_count(v: &serde_json::Value) -> i64 {
    v["total"].as_i64().unwrap()
}

#[tokio::test]
async fn xlsx_dry_run_commit_and_upsert() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let file = xlsx(&[
        &["2026 年华东人员花名册"],
        &[""],
        HEADER,
        &["N1", "新主管", "T1", "", "一线主管", "M1", "2024-03-01"],
        &[
            "N2",
            "新同事",
            "华东大区/上海销售一组",
            "N1",
            "销售代表",
            "P2",
            "2025/7/1",
        ],
        &["E2", "尔销售", "T1", "M1", "销售代表", "P5", "45000"],
    ]);
    let dry = hr.upload("/api/v1/imports/people", file.clone()).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.text());
    let report = &dry.json()["report"];
    assert_eq!(report["rows"], 3);
    assert_eq!(report["counts"]["created"], 2);
    assert_eq!(report["counts"]["updated"], 1);
    assert_eq!(report["committed"], false);
    assert_eq!(
        people_count(&hr.get("/api/v1/people").await.json()),
        10,
        "dry run changes nothing"
    );

    let done = hr
        .upload("/api/v1/imports/people?dry_run=false", file.clone())
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.text());
    assert_eq!(people_count(&hr.get("/api/v1/people").await.json()), 12);
    let n2 = hr.get("/api/v1/people/N2").await.json();
    assert_eq!(n2["manager"]["employee_no"], "N1");
    assert_eq!(n2["hire_date"], "2025-07-01");
    let e2 = hr.get("/api/v1/people/E2").await.json();
    assert_eq!(e2["level"], "P5");
    assert_eq!(e2["hire_date"], "2023-03-15", "Excel serial 45000");

    let again = hr
        .upload("/api/v1/imports/people?dry_run=false", file)
        .await
        .json();
    assert_eq!(
        again["report"]["counts"]["unchanged"], 3,
        "re-import of the same file changes nothing"
    );
    assert_eq!(again["report"]["counts"]["created"], 0);
}

#[tokio::test]
async fn gbk_csv_is_read_without_mojibake() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let text = "工号,姓名,部门,上级工号,岗位族,职级,入职日期\r\nG1,钱多多,上海销售一组,M1,销售代表,P3,2025年3月31日\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let r = hr
        .upload("/api/v1/imports/people?dry_run=false", gbk.into_owned())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let g1 = hr.get("/api/v1/people/G1").await.json();
    assert_eq!(g1["name"], "钱多多");
    assert_eq!(g1["org_unit"]["name"], "上海销售一组");
    assert_eq!(g1["hire_date"], "2025-03-31");

    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice("工号,姓名,部门,岗位族,职级\nG2,孙一,T2,服务工程师,P2\n".as_bytes());
    let r = hr.upload("/api/v1/imports/people?dry_run=false", bom).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

#[tokio::test]
async fn row_errors_reject_the_whole_file_and_come_back_as_a_workbook() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let file = xlsx(&[
        HEADER,
        &["X1", "好人", "T1", "M1", "销售代表", "P3", "2025-01-01"],
        &["X2", "", "T1", "", "销售代表", "P3", ""],
        &["X1", "重复", "T1", "", "销售代表", "P3", ""],
        &["X3", "无上级", "T1", "NOBODY", "销售代表", "P3", ""],
        &["X4", "坏日期", "T1", "", "销售代表", "P3", "2025-13-45"],
        &["X5", "无部门", "火星分部", "", "销售代表", "P3", ""],
        &["X 6", "坏工号", "T1", "", "销售代表", "P3", ""],
    ]);
    let r = hr
        .upload("/api/v1/imports/people?dry_run=false", file)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let v = r.json();
    assert_eq!(v["error"]["code"], "import_rejected");
    let errors = v["report"]["errors"].as_array().unwrap();
    let at = |row: i64, col: &str| errors.iter().any(|e| e["row"] == row && e["column"] == col);
    assert!(at(3, "姓名"), "{errors:?}");
    assert!(at(4, "工号"), "duplicate");
    assert!(at(5, "上级工号"), "unknown manager");
    assert!(at(6, "入职日期"), "bad date");
    assert!(at(7, "部门"), "unknown unit");
    assert!(at(8, "工号"), "bad employee number");
    assert!(!at(2, "工号"), "the good row has no error");
    assert!(
        errors
            .iter()
            .all(|e| !e["message"].as_str().unwrap().is_empty())
    );
    assert_eq!(
        people_count(&hr.get("/api/v1/people").await.json()),
        10,
        "all or nothing"
    );
    assert!(hr.get("/api/v1/people/X1").await.status == StatusCode::NOT_FOUND);

    let batch = v["report"]["batch_id"].as_i64().unwrap();
    let wb = hr
        .get(&format!("/api/v1/imports/batches/{batch}/errors.xlsx"))
        .await;
    assert_eq!(wb.status, StatusCode::OK);
    let grid = pulse_sheets::read(&wb.body).unwrap();
    assert_eq!(grid.rows[0].last().unwrap().as_text(), "错误信息");
    assert!(grid.rows[2].last().unwrap().as_text().contains("姓名"));
    assert!(grid.rows[1].get(7).is_none_or(|c| c.is_empty()));
}

#[tokio::test]
async fn manager_cycle_in_a_file_is_reported_on_its_rows() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let file = xlsx(&[
        HEADER,
        &["Y1", "甲", "T1", "Y3", "销售代表", "P3", ""],
        &["Y2", "乙", "T1", "Y1", "销售代表", "P3", ""],
        &["Y3", "丙", "T1", "Y2", "销售代表", "P3", ""],
        &["Y4", "丁", "T1", "M1", "销售代表", "P3", ""],
    ]);
    let r = hr.upload("/api/v1/imports/people", file).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = r.json()["report"]["errors"].as_array().unwrap().clone();
    let rows: Vec<i64> = errors.iter().map(|e| e["row"].as_i64().unwrap()).collect();
    assert_eq!(rows, vec![2, 3, 4]);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("Y1 → Y3 → Y2 → Y1")
    );

    // A cycle through people already stored: M1 (manages E1) to report to E1.
    let file = xlsx(&[HEADER, &["M1", "马主管", "T1", "E1", "一线主管", "P3", ""]]);
    let r = hr.upload("/api/v1/imports/people", file).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("E1 → M1 → E1") || r.text().contains("M1 → E1 → M1"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn file_level_problems() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "文件为空"),
        (xlsx(&[&["", ""]]), "工作表为空"),
        (xlsx(&[&["名字", "电话"], &["张三", "1"]]), "未找到表头"),
        (xlsx(&[HEADER]), "没有数据行"),
        (b"PK\x03\x04 this is not a zip".to_vec(), "无法读取文件"),
        (
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0],
            "无法读取文件",
        ),
        (vec![0xff, 0xfe, 0x00, 0xd8], "编码"),
    ];
    for (bytes, expect) in cases {
        let r = hr.upload("/api/v1/imports/people", bytes).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{expect}: {}",
            r.text()
        );
        let msg = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(msg.contains(expect), "{expect} not in {msg}");
    }
    let unknown_kind = hr.upload("/api/v1/imports/nope", xlsx(&[HEADER])).await;
    assert_eq!(unknown_kind.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn org_units_import_builds_a_tree_and_refuses_cycles() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let file = xlsx(&[
        &["部门编码", "部门名称", "上级部门编码", "类型"],
        &["R3-T1", "成都销售一组", "R3", "团队"],
        &["R3", "西南大区", "HQ", "大区"],
    ]);
    let r = hr
        .upload("/api/v1/imports/org_units?dry_run=false", file)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let units = hr.get("/api/v1/org-units").await.json();
    let t = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "R3-T1")
        .unwrap()
        .clone();
    assert_eq!(t["path"], "测试集团 / 西南大区 / 成都销售一组");

    let cycle = xlsx(&[
        &["部门编码", "部门名称", "上级部门编码"],
        &["R3", "西南大区", "R3-T1"],
    ]);
    let r = hr
        .upload("/api/v1/imports/org_units?dry_run=false", cycle)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("循环"));
    let units = hr.get("/api/v1/org-units").await.json();
    let r3 = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "R3")
        .unwrap()
        .clone();
    assert_eq!(r3["parent"], "HQ", "rolled back");

    let bad_kind = xlsx(&[&["部门编码", "部门名称", "类型"], &["Z1", "某部", "星系"]]);
    let r = hr.upload("/api/v1/imports/org_units", bad_kind).await;
    assert_eq!(r.json()["report"]["errors"][0]["column"], "类型");
}

#[tokio::test]
async fn export_round_trips_through_import() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let wb = hr.get("/export/people.xlsx").await;
    assert_eq!(wb.status, StatusCode::OK);
    assert!(
        wb.headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let r = hr
        .upload("/api/v1/imports/people", wb.body.clone())
        .await
        .json();
    assert_eq!(r["report"]["rows"], 10);
    assert_eq!(r["report"]["counts"]["unchanged"], 10, "{r}");

    let m = app.login("manager").await;
    let mine = m.get("/export/people.xlsx").await;
    let grid = pulse_sheets::read(&mine.body).unwrap();
    assert_eq!(grid.rows.len(), 4, "header + the manager's scope of three");
}

#[tokio::test]
async fn import_page_flow() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let file = xlsx(&[
        HEADER,
        &["P1", "页面导入", "T1", "M1", "销售代表", "P3", ""],
    ]);
    let boundary = "XBOUNDARY";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\npeople\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"人员.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(&file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let path = format!("/import?_csrf={}", hr.csrf.clone().unwrap());
    let r = hr
        .send(
            axum::http::Method::POST,
            &path,
            Some(&format!("multipart/form-data; boundary={boundary}")),
            body.clone(),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("确认导入"), "offers the commit button");
    let batch: i64 = html
        .split("/import/batches/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        hr.get("/api/v1/people/P1").await.status,
        StatusCode::NOT_FOUND
    );
    let commit = hr
        .post_form(&format!("/import/batches/{batch}/commit"), &[], true)
        .await;
    assert_eq!(commit.status, StatusCode::OK);
    assert!(commit.text().contains("导入完成"));
    assert_eq!(hr.get("/api/v1/people/P1").await.json()["name"], "页面导入");

    let no_csrf = hr
        .send(
            axum::http::Method::POST,
            "/import",
            Some(&format!("multipart/form-data; boundary={boundary}")),
            body,
            false,
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn columns_missing_from_the_file_keep_their_stored_values() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let file = xlsx(&[
        &["工号", "姓名", "部门", "岗位族", "职级"],
        &["E1", "易销售", "T1", "销售代表", "P4"],
    ]);
    let r = hr
        .upload("/api/v1/imports/people?dry_run=false", file)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["report"]["counts"]["updated"], 1);
    let e1 = hr.get("/api/v1/people/E1").await.json();
    assert_eq!(e1["level"], "P4");
    assert_eq!(e1["hire_date"], "2022-03-01", "no 入职日期 column: kept");
    assert_eq!(
        e1["manager"]["employee_no"], "M1",
        "no 上级工号 column: kept"
    );

    // With the column present but empty, the value is cleared on purpose.
    let file = xlsx(&[
        &["工号", "姓名", "部门", "上级工号", "岗位族", "职级"],
        &["E1", "易销售", "T1", "", "销售代表", "P4"],
    ]);
    hr.upload("/api/v1/imports/people?dry_run=false", file)
        .await;
    assert!(hr.get("/api/v1/people/E1").await.json()["manager"].is_null());
}

#[tokio::test]
async fn renamed_units_show_at_once_in_person_paths() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    assert_eq!(
        hr.get("/api/v1/people/E1").await.json()["org_path"],
        "测试集团 / 华东大区 / 上海销售一组"
    );
    let file = xlsx(&[
        &["部门编码", "部门名称", "上级部门编码", "类型"],
        &["T1", "上海销售1组", "R1", "团队"],
    ]);
    assert_eq!(
        hr.upload("/api/v1/imports/org_units?dry_run=false", file)
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        hr.get("/api/v1/people/E1").await.json()["org_path"],
        "测试集团 / 华东大区 / 上海销售1组",
        "the cached tree follows the org version"
    );
}

#[tokio::test]
async fn a_roster_cannot_mark_the_importing_hr_as_left() {
    let app = TestApp::new().await;
    let hr = app.login("hrbp").await;
    let me = hr.get("/api/v1/me").await.json();
    let no = me["employee_no"].as_str().unwrap().to_string();
    let person = hr.get(&format!("/api/v1/people/{no}")).await.json();
    let unit = person["org_unit"]["code"].as_str().unwrap().to_string();
    let job = person["job_family"].as_str().unwrap().to_string();
    let level = person["level"].as_str().unwrap().to_string();
    let file = xlsx(&[
        &["工号", "姓名", "部门", "岗位族", "职级", "在职状态"],
        &["E4", "肆销售", "T1", "销售代表", "P3", "离职"],
        &[&no, "本人", &unit, &job, &level, "离职"],
    ]);
    for url in [
        "/api/v1/imports/people",
        "/api/v1/imports/people?dry_run=false",
    ] {
        let r = hr.upload(url, file.clone()).await;
        let report = &r.json()["report"];
        assert_eq!(report["committed"], false, "{url}: {report}");
        let msg = report["file_error"].as_str().unwrap_or_default();
        assert!(
            msg.contains("不能把自己") && msg.contains(&no),
            "{url}: {report}"
        );
    }
    assert_eq!(hr.get("/api/v1/me").await.status, StatusCode::OK);
    let e4 = hr.get("/api/v1/people/E4").await.json();
    assert_eq!(
        e4["status"], "active",
        "all or nothing: E4 is not left either"
    );
}
