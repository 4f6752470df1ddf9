//! OpenID Connect sign-in: the authorization-code flow with PKCE, state and nonce, through the
//! `openidconnect` crate. Each provider's discovery document and signing keys are cached for
//! an hour (and after any change to the provider), and fetched again at once when a token's
//! signature does not verify, so a provider that rotated its key locks nobody out.
//! Who may sign in is decided in `domain::sso`; this module only speaks the protocol.

use crate::store::identity_providers::Provider;
use chrono::NaiveDateTime;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    reqwest, AdditionalClaims, AuthenticationFlow, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope, StandardErrorResponse, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a provider's discovery document and keys are trusted before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// Claims beyond the standard ones: Entra ID's tenant and object id, and whatever claim a
/// provider names the organisation in.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ExtraClaims {
    tid: Option<String>,
    oid: Option<String>,
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for ExtraClaims {}

type TokenResponse = StandardTokenResponse<
    IdTokenFields<ExtraClaims, EmptyExtraTokenFields, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>,
    CoreTokenType,
>;

type OidcClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

type IdToken = openidconnect::IdToken<ExtraClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The provider cannot be reached or answers with something that is not OpenID Connect.
    #[error("the provider does not answer: {0}")]
    Unreachable(String),
    /// The provider refused the code (used before, expired, or not ours).
    #[error("the provider refused the code: {0}")]
    CodeRefused(String),
    /// The ID token fails a check: signature, issuer, audience, expiry or nonce.
    #[error("the ID token is not acceptable: {0}")]
    BadToken(String),
    /// The stored client secret does not open with this service's key.
    #[error("the client secret cannot be opened with this service's key")]
    Secret,
}

/// What a verified ID token says about the person.
#[derive(Debug, Clone)]
pub struct Verified {
    /// What identifies them at the issuer for good (`domain::sso::subject`).
    pub subject: String,
    /// Their e-mail address, unless the provider says it is unverified.
    pub email: Option<String>,
    pub name: Option<String>,
    /// The value of the provider's organisation claim, if it has one.
    pub organisation_claim: Option<String>,
    /// The token itself, kept as the hint for logging out at the provider.
    pub id_token: String,
}

/// A sign-in on its way to the provider: where to send the browser, and what to remember.
pub struct Authorization {
    pub url: url::Url,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

struct Cached {
    /// The provider's `updated_at` when fetched: a saved change makes the entry stale.
    version: NaiveDateTime,
    fetched: Instant,
    metadata: ProviderMetadataWithLogout,
}

/// The providers' metadata as this app server last fetched it, and the HTTP client that
/// talks to them.
pub struct Directory {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Cached>>,
}

impl Directory {
    pub fn new() -> Directory {
        let http = reqwest::Client::builder()
            // A provider's answer is never followed elsewhere (no redirect can steer the
            // service's requests to another host).
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            // Sign-ins are far apart, so a kept-alive connection is mostly one the provider has
            // already closed, and a token request sent on it fails and is not repeated (it is
            // a POST). A fresh connection per request costs little at this rate.
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(15))
            .build()
            .expect("the TLS backend initialises");
        Directory { http, cache: Mutex::new(HashMap::new()) }
    }

    /// The provider's metadata: cached, or fetched when missing, older than an hour, older
    /// than the provider's last change, or when `fresh` is asked for.
    async fn metadata(&self, provider: &Provider, fresh: bool) -> Result<ProviderMetadataWithLogout, SsoError> {
        if !fresh {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(cached) = cache.get(&provider.id).filter(|c| c.version == provider.updated_at && c.fetched.elapsed() < METADATA_TTL) {
                return Ok(cached.metadata.clone());
            }
        }
        let metadata = self.discover(&provider.issuer).await?;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(provider.id.clone(), Cached { version: provider.updated_at, fetched: Instant::now(), metadata: metadata.clone() });
        Ok(metadata)
    }

    /// The discovery document and keys of `issuer`, which must name exactly that issuer.
    async fn discover(&self, issuer: &str) -> Result<ProviderMetadataWithLogout, SsoError> {
        let issuer = IssuerUrl::new(issuer.to_owned()).map_err(|e| SsoError::Unreachable(e.to_string()))?;
        ProviderMetadataWithLogout::discover_async(issuer, &self.http).await.map_err(|e| SsoError::Unreachable(chain(&e)))
    }

