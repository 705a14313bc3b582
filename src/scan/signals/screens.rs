//! Pixel sizes of phone, tablet and desktop screens, for "this image is exactly screen-sized".
//! Figures are the panels' native resolutions as published by the makers.

/// Native resolutions, short side first.
const SCREENS: &[(u32, u32)] = &[
    // iPhone
    (640, 1136),
    (750, 1334),
    (828, 1792),
    (1080, 1920),
    (1125, 2436),
    (1170, 2532),
    (1179, 2556),
    (1206, 2622),
    (1242, 2208),
    (1242, 2688),
    (1284, 2778),
    (1290, 2796),
    (1320, 2868),
    // iOS screen recordings are often written at these reduced sizes
    (886, 1920),
    (888, 1920),
    // Android
    (720, 1280),
    (720, 1600),
    (1080, 2160),
    (1080, 2220),
    (1080, 2280),
    (1080, 2340),
    (1080, 2400),
    (1080, 2408),
    (1080, 2412),
    (1220, 2712),
    (1260, 2800),
    (1344, 2992),
    (1440, 2560),
    (1440, 2960),
    (1440, 3040),
    (1440, 3088),
    (1440, 3120),
    (1440, 3200),
    // tablets
    (1536, 2048),
    (1620, 2160),
    (1640, 2360),
    (1668, 2224),
    (1668, 2388),
    (2048, 2732),
    (1600, 2560),
    // desktops and laptops
    (768, 1366),
    (900, 1440),
    (1050, 1680),
    (1080, 1920),
    (1200, 1920),
    (1440, 2560),
    (1600, 2560),
    (1800, 2880),
    (1964, 3024),
    (2234, 3456),
    (2160, 3840),
];

/// True when `w`×`h` (either orientation) is a known screen resolution.
pub fn is_screen_size(w: u32, h: u32) -> bool {
    let key = (w.min(h), w.max(h));
    SCREENS.contains(&key)
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_orientations() {
        assert!(super::is_screen_size(1170, 2532));
        assert!(super::is_screen_size(2532, 1170));
        assert!(!super::is_screen_size(4032, 3024));
    }
}
