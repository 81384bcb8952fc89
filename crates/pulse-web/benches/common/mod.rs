//! What the benchmarks share: a closed-loop load generator, percentiles
//! and signing in over HTTP. Each bench uses a part of it.
#![allow(dead_code)] // each bench binary compiles this module and uses a part of it

use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// `clients` tasks each send `per_client` requests made by `make`; returns (req/s, p50, p99).
pub async fn load<F, Fut>(clients: usize, per_client: usize, make: F) -> (f64, Duration, Duration)
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let make = Arc::new(make);
    let started = Instant::now();
    let mut handles = Vec::new();
    for c in 0..clients {
        let make = make.clone();
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_client);
            for i in 0..per_client {
                let t = Instant::now();
                assert!(make(c, i).await, "request failed");
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.expect("client"));
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    (
        all.len() as f64 / secs,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
    )
}

/// Signs in over the API and returns the session cookie (`name=value`).
pub async fn login_cookie(
    http: &reqwest::Client,
    addr: std::net::SocketAddr,
    login: &str,
    password: &str,
) -> String {
    let r = http
        .post(format!("http://{addr}/api/v1/session"))
        .json(&serde_json::json!({"login": login, "password": password}))
        .send()
        .await
        .expect("login");
    let status = r.status();
    assert!(status.is_success(), "login {login}: {status}");
    r.headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("cookie")
        .to_string()
}

/// Median duration of `n` runs of `f`, and the last run's result.
pub async fn median<T, F, Fut>(n: usize, mut f: F) -> (Duration, T)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut all = Vec::with_capacity(n);
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        last = Some(f().await);
        all.push(t.elapsed());
    }
    all.sort();
    (all[n / 2], last.expect("at least one run"))
}
