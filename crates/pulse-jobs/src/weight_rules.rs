//! The scheduled evaluation of live weight rules (G5). Rules are also
//! evaluated when their inputs change (region metrics pushed, a rule saved);
//! the schedule catches inputs that changed by other paths, such as imports.
//! An evaluation that changes nothing writes and notifies nothing.

use pulse_store::{Actor, goals, weight_rules};

pub fn job(interval_ms: i64) -> crate::scheduler::Job {
    crate::scheduler::Job::new("weight_rules", interval_ms, |db, _now| async move {
        let Some(period) = goals::period_at(&db, db.today()).await? else {
            return Ok("没有进行中的周期".to_string());
        };
        if period.state != "open" {
            return Ok(format!("周期“{}”已关闭", period.name));
        }
        let e = weight_rules::evaluate(&db, period.id, None, &Actor::system("规则引擎（定时）"))
            .await?;
        Ok(format!(
            "{} 个大区，{} 项状态变化，{} 人权重变化",
            e.regions,
            e.state_changes.len(),
            e.people_changed
        ))
    })
}
