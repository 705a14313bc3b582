//! Document keywords, field labels and identity-verification (KYC) phrases in OCR'd text.
//!
//! Text and keywords are folded the same way before matching: compatibility forms unified
//! (NFKD, so full-width letters become ASCII), accents dropped, lowercased, traditional Chinese
//! characters of the keywords mapped to simplified ones, punctuation and spaces removed. That
//! survives OCR's lost or doubled spaces; the few short words that hide inside other words
//! (`VISA` in "advisable", `KYC`) must stand alone.
//!
//! [`scan`] only reports what it saw; [`decide`] applies the rule of docs/confirmers.md: one
//! keyword never decides (VISA and LICENSE are printed on bank cards and receipts), two
//! distinct document keywords, or one with two field labels, do.

use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::scan::finding::Kind;

/// How much one document keyword says on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strength {
    /// Names a kind of document: `PASSPORT`, `居民身份证`.
    Strong,
    /// Printed on identity documents of several kinds: `签发机关` (issuing authority),
    /// `有效期限` (validity). Counts as a document keyword but does not choose the kind.
    Generic,
    /// Common outside identity documents too: `VISA` (bank cards), `中华人民共和国`. Never
    /// counts as a document keyword; with field labels it can suggest a kind.
    Weak,
}

/// What [`scan`] found, each keyword once, in the order of the keyword table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeywordHits {
    /// Document keywords, with the kind they point to and their strength.
    pub documents: Vec<(Kind, &'static str, Strength)>,
    /// Phrases of identity-verification screens (`实名认证`, `Verify your identity`).
    pub kyc: Vec<&'static str>,
    /// Field labels of identity documents (`SURNAME`, `姓名`).
    pub field_labels: Vec<&'static str>,
}

/// Occurrences of one keyword looked at: enough for any real page, and it keeps hostile text
/// (the same word ten thousand times) from making the containment test quadratic.
const MAX_OCCURRENCES: usize = 16;

/// Finds every keyword, field label and KYC phrase in `text`. A document keyword inside a
/// longer one (`驾驶证` in `机动车驾驶证`) or inside a KYC phrase (`passport` in "Scan your
/// passport") is not reported on its own.
pub fn scan(text: &str) -> KeywordHits {
    let folded = Folded::new(text);
    let mut found: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    for (i, (entry, pattern)) in TABLE.iter().enumerate() {
        if entry.word {
            if folded.has_word(pattern) {
                // Whole words are matched in another string: they contain and are contained
                // in nothing.
                found.push((i, 0..0));
            }
        } else {
            found.extend(
                folded
                    .compact
                    .match_indices(pattern.as_str())
                    .take(MAX_OCCURRENCES)
                    .map(|(at, m)| (i, at..at + m.len())),
            );
        }
    }
    let inside = |(i, r): &(usize, std::ops::Range<usize>)| {
        matches!(TABLE[*i].0.class, Class::Document(..))
            && !r.is_empty()
            && found.iter().any(|(j, o)| {
                j != i
                    && !matches!(TABLE[*j].0.class, Class::Label)
                    && o.start <= r.start
                    && r.end <= o.end
                    && o.len() > r.len()
            })
    };
    let mut kept: Vec<usize> = found.iter().filter(|f| !inside(f)).map(|f| f.0).collect();
    kept.sort_unstable();
    kept.dedup();
    let mut hits = KeywordHits::default();
    for i in kept {
        let entry = &TABLE[i].0;
        match entry.class {
            Class::Document(kind, strength) => hits.documents.push((kind, entry.text, strength)),
            Class::Kyc => hits.kyc.push(entry.text),
            Class::Label => hits.field_labels.push(entry.text),
        }
    }
    hits
}

