//! Evidence from what survives the damage: a document too blurred, glared or covered for any
//! confirmer still shows part of its text — a word that names it (`PASSPORT`, `居民身份证`), a
//! field label (`公民身份号码`, `签发机关`, `有效期限`, `SURNAME`), the start of an 18-character
//! resident identity number (a region code and a birth date), a piece of a machine-readable
//! line — and its shape, a card or page straightened from the photo. Each alone is common
//! enough elsewhere; together they make one confidence, `1 − Π(1 − wᵢ)` over the cues seen.

use std::sync::LazyLock;

use regex::Regex;

use super::keywords::{self, Strength};
use crate::scan::finding::Kind;

/// A word naming a kind of document, or one printed on identity documents of several kinds.
const W_KEYWORD: f32 = 0.35;
/// Each field label of an identity document, at most two counted.
const W_LABEL: f32 = 0.15;
/// The region code and birth date that open a resident identity number.
const W_ID_START: f32 = 0.4;
/// A line of a machine-readable zone, in part.
const W_MRZ_PIECE: f32 = 0.4;
/// The text was read on a card- or page-shaped quadrilateral straightened from the photo.
const W_SHAPE: f32 = 0.2;
/// A finding from partial evidence is at most this confident: nothing was confirmed.
const MAX_WEIGHT: f32 = 0.68;
/// And needs at least this much.
const MIN_WEIGHT: f32 = 0.5;

/// A document seen in part.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Partial {
    pub kind: Kind,
    pub weight: f32,
    /// What was seen, for people.
    pub reason: String,
}

/// The start of an 18-character resident identity number: a region code whose province part
/// exists (11–65), then a birth year 19xx or 20xx and a month, within a longer run of digits.
static ID_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9])(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5])[0-9]{4}(19|20)[0-9]{2}(0[1-9]|1[0-2])[0-9Xx]*")
        .expect("valid pattern")
});

/// Judges the `texts` read from a part of a photo (`shaped`: a document-shaped quadrilateral
/// straightened from it) for a document seen in part.
pub(crate) fn judge(texts: &[&str], shaped: bool) -> Option<Partial> {
    let joined = texts.join("\n");
    let hits = keywords::scan(&joined);
    let mut cues: Vec<(f32, String)> = Vec::new();
    let word = hits
        .documents
        .iter()
        .find(|d| d.2 != Strength::Weak)
        .map(|&(kind, text, strength)| (kind, text, strength));
    if let Some((_, text, _)) = word {
        cues.push((W_KEYWORD, format!("the word {text}")));
    }
    for label in hits.field_labels.iter().take(2) {
        cues.push((W_LABEL, format!("the field label {label}")));
    }
    let compact: Vec<String> = texts
        .iter()
        .map(|t| t.chars().filter(|c| !c.is_whitespace()).collect())
        .collect();
    let id_start = compact.iter().any(|t| {
        ID_START.find(t).is_some_and(|m| {
            m.as_str()
                .trim_start_matches(|c: char| !c.is_ascii_digit())
                .len()
                >= 12
        })
    });
    if id_start {
        cues.push((
            W_ID_START,
            "the start of a resident identity number (region and birth date)".into(),
        ));
    }
    let piece = compact.iter().find(|t| mrz_piece(t)).map(String::len);
    if piece.is_some() {
        cues.push((W_MRZ_PIECE, "part of a machine-readable line".into()));
    }
    // Shape alone, or labels alone, say nothing: a text cue that points at a document is needed.
    if word.is_none() && !id_start && piece.is_none() {
        return None;
    }
    if shaped {
        cues.push((
            W_SHAPE,
            "on a card or page straightened from the photo".into(),
        ));
    }
    let weight = 1.0 - cues.iter().map(|(w, _)| 1.0 - w).product::<f32>();
    if weight < MIN_WEIGHT {
        return None;
    }
    let kind = match (word, id_start, piece) {
        (Some((kind, _, Strength::Strong)), ..) => kind,
        (_, true, _) => Kind::IdCard,
        (_, _, Some(len)) if len >= 40 => Kind::Passport,
        _ => Kind::IdCard,
    };
    let seen: Vec<String> = cues.into_iter().map(|(_, s)| s).collect();
    Some(Partial {
        kind,
        weight: weight.min(MAX_WEIGHT),
        reason: format!(
            "part of an identity document legible: {} (the rest blurred, glared or covered)",
            seen.join(", ")
        ),
    })
}

/// A piece of a machine-readable line: at least 12 characters, nearly all `A–Z`, `0–9` and
/// `<`, with a run of `<<` fillers and at least three of them.
fn mrz_piece(t: &str) -> bool {
    let n = t.chars().count();
    let ok = t
        .chars()
        .filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '<')
        .count();
    n >= 12 && ok * 10 >= n * 9 && t.contains("<<") && t.matches('<').count() >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_of_a_document_add_up_and_ordinary_text_does_not() {
        // The number half glared away, its label legible, on a straightened card.
        let p = judge(&["公民身份号码", "1101051990031"], true).unwrap();
        assert_eq!(p.kind, Kind::IdCard);
        assert!((0.5..=MAX_WEIGHT).contains(&p.weight), "{p:?}");
        // Part of a passport's zone on a page.
        let p = judge(&["P<UTOERIKSSON<<ANNA", "L898902C"], true).unwrap();
        assert!(p.weight >= 0.5, "{p:?}");
        // One word alone, or a card's shape alone, is not enough.
        assert_eq!(judge(&["PASSPORT"], false), None);
        assert_eq!(judge(&["ACME Corp", "Alex Morgan"], true), None);
        // A bank card's number and a receipt's dates do not open an identity number.
        assert_eq!(
            judge(&["4000 1234 5678 9010", "VALID THRU 12/28"], true),
            None
        );
        assert_eq!(judge(&["2024-03-12 14:22", "TOTAL 12.50"], true), None);
    }
}
