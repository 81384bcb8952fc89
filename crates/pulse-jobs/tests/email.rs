//! Email over SMTP against a local SMTP sink that speaks the protocol
//! (RFC 5321 greeting, EHLO, STARTTLS with a real TLS upgrade, AUTH PLAIN,
//! MAIL/RCPT/DATA) and can be told to refuse or to be busy.

use std::sync::{Arc, Mutex};

use base64::Engine;
use pulse_jobs::channels::{Channel, Email, Outgoing, Registry};
use pulse_jobs::delivery::{Policy, deliver_once};
use pulse_store::outbox::{self, NewMessage};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Accept,
    /// 550 on RCPT: a permanent refusal.
    RefuseRecipient,
    /// 421 at the greeting: come back later.
    Busy,
}

#[derive(Default)]
struct Mail {
    tls: bool,
    auth: String,
    from: String,
    to: Vec<String>,
    data: String,
}

struct Sink {
    mode: Mutex<Mode>,
    offer_starttls: bool,
    mails: Mutex<Vec<Mail>>,
    cert_pem: String,
    acceptor: tokio_rustls::TlsAcceptor,
}

enum Next<S> {
    Done,
    StartTls(BufReader<S>),
}

async fn reply<S: AsyncWrite + Unpin>(w: &mut S, text: &str) {
    let _ = w.write_all(text.as_bytes()).await;
    let _ = w.flush().await;
}

/// One SMTP conversation until QUIT, or until the client asks for STARTTLS.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    sink: &Sink,
    mut io: BufReader<S>,
    tls: bool,
    greet: bool,
) -> Next<S> {
    let mode = *sink.mode.lock().unwrap();
    if greet {
        if mode == Mode::Busy {
            reply(io.get_mut(), "421 4.3.2 sink busy, try later\r\n").await;
            return Next::Done;
        }
        reply(io.get_mut(), "220 sink.local ESMTP ready\r\n").await;
    }
    let mut mail = Mail {
        tls,
        ..Mail::default()
    };
    let mut line = String::new();
    loop {
        line.clear();
        if io.read_line(&mut line).await.unwrap_or(0) == 0 {
            return Next::Done;
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            let starttls = if sink.offer_starttls && !tls {
                "250-STARTTLS\r\n"
            } else {
                ""
            };
            reply(
                io.get_mut(),
                &format!("250-sink.local\r\n{starttls}250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"),
            )
            .await;
        } else if upper == "STARTTLS" {
            reply(io.get_mut(), "220 2.0.0 go ahead\r\n").await;
            return Next::StartTls(io);
        } else if upper.starts_with("AUTH PLAIN") {
            let b64 = cmd[10..].trim();
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default();
            mail.auth = String::from_utf8_lossy(&raw).replace('\0', "|");
            reply(io.get_mut(), "235 2.7.0 authenticated\r\n").await;
        } else if upper.starts_with("MAIL FROM:") {
            mail.from = cmd[10..].to_string();
            reply(io.get_mut(), "250 2.1.0 ok\r\n").await;
        } else if upper.starts_with("RCPT TO:") {
            if mode == Mode::RefuseRecipient {
                reply(io.get_mut(), "550 5.1.1 no such user here\r\n").await;
            } else {
                mail.to.push(cmd[8..].to_string());
                reply(io.get_mut(), "250 2.1.5 ok\r\n").await;
            }
        } else if upper == "DATA" {
            reply(io.get_mut(), "354 end with <CRLF>.<CRLF>\r\n").await;
            loop {
                line.clear();
                if io.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return Next::Done;
                }
                if line == ".\r\n" {
                    break;
                }
                mail.data.push_str(&line);
            }
            sink.mails.lock().unwrap().push(std::mem::take(&mut mail));
            mail.tls = tls;
            reply(io.get_mut(), "250 2.0.0 queued\r\n").await;
        } else if upper == "QUIT" {
            reply(io.get_mut(), "221 2.0.0 bye\r\n").await;
            return Next::Done;
        } else if upper == "RSET" || upper == "NOOP" {
            reply(io.get_mut(), "250 2.0.0 ok\r\n").await;
        } else {
            reply(io.get_mut(), "502 5.5.2 unknown command\r\n").await;
        }
    }
}

async fn serve(sink: Arc<Sink>, tcp: tokio::net::TcpStream) {
    if let Next::StartTls(io) = converse(&sink, BufReader::new(tcp), false, true).await {
        let Ok(tls) = sink.acceptor.accept(io.into_inner()).await else {
            return;
        };
        converse(&sink, BufReader::new(tls), true, false).await;
    }
}

