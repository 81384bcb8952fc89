//! Makes a draft for a review: the offline writer, optionally polished,
//! kept on the review so its edits can be counted (W1–W3).

use pulse_domain::Lang;
use pulse_domain::reviews::pseudonym::{Kind, Pseudonyms};
use pulse_store::reviews::{self, Review};

use super::api::{DraftDto, SectionDto};
use super::{polish, service};
use crate::AppState;
use crate::error::AppResult;

pub async fn make(
    state: &AppState,
    r: &Review,
    ids: &[i64],
    want_polish: bool,
    lang: Lang,
) -> AppResult<DraftDto> {
    reviews::ensure_writable(r)?;
    let (d, cited) = service::draft(state, r, ids).await?;
    let mut text = d.text.clone();
    let mut source = "offline";
    let mut note = None;
    if want_polish {
        let mut terms: Vec<(&str, Kind)> = vec![
            (r.name.as_str(), Kind::Person),
            (r.employee_no.as_str(), Kind::EmployeeNo),
            (r.reviewer_name.as_str(), Kind::Person),
        ];
        for f in &cited {
            if let Some(c) = f.customer.as_deref() {
                terms.push((c, Kind::Customer));
            }
            if let Some(a) = f.author.as_deref() {
                terms.push((a, Kind::Person));
            }
        }
        // "李娜本人" is masked through 李娜.
        let names = Pseudonyms::new(terms);
        match polish::polish(state, &d.text, &names, lang).await {
            Ok(p) => {
                text = p;
                source = "polished";
            }
            Err(why) => note = Some(why),
        }
    }
    reviews::save_draft(&state.db, r.id, &text, ids, source).await?;
    reviews::ping(&state.db, r.id).await?;
    let sections = d
        .sections
        .iter()
        .zip(cited.iter())
        .map(|(s, f)| SectionDto {
            evidence_id: s.evidence_id,
            situation: s.situation.clone(),
            behaviour: s.behaviour.clone(),
            impact: s.impact.clone(),
            source: service::item(f, r, lang),
        })
        .collect();
    Ok(DraftDto {
        text,
        sections,
        suggestion: d.suggestion,
        suggestion_dimension: d.suggestion_dimension,
        course: d.course,
        source: source.into(),
        polish_note: note,
    })
}
