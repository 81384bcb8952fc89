//! The weekly digest and the capability radar as the API and the pages share
//! them (D1, D2, R1, R2): whose digest a caller reads, building one on
//! demand, and a person's radar against the peer median.

use pulse_domain::Problem;
use pulse_domain::competency::{self as rules, Metric, Normalisation};
use pulse_domain::roles::Role;
use pulse_jobs::digests::{self as jobs_digests, Delivery};
use pulse_store::accounts::Caller;
use pulse_store::{competency, digests, people};
use serde::Serialize;
use serde_json::Value;

use crate::AppState;
use crate::error::{AppError, AppResult};

fn links(state: &AppState) -> pulse_jobs::reminders::Links {
    pulse_jobs::reminders::Links {
        public_url: state.config.public_url.clone(),
    }
}

/// A stored digest as the API returns it: the body plus id and manager.
pub fn digest_json(d: &digests::StoredDigest, manager: Option<(&str, &str)>) -> Value {
    let mut v: Value = serde_json::from_str(&d.body_json).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), d.id.into());
        o.insert("generated_at".into(), d.generated_at.into());
        if let Some((no, name)) = manager {
            o.insert(
                "manager".into(),
                serde_json::json!({"employee_no": no, "name": name}),
            );
        }
    }
    v
}

fn no_team() -> AppError {
    AppError::new(
        axum::http::StatusCode::NOT_FOUND,
        "no_digest",
        "你没有下属，没有团队周报",
        "you have no reports, so there is no team digest",
    )
}

/// The caller's latest digest; when none was stored yet, last complete
/// week's is built now (a new manager need not wait for Monday).
pub async fn latest(state: &AppState, caller: &Caller) -> AppResult<digests::StoredDigest> {
    if let Some(d) = digests::latest(&state.db, caller.person_id).await? {
        return Ok(d);
    }
    generate(state, caller, None).await
}

/// Builds (or rebuilds) the caller's digest of the week starting `monday`
/// (default: last complete week). Stored, not sent.
pub async fn generate(
    state: &AppState,
    caller: &Caller,
    monday: Option<chrono::NaiveDate>,
) -> AppResult<digests::StoredDigest> {
    let week = match monday {
        Some(d) => jobs_digests::monday_of(d),
        None => jobs_digests::last_complete_week(state.db.today()),
    };
    if week > state.db.today() {
        return Err(AppError::invalid(Problem::new(
            "week_in_future",
            "这一周还没开始",
            "that week has not started yet",
        )));
    }
    let made = jobs_digests::generate(
        &state.db,
        &state.text,
        week,
        Some(caller.person_id),
        Delivery::Store,
        &links(state),
    )
    .await?;
    let Some((_, id, _)) = made.first() else {
        return Err(no_team());
    };
    digests::by_id(&state.db, *id)
        .await?
        .ok_or_else(|| AppError::not_found("周报", "digest"))
}

