//! Shared by the browser tests: chromedriver, a phone or desktop session
//! (390 × 844 with WeChat Work's user agent), sign-in and waits.

// Each test binary uses part of the kit.
#![allow(dead_code)]

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use thirtyfour::prelude::*;

pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir.canonicalize().expect("canonical artifacts dir")
}

/// Whether the browser tests can run: under CI the packages must be there
/// (it installs them); elsewhere a missing browser is reported, not failed.
pub fn browser_available() -> bool {
    if tools_present() {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI must install chromium and chromium-driver"
    );
    eprintln!("browser test not run: /usr/bin/chromium or /usr/bin/chromedriver missing");
    false
}

pub fn tools_present() -> bool {
    Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists()
}

/// Starts chromedriver and waits (bounded) until it accepts connections.
pub async fn start_driver() -> (Driver, String) {
    let port = free_port();
    let child = Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let guard = Driver(child);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (guard, format!("http://127.0.0.1:{port}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not start");
}

/// A browser session; `phone` emulates a 390×844 phone with WeChat Work's
/// in-app browser user agent (headless windows cannot be narrower than 500 px).
pub async fn browser(driver_url: &str, phone: bool, profile: &Path) -> WebDriver {
    let mut caps = DesiredCapabilities::chrome();
    if phone {
        caps.add_experimental_option(
            "mobileEmulation",
            serde_json::json!({
                "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0},
                "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh"
            }),
        )
        .expect("mobile emulation");
    }
    caps.set_binary("/usr/bin/chromium").expect("binary");
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--lang=zh-CN",
        if phone {
            "--window-size=500,900"
        } else {
            "--window-size=1366,900"
        },
        &format!("--user-data-dir={}", profile.display()),
    ] {
        caps.add_arg(arg).expect("arg");
    }
    WebDriver::new(driver_url, caps)
        .await
        .expect("browser session")
}

pub async fn sign_in(d: &WebDriver, base: &str, login: &str) {
    sign_in_with(d, base, login, crate::support::PASSWORD).await;
}

/// Signs in through the login form with a given password (the demo's is `demo`).
pub async fn sign_in_with(d: &WebDriver, base: &str, login: &str, password: &str) {
    d.goto(format!("{base}/login")).await.expect("login page");
    d.find(By::Name("login"))
        .await
        .expect("login field")
        .send_keys(login)
        .await
        .expect("type");
    d.find(By::Name("password"))
        .await
        .expect("password field")
        .send_keys(password)
        .await
        .expect("type");
    d.find(By::Css("button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    wait_for_path(d, "/home").await;
}

pub async fn wait_for_path(d: &WebDriver, path: &str) {
    for _ in 0..100 {
        if d.current_url()
            .await
            .map(|u| u.path() == path)
            .unwrap_or(false)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "never reached {path}; at {:?}",
        d.current_url().await.map(|u| u.to_string())
    );
}

/// Fails when the page scrolls sideways at phone width.
/// Waits until the page body contains `needle`; returns the body text.
pub async fn wait_for_text(d: &WebDriver, needle: &str) -> String {
    let mut text = String::new();
    for _ in 0..100 {
        // The page may be navigating (a form was just sent): read again later.
        if let Ok(t) = d
            .execute(
                "return document.body ? document.body.innerText : ''",
                vec![],
            )
            .await
            .and_then(|r| r.convert::<String>())
        {
            text = t;
            if text.contains(needle) {
                return text;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never saw {needle:?} in: {text}");
}

pub async fn assert_fits_phone(d: &WebDriver, what: &str) {
    let width: i64 = d
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .expect("js")
        .convert()
        .expect("number");
    assert!(width <= 390, "{what}: page is {width} px wide at 390 px");
}

pub async fn wait_for_unit(d: &WebDriver, code: &str) {
    for _ in 0..100 {
        if d.current_url()
            .await
            .map(|u| u.query() == Some(&format!("unit={code}")))
            .unwrap_or(false)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never opened unit {code}");
}

pub async fn wait_for_query(d: &WebDriver) {
    for _ in 0..100 {
        if d.current_url()
            .await
            .map(|u| u.query().is_some_and(|q| q.contains("q=")))
            .unwrap_or(false)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the search never ran");
}

/// Serves `db` on a free local port as `pulse serve` would (demo mode on).
pub async fn serve(db: pulse_store::Db) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let state = pulse_web::AppState::new(
        db,
        pulse_web::WebConfig {
            secure_cookies: false,
            demo: true,
            public_url: String::new(),
            files_dir: None,
        },
    )
    .expect("state");
    let server = tokio::spawn(pulse_web::serve(state, listener, std::future::pending()));
    (base, server)
}

/// What a person must never see: a missing text, raw codes, an epoch.
pub async fn assert_reads_well(d: &WebDriver, what: &str) {
    let text: String = d
        .execute("return document.body.innerText", vec![])
        .await
        .expect("js")
        .convert()
        .expect("text");
    for bad in [
        "?\n",
        " ? ",
        "weekly_digest",
        "adjustment.",
        "_approval",
        "pending",
    ] {
        assert!(!text.contains(bad), "{what}: shows {bad:?}");
    }
    assert!(
        !text
            .split(|c: char| !c.is_ascii_digit())
            .any(|d| d.len() == 13),
        "{what}: shows an epoch number"
    );
    // A disabled button says why (the card form's reason line); a live one
    // submits a form, follows a link, or is wired by the page's script.
    let dead: i64 = d
        .execute(
            "return Array.from(document.querySelectorAll('button')).filter(function (b) {\
               if (b.offsetParent === null) return false;\
               if (b.disabled) return !document.querySelector('[data-why]');\
               return b.type !== 'submit' && !b.form && !b.hasAttribute('data-shift') && !b.hasAttribute('data-print') &&\
                 !b.classList.contains('menu-toggle') && !b.id;\
             }).length",
            vec![],
        )
        .await
        .expect("js")
        .convert()
        .expect("number");
    assert_eq!(dead, 0, "{what}: a button that does nothing");
}
