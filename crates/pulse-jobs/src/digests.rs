//! The manager's weekly digest (D1, D2): built for every manager from the
//! cards of their whole reporting line, stored, and — on the Monday-morning
//! schedule — put in the manager's inbox and sent through their channel as
//! WeChat Work markdown with the flagged terms in the warning colour.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use pulse_store::digests::{self, DigestCard};
use pulse_store::inbox::{self, NewTodo};
use pulse_store::{Db, StoreError, notify};
use pulse_text::digest::{self as body, CardText};
use pulse_text::{Analyzer, Segmenter, TrendRule};
use serde::Serialize;

/// The segmenter (loaded once, ~0.15 s) and the analyzer built from the
/// current dictionary, rebuilt only when an HRBP changes the dictionary.
#[derive(Default)]
pub struct TextEngine {
    segmenter: tokio::sync::OnceCell<Segmenter>,
    current: std::sync::RwLock<Option<(String, Arc<Analyzer>)>>,
}

impl TextEngine {
    pub async fn analyzer(&self, db: &Db) -> Result<Arc<Analyzer>, StoreError> {
        let version = digests::dictionary_version(db).await?;
        if let Ok(guard) = self.current.read()
            && let Some((v, a)) = guard.as_ref()
            && *v == version
        {
            return Ok(a.clone());
        }
        let segmenter = self
            .segmenter
            .get_or_init(|| async {
                tokio::task::spawn_blocking(Segmenter::default)
                    .await
                    .unwrap_or_default()
            })
            .await
            .clone();
        let (domain, stop) = digests::dictionary(db).await?;
        let domain: Vec<String> = pulse_text::DEFAULT_DOMAIN_TERMS
            .iter()
            .map(|s| s.to_string())
            .chain(domain)
            .collect();
        let stop: Vec<String> = pulse_text::DEFAULT_STOP_WORDS
            .iter()
            .map(|s| s.to_string())
            .chain(stop)
            .collect();
        let analyzer = tokio::task::spawn_blocking(move || segmenter.analyzer(&domain, &stop))
            .await
            .map_err(|e| StoreError::Config(format!("building the text analyzer failed: {e}")))?;
        let analyzer = Arc::new(analyzer);
        if let Ok(mut guard) = self.current.write() {
            *guard = Some((version, analyzer.clone()));
        }
        Ok(analyzer)
    }
}

/// The HRBP's digest settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Settings {
    pub rule: TrendRule,
    /// ISO weekday the digest goes out (1 = Monday).
    pub weekday: u32,
    /// Hour of that day, China time.
    pub hour: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rule: TrendRule::default(),
            weekday: 1,
            hour: 8,
        }
    }
}

const SETTINGS: [&str; 4] = [
    "digest_min_count",
    "digest_rise_pct",
    "digest_weekday",
    "digest_hour",
];

pub async fn settings(db: &Db) -> Result<Settings, StoreError> {
    let mut s = Settings::default();
    let mut v = [0u32; 4];
    let defaults = [s.rule.min_count, s.rule.rise_pct, s.weekday, s.hour];
    for (i, name) in SETTINGS.iter().enumerate() {
        v[i] = digests::setting(db, name)
            .await?
            .and_then(|x| x.parse().ok())
            .unwrap_or(defaults[i]);
    }
    s.rule = TrendRule {
        min_count: v[0],
        rise_pct: v[1],
    };
    s.weekday = v[2];
    s.hour = v[3];
    Ok(s)
}

pub async fn save_settings(db: &Db, s: &Settings) -> Result<(), StoreError> {
    let bad = |zh: &str, en: &str| {
        StoreError::Invalid(pulse_domain::Problem::new(
            "invalid_digest_settings",
            zh.to_string(),
            en.to_string(),
        ))
    };
    if !(1..=1000).contains(&s.rule.min_count) {
        return Err(bad("最低提及次数为 1–1000", "the minimum count is 1–1000"));
    }
    if !(1..=1000).contains(&s.rule.rise_pct) {
        return Err(bad("上升阈值为 1–1000%", "the rise threshold is 1–1000 %"));
    }
    if !(1..=7).contains(&s.weekday) || s.hour > 23 {
        return Err(bad(
            "发送时间：星期 1–7，小时 0–23",
            "send day 1–7 and hour 0–23",
        ));
    }
    let mut tx = db.begin().await?;
    let values = [s.rule.min_count, s.rule.rise_pct, s.weekday, s.hour];
    for (name, v) in SETTINGS.iter().zip(values) {
        digests::set_setting(&mut tx, name, &v.to_string()).await?;
    }
    tx.commit().await
}

/// Monday of the week containing `d`.
pub fn monday_of(d: NaiveDate) -> NaiveDate {
    d - chrono::Days::new(u64::from(d.weekday().num_days_from_monday()))
}

/// The last complete week before `today` (its Monday).
pub fn last_complete_week(today: NaiveDate) -> NaiveDate {
    monday_of(today) - chrono::Days::new(7)
}

