//! The team workbook (X2): one download per scope, one sheet per subject,
//! every figure the same as the database's.

use std::io::{Cursor, Read};

use axum::http::StatusCode;
use calamine::{Data, Range, Reader, Xlsx};

use crate::support::{Client, TestApp, build_demo, demo_login, scalar};

const SHEETS: [&str; 8] = [
    "说明",
    "人员",
    "目标与权重",
    "打卡记录",
    "业务事件",
    "反馈卡",
    "绩效评价",
    "积分",
];

struct Book {
    sheets: Vec<(String, Range<Data>)>,
    bytes: Vec<u8>,
}

impl Book {
    fn sheet(&self, name: &str) -> &Range<Data> {
        &self.sheets.iter().find(|(n, _)| n == name).unwrap().1
    }

    /// The column of `header` in `sheet`, as text cells below the header.
    fn column(&self, sheet: &str, header: &str) -> Vec<Data> {
        let s = self.sheet(sheet);
        let c = s
            .rows()
            .next()
            .unwrap()
            .iter()
            .position(|h| h == &Data::String(header.into()))
            .unwrap_or_else(|| panic!("{sheet} has no column {header}"));
        s.rows().skip(1).map(|r| r[c].clone()).collect()
    }

    fn sum(&self, sheet: &str, header: &str) -> i64 {
        self.column(sheet, header)
            .iter()
            .map(|d| match d {
                Data::Float(f) => *f as i64,
                Data::Int(i) => *i,
                Data::Empty => 0,
                other => panic!("{sheet}/{header}: {other:?} is not a number"),
            })
            .sum()
    }

    fn xml(&self, part: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(self.bytes.clone())).unwrap();
        let mut s = String::new();
        zip.by_name(part).unwrap().read_to_string(&mut s).unwrap();
        s
    }
}

async fn download(c: &Client, path: &str) -> Book {
    let r = c.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = r.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"),
        "{disposition}"
    );
    let bytes = r.body.to_vec();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    let names = book.sheet_names();
    assert_eq!(names, SHEETS);
    let sheets = names
        .into_iter()
        .map(|n| {
            let range = book.worksheet_range(&n).unwrap();
            (n, range)
        })
        .collect();
    Book { sheets, bytes }
}

/// The ids of the people a demo account's scope holds, as a SQL list.
fn team_of(login: &str) -> String {
    format!(
        "(SELECT p.id FROM people p WHERE p.org_unit_id IN \
           (SELECT org_unit_id FROM people WHERE id = (SELECT person_id FROM accounts WHERE login = '{login}')))"
    )
}

