//! Developer tool: shows what each content stage sees in one image — the decoded size, the
//! visual stage's counts, and the OCR lines at each orientation — with the time each took.
//! `cargo run --release --example ocr_dump -- [--side PX] FILE [QUARTER_TURNS…]` (OCR runs once
//! per turn given, with the detector's long side at PX, default `ocr::DET_SIDE`).

use std::time::Instant;

use idvault::fuzzing::media::{decode, sniff};
use idvault::fuzzing::scan::content::{ocr, visual};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1).peekable();
    let mut side = ocr::DET_SIDE;
    if args.peek().is_some_and(|a| a == "--side") {
        side = args
            .nth(1)
            .ok_or("--side needs a value")?
            .to_string_lossy()
            .parse()?;
    }
    let path = args
        .next()
        .ok_or("usage: ocr_dump [--side PX] FILE [QUARTER_TURNS…]")?;
    let turns: Vec<u8> = args
        .map(|a| a.to_string_lossy().parse())
        .collect::<Result<_, _>>()?;
    let bytes = std::fs::read(&path)?;
    let t = sniff::sniff(&bytes).ok_or("not a recognised image")?;
    let start = Instant::now();
    let d = decode::decode(&bytes, t, None)?;
    println!(
        "decode {}x{} -> {}x{} in {:?}",
        d.full_width,
        d.full_height,
        d.rgb.width(),
        d.rgb.height(),
        start.elapsed()
    );
    let start = Instant::now();
    let v = visual::analyse(&d.rgb);
    println!("visual {v:?} in {:?}", start.elapsed());
    let engine = ocr::engine()?;
    for q in turns {
        let img = match q % 4 {
            0 => d.rgb.clone(),
            1 => image::imageops::rotate90(&d.rgb),
            2 => image::imageops::rotate180(&d.rgb),
            _ => image::imageops::rotate270(&d.rgb),
        };
        let start = Instant::now();
        let mut rects = engine.detect(&img, side)?;
        let det = start.elapsed();
        ocr::sort_longest_first(&mut rects);
        println!("angle classifier: {:?}", engine.facing(&img, &rects)?);
        let start = Instant::now();
        let lines = engine.read(&img, side)?;
        println!(
            "-- turned {}°: {} lines; detection {det:?}, detection + recognition {:?}",
            u32::from(q) * 90,
            rects.len(),
            start.elapsed()
        );
        for l in &lines {
            let c = l.rect.center();
            println!("  ({:>5.0},{:>5.0}) {}", c.x, c.y, l.text);
        }
    }
    Ok(())
}
