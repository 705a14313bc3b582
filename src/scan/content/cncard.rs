//! The Chinese resident identity card seen by what survives blur, glare and a finger: its
//! layout and its colours, on a card already straightened from a photo in which OCR confirmed
//! nothing. The back shows a red disc with gold (the national emblem) at one end, the large
//! title rows beside it and two rows of print below, on a pale card; the front shows its field
//! labels printed in blue down the left edge and beside the number, a portrait at the right end
//! with the number row running beneath it, on a pale card. Each cue alone is on other cards (a
//! bank's red logo, a business card's photo, a blue line of print); only the set of them at
//! their places counts, and then at a moderate weight: this says what was seen, it reads
//! nothing.

use image::{RgbImage, imageops};

use super::face::{self, Area, FaceError};
use super::retake::Seen;
use crate::scan::finding::Kind;

/// The crop is judged on a copy this wide: every cue is a colour or a band of print many
/// pixels wide, which a reduced copy keeps and blur does not remove.
const WORK_WIDTH: u32 = 200;
/// Only card-shaped crops are judged (a straightened ID-1 card is 1.586; a passport page's or
/// A4 sheet's 1.41–1.42 is not a card).
const CARD_ASPECT: (f32, f32) = (1.48, 1.75);
/// Said of what was seen on a card straightened from the photo.
const STRAIGHTENED: &str = "on a card straightened from the photo; its print not legible";

/// The weight of a side seen with every cue; one cue of the front missing (a finger or glare
/// over it) leaves it a little lower.
const WEIGHT: f32 = 0.6;
const WEIGHT_ONE_MISSING: f32 = 0.55;

/// Looks for either side of a Chinese resident identity card in `crop`, a card straightened
/// from a photo (landscape, upright or upside down).
pub(crate) fn look(crop: &RgbImage) -> Option<Seen> {
    let (w, h) = crop.dimensions();
    let aspect = w as f32 / h.max(1) as f32;
    if h == 0 || !(CARD_ASPECT.0..=CARD_ASPECT.1).contains(&aspect) {
        return None;
    }
    let small = imageops::thumbnail(
        crop,
        WORK_WIDTH,
        (WORK_WIDTH as f32 / aspect).round() as u32,
    );
    for upside_down in [false, true] {
        let card = if upside_down {
            Card::new(&imageops::rotate180(&small))
        } else {
            Card::new(&small)
        };
        if let Some(reason) = card.back() {
            return Some(seen(WEIGHT, reason, upside_down));
        }
        if let Some((weight, reason)) = card.front(crop, upside_down) {
            return Some(seen(weight, reason, upside_down));
        }
    }
    None
}

fn seen(weight: f32, what: String, upside_down: bool) -> Seen {
    let turned = if upside_down { ", upside down" } else { "" };
    Seen {
        kind: Kind::IdCard,
        weight,
        reason: format!(
            "Chinese resident identity card seen by its layout: {what} ({STRAIGHTENED}{turned})"
        ),
    }
}

/// What each pixel of the reduced card is, by colour.
#[derive(Clone, Copy, Default)]
struct Px {
    /// Luminance, 0–255.
    lum: u8,
    /// Saturated red (the emblem's disc).
    red: bool,
    /// Gold or yellow, or gold blurred into red (the emblem's stars, ring and gate).
    gold: bool,
    /// Blue or blue-green (the front's field labels, also blurred into the pale background; its
    /// background too, which is lighter).
    bluish: bool,
    /// Light and nearly grey: the card's background.
    pale: bool,
}

impl Px {
    fn of([r, g, b]: [u8; 3]) -> Px {
        let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
        let lum = (r * 299 + g * 587 + b * 114) / 1000;
        let spread = r.max(g).max(b) - r.min(g).min(b);
        Px {
            lum: lum as u8,
            red: r >= 110 && r - g >= 70 && r - b >= 60,
            gold: r >= 140 && g >= 90 && r - b >= 80 && g - b >= 40,
            bluish: b - r >= 30 && b + 10 >= g,
            pale: lum >= 150 && spread <= 70,
        }
    }
}

/// Where on the card, as shares of its width (x) and height (y): `[x0, x1, y0, y1]`.
type Zone = [f32; 4];