#[tokio::test]
async fn a_manager_downloads_the_team_in_one_workbook() {
    let app = TestApp::empty().await;
    build_demo(&app, 3).await;
    let manager = demo_login(&app, "manager").await;
    let team = manager.get("/api/v1/people?per_page=100").await.json();
    let board = manager.get("/goals/team").await.text();
    assert!(
        board.contains("/export/team.xlsx?period=") && board.contains("下载团队工作簿"),
        "the team board offers the workbook"
    );
    let book = download(&manager, "/export/team.xlsx").await;

    // 人员: the manager's scope, nobody else.
    let nos: Vec<Data> = book.column("人员", "工号");
    assert_eq!(nos.len() as i64, team["total"].as_i64().unwrap());
    for p in team["items"].as_array().unwrap() {
        let no = Data::String(p["employee_no"].as_str().unwrap().into());
        assert!(nos.contains(&no), "{no:?} missing");
    }

    // Every subject equals what the database holds for the team and period.
    let current = pulse_store::goals::period_at(&app.db, app.db.today())
        .await
        .unwrap()
        .expect("the demo's current period");
    let period = current.id;
    // The period's range in ms, China time, as events are stored.
    let from = pulse_domain::china_time::day_start_ms(current.starts_on);
    let to = pulse_domain::china_time::day_start_ms(current.ends_on.succ_opt().unwrap());
    let team_ids = team_of("manager");
    let goals = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM goals WHERE state = 'active' AND period_id = {period} AND person_id IN {team_ids}"
        ),
    )
    .await;
    assert!(goals > 10, "{goals}");
    assert_eq!(book.column("目标与权重", "工号").len() as i64, goals);
    let progress = book.column("目标与权重", "进度");
    assert!(
        progress.iter().all(|d| matches!(d, Data::Float(_))),
        "progress is a number (percent format), not text"
    );
    let weights: f64 = book
        .column("目标与权重", "当前权重（含规则）")
        .iter()
        .filter_map(|d| match d {
            Data::Float(f) => Some(*f),
            _ => None,
        })
        .sum();
    let people_with_kpis = scalar(
        &app,
        &format!(
            "SELECT COUNT(DISTINCT person_id) FROM goals WHERE state = 'active' AND kind = 'kpi' \
             AND period_id = {period} AND person_id IN {team_ids}"
        ),
    )
    .await;
    assert!(
        (weights - people_with_kpis as f64).abs() < 1e-6,
        "each person's weights sum to 100 %: {weights} for {people_with_kpis} people"
    );

    let check_ins = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM audit_log a JOIN goals g ON a.entity = 'goal' AND a.entity_id = CAST(g.id AS TEXT) \
             WHERE a.action = 'goal.check_in' AND g.period_id = {period} AND g.person_id IN {team_ids}"
        ),
    )
    .await;
    assert!(
        check_ins >= 4 * 10,
        "a month of weekly check-ins: {check_ins}"
    );
    assert_eq!(book.column("打卡记录", "工号").len() as i64, check_ins);
    let events = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM events WHERE occurred_at >= {from} AND occurred_at < {to} AND person_id IN {team_ids}"
        ),
    )
    .await;
    assert!(events > 50, "{events}");
    assert_eq!(book.sum("业务事件", "次数"), events);
    assert_eq!(book.sum("人员", "本期业务事件"), events);
    assert!(
        book.column("业务事件", "事件类型")
            .contains(&Data::String("客户拜访".into())),
        "kinds in words, not codes"
    );

    let cards = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM feedback_cards WHERE created_at >= {from} AND created_at < {to} AND author_id IN {team_ids}"
        ),
    )
    .await;
    assert!(cards > 10, "{cards}");
    assert_eq!(book.column("反馈卡", "工号").len() as i64, cards);
    let ratings = scalar(
        &app,
        &format!(
            "SELECT COALESCE(CAST(SUM(r.rating) AS BIGINT), 0) FROM feedback_ratings r JOIN feedback_cards c ON c.id = r.card_id \
             WHERE c.created_at >= {from} AND c.created_at < {to} AND c.author_id IN {team_ids}"
        ),
    )
    .await;
    assert_eq!(
        book.sum("反馈卡", "评分1") + book.sum("反馈卡", "评分2") + book.sum("反馈卡", "评分3"),
        ratings
    );
    let replied = scalar(
        &app,
        &format!(
            "SELECT COUNT(DISTINCT m.card_id) FROM feedback_messages m JOIN feedback_cards c ON c.id = m.card_id \
             WHERE c.created_at >= {from} AND c.created_at < {to} AND c.author_id IN {team_ids}"
        ),
    )
    .await;
    assert!(replied > 0, "the demo's reply story is in the team");
    let reply_cells = book
        .column("反馈卡", "主管回复")
        .iter()
        .filter(|d| !matches!(d, Data::Empty))
        .count() as i64;
    assert_eq!(reply_cells, replied);

    let balance = scalar(
        &app,
        &format!("SELECT COALESCE(CAST(SUM(balance) AS BIGINT), 0) FROM point_balances WHERE person_id IN {team_ids}"),
    )
    .await;
    assert_eq!(book.sum("积分", "积分余额"), balance);
    assert_eq!(book.sum("人员", "积分余额"), balance);

    // The period's reviews of the team (X2 gains the reviews sheet): the
    // lead's own only once released to them.
    let reviews = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM reviews r JOIN periods p ON p.id = r.period_id WHERE p.state = 'open' AND p.code LIKE '%Q%' AND r.person_id IN {team_ids} AND (r.reviewer_id <> r.person_id)"),
    )
    .await;
    assert!(reviews > 0, "the open cycle covers the team");
    let rows = book.column("绩效评价", "工号").len() as i64;
    assert!(rows > 0 && rows <= reviews, "{rows} of {reviews}");

    // Headers frozen with filter buttons; dates and percentages formatted.
    let sheet2 = book.xml("xl/worksheets/sheet2.xml");
    assert!(sheet2.contains(r#"state="frozen""#) && sheet2.contains("<autoFilter ref=\"A1:"));
    let styles = book.xml("xl/styles.xml");
    assert!(styles.contains("0.0%") && styles.contains("yyyy-mm-dd hh:mm"));
    assert!(
        book.column("反馈卡", "填写时间")
            .iter()
            .all(|d| matches!(d, Data::DateTime(_))),
        "times are Excel dates, not epoch numbers"
    );
}

#[tokio::test]
async fn hr_gets_the_whole_company_and_others_are_refused() {
    let app = TestApp::empty().await;
    build_demo(&app, 2).await;
    let hr = demo_login(&app, "hrbp").await;
    let book = download(&hr, "/export/team.xlsx").await;
    let everyone = scalar(&app, "SELECT COUNT(*) FROM people").await;
    assert_eq!(book.column("人员", "工号").len() as i64, everyone);
    let cover = book.column("说明", "内容");
    assert!(
        cover
            .iter()
            .any(|d| d.to_string().contains(&format!("{everyone} 人"))),
        "{cover:?}"
    );

    let employee = demo_login(&app, "employee").await;
    let r = employee.get("/export/team.xlsx").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        !employee
            .get("/goals/team")
            .await
            .text()
            .contains("/export/team.xlsx"),
        "no link a role cannot open"
    );
    let r = hr.get("/export/team.xlsx?period=NOPE").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
