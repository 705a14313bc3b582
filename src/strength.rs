//! How hard a new vault passphrase is to guess, estimated with `zxcvbn` (Dropbox's estimator,
//! ported to Rust and kept up): dictionary words, names, keyboard runs, dates, repeats and
//! substitutions are what it scores against. A leaf: the command line's prompt (`ui`), the
//! review page (`review`) and `vault init` all ask it, so one rule decides everywhere.

use secrecy::{ExposeSecret, SecretString};

/// The lowest acceptable `zxcvbn` score: 3 means "more than 10^10 guesses"
/// (below that, an offline attacker with the vault's `identity.age` finds it in days even at
/// scrypt's cost).
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Why a passphrase is too weak, in the estimator's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Weak {
    /// The estimator's score, 0 to 4.
    pub score: u8,
    /// Its warning (e.g. "This is a top-10 common password"), if it gave one.
    pub warning: Option<String>,
    /// Its suggestions (e.g. "Add another word or two").
    pub suggestions: Vec<String>,
}

impl std::fmt::Display for Weak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "it scores {} of 4", self.score)?;
        if let Some(w) = &self.warning {
            write!(f, " ({})", w.trim_end_matches('.'))?;
        }
        for s in &self.suggestions {
            write!(f, "; {}", s.trim_end_matches('.'))?;
        }
        Ok(())
    }
}

/// `Err` with the reason when `passphrase` is too easy to guess for a new vault.
pub fn check(passphrase: &SecretString) -> Result<(), Weak> {
    let entropy = zxcvbn::zxcvbn(passphrase.expose_secret(), &["idvault", "vault"]);
    if entropy.score() >= MIN_SCORE {
        return Ok(());
    }
    let feedback = entropy.feedback();
    Err(Weak {
        score: entropy.score().into(),
        warning: feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    })
}

/// A strong passphrase from the OS random number generator: six groups of five letters and
/// digits (an alphabet of 32 without 0/o and 1/l), 150 bits, easy to read out and type.
#[cfg(feature = "cli")]
pub fn generate() -> SecretString {
    const ALPHABET: &[u8; 32] = b"23456789abcdefghijkmnpqrstuvwxyz";
    let mut bytes = zeroize::Zeroizing::new([0u8; 30]);
    getrandom::fill(&mut bytes[..]).expect("the OS random number generator failed");
    let mut out = String::with_capacity(35);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[usize::from(b & 31)]));
    }
    SecretString::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_common_passphrases_are_weak_with_a_reason() {
        for weak in ["a", "password", "qwerty123", "idvault2026"] {
            let err = check(&SecretString::from(weak.to_string())).unwrap_err();
            assert!(err.score < 3, "{weak}");
            assert!(!err.to_string().is_empty());
        }
        let strong = SecretString::from("maple gravel tundra whistle cobalt".to_string());
        assert_eq!(check(&strong), Ok(()));
    }

    #[test]
    fn generated_passphrases_are_strong_and_differ() {
        let a = generate();
        let b = generate();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(a.expose_secret().len(), 35);
        assert_eq!(check(&a), Ok(()));
    }
}