    /// Checks that a provider answers at `issuer` with metadata for exactly that issuer (when
    /// an administrator saves it).
    pub async fn check(&self, issuer: &str) -> Result<(), SsoError> {
        self.discover(issuer).await.map(|_| ())
    }

    fn client(metadata: ProviderMetadataWithLogout, provider: &Provider, secret: Option<String>, redirect: &str) -> Result<OidcClient, SsoError> {
        let redirect = RedirectUrl::new(redirect.to_owned()).map_err(|e| SsoError::Unreachable(e.to_string()))?;
        Ok(OidcClient::from_provider_metadata(metadata, ClientId::new(provider.client_id.clone()), secret.map(ClientSecret::new))
            .set_redirect_uri(redirect))
    }

    /// Where to send the browser to sign in, with a fresh state, nonce and PKCE verifier.
    pub async fn authorize(&self, provider: &Provider, redirect: &str) -> Result<Authorization, SsoError> {
        let client = Self::client(self.metadata(provider, false).await?, provider, None, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(AuthenticationFlow::<CoreResponseType>::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            // The answer comes back as a top-level GET, which keeps the browser's
            // SameSite=Lax cookie (a cross-site form post would lose it).
            .add_extra_param("response_mode", "query")
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization { url, state: state.secret().clone(), nonce: nonce.secret().clone(), pkce_verifier: verifier.secret().clone() })
    }

    /// Exchanges the code (with the PKCE verifier and the client secret) and verifies the ID
    /// token: signature, issuer, audience, expiry and nonce. A signature that does not verify
    /// is tried once more against keys fetched anew.
    pub async fn finish(
        &self,
        provider: &Provider,
        client_secret: String,
        redirect: &str,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<Verified, SsoError> {
        let client = Self::client(self.metadata(provider, false).await?, provider, Some(client_secret.clone()), redirect)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| SsoError::Unreachable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(refusal) => SsoError::CodeRefused(refusal.to_string()),
                other => SsoError::Unreachable(chain(&other)),
            })?;
        let token = response.extra_fields().id_token().ok_or_else(|| SsoError::BadToken("no ID token in the answer".into()))?.clone();
        let nonce = Nonce::new(nonce.to_owned());
        let claim = provider.organisations.claim();
        match verified(&client, &token, &nonce, claim) {
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
                log::info!("identity provider {}: signature not verified with cached keys; fetching its keys again", provider.name);
                let client = Self::client(self.metadata(provider, true).await?, provider, Some(client_secret), redirect)?;
                verified(&client, &token, &nonce, claim).map_err(|e| SsoError::BadToken(e.to_string()))
            }
            other => other.map_err(|e| SsoError::BadToken(e.to_string())),
        }
    }

    /// Where to send the browser to end its session at the provider too, if the provider
    /// offers RP-initiated logout.
    pub async fn logout_url(&self, provider: &Provider, id_token: &str, after: &str) -> Option<url::Url> {
        let metadata = self.metadata(provider, false).await.ok()?;
        let endpoint = metadata.additional_metadata().end_session_endpoint.clone()?;
        let mut request = LogoutRequest::from(endpoint).set_client_id(ClientId::new(provider.client_id.clone()));
        if let Ok(token) = id_token.parse::<IdToken>() {
            request = request.set_id_token_hint(&token);
        }
        if let Ok(after) = PostLogoutRedirectUrl::new(after.to_owned()) {
            request = request.set_post_logout_redirect_uri(after);
        }
        Some(request.http_get_url())
    }
}

impl Default for Directory {
    fn default() -> Self {
        Directory::new()
    }
}

fn verified(
    client: &OidcClient,
    token: &IdToken,
    nonce: &Nonce,
    organisation_claim: Option<&str>,
) -> Result<Verified, openidconnect::ClaimsVerificationError> {
    let claims = token.claims(&client.id_token_verifier(), nonce)?;
    let extra = claims.additional_claims();
    Ok(Verified {
        subject: crate::domain::sso::subject(claims.subject().as_str(), extra.tid.as_deref(), extra.oid.as_deref()),
        email: claims.email().filter(|_| claims.email_verified() != Some(false)).map(|e| e.as_str().trim().to_lowercase()),
        name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned()),
        organisation_claim: organisation_claim.and_then(|name| claim_text(extra.other.get(name)?)),
        id_token: token.to_string(),
    })
}

/// A claim's value as text: a string, a number, or the first string of a list.
fn claim_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::Array(items) => items.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// An error with its causes, for the log.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
