//! Test harness: each test gets its own database (a SQLite file, or a fresh
//! PostgreSQL database when `PULSE_TEST_DATABASE_URL` is set), a small
//! fixture organisation with one person per role, and an in-process client.

#![allow(dead_code)]

use std::sync::OnceLock;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use pulse_domain::roles::{Grant, Role, ScopeKind};
use pulse_store::org::NewUnit;
use pulse_store::people::PersonInput;
use pulse_store::{Actor, Db, accounts};
use pulse_web::{AppState, WebConfig};
use tower::ServiceExt;

pub const PASSWORD: &str = "demo-pass";

pub use pulse_store::testing::fresh_db;

pub fn password_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| pulse_domain::auth::hash_password(PASSWORD).expect("hash"))
}

/// The fixture organisation:
/// HQ ─ HR (hrbp H1, admin A1, committee C1)
///    ─ R1 (director D1) ─ T1 (manager M1; employees E1, E2)
///                       ─ T2 (manager M2; employee E3)
///    ─ R2 ─ T3 (employee E4)
pub async fn seed_org(db: &Db) {
    let actor = Actor::system("test");
    let mut tx = db.begin().await.expect("tx");
    let u = |code: &str, name: &str, kind, parent: Option<&str>| NewUnit {
        code: code.into(),
        name: name.into(),
        kind,
        parent_code: parent.map(String::from),
        sort_order: 0,
    };
    use pulse_domain::org::UnitKind::*;
    pulse_store::org::upsert_units(
        &mut tx,
        &actor,
        &[
            u("HQ", "测试集团", Group, None),
            u("HR", "人力资源部", Department, Some("HQ")),
            u("R1", "华东大区", Region, Some("HQ")),
            u("T1", "上海销售一组", Team, Some("R1")),
            u("T2", "杭州服务一组", Team, Some("R1")),
            u("R2", "华南大区", Region, Some("HQ")),
            u("T3", "广州销售一组", Team, Some("R2")),
        ],
    )
    .await
    .expect("units");
    let ids = pulse_store::org::ids_by_code(&mut tx).await.expect("ids");
    let p = |no: &str, name: &str, job: &str, unit: &str, mgr: Option<&str>| PersonInput {
        employee_no: pulse_domain::org::EmployeeNo::parse(no).unwrap(),
        name: name.into(),
        job_family: job.into(),
        level: "P3".into(),
        org_unit_id: ids[unit],
        manager_employee_no: mgr.map(|m| pulse_domain::org::EmployeeNo::parse(m).unwrap()),
        hire_date: chrono::NaiveDate::from_ymd_opt(2022, 3, 1),
        status: pulse_domain::org::PersonStatus::Active,
        email: None,
        wecom_userid: None,
    };
    let people = vec![
        p("H1", "何人事", "人力资源", "HR", None),
        p("A1", "安管理", "信息技术", "HR", None),
        p("C1", "程委员", "高管", "HR", None),
        p("D1", "邓总监", "大区总监", "R1", None),
        p("M1", "马主管", "一线主管", "T1", Some("D1")),
        p("M2", "孟主管", "一线主管", "T2", Some("D1")),
        p("E1", "易销售", "销售代表", "T1", Some("M1")),
        p("E2", "尔销售", "销售代表", "T1", Some("M1")),
        p("E3", "散工程", "服务工程师", "T2", Some("M2")),
        p("E4", "思销售", "销售代表", "T3", None),
    ];
    pulse_store::people::upsert(&mut tx, &actor, &people, true)
        .await
        .expect("people");
    let g = |role, scope, unit: Option<&str>| Grant {
        role,
        scope,
        anchor_unit: unit.map(|u| ids[u]),
    };
    let emp = g(Role::Employee, ScopeKind::SelfOnly, None);
    let logins: Vec<(&str, &str, Vec<Grant>)> = vec![
        (
            "H1",
            "hrbp",
            vec![emp.clone(), g(Role::Hrbp, ScopeKind::Org, None)],
        ),
        (
            "A1",
            "admin",
            vec![emp.clone(), g(Role::Admin, ScopeKind::Org, None)],
        ),
        (
            "C1",
            "committee",
            vec![emp.clone(), g(Role::Committee, ScopeKind::SelfOnly, None)],
        ),
        (
            "D1",
            "director",
            vec![
                emp.clone(),
                g(Role::Director, ScopeKind::Subtree, Some("R1")),
            ],
        ),
        (
            "M1",
            "manager",
            vec![
                emp.clone(),
                g(Role::Manager, ScopeKind::Subtree, Some("T1")),
            ],
        ),
        ("E1", "employee", vec![emp.clone()]),
        ("E3", "engineer", vec![emp.clone()]),
    ];
    for (no, login, grants) in logins {
        accounts::create_account_hashed(&mut tx, &actor, no, login, password_hash(), &grants)
            .await
            .expect("account");
    }
    tx.commit().await.expect("commit");
}

