//! ICAO Doc 9303 machine-readable zones (MRZ) in OCR'd text: TD1 (3×30), TD2 (2×36), TD3
//! (2×44), MRV-A (2×44) and MRV-B (2×36), confirmed by their check digits.
//!
//! OCR text is noisy: `<` fillers come out as `K`, `(` or `«`, digits and letters swap (`0`/`O`,
//! `1`/`I`, `5`/`S`, …), characters drop or double. [`find`] normalises each line, repairs small
//! length errors at the filler runs, corrects confusions by field type (a date holds digits, a
//! country code holds letters) and accepts a set of lines only when check digits validate. The
//! result describes the document without ever holding its number or lines in the clear.
//!
//! Hand-written: no crate parses MRZ from noisy OCR text; the ones that exist expect clean lines
//! and return the personal data, which idvault must not keep.

use super::mask::mask;
use crate::scan::finding::Kind;

/// The layout of a machine-readable zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MrzFormat {
    /// ID-1 card, 3 lines of 30 characters.
    Td1,
    /// ID-2 card, 2 lines of 36 characters.
    Td2,
    /// Passport book, 2 lines of 44 characters.
    Td3,
    /// Full-page visa, 2 lines of 44 characters.
    MrvA,
    /// Small visa, 2 lines of 36 characters.
    MrvB,
}

impl MrzFormat {
    /// The name ICAO Doc 9303 uses.
    pub fn as_str(self) -> &'static str {
        match self {
            MrzFormat::Td1 => "TD1",
            MrzFormat::Td2 => "TD2",
            MrzFormat::Td3 => "TD3",
            MrzFormat::MrvA => "MRV-A",
            MrzFormat::MrvB => "MRV-B",
        }
    }
}

/// The outcome of one check digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Check {
    /// `document_number`, `birth_date`, `expiry_date`, `optional_data` or `composite`.
    pub field: &'static str,
    pub ok: bool,
}

/// A machine-readable zone found in OCR'd text. It holds no personal data: the document number
/// is masked and neither names nor dates are kept.
#[derive(Clone, Debug, PartialEq)]
pub struct Mrz {
    pub format: MrzFormat,
    /// The document code without fillers, e.g. `P`, `I`, `ID`, `AC`, `V`, `IR`.
    pub doc_code: String,
    /// The kind of document the code (and where needed the issuer) stands for.
    pub kind: Kind,
    /// Issuing state or organisation, ICAO three-letter code without fillers (`D` for Germany).
    pub issuing_country: String,
    /// The holder's nationality, same coding.
    pub nationality: String,
    /// The document number as [`mask`] shows it.
    pub number_masked: String,
    /// Every check digit of the format, in the order the format defines them.
    pub checks: Vec<Check>,
    pub all_checks_ok: bool,
    /// Characters changed, inserted or removed to make the lines parse; 0 for a clean read.
    pub corrections: u32,
}

/// Computes the ICAO 9303 check digit of `s` (weights 7, 3, 1; `<` counts 0, `A`–`Z` 10–35).
/// `None` if `s` holds a character outside `0-9`, `A-Z` and `<`.
pub fn check_digit(s: &str) -> Option<u8> {
    check_of(s.bytes())
}

fn check_of(bytes: impl IntoIterator<Item = u8>) -> Option<u8> {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let mut sum = 0u32;
    for (i, c) in bytes.into_iter().enumerate() {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            b'<' => 0,
            _ => return None,
        };
        sum += v * WEIGHTS[i % 3];
    }
    Some((sum % 10) as u8)
}

/// True if a line reads like an MRZ upside down: at least ten `>` (a rotated `<`). The caller
/// should then turn the image by 180° and read it again.
pub fn upside_down(lines: &[&str]) -> bool {
    lines.iter().any(|line| {
        line.chars()
            .map(|c| match c {
                '>' | '＞' | '›' => 1,
                '»' => 2,
                _ => 0,
            })
            .sum::<usize>()
            >= 10
    })
}

/// Finds the best machine-readable zone in `lines` (OCR output in reading order): the candidate
/// with the most valid check digits and, among those, the fewest corrections.
///
/// A candidate is accepted when all its check digits validate, or when one field's check fails
/// (a misread character; the composite then fails too) while two of the document number,
/// birth date and expiry date validate, both dates are real dates and the lines carry enough
/// `<` fillers. A data
/// line without a readable first line, and lines whose fillers were lost (a small, blurred
/// visa), are accepted only when all their check digits validate. TD1 needs its two data lines,
/// not the name line.
pub fn find(lines: &[&str]) -> Option<Mrz> {
    let mut rows: Vec<Vec<u8>> = Vec::new();
    // The same rows without the short or wordy lines that OCR put between MRZ lines: text
    // printed beside the zone (a card's back) interleaves with it in reading order.
    let mut dense: Vec<Vec<u8>> = Vec::new();
    for line in lines.iter().take(MAX_LINES) {
        let row = normalise(line);
        let parts = match split_merged(&row) {
            Some(parts) => parts,
            // Blank lines (or lines of punctuation) between MRZ lines are OCR artefacts.
            None if row.is_empty() => continue,
            None => vec![row],
        };
        if zone_like(line, &parts) {
            dense.extend(parts.iter().cloned());
        }
        rows.extend(parts);
    }
    let mut best: Option<Candidate> = None;
    let mut consider = |c: Candidate| {
        if c.accepted() && best.as_ref().is_none_or(|b| c.rank() > b.rank()) {
            best = Some(c);
        }
    };
    if dense.len() < rows.len() {
        for layout in LAYOUTS {
            for group in dense.windows(layout.lines) {
                fixed(layout, group, Read::Full, &mut consider);
            }
        }
    }
    for layout in LAYOUTS {
        for group in rows.windows(layout.lines) {
            fixed(layout, group, Read::Full, &mut consider);
        }
        // A data line whose first line OCR missed or garbled: its composite check digit makes
        // it trustworthy alone, but it says nothing of the code and issuer.
        if layout.has_composite() && layout.data_lines == [1] {
            for row in rows
                .iter()
                .filter(|r| r.len().abs_diff(layout.width) <= LENGTH_SLACK)
            {
                let mut first = vec![b'<'; layout.width];
                first[0] = layout.code_letters[0];
                first[2..5].copy_from_slice(b"XXX");
                fixed(layout, &[first, row.clone()], Read::Lone, &mut consider);
            }
        }
    }
    for pair in rows.windows(2) {
        if let Some(c) = loose(&pair[0], &pair[1]) {
            consider(c);
        }
    }
    best.map(|c| c.mrz)
}

/// True when an OCR `line` (normalised into `parts`) could be an MRZ line: long enough, and
/// nearly all MRZ characters as read.
fn zone_like(line: &str, parts: &[Vec<u8>]) -> bool {
    let shown = line.chars().filter(|c| !c.is_whitespace()).count();
    let zone_chars = line
        .chars()
        .filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '<' | '«' | '‹'))
        .count();
    parts.iter().all(|p| p.len() + LENGTH_SLACK >= 30) && zone_chars * 10 >= shown * 9
}

