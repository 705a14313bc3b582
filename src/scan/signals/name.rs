//! Signals from file and folder names: the names that operating systems give screen recordings
//! and screenshots, scanner-app export names, and document words in English, Chinese and a few
//! other languages. Sources for each pattern are in docs/signals.md.

use std::sync::LazyLock;

use regex::Regex;

use crate::media::caps::Medium;
use crate::scan::finding::{Evidence, Kind};

/// A name pattern, the kind it points to, its weight, and the reason shown to people.
struct Pattern {
    re: Regex,
    kind: Kind,
    weight: f32,
    signal: &'static str,
    what: &'static str,
}

fn pat(re: &str, kind: Kind, weight: f32, signal: &'static str, what: &'static str) -> Pattern {
    Pattern {
        re: Regex::new(re).expect("valid built-in pattern"),
        kind,
        weight,
        signal,
        what,
    }
}

/// Patterns for the file name of a video.
static RECORDING_NAMES: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    use Kind::ScreenRecording as R;
    vec![
        pat(
            r"(?i)^RPReplay_Final\d{9,11}",
            R,
            0.95,
            "name.replaykit",
            "iOS screen recording name (RPReplay_Final…, written by ReplayKit)",
        ),
        pat(
            r"(?i)^screen[_ ]recording[_ ]\d{8}[_ ]\d{6}",
            R,
            0.9,
            "name.android_recording",
            "Android screen recording name (Samsung/Pixel Screen_Recording_YYYYMMDD_HHMMSS)",
        ),
        pat(
            r"(?i)^screenrecorder-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}",
            R,
            0.85,
            "name.miui_recording",
            "Xiaomi screen recorder name (Screenrecorder-YYYY-MM-DD-…)",
        ),
        pat(
            r"(?i)^screen[_ ]recording[_ ]\d{4}-\d{2}-\d{2}[_ ]at[_ ]\d{1,2}\.\d{2}\.\d{2}",
            R,
            0.9,
            "name.macos_recording",
            "macOS screen recording name (Screen Recording YYYY-MM-DD at …)",
        ),
        pat(
            r"(?i)^screen[_ ]recording[_ ]\d{4}-\d{2}-\d{2}[_ ]\d{6}",
            R,
            0.9,
            "name.windows_recording",
            "Windows Snipping Tool recording name (Screen Recording YYYY-MM-DD HHMMSS)",
        ),
        pat(
            r"(?i)screen[_ -]?record|录屏|屏幕录制|錄屏|螢幕錄影",
            R,
            0.7,
            "name.recording_word",
            "the name says it is a screen recording",
        ),
        pat(
            r"^\d{4}-\d{2}-\d{2} \d{2}-\d{2}-\d{2}\.(?i:mkv|mp4|mov|flv)$",
            R,
            0.4,
            "name.obs_recording",
            "OBS Studio's default recording name (YYYY-MM-DD HH-MM-SS)",
        ),
    ]
});

/// Patterns for the file name of an image.
static SCREENSHOT_NAMES: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    use Kind::Screenshot as S;
    vec![
        pat(
            r"(?i)^screen ?shot[_ ]\d{4}-\d{2}-\d{2}[_ ]at[_ ]",
            S,
            0.9,
            "name.macos_screenshot",
            "macOS screenshot name (Screenshot YYYY-MM-DD at …)",
        ),
        pat(
            r"^Bildschirmfoto \d{4}-\d{2}-\d{2} um ",
            S,
            0.9,
            "name.macos_screenshot",
            "macOS screenshot name, German (Bildschirmfoto … um …)",
        ),
        pat(
            r"(?i)^screenshot \d{4}-\d{2}-\d{2} \d{6}",
            S,
            0.9,
            "name.windows_screenshot",
            "Windows Snipping Tool screenshot name (Screenshot YYYY-MM-DD HHMMSS)",
        ),
        pat(
            r"(?i)^screenshot \(\d+\)",
            S,
            0.9,
            "name.windows_screenshot",
            "Windows screenshot name (Screenshot (N))",
        ),
        pat(
            r"(?i)^screenshot_\d{8}[-_]\d{6}",
            S,
            0.9,
            "name.android_screenshot",
            "Android screenshot name (Screenshot_YYYYMMDD-HHMMSS)",
        ),
        pat(
            r"(?i)^screenshot_\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}",
            S,
            0.9,
            "name.miui_screenshot",
            "Xiaomi screenshot name (Screenshot_YYYY-MM-DD-HH-MM-SS)",
        ),
        pat(
            r"(?i)screen ?shot|截图|截屏|屏幕快照|螢幕截圖|スクリーンショット",
            S,
            0.7,
            "name.screenshot_word",
            "the name says it is a screenshot",
        ),
    ]
});

