//! The library's front door, used as another program would use it: the public API only
//! (`idvault::{scan, strip, wipe}`), with a cancellation token the caller owns. A token set
//! before a run starts no file; the same run with a fresh token does the work, so each test also
//! shows that the files were there to be worked on.

use std::fs;
use std::path::PathBuf;

use idvault::strip::{Event, Mode, StripOptions};
use idvault::{Cancel, scan, strip, wipe};

use crate::util::TestDir;
use crate::util::media::{self, Exif};

/// A small JPEG whose EXIF names the camera.
fn camera_jpeg() -> Vec<u8> {
    let mut jpeg = Vec::new();
    let img = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([x as u8 * 8, y as u8 * 9, 60]));
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&img)
        .unwrap();
    let exif = Exif {
        make: Some("Apple"),
        model: Some("iPhone 6"),
        ..Exif::default()
    };
    media::jpeg_with_exif(&jpeg, &exif.tiff())
}

fn cancelled() -> Cancel {
    let cancel = Cancel::new();
    cancel.cancel();
    cancel
}

#[test]
fn a_cancelled_scan_looks_at_no_file() {
    let t = TestDir::new();
    for i in 0..5 {
        t.write(format!("photos/{i}.jpg"), &camera_jpeg());
    }
    let run = |cancel: Cancel| {
        let opts = scan::ScanOptions {
            content: false,
            cache: false,
            cancel,
            ..scan::ScanOptions::new(vec![t.path().join("photos")])
        };
        scan::scan(&opts, |_| {})
    };
    assert_eq!(run(cancelled()).files, 0);
    assert_eq!(run(Cancel::new()).files, 5);
}

#[test]
fn a_cancelled_strip_run_changes_no_file() {
    let t = TestDir::new();
    let original = camera_jpeg();
    let path = t.write("photos/a.jpg", &original);
    let roots = [t.path().join("photos")];
    let files = strip::collect(&roots, Default::default(), &Cancel::new(), |w| {
        panic!("{w:?}")
    });
    assert_eq!(files.paths().collect::<Vec<_>>(), [path.as_path()]);
    let run = |cancel: Cancel| {
        let opts = strip::Options {
            strip: StripOptions::default(),
            mode: Mode::InPlace,
            threads: 1,
            cancel,
        };
        let mut done = Vec::new();
        let summary = strip::run(&files, &opts, |e| {
            if let Event::Done(o) = e {
                done.push(o.path);
            }
        })
        .unwrap();
        (summary.stripped, done)
    };
    assert_eq!(run(cancelled()), (0, Vec::<PathBuf>::new()));
    assert_eq!(fs::read(&path).unwrap(), original);
    assert_eq!(run(Cancel::new()), (1, vec![path.clone()]));
    let clean = strip::strip(&original, &StripOptions::default()).unwrap();
    assert!(!clean.removed.is_empty());
    assert_eq!(fs::read(&path).unwrap(), clean.data);
}

#[test]
fn a_cancelled_wipe_starts_no_file() {
    let t = TestDir::new();
    let paths = [t.write("a.jpg", b"one"), t.write("b.jpg", b"two")];
    let opts = wipe::WipeOptions {
        thumbnails: None,
        ..wipe::WipeOptions::default()
    };
    let plans: Vec<wipe::Plan> = paths
        .iter()
        .map(|p| wipe::plan(p, &opts).unwrap())
        .collect();
    let run = |cancel: Cancel| {
        let mut done = 0;
        wipe::execute_many(&plans, &cancel, |_, result| {
            result.unwrap();
            done += 1;
        });
        done
    };
    assert_eq!(run(cancelled()), 0);
    assert!(paths.iter().all(|p| p.exists()));
    assert_eq!(run(Cancel::new()), 2);
    assert!(paths.iter().all(|p| !p.exists()));
}

#[test]
fn a_folder_is_planned_file_by_file_and_removed_once_emptied() {
    let t = TestDir::new();
    let a = t.write("old/a.jpg", b"one");
    t.write("old/sub/b.jpg", b"two");
    let opts = wipe::WipeOptions {
        thumbnails: None,
        ..wipe::WipeOptions::default()
    };
    // The same file named twice, through the folder and on its own, is planned once.
    let roots = [t.path().join("old"), a.clone()];
    let mut heard = 0;
    let planned = wipe::plan_paths(
        &roots,
        wipe::Recursion::Yes,
        |_| false,
        opts,
        |_, plan| {
            plan.unwrap();
            heard += 1;
        },
    );
    assert_eq!((planned.plans.len(), heard), (2, 2));
    assert!(planned.refused.is_empty());
    let mut folders = Vec::new();
    let done = wipe::apply(&planned, &Cancel::new(), |event| match event {
        wipe::Applied::File(_, result) => drop(result.unwrap()),
        wipe::Applied::Folder(path, result) => {
            result.unwrap();
            folders.push(path.to_path_buf());
        }
    });
    assert_eq!(done, 2);
    assert_eq!(folders, [t.path().join("old/sub"), t.path().join("old")]);
    assert!(!t.path().join("old").exists());
}
