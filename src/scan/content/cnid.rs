//! Chinese resident identity numbers (GB 11643-1999) in OCR'd text: 18 characters — a 6-digit
//! region code, the birth date YYYYMMDD, a 3-digit sequence and a MOD 11-2 check character —
//! and the older 15-digit numbers (region, YYMMDD, sequence, no check character).
//!
//! Only numbers that stand alone in the text are considered (the digits before and after are
//! separated from them), so a long run of digits does not offer thousands of windows to chance.
//! Hand-written: the check is a few lines, and no crate reads these numbers from noisy text
//! without keeping them.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use unicode_normalization::UnicodeNormalization;

use super::mask::mask;

/// A resident identity number found in text. It holds no personal data beyond the province
/// and the birth year: the number itself is masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CnId {
    /// The number as [`mask`] shows it.
    pub masked: String,
    /// The 2-digit province-level code the region code starts with, e.g. `11` for Beijing.
    pub region: String,
    pub birth_year: u16,
    /// The MOD 11-2 check character validated; always false for a 15-digit number, which has
    /// none.
    pub check_ok: bool,
    /// A 15-digit number from before 1999: recognised by region and date only, so a caller
    /// should trust it less.
    pub legacy: bool,
}

/// Finds the first resident identity number in `text`: an 18-character number whose region,
/// birth date (1900 to today) and check character are valid, or else a 15-digit number whose
/// region and date are valid.
///
/// OCR noise is tolerated: spaces inside the number, full-width digits (NFKC), `O` for `0`,
/// `I`, `l` for `1`, `S` for `5`, `B` for `8` (at most two such letters) and a lowercase or
/// `×` check character `x`.
pub fn find(text: &str) -> Option<CnId> {
    find_before(text, today())
}

/// An 18-character number whose region and birth date are valid but whose check character is
/// not: a number OCR misread in one digit (blur, glare), or no identity number at all. Never a
/// confirmation on its own; [`super::partial`] weighs it as a clue.
pub fn find_misread(text: &str) -> Option<CnId> {
    let today = today();
    runs(text).into_iter().find_map(|run| {
        windows(&run, 18, false)
            .find_map(|number| full(&number, today, false).filter(|id| !id.check_ok))
    })
}

/// The windows of `len` characters of a run that stand alone (token boundaries on both sides),
/// with at most [`MAX_LETTERS`] letters read as digits, in order. A `solid` window is one token
/// of digits as printed (no space or letter inside).
fn windows(run: &[Cell], len: usize, solid: bool) -> impl Iterator<Item = String> + '_ {
    (0..run.len()).filter_map(move |start| {
        let end = start + len;
        let ends_token = end == run.len() || run.get(end).is_some_and(|c| c.token_start);
        let window = run.get(start..end)?;
        let letters = window.iter().filter(|c| c.letter).count();
        let split = window[1..].iter().any(|c| c.token_start);
        (run[start].token_start
            && ends_token
            && letters <= if solid { 0 } else { MAX_LETTERS }
            && !(solid && split))
            .then(|| window.iter().map(|c| c.ch).collect())
    })
}

/// The GB 11643-1999 check character of the first 17 digits of a number: `0`–`9` or `X`.
/// `None` unless `first17` is exactly 17 ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const MAP: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(MAP[(sum % 11) as usize])
}

/// A calendar date, compared field by field.
type Date = (u16, u8, u8);

/// Letters OCR reads for digits that may stand inside a number, at most this many per number.
const MAX_LETTERS: usize = 2;

fn find_before(text: &str, today: Date) -> Option<CnId> {
    let runs = runs(text);
    runs.iter()
        .find_map(|run| windows(run, 18, false).find_map(|n| full(&n, today, true)))
        .or_else(|| {
            // With no check character, only a number printed as one run of digits counts: a
            // bank card's groups or a misread letter give chance too many ways in.
            runs.iter()
                .find_map(|run| windows(run, 15, true).find_map(|n| short(&n)))
        })
}

/// One character of a run of number-like text.
#[derive(Clone, Copy, Debug)]
struct Cell {
    /// `0`–`9` or `X`.
    ch: char,
    /// Whitespace (or the run's start) comes before it.
    token_start: bool,
    /// A letter read as a digit.
    letter: bool,
}