/// Scanner-app export names (any file type).
static SCANNER_NAMES: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    use Kind::DocumentScan as D;
    vec![
        pat(
            r"(?i)^CamScanner \d{2}-\d{2}-\d{4}",
            D,
            0.8,
            "name.camscanner",
            "CamScanner export name (CamScanner MM-DD-YYYY …)",
        ),
        pat(
            r"(?i)^Adobe Scan ",
            D,
            0.8,
            "name.adobe_scan",
            "Adobe Scan export name",
        ),
        pat(
            r"(?i)microsoft lens|^office lens \d{8}",
            D,
            0.8,
            "name.microsoft_lens",
            "Microsoft (Office) Lens export name",
        ),
        pat(
            r"(?i)^scanned[_ ]document|^scanned_\d{8}",
            D,
            0.6,
            "name.scanned",
            "scanned-document name (iOS Notes/Files or Google Drive scan)",
        ),
        pat(
            r"扫描全能王",
            D,
            0.8,
            "name.camscanner",
            "CamScanner (扫描全能王) export name",
        ),
    ]
});

/// Words that name an identity document, in file or folder names. Each pattern runs on the
/// name as [`words`] spells it: lower case, one space between tokens and one at each end. Latin
/// words are matched as whole tokens (between the spaces), so `passport_scan` and `Passport
/// photos` count and `passporteye` does not; Chinese, Japanese and Korean names carry no spaces
/// between words, so their words are matched anywhere.
static DOCUMENT_WORDS: LazyLock<Vec<(Regex, Kind, &'static str)>> = LazyLock::new(|| {
    let w = |latin: &str, cjk: &str, kind, label| {
        let re = format!(" (?:{latin}) |{cjk}");
        (
            Regex::new(&re).expect("valid built-in pattern"),
            kind,
            label,
        )
    };
    vec![
        w(
            r"passports?|passeports?|reisepass|reisepässe|pasaportes?|passaport[oi]",
            r"护照|護照|パスポート|여권",
            Kind::Passport,
            "a passport",
        ),
        w(
            r"holding (?:my )?(?:id|passport)|id ?selfie|selfie (?:with )?id|selfie ?id",
            r"手持身份证|手持证件|手持护照",
            Kind::IdSelfie,
            "a selfie holding an ID",
        ),
        w(
            r"id ?cards?|identity ?cards?|national ?id|personalausweis|carte d ?identit[ée]|sfz|id (?:front|back)",
            r"身份证|身份證|居民身份",
            Kind::IdCard,
            "an identity card",
        ),
        w(
            r"driv(?:er|ing)(?: ?s)? ?licen[cs]es?|führerschein|fuhrerschein",
            r"驾驶证|驾照|駕照|駕駛執照",
            Kind::DriverLicence,
            "a driver licence",
        ),
        w(
            r"residen(?:ce|t) ?(?:permit|card)s?|aufenthaltstitel|titre de s[ée]jour|green ?card",
            r"居住证|居留证|居留許可",
            Kind::ResidencePermit,
            "a residence permit",
        ),
        w(
            r"travel ?permits?|exit ?entry ?permits?",
            r"港澳通行证|往来港澳|往來港澳|台湾通行证|赴台|回乡证|回鄉證|台胞证|台胞證",
            Kind::TravelPermit,
            "a travel permit",
        ),
        w(r"visas?", r"签证|簽證|査証", Kind::Visa, "a visa"),
        w(
            r"kyc|identity ?verif\w*|verify (?:your )?identity|id ?verif\w*|liveness",
            r"实名认证|實名認證|身份认证|身份驗證|身份验证|人脸识别|人臉識別|活体检测",
            Kind::KycScreenshot,
            "an identity verification",
        ),
    ]
});