async fn smtp_sink(offer_starttls: bool) -> (Arc<Sink>, u16) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(
        cert.signing_key.serialize_der().into(),
    );
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let sink = Arc::new(Sink {
        mode: Mutex::new(Mode::Accept),
        offer_starttls,
        mails: Mutex::default(),
        cert_pem: cert.cert.pem(),
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let s = sink.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(serve(s.clone(), tcp));
        }
    });
    (sink, port)
}

fn settings(sink: &Sink, port: u16, tls: &str) -> String {
    serde_json::json!({
        "host": "localhost", "port": port, "tls": tls,
        "username": "pulse", "password": "s3cret",
        "from": "绩效脉搏 <pulse@example.cn>", "ca_pem": sink.cert_pem,
    })
    .to_string()
}

/// The parts of a multipart message by content type, transfer encoding undone.
fn parts(data: &str) -> Vec<(String, String)> {
    let boundary = data
        .split("boundary=\"")
        .nth(1)
        .and_then(|b| b.split('"').next())
        .expect("a multipart boundary");
    data.split(&format!("--{boundary}"))
        .skip(1)
        .filter_map(|part| {
            let (head, body) = part.split_once("\r\n\r\n")?;
            let ctype = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Type: "))?
                .to_string();
            let body = if head.contains("Content-Transfer-Encoding: base64") {
                let joined: String = body.split_whitespace().collect();
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(joined)
                        .unwrap(),
                )
                .unwrap()
            } else if head.contains("Content-Transfer-Encoding: quoted-printable") {
                quoted_printable(body)
            } else {
                body.to_string()
            };
            Some((ctype, body))
        })
        .collect()
}

/// RFC 2045 quoted-printable: soft line breaks joined, `=XX` bytes decoded.
fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn outgoing<'a>(recipient: &'a str, body: &'a str) -> Outgoing<'a> {
    Outgoing {
        subject: "目标微调申请待审批",
        body,
        link: None,
        recipient,
    }
}

#[tokio::test]
async fn sends_html_and_text_over_starttls_with_login() {
    let (sink, port) = smtp_sink(true).await;
    let email = Email::from_config(&settings(&sink, port, "starttls")).unwrap();
    let body = "**张伟** 申请把“新客户首单转化率”目标从 0.35 调到 0.385\n- [去审批](https://pulse.example.cn/inbox)";
    email
        .send(&outgoing("王芳 <wang.fang@example.cn>", body))
        .await
        .unwrap();
    let mails = sink.mails.lock().unwrap();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert!(m.tls, "the message travelled after the STARTTLS upgrade");
    assert_eq!(
        m.auth, "|pulse|s3cret",
        "AUTH PLAIN with the configured login"
    );
    assert_eq!(m.from, "<pulse@example.cn>");
    assert_eq!(m.to, vec!["<wang.fang@example.cn>"]);
    assert!(
        m.data.contains("Subject: =?utf-8?b?"),
        "Chinese subject is RFC 2047 encoded: {}",
        m.data
    );
    assert!(m.data.contains("Content-Type: multipart/alternative"));
    let parts = parts(&m.data);
    let text = &parts
        .iter()
        .find(|p| p.0.starts_with("text/plain"))
        .unwrap()
        .1;
    let html = &parts
        .iter()
        .find(|p| p.0.starts_with("text/html"))
        .unwrap()
        .1;
    assert!(
        text.contains("张伟 申请把“新客户首单转化率”目标从 0.35 调到 0.385"),
        "{text}"
    );
    assert!(
        text.contains("去审批 (https://pulse.example.cn/inbox)"),
        "{text}"
    );
    assert!(html.contains("<strong>张伟</strong>"), "{html}");
    assert!(
        html.contains("<a href=\"https://pulse.example.cn/inbox\">去审批</a>"),
        "{html}"
    );
}

#[tokio::test]
async fn starttls_is_required_not_optional() {
    // A server that does not offer STARTTLS must not receive the message in clear text.
    let (sink, port) = smtp_sink(false).await;
    let email = Email::from_config(&settings(&sink, port, "starttls")).unwrap();
    let err = email
        .send(&outgoing("a@example.cn", "正文"))
        .await
        .unwrap_err();
    assert!(err.retryable, "{err:?}");
    assert!(sink.mails.lock().unwrap().is_empty());
    // Plain delivery works when an admin chose it for an internal relay.
    let plain = Email::from_config(&settings(&sink, port, "none")).unwrap();
    plain.send(&outgoing("a@example.cn", "正文")).await.unwrap();
    assert!(!sink.mails.lock().unwrap()[0].tls);
}