/// Lines beyond this many are ignored: no MRZ comes after hundreds of lines of text.
const MAX_LINES: usize = 400;
/// How many characters a line may be too long or too short and still be repaired.
const LENGTH_SLACK: usize = 2;

/// Uppercases, drops spaces and punctuation and maps the usual misreadings of `<` to `<`.
fn normalise(line: &str) -> Vec<u8> {
    // An MRZ has no lowercase, so in a line of mostly capitals, digits and fillers a lowercase
    // `c`, `e` or `k` is a misread `<` (Tesseract does this on blurred MRZs); in other lines
    // it is just a letter.
    let lower = line.chars().filter(char::is_ascii_lowercase).count();
    let mrz_like = line
        .chars()
        .filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '<')
        .count();
    let capitals = mrz_like > lower;
    let mut out = Vec::with_capacity(line.len());
    for c in line.chars() {
        match c {
            'A'..='Z' | '0'..='9' | '<' => out.push(c as u8),
            'c' | 'e' | 'k' if capitals => out.push(b'<'),
            'a'..='z' => out.push(c.to_ascii_uppercase() as u8),
            '¢' => out.push(b'C'),
            // Full-width forms, as CJK OCR models like to emit them.
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                let ascii = char::from_u32(c as u32 - 0xFEE0).unwrap_or('<');
                out.push(ascii.to_ascii_uppercase() as u8);
            }
            '«' | '≪' | '《' => out.extend_from_slice(b"<<"),
            '‹' | '＜' | '〈' | '(' | '[' | '{' | 'く' => out.push(b'<'),
            _ => {}
        }
    }
    // A run of `K` that touches a filler (or the line's end), or any run of three, is fillers.
    let mut i = 0;
    while i < out.len() {
        if out[i] != b'K' {
            i += 1;
            continue;
        }
        let start = i;
        while i < out.len() && out[i] == b'K' {
            i += 1;
        }
        let run = i - start;
        let touches = (start > 0 && out[start - 1] == b'<') || i == out.len() || out[i] == b'<';
        if run >= 3 || (run >= 2 && touches) {
            out[start..i].fill(b'<');
        }
    }
    out
}

/// OCR sometimes reads two or three MRZ lines as one: split a line of exactly 2×36, 2×44 or 3×30.
fn split_merged(row: &[u8]) -> Option<Vec<Vec<u8>>> {
    let width = match row.len() {
        72 => 36,
        88 => 44,
        90 => 30,
        _ => return None,
    };
    Some(row.chunks(width).map(<[u8]>::to_vec).collect())
}

/// What a field may hold; decides how OCR confusions are corrected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    /// Letters and fillers: country codes, document code.
    Alpha,
    /// Digits: dates, check digits (a check digit may be `<` where its field is empty).
    Digit,
    /// Letters, digits and fillers: document number, optional data. Corrected only where a
    /// check digit says which reading is right.
    Any,
}

/// A field: line, first column, width and type.
#[derive(Clone, Copy, Debug)]
struct Field {
    line: usize,
    start: usize,
    len: usize,
    ty: Ty,
}

const fn fld(line: usize, start: usize, len: usize, ty: Ty) -> Field {
    Field {
        line,
        start,
        len,
        ty,
    }
}

/// A check digit at `digit` over the concatenation of `data`.
#[derive(Clone, Copy, Debug)]
struct CheckSpec {
    name: &'static str,
    data: &'static [Field],
    /// Where a failed check may be repaired by one confusion swap: the letters-and-digits
    /// fields that no other check digit covers.
    swap: &'static [Field],
    digit: (usize, usize),
    /// The data is a YYMMDD date.
    date: bool,
    /// The check digit may be `<` when the data is all fillers.
    may_be_empty: bool,
}

const fn chk(name: &'static str, data: &'static [Field], digit: (usize, usize)) -> CheckSpec {
    CheckSpec {
        name,
        data,
        swap: &[],
        digit,
        date: false,
        may_be_empty: false,
    }
}

const fn date_chk(name: &'static str, data: &'static [Field], digit: (usize, usize)) -> CheckSpec {
    CheckSpec {
        date: true,
        ..chk(name, data, digit)
    }
}

/// Where a format keeps what idvault reads from it.
#[derive(Debug)]
struct Layout {
    format: MrzFormat,
    /// Lines read: the TD1 name line is not needed.
    lines: usize,
    width: usize,
    /// Which lines hold checked data; the others only need their first columns (code, issuer)
    /// or nothing at all (names).
    data_lines: &'static [usize],
    /// First letters the document code may start with.
    code_letters: &'static [u8],
    code: Field,
    issuer: Field,
    nationality: Field,
    number: Field,
    /// The optional-data field that carries the tail of a number longer than 9 characters
    /// (TD1, TD2), signalled by a `<` in the number's check-digit position.
    overflow: Option<Field>,
    /// Fields corrected by type before any check is computed (check digits are corrected
    /// to digits anyway).
    typed: &'static [Field],
    /// Check digits; the first is the document number's.
    checks: &'static [CheckSpec],
}

const TD1_NUMBER: Field = fld(0, 5, 9, Ty::Any);
const TD1_OPT1: Field = fld(0, 15, 15, Ty::Any);
const TD1_BIRTH: Field = fld(1, 0, 6, Ty::Digit);
const TD1_EXPIRY: Field = fld(1, 8, 6, Ty::Digit);
const TD1_OPT2: Field = fld(1, 18, 11, Ty::Any);

/// Line 2 of TD2, MRV-B (36 wide) and TD3, MRV-A (44 wide) share their first 28 columns.
const L2_NUMBER: Field = fld(1, 0, 9, Ty::Any);
const L2_BIRTH: Field = fld(1, 13, 6, Ty::Digit);
const L2_EXPIRY: Field = fld(1, 21, 6, Ty::Digit);
const L2_NUMBER_CHECK: CheckSpec = CheckSpec {
    swap: &[L2_NUMBER],
    ..chk("document_number", &[L2_NUMBER], (1, 9))
};
const L2_BIRTH_CHECK: CheckSpec = date_chk("birth_date", &[L2_BIRTH], (1, 19));
const L2_EXPIRY_CHECK: CheckSpec = date_chk("expiry_date", &[L2_EXPIRY], (1, 27));
const TD2_OPTIONAL: Field = fld(1, 28, 7, Ty::Any);
const TD3_OPTIONAL: Field = fld(1, 28, 14, Ty::Any);
const L2_TYPED: [Field; 5] = [
    fld(0, 0, 2, Ty::Alpha),
    fld(0, 2, 3, Ty::Alpha),
    fld(1, 10, 3, Ty::Alpha),
    fld(1, 13, 7, Ty::Digit),
    fld(1, 21, 7, Ty::Digit),
];

const L2_CORE_CHECKS: [CheckSpec; 3] = [L2_NUMBER_CHECK, L2_BIRTH_CHECK, L2_EXPIRY_CHECK];

