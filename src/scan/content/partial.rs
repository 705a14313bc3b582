//! Evidence from what survives the damage: a document too blurred, glared or covered for any
//! confirmer still shows part of its text — a word that names it (`PASSPORT`, `居民身份证`), a
//! field label (`公民身份号码`, `签发机关`, `有效期限`, `SURNAME`), the start of an 18-character
//! resident identity number (a region code and a birth date), a piece of a machine-readable
//! line — and its shape, a card or page straightened from the photo. Each alone is common
//! enough elsewhere; together they make one confidence, `1 − Π(1 − wᵢ)` over the cues seen.

use std::sync::LazyLock;

use regex::Regex;

use super::cnid;
use super::keywords::{self, Strength};
use crate::scan::finding::Kind;

/// A word naming a kind of document, or one printed on identity documents of several kinds.
const W_KEYWORD: f32 = 0.35;
/// The printed title of a Chinese identity document (`居民身份证`, `台湾居民来往大陆通行证`): a
/// long name nothing else carries, a little more than a word. With the card's shape it
/// decides; alone, in a whole photo, it does not (a sign or a notice can carry it)...
const W_TITLE: f32 = 0.45;
/// ...or such a title read with a few characters wrong (blur turns `湾` into `鸿`).
const W_TITLE_IN_PART: f32 = 0.4;
/// The titles, and the kind each names. The long ones are matched with up to a quarter of
/// their characters misread; `居民身份证` only whole (five characters leave no room).
const TITLES: &[(&str, Kind)] = &[
    ("居民身份证", Kind::IdCard),
    ("港澳居民来往内地通行证", Kind::TravelPermit),
    ("台湾居民来往大陆通行证", Kind::TravelPermit),
    ("往来港澳通行证", Kind::TravelPermit),
    ("往来台湾通行证", Kind::TravelPermit),
    ("港澳居民居住证", Kind::ResidencePermit),
    ("台湾居民居住证", Kind::ResidencePermit),
    ("机动车驾驶证", Kind::DriverLicence),
];
/// Each field label of an identity document, at most two counted.
const W_LABEL: f32 = 0.15;
/// The region code and birth date that open a resident identity number.
const W_ID_START: f32 = 0.4;
/// A whole 18-character run laid out like a resident identity number (province, a birth year
/// 19xx or 20xx, then digits), whose date or check character OCR misread in a blurred photo:
/// a little more than its start, since bank cards (16 or 19 digits in groups) and order
/// numbers (which open with a year, not a province) do not take this shape.
const W_ID_SHAPED: f32 = 0.45;
/// A whole resident identity number, its region and birth date valid, only its check character
/// wrong: one digit misread. As sure alone as a finding from partial evidence gets to be
/// decided on: 18 characters in that shape with a real date are rare outside these cards.
const W_ID_MISREAD: f32 = 0.55;
/// The two-line title of a resident identity card's back, `中华人民共和国` over `居民身份证`,
/// each read as a line of its own (a law's name runs them together in one line).
const W_BACK_TITLE: f32 = 0.5;
/// A validity period, two dates joined by a dash (`2010.10.16-2020.05.13`, `…-长期`): the
/// line under `有效期限` on the back of a Chinese card, and on permits.
const W_VALIDITY: f32 = 0.3;
/// A line of a machine-readable zone, in part.
const W_MRZ_PIECE: f32 = 0.4;
/// Pieces of two different lines of a zone: one of letters (the names) and one mostly of
/// digits (number, dates, check digits), each with its `<` fillers. Nothing but a zone prints
/// `<<` runs on two such lines; a passport whose zone runs off the frame or is blurred past its
/// check digits still shows them.
const W_MRZ_ROWS: f32 = 0.55;
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
/// exists (11–65), then a birth year 1900–2029 (a card holder born; a bank card's digits in
/// the same places read as 2096) and a month, within a longer run of digits.
static ID_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9])(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5])[0-9]{4}(19[0-9]|20[0-2])[0-9](0[1-9]|1[0-2])[0-9Xx]*")
        .expect("valid pattern")
});

/// A run of exactly 18 characters shaped like a resident identity number: a province (11–65,
/// 71, 81, 82), four more digits, a birth year 19xx or 20xx, then ten digits or misread digits
/// (the last may be `X`). The month and day are not checked: they are what blur garbles first
/// (`0` read as `6` or `8`).
static ID_SHAPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9])(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])[0-9]{4}(?:19|20)[0-9]{9}[0-9Xx](?:$|[^0-9])")
        .expect("valid pattern")
});