/// ISO week label, e.g. 2026-W47.
pub fn week_label(monday: NaiveDate) -> String {
    let w = monday.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// Every active person's direct and indirect reports, for those who have any.
pub fn reporting_lines(lines: &[(i64, Option<i64>)]) -> HashMap<i64, Vec<i64>> {
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for (id, manager) in lines {
        if let Some(m) = manager {
            children.entry(*m).or_default().push(*id);
        }
    }
    let mut out = HashMap::new();
    for &manager in children.keys() {
        let mut all = Vec::new();
        let mut stack = vec![manager];
        let mut seen = std::collections::HashSet::from([manager]);
        while let Some(p) = stack.pop() {
            for &c in children.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
                // Manager cycles are refused on write; this guards a bad import anyway.
                if seen.insert(c) {
                    all.push(c);
                    stack.push(c);
                }
            }
        }
        all.sort_unstable();
        out.insert(manager, all);
    }
    out
}

/// What a stored digest holds (`body_json`), the contract's shape.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub week: String,
    pub week_start: String,
    pub week_end: String,
    pub people: usize,
    #[serde(flatten)]
    pub body: body::Body,
}

/// The setting naming the last week whose digests went out to everyone.
pub const SENT_WEEK: &str = "digest_sent_week";

/// Where a freshly built digest goes besides the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Stored only (on demand, the demo).
    Store,
    /// Stored, in the inbox and through the manager's channels (schedule).
    Send,
}

/// Builds and stores the digests of the week starting `monday`, for every
/// manager or only `only`. Returns (manager id, digest id, flags).
pub async fn generate(
    db: &Db,
    engine: &TextEngine,
    monday: NaiveDate,
    only: Option<i64>,
    delivery: Delivery,
    links: &crate::reminders::Links,
) -> Result<Vec<(i64, i64, usize)>, StoreError> {
    let settings = settings(db).await?;
    let analyzer = engine.analyzer(db).await?;
    let lines = reporting_lines(&digests::reporting_lines(db).await?);
    let managers: Vec<i64> = match only {
        Some(m) => lines.contains_key(&m).then_some(m).into_iter().collect(),
        None => {
            let mut v: Vec<i64> = lines.keys().copied().collect();
            v.sort_unstable();
            v
        }
    };
    if managers.is_empty() {
        return Ok(Vec::new());
    }
    let prev = monday - chrono::Days::new(7);
    let next = monday + chrono::Days::new(7);
    let (from, split, to) = (
        pulse_store::day_start_ms(prev),
        pulse_store::day_start_ms(monday),
        pulse_store::day_start_ms(next),
    );
    let cards: Vec<DigestCard> = match only {
        Some(m) => digests::cards_of(db, &lines[&m], from, to).await?,
        None => digests::cards_between(db, from, to).await?,
    };
    // Each card segmented once, however many digests it appears in.
    let analyzed: Vec<(DigestCard, Vec<String>)> = {
        let analyzer = analyzer.clone();
        tokio::task::spawn_blocking(move || {
            cards
                .into_iter()
                .map(|c| {
                    let t = analyzer.terms(&c.observation);
                    (c, t)
                })
                .collect()
        })
        .await
        .map_err(|e| StoreError::Config(format!("segmentation failed: {e}")))?
    };
    let mut by_author: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, (c, _)) in analyzed.iter().enumerate() {
        by_author.entry(c.author_id).or_default().push(i);
    }
    let mut built = Vec::with_capacity(managers.len());
    for m in &managers {
        let people = &lines[m];
        let (mut this, mut last) = (Vec::new(), Vec::new());
        for p in people {
            for &i in by_author.get(p).map(Vec::as_slice).unwrap_or(&[]) {
                let (c, terms) = &analyzed[i];
                let card = CardText {
                    id: c.id,
                    terms,
                    ratings: &c.ratings,
                };
                if c.created_at >= split {
                    this.push(card);
                } else {
                    last.push(card);
                }
            }
        }
        let digest = Digest {
            week: week_label(monday),
            week_start: monday.to_string(),
            week_end: (next - chrono::Days::new(1)).to_string(),
            people: people.len(),
            body: body::build(&this, &last, &settings.rule, 40),
        };
        built.push((*m, digest));
    }
    let mut tx = db.begin().await?;
    let mut out = Vec::with_capacity(built.len());
    for (m, d) in &built {
        let json = serde_json::to_string(d).unwrap_or_default();
        let id = digests::save(
            &mut tx,
            *m,
            &d.week_start,
            i64::from(d.body.cards),
            d.body.flags.len() as i64,
            &json,
        )
        .await?;
        if delivery == Delivery::Send {
            deliver(&mut tx, *m, id, d, links).await?;
        }
        out.push((*m, id, d.body.flags.len()));
    }
    if delivery == Delivery::Send && only.is_none() {
        // Recorded with the messages: a crash cannot send a week twice.
        digests::set_setting(&mut tx, SENT_WEEK, &monday.to_string()).await?;
    }
    tx.commit().await?;
    Ok(out)
}

