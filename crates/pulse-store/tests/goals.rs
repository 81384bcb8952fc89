//! Goals, weights, live rules and adjustment requests on the engine under
//! test (G4–G7): the sum is always exactly 100 %, the history replays to the
//! current weights, rules are state-based, requests are exact.

use chrono::NaiveDate;
use proptest::prelude::*;
use pulse_domain::org::UnitKind;
use pulse_domain::roles::{Grant, Role, ScopeKind};
use pulse_store::goals::{self, Cause, MetricInput, NewGoal};
use pulse_store::org::NewUnit;
use pulse_store::people::PersonInput;
use pulse_store::weight_rules::{self, RuleInput};
use pulse_store::{Actor, Db, StoreError, adjustments, inbox, outbox};

struct World {
    db: Db,
    _dir: Option<tempfile::TempDir>,
    period: i64,
    r1: i64,
    r2: i64,
    e1: i64,
    e2: i64,
    d1: i64,
    /// E1's KPIs: 新客户首单转化率 (metric FOC), 重点客户渗透率, 销售额达成, 回款.
    kpis: Vec<i64>,
}

fn unit(code: &str, name: &str, kind: UnitKind, parent: Option<&str>) -> NewUnit {
    NewUnit {
        code: code.into(),
        name: name.into(),
        kind,
        parent_code: parent.map(str::to_string),
        sort_order: 0,
    }
}

fn person(no: &str, name: &str, unit: i64, manager: Option<&str>) -> PersonInput {
    PersonInput {
        employee_no: pulse_domain::org::EmployeeNo::parse(no).unwrap(),
        name: name.into(),
        job_family: "销售代表".into(),
        level: "P3".into(),
        org_unit_id: unit,
        manager_employee_no: manager.map(|m| pulse_domain::org::EmployeeNo::parse(m).unwrap()),
        hire_date: None,
        status: pulse_domain::org::PersonStatus::Active,
        email: None,
        wecom_userid: Some(format!("wx{no}")),
    }
}

const BASE: [i64; 4] = [2500, 3000, 3000, 1500];

