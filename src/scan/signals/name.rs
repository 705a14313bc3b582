//! Signals from file and folder names: the names that operating systems give screen recordings
//! and screenshots, scanner-app export names, and document words in English, Chinese and a few
//! other languages. Sources for each pattern are in docs/signals.md.

use std::sync::LazyLock;

use regex::Regex;

use crate::files::sniff::FileType;
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

/// Words that name an identity document, in file or folder names.
static DOCUMENT_WORDS: LazyLock<Vec<(Regex, Kind, &'static str)>> = LazyLock::new(|| {
    let w = |re: &str, kind, label| (Regex::new(re).expect("valid built-in pattern"), kind, label);
    vec![
        w(
            r"(?i)passport|passeport|reisepass|pasaporte|passaporto|护照|護照|パスポート|여권",
            Kind::Passport,
            "a passport",
        ),
        w(
            r"(?i)手持身份证|手持证件|手持护照|holding[ _-]?(my[ _-]?)?(id|passport)|id[ _-]?selfie|selfie[ _-]?(with[ _-]?)?id",
            Kind::IdSelfie,
            "a selfie holding an ID",
        ),
        w(
            r"(?i)(^|[^a-z])id[ _-]?card|identity[ _-]?card|national[ _-]?id|personalausweis|carte[ _-]d.identit|身份证|身份證|居民身份|sfz|(^|[^a-z])id[ _-]?(front|back)([^a-z]|$)",
            Kind::IdCard,
            "an identity card",
        ),
        w(
            r"(?i)driv(er|ing)'?s?[ _-]?licen[cs]e|driver[ _-]?licen[cs]e|führerschein|驾驶证|驾照|駕照|駕駛執照",
            Kind::DriverLicence,
            "a driver licence",
        ),
        w(
            r"(?i)residen(ce|t)[ _-]?(permit|card)|aufenthaltstitel|titre[ _-]de[ _-]s[ée]jour|居住证|居留证|居留許可|居留证|green[ _-]?card",
            Kind::ResidencePermit,
            "a residence permit",
        ),
        w(
            r"(?i)港澳通行证|往来港澳|往來港澳|台湾通行证|赴台|回乡证|回鄉證|台胞证|台胞證|travel[ _-]?permit|exit[ _-]?entry[ _-]?permit",
            Kind::TravelPermit,
            "a travel permit",
        ),
        w(
            r"(?i)(^|[^a-z])visa([^a-z]|$)|签证|簽證|査証",
            Kind::Visa,
            "a visa",
        ),
        w(
            r"(?i)(^|[^a-z])kyc([^a-z]|$)|identity[ _-]?verif|verify[ _-]?(your[ _-]?)?identity|id[ _-]?verif|实名认证|實名認證|身份认证|身份驗證|身份验证|人脸识别|人臉識別|活体检测|liveness",
            Kind::KycScreenshot,
            "an identity verification",
        ),
    ]
});

