//! OpenID Connect relying party: discovery (`/.well-known/openid-configuration`,
//! kept an hour), the provider's keys (JWKS, fetched again when a token names
//! a key we do not know — that is how rotation shows — at most every ten
//! seconds), the authorization-code exchange with the PKCE verifier
//! (`client_secret_basic`), and the ID token's signature checked with
//! `jsonwebtoken`; the claim checks live in `pulse_domain::identity::claims`
//! so they run on the store's clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use pulse_domain::Problem;
use pulse_domain::identity::claims::{self, Expect, IdClaims};
use serde::Deserialize;
use tokio::sync::Mutex;

const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
const JWKS_REFRESH_MIN: Duration = Duration::from_secs(10);

/// The provider's endpoints from its discovery document.
#[derive(Debug, Clone, Deserialize)]
pub struct Provider {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

pub struct OidcClient {
    http: reqwest::Client,
    providers: Mutex<HashMap<String, (Provider, Instant)>>,
    keys: Mutex<HashMap<String, (JwkSet, Instant)>>,
    jwks_refresh_min: Duration,
}

impl Default for OidcClient {
    fn default() -> Self {
        OidcClient::new(crate::channels::http_client())
    }
}

fn fail(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem::new(code, zh, en)
}

/// `application/x-www-form-urlencoded` of one value, by the URL crate's serializer.
fn form_encode(s: &str) -> String {
    let mut u = reqwest::Url::parse("http://x/").expect("constant URL");
    u.query_pairs_mut().append_pair("v", s);
    u.query()
        .and_then(|q| q.strip_prefix("v="))
        .unwrap_or("")
        .to_string()
}

fn unreachable(e: impl std::fmt::Display) -> Problem {
    fail(
        "sso_provider_unreachable",
        format!("无法连接身份提供方：{e}"),
        format!("the identity provider cannot be reached: {e}"),
    )
}

impl OidcClient {
    pub fn new(http: reqwest::Client) -> Self {
        OidcClient {
            http,
            providers: Mutex::default(),
            keys: Mutex::default(),
            jwks_refresh_min: JWKS_REFRESH_MIN,
        }
    }

    /// The shortest pause between two JWKS fetches a token with an unknown
    /// `kid` can cause (a guard against forcing refetches; tests rotate keys
    /// within seconds and set it to zero).
    pub fn with_jwks_refresh_min(mut self, pause: Duration) -> Self {
        self.jwks_refresh_min = pause;
        self
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, Problem> {
        let res = self.http.get(url).send().await.map_err(unreachable)?;
        if !res.status().is_success() {
            return Err(unreachable(format!("HTTP {} from {url}", res.status())));
        }
        res.json::<T>().await.map_err(|e| {
            fail(
                "sso_provider_answer",
                format!("身份提供方的应答无法识别：{e}"),
                format!("the identity provider's answer is not understood: {e}"),
            )
        })
    }

    /// The provider behind `issuer`; its discovery document must name the same issuer.
    pub async fn provider(&self, issuer: &str) -> Result<Provider, Problem> {
        let issuer = issuer.trim_end_matches('/');
        if let Some((p, at)) = self.providers.lock().await.get(issuer)
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(p.clone());
        }
        let p: Provider = self
            .get_json(&format!("{issuer}/.well-known/openid-configuration"))
            .await?;
        if p.issuer.trim_end_matches('/') != issuer {
            return Err(fail(
                "sso_discovery_issuer",
                "身份提供方的发现文档声明了另一个签发方",
                "the discovery document names another issuer",
            ));
        }
        self.providers
            .lock()
            .await
            .insert(issuer.to_string(), (p.clone(), Instant::now()));
        Ok(p)
    }

    /// Forgets cached discovery and keys (after the admin changes the settings).
    pub async fn forget(&self) {
        self.providers.lock().await.clear();
        self.keys.lock().await.clear();
    }

    /// Exchanges the code (with the PKCE verifier) for the ID token.
    pub async fn exchange(
        &self,
        p: &Provider,
        client_id: &str,
        client_secret: &str,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<String, Problem> {
        let res = self
            .http
            .post(&p.token_endpoint)
            // RFC 6749 §2.3.1: both parts form-encoded before Basic encoding.
            .basic_auth(form_encode(client_id), Some(form_encode(client_secret)))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", verifier),
                ("client_id", client_id),
            ])
            .send()
            .await
            .map_err(unreachable)?;
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        if !status.is_success() {
            let error = body["error"].as_str().unwrap_or("unknown");
            return Err(fail(
                "sso_code_refused",
                format!("身份提供方拒绝了这次登录（{error}），请重新登录"),
                format!("the identity provider refused the sign-in ({error}); start again"),
            ));
        }
        body["id_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                fail(
                    "sso_no_id_token",
                    "身份提供方没有返回身份令牌",
                    "the identity provider returned no ID token",
                )
            })
    }

    async fn keys_for(&self, jwks_uri: &str, refresh: bool) -> Result<JwkSet, Problem> {
        {
            let keys = self.keys.lock().await;
            if let Some((set, at)) = keys.get(jwks_uri)
                && (!refresh || at.elapsed() < self.jwks_refresh_min)
            {
                return Ok(set.clone());
            }
        }
        let set: JwkSet = self.get_json(jwks_uri).await?;
        self.keys
            .lock()
            .await
            .insert(jwks_uri.to_string(), (set.clone(), Instant::now()));
        Ok(set)
    }

    /// Checks the ID token's signature with the provider's key, then its claims.
    pub async fn verify(
        &self,
        p: &Provider,
        id_token: &str,
        expect: &Expect<'_>,
    ) -> Result<IdClaims, Problem> {
        let forged = || {
            fail(
                "sso_signature",
                "身份令牌的签名无效",
                "the ID token's signature does not verify",
            )
        };
        let header = decode_header(id_token).map_err(|_| forged())?;
        // Asymmetric algorithms only: `none` and HMAC with a public key are the classic forgeries.
        if !matches!(
            header.alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
                | Algorithm::ES256
                | Algorithm::ES384
        ) {
            return Err(forged());
        }
        let find = |set: &JwkSet| match &header.kid {
            Some(kid) => set.find(kid).cloned(),
            None if set.keys.len() == 1 => set.keys.first().cloned(),
            None => None,
        };
        let jwk = match find(&self.keys_for(&p.jwks_uri, false).await?) {
            Some(k) => k,
            None => find(&self.keys_for(&p.jwks_uri, true).await?).ok_or_else(forged)?,
        };
        let key = DecodingKey::from_jwk(&jwk).map_err(|_| forged())?;
        let mut v = Validation::new(header.alg);
        // Time and audience are checked on the store's clock in `claims::check`.
        v.validate_exp = false;
        v.validate_nbf = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        let data = decode::<IdClaims>(id_token, &key, &v).map_err(|_| forged())?;
        claims::check(&data.claims, expect)?;
        Ok(data.claims)
    }
}
