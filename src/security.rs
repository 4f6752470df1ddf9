//! Passwords and tokens: the only code that touches secrets.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Stored for accounts that have no password yet (they set one through an e-mailed link).
/// It is not a PHC string, so no password ever verifies against it.
pub const NO_PASSWORD: &str = "!";

fn argon2(fast: bool) -> Argon2<'static> {
    let params = if fast { Params::new(256, 1, 1, None).expect("valid argon2 parameters") } else { Params::default() };
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str, fast: bool) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2(fast).hash_password(password.as_bytes(), &salt).expect("argon2 hashes any password of bounded length").to_string()
}

/// Verifies in constant work whether or not the account exists: pass `None` for an unknown
/// account and a dummy hash is checked so the response time does not tell.
pub fn verify_password(password: &str, stored: Option<&str>, fast: bool) -> bool {
    static DUMMY: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| (hash_password("dummy-password", true), hash_password("dummy-password", false)));
    let (hash, known) = match stored {
        Some(hash) if hash != NO_PASSWORD => (hash, true),
        _ => (if fast { dummy.0.as_str() } else { dummy.1.as_str() }, false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let ok = argon2(fast).verify_password(password.as_bytes(), &parsed).is_ok();
    ok && known
}

/// A fresh random token for a cookie or a link (256 bits, hex).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a token: a leaked table cannot be replayed as cookies.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token bound to a session (or to an anonymous visitor's cookie).
pub fn csrf_token(secret: &[u8], purpose: &str, bound_to: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.update(b":");
    mac.update(bound_to.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The key that seals stored secrets, derived from the service's key for this purpose only.
fn sealing_key(secret: &[u8]) -> chacha20poly1305::Key {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"tvistetrappa sealed secrets v1");
    mac.finalize().into_bytes()
}

/// A secret (an identity provider's client secret) sealed with the service's key for the
/// database: a random nonce and the ciphertext with its tag, in hex. Reading the table
/// without the key tells nothing; changing a sealed value is detected when it is opened.
pub fn seal(secret: &[u8], plain: &str) -> String {
    use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng as AeadRng};
    let cipher = chacha20poly1305::XChaCha20Poly1305::new(&sealing_key(secret));
    let nonce = chacha20poly1305::XChaCha20Poly1305::generate_nonce(&mut AeadRng);
    let sealed = cipher.encrypt(&nonce, plain.as_bytes()).expect("encrypting into memory cannot fail");
    format!("{}{}", hex::encode(nonce), hex::encode(sealed))
}

/// The secret `seal` sealed, or `None` if it was sealed with another key or changed.
pub fn open(secret: &[u8], sealed: &str) -> Option<String> {
    use chacha20poly1305::aead::{Aead, KeyInit};
    let bytes = hex::decode(sealed).ok()?;
    if bytes.len() < 24 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(24);
    let cipher = chacha20poly1305::XChaCha20Poly1305::new(&sealing_key(secret));
    String::from_utf8(cipher.decrypt(chacha20poly1305::XNonce::from_slice(nonce), ciphertext).ok()?).ok()
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The name authenticator apps show beside the account.
const TOTP_ISSUER: &str = "Tvistetrappa";

/// A new TOTP secret: 160 random bits in base32, the form authenticator apps take.
pub fn new_totp_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    totp_rs::Secret::from(bytes).to_base32()
}

/// RFC 6238 with the parameters every authenticator app uses: SHA-1, 6 digits, 30 s steps,
/// one step of clock drift either way.
fn totp(secret: &str, account: &str) -> Option<totp_rs::Totp> {
    let secret = totp_rs::Secret::try_from_base32(secret).ok()?;
    totp_rs::Builder::new().with_secret(secret).with_issuer(Some(TOTP_ISSUER)).with_account_name(account).build().ok()
}

/// The time step of `code` if it is right at `unix_time` and newer than the last accepted
/// step: a code is good once (RFC 6238 §5.2).
pub fn totp_step(secret: &str, code: &str, unix_time: u64, last_step: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 {
        return None;
    }
    let step = i64::try_from(totp(secret, "")?.check(&code, unix_time)?).ok()?;
    last_step.is_none_or(|last| step > last).then_some(step)
}

/// The code for `unix_time` (what the user's app shows; for tests and the demo).
pub fn totp_code(secret: &str, unix_time: u64) -> Option<String> {
    Some(totp(secret, "")?.generate(unix_time).to_string())
}

/// The enrolment QR code (an `otpauth://` URL) as an SVG drawn on the server.
pub fn totp_qr_svg(secret: &str, account: &str) -> Option<String> {
    let url = totp(secret, account)?.to_url().ok()?;
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(220, 220).quiet_zone(true).build();
    // Inline in an HTML page an XML declaration is an error; the <svg> element is all it needs.
    Some(svg.find("<svg").map_or(svg.clone(), |start| svg[start..].to_owned()))
}

/// Recovery codes shown once at enrolment; each works once instead of a TOTP code.
pub const RECOVERY_CODES: usize = 10;

/// Fresh recovery codes, `xxxx-xxxx-xxxx` of lower-case letters and digits without the
/// look-alikes (0/o, 1/l/i).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: Vec<char> = (0..12).map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char).collect();
            chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
        })
        .collect()
}

