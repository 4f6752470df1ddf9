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

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

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
