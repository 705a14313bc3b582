//! Progress drawing, forced onto a stderr that is not a terminal with `IDVAULT_FORCE_PROGRESS=1`:
//! the bars' totals come from the quick walk before the run.

use crate::util::{TestDir, idvault, media};

/// A folder of three files, two of them images.
fn folder() -> TestDir {
    let t = TestDir::new();
    t.write("a.png", &media::png(8, 8, &[]));
    t.write("b/c.png", &media::png(16, 8, &[]));
    t.write("notes.txt", b"not media");
    t
}

fn scan_stderr(args: &[&str], t: &TestDir) -> String {
    let out = idvault()
        .env("IDVAULT_FORCE_PROGRESS", "1")
        .arg("scan")
        .args(args)
        .arg(t.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn scan_counts_the_content_stage_over_the_media_files() {
    let t = folder();
    let err = scan_stderr(&[], &t);
    assert!(err.contains("/3 files read (names, metadata)"), "{err}");
    assert!(err.contains("/2 analysed (pixels, text)"), "{err}");
    // The estimate is the slow stage's: the first line has none.
    let read_line = err
        .split("files read")
        .nth(1)
        .and_then(|rest| rest.split('[').next())
        .unwrap();
    assert!(!read_line.contains("ETA"), "{err}");
    assert!(err.contains("ETA"), "{err}");
}

#[test]
fn scan_without_content_draws_one_bar_with_an_estimate() {
    let t = folder();
    let err = scan_stderr(&["--no-content"], &t);
    assert!(err.contains("/3 files"), "{err}");
    assert!(err.contains("ETA"), "{err}");
    assert!(
        !err.contains("analysed") && !err.contains("files read"),
        "{err}"
    );
}

#[test]
fn progress_stays_off_without_the_override_or_with_json() {
    let t = folder();
    let out = idvault().arg("scan").arg(t.path()).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("files read"));
    let err = scan_stderr(&["--json"], &t);
    assert!(!err.contains("files read") && !err.contains("ETA"), "{err}");
}
