//! Events, feedback cards, points and rewards as the API and the pages
//! share them (P1–P5, F1–F4): who may record what for whom, and what a card
//! viewer may see. Rules live in pulse-domain and pulse-store.

use axum::http::StatusCode;
use pulse_domain::Problem;
use pulse_domain::roles::Role;
use pulse_store::accounts::Caller;
use pulse_store::events::{self, NewEvent};
use pulse_store::feedback::{self, Card};
use pulse_store::{goals, people};
use serde_json::{Map, Value};

use crate::AppState;
use crate::error::{AppError, AppResult};

/// An event as a person or a system sends it. Lenient on purpose: CRMs
/// name things differently, so `type`/`kind`, `customer_id`/`customer` are
/// both understood, and fields we do not know travel in the payload.
#[derive(Debug, Clone, Default)]
pub struct EventInput {
    pub kind: String,
    pub employee_no: Option<String>,
    pub customer: Option<Value>,
    pub occurred_at: Option<Value>,
    pub payload: Map<String, Value>,
}

impl EventInput {
    pub fn from_json(v: &Value) -> AppResult<EventInput> {
        let Some(obj) = v.as_object() else {
            return Err(AppError::invalid(Problem::new(
                "invalid_body",
                "请求体必须是 JSON 对象",
                "the body must be a JSON object",
            )));
        };
        let mut input = EventInput::default();
        let mut payload = Map::new();
        for (k, val) in obj {
            match k.as_str() {
                "type" | "kind" => {
                    input.kind = pulse_domain::events::normalize_kind(
                        text_field(k, val)?.unwrap_or_default(),
                    )
                }
                "employee_no" => {
                    input.employee_no = text_field(k, val)?.map(|s| s.trim().to_string())
                }
                "customer_id" | "customer" | "customer_external_id" => {
                    input.customer = Some(val.clone()).filter(|v| !v.is_null());
                }
                "occurred_at" => input.occurred_at = Some(val.clone()).filter(|v| !v.is_null()),
                "payload" => match val {
                    Value::Object(m) => payload.extend(m.clone()),
                    Value::Null => {}
                    _ => {
                        return Err(AppError::invalid(Problem::new(
                            "invalid_payload",
                            "payload 必须是 JSON 对象",
                            "payload must be a JSON object",
                        )));
                    }
                },
                _ => {
                    payload.insert(k.clone(), val.clone());
                }
            }
        }
        input.payload = payload;
        if input.kind.is_empty() {
            return Err(AppError::invalid(Problem::new(
                "type_required",
                "请给出事件类型 (type)，如 visit、snapshot、work_order",
                "give the event type, e.g. visit, snapshot, work_order",
            )));
        }
        Ok(input)
    }
}

/// A field that must be text when present (null = absent).
fn text_field<'a>(name: &str, v: &'a Value) -> AppResult<Option<&'a str>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(AppError::invalid(Problem::new(
            "invalid_body",
            format!("{name} 必须是文本"),
            format!("{name} must be text"),
        ))),
    }
}

fn is_hr(caller: &Caller) -> bool {
    caller.has_role(Role::Hrbp) || caller.has_role(Role::Admin)
}

/// Checks an event and turns it into what the store records. A person
/// records their own events; a system token (scope `events:write`) and HR
/// record anyone's.
pub async fn prepare_event(
    state: &AppState,
    caller: &Caller,
    input: &EventInput,
) -> AppResult<NewEvent> {
    let system = caller.token_scopes.is_some();
    let person_id = match input.employee_no.as_deref().filter(|s| !s.is_empty()) {
        None if system => {
            return Err(AppError::invalid(Problem::new(
                "employee_no_required",
                "系统写入事件需要给出员工工号 (employee_no)",
                "a system must give the employee_no of the event's person",
            )));
        }
        None => caller.person_id,
        Some(no) if no == caller.employee_no => caller.person_id,
        Some(no) if system || is_hr(caller) => people::by_employee_no(&state.db, no)
            .await?
            .filter(|p| p.status == "active")
            .map(|p| p.id)
            .ok_or_else(|| {
                AppError::invalid(Problem::new(
                    "unknown_employee",
                    format!("工号 {no} 不存在或已离职"),
                    format!("no active employee {no}"),
                ))
            })?,
        Some(_) => {
            return Err(AppError::invalid(Problem::new(
                "not_your_event",
                "只能记录自己的业务事件",
                "you can only record your own events",
            )));
        }
    };
    let customer_id = match &input.customer {
        None => None,
        Some(Value::Number(n)) => {
            let id = n.as_i64().unwrap_or(-1);
            if !events::customer_exists(&state.db, id).await? {
                return Err(unknown_customer(&n.to_string()));
            }
            Some(id)
        }
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(
            events::customer_ref(&state.db, s)
                .await?
                .ok_or_else(|| unknown_customer(s))?,
        ),
        Some(_) => return Err(unknown_customer("?")),
    };
    let now = state.db.now_ms();
    let occurred_at = match &input.occurred_at {
        None => now,
        Some(v) => pulse_domain::events::parse_time(v).ok_or_else(|| {
            AppError::invalid(Problem::new(
                "invalid_time",
                "occurred_at 不是有效时间，请用 2026-11-28T10:30:00+08:00 这样的格式",
                "occurred_at is not a valid time; use e.g. 2026-11-28T10:30:00+08:00",
            ))
        })?,
    };
    if occurred_at > now + 5 * 60_000 {
        return Err(AppError::invalid(Problem::new(
            "event_in_future",
            "事件时间不能晚于现在",
            "an event cannot happen in the future",
        )));
    }
    Ok(NewEvent {
        kind: input.kind.clone(),
        person_id,
        customer_id,
        occurred_at,
        payload: input.payload.clone(),
        source: if system {
            format!("api:{}", caller.login)
        } else {
            "app".into()
        },
        created_by: Some(caller.account_id),
    })
}

