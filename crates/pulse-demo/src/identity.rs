//! Sign-in and privacy as a company would have them on day one (X5, S3):
//! single sign-on and WeChat Work login filled in but switched off (the
//! addresses are not real), a retention period, a few logged views of the
//! rep's review data and an HR note on her record, so `/me/data` and
//! `/privacy` have a story to show.

use pulse_store::identity::privacy;
use pulse_store::identity::settings::{self, OidcSettings, PrivacySettings, WecomLoginSettings};
use pulse_store::reviews::{self, Whose};
use pulse_store::{Actor, Db};

use crate::DemoOrg;

pub async fn seed(db: &Db, org: &DemoOrg) -> anyhow::Result<()> {
    let actor = Actor::system("演示数据 demo");
    let mut tx = db.begin().await?;
    let oidc = OidcSettings {
        enabled: false,
        issuer: "https://sso.pulse-demo.example.cn".into(),
        client_id: "pulse".into(),
        client_secret: "demo-secret-not-real".into(),
        scopes: "openid profile email".into(),
        claim: "employee_number".into(),
        match_field: "employee_no".into(),
        button_label: "集团统一登录".into(),
        password_off_roles: Vec::new(),
    };
    settings::put(
        &mut tx,
        &actor,
        settings::OIDC,
        &oidc,
        &["issuer", "client_id"],
    )
    .await?;
    let wecom = WecomLoginSettings {
        enabled: false,
        corp_id: "ww00000000000000".into(),
        agent_id: 1000002,
        secret: "demo-secret-not-real".into(),
        ..WecomLoginSettings::default()
    };
    settings::put(
        &mut tx,
        &actor,
        settings::WECOM_LOGIN,
        &wecom,
        &["corp_id", "agent_id"],
    )
    .await?;
    settings::put(
        &mut tx,
        &actor,
        settings::PRIVACY,
        &PrivacySettings {
            retention_days: 365,
        },
        &["retention_days"],
    )
    .await?;
    let ids = pulse_store::people::ids_by_employee_no(&mut tx).await?;
    let id = |login: &str| {
        org.by_login(login)
            .and_then(|p| ids.get(&p.employee_no).copied())
            .ok_or_else(|| anyhow::anyhow!("demo login {login} is missing"))
    };
    let (rep, manager, director, hrbp) = (
        id("employee")?,
        id("manager")?,
        id("director")?,
        id("hrbp")?,
    );
    let hr = Actor {
        account_id: None,
        person_id: Some(hrbp),
        label: "演示数据 demo".into(),
    };
    privacy::annotate(
        &mut tx,
        &hr,
        rep,
        "profile",
        "入职日期以劳动合同为准；系统原记录有误，已按合同更正。",
    )
    .await?;
    tx.commit().await?;
    for r in reviews::list(db, Whose::Person(rep), None).await? {
        let reference = format!("review:{}", r.id);
        privacy::record_view(db, manager, rep, "review", &reference).await?;
        privacy::record_view(db, director, rep, "review", &reference).await?;
    }
    privacy::record_view(db, hrbp, rep, "archive", "page").await?;
    Ok(())
}