/// A two-line layout whose data line starts like TD2, TD3 and both visas' (see `L2_NUMBER`):
/// `width` columns, a document code starting with one of `code_letters`, these `checks`.
const fn line2_layout(
    format: MrzFormat,
    width: usize,
    code_letters: &'static [u8],
    checks: &'static [CheckSpec],
) -> Layout {
    Layout {
        format,
        lines: 2,
        width,
        data_lines: &[1],
        code_letters,
        code: fld(0, 0, 2, Ty::Alpha),
        issuer: fld(0, 2, 3, Ty::Alpha),
        nationality: fld(1, 10, 3, Ty::Alpha),
        number: L2_NUMBER,
        overflow: None,
        typed: &L2_TYPED,
        checks,
    }
}

const LAYOUTS: &[Layout] = &[
    Layout {
        format: MrzFormat::Td1,
        lines: 2,
        width: 30,
        data_lines: &[0, 1],
        code_letters: b"IACR",
        code: fld(0, 0, 2, Ty::Alpha),
        issuer: fld(0, 2, 3, Ty::Alpha),
        nationality: fld(1, 15, 3, Ty::Alpha),
        number: TD1_NUMBER,
        overflow: Some(TD1_OPT1),
        typed: &[
            fld(0, 0, 2, Ty::Alpha),
            fld(0, 2, 3, Ty::Alpha),
            fld(1, 0, 7, Ty::Digit),
            fld(1, 8, 7, Ty::Digit),
            fld(1, 15, 3, Ty::Alpha),
        ],
        checks: &[
            CheckSpec {
                swap: &[TD1_NUMBER],
                ..chk("document_number", &[TD1_NUMBER], (0, 14))
            },
            date_chk("birth_date", &[TD1_BIRTH], (1, 6)),
            date_chk("expiry_date", &[TD1_EXPIRY], (1, 14)),
            CheckSpec {
                swap: &[TD1_OPT1, TD1_OPT2],
                ..chk(
                    "composite",
                    &[
                        fld(0, 5, 25, Ty::Any),
                        fld(1, 0, 7, Ty::Digit),
                        fld(1, 8, 7, Ty::Digit),
                        TD1_OPT2,
                    ],
                    (1, 29),
                )
            },
        ],
    },
    Layout {
        overflow: Some(TD2_OPTIONAL),
        ..line2_layout(
            MrzFormat::Td2,
            36,
            b"IAC",
            &[
                L2_NUMBER_CHECK,
                L2_BIRTH_CHECK,
                L2_EXPIRY_CHECK,
                CheckSpec {
                    swap: &[TD2_OPTIONAL],
                    ..chk(
                        "composite",
                        &[
                            fld(1, 0, 10, Ty::Any),
                            fld(1, 13, 7, Ty::Digit),
                            fld(1, 21, 14, Ty::Any),
                        ],
                        (1, 35),
                    )
                },
            ],
        )
    },
    line2_layout(
        MrzFormat::Td3,
        44,
        b"P",
        &[
            L2_NUMBER_CHECK,
            L2_BIRTH_CHECK,
            L2_EXPIRY_CHECK,
            CheckSpec {
                may_be_empty: true,
                swap: &[TD3_OPTIONAL],
                ..chk("optional_data", &[TD3_OPTIONAL], (1, 42))
            },
            chk(
                "composite",
                &[
                    fld(1, 0, 10, Ty::Any),
                    fld(1, 13, 7, Ty::Digit),
                    fld(1, 21, 22, Ty::Any),
                ],
                (1, 43),
            ),
        ],
    ),
    line2_layout(MrzFormat::MrvA, 44, b"V", &L2_CORE_CHECKS),
    line2_layout(MrzFormat::MrvB, 36, b"V", &L2_CORE_CHECKS),
];

impl Layout {
    fn has_composite(&self) -> bool {
        self.checks.iter().any(|c| c.name == "composite")
    }
}

/// A parsed candidate and what it took to get there.
struct Candidate {
    mrz: Mrz,
    /// `<` fillers in the lines as read: evidence of an MRZ besides the check digits.
    fillers: usize,
    read: Read,
    /// Both dates are real dates, whatever their check digits say.
    dates_plausible: bool,
    /// The nationality field holds a country code. Some older cards put digits there (the
    /// field has no check digit), so a zone without one is accepted only if every check holds.
    nationality_ok: bool,
}

/// How much of a zone a candidate was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Read {
    /// Every line, columns in place.
    Full,
    /// The data line alone, columns in place.
    Lone,
    /// Two lines with fillers lost and columns shifted.
    Loose,
}

/// The checks every format has; two of them must validate in a candidate with a failed check.
const CORE_CHECKS: [&str; 3] = ["document_number", "birth_date", "expiry_date"];

impl Candidate {
    fn ok_count(&self) -> usize {
        self.mrz.checks.iter().filter(|c| c.ok).count()
    }

    /// All checks valid; or, for lines with plenty of fillers and two real dates, one misread
    /// field (its own check fails, and with it the composite) while two of the document
    /// number, birth date and expiry date validate.
    fn accepted(&self) -> bool {
        if self.mrz.all_checks_ok {
            return true;
        }
        if !self.nationality_ok {
            return false;
        }
        let checks = &self.mrz.checks;
        let failed = checks
            .iter()
            .filter(|c| !c.ok && c.field != "composite")
            .count();
        let core_ok = checks
            .iter()
            .filter(|c| c.ok && CORE_CHECKS.contains(&c.field))
            .count();
        self.read == Read::Full
            && failed <= 1
            && core_ok >= 2
            && self.dates_plausible
            && self.fillers >= MIN_FILLERS
    }

    /// Higher is better: more valid checks, then all lines read in place (they report more),
    /// then all checks valid, then fewer corrections.
    fn rank(&self) -> (usize, bool, bool, std::cmp::Reverse<u32>) {
        (
            self.ok_count(),
            self.read == Read::Full,
            self.mrz.all_checks_ok,
            std::cmp::Reverse(self.mrz.corrections),
        )
    }
}

/// Fillers needed to accept lines with a failed check digit.
const MIN_FILLERS: usize = 5;

/// Tries every length repair of `rows` against `layout`. With `Read::Lone`, the first row is a
/// stand-in and the code and issuer are not reported.
fn fixed(layout: &Layout, rows: &[Vec<u8>], read: Read, consider: &mut impl FnMut(Candidate)) {
    if rows
        .iter()
        .any(|r| r.len().abs_diff(layout.width) > LENGTH_SLACK)
    {
        return;
    }
    let variants: Vec<Vec<(Vec<u8>, u32)>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| fit(r, layout.width, layout.data_lines.contains(&i)))
        .collect();
    let fillers = rows.iter().flatten().filter(|&&c| c == b'<').count();
    let mut pick = vec![0usize; rows.len()];
    loop {
        let mut lines: Vec<Vec<u8>> = Vec::with_capacity(rows.len());
        let mut cost = 0;
        for (v, &p) in variants.iter().zip(&pick) {
            lines.push(v[p].0.clone());
            cost += v[p].1;
        }
        if let Some(Parsed {
            mut mrz,
            dates_plausible,
            nationality_ok,
        }) = parse(layout, lines, cost)
        {
            if read == Read::Lone {
                mrz.doc_code.clear();
                mrz.issuing_country.clear();
            }
            consider(Candidate {
                mrz,
                fillers,
                read,
                dates_plausible,
                nationality_ok,
            });
        }
        // Next combination (odometer).
        let mut i = 0;
        loop {
            if i == pick.len() {
                return;
            }
            pick[i] += 1;
            if pick[i] < variants[i].len() {
                break;
            }
            pick[i] = 0;
            i += 1;
        }
    }
}