fn unknown_customer(key: &str) -> AppError {
    AppError::invalid(Problem::new(
        "unknown_customer",
        format!("客户“{key}”不在客户名单中"),
        format!("customer \"{key}\" is not in the customer list"),
    ))
}

/// After an opportunity snapshot: the manager gets a to-do to look at it
/// (P1), in the event's transaction.
pub async fn after_event(
    tx: &mut pulse_store::Tx,
    state: &AppState,
    e: &NewEvent,
    id: i64,
) -> AppResult<()> {
    if e.kind != "snapshot" {
        return Ok(());
    }
    let Some(person) = people::by_id(&state.db, e.person_id).await? else {
        return Ok(());
    };
    let Some(manager) = person.manager_id else {
        return Ok(());
    };
    let stage = e.payload.get("stage").and_then(Value::as_str).unwrap_or("");
    pulse_store::inbox::create(
        tx,
        &pulse_store::inbox::NewTodo {
            person_id: manager,
            kind: "snapshot_review".into(),
            subject: pulse_domain::i18n::Both::new(
                format!("{}提交了商机进展快照：{stage}", person.name),
                format!("{} submitted an opportunity snapshot: {stage}", person.name),
            ),
            link: format!("/feedback/team#event-{id}"),
            source_key: format!("event:{id}"),
            due_at: None,
        },
    )
    .await?;
    Ok(())
}

/// The JSON an event is answered with.
pub fn event_json(id: i64, e: &NewEvent, employee_no: &str) -> Value {
    serde_json::json!({
        "id": id,
        "type": e.kind,
        "employee_no": employee_no,
        "customer_id": e.customer_id,
        "occurred_at": e.occurred_at,
        "payload": e.payload,
        "source": e.source,
    })
}

/// Records an event (with its idempotency key, if any) and answers 201.
pub async fn record_event(
    state: &AppState,
    caller: &Caller,
    input: &EventInput,
    key: Option<&crate::idempotency::Key>,
) -> AppResult<(StatusCode, Value)> {
    let e = prepare_event(state, caller, input).await?;
    let employee_no = if e.person_id == caller.person_id {
        caller.employee_no.clone()
    } else {
        input.employee_no.clone().unwrap_or_default()
    };
    let mut tx = state.db.begin().await?;
    let id = events::record(&mut tx, &e).await?;
    after_event(&mut tx, state, &e, id).await?;
    if matches!(e.kind.as_str(), "visit" | "snapshot") && e.customer_id.is_some() {
        events::refresh_penetration(&mut tx, e.person_id, e.occurred_at).await?;
    }
    let body = event_json(id, &e, &employee_no);
    if let Some(k) = key {
        events::remember_answer(&mut tx, &k.as_store(), 201, &body.to_string()).await?;
    }
    tx.commit().await?;
    Ok((StatusCode::CREATED, body))
}

/// Whether the caller may see this author's cards: the author, anyone whose
/// people scope covers the author (manager line, director, HR).
pub async fn may_see_person(state: &AppState, caller: &Caller, person_id: i64) -> AppResult<bool> {
    if person_id == caller.person_id {
        return Ok(true);
    }
    let Some(p) = people::by_id(&state.db, person_id).await? else {
        return Ok(false);
    };
    Ok(
        people::get_visible(&state.db, &caller.viewer(), &p.employee_no)
            .await?
            .is_some(),
    )
}

pub async fn visible_card(state: &AppState, caller: &Caller, id: i64) -> AppResult<Card> {
    let card = feedback::card(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("反馈卡", "card"))?;
    if !may_see_person(state, caller, card.author_id).await? {
        return Err(AppError::not_found("反馈卡", "card"));
    }
    Ok(card)
}