/// Decides a document kind from keyword hits, with a confidence and the reasons, or `None`.
///
/// - two or more distinct document keywords (strong or generic), or one with at least two
///   field labels: the kind most strong keywords point to (0.7–0.9);
/// - a weak keyword with at least two field labels: its kind (0.55);
/// - the labels of a Chinese identity card's front (`民族` with two of `姓名`, `性别`, `出生`,
///   `住址`): an identity card (0.6).
///
/// KYC phrases decide nothing here: whether a screenshot is a verification screen is the
/// caller's call.
pub fn decide(hits: &KeywordHits) -> Option<(Kind, f32, Vec<String>)> {
    let of = |s: Strength| -> Vec<&'static str> {
        hits.documents
            .iter()
            .filter(|d| d.2 == s)
            .map(|d| d.1)
            .collect()
    };
    let (strong, generic, weak) = (
        of(Strength::Strong),
        of(Strength::Generic),
        of(Strength::Weak),
    );
    let labels = hits.field_labels.len();
    let documents = strong.len() + generic.len();
    let confidence = match documents {
        3.. => 0.9,
        2 => 0.8,
        1 if labels >= 2 => 0.7,
        _ if !weak.is_empty() && labels >= 2 => 0.55,
        _ if cn_id_front(&hits.field_labels) => 0.6,
        _ => return None,
    };
    let kind = if documents > 0 {
        strongest_kind(hits).unwrap_or(Kind::IdCard)
    } else if let Some(&(kind, ..)) = hits.documents.iter().find(|d| d.2 == Strength::Weak) {
        kind
    } else {
        Kind::IdCard
    };
    let mut reasons = Vec::new();
    let all: Vec<&str> = strong
        .iter()
        .chain(&generic)
        .chain(&weak)
        .copied()
        .collect();
    if !all.is_empty() {
        reasons.push(format!("document keywords: {}", all.join(", ")));
    }
    if labels > 0 {
        reasons.push(format!("field labels: {}", hits.field_labels.join(", ")));
    }
    Some((kind, confidence, reasons))
}

/// The kind most strong keywords point to; on a tie the more specific kind (an identity card
/// number also appears on residence permits, so `IdCard` loses ties).
fn strongest_kind(hits: &KeywordHits) -> Option<Kind> {
    let strong = || hits.documents.iter().filter(|d| d.2 == Strength::Strong);
    strong()
        .map(|d| d.0)
        .max_by_key(|&k| (strong().filter(|d| d.0 == k).count(), k != Kind::IdCard))
}

fn cn_id_front(labels: &[&str]) -> bool {
    labels.contains(&"民族")
        && labels
            .iter()
            .filter(|l| ["姓名", "性别", "出生", "住址"].contains(l))
            .count()
            >= 2
}

/// What a table entry is.
#[derive(Clone, Copy, Debug)]
enum Class {
    Document(Kind, Strength),
    Kyc,
    Label,
}

#[derive(Debug)]
struct Entry {
    text: &'static str,
    class: Class,
    /// Must stand alone as a word (or words) in the text.
    word: bool,
}

const fn doc(text: &'static str, kind: Kind, strength: Strength) -> Entry {
    Entry {
        text,
        class: Class::Document(kind, strength),
        word: false,
    }
}

const fn kyc(text: &'static str) -> Entry {
    Entry {
        text,
        class: Class::Kyc,
        word: false,
    }
}

const fn label(text: &'static str) -> Entry {
    Entry {
        text,
        class: Class::Label,
        word: false,
    }
}

const fn word(entry: Entry) -> Entry {
    Entry {
        word: true,
        ..entry
    }
}

use Kind::{DriverLicence, IdCard, Passport, ResidencePermit, TravelPermit, Visa};
use Strength::{Generic, Strong, Weak};

