//! Pulling customers from a CRM's JSON endpoint (X3): `GET url` with an
//! optional bearer token, the list found by a JSON pointer, each field by
//! its own pointer. A pull is all or nothing: an endpoint that times out,
//! answers an error, HTML or malformed JSON, or a record that does not check
//! changes nothing, and the source's last result says why.

use pulse_store::customers::{self, Mapping, Source};
use pulse_store::people::UpsertCounts;
use pulse_store::{Db, StoreError};

/// Pulls one source now. `Ok(Err(reason))` is a failed pull (recorded);
/// `Err` an infrastructure failure.
pub async fn pull(
    db: &Db,
    client: &reqwest::Client,
    source: &Source,
) -> Result<Result<UpsertCounts, String>, StoreError> {
    let outcome = fetch_and_apply(db, client, source).await?;
    let note = match &outcome {
        Ok(c) => format!(
            "成功：新增 {}，更新 {}，未变 {}",
            c.created, c.updated, c.unchanged
        ),
        Err(e) => format!("失败：{e}"),
    };
    customers::record_pull(db, &source.name, &note).await?;
    Ok(outcome)
}

async fn fetch_and_apply(
    db: &Db,
    client: &reqwest::Client,
    source: &Source,
) -> Result<Result<UpsertCounts, String>, StoreError> {
    let mapping: Mapping = match serde_json::from_str(&source.mapping_json) {
        Ok(m) => m,
        Err(e) => return Ok(Err(format!("字段映射无效：{e}"))),
    };
    let mut req = client.get(&source.url);
    if !source.token.is_empty() {
        req = req.bearer_auth(&source.token);
    }
    let res = match req.send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return Ok(Err("CRM 接口超时".into())),
        Err(e) => return Ok(Err(format!("CRM 接口不可达：{e}"))),
    };
    let status = res.status();
    let text = match res.text().await {
        Ok(t) => t,
        Err(e) => return Ok(Err(format!("读取 CRM 应答失败：{e}"))),
    };
    if !status.is_success() {
        return Ok(Err(format!("CRM 接口返回 HTTP {status}")));
    }
    let doc: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            let head: String = text.chars().take(40).collect();
            return Ok(Err(format!("CRM 的应答不是有效的 JSON（{e}）：{head}")));
        }
    };
    let list = if mapping.items.is_empty() {
        Some(&doc)
    } else {
        doc.pointer(&mapping.items)
    };
    let Some(items) = list.and_then(|v| v.as_array()) else {
        return Ok(Err(format!(
            "在应答的“{}”处没有找到客户列表",
            mapping.items
        )));
    };
    let mut tx = db.begin().await?;
    let refs = customers::refs(&mut tx).await?;
    tx.rollback().await?;
    let mut checked = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match customers::check(&refs, &mapping.read(item)) {
            Ok(c) => checked.push(c),
            Err(p) => {
                for (field, p) in p {
                    problems.push(format!("第 {} 条 {field}：{}", i + 1, p.zh));
                }
            }
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        problems.truncate(5);
        return Ok(Err(format!(
            "{n} 处数据有误，未导入：{}",
            problems.join("；")
        )));
    }
    Ok(Ok(
        customers::apply(db, &checked, &source.name, false).await?
    ))
}

/// The scheduled pull of every enabled source.
pub fn job(interval_ms: i64) -> crate::scheduler::Job {
    crate::scheduler::Job::new("crm_pull", interval_ms, |db, _now| async move {
        let client = crate::channels::http_client();
        let mut notes = Vec::new();
        for s in customers::sources(&db)
            .await?
            .into_iter()
            .filter(|s| s.enabled != 0)
        {
            let outcome = pull(&db, &client, &s).await?;
            notes.push(format!(
                "{}：{}",
                s.name,
                if outcome.is_ok() { "成功" } else { "失败" }
            ));
        }
        Ok(if notes.is_empty() {
            "没有启用的 CRM 数据源".into()
        } else {
            notes.join("，")
        })
    })
}