/// A card reduced to [`WORK_WIDTH`], its pixels classified.
struct Card {
    w: usize,
    h: usize,
    px: Vec<Px>,
}

impl Card {
    fn new(small: &RgbImage) -> Card {
        Card {
            w: small.width() as usize,
            h: small.height() as usize,
            px: small.pixels().map(|p| Px::of(p.0)).collect(),
        }
    }

    /// The pixel ranges of `z`, never empty.
    fn ranges(&self, z: Zone) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let span = |a: f32, b: f32, n: usize| {
            let lo = ((a * n as f32) as usize).min(n - 1);
            let hi = ((b * n as f32) as usize).clamp(lo + 1, n);
            lo..hi
        };
        (span(z[0], z[1], self.w), span(z[2], z[3], self.h))
    }

    /// The pixels of `z`, row by row.
    fn zone(&self, z: Zone) -> impl Iterator<Item = (usize, usize, Px)> + '_ {
        let (xs, ys) = self.ranges(z);
        ys.flat_map(move |y| xs.clone().map(move |x| (x, y, self.px[y * self.w + x])))
    }

    /// The share of the pixels of `z` that `test` holds for.
    fn share(&self, z: Zone, test: impl Fn(&Px) -> bool) -> f32 {
        let (mut n, mut hit) = (0u32, 0u32);
        for (_, _, p) in self.zone(z) {
            n += 1;
            hit += u32::from(test(&p));
        }
        hit as f32 / n.max(1) as f32
    }

    /// How much darker than the card's background (the 90th percentile of its luminance over
    /// `bg`) the pixels of `z` are, on average: a row of print, even blurred to a smear, is a
    /// darker band than the gaps around it.
    fn darkness(&self, z: Zone, background: u8) -> f32 {
        let (mut n, mut sum) = (0u32, 0u32);
        for (_, _, p) in self.zone(z) {
            n += 1;
            sum += u32::from(background.saturating_sub(p.lum));
        }
        sum as f32 / n.max(1) as f32
    }

    /// The 90th percentile of the luminance over `z`.
    fn background(&self, z: Zone) -> u8 {
        let mut hist = [0u32; 256];
        let mut n = 0u32;
        for (_, _, p) in self.zone(z) {
            hist[usize::from(p.lum)] += 1;
            n += 1;
        }
        let mut above = 0;
        for (lum, &count) in hist.iter().enumerate().rev() {
            above += count;
            if above * 10 >= n {
                return lum as u8;
            }
        }
        0
    }

    /// The back: the emblem at the left end, the card pale beside it, and the title rows or
    /// the rows of print below darker than the empty band between them.
    fn back(&self) -> Option<String> {
        let emblem = self.emblem()?;
        let pale = self.share(BACK_PRINT, |p| p.pale);
        if pale < MIN_PALE {
            return None;
        }
        let background = self.background(BACK_PRINT);
        let gap = self.darkness(BACK_GAP, background);
        let title = self.darkness(BACK_TITLE, background) - gap >= TITLE_DEPTH;
        let lower = self.darkness(BACK_LOWER, background) - gap >= LOWER_DEPTH;
        let rows = match (title, lower) {
            (true, true) => "the title rows beside it and two rows of print below",
            (true, false) => "the title rows beside it",
            (false, true) => "two rows of print below it",
            (false, false) => return None,
        };
        Some(format!(
            "the back: a red disc with gold at its left end ({:.0} % of the card's height across), {rows}, on a pale card",
            emblem * 100.0
        ))
    }

    /// The emblem: a compact patch of saturated red, with gold in and around it, at the left
    /// end's upper half, and no such red anywhere else on the card. Returns its size across
    /// as a share of the card's height.
    fn emblem(&self) -> Option<f32> {
        let (w, h) = (self.w as f32, self.h as f32);
        let n = w * h;
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for (x, y, p) in self.zone(EMBLEM_ZONE) {
            if p.red {
                xs.push(x);
                ys.push(y);
            }
        }
        let inside = xs.len() as f32 / n;
        let all = self.px.iter().filter(|p| p.red).count() as f32 / n;
        if !(EMBLEM_RED.0..=EMBLEM_RED.1).contains(&inside) || all - inside > RED_ELSEWHERE {
            return None;
        }
        let centre = (
            xs.iter().sum::<usize>() as f32 / xs.len() as f32 / w,
            ys.iter().sum::<usize>() as f32 / ys.len() as f32 / h,
        );
        if !(EMBLEM_CENTRE_X.0..=EMBLEM_CENTRE_X.1).contains(&centre.0)
            || !(EMBLEM_CENTRE_Y.0..=EMBLEM_CENTRE_Y.1).contains(&centre.1)
        {
            return None;
        }
        // Its extent without stray pixels: from the 5th to the 95th percentile each way.
        let spread = |v: &mut Vec<usize>| {
            v.sort_unstable();
            let at = |q: usize| v[(v.len() - 1) * q / 100];
            (at(5), at(95))
        };
        let (x0, x1) = spread(&mut xs);
        let (y0, y1) = spread(&mut ys);
        let (across, down) = ((x1 - x0) as f32 / h, (y1 - y0) as f32 / h);
        if !(EMBLEM_SIZE.0..=EMBLEM_SIZE.1).contains(&across)
            || !(EMBLEM_SIZE.0..=EMBLEM_SIZE.1).contains(&down)
            || !(EMBLEM_ROUND.0..=EMBLEM_ROUND.1).contains(&(across / down))
        {
            return None;
        }
        // Filled (a disc, not a ring or a line of red print), with gold in or around it.
        let (fx, fy) = (x0 as f32 / w, y0 as f32 / h);
        let (gx, gy) = (x1 as f32 / w, y1 as f32 / h);
        let filled = self.share([fx, gx, fy, gy], |p| p.red || p.gold);
        let (mx, my) = ((gx - fx) * 0.3, (gy - fy) * 0.3);
        let gold = self.share([fx - mx, gx + mx, fy - my, gy + my], |p| p.gold);
        (filled >= EMBLEM_FILLED && gold >= EMBLEM_GOLD).then_some((across + down) / 2.0)
    }

    /// The front: blue field labels down the left edge in separate rows and beside the number,
    /// values beside them that are not blue, on a pale card, and at least two of: a portrait
    /// box at the right end (a block that is not the card's pale background), the number row
    /// running beneath it, a face in it. Returns the weight and what was seen.
    fn front(&self, crop: &RgbImage, upside_down: bool) -> Option<(f32, String)> {
        let background = self.background(FRONT_ALL);
        // Print in blue: bluish and darker than the card (whose guilloche is bluish too).
        let blue = |p: &Px| p.bluish && p.lum.saturating_add(INK_DEPTH) <= background;
        let rows = self.rows_where(LABEL_COLUMN, blue);
        if rows < MIN_LABEL_ROWS
            || self.share(LABEL_COLUMN, blue) < MIN_LABEL_BLUE
            || self.share(NUMBER_LABEL, blue) < MIN_NUMBER_LABEL_BLUE
            || self.share(FRONT_VALUES, blue) > MAX_BLUE_VALUES
            || self.share(NUMBER_ROW, blue) > MAX_BLUE_VALUES
            || self.share(FRONT_PRINT, |p| p.pale) < MIN_PALE
        {
            return None;
        }
        let photo = 1.0 - self.share(PORTRAIT, |p| p.pale) >= MIN_PORTRAIT_FILLED;
        let number = self.darkness(NUMBER_UNDER_PORTRAIT, background)
            - self.darkness(FRONT_GAP, background)
            >= NUMBER_DEPTH;
        let mut cues = vec![];
        if photo {
            cues.push("a portrait at the right end");
        }
        if number {
            cues.push("the number row running beneath it");
        }
        // The face detector only where it can decide; a detector that failed (its model did not
        // load, it panicked) leaves this cue unseen, as a covered portrait would.
        if cues.len() == 1 && face_in_portrait(crop, upside_down).unwrap_or(false) {
            cues.push("a face in the portrait box");
        }
        if cues.len() < 2 {
            return None;
        }
        let weight = if photo && number {
            WEIGHT
        } else {
            WEIGHT_ONE_MISSING
        };
        Some((
            weight,
            format!(
                "the front: field labels printed in blue down its left edge ({rows} rows) and beside the number, {}, on a pale card",
                cues.join(", ")
            ),
        ))
    }

    /// Separate runs of rows of `z` in which `test` holds over [`LABEL_ROW_SHARE`] of its width.
    fn rows_where(&self, z: Zone, test: impl Fn(&Px) -> bool) -> u32 {
        let (xs, ys) = self.ranges(z);
        let mut runs = 0;
        let mut inside = false;
        for y in ys {
            let hits = xs
                .clone()
                .filter(|&x| test(&self.px[y * self.w + x]))
                .count();
            let row = hits as f32 >= LABEL_ROW_SHARE * xs.len() as f32;
            runs += u32::from(row && !inside);
            inside = row;
        }
        runs
    }
}

