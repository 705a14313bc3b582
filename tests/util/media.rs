//! Builders for media files with chosen metadata, written byte by byte so each test controls
//! exactly what a file carries.

/// An EXIF (TIFF) block, little-endian, with the given IFD0 strings, an optional UserComment in
/// the Exif IFD, and an optional GPS position.
#[derive(Default)]
pub struct Exif<'a> {
    pub make: Option<&'a str>,
    pub model: Option<&'a str>,
    pub software: Option<&'a str>,
    pub user_comment: Option<&'a str>,
    pub gps: bool,
    pub orientation: Option<u16>,
}

struct Entry {
    tag: u16,
    typ: u16,
    count: u32,
    data: Vec<u8>,
}

fn ascii(tag: u16, s: &str) -> Entry {
    let mut data = s.as_bytes().to_vec();
    data.push(0);
    Entry {
        tag,
        typ: 2,
        count: data.len() as u32,
        data,
    }
}

fn long(tag: u16, v: u32) -> Entry {
    Entry {
        tag,
        typ: 4,
        count: 1,
        data: v.to_le_bytes().to_vec(),
    }
}

/// Serialises IFDs laid out one after another starting at `base`; values longer than 4 bytes go
/// after each IFD. Returns the bytes.
fn ifd(entries: &[Entry], base: u32) -> Vec<u8> {
    let table_len = 2 + 12 * entries.len() as u32 + 4;
    let mut extra = Vec::new();
    let mut out = Vec::new();
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for e in entries {
        out.extend_from_slice(&e.tag.to_le_bytes());
        out.extend_from_slice(&e.typ.to_le_bytes());
        out.extend_from_slice(&e.count.to_le_bytes());
        if e.data.len() <= 4 {
            let mut v = e.data.clone();
            v.resize(4, 0);
            out.extend_from_slice(&v);
        } else {
            let off = base + table_len + extra.len() as u32;
            out.extend_from_slice(&off.to_le_bytes());
            extra.extend_from_slice(&e.data);
            if extra.len() % 2 == 1 {
                extra.push(0);
            }
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&extra);
    out
}

impl Exif<'_> {
    /// The TIFF bytes (what goes after `Exif\0\0` in JPEG, or into a PNG eXIf chunk).
    pub fn tiff(&self) -> Vec<u8> {
        let exif_entries: Vec<Entry> = self
            .user_comment
            .map(|c| {
                let mut data = b"ASCII\0\0\0".to_vec();
                data.extend_from_slice(c.as_bytes());
                Entry {
                    tag: 0x9286,
                    typ: 7,
                    count: data.len() as u32,
                    data,
                }
            })
            .into_iter()
            .collect();
        let gps_entries: Vec<Entry> = if self.gps {
            let rational = |v: u32| {
                let mut d = Vec::new();
                for (n, den) in [(v, 1u32), (30, 1), (0, 1)] {
                    d.extend_from_slice(&n.to_le_bytes());
                    d.extend_from_slice(&den.to_le_bytes());
                }
                d
            };
            vec![
                ascii(1, "N"),
                Entry {
                    tag: 2,
                    typ: 5,
                    count: 3,
                    data: rational(48),
                },
                ascii(3, "E"),
                Entry {
                    tag: 4,
                    typ: 5,
                    count: 3,
                    data: rational(2),
                },
            ]
        } else {
            Vec::new()
        };
        // Two passes: the IFD0 size decides where the sub-IFDs go.
        let build_ifd0 = |exif_off: u32, gps_off: u32| {
            let mut e = Vec::new();
            if let Some(m) = self.make {
                e.push(ascii(0x010F, m));
            }
            if let Some(m) = self.model {
                e.push(ascii(0x0110, m));
            }
            if let Some(o) = self.orientation {
                e.push(Entry {
                    tag: 0x0112,
                    typ: 3,
                    count: 1,
                    data: o.to_le_bytes().to_vec(),
                });
            }
            if let Some(s) = self.software {
                e.push(ascii(0x0131, s));
            }
            if !exif_entries.is_empty() {
                e.push(long(0x8769, exif_off));
            }
            if !gps_entries.is_empty() {
                e.push(long(0x8825, gps_off));
            }
            ifd(&e, 8)
        };
        let ifd0_len = build_ifd0(0, 0).len() as u32;
        let exif_off = 8 + ifd0_len;
        let exif_ifd = ifd(&exif_entries, exif_off);
        let gps_off = exif_off
            + if exif_entries.is_empty() {
                0
            } else {
                exif_ifd.len() as u32
            };
        let gps_ifd = ifd(&gps_entries, gps_off);
        let mut out = b"II*\0\x08\0\0\0".to_vec();
        out.extend_from_slice(&build_ifd0(exif_off, gps_off));
        if !exif_entries.is_empty() {
            out.extend_from_slice(&exif_ifd);
        }
        if !gps_entries.is_empty() {
            out.extend_from_slice(&gps_ifd);
        }
        out
    }
}