pub struct TestApp {
    pub db: Db,
    pub router: Router,
    _dir: Option<tempfile::TempDir>,
}

impl TestApp {
    pub async fn new() -> TestApp {
        let (db, dir) = fresh_db().await;
        seed_org(&db).await;
        Self::with_db(db, dir)
    }

    pub async fn empty() -> TestApp {
        let (db, dir) = fresh_db().await;
        Self::with_db(db, dir)
    }

    /// An empty app whose "now" stands still at a China wall-clock time
    /// such as `"2027-01-04 00:30"`.
    pub async fn empty_at(china_time: &str) -> TestApp {
        let clock = pulse_store::Clock::at_china_time(china_time).expect("a China time");
        let (db, dir) = pulse_store::testing::fresh_db_at(clock).await;
        Self::with_db(db, dir)
    }

    pub fn with_db(db: Db, dir: Option<tempfile::TempDir>) -> TestApp {
        Self::with_db_and(db, dir, |_| {})
    }

    /// Like [`TestApp::with_db`], with the state adjusted first (e.g. the
    /// identity clients' pauses).
    pub fn with_db_and(
        db: Db,
        dir: Option<tempfile::TempDir>,
        adjust: impl FnOnce(&mut AppState),
    ) -> TestApp {
        let mut state = AppState::new(
            db.clone(),
            WebConfig {
                secure_cookies: false,
                demo: false,
                public_url: String::new(),
                files_dir: None,
            },
        )
        .expect("state");
        adjust(&mut state);
        TestApp {
            router: pulse_web::app(state),
            db,
            _dir: dir,
        }
    }

    pub fn anon(&self) -> Client {
        Client {
            router: self.router.clone(),
            cookie: None,
            csrf: None,
            bearer: None,
        }
    }

    pub async fn login(&self, login: &str) -> Client {
        let mut c = self.anon();
        let res = c
            .post_json(
                "/api/v1/session",
                &serde_json::json!({"login": login, "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "login {login}: {}", res.text());
        let cookie = res
            .headers
            .get(header::SET_COOKIE)
            .expect("cookie")
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("pair")
            .to_string();
        c.cookie = Some(cookie);
        c.csrf = res.json()["csrf_token"].as_str().map(String::from);
        c
    }

    pub fn with_token(&self, token: &str) -> Client {
        Client {
            router: self.router.clone(),
            cookie: None,
            csrf: None,
            bearer: Some(token.to_string()),
        }
    }
}

#[derive(Clone)]
pub struct Client {
    pub router: Router,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
}

pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Res {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

impl Client {
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        with_csrf: bool,
    ) -> Res {
        self.send_with(method, path, content_type, body, with_csrf, &[])
            .await
    }

    /// A JSON POST with extra headers (e.g. `Idempotency-Key`).
    pub async fn post_json_with(
        &self,
        path: &str,
        v: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> Res {
        self.send_with(
            Method::POST,
            path,
            Some("application/json"),
            serde_json::to_vec(v).expect("json"),
            false,
            headers,
        )
        .await
    }

    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        with_csrf: bool,
        extra: &[(&str, &str)],
    ) -> Res {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        if let Some(t) = &self.bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let (true, Some(t)) = (with_csrf, &self.csrf) {
            req = req.header("x-csrf-token", t);
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let res = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).expect("request"))
            .await
            .expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let body = to_bytes(res.into_body(), 64 * 1024 * 1024)
            .await
            .expect("body")
            .to_vec();
        Res {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Res {
        self.send(Method::GET, path, None, Vec::new(), false).await
    }

    pub async fn post_json(&self, path: &str, v: &serde_json::Value) -> Res {
        self.send(
            Method::POST,
            path,
            Some("application/json"),
            serde_json::to_vec(v).expect("json"),
            false,
        )
        .await
    }

    pub async fn patch_json(&self, path: &str, v: &serde_json::Value) -> Res {
        self.send(
            Method::PATCH,
            path,
            Some("application/json"),
            serde_json::to_vec(v).expect("json"),
            false,
        )
        .await
    }

    pub async fn put_json(&self, path: &str, v: &serde_json::Value) -> Res {
        self.send(
            Method::PUT,
            path,
            Some("application/json"),
            serde_json::to_vec(v).expect("json"),
            false,
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Res {
        self.send(Method::DELETE, path, None, Vec::new(), false)
            .await
    }

    /// A browser form post; `with_csrf` adds the session's `_csrf` field.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)], with_csrf: bool) -> Res {
        let mut pairs: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        if with_csrf {
            pairs.push(format!("_csrf={}", enc(self.csrf.as_deref().unwrap_or(""))));
        }
        self.send(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            pairs.join("&").into_bytes(),
            false,
        )
        .await
    }

    /// Uploads a file as the raw body of the import API.
    pub async fn upload(&self, path: &str, bytes: Vec<u8>) -> Res {
        self.send(
            Method::POST,
            path,
            Some("application/octet-stream"),
            bytes,
            true,
        )
        .await
    }
}

pub fn enc(s: &str) -> String {
    pulse_web::access::urlencode(s).replace('/', "%2F")
}

/// Builds an .xlsx in memory from rows of text.
pub fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, *v).expect("write");
            }
        }
    }
    wb.save_to_buffer().expect("save")
}