/// Adds the votes that the file name and the names of its folders support. `dirs` are the
/// folder names from the scan root down to the file's parent.
pub fn signals(t: FileType, file_name: &str, dirs: &[&str], ev: &mut Evidence) {
    let name_patterns: &[Pattern] = if t.is_video() {
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
    folder_signals(t, dirs, ev);
    document_words(t, file_name, dirs, ev);
}

/// Folders where phones put screenshots and recordings.
fn folder_signals(t: FileType, dirs: &[&str], ev: &mut Evidence) {
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
        if t.is_video() && recording_dir {
            ev.vote(
                Kind::ScreenRecording,
                0.6,
                "name.recording_folder",
                format!("inside a screen-recordings folder ({dir})"),
            );
            return;
        }
        if !t.is_video() && screenshot_dir {
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
fn document_words(t: FileType, file_name: &str, dirs: &[&str], ev: &mut Evidence) {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    let mut seen: Vec<Kind> = Vec::new();
    let places = std::iter::once((stem, true)).chain(dirs.iter().rev().map(|d| (*d, false)));
    for (text, is_file) in places {
        for (re, kind, label) in DOCUMENT_WORDS.iter() {
            if seen.contains(kind) || !re.is_match(text) {
                continue;
            }
            seen.push(*kind);
            let (kind, signal, weight) = word_vote(t, *kind, is_file);
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

/// Maps a document word to the vote it makes for this file type and place.
fn word_vote(t: FileType, kind: Kind, in_file_name: bool) -> (Kind, &'static str, f32) {
    let (signal, weight) = if in_file_name {
        ("name.document_word", 0.7)
    } else {
        ("name.document_folder", 0.5)
    };
    match kind {
        // A video about a verification is a recording of it.
        Kind::KycScreenshot if t.is_video() => (Kind::ScreenRecording, signal, weight),
        // "visa" is also a card brand: never decide on it alone.
        Kind::Visa => (kind, signal, weight * 0.6),
        _ => (kind, signal, weight),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(t: FileType, name: &str, dirs: &[&str]) -> Option<(Kind, f32)> {
        let mut ev = Evidence::default();
        signals(t, name, dirs, &mut ev);
        ev.decide().map(|v| (v.kind, v.confidence))
    }

    #[test]
    fn recordings() {
        let r = Some(Kind::ScreenRecording);
        assert_eq!(
            verdict(FileType::Mp4, "RPReplay_Final1712345678.MP4", &[]).map(|v| v.0),
            r
        );
        assert_eq!(
            verdict(
                FileType::Mp4,
                "Screen_Recording_20250429_205231_Chrome Beta.mp4",
                &[]
            )
            .map(|v| v.0),
            r
        );
        assert_eq!(
            verdict(FileType::Mp4, "Screen_recording_20251019_225007.mp4", &[]).map(|v| v.0),
            r
        );
        assert_eq!(
            verdict(
                FileType::Mov,
                "Screen Recording 2024-07-24 at 1.40.04 PM.mov",
                &[]
            )
            .map(|v| v.0),
            r
        );
        assert_eq!(
            verdict(FileType::Mp4, "Screen Recording 2025-08-20 120146.mp4", &[]).map(|v| v.0),
            r
        );
        assert_eq!(
            verdict(
                FileType::Mp4,
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
            verdict(FileType::Png, "Screenshot 2024-03-01 at 10.22.01.png", &[]).map(|v| v.0),
            s
        );
        assert_eq!(
            verdict(FileType::Png, "Screenshot_20240301-102201.png", &[]).map(|v| v.0),
            s
        );
        assert_eq!(
            verdict(FileType::Jpeg, "IMG_0001.jpg", &["Pictures", "Screenshots"]).map(|v| v.0),
            s
        );
        assert_eq!(
            verdict(FileType::Jpeg, "CamScanner 03-08-2024 16.22_6.jpg", &[]).map(|v| v.0),
            Some(Kind::DocumentScan)
        );
    }

    #[test]
    fn document_words_in_names() {
        assert_eq!(
            verdict(FileType::Jpeg, "身份证正面.jpg", &[]).map(|v| v.0),
            Some(Kind::IdCard)
        );
        assert_eq!(
            verdict(FileType::Jpeg, "my_passport_scan.jpg", &[]).map(|v| v.0),
            Some(Kind::Passport)
        );
        assert_eq!(
            verdict(FileType::Jpeg, "IMG_1.jpg", &["护照"]).map(|v| v.0),
            Some(Kind::Passport)
        );
        assert_eq!(
            verdict(FileType::Jpeg, "港澳通行证.jpg", &[]).map(|v| v.0),
            Some(Kind::TravelPermit)
        );
        assert_eq!(
            verdict(FileType::Jpeg, "驾驶证.jpg", &[]).map(|v| v.0),
            Some(Kind::DriverLicence)
        );
        assert_eq!(
            verdict(FileType::Jpeg, "kyc_upload.jpg", &[]).map(|v| v.0),
            Some(Kind::KycScreenshot)
        );
        assert_eq!(
            verdict(FileType::Mp4, "kyc.mp4", &[]).map(|v| v.0),
            Some(Kind::ScreenRecording)
        );
        let (k, c) = verdict(FileType::Jpeg, "visa.jpg", &[]).unwrap();
        assert_eq!(k, Kind::Visa);
        assert!(c < 0.5, "a lone 'visa' must stay below 0.5, got {c}");
        // Ordinary words that contain the short forms must not match.
        assert_eq!(verdict(FileType::Jpeg, "provisional_idea.jpg", &[]), None);
        assert_eq!(verdict(FileType::Jpeg, "holiday.jpg", &["Vacation"]), None);
    }
}
