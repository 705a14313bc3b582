//! What a scan reports: the kind of sensitive file found, how sure the scanner is, the reasons a
//! person can check, and what else puts the file at risk.

use serde::Serialize;

pub use crate::files::place::Risk;

/// The kind of sensitive file a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Passport,
    IdCard,
    ResidencePermit,
    TravelPermit,
    Visa,
    DriverLicence,
    IdSelfie,
    KycScreenshot,
    ScreenRecording,
    DocumentScan,
    /// A screenshot with nothing (yet) tying it to an identity check.
    Screenshot,
}

impl Kind {
    /// Every kind, in the order above.
    pub const ALL: [Kind; 11] = [
        Kind::Passport,
        Kind::IdCard,
        Kind::ResidencePermit,
        Kind::TravelPermit,
        Kind::Visa,
        Kind::DriverLicence,
        Kind::IdSelfie,
        Kind::KycScreenshot,
        Kind::ScreenRecording,
        Kind::DocumentScan,
        Kind::Screenshot,
    ];

    /// The kind named `name` (as [`Kind::as_str`] spells it), if any.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Passport => "passport",
            Kind::IdCard => "id_card",
            Kind::ResidencePermit => "residence_permit",
            Kind::TravelPermit => "travel_permit",
            Kind::Visa => "visa",
            Kind::DriverLicence => "driver_licence",
            Kind::IdSelfie => "id_selfie",
            Kind::KycScreenshot => "kyc_screenshot",
            Kind::ScreenRecording => "screen_recording",
            Kind::DocumentScan => "document_scan",
            Kind::Screenshot => "screenshot",
        }
    }

    /// True for the kinds that show an identity document itself.
    pub fn is_document(self) -> bool {
        matches!(
            self,
            Kind::Passport
                | Kind::IdCard
                | Kind::ResidencePermit
                | Kind::TravelPermit
                | Kind::Visa
                | Kind::DriverLicence
                | Kind::IdSelfie
        )
    }

    /// The kinds `secure` acts on unless told otherwise: everything except a plain screenshot.
    pub fn secured_by_default(self) -> bool {
        self != Kind::Screenshot
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of evidence: a stable machine-readable code and a sentence a person can check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reason {
    /// Stable identifier of the signal, e.g. `name.replaykit` (see docs/signals.md).
    pub signal: &'static str,
    /// What was seen, for people.
    pub detail: String,
}

/// A weighted vote for a kind, produced by one signal.
#[derive(Clone, Debug, PartialEq)]
pub struct Vote {
    pub kind: Kind,
    /// How strongly this signal alone supports `kind`, 0–1.
    pub weight: f32,
    pub reason: Reason,
}

/// Everything the signals found about one file, before a verdict.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    pub votes: Vec<Vote>,
    /// Reasons that support no kind on their own but help a person judge (e.g. "no camera make").
    pub notes: Vec<Reason>,
    pub risks: Vec<Risk>,
    /// What content analysis learnt about the document itself, never its number in the clear.
    pub document: Option<Document>,
}

/// Facts about a document that content analysis confirmed, safe to show: the number is masked
/// to its last four characters and MRZ lines are never kept.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Document {
    /// What confirmed it: `mrz` or `cn_id_number`.
    pub source: &'static str,
    /// ICAO three-letter code of the issuing state (from an MRZ), or `CHN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuing_country: Option<String>,
    /// The document number with all but the last four characters as `*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_masked: Option<String>,
    /// Check digits that validated, out of how many the format has.
    pub checks_valid: u32,
    pub checks_total: u32,
}

impl Evidence {
    pub fn vote(&mut self, kind: Kind, weight: f32, signal: &'static str, detail: String) {
        self.votes.push(Vote {
            kind,
            weight,
            reason: Reason { signal, detail },
        });
    }

    pub fn note(&mut self, signal: &'static str, detail: String) {
        self.notes.push(Reason { signal, detail });
    }

    pub fn risk(&mut self, risk: Risk) {
        if !self.risks.contains(&risk) {
            self.risks.push(risk);
        }
    }