#[tokio::test]
async fn refused_recipient_is_permanent_and_busy_server_is_retried() {
    let (sink, port) = smtp_sink(true).await;
    let email = Email::from_config(&settings(&sink, port, "starttls")).unwrap();
    *sink.mode.lock().unwrap() = Mode::RefuseRecipient;
    let err = email
        .send(&outgoing("gone@example.cn", "正文"))
        .await
        .unwrap_err();
    assert!(!err.retryable, "a 5xx refusal is final: {err:?}");
    assert!(err.message.contains("邮件服务器拒收"), "{}", err.message);
    *sink.mode.lock().unwrap() = Mode::Busy;
    let err = email
        .send(&outgoing("a@example.cn", "正文"))
        .await
        .unwrap_err();
    assert!(err.retryable, "a 4xx answer is retried: {err:?}");
}

#[tokio::test]
async fn bad_settings_and_recipients_get_clear_errors() {
    for (json, needle) in [
        (r#"{"host":"smtp.example.cn"}"#, "邮件配置格式错误"),
        (
            r#"{"host":"https://smtp.example.cn","from":"a@b.cn"}"#,
            "只填主机名",
        ),
        (r#"{"host":"smtp.example.cn","from":"不是地址"}"#, "发件人"),
        (
            r#"{"host":"smtp.example.cn","from":"a@b.cn","tls":"ssl3"}"#,
            "未知的加密方式",
        ),
        (
            r#"{"host":"smtp.example.cn","from":"a@b.cn","username":"u"}"#,
            "用户名和密码",
        ),
        (
            r#"{"host":"smtp.example.cn","from":"a@b.cn","ca_pem":"garbage"}"#,
            "CA 证书",
        ),
    ] {
        let err = Email::from_config(json).err().unwrap_or_default();
        assert!(err.contains(needle), "{json} → {err}");
    }
    let email = Email::from_config(r#"{"host":"127.0.0.1","port":9,"from":"a@b.cn","tls":"none"}"#)
        .unwrap();
    let err = email.send(&outgoing("", "正文")).await.unwrap_err();
    assert!(!err.retryable && err.message.contains("没有登记邮箱"));
    let err = email
        .send(&outgoing("not-an-address", "正文"))
        .await
        .unwrap_err();
    assert!(!err.retryable && err.message.contains("不是有效的邮件地址"));
}

/// Through the outbox on the engine under test: a busy server delays the
/// message, it is delivered once the server recovers, and never twice.
#[tokio::test]
async fn outbox_delivers_email_after_the_server_recovers() {
    let (db, _dir) = pulse_store::testing::fresh_db().await;
    let (sink, port) = smtp_sink(true).await;
    let mut registry = Registry::default();
    registry.insert(
        "mail",
        Arc::new(Email::from_config(&settings(&sink, port, "starttls")).unwrap()),
    );
    let mut tx = db.begin().await.unwrap();
    outbox::enqueue(
        &mut tx,
        &NewMessage {
            idempotency_key: "digest:2026-W48:m1".into(),
            channel: "email".into(),
            target: "mail".into(),
            subject: "本周团队反馈周报".into(),
            body: "本周‘价格异议’提及频次上升40%".into(),
            recipient: "li.na@example.cn".into(),
            not_before: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let policy = Policy {
        base_delay_ms: 1_000,
        ..Policy::default()
    };
    *sink.mode.lock().unwrap() = Mode::Busy;
    let now = db.now_ms();
    let r = deliver_once(&db, &registry, &policy, now).await.unwrap();
    assert_eq!((r.sent, r.retried), (0, 1));
    *sink.mode.lock().unwrap() = Mode::Accept;
    let later = now + 3_600_000;
    let r = deliver_once(&db, &registry, &policy, later).await.unwrap();
    assert_eq!(r.sent, 1);
    let r = deliver_once(&db, &registry, &policy, later + 3_600_000)
        .await
        .unwrap();
    assert_eq!(r.sent + r.retried + r.dead, 0, "nothing left to send");
    assert_eq!(sink.mails.lock().unwrap().len(), 1);
}