const ENTRIES: &[Entry] = &[
    // Chinese resident identity card, front and back.
    doc("居民身份证", IdCard, Strong),
    doc("公民身份号码", IdCard, Strong),
    doc("签发机关", IdCard, Generic),
    doc("有效期限", IdCard, Generic),
    doc("中华人民共和国", IdCard, Weak),
    // Passports.
    doc("PASSPORT", Passport, Strong),
    doc("PASSEPORT", Passport, Strong),
    doc("REISEPASS", Passport, Strong),
    doc("PASAPORTE", Passport, Strong),
    doc("PASSAPORTO", Passport, Strong),
    doc("护照", Passport, Strong),
    // Identity cards.
    doc("IDENTITY CARD", IdCard, Strong),
    doc("CARTE D'IDENTITÉ", IdCard, Strong),
    doc("CARTE NATIONALE D'IDENTITÉ", IdCard, Strong),
    doc("PERSONALAUSWEIS", IdCard, Strong),
    doc("DOCUMENTO NACIONAL DE IDENTIDAD", IdCard, Strong),
    // Residence permits.
    doc("RESIDENCE PERMIT", ResidencePermit, Strong),
    doc("TITRE DE SÉJOUR", ResidencePermit, Strong),
    doc("AUFENTHALTSTITEL", ResidencePermit, Strong),
    doc("PERMANENT RESIDENT", ResidencePermit, Strong),
    doc("港澳居民居住证", ResidencePermit, Strong),
    doc("台湾居民居住证", ResidencePermit, Strong),
    // Travel permits.
    doc("往来港澳通行证", TravelPermit, Strong),
    doc("港澳居民来往内地通行证", TravelPermit, Strong),
    doc("台湾居民来往大陆通行证", TravelPermit, Strong),
    doc("EXIT-ENTRY PERMIT", TravelPermit, Strong),
    // Driving licences.
    doc("DRIVER LICENSE", DriverLicence, Strong),
    doc("DRIVER'S LICENSE", DriverLicence, Strong),
    doc("DRIVER LICENCE", DriverLicence, Strong),
    doc("DRIVING LICENCE", DriverLicence, Strong),
    doc("驾驶证", DriverLicence, Strong),
    doc("机动车驾驶证", DriverLicence, Strong),
    // Visas: the word alone is on every Visa card.
    word(doc("VISA", Visa, Weak)),
    // Field labels.
    label("SURNAME"),
    label("GIVEN NAMES"),
    label("DATE OF BIRTH"),
    label("PLACE OF BIRTH"),
    label("NATIONALITY"),
    label("DATE OF ISSUE"),
    label("DATE OF EXPIRY"),
    label("姓名"),
    label("性别"),
    label("民族"),
    label("出生"),
    label("住址"),
    // Identity-verification screens.
    kyc("身份认证"),
    kyc("实名认证"),
    kyc("人脸识别"),
    kyc("活体检测"),
    kyc("请拍摄身份证"),
    kyc("上传身份证"),
    kyc("身份证正面"),
    kyc("身份证反面"),
    kyc("Identity Verification"),
    kyc("Verify your identity"),
    word(kyc("KYC")),
    word(kyc("Upload your ID")),
    kyc("Take a selfie"),
    kyc("Scan your passport"),
    kyc("Liveness"),
    kyc("Proof of identity"),
];

/// Every entry with its folded pattern: the spaced form for whole words, else the compact form.
static TABLE: LazyLock<Vec<(&'static Entry, String)>> = LazyLock::new(|| {
    ENTRIES
        .iter()
        .map(|e| {
            let folded = Folded::new(e.text);
            (
                e,
                if e.word {
                    folded.spaced
                } else {
                    folded.compact
                },
            )
        })
        .collect()
});

/// Text folded for matching.
struct Folded {
    /// Words separated by single spaces.
    spaced: String,
    /// The same without spaces.
    compact: String,
}

impl Folded {
    fn new(text: &str) -> Self {
        let mut spaced = String::with_capacity(text.len());
        let mut push = |c: char| {
            if c.is_alphanumeric() {
                if c.is_ascii() {
                    spaced.push(c.to_ascii_lowercase());
                } else {
                    spaced.extend(c.to_lowercase().map(simplified));
                }
            } else if !spaced.is_empty() && !spaced.ends_with(' ') {
                spaced.push(' ');
            }
        };
        // ASCII needs no decomposition; most OCR text is ASCII.
        if text.is_ascii() {
            text.chars().for_each(&mut push);
        } else {
            text.nfkd()
                .filter(|&c| !is_combining_mark(c))
                .for_each(push);
        }
        let trimmed = spaced.trim_end().len();
        spaced.truncate(trimmed);
        let compact = spaced.chars().filter(|&c| c != ' ').collect();
        Folded { spaced, compact }
    }

