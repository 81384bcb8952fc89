//! What a home page shows, read for one caller: their own work for every
//! role, their team's for people who lead one, the organisation's health
//! for HR. Each link is offered only where the route table admits the caller.

use pulse_domain::Lang;
use pulse_store::accounts::Caller;
use pulse_store::inbox::{self, TodoState};
use pulse_store::{digests, feedback, goals, outbox, people, points, weight_rules};

use crate::AppState;
use crate::error::AppResult;
use crate::features::notify::inbox_api::TodoDto;
use crate::pages::fmt_ms;

pub struct TodoLine {
    pub subject: String,
    pub link: String,
    pub due: String,
    pub overdue: bool,
}

pub struct CardToWrite {
    pub event_id: i64,
    pub what: String,
    pub customer: String,
    pub at: String,
}

pub struct GoalLine {
    pub title: String,
    pub progress: String,
    pub weight: String,
}

pub struct TeamLine {
    pub name: String,
    pub employee_no: String,
    pub score: String,
    /// The caller may open the person's page (a committee member leads
    /// people outside what they may see).
    pub linkable: bool,
}

/// One thing HR should look at, with where to do it.
pub struct Attention {
    pub text: String,
    pub link: String,
    /// Something failing (red), not just waiting.
    pub failing: bool,
}

pub struct Home {
    pub name: String,
    pub todos: Vec<TodoLine>,
    pub open_todos: i64,
    pub to_write: Vec<CardToWrite>,
    pub period: String,
    pub score: Option<String>,
    pub goals: Vec<GoalLine>,
    pub balance: i64,
    /// Team members (people who lead someone), weakest score first.
    pub team: Vec<TeamLine>,
    pub team_average: String,
    /// This week's digest flags, in the caller's language.
    pub flags: Vec<String>,
    pub attention: Vec<Attention>,
}

fn percent(bp: i64) -> String {
    format!("{:.1}%", bp as f64 / 100.0)
}