/// Splits `text` into runs of digits (and digit-like letters), spaces kept only as token
/// boundaries.
fn runs(text: &str) -> Vec<Vec<Cell>> {
    let mut runs = Vec::new();
    let mut run: Vec<Cell> = Vec::new();
    let mut space = true;
    // ASCII needs no normalisation; most OCR text is ASCII.
    let text: Cow<str> = if text.is_ascii() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfkc().collect())
    };
    for c in text.chars() {
        let (ch, letter) = match c {
            '0'..='9' => (c, false),
            'X' | 'x' | '×' => ('X', false),
            'O' | 'o' => ('0', true),
            'I' | 'l' => ('1', true),
            // A soft `5` or `8` read as a letter (blur rounds their corners).
            'S' | 's' => ('5', true),
            'B' => ('8', true),
            ' ' | '\t' => {
                space = true;
                continue;
            }
            _ => {
                if !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
                space = true;
                continue;
            }
        };
        run.push(Cell {
            ch,
            token_start: space || run.is_empty(),
            letter,
        });
        space = false;
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// An 18-character number, if region, date and (where `check` is set) check character are
/// valid.
fn full(number: &str, today: Date, check: bool) -> Option<CnId> {
    let digits = &number[..17];
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !province(&number[..2]) {
        return None;
    }
    let date = parse_date(&number[6..14])?;
    if date.0 < 1900 || date > today {
        return None;
    }
    let last = number.chars().nth(17)?;
    let check_ok = check_char(digits) == Some(last);
    if check && !check_ok {
        return None;
    }
    Some(CnId {
        masked: mask(number),
        region: number[..2].to_string(),
        birth_year: date.0,
        check_ok,
        legacy: false,
    })
}

/// A 15-digit number (born 1900–1999), if region and date are valid.
fn short(number: &str) -> Option<CnId> {
    if !number.bytes().all(|b| b.is_ascii_digit()) || !province(&number[..2]) {
        return None;
    }
    let date = parse_date(&format!("19{}", &number[6..12]))?;
    Some(CnId {
        masked: mask(number),
        region: number[..2].to_string(),
        birth_year: date.0,
        check_ok: false,
        legacy: true,
    })
}

/// The province-level codes of GB/T 2260 (plus 71 Taiwan, 81 Hong Kong, 82 Macao, 83 the
/// residence permits of Taiwan residents, 91 overseas).
fn province(code: &str) -> bool {
    matches!(
        code.parse::<u8>(),
        Ok(11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83 | 91)
    )
}

/// YYYYMMDD, if it is a real calendar date.
fn parse_date(s: &str) -> Option<Date> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: u16 = s[..4].parse().ok()?;
    let month: u8 = s[4..6].parse().ok()?;
    let day: u8 = s[6..].parse().ok()?;
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&day).then_some((year, month, day))
}

/// Today's date (UTC) from the system clock.
fn today() -> Date {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_from_days((secs / 86_400) as i64)
}

/// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year.clamp(0, i64::from(u16::MAX)) as u16, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Date = (2026, 11, 26);

    /// A number with a valid check character from its first 17 digits.
    fn valid(first17: &str) -> String {
        format!("{first17}{}", check_char(first17).unwrap())
    }

    #[test]
    fn check_character_by_hand() {
        // 11010519491231002: 1*7+1*9+0+1*5+0+5*4+1*2+9*1+4*6+9*3+1*7+2*9+3*10+1*5+0+0+2*2 = 167,
        // 167 mod 11 = 2 -> 'X'.
        assert_eq!(check_char("11010519491231002"), Some('X'));
        // 44030019900307123: 28+36+15+2+9+54+27+35+8+8+6 = 228, 228 mod 11 = 8 -> '4'.
        assert_eq!(check_char("44030019900307123"), Some('4'));
        assert_eq!(check_char("4403001990030712"), None);
        assert_eq!(check_char("4403001990030712a"), None);
    }

    #[test]
    fn finds_valid_numbers() {
        let n = valid("11010519491231002");
        let id = find_before(&format!("公民身份号码 {n}"), TODAY).unwrap();
        assert_eq!(id.masked, "**************002X");
        assert_eq!(id.region, "11");
        assert_eq!(id.birth_year, 1949);
        assert!(id.check_ok);
        assert!(!id.legacy);
        // The public entry point uses the real clock.
        assert_eq!(find(&n), Some(id));
        let n = valid("44030019900307123");
        assert_eq!(find_before(&n, TODAY).unwrap().region, "44");
    }

    #[test]
    fn tolerates_ocr_noise() {
        let n = valid("11010519491231002"); // ends in X
        let spaced = format!("{} {} {} {}", &n[..6], &n[6..10], &n[10..14], &n[14..]);
        assert!(find_before(&spaced, TODAY).is_some());
        let lower = n.replace('X', "x");
        assert!(find_before(&format!("号码{lower}。"), TODAY).is_some());
        let full_width: String = n
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect();
        assert!(find_before(&full_width, TODAY).is_some());
        let n = valid("44030019900307123");
        let with_o = n.replacen('0', "O", 2);
        assert!(find_before(&with_o, TODAY).is_some());
        // A blurred `5` read as `S`, an `8` as `B`.
        let n = valid("51010419941117797");
        assert!(find_before(&format!("S{}", &n[1..]), TODAY).is_some());
        let n = valid("31010819880101001");
        assert!(find_before(&n.replacen('8', "B", 1), TODAY).is_some());
        // Three letters are too many.
        let with_o = n.replacen('0', "O", 3);
        assert_eq!(find_before(&with_o, TODAY), None);
    }

    #[test]
    fn rejects_invalid_numbers() {
        let n = valid("44030019900307123");
        let bad_check = format!("{}{}", &n[..17], if n.ends_with('9') { '8' } else { '9' });
        let bad_region = valid("99030019900307123");
        let bad_date = valid("44030019900230123");
        let before_1900 = valid("44030018991231123");
        let future = valid("44030020301231123");
        for text in [&bad_check, &bad_region, &bad_date, &before_1900, &future] {
            assert_eq!(find_before(text, TODAY), None, "{text}");
        }
        // Only the one whose check character alone is wrong is a misread number.
        assert!(find_misread(&bad_check).is_some_and(|id| !id.check_ok));
        for text in [&n, &bad_region, &bad_date, &before_1900] {
            assert_eq!(find_misread(text), None, "{text}");
        }
        // Glued to other digits: not a number on its own.
        assert_eq!(find_before(&format!("9{n}"), TODAY), None);
        assert_eq!(find_before(&format!("{n}1"), TODAY), None);
        // An X anywhere but the end.
        assert_eq!(find_before("4403001990030X1232", TODAY), None);
    }

    #[test]
    fn legacy_numbers() {
        let id = find_before("身份证 440301900307123", TODAY).unwrap();
        assert!(id.legacy);
        assert!(!id.check_ok);
        assert_eq!(id.birth_year, 1990);
        assert_eq!(id.masked, "***********7123");
        assert_eq!(find_before("440301901307123", TODAY), None); // month 13
        assert_eq!(find_before("990301900307123", TODAY), None); // no such province
        // Printed in groups (an American Express card's 4-6-5), or with a letter for a digit,
        // it has no check character to vouch for it.
        assert_eq!(find_before("4403 019003 07123", TODAY), None);
        assert_eq!(find_before("44030l900307123", TODAY), None);
        // An 18-digit number wins over a legacy one before it.
        let n = valid("44030019900307123");
        let id = find_before(&format!("440301900307123 {n}"), TODAY).unwrap();
        assert!(!id.legacy);
    }

    #[test]
    fn negatives() {
        for text in [
            "4111 1111 1111 1111",
            "6222 0212 3456 7890 123",
            "订单号 202611260001234567",
            "TEL 138 0013 8000",
            "",
            "X",
            "x x x x",
        ] {
            assert_eq!(find_before(text, TODAY), None, "{text}");
        }
    }

    #[test]
    fn calendar() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_780), (2026, 11, 23));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(parse_date("20000229"), Some((2000, 2, 29)));
        assert_eq!(parse_date("19000229"), None);
        assert!(today() > (2024, 1, 1));
    }

    #[test]
    fn never_panics_on_noise() {
        let alphabet: Vec<char> = "0123456789 xX×Ool１２号码\n-".chars().collect();
        let mut noise = crate::testutil::Noise::new(0x2545_F491_4F6C_DD1Du64);
        let mut next = move || noise.next_u64();
        for _ in 0..3000 {
            let len = (next() % 60) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if let Some(id) = find_before(&text, TODAY) {
                assert!(id.masked.chars().filter(|&c| c != '*').count() <= 4);
            }
        }
    }
}