/// A PNG chunk with its CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut h = crc32fast::Hasher::new();
    h.update(kind);
    h.update(data);
    out.extend_from_slice(&h.finalize().to_be_bytes());
    out
}

/// A valid grey `w`×`h` PNG (stored deflate blocks), with `extra` chunks before IDAT.
pub fn png(w: u32, h: u32, extra: &[Vec<u8>]) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0); // filter: none
        raw.extend((0..w).map(|x| ((x * 7 + y * 3) % 251) as u8));
    }
    // zlib with stored blocks: no compressor needed, any decoder reads it.
    let mut z = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = raw.chunks(65535).collect();
    for (i, c) in chunks.iter().enumerate() {
        z.push(u8::from(i + 1 == chunks.len()));
        z.extend_from_slice(&(c.len() as u16).to_le_bytes());
        z.extend_from_slice(&(!(c.len() as u16)).to_le_bytes());
        z.extend_from_slice(c);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &ihdr));
    for c in extra {
        out.extend_from_slice(c);
    }
    out.extend(png_chunk(b"IDAT", &z));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

/// Inserts an APP1 EXIF segment right after SOI of a JPEG, removing existing APP1 segments.
pub fn jpeg_with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], b"\xFF\xD8");
    let mut out = b"\xFF\xD8".to_vec();
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(tiff);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF {
        let marker = jpeg[pos + 1];
        let len = u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
        if marker == 0xDA {
            break;
        }
        if marker != 0xE1 {
            out.extend_from_slice(&jpeg[pos..pos + 2 + len]);
        }
        pos += 2 + len;
    }
    out.extend_from_slice(&jpeg[pos..]);
    out
}

fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(payload);
    v
}

/// A minimal MP4: `ftyp`, a `moov` with a 10-second `mvhd` and one `w`×`h` video track, and
/// optionally an Apple `©mak` user-data atom; then a small `mdat`.
pub fn mp4(w: u32, h: u32, make: Option<&str>) -> Vec<u8> {
    let mut out = bx(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&10_000u32.to_be_bytes());
    let mut tkhd = vec![0u8; 84];
    tkhd[76..80].copy_from_slice(&(w << 16).to_be_bytes());
    tkhd[80..84].copy_from_slice(&(h << 16).to_be_bytes());
    let mut moov = bx(b"mvhd", &mvhd);
    moov.extend(bx(b"trak", &bx(b"tkhd", &tkhd)));
    if let Some(m) = make {
        let mut atom = (m.len() as u16).to_be_bytes().to_vec();
        atom.extend_from_slice(&[0x15, 0xC7]);
        atom.extend_from_slice(m.as_bytes());
        moov.extend(bx(b"udta", &bx(b"\xa9mak", &atom)));
    }
    out.extend(bx(b"moov", &moov));
    out.extend(bx(b"mdat", &[0u8; 256]));
    out
}

/// A `w`×`h` 24-bit BMP (a format idvault leaves unchanged): the file and info headers, then
/// bottom-up rows of grey pixels, each padded to four bytes.
pub fn bmp(w: u32, h: u32) -> Vec<u8> {
    let row = (w * 3).div_ceil(4) * 4;
    let pixels = row * h;
    let mut out = b"BM".to_vec();
    out.extend_from_slice(&(54 + pixels).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&54u32.to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&w.to_le_bytes());
    out.extend_from_slice(&h.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // planes
    out.extend_from_slice(&24u16.to_le_bytes()); // bits per pixel
    out.extend_from_slice(&[0; 4]); // no compression
    out.extend_from_slice(&pixels.to_le_bytes());
    out.extend_from_slice(&[0; 16]); // resolution and palette sizes
    out.resize(out.len() + pixels as usize, 0x80);
    out
}

/// A little-endian BigTIFF (64-bit offsets): one IFD describing a 2×2 8-bit grey image, with
/// an `Artist` tag as its metadata, then the four pixel bytes.
pub fn bigtiff() -> Vec<u8> {
    const IFD: u64 = 16;
    // (tag, type, value): type 3 SHORT, 2 ASCII, 16 LONG8; every value fits in 8 bytes.
    let entries: [(u16, u16, u64, [u8; 8]); 9] = [
        (256, 3, 1, [2, 0, 0, 0, 0, 0, 0, 0]),  // ImageWidth
        (257, 3, 1, [2, 0, 0, 0, 0, 0, 0, 0]),  // ImageLength
        (258, 3, 1, [8, 0, 0, 0, 0, 0, 0, 0]),  // BitsPerSample
        (259, 3, 1, [1, 0, 0, 0, 0, 0, 0, 0]),  // Compression: none
        (262, 3, 1, [1, 0, 0, 0, 0, 0, 0, 0]),  // Photometric: black is zero
        (273, 16, 1, [0; 8]),                   // StripOffsets, filled in below
        (278, 3, 1, [2, 0, 0, 0, 0, 0, 0, 0]),  // RowsPerStrip
        (279, 16, 1, [4, 0, 0, 0, 0, 0, 0, 0]), // StripByteCounts
        (315, 2, 8, *b"Someone\0"),             // Artist, with its NUL
    ];
    let data_at = IFD + 8 + entries.len() as u64 * 20 + 8;
    let mut out = b"II".to_vec();
    out.extend_from_slice(&43u16.to_le_bytes());
    out.extend_from_slice(&8u16.to_le_bytes()); // offset size
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&IFD.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for (tag, ty, count, mut value) in entries {
        if tag == 273 {
            value = data_at.to_le_bytes();
        }
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value);
    }
    out.extend_from_slice(&0u64.to_le_bytes()); // no next IFD
    out.extend_from_slice(&[0, 85, 170, 255]);
    out
}