/// The ways `row` can be brought to `width`, each with its cost in changed characters.
///
/// A line whose content matters (`data`) is repaired inside its filler runs and at both ends;
/// any other line only needs its start in place, so it is cut or padded at the end.
fn fit(row: &[u8], width: usize, data: bool) -> Vec<(Vec<u8>, u32)> {
    let n = row.len();
    let cost = n.abs_diff(width) as u32;
    let mut out: Vec<Vec<u8>> = Vec::new();
    if n == width {
        out.push(row.to_vec());
    } else if n < width {
        let d = width - n;
        let mut padded = row.to_vec();
        padded.resize(width, b'<');
        out.push(padded);
        if data {
            // A character lost at the start or inside the first field: its check fails, but
            // every later field is back in place.
            let mut front = vec![b'<'; d];
            front.extend_from_slice(row);
            out.push(front);
            for (start, _) in filler_runs(row) {
                let mut v = row[..start].to_vec();
                v.extend(std::iter::repeat_n(b'<', d));
                v.extend_from_slice(&row[start..]);
                out.push(v);
            }
        }
    } else {
        let d = n - width;
        if data {
            for front in 0..=d {
                out.push(row[front..n - (d - front)].to_vec());
            }
            for (start, len) in filler_runs(row) {
                if len > d {
                    let mut v = row[..start].to_vec();
                    v.extend_from_slice(&row[start + d..]);
                    out.push(v);
                }
            }
        } else {
            for front in 0..=d {
                out.push(row[front..front + width].to_vec());
            }
        }
    }
    out.sort();
    out.dedup();
    out.into_iter().map(|v| (v, cost)).collect()
}

/// Start and length of every run of `<` in `row`.
fn filler_runs(row: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < row.len() {
        if row[i] == b'<' {
            let start = i;
            while i < row.len() && row[i] == b'<' {
                i += 1;
            }
            runs.push((start, i - start));
        } else {
            i += 1;
        }
    }
    runs
}

/// What [`parse`] made of a set of lines.
struct Parsed {
    mrz: Mrz,
    /// Both dates are real dates.
    dates_plausible: bool,
    /// The nationality field holds letters (otherwise it is reported empty).
    nationality_ok: bool,
}

/// Parses lines of exactly the layout's width: corrects by field type, computes every check
/// digit (trying single confusion swaps where a check fails) and describes the result.
fn parse(layout: &Layout, mut lines: Vec<Vec<u8>>, mut corrections: u32) -> Option<Parsed> {
    for f in layout.typed {
        corrections += correct(&mut lines[f.line][f.start..f.start + f.len], f.ty);
    }
    for spec in layout.checks {
        let (line, col) = spec.digit;
        corrections += correct(&mut lines[line][col..=col], Ty::Digit);
    }
    // OCR reads the serifed `I` that starts an identity card's code as `T`.
    let (line, col) = (layout.code.line, layout.code.start);
    if lines[line][col] == b'T' && layout.code_letters.contains(&b'I') {
        lines[line][col] = b'I';
        corrections += 1;
    }
    let code = field(&lines, layout.code);
    let code_ok = layout.code_letters.contains(&code[0])
        && (code[0] != b'R' || code[1] == b'P')
        && code.iter().all(is_alpha_or_filler);
    if !code_ok {
        return None;
    }
    let country = |f: Field| {
        let v = field(&lines, f);
        v[0].is_ascii_uppercase() && v.iter().all(is_alpha_or_filler)
    };
    if !country(layout.issuer) {
        return None;
    }
    let nationality_ok = country(layout.nationality);
    let mut checks = Vec::with_capacity(layout.checks.len());
    for (i, spec) in layout.checks.iter().enumerate() {
        let ok = if i == 0 && layout.overflow.is_some() && digit_at(&lines, spec.digit) == b'<' {
            long_number(layout, &lines).is_some()
        } else {
            let (ok, swaps) = check_or_swap(spec, &mut lines);
            corrections += swaps;
            ok
        };
        checks.push(Check {
            field: spec.name,
            ok,
        });
    }
    let number = match long_number(layout, &lines) {
        Some(n) => n,
        None => field(&lines, layout.number).to_vec(),
    };
    let dates_plausible = layout
        .checks
        .iter()
        .filter(|c| c.date)
        .all(|c| plausible_date(field(&lines, c.data[0])));
    let nationality = if nationality_ok {
        field(&lines, layout.nationality)
    } else {
        b""
    };
    let mrz = describe(
        layout.format,
        field(&lines, layout.code),
        field(&lines, layout.issuer),
        nationality,
        &number,
        checks,
        corrections,
    );
    Some(Parsed {
        mrz,
        dates_plausible,
        nationality_ok,
    })
}

fn field(lines: &[Vec<u8>], f: Field) -> &[u8] {
    &lines[f.line][f.start..f.start + f.len]
}

fn digit_at(lines: &[Vec<u8>], (line, col): (usize, usize)) -> u8 {
    lines[line][col]
}

/// A document number longer than nine characters: the first nine in the number field, `<` in
/// its check digit, the rest and then the check digit at the start of the optional data.
/// Returns the whole number when its check digit validates.
fn long_number(layout: &Layout, lines: &[Vec<u8>]) -> Option<Vec<u8>> {
    let overflow = layout.overflow?;
    if digit_at(lines, layout.checks[0].digit) != b'<' {
        return None;
    }
    let tail = field(lines, overflow);
    let end = tail.iter().position(|&c| c == b'<').unwrap_or(tail.len());
    if end < 2 {
        return None;
    }
    let mut number = field(lines, layout.number).to_vec();
    number.extend_from_slice(&tail[..end - 1]);
    let digit = tail[end - 1];
    (digit.is_ascii_digit() && check_of(number.iter().copied()) == Some(digit - b'0'))
        .then_some(number)
}

/// Verifies one check digit; where it fails, tries single OCR-confusion swaps in the letters-
/// and-digits fields it covers. Returns whether it validates and the swaps made.
fn check_or_swap(spec: &CheckSpec, lines: &mut [Vec<u8>]) -> (bool, u32) {
    if verify(spec, lines) {
        return (true, 0);
    }
    for f in spec.swap {
        for col in f.start..f.start + f.len {
            let orig = lines[f.line][col];
            for &alt in confusions(orig) {
                lines[f.line][col] = alt;
                if verify(spec, lines) {
                    return (true, 1);
                }
            }
            lines[f.line][col] = orig;
        }
    }
    (false, 0)
}

fn verify(spec: &CheckSpec, lines: &[Vec<u8>]) -> bool {
    let digit = digit_at(lines, spec.digit);
    let data = || {
        spec.data
            .iter()
            .flat_map(|f| field(lines, *f).iter().copied())
    };
    if spec.may_be_empty && digit == b'<' && data().all(|c| c == b'<') {
        return true;
    }
    if spec.date && !plausible_date(field(lines, spec.data[0])) {
        return false;
    }
    digit.is_ascii_digit() && check_of(data()) == Some(digit - b'0')
}