/// Goals for the test org (issue 4): a period around today, a TOP goal →
/// 华东 objective → 上海销售一组 KR chain, three KPIs each for E1, E2 (T1)
/// and E4 (华南), and the seed's rule. Returns the period id.
pub async fn seed_goals(db: &Db) -> i64 {
    use pulse_store::goals::{self, Cause, MetricInput, NewGoal, NewKpi};
    let actor = Actor::system("test");
    let today = db.today();
    let mut tx = db.begin().await.expect("tx");
    let period = goals::upsert_period(
        &mut tx,
        "TQ",
        "测试季度",
        today - chrono::Days::new(30),
        today + chrono::Days::new(60),
    )
    .await
    .expect("period");
    let mut metrics = Vec::new();
    for (code, name) in [
        ("FOC", "新客户首单转化率"),
        ("KAP", "重点客户渗透率"),
        ("SALES", "销售额达成率"),
    ] {
        metrics.push(
            goals::upsert_metric(
                &mut tx,
                &MetricInput {
                    code: code.into(),
                    name: name.into(),
                    unit: "%".into(),
                    direction: "higher".into(),
                    source: "manual".into(),
                    formula: String::new(),
                    description: String::new(),
                },
            )
            .await
            .expect("metric"),
        );
    }
    let ids = pulse_store::org::ids_by_code(&mut tx).await.expect("ids");
    let goal = |kind: &str, title: &str, unit: &str, parent: Option<i64>| NewGoal {
        period_id: period,
        kind: kind.into(),
        title: title.into(),
        org_unit_id: Some(ids[unit]),
        person_id: None,
        parent_id: parent,
        metric_id: None,
        target: None,
        base_weight_bp: 0,
        sort_order: 0,
    };
    let top = goals::create_goal(
        &mut tx,
        &goal("company", "TOP2 新客户收入占比达到20%", "HQ", None),
    )
    .await
    .expect("top");
    let obj = goals::create_goal(
        &mut tx,
        &goal("objective", "华东大区：新客户开拓", "R1", Some(top)),
    )
    .await
    .expect("objective");
    let kr = goals::create_goal(
        &mut tx,
        &goal("key_result", "上海销售一组：首单转化提升", "T1", Some(obj)),
    )
    .await
    .expect("kr");
    for no in ["E1", "E2", "E4", "M1"] {
        let person = pulse_store::people::ids_by_employee_no(&mut tx)
            .await
            .expect("ids")[no];
        let items: Vec<NewKpi> = [
            ("新客户首单转化率", "35", 2500),
            ("重点客户渗透率", "60", 4500),
            ("销售额达成率", "100", 3000),
        ]
        .iter()
        .zip(&metrics)
        .map(|((title, target, w), m)| NewKpi {
            title: title.to_string(),
            metric_id: Some(*m),
            parent_id: Some(kr),
            target: Some(target.to_string()),
            actual: None,
            lower_is_better: false,
            weight_bp: *w,
        })
        .collect();
        goals::create_kpi_set(
            &mut tx,
            &actor,
            period,
            person,
            &items,
            &Cause {
                kind: "template",
                rule_id: None,
                note: "销售代表岗位模板",
            },
        )
        .await
        .expect("kpis");
    }
    pulse_store::weight_rules::save_rule(
        &mut tx,
        &actor,
        None,
        &pulse_store::weight_rules::RuleInput {
            name: "A类签约增长".into(),
            condition: "a_class_new_sign_rate > 0.15".into(),
            metric_code: "FOC".into(),
            weight_bp: 3500,
            scope_unit_code: None,
            priority: 10,
            enabled: true,
            description: String::new(),
        },
    )
    .await
    .expect("rule");
    tx.commit().await.expect("commit");
    period
}