/// An H.264 MP4 recording of `frames` (all the same size, even sides) at `fps` frames a second,
/// made in-process: encoded by OpenH264 at a high bit rate, the frames whose index is in
/// `keyframes` as IDR pictures and the rest as P pictures, then muxed into the boxes a phone
/// writes (one video track; `stss` lists the keyframes). The boxes are written here as the rest
/// of this module writes them: a muxer crate would bring a dependency tree for ~60 lines.
pub fn h264_mp4(frames: &[image::RgbImage], fps: u32, keyframes: &[usize]) -> Vec<u8> {
    use openh264::encoder::{
        BitRate, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, RateControlMode,
    };
    use openh264::formats::{RgbSliceU8, YUVBuffer};
    let (w, h) = frames[0].dimensions();
    let config = EncoderConfig::new()
        .bitrate(BitRate::from_bps(20_000_000))
        .max_frame_rate(FrameRate::from_hz(fps as f32))
        .rate_control_mode(RateControlMode::Quality)
        .skip_frames(false)
        .scene_change_detect(false)
        .intra_frame_period(IntraFramePeriod::from_num_frames(10_000));
    let api = openh264::OpenH264API::from_source();
    let mut enc = Encoder::with_api_config(api, config).unwrap();
    let (mut sets, mut samples, mut sync) = (Vec::<Vec<u8>>::new(), Vec::new(), Vec::new());
    for (i, frame) in frames.iter().enumerate() {
        assert_eq!(frame.dimensions(), (w, h), "frames of one size");
        if keyframes.contains(&i) {
            enc.force_intra_frame();
        }
        let yuv =
            YUVBuffer::from_rgb8_source(RgbSliceU8::new(frame.as_raw(), (w as usize, h as usize)));
        let stream = enc.encode(&yuv).unwrap();
        let idr = stream.frame_type() == FrameType::IDR;
        assert_eq!(idr, i == 0 || keyframes.contains(&i), "frame {i}");
        let mut sample = Vec::new();
        for l in 0..stream.num_layers() {
            let layer = stream.layer(l).unwrap();
            for n in 0..layer.nal_count() {
                let unit = layer.nal_unit(n).unwrap();
                let start = unit.iter().position(|&b| b == 1).unwrap() + 1;
                let unit = &unit[start..];
                match unit[0] & 0x1F {
                    // SPS and PPS go into `avcC`, once.
                    7 | 8 => {
                        if sets.len() < 2 && !sets.iter().any(|s| s[0] == unit[0]) {
                            sets.push(unit.to_vec());
                        }
                    }
                    _ => {
                        sample.extend_from_slice(&(unit.len() as u32).to_be_bytes());
                        sample.extend_from_slice(unit);
                    }
                }
            }
        }
        if idr {
            sync.push(i as u32 + 1);
        }
        samples.push(sample);
    }
    let sps = sets.iter().find(|s| s[0] & 0x1F == 7).unwrap();
    let pps = sets.iter().find(|s| s[0] & 0x1F == 8).unwrap();
    mux_avc(w, h, fps, sps, pps, &samples, &sync)
}