async fn deliver(
    tx: &mut pulse_store::Tx,
    manager: i64,
    id: i64,
    d: &Digest,
    links: &crate::reminders::Links,
) -> Result<(), StoreError> {
    let key = format!("digest:{manager}:{}", d.week_start);
    let subject = pulse_domain::i18n::Both::new(
        format!("团队周报 {}：{} 张反馈卡", d.week, d.body.cards),
        format!("Team digest {}: {} feedback cards", d.week, d.body.cards),
    );
    inbox::create(
        tx,
        &NewTodo {
            person_id: manager,
            kind: "weekly_digest".into(),
            subject: subject.clone(),
            link: format!("/digests/{id}"),
            source_key: key.clone(),
            due_at: None,
        },
    )
    .await?;
    // The team's configured channel (its group robot, or the nearest one up
    // the tree); a manager whose team has none gets it in their own channel.
    let text = markdown(d, &links.to(&format!("/digests/{id}")));
    let sent_to_team = match pulse_store::people::unit_of(tx, manager).await? {
        Some(unit) => notify::to_unit(tx, unit, &key, &subject.zh, &text).await?,
        None => false,
    };
    if !sent_to_team {
        notify::to_person(tx, manager, &key, &subject.zh, &text).await?;
    }
    Ok(())
}

/// The digest as WeChat Work markdown: flags first in the warning colour,
/// then tags and the top terms. Kept short (the app message limit is
/// 2,048 bytes; the channel cuts longer text).
pub fn markdown(d: &Digest, link: &str) -> String {
    let mut s = format!(
        "**团队周报 {}（{} 至 {}）**\n反馈卡 {} 张（上周 {} 张），覆盖 {} 人\n",
        d.week, d.week_start, d.week_end, d.body.cards, d.body.previous_cards, d.people
    );
    for f in &d.body.flags {
        s.push_str(&format!("<font color=\"warning\">{}</font>\n", f.text));
    }
    if !d.body.tags.is_empty() {
        s.push_str("> 标签均分：");
        let tags: Vec<String> = d
            .body
            .tags
            .iter()
            .take(6)
            .map(|t| format!("{} {:.1}", t.tag, t.avg_rating))
            .collect();
        s.push_str(&tags.join("，"));
        s.push('\n');
    }
    let top: Vec<&str> = d
        .body
        .terms
        .iter()
        .take(8)
        .map(|t| t.term.as_str())
        .collect();
    if !top.is_empty() {
        s.push_str(&format!("> 高频词：{}\n", top.join("、")));
    }
    s.push_str(&format!("[查看周报]({link})"));
    s
}

/// The schedule: once the configured weekday and hour of this week have
/// passed, the digests of the week before are built and sent, once.
pub fn job(
    engine: Arc<TextEngine>,
    links: crate::reminders::Links,
    interval_ms: i64,
) -> crate::scheduler::Job {
    crate::scheduler::Job::new("weekly_digests", interval_ms, move |db, now| {
        let engine = engine.clone();
        let links = links.clone();
        async move {
            let s = settings(&db).await?;
            let monday = monday_of(pulse_store::day_of_ms(now));
            let due = monday + chrono::Days::new(u64::from(s.weekday.clamp(1, 7) - 1));
            let due_ms = pulse_store::day_start_ms(due) + i64::from(s.hour) * 3_600_000;
            let week = monday - chrono::Days::new(7);
            if now < due_ms {
                return Ok(format!("等待 {} {}:00", due, s.hour));
            }
            if digests::setting(&db, SENT_WEEK).await?.as_deref() == Some(&week.to_string()) {
                return Ok(format!("{} 周报已发送", week_label(week)));
            }
            let made = generate(&db, &engine, week, None, Delivery::Send, &links).await?;
            Ok(format!(
                "{} 周报 {} 份，{} 份有预警",
                week_label(week),
                made.len(),
                made.iter().filter(|m| m.2 > 0).count()
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reporting_lines_reach_indirect_reports_and_survive_a_cycle() {
        let lines = [
            (1, None),
            (2, Some(1)),
            (3, Some(2)),
            (4, Some(2)),
            (5, Some(5)),
        ];
        let r = reporting_lines(&lines);
        assert_eq!(r[&1], vec![2, 3, 4]);
        assert_eq!(r[&2], vec![3, 4]);
        assert!(!r.contains_key(&3));
        assert!(r[&5].is_empty(), "a self-managed row reports nobody");
    }

    #[test]
    fn weeks_are_china_time_mondays() {
        let sat = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(monday_of(sat).to_string(), "2026-11-23");
        assert_eq!(last_complete_week(sat).to_string(), "2026-11-16");
        assert_eq!(
            week_label(NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()),
            "2026-W47"
        );
        assert_eq!(
            pulse_store::day_start_ms(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()),
            -8 * 3_600_000
        );
    }
}