/// How a typed recovery code is compared and stored: spaces and dashes dropped, lower case.
pub fn recovery_code_hash(typed: &str) -> String {
    let canonical: String = typed.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    token_hash(&canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_rfc_6238_and_a_code_is_good_once() {
        // RFC 6238 appendix B, SHA-1: the secret "12345678901234567890", T = 59 s → 94287082
        // (8 digits); its last 6 digits are the 6-digit code.
        let secret = totp_rs::Secret::from(*b"12345678901234567890").to_base32();
        assert_eq!(totp_code(&secret, 59).as_deref(), Some("287082"));
        let step = totp_step(&secret, "287 082", 59, None).expect("right code");
        assert_eq!(step, 1);
        assert_eq!(totp_step(&secret, "287082", 59, Some(step)), None, "replayed");
        assert_eq!(totp_step(&secret, "287082", 59 + 30, None), Some(1), "one step of drift");
        assert_eq!(totp_step(&secret, "287082", 59 + 120, None), None, "too old");
        assert_eq!(totp_step(&secret, "000000", 59, None), None);
        assert_eq!(totp_step(&secret, "28708", 59, None), None);
        assert_eq!(totp_step("not base32!", "287082", 59, None), None);
    }

    #[test]
    fn enrolment_gives_a_scannable_svg_and_distinct_recovery_codes() {
        let secret = new_totp_secret();
        assert_eq!(secret.len(), 32);
        let svg = totp_qr_svg(&secret, "anna.berg@botkyrka.example").unwrap();
        assert!(svg.contains("<svg"));
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes.iter().all(|c| c.len() == 14 && c.matches('-').count() == 2));
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(recovery_code_hash(&codes[0].to_uppercase().replace('-', " ")), recovery_code_hash(&codes[0]));
    }

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("rätt lösenord 123", true);
        assert!(verify_password("rätt lösenord 123", Some(&hash), true));
        assert!(!verify_password("fel lösenord 123", Some(&hash), true));
        assert!(!verify_password("rätt lösenord 123", None, true));
        assert!(!verify_password("", Some(NO_PASSWORD), true));
        assert!(!verify_password("x", Some("not a hash"), true));
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_unchanged() {
        let sealed = seal(b"the service key", "klienthemlighet");
        assert!(!sealed.contains("klienthemlighet"));
        assert_ne!(sealed, seal(b"the service key", "klienthemlighet"), "a fresh nonce each time");
        assert_eq!(open(b"the service key", &sealed).as_deref(), Some("klienthemlighet"));
        assert_eq!(open(b"another key", &sealed), None);
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(open(b"the service key", &String::from_utf8(tampered).unwrap()), None);
        assert_eq!(open(b"the service key", "zz"), None);
    }

    #[test]
    fn tokens_are_random_and_hashes_are_stable() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn csrf_tokens_depend_on_key_purpose_and_binding() {
        let t = csrf_token(b"key-one", "session", "abc");
        assert_eq!(t, csrf_token(b"key-one", "session", "abc"));
        assert_ne!(t, csrf_token(b"key-two", "session", "abc"));
        assert_ne!(t, csrf_token(b"key-one", "anon", "abc"));
        assert_ne!(t, csrf_token(b"key-one", "session", "abd"));
        assert!(constant_time_eq(&t, &t.clone()));
        assert!(!constant_time_eq(&t, "x"));
    }
}