/// A manager (anyone above the author with the people scope, not the
/// author) replies to a card.
pub async fn reply(state: &AppState, caller: &Caller, card_id: i64, body: &str) -> AppResult<i64> {
    let card = visible_card(state, caller, card_id).await?;
    if card.author_id == caller.person_id {
        return Err(AppError::invalid(Problem::new(
            "own_card",
            "不能回复自己的反馈卡",
            "you cannot reply to your own card",
        )));
    }
    let mut tx = state.db.begin().await?;
    let id = feedback::send_message(
        &mut tx,
        caller.person_id,
        card.author_id,
        Some(card_id),
        body,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A manager's own feedback to someone in their scope (F4).
pub async fn give_feedback(
    state: &AppState,
    caller: &Caller,
    employee_no: &str,
    body: &str,
) -> AppResult<i64> {
    let person = people::get_visible(&state.db, &caller.viewer(), employee_no)
        .await?
        .ok_or_else(|| AppError::not_found("员工", "person"))?;
    if person.id == caller.person_id {
        return Err(AppError::invalid(Problem::new(
            "own_feedback",
            "不能给自己写反馈",
            "you cannot give feedback to yourself",
        )));
    }
    let mut tx = state.db.begin().await?;
    let id = feedback::send_message(&mut tx, caller.person_id, person.id, None, body).await?;
    tx.commit().await?;
    Ok(id)
}

/// Start of the running period, for leaderboards ("this quarter").
pub async fn period_start_ms(state: &AppState) -> AppResult<i64> {
    let today = state.db.today();
    let start = goals::periods(&state.db)
        .await?
        .into_iter()
        .filter(|p| p.starts_on <= today && p.ends_on >= today)
        .map(|p| p.starts_on)
        .max()
        .unwrap_or(today - chrono::Duration::days(90));
    Ok(pulse_store::day_start_ms(start))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Leaderboard {
    pub unit: String,
    pub unit_name: String,
    /// Counting from (ms since epoch): the start of the running period.
    pub since: i64,
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<pulse_store::points::LeaderRow>,
    /// The caller's own place on this board, also when outside the top 20;
    /// null when they wrote no card in the period or work elsewhere.
    pub me: Option<MyRank>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MyRank {
    /// 1 = first.
    pub rank: i64,
    /// People on the board.
    pub of: i64,
    pub points: i64,
    pub cards: i64,
}

/// Rows shown on a board.
const BOARD_TOP: usize = 20;

/// Points earned this period in a unit and the units below it (F3). Any
/// signed-in person sees any department's board: names and points only.
pub async fn leaderboard(
    state: &AppState,
    caller: &Caller,
    unit: Option<&str>,
) -> AppResult<Leaderboard> {
    let tree = state.org_tree().await?;
    let unit = match unit.map(str::trim).filter(|u| !u.is_empty()) {
        None => tree.get(caller.org_unit_id).cloned(),
        Some(code) => tree.units.iter().find(|u| u.code == code).cloned(),
    }
    .ok_or_else(|| AppError::not_found("部门", "org unit"))?;
    let since = period_start_ms(state).await?;
    // The whole board in one read (a region is a few hundred people at
    // most), so the caller's own rank needs no second query.
    let mut items = pulse_store::points::leaderboard(&state.db, unit.id, since, 100_000).await?;
    let me = items
        .iter()
        .position(|r| r.employee_no == caller.employee_no)
        .map(|i| MyRank {
            rank: i as i64 + 1,
            of: items.len() as i64,
            points: items[i].points,
            cards: items[i].cards,
        });
    items.truncate(BOARD_TOP);
    Ok(Leaderboard {
        items,
        me,
        unit: unit.code,
        unit_name: unit.name,
        since,
    })
}

/// Reads an uploaded photo's bytes, refusing more than the photo limit
/// with the same clear error as the checks (nothing is stored).
pub async fn read_photo(body: axum::body::Body) -> AppResult<Vec<u8>> {
    let limit = pulse_domain::photos::MAX_BYTES;
    axum::body::to_bytes(body, limit + 1)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| {
            AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "photo_too_large",
                "照片最大 10 MB",
                "photos are at most 10 MB",
            )
        })
}

/// Adds a photo to one of the caller's work orders (HR may add to anyone's).
pub async fn add_photo(
    state: &AppState,
    caller: &Caller,
    event_id: i64,
    bytes: Vec<u8>,
) -> AppResult<pulse_store::events::Photo> {
    let event = events::by_id(&state.db, event_id)
        .await?
        .filter(|e| e.person_id == caller.person_id || is_hr(caller))
        .ok_or_else(|| AppError::not_found("工单", "work order"))?;
    if event.kind != "work_order" {
        return Err(AppError::invalid(Problem::new(
            "photos_on_work_orders",
            "照片只能附在服务工单上",
            "photos belong to service work orders",
        )));
    }
    Ok(events::add_photo(&state.db, &state.files, event_id, bytes).await?)
}

/// An event whose person the caller may see, for its photos.
pub async fn visible_event(
    state: &AppState,
    caller: &Caller,
    event_id: i64,
) -> AppResult<events::Event> {
    let event = events::by_id(&state.db, event_id)
        .await?
        .ok_or_else(|| AppError::not_found("事件", "event"))?;
    if !may_see_person(state, caller, event.person_id).await? {
        return Err(AppError::not_found("事件", "event"));
    }
    Ok(event)
}