/// A face the detector finds in the front's portrait box (right end) of the full-size `crop`.
fn face_in_portrait(crop: &RgbImage, upside_down: bool) -> Result<bool, FaceError> {
    let (w, h) = (crop.width() as f32, crop.height() as f32);
    let [x0, x1, y0, y1] = PORTRAIT_SEARCH;
    let (x0, x1, y0, y1) = if upside_down {
        (1.0 - x1, 1.0 - x0, 1.0 - y1, 1.0 - y0)
    } else {
        (x0, x1, y0, y1)
    };
    let area = Area {
        x: (x0 * w) as u32,
        y: (y0 * h) as u32,
        width: ((x1 - x0) * w) as u32,
        height: ((y1 - y0) * h) as u32,
    };
    let faces = face::detect_in(
        crop,
        area,
        (FACE_SIZE.0 * h) as u32,
        (FACE_SIZE.1 * h).ceil() as u32,
    )?;
    Ok(!faces.is_empty())
}

// The places, as on the card (ID-1, 85.6 × 54 mm) with the perspective a straightened crop
// keeps, and the thresholds, measured on the rejection-reason sets' straightened crops and
// on cards built from the corpus's blank templates (docs/detection.md).

/// Where the emblem's red is looked for: the left end's upper part.
const EMBLEM_ZONE: Zone = [0.0, 0.36, 0.0, 0.62];
/// Its red, as a share of the whole card (the disc is about 4.5 % of it; glare and blur take
/// some, gold stars some).
const EMBLEM_RED: (f32, f32) = (0.012, 0.10);
/// Saturated red elsewhere on the card, as a share of it (a red bank card, a poster).
const RED_ELSEWHERE: f32 = 0.004;
/// The centre of its red, as shares of the card's width and height.
const EMBLEM_CENTRE_X: (f32, f32) = (0.04, 0.28);
const EMBLEM_CENTRE_Y: (f32, f32) = (0.08, 0.45);
/// Its size each way, as a share of the card's height (the disc is about 0.3)...
const EMBLEM_SIZE: (f32, f32) = (0.12, 0.5);
/// ...about as wide as high...
const EMBLEM_ROUND: (f32, f32) = (0.6, 1.65);
/// ...filled with red or gold over this share of its box...
const EMBLEM_FILLED: f32 = 0.5;
/// ...and gold over this share of its box widened by 30 % each way.
const EMBLEM_GOLD: f32 = 0.03;
/// The back's print area beside the emblem...
const BACK_PRINT: Zone = [0.30, 0.97, 0.03, 0.97];
/// ...and the front's: at least this share of it is pale background.
const MIN_PALE: f32 = 0.5;
/// The two title rows (中华人民共和国, 居民身份证)...
const BACK_TITLE: Zone = [0.30, 0.95, 0.11, 0.45];
/// ...the empty band below them...
const BACK_GAP: Zone = [0.30, 0.95, 0.48, 0.64];
/// ...and the two rows below (签发机关, 有效期限).
const BACK_LOWER: Zone = [0.30, 0.95, 0.68, 0.89];
/// How much darker than the empty band the title rows and the lower rows are, at least (grey
/// levels below the background, averaged).
const TITLE_DEPTH: f32 = 5.0;
const LOWER_DEPTH: f32 = 4.0;