pub async fn load(state: &AppState, caller: &Caller, lang: Lang) -> AppResult<Home> {
    let db = &state.db;
    let now = db.now_ms();
    let (todos, open_todos) =
        inbox::list(db, caller.person_id, Some(TodoState::Open), 5, 0).await?;
    let todos = todos
        .into_iter()
        .map(|t| TodoDto::at(t, now, lang))
        .map(|t| TodoLine {
            due: t.due_at.map(fmt_ms).unwrap_or_default(),
            overdue: t.overdue,
            subject: t.subject,
            link: t.link,
        })
        .collect();

    let window = feedback::window_hours(db).await?;
    let to_write = pulse_store::events::for_person(db, caller.person_id, 30)
        .await?
        .into_iter()
        .filter(|e| {
            pulse_domain::events::takes_feedback(&e.kind)
                && e.card_id.is_none()
                && pulse_domain::feedback::in_window(e.occurred_at, now, window)
        })
        .map(|e| CardToWrite {
            event_id: e.id,
            what: pulse_domain::events::kind_label(&e.kind, lang).to_string(),
            customer: e.customer_name.unwrap_or_default(),
            at: fmt_ms(e.occurred_at),
        })
        .collect();

    let period = goals::period_at(db, db.today()).await?;
    let mut home = Home {
        name: caller.name.clone(),
        todos,
        open_todos,
        to_write,
        period: period.as_ref().map(|p| p.label(lang)).unwrap_or_default(),
        score: None,
        goals: Vec::new(),
        balance: points::balance(db, caller.person_id).await?,
        team: Vec::new(),
        team_average: String::new(),
        flags: Vec::new(),
        attention: Vec::new(),
    };
    if let Some(p) = &period {
        let mine = goals::person_goals(db, caller.person_id, p.id).await?;
        let weighted: Vec<_> = mine
            .iter()
            .filter(|g| pulse_domain::goals::is_weighted(&g.kind))
            .collect();
        if !weighted.is_empty() {
            home.score = Some(percent(goals::weighted_score_bp(&mine)));
        }
        home.goals = weighted
            .into_iter()
            .map(|g| GoalLine {
                title: g.title.clone(),
                progress: percent(g.progress_bp),
                weight: percent(g.weight_bp),
            })
            .collect();

        let reports = people::reports(db, caller.person_id).await?;
        if !reports.is_empty() {
            let ids: Vec<i64> = reports.iter().map(|r| r.id).collect();
            let of = goals::goals_of_people(db, &ids, p.id).await?;
            let openable = crate::features::people::service::openable(
                state,
                caller,
                &reports.iter().collect::<Vec<_>>(),
            )
            .await?;
            let mut scored: Vec<(i64, TeamLine)> = reports
                .into_iter()
                .map(|r| {
                    let score = goals::weighted_score_bp(
                        of.get(&r.id).map(Vec::as_slice).unwrap_or_default(),
                    );
                    (
                        score,
                        TeamLine {
                            linkable: openable.contains(&r.employee_no),
                            name: r.name,
                            employee_no: r.employee_no,
                            score: percent(score),
                        },
                    )
                })
                .collect();
            let avg = scored.iter().map(|(s, _)| *s).sum::<i64>() / scored.len() as i64;
            home.team_average = percent(avg);
            scored.sort_by_key(|(s, _)| *s);
            home.team = scored.into_iter().map(|(_, t)| t).collect();
        }
    }
    if let Some(d) = digests::latest(db, caller.person_id).await? {
        let body: serde_json::Value = serde_json::from_str(&d.body_json).unwrap_or_default();
        let key = if lang == Lang::En { "text_en" } else { "text" };
        home.flags = body["flags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f[key].as_str().map(str::to_string))
            .collect();
    }
    home.attention = attention(state, caller, lang, period.as_ref()).await?;
    Ok(home)
}

/// What HR (and admins) should look at: setup left to do and anything failing.
async fn attention(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    period: Option<&goals::Period>,
) -> AppResult<Vec<Attention>> {
    let may = |path: &str| crate::menu::may(caller, "GET", path);
    let db = &state.db;
    let mut out = Vec::new();
    if may("/goals/setup") {
        match period {
            None => out.push(Attention {
                text: lang
                    .pick(
                        "还没有进行中的考核周期：先建立本期周期",
                        "No period is running: create this period first",
                    )
                    .into(),
                link: "/goals/setup".into(),
                failing: true,
            }),
            Some(p) => {
                let n = goals::people_without_kpis(db, p.id).await?;
                if n > 0 {
                    out.push(Attention {
                        text: match lang {
                            Lang::En => format!("{n} people have no KPIs in {}: give them their job family's template", p.name),
                            _ => format!("{n} 人在{}还没有 KPI：按岗位模板下发", p.name),
                        },
                        link: "/goals/setup".into(),
                        failing: false,
                    });
                }
            }
        }
    }
    if may("/goals/rules") {
        let broken = weight_rules::states(db)
            .await?
            .into_iter()
            .filter(|s| s.error.is_some())
            .count();
        if broken > 0 {
            out.push(Attention {
                text: match lang {
                    Lang::En => format!("{broken} weight-rule evaluations failed"),
                    _ => format!("{broken} 个区域的权重规则计算出错"),
                },
                link: "/goals/rules".into(),
                failing: true,
            });
        }
    }
    if may("/admin/notifications") {
        let dead = outbox::counts(db)
            .await?
            .into_iter()
            .find(|(s, _)| s == "dead")
            .map_or(0, |(_, n)| n);
        if dead > 0 {
            out.push(Attention {
                text: match lang {
                    Lang::En => format!("{dead} notifications could not be delivered"),
                    _ => format!("{dead} 条通知发送失败，需要处理"),
                },
                link: "/admin/notifications".into(),
                failing: true,
            });
        }
    }
    if may("/rewards/fulfil") {
        let waiting = points::pending_redemptions(db).await?.len();
        if waiting > 0 {
            out.push(Attention {
                text: match lang {
                    Lang::En => format!("{waiting} redeemed rewards wait to be honoured"),
                    _ => format!("{waiting} 个积分兑换等待兑现"),
                },
                link: "/rewards/fulfil".into(),
                failing: false,
            });
        }
    }
    if may("/digests") && caller.has_role(pulse_domain::roles::Role::Hrbp) {
        let flagged = digests::flagged_latest(db, 500).await?.len();
        if flagged > 0 {
            out.push(Attention {
                text: match lang {
                    Lang::En => format!("{flagged} teams' digests flag a change this week"),
                    _ => format!("本周 {flagged} 个团队的反馈摘要出现异动"),
                },
                link: "/digests".into(),
                failing: false,
            });
        }
    }
    Ok(out)
}