/// YYMMDD with a real month and day; ICAO writes an unknown month or day as `<<`.
fn plausible_date(d: &[u8]) -> bool {
    let two = |i: usize| -> Option<u8> {
        match (d[i], d[i + 1]) {
            (b'<', b'<') => None,
            (a, b) if a.is_ascii_digit() && b.is_ascii_digit() => Some((a - b'0') * 10 + b - b'0'),
            _ => Some(u8::MAX),
        }
    };
    let (Some(year), month, day) = (two(0), two(2), two(4)) else {
        return false;
    };
    if year == u8::MAX {
        return false;
    }
    let month_ok = month.is_none_or(|m| (1..=12).contains(&m));
    let max_day = match month {
        Some(2) => 29,
        Some(4 | 6 | 9 | 11) => 30,
        _ => 31,
    };
    month_ok && day.is_none_or(|d| (1..=max_day).contains(&d))
}

/// Characters OCR mistakes `c` for, in an MRZ font.
fn confusions(c: u8) -> &'static [u8] {
    match c {
        b'0' => b"ODQ",
        b'O' | b'D' | b'Q' => b"0",
        b'1' => b"IL",
        b'I' | b'L' => b"1",
        b'2' => b"Z",
        b'Z' => b"2",
        b'5' => b"S",
        b'S' => b"5",
        b'8' => b"B",
        b'B' => b"8",
        b'6' => b"G",
        b'G' => b"6",
        b'K' => b"<",
        _ => b"",
    }
}

/// Corrects a field by its type; returns the characters changed.
fn correct(v: &mut [u8], ty: Ty) -> u32 {
    let mut changed = 0;
    for c in v.iter_mut() {
        let fixed = match ty {
            Ty::Digit => to_digit(*c),
            Ty::Alpha => to_alpha(*c),
            Ty::Any => *c,
        };
        if fixed != *c {
            *c = fixed;
            changed += 1;
        }
    }
    changed
}

fn to_digit(c: u8) -> u8 {
    match c {
        b'O' | b'D' | b'Q' => b'0',
        b'I' | b'L' => b'1',
        b'Z' => b'2',
        b'S' => b'5',
        b'B' => b'8',
        b'G' => b'6',
        _ => c,
    }
}

fn to_alpha(c: u8) -> u8 {
    match c {
        b'0' => b'O',
        b'1' => b'I',
        b'2' => b'Z',
        b'5' => b'S',
        b'6' => b'G',
        b'8' => b'B',
        _ => c,
    }
}

fn is_alpha_or_filler(c: &u8) -> bool {
    c.is_ascii_uppercase() || *c == b'<'
}

fn trimmed(v: &[u8]) -> String {
    v.iter()
        .filter(|&&c| c != b'<')
        .map(|&c| c as char)
        .collect()
}

/// A document number as printed: fillers only follow it, so a `<` before its last character
/// is a `0` OCR misread (the two count the same towards the check digit, and no other
/// character does: the check holds either way, and only a `0` is a character of a number).
fn document_number(v: &[u8]) -> String {
    let end = v.iter().rposition(|&c| c != b'<').map_or(0, |i| i + 1);
    v[..end]
        .iter()
        .map(|&c| if c == b'<' { '0' } else { c as char })
        .collect()
}

fn describe(
    format: MrzFormat,
    code: &[u8],
    issuer: &[u8],
    nationality: &[u8],
    number: &[u8],
    checks: Vec<Check>,
    corrections: u32,
) -> Mrz {
    let doc_code = trimmed(code);
    let issuing_country = trimmed(issuer);
    Mrz {
        format,
        kind: kind_of(&doc_code, &issuing_country),
        doc_code,
        issuing_country,
        nationality: trimmed(nationality),
        number_masked: mask(&document_number(number)),
        all_checks_ok: checks.iter().all(|c| c.ok),
        checks,
        corrections,
    }
}

/// The kind of document a code stands for. `IR`, `AR`, `CR` and `RP` are the codes States use
/// for residence permits; US TD1 cards starting with `C` are USCIS immigration cards
/// (permanent resident card).
fn kind_of(code: &str, issuer: &str) -> Kind {
    let b = code.as_bytes();
    match (b.first(), b.get(1)) {
        (Some(b'P'), _) => Kind::Passport,
        (Some(b'V'), _) => Kind::Visa,
        (Some(b'I' | b'A' | b'C'), Some(b'R')) | (Some(b'R'), Some(b'P')) => Kind::ResidencePermit,
        (Some(b'C'), _) if issuer == "USA" => Kind::ResidencePermit,
        _ => Kind::IdCard,
    }
}

/// The data line of a two-line MRZ whose fillers were (partly) lost, so that columns shifted:
/// the fields are found by walking from the start, and the line is accepted only when the
/// document number, birth date and expiry date check digits all validate.
fn loose(first: &[u8], second: &[u8]) -> Option<Candidate> {
    if !(MIN_LOOSE..=44 + LENGTH_SLACK).contains(&second.len()) || first.len() < 5 {
        return None;
    }
    let family: &[MrzFormat] = match first[0] {
        b'P' => &[MrzFormat::Td3],
        b'V' => &[MrzFormat::MrvA, MrzFormat::MrvB],
        b'I' | b'A' | b'C' => &[MrzFormat::Td2],
        _ => return None,
    };
    let mut best: Option<LooseRead> = None;
    for number_len in 6..=9 {
        for nat_len in [3, 1] {
            for sex in [true, false] {
                let Some(found) = loose_fields(second, number_len, nat_len, sex) else {
                    continue;
                };
                if best
                    .as_ref()
                    .is_none_or(|b| found.corrections < b.corrections)
                {
                    best = Some(found);
                }
            }
        }
    }
    let LooseRead {
        mut corrections,
        number,
        nationality,
    } = best?;
    let checks = CORE_CHECKS
        .into_iter()
        .map(|field| Check { field, ok: true })
        .collect();
    let mut head = first[..5].to_vec();
    corrections += correct(&mut head, Ty::Alpha);
    // With the code's filler lost, the issuer starts one column early ("VUTO…" for "V<UTO…"):
    // assume so when the line lost all its fillers, or when the shift finds the nationality.
    let shifted = !first.contains(&b'<') || head[1..4] == nationality[..];
    let (code, issuer) = if head[1] != b'<' && shifted {
        (&head[..1], &head[1..4])
    } else {
        (&head[..2], &head[2..5])
    };
    if !code.iter().all(is_alpha_or_filler) || !issuer.iter().all(is_alpha_or_filler) {
        return None;
    }
    let format = match family {
        [one] => *one,
        _ if first.len().max(second.len()) >= 40 => MrzFormat::MrvA,
        _ => MrzFormat::MrvB,
    };
    let fillers = second.iter().filter(|&&c| c == b'<').count();
    Some(Candidate {
        mrz: describe(
            format,
            code,
            issuer,
            &nationality,
            &number,
            checks,
            corrections,
        ),
        fillers,
        read: Read::Loose,
        dates_plausible: true,
        nationality_ok: true,
    })
}