/// The tokens of a file or folder name, lower-cased, with one space between them and one at
/// each end: a name is cut wherever a character is neither a letter nor a digit (`_`, `-`,
/// `.`, spaces), between letters and digits, between a lower- and an upper-case letter
/// (`myPassport`, `IDCard`), and between cased letters and letters of scripts without case
/// (`scan护照`).
fn words(name: &str) -> String {
    #[derive(Clone, Copy, PartialEq)]
    enum Class {
        Upper,
        Lower,
        Digit,
        Uncased,
        Gap,
    }
    let class = |c: char| {
        if c.is_uppercase() {
            Class::Upper
        } else if c.is_lowercase() {
            Class::Lower
        } else if c.is_numeric() {
            Class::Digit
        } else if c.is_alphanumeric() {
            Class::Uncased
        } else {
            Class::Gap
        }
    };
    let chars: Vec<(char, Class)> = name.chars().map(|c| (c, class(c))).collect();
    let mut out = String::from(" ");
    for (i, &(c, k)) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p].1);
        let next = chars.get(i + 1).map(|n| n.1);
        let cut = match (prev, k) {
            (None, _) | (_, Class::Gap) => false,
            (Some(Class::Gap), _) => true,
            (Some(Class::Lower), Class::Upper) => true,
            // The last capital of a run that starts a capitalised word: `IDCard` → `id card`.
            (Some(Class::Upper), Class::Upper) => next == Some(Class::Lower),
            (Some(p), k) => {
                let cased = |x| matches!(x, Class::Upper | Class::Lower);
                !(cased(p) && cased(k)) && p != k
            }
        };
        if cut && !out.ends_with(' ') {
            out.push(' ');
        }
        if k != Class::Gap {
            out.extend(c.to_lowercase());
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// Adds the votes that the file name and the names of its folders support. `dirs` are the
/// folder names from the scan root down to the file's parent; `medium` is what the file shows,
/// from the capability table: a recording's name is read for screen-recording names, a still's
/// for screenshot names.
pub fn signals(medium: Medium, file_name: &str, dirs: &[&str], ev: &mut Evidence) {
    let recording = medium == Medium::Recording;
    let name_patterns: &[Pattern] = if recording {
        &RECORDING_NAMES
    } else {
        &SCREENSHOT_NAMES
    };
    for p in name_patterns.iter().chain(SCANNER_NAMES.iter()) {
        if p.re.is_match(file_name) {
            ev.vote(p.kind, p.weight, p.signal, p.what.to_string());
            // The first, most specific pattern of a group explains the name.
            break;
        }
    }
    folder_signals(recording, dirs, ev);
    document_words(recording, file_name, dirs, ev);
}

/// Folders where phones put screenshots and recordings.
fn folder_signals(recording: bool, dirs: &[&str], ev: &mut Evidence) {
    for dir in dirs.iter().rev() {
        let lower = dir.to_lowercase();
        let recording_dir = matches!(
            lower.as_str(),
            "screen recordings"
                | "screenrecorder"
                | "screenrecordings"
                | "screen_recordings"
                | "录屏"
        );
        let screenshot_dir = matches!(
            lower.as_str(),
            "screenshots" | "screenshot" | "截图" | "截屏" | "屏幕截图"
        );
        if recording && recording_dir {
            ev.vote(
                Kind::ScreenRecording,
                0.6,
                "name.recording_folder",
                format!("inside a screen-recordings folder ({dir})"),
            );
            return;
        }
        if !recording && screenshot_dir {
            ev.vote(
                Kind::Screenshot,
                0.6,
                "name.screenshot_folder",
                format!("inside a screenshots folder ({dir})"),
            );
            return;
        }
    }
}

/// Document words: strong in the file name, weaker in a folder name.
fn document_words(recording: bool, file_name: &str, dirs: &[&str], ev: &mut Evidence) {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    let mut seen: Vec<Kind> = Vec::new();
    let places = std::iter::once((stem, true)).chain(dirs.iter().rev().map(|d| (*d, false)));
    for (text, is_file) in places {
        let spelt = words(text);
        for (re, kind, label) in DOCUMENT_WORDS.iter() {
            if seen.contains(kind) || !re.is_match(&spelt) {
                continue;
            }
            seen.push(*kind);
            let (kind, signal, weight) = word_vote(recording, *kind, is_file);
            let whose = if is_file { "file name" } else { "folder name" };
            let shown = text;
            ev.vote(
                kind,
                weight,
                signal,
                format!("{whose} \"{shown}\" mentions {label}"),
            );
        }
    }
}

/// Most a document word in a name weighs once the pixels were analysed and showed nothing:
/// a name alone then stays below `secure`'s default threshold (0.5).
const UNCONFIRMED_WEIGHT: f32 = 0.4;

/// Lowers the votes of document words in the names to [`UNCONFIRMED_WEIGHT`]: called when the
/// file's pixels were analysed and showed nothing, so the name is all that speaks for a
/// document.
pub fn pixels_showed_nothing(ev: &mut Evidence) {
    for v in &mut ev.votes {
        if v.reason.signal.starts_with("name.document") && v.weight > UNCONFIRMED_WEIGHT {
            v.weight = UNCONFIRMED_WEIGHT;
            v.reason
                .detail
                .push_str(" (its pixels were analysed and showed no document)");
        }
    }
}

/// Maps a document word to the vote it makes in a recording's or a still's name, and place.
fn word_vote(recording: bool, kind: Kind, in_file_name: bool) -> (Kind, &'static str, f32) {
    let (signal, weight) = if in_file_name {
        ("name.document_word", 0.7)
    } else {
        ("name.document_folder", 0.5)
    };
    match kind {
        // A video about a verification is a recording of it.
        Kind::KycScreenshot if recording => (Kind::ScreenRecording, signal, weight),
        // "visa" is also a card brand: never decide on it alone.
        Kind::Visa => (kind, signal, weight * 0.6),
        _ => (kind, signal, weight),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(t: Medium, name: &str, dirs: &[&str]) -> Option<(Kind, f32)> {
        let mut ev = Evidence::default();
        signals(t, name, dirs, &mut ev);
        ev.decide().map(|v| (v.kind, v.confidence))
    }

    #[test]
    fn recordings() {
        let r = Some(Kind::ScreenRecording);
        assert_eq!(
            verdict(Medium::Recording, "RPReplay_Final1712345678.MP4", &[]).map(|v| v.0),
            r
        );
        assert_eq!(
            verdict(
                Medium::Recording,
                "Screen_Recording_20250429_205231_Chrome Beta.mp4",
                &[]
            )
            .map(|v| v.0),
            r
        );
        assert_eq!(
            verdict(
                Medium::Recording,
                "Screen_recording_20251019_225007.mp4",
                &[]
            )
            .map(|v| v.0),
            r
        );
        assert_eq!(
            verdict(
                Medium::Recording,
                "Screen Recording 2024-07-24 at 1.40.04 PM.mov",
                &[]
            )
            .map(|v| v.0),
            r
        );
        assert_eq!(
            verdict(
                Medium::Recording,
                "Screen Recording 2025-08-20 120146.mp4",
                &[]
            )
            .map(|v| v.0),
            r
        );
        assert_eq!(
            verdict(
                Medium::Recording,
                "VID_20240101_120000.mp4",
                &["DCIM", "Camera"]
            ),
            None
        );
    }

    #[test]
    fn screenshots_and_scans() {
        let s = Some(Kind::Screenshot);
        assert_eq!(
            verdict(Medium::Still, "Screenshot 2024-03-01 at 10.22.01.png", &[]).map(|v| v.0),
            s
        );
        assert_eq!(
            verdict(Medium::Still, "Screenshot_20240301-102201.png", &[]).map(|v| v.0),
            s
        );
        assert_eq!(
            verdict(Medium::Still, "IMG_0001.jpg", &["Pictures", "Screenshots"]).map(|v| v.0),
            s
        );
        assert_eq!(
            verdict(Medium::Still, "CamScanner 03-08-2024 16.22_6.jpg", &[]).map(|v| v.0),
            Some(Kind::DocumentScan)
        );
    }

    #[test]
    fn document_words_in_names() {
        assert_eq!(
            verdict(Medium::Still, "身份证正面.jpg", &[]).map(|v| v.0),
            Some(Kind::IdCard)
        );
        assert_eq!(
            verdict(Medium::Still, "my_passport_scan.jpg", &[]).map(|v| v.0),
            Some(Kind::Passport)
        );
        assert_eq!(
            verdict(Medium::Still, "IMG_1.jpg", &["护照"]).map(|v| v.0),
            Some(Kind::Passport)
        );
        assert_eq!(
            verdict(Medium::Still, "港澳通行证.jpg", &[]).map(|v| v.0),
            Some(Kind::TravelPermit)
        );
        assert_eq!(
            verdict(Medium::Still, "驾驶证.jpg", &[]).map(|v| v.0),
            Some(Kind::DriverLicence)
        );
        assert_eq!(
            verdict(Medium::Still, "kyc_upload.jpg", &[]).map(|v| v.0),
            Some(Kind::KycScreenshot)
        );
        assert_eq!(
            verdict(Medium::Recording, "kyc.mp4", &[]).map(|v| v.0),
            Some(Kind::ScreenRecording)
        );
        let (k, c) = verdict(Medium::Still, "visa.jpg", &[]).unwrap();
        assert_eq!(k, Kind::Visa);
        assert!(c < 0.5, "a lone 'visa' must stay below 0.5, got {c}");
        // Ordinary words that contain the short forms must not match.
        assert_eq!(verdict(Medium::Still, "provisional_idea.jpg", &[]), None);
        assert_eq!(verdict(Medium::Still, "holiday.jpg", &["Vacation"]), None);
    }

    #[test]
    fn document_words_count_as_words_not_inside_other_words() {
        let passport = Some(Kind::Passport);
        let kind = |name: &str, dirs: &[&str]| verdict(Medium::Still, name, dirs).map(|v| v.0);
        assert_eq!(kind("passport_scan.jpg", &[]), passport);
        assert_eq!(kind("IMG_1.jpg", &["Passport photos"]), passport);
        assert_eq!(kind("myPassport2024.jpg", &[]), passport);
        assert_eq!(kind("scan护照1.jpg", &[]), passport);
        assert_eq!(kind("IDCard-front.jpg", &[]), Some(Kind::IdCard));
        assert_eq!(kind("drivers-license.png", &[]), Some(Kind::DriverLicence));
        // A project named after passports is not a passport; nor are words that hold one.
        assert_eq!(kind("img001.jpg", &["src", "passporteye", "tests"]), None);
        assert_eq!(kind("kycheck_logo.png", &[]), None);
        assert_eq!(kind("visage.jpg", &["rapid_card_reader"]), None);
        assert_eq!(words("IDCard_front-2.JPG"), " id card front 2 jpg ");
        assert_eq!(words("scan护照"), " scan 护照 ");
    }
}
