//! Email over SMTP (lettre): STARTTLS on port 587 by default, implicit TLS
//! ("tls", port 465) or plain ("none", only for a relay on the local
//! network). Each message has an HTML and a plain-text part rendered from
//! the same markdown. An internal CA can be trusted with `ca_pem`.

use std::sync::OnceLock;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;

use super::{Channel, Outgoing, SendError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    host: String,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// `绩效脉搏 <pulse@example.cn>` or a bare address.
    from: String,
    /// `starttls` (default), `tls` or `none`.
    #[serde(default = "default_tls")]
    tls: String,
    /// PEM of an extra root certificate (a company's own CA).
    #[serde(default)]
    ca_pem: String,
}

fn default_tls() -> String {
    "starttls".into()
}

pub struct Email {
    builder: AsyncSmtpTransportBuilder,
    /// Built on first send: lettre's connection pool needs a running Tokio
    /// runtime, and settings are also checked where there is none.
    transport: OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl Email {
    pub fn from_config(json: &str) -> Result<Email, String> {
        let c: Config = serde_json::from_str(json).map_err(|e| format!("邮件配置格式错误：{e}"))?;
        let host = c.host.trim();
        if host.is_empty() || host.contains(['/', ' ', ':']) {
            return Err(format!(
                "SMTP 服务器“{host}”无效：只填主机名，例如 smtp.example.cn"
            ));
        }
        let from: Mailbox = c
            .from
            .parse()
            .map_err(|e| format!("发件人“{}”不是有效的邮件地址：{e}", c.from))?;
        if c.username.is_empty() != c.password.is_empty() {
            return Err("SMTP 用户名和密码要么都填，要么都不填".into());
        }
        let tls_params = || -> Result<TlsParameters, String> {
            let mut b = TlsParameters::builder(host.to_string());
            if !c.ca_pem.trim().is_empty() {
                if !c.ca_pem.contains("-----BEGIN CERTIFICATE-----") {
                    return Err(
                        "CA 证书不是有效的 PEM（应以 -----BEGIN CERTIFICATE----- 开头）".into(),
                    );
                }
                let cert = Certificate::from_pem(c.ca_pem.as_bytes())
                    .map_err(|e| format!("CA 证书不是有效的 PEM：{e}"))?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| format!("TLS 设置无效：{e}"))
        };
        let (tls, default_port) = match c.tls.as_str() {
            "starttls" => (Tls::Required(tls_params()?), 587),
            "tls" => (Tls::Wrapper(tls_params()?), 465),
            "none" => (Tls::None, 25),
            other => {
                return Err(format!("未知的加密方式“{other}”（starttls、tls 或 none）"));
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(c.port.unwrap_or(default_port))
            .tls(tls)
            .timeout(Some(Duration::from_secs(15)));
        if !c.username.is_empty() {
            builder = builder.credentials(Credentials::new(c.username, c.password));
        }
        Ok(Email {
            builder,
            transport: OnceLock::new(),
            from,
        })
    }
}

#[async_trait::async_trait]
impl Channel for Email {
    fn kind(&self) -> &'static str {
        "email"
    }

    async fn send(&self, m: &Outgoing<'_>) -> Result<(), SendError> {
        if m.recipient.trim().is_empty() {
            return Err(SendError::permanent("此人没有登记邮箱，无法发送邮件"));
        }
        let to: Mailbox = m.recipient.parse().map_err(|e| {
            SendError::permanent(format!("收件人“{}”不是有效的邮件地址：{e}", m.recipient))
        })?;
        let text = pulse_domain::delivery::markdown_to_text(m.body);
        let html = pulse_domain::delivery::markdown_to_html(m.body);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject)
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| SendError::permanent(format!("邮件无法生成：{e}")))?;
        let transport = self.transport.get_or_init(|| self.builder.clone().build());
        transport.send(message).await.map(|_| ()).map_err(|e| {
            let detail = e.to_string();
            if e.is_permanent() {
                // 5xx: the server refused this message; sending it again will not help.
                SendError::permanent(format!("邮件服务器拒收：{detail}"))
            } else if e.is_tls() {
                SendError::retry(format!("与邮件服务器建立加密连接失败：{detail}"))
            } else {
                SendError::retry(format!("邮件发送失败：{detail}"))
            }
        })
    }
}
