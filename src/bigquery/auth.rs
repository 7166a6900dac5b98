//! Who perx is to BigQuery: nobody (an emulator), a bearer token given by the user, or a
//! service account whose key signs an OAuth 2 JWT (RS256) that the key's `token_uri`
//! exchanges for a token. Tokens and keys are never printed: `Debug` hides them.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::BigQueryError;

/// The scope asked for.
const SCOPE: &str = "https://www.googleapis.com/auth/bigquery";

/// The fields of a service-account key file perx uses.
#[derive(Clone, Deserialize)]
pub struct ServiceAccount {
    /// `service_account`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The account.
    pub client_email: String,
    /// PKCS#8 PEM.
    pub private_key: String,
    /// Its id (the JWT's `kid`).
    #[serde(default)]
    pub private_key_id: String,
    /// Where tokens come from.
    pub token_uri: String,
    /// The key's project, the default for `--project`.
    #[serde(default)]
    pub project_id: Option<String>,
}

/// How requests are authorised.
pub enum Credentials {
    /// No `Authorization` header (an emulator).
    None,
    /// A bearer token.
    Token(String),
    /// A service account; the token is fetched on first use and renewed before it expires.
    ServiceAccount {
        /// The key.
        key: Box<ServiceAccount>,
        /// The token and when it was fetched.
        token: Mutex<Option<(String, Instant)>>,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => f.write_str("Credentials::None"),
            Credentials::Token(_) => f.write_str("Credentials::Token(<hidden>)"),
            Credentials::ServiceAccount { key, .. } => {
                write!(f, "Credentials::ServiceAccount({})", key.client_email)
            }
        }
    }
}

impl Credentials {
    /// Reads a service-account key file (`GOOGLE_APPLICATION_CREDENTIALS`).
    pub fn from_key_file(path: &Path) -> Result<Credentials, BigQueryError> {
        let text = std::fs::read_to_string(path).map_err(|source| BigQueryError::Io {
            path: path.to_owned(),
            source,
        })?;
        let key: ServiceAccount = serde_json::from_str(&text).map_err(|e| {
            BigQueryError::Auth(format!(
                "{}: not a service-account key file ({e}); download one from the Google Cloud \
                 console (IAM → Service accounts → Keys) or pass --access-token",
                path.display()
            ))
        })?;
        if key.kind != "service_account" {
            return Err(BigQueryError::Auth(format!(
                "{}: the key's type is {:?}, not \"service_account\"; use a service-account key \
                 or pass --access-token",
                path.display(),
                key.kind
            )));
        }
        Ok(Credentials::ServiceAccount {
            key: Box::new(key),
            token: Mutex::new(None),
        })
    }

    /// The project named by a service-account key, if any.
    pub fn project(&self) -> Option<&str> {
        match self {
            Credentials::ServiceAccount { key, .. } => key.project_id.as_deref(),
            _ => None,
        }
    }

    /// The `Authorization` header value, fetching a token if needed.
    pub fn header(&self, agent: &ureq::Agent) -> Result<Option<String>, BigQueryError> {
        match self {
            Credentials::None => Ok(None),
            Credentials::Token(t) => Ok(Some(format!("Bearer {t}"))),
            Credentials::ServiceAccount { key, token } => {
                let mut cached = token.lock().unwrap_or_else(|e| e.into_inner());
                // Tokens last an hour; renew after 50 minutes.
                if let Some((t, at)) = cached.as_ref()
                    && at.elapsed() < Duration::from_secs(50 * 60)
                {
                    return Ok(Some(format!("Bearer {t}")));
                }
                let fresh = fetch_token(agent, key)?;
                let header = format!("Bearer {fresh}");
                *cached = Some((fresh, Instant::now()));
                Ok(Some(header))
            }
        }
    }
}