/// Feedback fixtures: five tags, two rewards (a 10-point course, a 10-point
/// leave voucher with a stock of 2) and two R1 customers owned by E1.
pub async fn seed_feedback(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    for t in [
        "沟通质量",
        "需求洞察深度",
        "方案匹配度",
        "跟进及时性",
        "医疗政策解读",
    ] {
        pulse_store::feedback::save_tag(&mut tx, t, "", true, None)
            .await
            .unwrap();
    }
    for (name, kind, stock) in [
        ("销售谈判训练营", "training", None),
        ("半天调休券", "leave", Some(2)),
    ] {
        pulse_store::points::save_reward(
            &mut tx,
            &pulse_store::points::RewardInput {
                name: name.into(),
                kind: kind.into(),
                description: String::new(),
                cost: 10,
                stock,
                active: true,
            },
        )
        .await
        .unwrap();
    }
    let refs = pulse_store::customers::refs(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let items: Vec<_> = [("CRM-001", "瑞华医院", "A"), ("CRM-002", "康宁诊所", "B")]
        .iter()
        .map(|(id, name, tier)| {
            pulse_store::customers::check(
                &refs,
                &pulse_store::customers::CustomerInput {
                    external_id: (*id).into(),
                    name: (*name).into(),
                    tier: (*tier).into(),
                    region: "R1".into(),
                    owner: Some("E1".into()),
                    signed_on: None,
                },
            )
            .unwrap()
        })
        .collect();
    pulse_store::customers::apply(db, &items, "test", false)
        .await
        .unwrap();
}

/// Rows in a table, on either engine.
pub async fn count(app: &TestApp, table: &str) -> i64 {
    scalar(app, &format!("SELECT COUNT(*) FROM {table}")).await
}

/// One whole number a query answers (cast to BIGINT for PostgreSQL), on either engine.
pub async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let sql = sql.to_string();
    match app.db.pool() {
        pulse_store::Pool::Sqlite(p) => {
            sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql))
                .fetch_one(p)
                .await
                .unwrap()
                .0
        }
        pulse_store::Pool::Postgres(p) => {
            sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql))
                .fetch_one(p)
                .await
                .unwrap()
                .0
        }
    }
}

/// Signs in as a demo account (password `demo`).
pub async fn demo_login(app: &TestApp, login: &str) -> Client {
    let mut c = app.anon();
    let r = c
        .post_json(
            "/api/v1/session",
            &serde_json::json!({"login": login, "password": pulse_demo::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{login}: {}", r.text());
    let cookie = r.headers["set-cookie"].to_str().expect("cookie");
    c.cookie = cookie.split(';').next().map(str::to_string);
    c.csrf = r.json()["csrf_token"].as_str().map(String::from);
    c
}

/// Builds the demo with `weeks` of history into the app's empty database.
pub async fn build_demo(app: &TestApp, weeks: i64) {
    pulse_demo::build_with(
        &app.db,
        pulse_demo::DEFAULT_SEED,
        &pulse_demo::Volume { weeks },
        &pulse_demo::NoProgress,
    )
    .await
    .expect("demo");
}

/// An open server-sent event stream read in the test.
pub struct EventStream {
    pub status: StatusCode,
    pub headers: HeaderMap,
    body: axum::body::BodyDataStream,
    /// Everything received so far.
    pub text: String,
}

impl EventStream {
    /// Reads until `pred` holds on what was received, or `secs` pass.
    pub async fn until(&mut self, secs: u64, pred: impl Fn(&str) -> bool) -> bool {
        use tokio_stream::StreamExt;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
        while !pred(&self.text) {
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.text.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return pred(&self.text),
            }
        }
        true
    }
}

impl Client {
    /// Opens a streaming GET (server-sent events) without waiting for its end.
    pub async fn open_stream(&self, path: &str, extra: &[(&str, &str)]) -> EventStream {
        let mut req = Request::builder().method(Method::GET).uri(path);
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = self
            .router
            .clone()
            .oneshot(req.body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        EventStream {
            status: res.status(),
            headers: res.headers().clone(),
            body: res.into_body().into_data_stream(),
            text: String::new(),
        }
    }
}

/// One text a query answers, on either engine.
pub async fn text(app: &TestApp, sql: &str) -> String {
    let sql = sql.to_string();
    match app.db.pool() {
        pulse_store::Pool::Sqlite(p) => {
            sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql))
                .fetch_one(p)
                .await
                .unwrap()
                .0
        }
        pulse_store::Pool::Postgres(p) => {
            sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql))
                .fetch_one(p)
                .await
                .unwrap()
                .0
        }
    }
}