/// Shortest data line `loose` looks at: a number of six, its check digit, a one-letter
/// nationality, two dates with their check digits.
const MIN_LOOSE: usize = 6 + 1 + 1 + 7 + 7;

/// A data line read by [`loose_fields`] whose three check digits validate.
struct LooseRead {
    corrections: u32,
    number: Vec<u8>,
    nationality: Vec<u8>,
}

/// Reads the data line with the number `number_len` wide, the nationality `nat_len` wide and
/// the sex present or lost; `None` unless all three check digits validate.
fn loose_fields(line: &[u8], number_len: usize, nat_len: usize, sex: bool) -> Option<LooseRead> {
    let needed = number_len + 1 + nat_len + 7 + usize::from(sex) + 7;
    if line.len() < needed {
        return None;
    }
    let mut v = line[..needed].to_vec();
    let mut corrections = (9 - number_len + 3 - nat_len + usize::from(!sex)) as u32;
    let nat_at = number_len + 1;
    let birth_at = nat_at + nat_len;
    let expiry_at = birth_at + 7 + usize::from(sex);
    corrections += correct(&mut v[number_len..nat_at], Ty::Digit);
    corrections += correct(&mut v[nat_at..birth_at], Ty::Alpha);
    corrections += correct(&mut v[birth_at..birth_at + 7], Ty::Digit);
    corrections += correct(&mut v[expiry_at..expiry_at + 7], Ty::Digit);
    let nationality = v[nat_at..birth_at].to_vec();
    if !nationality.iter().all(u8::is_ascii_uppercase) || (nat_len == 1 && nationality != b"D") {
        return None;
    }
    if sex && !b"MFX<".contains(&v[birth_at + 7]) {
        return None;
    }
    let ok = |data: &[u8], digit: u8| {
        digit.is_ascii_digit() && check_of(data.iter().copied()) == Some(digit - b'0')
    };
    let number = &v[..number_len];
    let birth = &v[birth_at..birth_at + 6];
    let expiry = &v[expiry_at..expiry_at + 6];
    let valid = ok(number, v[number_len])
        && plausible_date(birth)
        && ok(birth, v[birth_at + 6])
        && plausible_date(expiry)
        && ok(expiry, v[expiry_at + 6]);
    valid.then(|| LooseRead {
        corrections,
        number: number.to_vec(),
        nationality,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD1: [&str; 3] = [
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ];
    const TD2: [&str; 2] = [
        "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "D231458907UTO7408122F1204159<<<<<<<6",
    ];
    const TD3: [&str; 2] = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ];
    const MRV_A: [&str; 2] = [
        "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
    ];
    const MRV_B: [&str; 2] = [
        "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "L8988901C4XXX4009078F9612109<<<<<<<<",
    ];

    fn with_check(s: &str) -> String {
        format!("{s}{}", check_digit(s).unwrap())
    }

    fn all_ok(m: &Mrz) -> bool {
        m.all_checks_ok && m.checks.iter().all(|c| c.ok)
    }

    #[test]
    fn check_digits_of_the_icao_specimens() {
        // Worked by hand: D23145890 -> 13*7+3*3+2*1+3*7+1*3+4*1+5*7+8*3+9*1+0*7 = 197 -> 7.
        assert_eq!(check_digit("D23145890"), Some(7));
        assert_eq!(check_digit("740812"), Some(2));
        assert_eq!(check_digit("120415"), Some(9));
        assert_eq!(check_digit("L898902C3"), Some(6));
        assert_eq!(check_digit("ZE184226B<<<<<"), Some(1));
        assert_eq!(check_digit("L8988901C"), Some(4));
        assert_eq!(check_digit("400907"), Some(8));
        assert_eq!(check_digit("961210"), Some(9));
        assert_eq!(check_digit(""), Some(0));
        assert_eq!(check_digit("<<<<"), Some(0));
        assert_eq!(check_digit("abc"), None);
        assert_eq!(check_digit("12 3"), None);
    }

    #[test]
    fn td1_specimen() {
        let m = find(&TD1).unwrap();
        assert_eq!(m.format, MrzFormat::Td1);
        assert_eq!(m.doc_code, "I");
        assert_eq!(m.kind, Kind::IdCard);
        assert_eq!(m.issuing_country, "UTO");
        assert_eq!(m.nationality, "UTO");
        assert_eq!(m.number_masked, "*****5890");
        assert_eq!(m.checks.len(), 4);
        assert!(all_ok(&m));
        assert_eq!(m.corrections, 0);
    }

    #[test]
    fn td2_specimen() {
        let m = find(&TD2).unwrap();
        assert_eq!(m.format, MrzFormat::Td2);
        assert_eq!(m.kind, Kind::IdCard);
        assert_eq!(m.number_masked, "*****5890");
        assert_eq!(m.checks.len(), 4);
        assert!(all_ok(&m));
        assert_eq!(m.corrections, 0);
    }

    #[test]
    fn zone_lines_interleaved_with_card_text() {
        // The back of a Serbian card: dates printed left of the zone fall between its lines in
        // reading order.
        let lines = [
            "24.07.2008.",
            "IDSRB95555554612902968000000<<",
            "a ovld",
            "24.07.2013.",
            "6802295F1307245SRB<<<<<<<<<<<6",
            "TEST<<MILICA<<<<<<<<<<<<<<<<<<",
        ];
        let m = find(&lines).unwrap();
        assert_eq!((m.format, m.kind), (MrzFormat::Td1, Kind::IdCard));
        assert_eq!(m.issuing_country, "SRB");
        assert!(all_ok(&m));
    }

    #[test]
    fn digits_in_the_nationality_need_every_check() {
        // An old Romanian card: nationality `132`, four valid check digits.
        let lines = [
            "IDROUSAVA<<SUPERMAN<<<<<<<<<<<<<<<<<",
            "HD198025<51328505095M130509012049941",
        ];
        let m = find(&lines).unwrap();
        assert_eq!(
            (m.format, m.issuing_country.as_str()),
            (MrzFormat::Td2, "ROU")
        );
        assert_eq!(m.nationality, "");
        assert!(all_ok(&m));
        // One misread digit (expiry check 0 → 8) and the zone is no longer trusted.
        let bad = [lines[0], "HD198025<51328505095M130509812049941"];
        assert_eq!(find(&bad), None);
    }

    #[test]
    fn td3_specimen() {
        let m = find(&TD3).unwrap();
        assert_eq!(m.format, MrzFormat::Td3);
        assert_eq!(m.doc_code, "P");
        assert_eq!(m.kind, Kind::Passport);
        assert_eq!(m.issuing_country, "UTO");
        assert_eq!(m.number_masked, "*****02C3");
        let fields: Vec<&str> = m.checks.iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [
                "document_number",
                "birth_date",
                "expiry_date",
                "optional_data",
                "composite"
            ]
        );
        assert!(all_ok(&m));
        assert_eq!(m.corrections, 0);
    }

    #[test]
    fn mrv_specimens() {
        let a = find(&MRV_A).unwrap();
        assert_eq!(a.format, MrzFormat::MrvA);
        assert_eq!(a.kind, Kind::Visa);
        assert_eq!(a.nationality, "XXX");
        assert_eq!(a.checks.len(), 3);
        assert!(all_ok(&a));
        let b = find(&MRV_B).unwrap();
        assert_eq!(b.format, MrzFormat::MrvB);
        assert_eq!(b.kind, Kind::Visa);
        assert!(all_ok(&b));
        assert_eq!(b.corrections, 0);
    }

    #[test]
    fn a_broken_check_digit_is_reported_not_hidden() {
        // Birth date check digit 2 -> 3: one of five checks fails, fillers are plentiful.
        let lines = [TD3[0], "L898902C36UTO7408123F1204159ZE184226B<<<<<10"];
        let m = find(&lines).unwrap();
        assert!(!m.all_checks_ok);
        let failed: Vec<&str> = m.checks.iter().filter(|c| !c.ok).map(|c| c.field).collect();
        assert_eq!(failed, ["birth_date", "composite"]);
    }

    #[test]
    fn ocr_confusions_are_corrected_by_field_type() {
        // Dates with O, I, S, B; nationality with 0; check digit read as letter.
        let lines = [
            "P<UT0ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UT07408I22FI2O4I59ZE184226B<<<<<I0",
        ];
        let m = find(&lines).unwrap();
        assert!(all_ok(&m));
        assert_eq!(m.issuing_country, "UTO");
        assert!(m.corrections >= 7, "{}", m.corrections);
        // A number letter read as a digit is fixed by its check digit: C -> 0 is no
        // confusion, but O -> 0 in "L898902O3" style numbers is.
        let lines = [TD2[0], "D23I458907UTO7408122F1204159<<<<<<<6"];
        let m = find(&lines).unwrap();
        assert!(all_ok(&m));
        assert_eq!(m.number_masked, "*****5890");
        assert_eq!(m.corrections, 1);
    }

    #[test]
    fn fillers_read_as_k_spaces_and_guillemets() {
        let lines = [
            "P<UTOERIKSSON<<ANNA<MARIA<<<KKKKKK<<<<<<<<<<",
            "L898902C36 UTO 7408122 F 1204159 ZE184226B«<<<10",
        ];
        let m = find(&lines).unwrap();
        assert!(all_ok(&m));
        let lines = [
            "i<utoD231458907KKKKKKKKKKKKKKK",
            "7408122F1204159UTO(((((((((((6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        ];
        let m = find(&lines).unwrap();
        assert_eq!(m.format, MrzFormat::Td1);
        assert!(all_ok(&m));
    }

    #[test]
    fn a_misread_optional_field_fails_only_its_checks() {
        let lines = [TD3[0], "L898902C36UTO7408122F120415926184226B<<<<<10"];
        let m = find(&lines).unwrap();
        let failed: Vec<&str> = m.checks.iter().filter(|c| !c.ok).map(|c| c.field).collect();
        assert_eq!(failed, ["optional_data", "composite"]);
    }

    #[test]
    fn tesseract_misreadings() {
        // Real Tesseract 5 output for a blurred TD3 rendering: `<` read as `c`/`e`.
        let lines = [
            "P<UTOERIKSSON<<ANNACMARIAc<cccccceccecccecce",
            "L898902C36UT07408122F1204159ZE184226B<<<<<10",
        ];
        assert!(all_ok(&find(&lines).unwrap()));
        // The same with the number's first character lost: only that check (and the
        // composite) fails, every other field is back in place.
        let lines = [
            "P<UTOERIKSSON<<ANNACMARIAcccceccceccecccecce",
            "898902C36UT07408122F1204159ZE184226B<<<<<10",
        ];
        let m = find(&lines).unwrap();
        let failed: Vec<&str> = m.checks.iter().filter(|c| !c.ok).map(|c| c.field).collect();
        assert_eq!(failed, ["document_number", "composite"]);
        assert_eq!(m.kind, Kind::Passport);
        // Lowercase text is not an MRZ and keeps its letters.
        assert_eq!(normalise("once checked"), b"ONCECHECKED");
        assert_eq!(normalise("ANNAcMARIAcce"), b"ANNA<MARIA<<<");
        let lines = [
            "T<UT0D231458907<<cceccecccecce",
            "7408122F1204159UT0<<<ce<<c<<<6",
            "ERIKSSON<<ANNACMARIAccccccecce",
        ];
        let m = find(&lines).unwrap();
        assert_eq!((m.format, m.doc_code.as_str()), (MrzFormat::Td1, "I"));
        assert!(all_ok(&m));
    }

    #[test]
    fn dropped_and_extra_characters_are_repaired() {
        // One filler dropped from the optional data, one extra at the end of line 1.
        let lines = [
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<10",
        ];
        let m = find(&lines).unwrap();
        assert!(all_ok(&m));
        assert!(m.corrections >= 2);
        // Junk before a TD1 line and two dropped fillers in another.
        let lines = [
            "|I<UTOD231458907<<<<<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<",
        ];
        let m = find(&lines).unwrap();
        assert_eq!(m.format, MrzFormat::Td1);
        assert!(all_ok(&m));
    }

    #[test]
    fn surrounding_text_and_merged_lines() {
        let mut lines = vec!["PASSPORT", "Surname / Nom", "ERIKSSON", "Given names"];
        lines.extend(TD3);
        lines.push("signature");
        assert!(all_ok(&find(&lines).unwrap()));
        let m = find(&[TD3[0], "", " . ", TD3[1]]).unwrap();
        assert!(all_ok(&m));
        assert_eq!(m.doc_code, "P", "read as a pair, not as a lone data line");
        let merged = format!("{}{}", TD3[0], TD3[1]);
        assert!(all_ok(&find(&[merged.as_str()]).unwrap()));
    }

    #[test]
    fn visa_with_lost_fillers_is_accepted_by_check_digits() {
        let lines = [
            "VUTOERIKSSONANNAMARIA",
            "L8988901C4XXX4009078F96121096ZE184226B",
        ];
        let m = find(&lines).unwrap();
        assert_eq!(m.kind, Kind::Visa);
        assert_eq!(m.issuing_country, "UTO");
        assert!(all_ok(&m));
        // The number's own filler lost too: "L898902C<" read as "L898902C".
        let lines = ["V<UTOERIKSSON<<ANNA", "L898902C3UTO7408122F1204159"];
        let m = find(&lines).unwrap();
        assert_eq!(m.kind, Kind::Visa);
        assert_eq!(m.number_masked, "****902C");
        assert!(m.corrections >= 1);
    }

    #[test]
    fn a_filler_read_inside_a_number_is_its_zero() {
        // `007007007` with its first `0` read as `<`: the check digit holds either way.
        assert_eq!(document_number(b"<07007007"), "007007007");
        assert_eq!(mask(&document_number(b"<07007007")), "*****7007");
        // Fillers after the number are not part of it.
        assert_eq!(document_number(b"L898902C<"), "L898902C");
        assert_eq!(document_number(b"<<<<<<<<<"), "");
    }

    #[test]
    fn a_lone_data_line_needs_every_check() {
        let m = find(&["garbled first line", TD3[1]]).unwrap();
        assert_eq!(m.format, MrzFormat::Td3);
        assert_eq!(m.kind, Kind::Passport);
        assert_eq!(m.doc_code, "");
        assert_eq!(m.issuing_country, "");
        assert_eq!(m.nationality, "UTO");
        assert!(all_ok(&m));
        let m = find(&[TD2[1]]).unwrap();
        assert_eq!((m.format, m.kind), (MrzFormat::Td2, Kind::IdCard));
        // With a readable first line, the pair wins and reports the code.
        assert_eq!(find(&TD3).unwrap().doc_code, "P");
        // One failed check is not enough for a lone line.
        assert_eq!(
            find(&["L898902C36UTO7408123F1204159ZE184226B<<<<<10"]),
            None
        );
        // TD1 needs both data lines; the name line may be missing.
        assert!(all_ok(&find(&TD1[..2]).unwrap()));
        assert_eq!(find(&TD1[1..]), None);
    }

    #[test]
    fn residence_permit_and_long_number() {
        // TD1 residence permit (code IR) with a 12-character number overflowing into the
        // optional data.
        let number = "AB1234567890";
        let num_check = check_digit(number).unwrap();
        let line1 = format!("IRUTO{}<{}{}", &number[..9], &number[9..], num_check);
        let line1 = format!("{line1:<<30}");
        let line2_head = format!("{}M{}UTO", with_check("900101"), with_check("300101"));
        let line2 = format!("{line2_head:<<29}");
        let composite = format!(
            "{}{}{}{}",
            &line1[5..30],
            &line2[0..7],
            &line2[8..15],
            &line2[18..29]
        );
        let line2 = format!("{line2}{}", check_digit(&composite).unwrap());
        let lines = [
            line1.as_str(),
            line2.as_str(),
            "DOE<<JANE<<<<<<<<<<<<<<<<<<<<<",
        ];
        let m = find(&lines).unwrap();
        assert_eq!(m.kind, Kind::ResidencePermit);
        assert_eq!(m.doc_code, "IR");
        assert_eq!(m.number_masked, "********7890");
        assert!(all_ok(&m), "{m:?}");
    }

    #[test]
    fn negatives() {
        let cases: &[&[&str]] = &[
            &[
                "VISA",
                "4111 1111 1111 1111",
                "VALID THRU 12/28",
                "JOHN DOE",
            ],
            &[
                "4111111111111111<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
                "5500000000000004<<<<<<<<<<<<<<<<<<<<<<<<<<<",
            ],
            &[
                "TOTAL 12.50 EUR  VISA ************1234",
                "AUTH CODE 123456  TERMINAL 00012345  REF 998877665",
                "THANK YOU FOR SHOPPING WITH US COME AGAIN",
            ],
            &[
                "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
                "LOREM IPSUM DOLOR SIT AMET CONSECTETUR ADIPI",
            ],
            &[
                "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                "L898902C37UTO7408123F1204158ZE184226B<<<<<19",
            ],
            &[],
            &[""],
        ];
        for lines in cases {
            assert_eq!(find(lines), None, "{lines:?}");
        }
    }

    #[test]
    fn random_mrz_shaped_lines_are_rejected() {
        let mut noise = crate::testutil::Noise::new(0x9E37_79B9_7F4A_7C15u64);
        let mut next = move || noise.next_u64();
        for alphabet in [
            "0123456789",
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<<<<<<<<",
            "0123456789<<<MF",
        ] {
            let alphabet: Vec<char> = alphabet.chars().collect();
            for _ in 0..1500 {
                // A TD1, TD2 and TD3 width line each (plus 0-2 characters), codes in place.
                let lines: Vec<String> = [("I<", 30), ("P<", 36), ("P<", 44), ("V<", 44)]
                    .iter()
                    .map(|&(code, width)| {
                        let len = width + (next() % 3) as usize - 2;
                        code.chars()
                            .chain(
                                (2..len)
                                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize]),
                            )
                            .collect()
                    })
                    .collect();
                let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
                assert_eq!(find(&refs), None, "{refs:?}");
            }
        }
    }

    #[test]
    fn kinds_from_document_codes() {
        for (code, issuer, kind) in [
            ("P", "UTO", Kind::Passport),
            ("PD", "UTO", Kind::Passport),
            ("V", "UTO", Kind::Visa),
            ("I", "UTO", Kind::IdCard),
            ("ID", "D", Kind::IdCard),
            ("AC", "UTO", Kind::IdCard),
            ("IR", "FRA", Kind::ResidencePermit),
            ("AR", "D", Kind::ResidencePermit),
            ("RP", "UTO", Kind::ResidencePermit),
            ("C1", "USA", Kind::ResidencePermit),
            ("C", "UTO", Kind::IdCard),
        ] {
            assert_eq!(kind_of(code, issuer), kind, "{code} {issuer}");
        }
    }

    #[test]
    fn td2_with_a_long_document_number() {
        let number = "D23145890123";
        let mut line2 = format!(
            "{}<UTO{}F{}{}{}",
            &number[..9],
            with_check("740812"),
            with_check("120415"),
            &number[9..],
            check_digit(number).unwrap()
        );
        line2 = format!("{line2:<<35}");
        let composite = format!("{}{}{}", &line2[0..10], &line2[13..20], &line2[21..35]);
        line2.push_str(&check_digit(&composite).unwrap().to_string());
        let m = find(&[TD2[0], &line2]).unwrap();
        assert_eq!(m.format, MrzFormat::Td2);
        assert_eq!(m.number_masked, "********0123");
        assert!(all_ok(&m), "{m:?}");
        // A wrong check digit in the overflow fails the number check.
        let broken = line2.replacen(&format!("123{}", check_digit(number).unwrap()), "1239", 1);
        let broken = if broken == line2 {
            line2.replacen("1230", "1231", 1)
        } else {
            broken
        };
        let m = find(&[TD2[0], &broken]);
        assert!(m.is_none_or(|m| !m.checks[0].ok));
    }

    #[test]
    fn upside_down_hint() {
        assert!(upside_down(&["01>>>>>B622481EZ>>>>>>>", "x"]));
        assert!(upside_down(&["»»»»»"]));
        assert!(!upside_down(&TD3));
        assert!(!upside_down(&["a > b > c"]));
    }

    #[test]
    fn never_panics_on_noise() {
        // A small deterministic generator stands in for the fuzz target in the unit tests.
        let alphabet: Vec<char> = "<<<<<KKK(0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ «>»０Ａ 身"
            .chars()
            .collect();
        let mut noise = crate::testutil::Noise::new(0x9E37_79B9_7F4A_7C15u64);
        let mut next = move || noise.next_u64();
        for _ in 0..3000 {
            let n_lines = (next() % 5) as usize;
            let lines: Vec<String> = (0..n_lines)
                .map(|_| {
                    let len = (next() % 95) as usize;
                    (0..len)
                        .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                        .collect()
                })
                .collect();
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            if let Some(m) = find(&refs) {
                assert!(m.number_masked.chars().filter(|&c| c != '*').count() <= 4);
            }
            let _ = upside_down(&refs);
        }
    }
}