    /// Turns the votes for identity documents into votes for `kind`: what was read on a
    /// document held up to the camera is evidence of the ID selfie it is part of.
    pub fn retag_documents(&mut self, kind: Kind) {
        for v in &mut self.votes {
            if v.kind.is_document() {
                v.kind = kind;
            }
        }
    }

    /// Combined support for `kind`: independent votes combine as a noisy OR.
    pub fn support(&self, kind: Kind) -> f32 {
        1.0 - self
            .votes
            .iter()
            .filter(|v| v.kind == kind)
            .fold(1.0, |miss, v| miss * (1.0 - v.weight.clamp(0.0, 1.0)))
    }

    /// The verdict: the best-supported kind, its confidence and every reason, or `None` when no
    /// signal voted for anything.
    pub fn decide(mut self) -> Option<Verdict> {
        let mut kinds: Vec<Kind> = self.votes.iter().map(|v| v.kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        // Highest support wins; on a tie the more specific kind (earlier in the enum) wins.
        let kind = kinds.into_iter().max_by(|&a, &b| {
            self.support(a)
                .total_cmp(&self.support(b))
                .then_with(|| b.cmp(&a))
        })?;
        let confidence = (self.support(kind) * 100.0).round() / 100.0;
        self.risks.sort_unstable();
        let mut reasons: Vec<Reason> = self.votes.into_iter().map(|v| v.reason).collect();
        reasons.extend(self.notes);
        Some(Verdict {
            kind,
            confidence,
            reasons,
            risks: self.risks,
            document: self.document,
        })
    }
}

/// The scanner's verdict on one file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub kind: Kind,
    /// 0–1, rounded to two decimals.
    pub confidence: f32,
    pub reasons: Vec<Reason>,
    pub risks: Vec<Risk>,
    /// Set when content analysis confirmed a document (MRZ or ID number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
}

/// Whether and how the pixels were looked at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ContentStatus {
    /// Content analysis was off, or the file is not media.
    #[default]
    Off,
    /// Pixels decoded and looked at; `ocr` says whether text recognition ran.
    Analysed { ocr: bool },
    /// Known from the cache to hold nothing.
    Cached,
    /// Could not be analysed (no decoder, video, too large, corrupt).
    NotAnalysed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_once_and_found_by_its_json_name() {
        for k in Kind::ALL {
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json.as_str(), Some(k.as_str()));
            assert_eq!(Kind::from_name(k.as_str()), Some(k));
        }
        let distinct: std::collections::BTreeSet<Kind> = Kind::ALL.into_iter().collect();
        assert_eq!(distinct.len(), Kind::ALL.len());
        assert_eq!(Kind::from_name("Passport"), None);
    }

    #[test]
    fn votes_for_one_kind_combine_as_noisy_or() {
        let mut ev = Evidence::default();
        ev.vote(Kind::ScreenRecording, 0.5, "a", String::new());
        ev.vote(Kind::ScreenRecording, 0.5, "b", String::new());
        ev.vote(Kind::Screenshot, 0.6, "c", String::new());
        let v = ev.decide().unwrap();
        assert_eq!(v.kind, Kind::ScreenRecording);
        assert_eq!(v.confidence, 0.75);
        assert_eq!(v.reasons.len(), 3);
    }

    #[test]
    fn a_held_document_becomes_an_id_selfie() {
        let mut ev = Evidence::default();
        ev.vote(Kind::Passport, 0.9, "mrz", String::new());
        ev.vote(Kind::Screenshot, 0.95, "name", String::new());
        ev.retag_documents(Kind::IdSelfie);
        ev.vote(Kind::IdSelfie, 0.6, "faces", String::new());
        assert_eq!(ev.support(Kind::Passport), 0.0);
        assert_eq!(ev.support(Kind::Screenshot), 0.95);
        let v = ev.decide().unwrap();
        assert_eq!((v.kind, v.confidence), (Kind::IdSelfie, 0.96));
    }

    #[test]
    fn no_votes_no_verdict() {
        let mut ev = Evidence::default();
        ev.note("x", "only a note".into());
        ev.risk(Risk::Gps);
        assert!(ev.decide().is_none());
    }
}
