//! The scheduled evaluation of the linkage rules (L4): a period is
//! evaluated once it closes, and again when a calibration of it finalizes
//! (calibrated ratings are what rules should read). Evaluating a period
//! whose outcomes exist changes nothing and notifies nobody.

use pulse_store::Actor;
use pulse_store::linkage::evaluate;

pub fn job(public_url: String, interval_ms: i64) -> crate::scheduler::Job {
    crate::scheduler::Job::new("linkage_rules", interval_ms, move |db, _now| {
        let public_url = public_url.clone();
        async move {
            let due = evaluate::due_periods(&db).await?;
            if due.is_empty() {
                return Ok("没有需要评估的周期".to_string());
            }
            let actor = Actor::system("联动规则（定时）");
            let mut parts = Vec::new();
            for p in due {
                let e = evaluate::evaluate(&db, &actor, &p.code, &public_url).await?;
                parts.push(format!(
                    "{}：新增 {} 项，已有 {} 项",
                    p.code, e.created, e.unchanged
                ));
            }
            Ok(parts.join("；"))
        }
    })
}