/// The front's label column (姓名, 性别, 出生, 住址)...
const LABEL_COLUMN: Zone = [0.03, 0.18, 0.04, 0.62];
/// ...in which at least this many separate runs of rows hold blue print over this share of
/// the column's width...
const MIN_LABEL_ROWS: u32 = 2;
const LABEL_ROW_SHARE: f32 = 0.08;
/// ...and blue covers this share of it.
const MIN_LABEL_BLUE: f32 = 0.03;
/// The number's label (公民身份号码), bottom left.
const NUMBER_LABEL: Zone = [0.03, 0.32, 0.76, 0.94];
const MIN_NUMBER_LABEL_BLUE: f32 = 0.02;
/// Blue print is darker than the card's background by this much at least (grey levels).
const INK_DEPTH: u8 = 25;
/// The values (printed in black) beside the labels, and the number row: at most this share
/// of each is blue print (a business card's lines in its accent colour).
const FRONT_VALUES: Zone = [0.18, 0.58, 0.05, 0.75];
const NUMBER_ROW: Zone = [0.33, 0.93, 0.78, 0.93];
const MAX_BLUE_VALUES: f32 = 0.02;
/// The portrait box: at least this share of it not pale.
const PORTRAIT: Zone = [0.63, 0.91, 0.15, 0.72];
const MIN_PORTRAIT_FILLED: f32 = 0.4;
/// The fields' print, on the pale card (at least [`MIN_PALE`] of it).
const FRONT_PRINT: Zone = [0.05, 0.58, 0.05, 0.75];
/// The whole front, for its background level.
const FRONT_ALL: Zone = [0.05, 0.95, 0.05, 0.95];
/// The number row beneath the portrait, darker by this than the band between the address
/// and the number (grey levels below the background, averaged).
const NUMBER_UNDER_PORTRAIT: Zone = [0.63, 0.92, 0.78, 0.93];
const FRONT_GAP: Zone = [0.35, 0.60, 0.68, 0.76];
const NUMBER_DEPTH: f32 = 5.0;
/// Where a face is looked for, and its height as a share of the card's height.
const PORTRAIT_SEARCH: Zone = [0.58, 0.97, 0.05, 0.8];
const FACE_SIZE: (f32, f32) = (0.15, 0.6);

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    const W: u32 = 856;
    const H: u32 = 540;
    const PALE: Rgb<u8> = Rgb([228, 236, 238]);
    const INK: Rgb<u8> = Rgb([25, 25, 30]);
    const LABEL: Rgb<u8> = Rgb([30, 110, 170]);

    fn fill(img: &mut RgbImage, z: Zone, c: Rgb<u8>) {
        let (w, h) = (img.width() as f32, img.height() as f32);
        for y in (z[2] * h) as u32..(z[3] * h) as u32 {
            for x in (z[0] * w) as u32..(z[1] * w) as u32 {
                img.put_pixel(x, y, c);
            }
        }
    }

    /// A row of print: letters as blocks with gaps.
    fn print(img: &mut RgbImage, z: Zone, c: Rgb<u8>) {
        let (w, h) = (img.width() as f32, img.height() as f32);
        let letter = ((z[3] - z[2]) * h) as u32;
        for y in (z[2] * h) as u32..(z[3] * h) as u32 {
            for x in (z[0] * w) as u32..(z[1] * w) as u32 {
                if x % (letter + letter / 3) < letter {
                    img.put_pixel(x, y, c);
                }
            }
        }
    }

    fn disc(img: &mut RgbImage, cx: f32, cy: f32, r: f32, c: Rgb<u8>, ring: Rgb<u8>) {
        for y in 0..img.height() {
            for x in 0..img.width() {
                let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
                if d <= r * 0.88 {
                    img.put_pixel(x, y, c);
                } else if d <= r {
                    img.put_pixel(x, y, ring);
                }
            }
        }
    }

    /// The back as printed: an emblem (red disc, gold ring and star), the title rows and the two
    /// rows below, on a pale card; `emblem` false leaves the disc out.
    fn back(emblem: bool) -> RgbImage {
        let mut img = RgbImage::from_pixel(W, H, PALE);
        if emblem {
            let (cx, cy, r) = (0.14 * W as f32, 0.25 * H as f32, 0.16 * H as f32);
            disc(&mut img, cx, cy, r, Rgb([200, 30, 30]), Rgb([225, 180, 40]));
            disc(
                &mut img,
                cx,
                cy - r * 0.3,
                r * 0.22,
                Rgb([240, 200, 40]),
                Rgb([240, 200, 40]),
            );
        }
        print(&mut img, [0.34, 0.88, 0.13, 0.21], INK);
        print(&mut img, [0.30, 0.86, 0.30, 0.43], INK);
        print(&mut img, [0.22, 0.70, 0.70, 0.75], INK);
        print(&mut img, [0.22, 0.80, 0.82, 0.87], INK);
        img
    }

    /// The front as printed: blue labels down the left edge and by the number, values in black,
    /// a portrait box at the right end (a plain dark block: no face), the number row beneath.
    fn front(labels: Rgb<u8>) -> RgbImage {
        let mut img = RgbImage::from_pixel(W, H, PALE);
        for y in [0.11, 0.24, 0.37, 0.50] {
            print(&mut img, [0.07, 0.15, y, y + 0.045], labels);
            print(&mut img, [0.18, 0.45, y - 0.01, y + 0.045], INK);
        }
        print(&mut img, [0.07, 0.28, 0.83, 0.875], labels);
        print(&mut img, [0.33, 0.90, 0.815, 0.885], INK);
        fill(&mut img, [0.62, 0.92, 0.12, 0.74], Rgb([90, 70, 60]));
        img
    }

    /// `img` blurred as a shaken or unfocused retake is.
    fn blurred(img: &RgbImage) -> RgbImage {
        imageops::blur(img, 6.0)
    }

    #[test]
    fn a_blurred_back_is_seen_by_its_emblem_and_rows_either_way_up() {
        for img in [
            blurred(&back(true)),
            imageops::rotate180(&blurred(&back(true))),
        ] {
            let seen = look(&img).expect("the back is seen");
            assert_eq!(seen.kind, Kind::IdCard);
            assert!(seen.weight >= 0.5, "{}", seen.weight);
            assert!(
                seen.reason.contains("red disc with gold"),
                "{}",
                seen.reason
            );
        }
        assert!(
            look(&imageops::rotate180(&blurred(&back(true))))
                .is_some_and(|s| s.reason.contains("upside down"))
        );
    }

    #[test]
    fn rows_of_print_without_the_emblem_are_not_a_back() {
        assert_eq!(look(&blurred(&back(false))), None);
    }

    #[test]
    fn a_red_card_or_a_red_logo_without_gold_is_not_an_emblem() {
        // A red bank card: red everywhere.
        let mut bank = back(true);
        fill(&mut bank, [0.0, 1.0, 0.0, 1.0], Rgb([170, 25, 35]));
        print(&mut bank, [0.07, 0.8, 0.57, 0.66], Rgb([245, 245, 245]));
        assert_eq!(look(&blurred(&bank)), None);
        // A white card with a red ring logo at the top left and rows of print: no gold, not
        // filled.
        let mut logo = back(false);
        disc(
            &mut logo,
            0.14 * W as f32,
            0.25 * H as f32,
            0.16 * H as f32,
            PALE,
            Rgb([200, 30, 30]),
        );
        disc(
            &mut logo,
            0.14 * W as f32,
            0.25 * H as f32,
            0.1 * H as f32,
            PALE,
            PALE,
        );
        assert_eq!(look(&blurred(&logo)), None);
    }

    #[test]
    fn a_blurred_front_is_seen_by_its_blue_labels_portrait_and_number_row() {
        let img = blurred(&front(LABEL));
        let seen = look(&img).expect("the front is seen");
        assert!(seen.weight >= 0.5, "{}", seen.weight);
        assert!(seen.reason.contains("blue"), "{}", seen.reason);
        assert!(look(&imageops::rotate180(&img)).is_some());
    }

    #[test]
    fn a_card_with_a_photo_and_black_print_is_not_a_front() {
        // The same layout with every label in black: a business card or badge with a photo.
        assert_eq!(look(&blurred(&front(INK))), None);
        // Blue print all over (a blue business card's lines): not labels in their column.
        let mut blue = front(LABEL);
        for y in [0.11, 0.24, 0.37, 0.50] {
            print(&mut blue, [0.40, 0.58, y, y + 0.045], LABEL);
        }
        fill(&mut blue, [0.62, 0.92, 0.12, 0.74], LABEL);
        assert_eq!(look(&blurred(&blue)), None);
    }

    #[test]
    fn only_card_shaped_crops_are_judged() {
        let page = imageops::resize(&back(true), 760, 540, imageops::FilterType::Triangle);
        assert_eq!(look(&page), None);
        assert_eq!(look(&imageops::rotate90(&back(true))), None);
    }
}