async fn world() -> World {
    let (db, dir) = pulse_store::testing::fresh_db().await;
    let actor = Actor::system("test");
    let mut tx = db.begin().await.unwrap();
    pulse_store::org::upsert_units(
        &mut tx,
        &actor,
        &[
            unit("HQ", "集团", UnitKind::Group, None),
            unit("R1", "华东大区", UnitKind::Region, Some("HQ")),
            unit("T1", "上海销售一组", UnitKind::Team, Some("R1")),
            unit("R2", "华南大区", UnitKind::Region, Some("HQ")),
            unit("T2", "广州销售一组", UnitKind::Team, Some("R2")),
        ],
    )
    .await
    .unwrap();
    let ids = pulse_store::org::ids_by_code(&mut tx).await.unwrap();
    pulse_store::people::upsert(
        &mut tx,
        &actor,
        &[
            person("D1", "华东总监", ids["R1"], None),
            person("M1", "上海主管", ids["T1"], Some("D1")),
            person("E1", "上海销售", ids["T1"], Some("M1")),
            person("D2", "华南总监", ids["R2"], None),
            person("E2", "广州销售", ids["T2"], Some("D2")),
        ],
        true,
    )
    .await
    .unwrap();
    for (no, anchor) in [("D1", ids["R1"]), ("D2", ids["R2"])] {
        pulse_store::accounts::create_account_hashed(
            &mut tx,
            &actor,
            no,
            &no.to_lowercase(),
            "x",
            &[Grant {
                role: Role::Director,
                scope: ScopeKind::Subtree,
                anchor_unit: Some(anchor),
            }],
        )
        .await
        .unwrap();
    }
    outbox::save_channel(
        &mut tx,
        "企业微信应用",
        "wecom_app",
        &serde_json::json!({"base_url": "http://127.0.0.1:9", "corpid": "ww", "corpsecret": "s", "agentid": 1}),
        true,
    )
    .await
    .unwrap();
    let period = goals::upsert_period(
        &mut tx,
        "2026Q4",
        "2026年第四季度",
        NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    )
    .await
    .unwrap();
    let mut metric_ids = Vec::new();
    for (code, name) in [
        ("FOC", "新客户首单转化率"),
        ("KAP", "重点客户渗透率"),
        ("SALES", "销售额达成率"),
        ("CASH", "回款率"),
    ] {
        metric_ids.push(
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
            .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    let people = |no: &'static str| {
        let db = db.clone();
        async move {
            pulse_store::people::by_employee_no(&db, no)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let (e1, e2, d1) = (people("E1").await, people("E2").await, people("D1").await);
    let mut kpis = Vec::new();
    let mut tx = db.begin().await.unwrap();
    for who in [e1, e2] {
        let mut mine = Vec::new();
        for (i, m) in metric_ids.iter().enumerate() {
            let id = goals::create_goal(
                &mut tx,
                &NewGoal {
                    period_id: period,
                    kind: "kpi".into(),
                    title: [
                        "新客户首单转化率",
                        "重点客户渗透率",
                        "销售额达成率",
                        "回款率",
                    ][i]
                        .into(),
                    org_unit_id: None,
                    person_id: Some(who),
                    parent_id: None,
                    metric_id: Some(*m),
                    target: Some(["0.35", "0.6", "100", "0.95"][i].into()),
                    base_weight_bp: 0,
                    sort_order: i as i64,
                },
            )
            .await
            .unwrap();
            mine.push(id);
        }
        let base: Vec<(i64, i64)> = mine.iter().copied().zip(BASE).collect();
        goals::set_base_weights(
            &mut tx,
            &Actor::system("模板"),
            who,
            period,
            &base,
            &[],
            &Cause {
                kind: "template",
                rule_id: None,
                note: "岗位模板",
            },
        )
        .await
        .unwrap();
        if who == e1 {
            kpis = mine;
        }
    }
    tx.commit().await.unwrap();
    World {
        r1: ids["R1"],
        r2: ids["R2"],
        db,
        _dir: dir,
        period,
        e1,
        e2,
        d1,
        kpis,
    }
}

async fn weights_of(w: &World, person: i64) -> Vec<i64> {
    goals::person_goals(&w.db, person, w.period)
        .await
        .unwrap()
        .iter()
        .map(|g| g.weight_bp)
        .collect()
}

async fn set_rate(w: &World, region: i64, rate: f64) {
    let mut tx = w.db.begin().await.unwrap();
    weight_rules::set_region_metrics(
        &mut tx,
        region,
        w.period,
        &[("a_class_new_sign_rate".into(), rate)],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn seed_rule(w: &World, name: &str, weight: i64, priority: i64) -> i64 {
    let mut tx = w.db.begin().await.unwrap();
    let id = weight_rules::save_rule(
        &mut tx,
        &Actor::system("hrbp"),
        None,
        &RuleInput {
            name: name.into(),
            condition: "a_class_new_sign_rate > 0.15".into(),
            metric_code: "FOC".into(),
            weight_bp: weight,
            scope_unit_code: None,
            priority,
            enabled: true,
            description: String::new(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn the_seed_rule_fires_in_one_region_and_ends_cleanly() {
    let w = world().await;
    seed_rule(&w, "A类签约增长加码首单转化", 3500, 10).await;
    set_rate(&w, w.r1, 0.175).await;
    set_rate(&w, w.r2, 0.08).await;
    let actor = Actor::system("规则引擎");
    let first = weight_rules::evaluate(&w.db, w.period, None, &actor)
        .await
        .unwrap();
    assert_eq!(first.regions, 2);
    assert_eq!(first.people_changed, 1, "only 华东");
    assert_eq!(weights_of(&w, w.e1).await, vec![3500, 2600, 2600, 1300]);
    assert_eq!(weights_of(&w, w.e2).await, BASE.to_vec());
    let to_director: Vec<_> = outbox::list(&w.db, "pending", 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient == "wxD1")
        .collect();
    assert_eq!(to_director.len(), 1, "the region's director is told");
    assert!(
        to_director[0].body.contains("A类客户新增签约率 17.5%"),
        "{}",
        to_director[0].body
    );
    assert!(
        to_director[0].body.contains("25% → 35%"),
        "{}",
        to_director[0].body
    );

    // Re-evaluating without a change writes nothing and tells nobody.
    let history = goals::weight_history(&w.db, w.e1, w.period)
        .await
        .unwrap()
        .len();
    let messages = outbox::counts(&w.db).await.unwrap();
    let again = weight_rules::evaluate(&w.db, w.period, None, &actor)
        .await
        .unwrap();
    assert_eq!((again.people_changed, again.messages), (0, 0));
    assert!(again.state_changes.is_empty());
    assert_eq!(
        goals::weight_history(&w.db, w.e1, w.period)
            .await
            .unwrap()
            .len(),
        history
    );
    assert_eq!(outbox::counts(&w.db).await.unwrap(), messages);

    // The condition stops holding: base weights return, with the reason.
    set_rate(&w, w.r1, 0.12).await;
    let ended = weight_rules::evaluate(&w.db, w.period, None, &actor)
        .await
        .unwrap();
    assert_eq!(ended.people_changed, 1);
    assert_eq!(weights_of(&w, w.e1).await, BASE.to_vec());
    let last = &goals::weight_history(&w.db, w.e1, w.period).await.unwrap()[0];
    assert_eq!(last.cause, "rule_ended");
    assert!(last.note.contains("恢复基础权重"));
}

#[tokio::test]
async fn the_higher_priority_rule_wins_and_the_loser_shows_overridden() {
    let w = world().await;
    let low = seed_rule(&w, "低优先级", 3000, 1).await;
    let high = seed_rule(&w, "高优先级", 4000, 9).await;
    set_rate(&w, w.r1, 0.2).await;
    weight_rules::evaluate(&w.db, w.period, Some(w.r1), &Actor::system("t"))
        .await
        .unwrap();
    assert_eq!(weights_of(&w, w.e1).await[0], 4000);
    let states = weight_rules::states(&w.db).await.unwrap();
    let state = |id: i64| {
        states
            .iter()
            .find(|s| s.rule_id == id && s.org_unit_id == w.r1)
            .unwrap()
            .state
            .clone()
    };
    assert_eq!(state(high), "active");
    assert_eq!(state(low), "overridden");
}

#[tokio::test]
async fn bad_rules_and_inputs_change_nothing() {
    let w = world().await;
    let mut tx = w.db.begin().await.unwrap();
    let bad = |cond: &str| RuleInput {
        name: "坏规则".into(),
        condition: cond.into(),
        metric_code: "FOC".into(),
        weight_bp: 3500,
        scope_unit_code: None,
        priority: 0,
        enabled: true,
        description: String::new(),
    };
    for (cond, code) in [
        ("a_class_new_sign_rate >", "rule_syntax"),
        ("a_class_rate > 0.15", "rule_unknown_variable"),
        ("a_class_new_sign_rate * 2.0", "rule_not_boolean"),
    ] {
        match weight_rules::save_rule(&mut tx, &Actor::system("t"), None, &bad(cond)).await {
            Err(StoreError::Invalid(p)) => assert_eq!(p.code, code, "{cond}"),
            other => panic!("{cond}: {other:?}"),
        }
    }
    let mut unknown_metric = bad("a_class_new_sign_rate > 0.15");
    unknown_metric.metric_code = "NOPE".into();
    assert!(
        weight_rules::save_rule(&mut tx, &Actor::system("t"), None, &unknown_metric)
            .await
            .is_err()
    );
    assert!(
        weight_rules::set_region_metrics(&mut tx, w.r1, w.period, &[("headcount".into(), 3.0)])
            .await
            .is_err()
    );
    tx.commit().await.unwrap();
    assert!(weight_rules::rules(&w.db).await.unwrap().is_empty());

    // An incomplete or wrong weight set is refused and the weights stay.
    let mut tx = w.db.begin().await.unwrap();
    let wrong: Vec<(i64, i64)> = w
        .kpis
        .iter()
        .copied()
        .zip([2500, 2500, 2500, 2499])
        .collect();
    let cause = Cause {
        kind: "manual",
        rule_id: None,
        note: "",
    };
    let e = goals::set_base_weights(
        &mut tx,
        &Actor::system("t"),
        w.e1,
        w.period,
        &wrong,
        &[],
        &cause,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, StoreError::Invalid(ref p) if p.code == "weights_not_100"),
        "{e:?}"
    );
    let e = goals::set_base_weights(
        &mut tx,
        &Actor::system("t"),
        w.e1,
        w.period,
        &wrong[..3],
        &[],
        &cause,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, StoreError::Invalid(ref p) if p.code == "weights_incomplete"),
        "{e:?}"
    );
    drop(tx);
    assert_eq!(weights_of(&w, w.e1).await, BASE.to_vec());
}

#[tokio::test]
async fn adjustment_requests_are_exact_routed_and_take_effect_on_approval() {
    let w = world().await;
    let actor = Actor::system("E1");
    let foc = w.kpis[0]; // target 0.35
    let sales = w.kpis[2]; // target 100
    let refuse = |r: Result<adjustments::Adjustment, StoreError>| match r {
        Err(StoreError::Invalid(p)) | Err(StoreError::Conflict(p)) => p.code,
        other => panic!("{other:?}"),
    };
    let code =
        refuse(adjustments::request(&w.db, &actor, w.e1, sales, "110.01", "政策变化", "").await);
    assert_eq!(code, "adjustment_too_large");
    let code = refuse(adjustments::request(&w.db, &actor, w.e1, sales, "110", "  ", "").await);
    assert_eq!(code, "reason_required");
    assert!(matches!(
        adjustments::request(&w.db, &actor, w.e2, sales, "110", "不是我的", "").await,
        Err(StoreError::NotFound(_))
    ));

    let a = adjustments::request(
        &w.db,
        &actor,
        w.e1,
        foc,
        "0.385",
        "瑞金医院招标政策调整，首单周期拉长",
        "https://pulse.example.cn",
    )
    .await
    .unwrap();
    assert_eq!(a.approver_id, w.d1, "the region's director by default");
    assert_eq!(
        (a.old_target.as_str(), a.new_target.as_str()),
        ("0.35", "0.385")
    );
    // A revised request replaces the pending one; the approver sees only the latest.
    let revised = adjustments::request(&w.db, &actor, w.e1, foc, "0.36", "再调", "")
        .await
        .unwrap();
    assert_eq!(
        adjustments::get(&w.db, a.id).await.unwrap().unwrap().state,
        "withdrawn"
    );
    let (todos, _) = inbox::list(&w.db, w.d1, Some(inbox::TodoState::Open), 10, 0)
        .await
        .unwrap();
    assert_eq!(todos.len(), 1);
    assert_eq!(todos[0].link, format!("/goals/adjustments/{}", revised.id));
    let a = adjustments::request(
        &w.db,
        &actor,
        w.e1,
        foc,
        "0.385",
        "瑞金医院招标政策调整，首单周期拉长",
        "",
    )
    .await
    .unwrap();
    let (todos, _) = inbox::list(&w.db, w.d1, Some(inbox::TodoState::Open), 10, 0)
        .await
        .unwrap();
    assert_eq!(todos.len(), 1);
    assert_eq!(todos[0].link, format!("/goals/adjustments/{}", a.id));

    // Only the approver decides; rejecting needs a reason.
    assert!(matches!(
        adjustments::decide(&w.db, &actor, w.e1, a.id, true, "", "").await,
        Err(StoreError::NotFound(_))
    ));
    let code = refuse(adjustments::decide(&w.db, &actor, w.d1, a.id, false, "", "").await);
    assert_eq!(code, "comment_required");
    let done = adjustments::decide(&w.db, &Actor::system("D1"), w.d1, a.id, true, "同意", "")
        .await
        .unwrap();
    assert_eq!(done.state, "approved");
    assert_eq!(
        goals::goal(&w.db, foc)
            .await
            .unwrap()
            .unwrap()
            .target
            .as_deref(),
        Some("0.385")
    );
    let (todos, _) = inbox::list(&w.db, w.d1, Some(inbox::TodoState::Open), 10, 0)
        .await
        .unwrap();
    assert!(todos.is_empty(), "the approval to-do closed by itself");
    let code = refuse(adjustments::decide(&w.db, &actor, w.d1, a.id, true, "", "").await);
    assert_eq!(code, "already_decided");
    let times = adjustments::response_times(&w.db).await.unwrap();
    assert_eq!(times.len(), 1);
    assert_eq!(times[0].region_name, "华东大区");

    // A closed period is frozen.
    let mut tx = w.db.begin().await.unwrap();
    goals::close_period(&mut tx, &Actor::system("hrbp"), w.period)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let code = refuse(adjustments::request(&w.db, &actor, w.e1, sales, "105", "原因", "").await);
    assert_eq!(code, "period_closed");
}

#[tokio::test]
async fn a_template_set_is_created_whole_or_not_at_all() {
    let w = world().await;
    let m = goals::metrics(&w.db).await.unwrap();
    let kpi = |i: usize, weight: i64| goals::NewKpi {
        title: m[i].name.clone(),
        metric_id: Some(m[i].id),
        parent_id: None,
        target: Some("100".into()),
        actual: Some("80".into()),
        lower_is_better: false,
        weight_bp: weight,
    };
    let cause = Cause {
        kind: "template",
        rule_id: None,
        note: "销售代表岗位模板",
    };
    let d1 = w.d1;
    let mut tx = w.db.begin().await.unwrap();
    let e = goals::create_kpi_set(
        &mut tx,
        &Actor::system("t"),
        w.period,
        d1,
        &[kpi(0, 6000), kpi(1, 3000)],
        &cause,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, StoreError::Invalid(ref p) if p.code == "weights_not_100"),
        "{e:?}"
    );
    let ids = goals::create_kpi_set(
        &mut tx,
        &Actor::system("t"),
        w.period,
        d1,
        &[kpi(0, 6000), kpi(1, 4000)],
        &cause,
    )
    .await
    .unwrap();
    assert_eq!(ids.len(), 2);
    let e = goals::create_kpi_set(
        &mut tx,
        &Actor::system("t"),
        w.period,
        d1,
        &[kpi(2, 10_000)],
        &cause,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, StoreError::Conflict(ref p) if p.code == "goals_exist"),
        "{e:?}"
    );
    tx.commit().await.unwrap();
    let mine = goals::person_goals(&w.db, d1, w.period).await.unwrap();
    assert_eq!(
        mine.iter().map(|g| g.weight_bp).collect::<Vec<_>>(),
        vec![6000, 4000]
    );
    assert_eq!(mine[0].progress_bp, 8000, "80 of 100");
    let history = goals::weight_history(&w.db, d1, w.period).await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(
        history
            .iter()
            .all(|h| h.before_bp == 0 && h.cause == "template")
    );
}

#[derive(Debug, Clone)]
enum Op {
    /// Set 华东's A-class signing rate and evaluate the rules.
    Rate(u8),
    /// Manual base weights for E1 from raw shares.
    Manual([u8; 4]),
    /// An adjustment request on KPI i approved (targets, not weights: the sum must not move).
    Approve(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..40).prop_map(Op::Rate),
        proptest::array::uniform4(0u8..50).prop_map(Op::Manual),
        (0usize..4).prop_map(Op::Approve),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// G4: after any sequence of rule firings, manual edits and approvals,
    /// E1's weights sum to exactly 10,000 and replaying the history from the
    /// first recorded "before" reproduces every current weight.
    #[test]
    fn weights_stay_exact_and_history_replays(ops in proptest::collection::vec(op(), 1..8)) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let w = world().await;
            seed_rule(&w, "A类签约增长", 3500, 5).await;
            for op in &ops {
                match op {
                    Op::Rate(r) => {
                        set_rate(&w, w.r1, f64::from(*r) / 100.0).await;
                        weight_rules::evaluate(&w.db, w.period, Some(w.r1), &Actor::system("rule")).await.unwrap();
                    }
                    Op::Manual(raw) => {
                        let shares: Vec<i64> = raw.iter().map(|x| i64::from(*x)).collect();
                        let base = pulse_domain::weights::largest_remainder(10_000, &shares);
                        let active: Vec<(i64, i64, i64)> = {
                            let states = weight_rules::states(&w.db).await.unwrap();
                            let rules = weight_rules::rules(&w.db).await.unwrap();
                            states.iter().filter(|s| s.org_unit_id == w.r1 && s.state == "active")
                                .filter_map(|s| rules.iter().find(|r| r.id == s.rule_id))
                                .map(|r| (r.metric_id, r.weight_bp, r.id)).collect()
                        };
                        let mut tx = w.db.begin().await.unwrap();
                        let pairs: Vec<(i64, i64)> = w.kpis.iter().copied().zip(base).collect();
                        goals::set_base_weights(&mut tx, &Actor::system("hrbp"), w.e1, w.period, &pairs, &active,
                            &Cause { kind: "manual", rule_id: None, note: "手工调整" }).await.unwrap();
                        tx.commit().await.unwrap();
                    }
                    Op::Approve(i) => {
                        let g = goals::goal(&w.db, w.kpis[*i]).await.unwrap().unwrap();
                        let old = pulse_domain::decimal::Dec::parse(g.target.as_deref().unwrap()).unwrap();
                        let new = format!("{}", old.to_f64() * 1.05);
                        if let Ok(a) = adjustments::request(&w.db, &Actor::system("E1"), w.e1, g.id, &new, "业务变化", "").await {
                            adjustments::decide(&w.db, &Actor::system("D1"), w.d1, a.id, true, "", "").await.unwrap();
                        }
                    }
                }
                let now = weights_of(&w, w.e1).await;
                assert_eq!(now.iter().sum::<i64>(), 10_000, "{ops:?}");
                let mut history = goals::weight_history(&w.db, w.e1, w.period).await.unwrap();
                history.reverse();
                for (k, goal) in w.kpis.iter().enumerate() {
                    let mine: Vec<_> = history.iter().filter(|h| h.goal_id == *goal).collect();
                    for pair in mine.windows(2) {
                        assert_eq!(pair[0].after_bp, pair[1].before_bp, "history is a chain");
                    }
                    if let Some(last) = mine.last() {
                        assert_eq!(last.after_bp, now[k], "history ends at the current weight");
                    }
                }
            }
        });
    }
}

#[test]
fn the_tree_flattens_depth_first_and_keeps_orphans() {
    use pulse_domain::goals::flatten_tree;
    use pulse_store::goals::TreeNode;
    let n = |id: i64, parent: Option<i64>| TreeNode {
        id,
        kind: "objective".into(),
        title: format!("g{id}"),
        parent_id: parent,
        org_unit_id: None,
        unit_name: None,
    };
    // 1 ─ 2 ─ 4, 1 ─ 3; 5 hangs under a goal of another period (99).
    let flat = flatten_tree(vec![
        n(1, None),
        n(2, Some(1)),
        n(3, Some(1)),
        n(4, Some(2)),
        n(5, Some(99)),
    ]);
    let order: Vec<(usize, i64)> = flat.iter().map(|(d, g)| (*d, g.id)).collect();
    assert_eq!(order, vec![(0, 1), (1, 2), (2, 4), (1, 3), (0, 5)]);
}
