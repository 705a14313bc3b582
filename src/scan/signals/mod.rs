//! Stage 0: cheap signals from the file's name, its folders and its header metadata. Each signal
//! votes for a kind with a weight and a reason a person can check.

pub mod container;
pub mod exif;
pub mod name;
mod screens;
pub mod xmp;

use crate::media::sniff::FileType;
use crate::scan::finding::{Evidence, Kind, Risk};

/// What the file's headers say, as far as the scanner cares.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeaderMeta {
    pub make: Option<String>,
    pub model: Option<String>,
    pub software: Option<String>,
    /// EXIF or XMP UserComment (iOS writes "Screenshot").
    pub user_comment: Option<String>,
    pub gps: bool,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// EXIF orientation, 1–8.
    pub orientation: Option<u16>,
    pub duration_secs: Option<f64>,
    /// Encoder tag of a video (`©too`), e.g. "Lavf60.3.100".
    pub encoder: Option<String>,
}

impl HeaderMeta {
    fn has_camera(&self) -> bool {
        self.make.is_some() || self.model.is_some()
    }

    fn dimensions(&self) -> Option<(u32, u32)> {
        Some((self.width?, self.height?))
    }
}

/// Adds the votes, notes and risks that the header metadata supports.
pub fn from_metadata(t: FileType, meta: &HeaderMeta, ev: &mut Evidence) {
    if meta.gps {
        ev.risk(Risk::Gps);
    }
    if let Some(comment) = &meta.user_comment
        && comment.trim().eq_ignore_ascii_case("screenshot")
    {
        ev.vote(
            Kind::Screenshot,
            0.95,
            "meta.user_comment",
            "metadata UserComment is \"Screenshot\" (written by iOS)".into(),
        );
    }
    if let Some(sw) = &meta.software {
        software_signals(sw, ev);
    }
    if let Some(enc) = &meta.encoder {
        ev.note("meta.encoder", format!("encoded by {enc}"));
    }
    let Some((w, h)) = meta.dimensions() else {
        return;
    };
    if meta.has_camera() || meta.gps {
        return;
    }
    let screen = screens::is_screen_size(w, h);
    if t.is_video() {
        screen_video(w, h, "has no camera make, model or GPS", ev);
    } else if t.screenshot_format() && screen {
        ev.vote(
            Kind::Screenshot,
            0.5,
            "meta.screen_png",
            format!("PNG of exactly a screen size ({w}×{h}) with no camera make or GPS"),
        );
    }
}

/// The vote of a video `w` × `h` with no camera behind it (`why`, as the user reads it) for a
/// screen recording: a phone screen's tall shape, or a common screen's size. The metadata stage
/// gives it from a movie header; content analysis from the decoded frames of a container whose
/// header that stage does not read (Matroska, WebM).
pub fn screen_video(w: u32, h: u32, why: &str, ev: &mut Evidence) {
    let tall = f64::from(w.max(h)) / f64::from(w.min(h).max(1)) >= 1.9;
    if !(tall || screens::is_screen_size(w, h)) {
        return;
    }
    ev.vote(
        Kind::ScreenRecording,
        if tall { 0.45 } else { 0.3 },
        "meta.screen_video",
        format!(
            "video is {w}×{h}, {} and {why}",
            if tall {
                "a phone-screen shape (camera video is 16:9 or 4:3)"
            } else {
                "a common screen size"
            }
        ),
    );
}

/// Software tags of screenshot tools and document-scanner apps.
fn software_signals(sw: &str, ev: &mut Evidence) {
    let lower = sw.to_lowercase();
    const SCANNERS: &[&str] = &[
        "camscanner",
        "adobe scan",
        "microsoft lens",
        "office lens",
        "genius scan",
        "scanner pro",
        "tinyscanner",
        "vflat",
        "turboscan",
        "扫描全能王",
    ];
    const SCREENSHOTTERS: &[&str] = &[
        "screenshot",
        "snipping tool",
        "greenshot",
        "sharex",
        "spectacle",
        "flameshot",
        "snagit",
        "lightshot",
    ];
    let shown = sw;
    if SCANNERS.iter().any(|s| lower.contains(s)) {
        ev.vote(
            Kind::DocumentScan,
            0.7,
            "meta.scanner_software",
            format!("Software tag \"{shown}\" is a document-scanner app"),
        );
    } else if SCREENSHOTTERS.iter().any(|s| lower.contains(s)) {
        ev.vote(
            Kind::Screenshot,
            0.8,
            "meta.screenshot_software",
            format!("Software tag \"{shown}\" is a screenshot tool"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_video_of_a_screens_size_or_shape_votes_for_a_screen_recording() {
        let vote = |w, h| {
            let mut ev = Evidence::default();
            screen_video(w, h, "test", &mut ev);
            ev.support(Kind::ScreenRecording)
        };
        assert_eq!(vote(720, 1600), 0.45);
        assert_eq!(vote(1280, 720), 0.3);
        assert_eq!(vote(1440, 1080), 0.0);
    }
}