/// A digest the caller may read: their own, or any for HR and admins.
pub async fn visible(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> AppResult<digests::StoredDigest> {
    let d = digests::by_id(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("周报", "digest"))?;
    if d.manager_id != caller.person_id
        && !caller.has_role(Role::Hrbp)
        && !caller.has_role(Role::Admin)
    {
        return Err(AppError::not_found("周报", "digest"));
    }
    Ok(d)
}

/// Mentions of `term` (cards of the manager's line) in each of the
/// `weeks` weeks ending with the one starting `last_monday`, oldest first.
pub async fn term_history(
    state: &AppState,
    manager_id: i64,
    term: &str,
    last_monday: chrono::NaiveDate,
    weeks: u64,
) -> AppResult<Vec<(String, u32)>> {
    let lines = jobs_digests::reporting_lines(&digests::reporting_lines(&state.db).await?);
    let people = lines.get(&manager_id).cloned().unwrap_or_default();
    let first = last_monday - chrono::Days::new(7 * (weeks.max(1) - 1));
    let end = last_monday + chrono::Days::new(7);
    let cards = digests::cards_of(
        &state.db,
        &people,
        pulse_store::day_start_ms(first),
        pulse_store::day_start_ms(end),
    )
    .await?;
    let analyzer = state.text.analyzer(&state.db).await?;
    let term = pulse_text::normalize(term);
    let mut out: Vec<(String, u32)> = (0..weeks.max(1))
        .map(|i| {
            (
                jobs_digests::week_label(first + chrono::Days::new(7 * i)),
                0,
            )
        })
        .collect();
    for c in cards {
        // Only a card whose text contains the term can yield it; segmenting
        // just those keeps a director's eight weeks off the request's time.
        if pulse_text::normalize(&c.observation).contains(&term)
            && analyzer.terms(&c.observation).contains(&term)
        {
            let week =
                ((c.created_at - pulse_store::day_start_ms(first)) / (7 * 86_400_000)) as usize;
            if let Some(slot) = out.get_mut(week) {
                slot.1 += 1;
            }
        }
    }
    Ok(out)
}

/// One axis of the radar with the numbers behind it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RadarAxis {
    pub name: String,
    /// 0–100; null when the person has no data for it.
    pub value: Option<f64>,
    /// Median of the peers' values on the same scale.
    pub peer_median: Option<f64>,
    pub metric: String,
    pub metric_label: String,
    pub metric_label_en: String,
    /// The person's raw figure and its unit (e.g. 4.2 分, 86 分钟).
    pub raw: Option<f64>,
    pub raw_peer_median: Option<f64>,
    pub unit: String,
    pub unit_en: String,
    pub normalisation: String,
    pub target: Option<f64>,
    pub higher_is_better: bool,
    /// Peers with data for this axis.
    pub peers_with_data: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Radar {
    #[serde(skip)]
    pub person_id: i64,
    pub employee_no: String,
    pub name: String,
    pub job_family: String,
    pub level: String,
    /// The peer group: same job family and level, active.
    pub peer_count: usize,
    pub from: String,
    pub to: String,
    pub dimensions: Vec<RadarAxis>,
}

impl Radar {
    /// What the radar's numbers are, in a sentence: a percentile in the
    /// peer group for most axes, the share of the target for some, and the
    /// raw figures in the table below.
    pub fn scale_sentence(&self, lang: pulse_domain::Lang) -> String {
        let targeted: Vec<&str> = self
            .dimensions
            .iter()
            .filter(|d| d.normalisation == "target")
            .map(|d| d.name.as_str())
            .collect();
        let n = self.peer_count;
        let mut s = lang
            .pick(
                "得分是此人在同岗位族、同职级 {n} 人中的百分位（0–100，50 为中位数，越靠外越好）；虚线是同级中位数。",
                "Scores are this person's percentile among the {n} peers of the same job family and level (0–100, 50 is the median, further out is better); the dashed line is the peer median.",
            )
            .replace("{n}", &n.to_string());
        if !targeted.is_empty() {
            let list = targeted.join(lang.pick("、", ", "));
            s.push_str(
                &lang
                    .pick(
                        "“{list}”按目标计分：100 表示达成目标。",
                        " {list}: scored against the target, 100 means the target is met.",
                    )
                    .replace("{list}", &list),
            );
        }
        s.push_str(lang.pick(
            "原始数据（指标本身的数值和单位）见下方明细。",
            " The raw figures, in the metric's own unit, are in the details below.",
        ));
        s
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The radar over the last 90 days. Logs the view (H3) unless `log` is false.
pub async fn radar(
    state: &AppState,
    caller: &Caller,
    employee_no: &str,
    log: bool,
) -> AppResult<Radar> {
    let person = people::get_visible(&state.db, &caller.viewer(), employee_no)
        .await?
        .ok_or_else(|| AppError::not_found("员工", "person"))?;
    let dims = competency::dimensions(&state.db, Some(&person.job_family)).await?;
    let r = radar_of(state, person, &dims).await?;
    if log {
        competency::log_view(&state.db, r.person_id, caller.person_id).await?;
    }
    Ok(r)
}

/// The radar of a person the caller may see, on their family's dimensions.
pub(crate) async fn radar_of(
    state: &AppState,
    person: people::Person,
    dims: &[competency::Dimension],
) -> AppResult<Radar> {
    let today = state.db.today();
    let (from_day, from) = competency::radar_window(today);
    let to = state.db.now_ms();
    let metrics: Vec<Metric> = dims.iter().map(|d| d.metric.clone()).collect();
    let figures = competency::peer_figures_cached(
        &state.db,
        &person.job_family,
        &person.level,
        &metrics,
        from,
        to,
    )
    .await?;
    let mine = figures.get(&person.id);
    let mut axes = Vec::with_capacity(dims.len());
    for d in dims {
        let code = d.metric.code();
        let higher = d.metric.higher_is_better();
        let peers: Vec<f64> = figures
            .values()
            .filter_map(|m| m.get(&code).copied())
            .collect();
        let raw = mine.and_then(|m| m.get(&code).copied());
        let peer_scaled: Vec<f64> = peers
            .iter()
            .filter_map(|v| rules::normalise(&d.normalisation, Some(*v), &peers, higher))
            .collect();
        axes.push(RadarAxis {
            name: d.name.clone(),
            value: rules::normalise(&d.normalisation, raw, &peers, higher).map(round1),
            peer_median: rules::median(&peer_scaled).map(round1),
            metric: code,
            metric_label: d.metric.label(true),
            metric_label_en: d.metric.label(false),
            raw: raw.map(round1),
            raw_peer_median: rules::median(&peers).map(round1),
            unit: d.metric.unit().to_string(),
            unit_en: d.metric.unit_en().to_string(),
            normalisation: d.normalisation.kind().to_string(),
            target: match d.normalisation {
                Normalisation::Target { target } => Some(target),
                Normalisation::Percentile => None,
            },
            higher_is_better: higher,
            peers_with_data: peers.len(),
        });
    }
    Ok(Radar {
        person_id: person.id,
        employee_no: person.employee_no,
        name: person.name,
        job_family: person.job_family,
        level: person.level,
        peer_count: figures.len(),
        from: from_day.to_string(),
        to: today.to_string(),
        dimensions: axes,
    })
}

/// A manager's direct reports of their main job family (the most common
/// one with a competency model) on every dimension: the team heatmap.
pub struct TeamGrid {
    pub job_family: String,
    pub dimensions: Vec<String>,
    /// (name, employee no, one value per dimension)
    pub rows: Vec<(String, String, Vec<Option<f64>>)>,
}

pub async fn team_grid(state: &AppState, caller: &Caller) -> AppResult<Option<TeamGrid>> {
    let reports = people::reports(&state.db, caller.person_id).await?;
    let mut families: Vec<(String, usize)> = Vec::new();
    for p in &reports {
        match families.iter_mut().find(|f| f.0 == p.job_family) {
            Some(f) => f.1 += 1,
            None => families.push((p.job_family.clone(), 1)),
        }
    }
    families.sort_by_key(|f| std::cmp::Reverse(f.1));
    for (family, _) in families {
        let dims = competency::dimensions(&state.db, Some(&family)).await?;
        if dims.is_empty() {
            continue;
        }
        let mut rows = Vec::new();
        for p in reports.into_iter().filter(|p| p.job_family == family) {
            // A manager sees their own reports; the heatmap is their overview,
            // not logged as radar views.
            let (name, no) = (p.name.clone(), p.employee_no.clone());
            let r = radar_of(state, p, &dims).await?;
            rows.push((name, no, r.dimensions.iter().map(|d| d.value).collect()));
        }
        return Ok(Some(TeamGrid {
            job_family: family,
            dimensions: dims.into_iter().map(|d| d.name).collect(),
            rows,
        }));
    }
    Ok(None)
}

/// Saves a dimension from its parts as a form or JSON gives them.
pub async fn save_dimension(
    state: &AppState,
    job_family: &str,
    name: &str,
    metric: &str,
    normalisation: &str,
    target: Option<f64>,
) -> AppResult<i64> {
    let metric = Metric::parse(metric).map_err(AppError::invalid)?;
    if let Metric::FeedbackTag(tag) = &metric {
        let known = pulse_store::feedback::tags(&state.db, false).await?;
        if !known.iter().any(|t| &t.name == tag) {
            return Err(AppError::invalid(Problem::new(
                "unknown_tag",
                format!("标签库中没有“{tag}”"),
                format!("no tag \"{tag}\" in the library"),
            )));
        }
    }
    let normalisation = Normalisation::parse(normalisation, target).map_err(AppError::invalid)?;
    let mut tx = state.db.begin().await?;
    let id = competency::save_dimension(&mut tx, job_family, name, &metric, &normalisation).await?;
    tx.commit().await?;
    Ok(id)
}

/// The person's weakest radar dimension (lowest scaled value), for the
/// review writer's development suggestion (W1). No viewer check: the
/// caller already holds the person's review.
pub async fn weakest_dimension(
    state: &AppState,
    person: people::Person,
) -> AppResult<Option<pulse_domain::reviews::writer::Weakest>> {
    let dims = competency::dimensions(&state.db, Some(&person.job_family)).await?;
    if dims.is_empty() {
        return Ok(None);
    }
    let r = radar_of(state, person, &dims).await?;
    Ok(r.dimensions
        .into_iter()
        .filter_map(|d| d.value.map(|v| (v, d)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(v, d)| pulse_domain::reviews::writer::Weakest {
            dimension: d.name,
            metric_code: d.metric,
            value: v,
            peer_median: d.peer_median,
        }))
}