/// An MP4 of one H.264 track: the `samples` (length-prefixed NAL units), one every `1/fps` s,
/// `sync` their 1-based keyframe numbers.
fn mux_avc(
    w: u32,
    h: u32,
    fps: u32,
    sps: &[u8],
    pps: &[u8],
    samples: &[Vec<u8>],
    sync: &[u32],
) -> Vec<u8> {
    let be32 = |v: u32| v.to_be_bytes().to_vec();
    let full = |kind: &[u8; 4], flags: u32, body: &[u8]| {
        let mut p = be32(flags);
        p.extend_from_slice(body);
        bx(kind, &p)
    };
    let (timescale, delta) = (600u32, 600 / fps);
    let duration = delta * samples.len() as u32;
    let matrix: Vec<u8> = [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    // Bodies after the version and flags; creation and modification times 0.
    let mut mvhd = [be32(0), be32(0), be32(timescale), be32(duration)].concat();
    mvhd.extend([0, 1, 0, 0, 1, 0]); // rate 1.0, volume 1.0
    mvhd.extend([0; 10]);
    mvhd.extend(&matrix);
    mvhd.extend([0; 24]);
    mvhd.extend(be32(2)); // next track ID
    let mut tkhd = [be32(0), be32(0), be32(1), be32(0), be32(duration)].concat();
    tkhd.extend([0; 16]); // reserved, layer, group, volume, reserved
    tkhd.extend(&matrix);
    tkhd.extend([be32(w << 16), be32(h << 16)].concat());
    let mut mdhd = [be32(0), be32(0), be32(timescale), be32(duration)].concat();
    mdhd.extend([0x55, 0xC4, 0, 0]); // language "und"
    let mut hdlr = [be32(0), b"vide".to_vec(), vec![0; 12]].concat();
    hdlr.extend(b"VideoHandler\0");
    let mut avcc = vec![1, sps[1], sps[2], sps[3], 0xFF, 0xE1];
    avcc.extend((sps.len() as u16).to_be_bytes());
    avcc.extend(sps);
    avcc.push(1);
    avcc.extend((pps.len() as u16).to_be_bytes());
    avcc.extend(pps);
    let mut avc1 = vec![0u8; 6];
    avc1.extend([0, 1]); // data reference index
    avc1.extend([0; 16]);
    avc1.extend((w as u16).to_be_bytes());
    avc1.extend((h as u16).to_be_bytes());
    avc1.extend([be32(0x0048_0000), be32(0x0048_0000), be32(0)].concat());
    avc1.extend([0, 1]); // frame count
    avc1.extend([0; 32]); // compressor name
    avc1.extend([0, 0x18, 0xFF, 0xFF]); // depth, pre-defined -1
    avc1.extend(bx(b"avcC", &avcc));
    let n = samples.len() as u32;
    let stsd = full(b"stsd", 0, &[be32(1), bx(b"avc1", &avc1)].concat());
    let stts = full(b"stts", 0, &[be32(1), be32(n), be32(delta)].concat());
    let stss = full(
        b"stss",
        0,
        &[
            be32(sync.len() as u32),
            sync.iter().flat_map(|s| be32(*s)).collect(),
        ]
        .concat(),
    );
    let stsc = full(b"stsc", 0, &[be32(1), be32(1), be32(n), be32(1)].concat());
    let sizes: Vec<u8> = samples.iter().flat_map(|s| be32(s.len() as u32)).collect();
    let stsz = full(b"stsz", 0, &[be32(0), be32(n), sizes].concat());
    let ftyp = bx(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
    // The chunk offset is known once the `moov` before the data is: its size does not depend
    // on the offset's value.
    let moov = |offset: u32| {
        let stco = full(b"stco", 0, &[be32(1), be32(offset)].concat());
        let stbl = bx(
            b"stbl",
            &[
                stsd.clone(),
                stts.clone(),
                stss.clone(),
                stsc.clone(),
                stsz.clone(),
                stco,
            ]
            .concat(),
        );
        let dref = full(b"dref", 0, &[be32(1), full(b"url ", 1, &[])].concat());
        let minf = bx(
            b"minf",
            &[full(b"vmhd", 1, &[0; 8]), bx(b"dinf", &dref), stbl].concat(),
        );
        let mdia = bx(
            b"mdia",
            &[full(b"mdhd", 0, &mdhd), full(b"hdlr", 0, &hdlr), minf].concat(),
        );
        let trak = bx(b"trak", &[full(b"tkhd", 3, &tkhd), mdia].concat());
        bx(b"moov", &[full(b"mvhd", 0, &mvhd), trak].concat())
    };
    let offset = (ftyp.len() + moov(0).len() + 8) as u32;
    let data: Vec<u8> = samples.concat();
    [ftyp, moov(offset), bx(b"mdat", &data)].concat()
}