/// Two dates joined by a dash, or a date and `长期` (without end): a validity period.
static VALIDITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:19|20)[0-9]{2}[.\-/年][0-9]{1,2}[.\-/月][0-9]{1,2}日?[-~—–至]+(?:(?:19|20)[0-9]{2}[.\-/年][0-9]{1,2}[.\-/月][0-9]{1,2}|长期)")
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
    let compact: Vec<String> = texts
        .iter()
        .map(|t| t.chars().filter(|c| !c.is_whitespace()).collect())
        .collect();
    let back_title =
        compact.iter().any(|t| t == "中华人民共和国") && compact.iter().any(|t| t == "居民身份证");
    let title = title(&compact);
    if back_title {
        cues.push((
            W_BACK_TITLE,
            "the title of a resident identity card's back (中华人民共和国 / 居民身份证)".into(),
        ));
    } else if let Some((text, _, whole)) = title {
        cues.push(if whole {
            (W_TITLE, format!("the title {text}"))
        } else {
            (W_TITLE_IN_PART, format!("the title {text}, in part"))
        });
    } else if let Some((_, text, _)) = word {
        cues.push((W_KEYWORD, format!("the word {text}")));
    }
    for label in hits.field_labels.iter().take(2) {
        cues.push((W_LABEL, format!("the field label {label}")));
    }
    let id_start = compact.iter().any(|t| {
        ID_START.find(t).is_some_and(|m| {
            m.as_str()
                .trim_start_matches(|c: char| !c.is_ascii_digit())
                .len()
                >= 12
        })
    });
    let misread = compact.iter().find_map(|t| cnid::find_misread(t));
    let id_shaped = !id_start && compact.iter().any(|t| ID_SHAPED.is_match(t));
    if let Some(id) = &misread {
        cues.push((
            W_ID_MISREAD,
            format!(
                "the resident identity number {} with a valid region and birth date, its check character misread",
                id.masked
            ),
        ));
    } else if id_start {
        cues.push((
            W_ID_START,
            "the start of a resident identity number (region and birth date)".into(),
        ));
    } else if id_shaped {
        cues.push((
            W_ID_SHAPED,
            "an 18-character number laid out like a resident identity number (its date or check character misread)".into(),
        ));
    }
    if compact.iter().any(|t| VALIDITY.is_match(t)) {
        cues.push((W_VALIDITY, "a validity period".into()));
    }
    let pieces: Vec<&String> = compact.iter().filter(|t| mrz_piece(t)).collect();
    let piece = pieces.first().map(|t| t.len());
    let share = |t: &str, f: fn(&char) -> bool| {
        t.chars().filter(f).count() as f32 / t.chars().count().max(1) as f32
    };
    let names = |t: &&String| {
        share(t, char::is_ascii_digit) <= 0.1 && share(t, char::is_ascii_uppercase) >= 0.3
    };
    // The line of digits may show no filler at all (the optional field is filled, or its
    // fillers blurred into digits) when the names' line opens as a zone's first line does.
    let digits = |t: &String| {
        share(t, char::is_ascii_digit) >= 0.4
            && (mrz_piece(t)
                || (pieces.iter().any(|p| names(p) && zone_opening(p)) && digit_row(t)))
    };
    let two_rows = pieces.iter().any(names) && compact.iter().any(digits);
    if two_rows {
        cues.push((W_MRZ_ROWS, "parts of two machine-readable lines".into()));
    } else if piece.is_some() {
        cues.push((W_MRZ_PIECE, "part of a machine-readable line".into()));
    }
    // Shape alone, or labels alone, say nothing: a text cue that points at a document is needed.
    if word.is_none()
        && title.is_none()
        && !id_start
        && !id_shaped
        && misread.is_none()
        && piece.is_none()
    {
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
        _ if let Some((_, kind, _)) = title => kind,
        (Some((kind, _, Strength::Strong)), ..) => kind,
        _ if id_start || id_shaped || misread.is_some() => Kind::IdCard,
        (_, _, Some(len)) if len >= 40 => Kind::Passport,
        _ if pieces.iter().any(|p| p.starts_with('P') && zone_opening(p)) => Kind::Passport,
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

/// The first of [`TITLES`] in one of the lines `compact` (whitespace removed): the title, the
/// kind it names, and whether it was read whole.
fn title(compact: &[String]) -> Option<(&'static str, Kind, bool)> {
    TITLES.iter().find_map(|&(t, kind)| {
        let want: Vec<char> = t.chars().collect();
        let slack = if want.len() >= 6 { want.len() / 4 } else { 0 };
        compact.iter().find_map(|line| {
            let have: Vec<char> = line.chars().collect();
            have.windows(want.len())
                .map(|w| w.iter().zip(&want).filter(|(a, b)| a != b).count())
                .min()
                .filter(|&wrong| wrong <= slack)
                .map(|wrong| (t, kind, wrong == 0))
        })
    })
}

/// A zone's first line opens with a document code (`P`, `I`, `A`, `C`, `V`), a second letter
/// or filler, and the issuing state's three letters (`P<FRA`, `IDCHE`).
fn zone_opening(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 5
        && b"PIACV".contains(&b[0])
        && (b[1].is_ascii_uppercase() || b[1] == b'<')
        && b[2..5].iter().all(u8::is_ascii_uppercase)
}

/// A long row of a zone's characters, nearly all digits: the second line of a passport's zone
/// (number, nationality, dates, check digits) read without its fillers.
fn digit_row(t: &str) -> bool {
    let n = t.chars().count();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    n >= 20
        && t.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<')
        && digits * 10 >= n * 6
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
        // Two lines of a zone run off the frame, read in a whole photo.
        let p = judge(
            &[
                "SDOTTIR<<THURIDUR<OESP<<<<<<<<<<<",
                "3#1106297121212<1239<<<66",
                "A2040013",
            ],
            false,
        )
        .unwrap();
        assert!(p.weight >= 0.5, "{p:?}");
        // A zone's first line and its second read without a filler, in a whole photo; the
        // digits alone, or beside a names' line that does not open like a zone, are not.
        let p = judge(
            &["P<FRAULYSSE<CHRISTOPHE<<<<<<", "08005033806004103180605806"],
            false,
        )
        .unwrap();
        assert!(p.reason.contains("two machine-readable lines"), "{p:?}");
        assert_eq!(p.kind, Kind::Passport);
        assert_eq!(
            judge(
                &["ULYSSE<CHRISTOPHE<<<<<<", "08005033806004103180605806"],
                false
            ),
            None
        );
        assert_eq!(judge(&["08005033806004103180605806"], false), None);
        // One of them alone, or the same line read twice, is not.
        assert_eq!(judge(&["SDOTTIR<<THURIDUR<OESP<<<<<<<<<<<"], false), None);
        assert_eq!(
            judge(
                &[
                    "SDOTTIR<<THURIDUR<OESP<<<<<<<<<<<",
                    "ARSDOTTIR<<THURIDUR<OESP<<<<<<<<<<<<"
                ],
                false
            ),
            None
        );
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

    #[test]
    fn a_blurred_number_and_a_back_seen_in_part_count() {
        // Read off a blurred front: `0` taken for `6` and `8` in the month and day.
        let p = judge(&["88电电区", "376202199416687320"], true).unwrap();
        assert_eq!(p.kind, Kind::IdCard);
        assert!(p.weight >= 0.5, "{p:?}");
        // ...but not from a whole photo with no card in it.
        assert_eq!(judge(&["376202199416687320"], false), None);
        // A blurred back: the card's name and its validity period.
        let p = judge(
            &["中华人民共和国", "居民身份证", "2010.10.16-2020.05.13"],
            true,
        )
        .unwrap();
        assert!(p.weight >= 0.5, "{p:?}");
        // The back's title read line by line, and nothing else: as sure as a partial finding
        // gets; a law's name in one line is not it.
        let p = judge(&["中华人民共和国", "居民身份证", "CASSREA"], false).unwrap();
        assert!(p.weight >= 0.5, "{p:?}");
        assert_eq!(
            judge(&["中华人民共和国居民身份证法", "第一章 总则"], false),
            None
        );
        // A whole number with a real birth date whose check character alone is wrong.
        let p = judge(&["上海##E", "310104196909194194"], false).unwrap();
        assert!(p.weight >= 0.5 && p.reason.contains("misread"), "{p:?}");
        // A permit's title, two characters misread, on a straightened card; whole, the same.
        let p = judge(&["台鸿居民泉往大陆通行证", "42927124"], true).unwrap();
        assert_eq!(p.kind, Kind::TravelPermit);
        assert!(p.weight >= 0.5 && p.reason.contains("in part"), "{p:?}");
        let p = judge(&["居民身份证", "MONXYA小"], true).unwrap();
        assert!(p.weight >= 0.5, "{p:?}");
        // Alone in a whole photo, or with three of its characters wrong, a title is not enough.
        assert_eq!(judge(&["台湾居民来往大陆通行证"], false), None);
        assert_eq!(judge(&["台鸿居民泉往大陆通证证"], true), None);
        // A validity period alone names nothing; 19-digit bank card numbers and order
        // numbers (opening with a year) are not identity numbers.
        assert_eq!(judge(&["2010.10.16-2020.05.13"], true), None);
        assert_eq!(judge(&["6222 0212 3456 7890 123"], true), None);
        // A 16-digit bank card number read as one run: region 627345, a "birth" in 2096.
        assert_eq!(judge(&["信用卡CREDIT", "62734520 96041702"], true), None);
        assert_eq!(judge(&["订单号 202403121422098765"], true), None);
    }
}
