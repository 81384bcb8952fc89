//! The daily PIPL anonymisation (S3): leavers past the retention period set
//! on the identity settings page lose their name, contacts and the texts
//! naming them; a run that finds nobody due changes nothing.

use pulse_store::Actor;
use pulse_store::identity::privacy;
use pulse_store::identity::settings::{self, PrivacySettings};

pub const EVERY_DAY_MS: i64 = 24 * 3600 * 1000;

pub fn job(interval_ms: i64) -> crate::scheduler::Job {
    crate::scheduler::Job::new("pipl_anonymise", interval_ms, |db, _now| async move {
        let p: PrivacySettings = settings::get(&db, settings::PRIVACY).await?;
        let done = privacy::anonymise_due(
            &db,
            &Actor::system("个人信息保护（定时）"),
            p.retention_days,
        )
        .await?;
        Ok(format!(
            "保留期 {} 天：匿名化 {} 人，替换 {} 处文字",
            p.retention_days, done.people, done.texts
        ))
    })
}