/// The signed JWT a service account exchanges for a token (RFC 7523).
pub fn signed_jwt(key: &ServiceAccount, now_secs: u64) -> Result<String, BigQueryError> {
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::sha2::Sha256;
    use rsa::signature::{SignatureEncoding, Signer};

    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": key.private_key_id});
    let claims = serde_json::json!({
        "iss": key.client_email,
        "scope": SCOPE,
        "aud": key.token_uri,
        "iat": now_secs,
        "exp": now_secs + 3600,
    });
    let encode = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let message = format!("{}.{}", encode(&header), encode(&claims));
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(&key.private_key).map_err(|_| {
        BigQueryError::Auth(format!(
            "the private key of {} is not a PKCS#8 PEM RSA key; download a new key file",
            key.client_email
        ))
    })?;
    let signature = SigningKey::<Sha256>::new(private).sign(message.as_bytes());
    Ok(format!(
        "{message}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

/// `https://…`, or plain http to a loopback host (`127.0.0.1`, `[::1]`, `localhost`).
fn token_uri_is_safe(uri: &str) -> bool {
    if uri.starts_with("https://") {
        return true;
    }
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn fetch_token(agent: &ureq::Agent, key: &ServiceAccount) -> Result<String, BigQueryError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let fail = |why: String| {
        BigQueryError::Auth(format!(
            "could not get a token for {} from {}: {why}",
            key.client_email, key.token_uri
        ))
    };
    // The signed assertion is a credential too: only over https, or to this machine (a
    // local mock of the token endpoint).
    if !token_uri_is_safe(&key.token_uri) {
        return Err(fail(
            "the key's token_uri is not https; perx sends credentials only over https \
             (or to a loopback address)"
                .into(),
        ));
    }
    let jwt = signed_jwt(key, now)?;
    let mut response = agent
        .post(&key.token_uri)
        .send_form([
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", jwt.as_str()),
        ])
        .map_err(|e| fail(e.to_string()))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_string()
        .map_err(|e| fail(e.to_string()))?;
    let json: serde_json::Value =
        serde_json::from_str(&body).map_err(|_| fail(format!("HTTP {status}, not JSON")))?;
    if status != 200 {
        let why = json
            .get("error_description")
            .or_else(|| json.get("error"))
            .map_or_else(|| format!("HTTP {status}"), |v| v.to_string());
        return Err(fail(format!(
            "{why} (check the key is valid and not revoked)"
        )));
    }
    json.get("access_token")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
        .ok_or_else(|| fail("no access_token in the answer".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assertions_go_only_over_https_or_to_this_machine() {
        assert!(token_uri_is_safe("https://oauth2.googleapis.com/token"));
        assert!(token_uri_is_safe("http://127.0.0.1:4000/token"));
        assert!(token_uri_is_safe("http://[::1]:4000/token"));
        assert!(token_uri_is_safe("http://localhost/token"));
        assert!(!token_uri_is_safe("http://oauth2.googleapis.com/token"));
        assert!(!token_uri_is_safe("http://127.0.0.1@evil.example/token"));
        assert!(!token_uri_is_safe("http://127.0.0.1.evil.example/token"));
        assert!(!token_uri_is_safe("ftp://127.0.0.1/token"));
    }

    #[test]
    fn debug_never_shows_a_token() {
        let c = Credentials::Token("secret-token-value".into());
        assert!(!format!("{c:?}").contains("secret"));
    }

    #[test]
    fn a_key_file_that_is_not_a_service_account_is_refused_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.json");
        std::fs::write(
            &p,
            r#"{"type":"authorized_user","client_email":"a","private_key":"","token_uri":"x"}"#,
        )
        .unwrap();
        let e = Credentials::from_key_file(&p).unwrap_err().to_string();
        assert!(
            e.contains("service_account") && e.contains("--access-token"),
            "{e}"
        );
        std::fs::write(&p, "{").unwrap();
        let e = Credentials::from_key_file(&p).unwrap_err().to_string();
        assert!(e.contains("not a service-account key file"), "{e}");
    }
}