    /// True if `words` (folded, single spaces) appears as whole words.
    fn has_word(&self, words: &str) -> bool {
        self.spaced.match_indices(words).any(|(at, m)| {
            let before = self.spaced[..at].chars().next_back();
            let after = self.spaced[at + m.len()..].chars().next();
            before.is_none_or(|c| c == ' ') && after.is_none_or(|c| c == ' ')
        })
    }
}

/// The simplified form of the traditional characters that occur in the keywords, so that
/// Hong Kong, Macao and Taiwan documents (`身份證`, `護照`) match too.
fn simplified(c: char) -> char {
    match c {
        '證' => '证',
        '護' => '护',
        '號' => '号',
        '碼' => '码',
        '簽' => '签',
        '發' => '发',
        '機' => '机',
        '關' => '关',
        '駕' => '驾',
        '駛' => '驶',
        '來' => '来',
        '臺' => '台',
        '灣' => '湾',
        '認' => '认',
        '實' => '实',
        '臉' => '脸',
        '識' => '识',
        '測' => '测',
        '檢' => '检',
        '請' => '请',
        '攝' => '摄',
        '傳' => '传',
        '華' => '华',
        '國' => '国',
        '陸' => '陆',
        '動' => '动',
        '車' => '车',
        '內' => '内',
        '別' => '别',
        '體' => '体',
        '區' => '区',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Option<Kind> {
        decide(&scan(text)).map(|d| d.0)
    }

    #[test]
    fn chinese_id_card_back_and_front() {
        let back = "中华人民共和国\n居民身份证\n签发机关 北京市公安局朝阳分局\n有效期限 2015.03.01-2035.03.01";
        let hits = scan(back);
        assert_eq!(
            hits.documents,
            [
                (IdCard, "居民身份证", Strong),
                (IdCard, "签发机关", Generic),
                (IdCard, "有效期限", Generic),
                (IdCard, "中华人民共和国", Weak),
            ]
        );
        let (kind, confidence, reasons) = decide(&hits).unwrap();
        assert_eq!(kind, IdCard);
        assert_eq!(confidence, 0.9);
        assert!(reasons[0].contains("居民身份证"));
        let front = "姓名 张三\n性别 男 民族 汉\n出生 1990年3月7日\n住址 北京市朝阳区\n公民身份号码 110105199003071234";
        let (kind, confidence, _) = decide(&scan(front)).unwrap();
        assert_eq!((kind, confidence), (IdCard, 0.7));
        // The front without its number line still reads as a card front.
        let front = "姓名 张三\n性别 男 民族 汉\n出生 1990年3月7日\n住址 北京市朝阳区";
        assert_eq!(
            decide(&scan(front)).map(|d| (d.0, d.1)),
            Some((IdCard, 0.6))
        );
    }

    #[test]
    fn passports_in_several_languages_and_forms() {
        assert_eq!(kinds("中华人民共和国 护照 PASSPORT"), Some(Passport));
        assert_eq!(kinds("PASSPORT / PASSEPORT"), Some(Passport));
        assert_eq!(kinds("Ｐａｓｓｐｏｒｔ reise pass"), Some(Passport));
        assert_eq!(
            kinds("PASSPORT\nSurname / Nom\nERIKSSON\nGiven names / Prénoms\nNationality"),
            Some(Passport)
        );
        // Traditional characters (Hong Kong, Taiwan).
        assert_eq!(kinds("中華民國護照 PASSPORT"), Some(Passport));
        assert_eq!(
            kinds("香港永久性居民身份證 HONG KONG PERMANENT IDENTITY CARD"),
            Some(IdCard)
        );
    }

    #[test]
    fn other_documents() {
        assert_eq!(
            kinds("CARTE NATIONALE D'IDENTITÉ / IDENTITY CARD"),
            Some(IdCard)
        );
        assert_eq!(
            kinds("BUNDESREPUBLIK DEUTSCHLAND PERSONALAUSWEIS IDENTITY CARD"),
            Some(IdCard)
        );
        assert_eq!(
            kinds("TITRE DE SEJOUR RESIDENCE PERMIT"),
            Some(ResidencePermit)
        );
        assert_eq!(
            kinds("AUFENTHALTSTITEL\nName\nDATE OF BIRTH NATIONALITY"),
            Some(ResidencePermit)
        );
        assert_eq!(
            kinds("港澳居民居住证 公民身份号码 签发机关"),
            Some(ResidencePermit)
        );
        assert_eq!(
            kinds("往来港澳通行证 EXIT-ENTRY PERMIT"),
            Some(TravelPermit)
        );
        assert_eq!(
            kinds("中华人民共和国机动车驾驶证 姓名 性别 住址 有效期限"),
            Some(DriverLicence)
        );
        assert_eq!(
            kinds("CALIFORNIA DRIVER LICENSE DOB 01/02/1990 EXP"),
            None,
            "one keyword alone never decides"
        );
        assert_eq!(
            kinds("DRIVING LICENCE 1. SURNAME 2. GIVEN NAMES 3. DATE OF BIRTH"),
            Some(DriverLicence)
        );
        assert_eq!(kinds("VISA SURNAME GIVEN NAMES DATE OF BIRTH"), Some(Visa));
    }

    #[test]
    fn nested_keywords_count_once() {
        let hits = scan("中华人民共和国机动车驾驶证");
        let names: Vec<&str> = hits.documents.iter().map(|d| d.1).collect();
        assert_eq!(names, ["中华人民共和国", "机动车驾驶证"]);
        assert_eq!(decide(&hits), None);
    }

    #[test]
    fn bank_cards_receipts_and_business_cards_do_not_fire() {
        for text in [
            "VISA\n4111 1111 1111 1111\nVALID THRU 12/28\nJOHN DOE",
            "VISA DEBIT  VALID THRU 09/27  CARDHOLDER SINCE 2015  PLATINUM",
            "SUPERMARKET\nTOTAL 12.50\nVISA ************1234\nAUTH 123456\nTHANK YOU",
            "SOFTWARE LICENSE AGREEMENT\nLICENSE KEY XXXX-YYYY\nVISA MASTERCARD",
            "John Smith\nSenior Engineer\nTel +1 555 0100\njohn@example.com\nVisa & Immigration Consulting",
            "It is advisable to bring your passport to the check-in counter.",
            "",
        ] {
            assert_eq!(decide(&scan(text)), None, "{text}");
        }
        // The word hides inside another word: no hit at all.
        assert!(scan("advisable").documents.is_empty());
    }

    #[test]
    fn kyc_phrases_are_reported_not_decided() {
        let hits = scan("实名认证\n请拍摄身份证正面\n人脸识别");
        assert_eq!(
            hits.kyc,
            ["实名认证", "人脸识别", "请拍摄身份证", "身份证正面"]
        );
        assert!(hits.documents.is_empty());
        assert_eq!(decide(&hits), None);
        let hits = scan("Verify your identity\nScan your passport\nTake a selfie\nKYC level 2");
        assert_eq!(
            hits.kyc,
            [
                "Verify your identity",
                "KYC",
                "Take a selfie",
                "Scan your passport"
            ]
        );
        assert!(hits.documents.is_empty(), "{:?}", hits.documents);
        assert!(scan("Upload your ideas").kyc.is_empty());
        assert_eq!(scan("UPLOAD YOUR ID.").kyc, ["Upload your ID"]);
    }

    #[test]
    fn folding() {
        let f = Folded::new("  Carte d'Identité —  ＰＡＳＳ  ");
        assert_eq!(f.spaced, "carte d identite pass");
        assert_eq!(f.compact, "cartedidentitepass");
        assert_eq!(Folded::new("身份證").compact, "身份证");
    }

    #[test]
    fn never_panics_on_noise() {
        let alphabet: Vec<char> = "aAéÉ ＰVISA证證身份 '-\n\u{301}\u{202e}0".chars().collect();
        let mut noise = crate::testutil::Noise::new(0x1234_5678_9ABC_DEF1u64);
        let mut next = move || noise.next_u64();
        for _ in 0..2000 {
            let len = (next() % 80) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let _ = decide(&scan(&text));
        }
    }
}
