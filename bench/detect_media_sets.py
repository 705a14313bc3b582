#!/usr/bin/env python3
"""Evaluation sets for documents inside recordings and PDFs, made from the corpus' specimens.

`recordings`: screen recordings of apps (and some landscape desktop or camera-shaped ones) at
the sizes phones and desktops record (720x1600, 886x1920, 1080x2340, 1170x2532, 1280x720,
1920x1080): a run of app screens full of text (synthetic list and chat screens, the corpus' app
screenshots, receipts shown in an app), each held for 1.5-4 s, recorded at 5 fps with a keyframe
every 1, 2, 5 or 10 s, in the codecs and containers phones write: H.264 or HEVC in MP4 or MOV,
and H.264 or HEVC in Matroska (WebM's VP8/VP9/AV1 are not decoded, so WebM is left out). A
positive shows one corpus document for 2-4 s at a random place in the run, 55-95 % of the frame
wide, on a dark or light ground, sometimes slightly turned; four in five are held until a
keyframe shows them (the issue's target: a document on any keyframe is found), the rest may fall
between two keyframes. One more positive is the issue's own case: an 886x1920 H.264 recording
whose keyframe shows the specimen passport's data page 820 px wide among app screens. Negatives
are the same recordings without the document, half of them showing a receipt, a business card, a
bank card, a face or a scene in its place. The `group` column is `container-codec/keyframe` or
`container-codec/between`.

`pdfs`: PDFs of one to four pages. A positive holds a corpus document on a random page, stored
the ways scanner apps and PDF writers store images: DCT (JPEG), Flate (grey or RGB samples), or
a 1-bit A4 page scanned at 200 or 300 dpi with the document at its real size on it (adaptive
threshold, as scanner apps binarise) coded as CCITT Group 4 or JBIG2 (a generic region coded
with MMR). DCT and Flate images are the page's scan or drawn small on a form page (long side
240-420 px, as a copy attached to an application); any of them is sometimes drawn from inside a
form XObject, as some PDF writers wrap every image. The other pages carry a receipt's or a form's
text, or a receipt image. Two more positives are the issue's cases: a 272x185 passport image on a
one-page PDF, and an ID card on page 2 of 2. Negatives are the same PDFs with an ordinary picture
(receipt, business card, bank card, face, scene, camera photo) in the document's place, and
invoices whose text mentions passport photos. The `group` column is `encoding/placement`
(`dct`, `flate`, `ccitt`, `jbig2`; `page`, `small`, `form`). Beside the set, `twins/` holds each
PDF's document image as the file the photo path would read (the JPEG as stored, or a PNG of the
samples), with its own labels.csv, so that a PDF's miss can be told from the photo path's.

Writes the set as a folder with a labels.csv (file,label,kind,source) for detect_eval.py; the
source column also says how the document was shown (`on_keyframe`, `page=2`, `small`, `form`).
Everything comes from one seeded generator: `--seed` reproduces the sets. Needs ffmpeg (with
libx264 and libx265) for the recordings.
"""

import argparse
import csv
import io
import random
import subprocess
import sys
import zlib
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFile, ImageFilter, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "synth"))
import generate as g  # noqa: E402  (the synthetic generator: app screens, fonts)

# Some corpus photos are cut short (camera files copied as they were); they are shown as far as
# they decode, as an image viewer shows them.
ImageFile.LOAD_TRUNCATED_IMAGES = True

FPS = 5
PORTRAITS = ((720, 1600), (886, 1920), (1080, 2340), (1170, 2532))
LANDSCAPES = ((1280, 720), (1920, 1080))
# (codec, container) as phones and desktop recorders write them, by how common they are.
# Browsers' MediaRecorder writes WebM with VP8 or VP9; OBS writes MKV with H.264.
CODECS = (("h264", "mp4"),) * 3 + (("hevc", "mov"),) * 2 + (("h264", "mov"), ("hevc", "mp4"), ("h264", "mkv"),
                                                              ("h264", "mkv"), ("hevc", "mkv"), ("vp8", "webm"),
                                                              ("vp9", "webm"))
# How a document (or a decoy in its place) is shown: on a plain ground (`plain`, maybe slightly
# turned), turned 10-30 degrees (`turned`), small in the frame (`small`), in a phone app's
# camera preview -- a photographed background, a guide frame, the soft focus and noise of a
# preview recorded from the screen (`preview`) -- or for only 1-2 s in a recording of 30-90 s
# (`brief`).
LOOKS = ("plain", "plain", "turned", "small", "preview", "brief")
# The specimen passport of the tests (MIT, PassportEye's test data).
SPECIMEN = Path(__file__).resolve().parent.parent / "tests/data/detect/positive/pe__100_pass-hrv.jpg"
# Real widths of documents, in mm: an ID-1 card and a passport's data page (ID-3).
CARD_MM, PAGE_MM = 85.6, 125.0
# Negative kinds of the corpus shown in a recording's or a PDF's document place.
DECOYS = ("receipt", "business_card", "bank_card", "bank_card_or_sheet", "face", "scene_text", "camera_photo")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True, type=Path, help="folder holding detect/labels.csv")
    p.add_argument("--out", required=True, type=Path, help="new folder for the set")
    p.add_argument("--set", required=True, choices=("recordings", "pdfs", "minute"))
    p.add_argument("-n", type=int, default=20, help="positives, and as many negatives")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def corpus(root):
    """(positives, negatives by kind, app screenshots): lists of (path, kind)."""
    pos, neg = [], {}
    with open(root / "detect" / "labels.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            path = root / "detect" / row["file"]
            if row["label"] == "positive":
                pos.append((path, row["kind"]))
            elif row["label"] == "negative":
                neg.setdefault(row["kind"], []).append(path)
    return pos, neg


def rgb(path):
    return ImageOps.exif_transpose(Image.open(path)).convert("RGB")


def fit(img, box):
    """`img` scaled to fit inside `box` (w, h), keeping its aspect."""
    scale = min(box[0] / img.width, box[1] / img.height)
    return img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)


def on_ground(img, size, width_share, ground, rng, turn=0.0):
    """A frame of `size` showing `img` `width_share` of its width wide, centred on `ground`."""
    frame = Image.new("RGB", size, ground)
    shown = fit(img, (round(size[0] * width_share), round(size[1] * 0.9)))
    if turn:
        shown = shown.rotate(turn, expand=True, resample=Image.BICUBIC, fillcolor=ground)
        shown = fit(shown, (size[0], round(size[1] * 0.95)))
    x = (size[0] - shown.width) // 2
    y = (size[1] - shown.height) // 2 + rng.randint(-size[1] // 10, size[1] // 10)
    frame.paste(shown, (x, max(0, min(y, size[1] - shown.height))))
    return frame


CHAT_LINES = ("Are you coming tonight?", "Sure, see you at 8", "Can you send me the form?", "Sent it by email",
              "The meeting moved to Friday", "OK thanks!", "Did you pay the rent?", "Yes, this morning",
              "Where are the keys?", "On the table", "Happy birthday!!", "Call me when you land")
FORM_FIELDS = ("Full name", "Email address", "Phone number", "Street and number", "Postcode", "City",
               "Country", "Date of birth", "Occupation", "Annual income", "Reason for the account")


def chat_screen(rng):
    """A messenger's conversation: bubbles of text left and right, an input bar."""
    img, d, s, fg = g.phone_chrome(rng, rng.choice(("Anna", "Max", "Family", "Team", "李雷")))
    w, h = img.size
    f = g.font(g.SANS, int(42 * s))
    y = 340 * s
    while y < h - 380 * s:
        text = rng.choice(CHAT_LINES)
        tw = d.textlength(text, font=f) + 60 * s
        mine = rng.random() < 0.5
        x0 = w - 50 * s - tw if mine else 50 * s
        d.rounded_rectangle([x0, y, x0 + tw, y + 100 * s], int(36 * s),
                            fill=(0, 132, 255) if mine else (229, 229, 234))
        d.text((x0 + 30 * s, y + 22 * s), text, font=f, fill=(255, 255, 255) if mine else (20, 20, 25))
        y += rng.uniform(130, 190) * s
    d.rounded_rectangle([40 * s, h - 200 * s, w - 40 * s, h - 100 * s], int(50 * s), outline=(190, 190, 195),
                        width=max(2, int(3 * s)))
    return img


def form_screen(rng):
    """A sign-up or payment form: labelled fields, some filled in, a button."""
    img, d, s, fg = g.phone_chrome(rng, rng.choice(("Sign up", "Checkout", "Your details", "Account")))
    w, h = img.size
    label, value = g.font(g.SANS, int(34 * s)), g.font(g.SANS, int(44 * s))
    y = 340 * s
    for field in rng.sample(FORM_FIELDS, 7):
        d.text((60 * s, y), field, font=label, fill=(120, 120, 125))
        d.rounded_rectangle([60 * s, y + 50 * s, w - 60 * s, y + 160 * s], int(18 * s), outline=(190, 190, 195),
                            width=max(2, int(3 * s)))
        if rng.random() < 0.6:
            d.text((90 * s, y + 80 * s), rng.choice(g.APP_ROWS), font=value, fill=fg)
        y += 230 * s
        if y > h - 420 * s:
            break
    d.rounded_rectangle([60 * s, h - 260 * s, w - 60 * s, h - 140 * s], int(60 * s), fill=(22, 119, 255))
    return img


def app_view(rng, size, neg):
    """A screen full of text: a synthetic list, chat or form screen, an app screenshot, a receipt."""
    pick = rng.random()
    if pick < 0.25:
        screen = g.app_screenshot(rng)
    elif pick < 0.4:
        screen = chat_screen(rng)
    elif pick < 0.55:
        screen = form_screen(rng)
    elif pick < 0.8 and neg.get("app_screenshot"):
        screen = rgb(rng.choice(neg["app_screenshot"]))
    else:
        screen = on_ground(rgb(rng.choice(neg["receipt"])), (1170, 2532), 0.9, (246, 246, 248), rng)
    if size[0] > size[1]:
        return on_ground(screen, size, 0.4, (30, 30, 34), rng)
    frame = ImageOps.fit(screen, size, Image.LANCZOS, centering=(0.5, rng.random()))
    return frame


def camera_preview(rng, img, size, share, neg):
    """A phone app's camera preview of `img` as a screen recording shows it: a photographed
    background (a corpus camera photo or a drawn desk), `img` placed `share` of the frame wide
    with a little turn and perspective, the guide frame apps draw over a darkened surround,
    soft focus and sensor noise."""
    w, h = size
    if neg.get("camera_photo") and rng.random() < 0.5:
        scene = ImageOps.fit(rgb(rng.choice(neg["camera_photo"])), size, Image.LANCZOS)
    else:
        scene = g.background(rng, size)
    g.place(rng, scene, img, max(0.25, min(0.95, share)), 12, rng.uniform(0.0, 0.08))
    scene = scene.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 2.2)))
    noise = Image.frombytes("L", (w // 2, h // 2), rng.randbytes((w // 2) * (h // 2))).resize((w, h), Image.NEAREST)
    sigma = rng.uniform(3, 9)
    noise = noise.point(lambda v: max(0, min(255, round(128 + (v - 128) * sigma / 74))))
    scene = ImageChops.add(scene, Image.merge("RGB", (noise, noise, noise)), 1.0, -128)
    # The guide: the frame outside a card-shaped window darkened, white corner marks.
    gw = w * 0.9
    gh = min(h * 0.8, gw / 1.4)
    box = [round((w - gw) / 2), round((h - gh) / 2), round((w + gw) / 2), round((h + gh) / 2)]
    mask = Image.new("L", size, 110)
    ImageDraw.Draw(mask).rectangle(box, fill=0)
    scene = Image.composite(Image.new("RGB", size, (0, 0, 0)), scene, mask)
    d = ImageDraw.Draw(scene)
    arm, lw = round(gw * 0.08), max(3, w // 150)
    for (x, y), (dx, dy) in zip(((box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])),
                                ((1, 1), (-1, 1), (-1, -1), (1, -1))):
        d.line([(x, y), (x + dx * arm, y)], fill=(255, 255, 255), width=lw)
        d.line([(x, y), (x, y + dy * arm)], fill=(255, 255, 255), width=lw)
    return scene


def video_call(rng, size, neg):
    """A video call's screen: a face filling the frame, a small self view, a bar of round
    buttons -- no document."""
    w, h = size
    faces = neg.get("face") or neg.get("camera_photo")
    frame = ImageOps.fit(rgb(rng.choice(faces)), size, Image.LANCZOS)
    inset = ImageOps.fit(rgb(rng.choice(faces)), (w // 4, round(w // 4 * (4 / 3 if h > w else 3 / 4))),
                         Image.LANCZOS)
    frame.paste(inset, (w - inset.width - w // 30, h // 20))
    d = ImageDraw.Draw(frame)
    r = min(w, h) // 14
    for k, colour in enumerate(((60, 60, 64), (60, 60, 64), (230, 40, 40), (60, 60, 64))):
        cx = w / 2 + (k - 1.5) * r * 2.6
        d.ellipse([cx - r, h - 3 * r - r, cx + r, h - 3 * r + r], fill=colour)
    d.text((w // 20, h // 20), rng.choice(("Anna", "Max Mustermann", "Support", "00:12:41")),
           font=g.font(g.SANS, max(14, w // 24)), fill=(255, 255, 255))
    return frame


def encode(frames, path, keyframe_secs, codec):
    """Writes `frames` (PIL images of one size) as a recording at FPS with a keyframe every
    `keyframe_secs` seconds and none at scene cuts."""
    w, h = frames[0].size
    gop = max(1, round(keyframe_secs * FPS))
    if codec == "hevc":
        # `hvc1`, as Apple's players want it, in MP4 and MOV; Matroska has its own codec id.
        tag = [] if path.suffix == ".mkv" else ["-tag:v", "hvc1"]
        enc = ["-c:v", "libx265", "-preset", "ultrafast", *tag,
               "-x265-params", f"log-level=error:keyint={gop}:min-keyint={gop}:scenecut=0"]
    elif codec in ("vp8", "vp9"):
        # As a browser's MediaRecorder writes them: real-time speed, a fixed keyframe interval.
        lib = ["-c:v", "libvpx"] if codec == "vp8" else ["-c:v", "libvpx-vp9", "-row-mt", "1"]
        enc = [*lib, "-deadline", "realtime", "-cpu-used", "8", "-b:v", "3M", "-g", str(gop),
               "-keyint_min", str(gop), "-auto-alt-ref", "0"]
    else:
        enc = ["-c:v", "libx264", "-preset", "veryfast", "-g", str(gop), "-keyint_min", str(gop),
               "-sc_threshold", "0"]
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
           "-r", str(FPS), "-i", "-", *enc, "-pix_fmt", "yuv420p", str(path)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    for f in frames:
        proc.stdin.write(f.tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit(f"ffmpeg failed on {path}")


def recording(rng, out, name, doc, neg, fixed=None, call=False):
    """One recording showing `doc` ((image, kind, source): a document or a decoy) or only app
    screens (None), or with `call` a video call with no document. `fixed` (size, keyframe
    seconds, codec, container, width share) replaces the random choices and shows `doc` plainly.
    Returns the file's name, the label's source note and its group
    (`container-codec/look/keyframe|between|none`)."""
    if fixed:
        size, keyframe_secs, codec, ext, share = fixed
        look = "plain"
    else:
        size = rng.choice(PORTRAITS) if rng.random() < 0.7 else rng.choice(LANDSCAPES)
        keyframe_secs = rng.choice((1, 2, 2, 5, 10))
        codec, ext = rng.choice(CODECS)
        look = rng.choice(LOOKS)
        portrait = size[1] > size[0]
        if look == "small":
            share = rng.uniform(0.25, 0.4) if portrait else rng.uniform(0.15, 0.25)
        else:
            share = rng.uniform(0.55, 0.95) if portrait else rng.uniform(0.35, 0.6)
    long = look == "brief" or (doc is None and not call and rng.random() < 0.3)
    count = rng.randint(10, 18) if long else rng.randint(4, 9)
    if call:
        views = [(video_call(rng, size, neg), rng.uniform(3.0, 8.0)) for _ in range(rng.randint(2, 5))]
        look = "call"
    else:
        views = [(app_view(rng, size, neg), rng.uniform(1.5, 4.0)) for _ in range(count)]
    note = f"{size[0]}x{size[1]} {codec} in {ext}, keyframe every {keyframe_secs} s"
    group = f"{ext}-{codec}/{look if doc is not None or call else 'app'}/none"
    if doc is not None:
        img, _, source = doc
        ground = rng.choice(((32, 48, 64), (20, 20, 22), (246, 246, 248), (230, 232, 236)))
        turn = 0.0
        if look == "turned":
            turn = rng.choice((-1, 1)) * rng.uniform(10, 30)
        elif not fixed and look != "preview":
            turn = rng.choice((0.0, 0.0, rng.uniform(-6, 6)))
        at = rng.randint(1, len(views) - 1)
        if look == "preview":
            shown = camera_preview(rng, img, size, share, neg)
        else:
            shown = on_ground(img, size, share, ground, rng, turn)
        frames_before = sum(round(d * FPS) for _, d in views[:at])
        gop = round(keyframe_secs * FPS)
        first_key = -(-frames_before // gop) * gop
        if look == "brief":
            held = round(rng.uniform(1.0, 2.0) * FPS)
        else:
            held = round(rng.uniform(2.0, 4.0) * FPS)
            if (fixed or rng.random() < 0.8) and first_key >= frames_before + held:
                # Held until a keyframe shows it, and a second beyond.
                held = first_key - frames_before + FPS
        views.insert(at, (shown, held / FPS))
        start = frames_before / FPS
        on_key = first_key < frames_before + held
        total = sum(round(d * FPS) for _, d in views) / FPS
        note += (f"; {look}: {source} at {start:.1f} s of {total:.0f} s for {held / FPS:.1f} s, "
                 f"document {share:.0%} wide{f', turned {turn:.0f} deg' if turn else ''}, "
                 f"{'on a keyframe' if on_key else 'between keyframes'}")
        group = f"{ext}-{codec}/{look}/{'keyframe' if on_key else 'between'}"
    frames = [v for v, d in views for _ in range(max(1, round(d * FPS)))]
    encode(frames, out / f"{name}.{ext}", keyframe_secs, codec)
    return f"{name}.{ext}", note, group


# --- PDFs -------------------------------------------------------------------------------------


class Pdf:
    """A PDF written object by object (no PDF library is packaged for the bench's Python)."""

    def __init__(self, rng):
        self.objects = []
        self.rng = rng

    def add(self, body):
        self.objects.append(body)
        return len(self.objects)

    def stream(self, entries, data):
        return self.add(b"<< " + entries + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")

    def image(self, img, enc):
        """An image XObject in encoding `enc`: `dct` (JPEG), `flate grey` or `flate rgb`
        (samples), `ccitt` or `jbig2` (a 1-bit image, `img` in mode "1"). Returns its object
        number and the bytes of the file the photo path would read for it (its twin)."""
        w, h = img.size
        head = b"/Type /XObject /Subtype /Image /Width %d /Height %d " % (w, h)
        if enc == "dct":
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=self.rng.randint(75, 95))
            entries = head + b"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode"
            return self.stream(entries, buf.getvalue()), (".jpg", buf.getvalue())
        if enc.startswith("flate"):
            samples = img.convert("L") if enc == "flate grey" else img.convert("RGB")
            space = b"/DeviceGray" if samples.mode == "L" else b"/DeviceRGB"
            entries = head + b"/ColorSpace %s /BitsPerComponent 8 /Filter /FlateDecode" % space
            return self.stream(entries, zlib.compress(samples.tobytes(), 6)), (".png", png_bytes(samples))
        g4 = group4(img)
        if enc == "ccitt":
            entries = head + (b"/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode "
                              b"/DecodeParms << /K -1 /Columns %d /Rows %d >>" % (w, h))
            data = g4
        else:
            entries = head + b"/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode"
            data = jbig2_page(w, h, g4)
        return self.stream(entries, data), (".png", png_bytes(img.convert("L")))

    def save(self, path, pages):
        """`pages`: (content ops, resources dict bytes) each, on A4."""
        kids_at = len(self.objects) + 1
        page_ids = []
        pages_id = kids_at + 2 * len(pages)
        for ops, resources in pages:
            content = self.stream(b"", ops)
            page_ids.append(self.add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R /Resources %s >>"
                % (pages_id, content, resources)))
        kids = b" ".join(b"%d 0 R" % i for i in page_ids)
        assert self.add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages))) == pages_id
        catalog = self.add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
        out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(self.objects, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
        out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(self.objects) + 1, catalog, xref)
        path.write_bytes(bytes(out))


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
RECEIPT_LINES = ("RECEIPT 2024-117", "Coffee 3.20", "Sandwich 6.90", "VAT 20% 1.68", "Total EUR 10.10",
                 "Card ****1234 approved", "Thank you for your visit")
FORM_LINES = ("APPLICATION FOR MEMBERSHIP", "Name: ____________________", "Address: _________________",
              "Date of birth: ___________", "Signature: _______________", "Please attach a copy below.")
INVOICE_LINES = ("INVOICE 2024-211", "Passport photos, 4 prints 12.50", "Photo ID card lamination 3.00",
                 "Total EUR 15.50", "Thank you for your visit")


def text_ops(lines, top=780):
    ops = b"BT /F1 12 Tf 14 TL 60 %d Td" % top
    for line in lines:
        ops += b" (%s) Tj T*" % line.encode("latin-1")
    return ops + b" ET\n"


def png_bytes(img):
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def group4(img):
    """CCITT Group 4 (T.6) data of the 1-bit image `img` (mode "1", white = 1), coded as PDF's
    default `/BlackIs1 false` reads it: libtiff's encoder through Pillow, the image in one
    strip. Pillow writes a bilevel TIFF as BlackIsZero and libtiff codes 0 bits as the fax's
    white runs, so the image goes in negated (checked against poppler's rendering)."""
    buf = io.BytesIO()
    ImageOps.invert(img.convert("L")).convert("1").save(buf, "TIFF", compression="group4",
                                                        tiffinfo={278: img.height})
    tif = Image.open(io.BytesIO(buf.getvalue()))
    (offset,), (count,) = tif.tag_v2[273], tif.tag_v2[279]
    if tif.tag_v2.get(262) != 1:
        sys.exit("Pillow wrote a Group 4 TIFF that is not BlackIsZero; the bench's coding assumes one")
    return buf.getvalue()[offset:offset + count]


def jbig2_page(w, h, mmr):
    """A JBIG2 page in PDF's embedded organisation (ITU T.88 annex D.3): a page-information
    segment, one immediate generic region coded with MMR (whose data is plain T.6), and
    the end of the page."""
    def segment(number, kind, data):
        return number.to_bytes(4, "big") + bytes((kind, 0, 1)) + len(data).to_bytes(4, "big") + data
    dims = b"".join(v.to_bytes(4, "big") for v in (w, h, 0, 0))
    return (segment(0, 48, dims + bytes(3)) + segment(1, 38, dims + bytes((0, 1)) + mmr)
            + segment(2, 49, b""))


def scanned_page(img, kind, rng):
    """`img` at its real size on an A4 page scanned to 1 bit at 200 or 300 dpi, thresholded
    against its neighbourhood's mean as scanner apps binarise (a mode "1" image)."""
    dpi = rng.choice((200, 300))
    px = dpi / 25.4
    page = Image.new("L", (round(210 * px), round(297 * px)), 250)
    width_mm = PAGE_MM if kind in ("passport", "visa") and img.width / img.height < 1.55 else CARD_MM
    shown = img.convert("L").resize((round(width_mm * px), round(width_mm * px * img.height / img.width)),
                                    Image.LANCZOS)
    page.paste(shown, (round(20 * px), round(rng.uniform(20, 150) * px)))
    local = page.filter(ImageFilter.BoxBlur(round(dpi / 15)))
    ink = ImageChops.subtract(local, page)  # how much darker than around it
    return ink.point(lambda v: 0 if v > 10 else 255).convert("1")


def pdf(rng, out, name, doc, neg, fixed=None):
    """One PDF showing `doc` ((image, kind, source): a document or a decoy). `fixed` (pages,
    page, encoding, placement, size) replaces the random choices. Returns the file's name, the
    label's source note, its group and its twin (extension, bytes)."""
    img, kind, source = doc
    w = Pdf(rng)
    font = w.add(FONT)
    if fixed:
        n_pages, where, enc, placement, size = fixed
        in_form = placement == "form"
    else:
        n_pages = rng.choice((1, 2, 2, 3, 4))
        where = rng.randrange(n_pages)
        enc = rng.choice(("dct", "dct", "dct", "flate grey", "flate rgb", "ccitt", "ccitt", "jbig2"))
        in_form = rng.random() < 0.3
        placement = "page" if enc in ("ccitt", "jbig2") or rng.random() < 0.5 else "small"
        size = None
    small = placement == "small" or (fixed and size)
    if enc in ("ccitt", "jbig2"):
        shown = scanned_page(img, kind, rng)
    elif small:
        shown = img.resize(size, Image.LANCZOS) if size else fit(img, (rng.randint(240, 420),) * 2)
    else:
        shown = fit(img, (1240, 1754)) if max(img.size) > 1754 else img
    image, twin = w.image(shown, enc)
    pages = []
    for p in range(n_pages):
        if p == where:
            if small:
                pw = 72 * shown.width / 150
                ph = 72 * shown.height / 150
                draw = b"q %.1f 0 0 %.1f 60 %.1f cm /Im1 Do Q\n" % (pw, ph, 560 - ph)
                ops = text_ops(FORM_LINES)
            else:
                scale = min(515 / shown.width, 760 / shown.height)
                if enc in ("ccitt", "jbig2"):
                    scale = 595 / shown.width
                pw, ph = shown.width * scale, shown.height * scale
                draw = b"q %.1f 0 0 %.1f %.1f %.1f cm /Im1 Do Q\n" % (pw, ph, (595 - pw) / 2, (842 - ph) / 2)
                ops = b""
            if in_form:
                form = w.stream(b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] "
                                b"/Resources << /XObject << /Im1 %d 0 R >> >>" % image, draw)
                ops += b"/Fm1 Do\n"
                xobjects = b"/Fm1 %d 0 R" % form
            else:
                ops += draw
                xobjects = b"/Im1 %d 0 R" % image
            pages.append((ops, b"<< /Font << /F1 %d 0 R >> /XObject << %s >> >>" % (font, xobjects)))
        elif rng.random() < 0.3:
            receipt, _ = w.image(fit(rgb(rng.choice(neg["receipt"])), (900, 1200)), "dct")
            pages.append((b"q 400 0 0 533 97 150 cm /Im2 Do Q\n",
                          b"<< /XObject << /Im2 %d 0 R >> >>" % receipt))
        else:
            lines = rng.choice((RECEIPT_LINES, FORM_LINES, INVOICE_LINES))
            pages.append((text_ops(lines), b"<< /Font << /F1 %d 0 R >> >>" % font))
    w.save(out / f"{name}.pdf", pages)
    how = "1-bit A4 scan, " + enc if enc in ("ccitt", "jbig2") else enc
    note = f"{source} on page {where + 1} of {n_pages}, {'small ' if small else 'page '}{shown.width}x{shown.height}, " \
           f"{how}{', in a form XObject' if in_form else ''}"
    group = f"{enc.split()[0]}/{'form' if in_form else 'small' if small else 'page'}"
    return f"{name}.pdf", note, group, twin


def minute(rng, out, neg):
    """The one-minute recordings of the `minute` set; returns their label rows. App screens held
    5 s each at 30 fps with a keyframe every 2 s (`minute_app`), the same with the passport from
    0:50 (`minute_passport`, on a keyframe), with the passport for 1.4 s between the keyframes at
    0:50 and 0:52 (`minute_brief`), and the app screens with a keyframe every 10 s
    (`minute_app_gop10`, where most views start between keyframes)."""
    size = (1080, 2340)
    views = [app_view(rng, size, neg) for _ in range(12)]
    passport = rgb(Path(__file__).resolve().parent.parent / "tests/data/detect/positive/pe__100_pass-hrv.jpg")
    shown_passport = on_ground(passport, size, 0.9, (32, 48, 64), rng)
    plain = [(v, 5.0) for v in views]
    brief = plain[:10] + [(views[10], 0.3), (shown_passport, 1.4), (views[10], 3.3), (views[11], 5.0)]
    rows = []
    for name, shown, keyframe_secs, label in (
            ("minute_app", plain, 2, ("negative", "app_recording")),
            ("minute_passport", plain[:10] + [(shown_passport, 5.0), plain[11]], 2, ("positive", "passport")),
            ("minute_brief", brief, 2, ("positive", "passport")),
            ("minute_app_gop10", plain, 10, ("negative", "app_recording"))):
        listing = ""
        for i, (v, secs) in enumerate(shown):
            v.save(out / f"{name}_{i:02d}.png")
            listing += f"file '{name}_{i:02d}.png'\nduration {secs}\n"
        listing += f"file '{name}_{len(shown) - 1:02d}.png'\n"
        (out / f"{name}.txt").write_text(listing)
        gop = str(30 * keyframe_secs)
        cmd = ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-i", str(out / f"{name}.txt"), "-vf",
               "fps=30,format=yuv420p", "-c:v", "libx264", "-preset", "veryfast", "-g", gop, "-keyint_min", gop,
               "-sc_threshold", "0", "-t", "60", str(out / f"{name}.mp4")]
        subprocess.run(cmd, check=True)
        for i in range(len(shown)):
            (out / f"{name}_{i:02d}.png").unlink()
        (out / f"{name}.txt").unlink()
        rows.append((f"{name}.mp4", *label, f"one minute, 30 fps, keyframe every {keyframe_secs} s", ""))
    return rows


def issue_cases(rng, out, pos, neg, make):
    """The issue's own misses, as one positive each: an 886x1920 H.264 recording whose keyframe
    shows the specimen passport 820 px wide among app screens; a 272x185 passport image on a
    one-page PDF; an ID card on page 2 of 2."""
    if make is recording:
        doc = (rgb(SPECIMEN), "passport", SPECIMEN.name)
        return [("pos_issue_820", "passport", *make(rng, out, "pos_issue_820", doc, neg,
                                                    fixed=((886, 1920), 2, "h264", "mp4", 820 / 886)))]
    passports = [(p, k) for p, k in pos if k == "passport"]
    cards = [(p, k) for p, k in pos if k == "id_card"]
    rows = []
    for name, (path, kind), fixed in (("pos_issue_272", rng.choice(passports), (1, 0, "dct", "small", (272, 185))),
                                      ("pos_issue_page2", rng.choice(cards), (2, 1, "dct", "small", None))):
        rows.append((name, kind, *make(rng, out, name, (rgb(path), kind, path.name), neg, fixed=fixed)))
    return rows


def main():
    args = parse_args()
    rng = random.Random(args.seed)
    pos, neg = corpus(args.corpus)
    args.out.mkdir(parents=True)
    if args.set == "minute":
        write_labels(args.out, minute(rng, args.out, neg))
        return
    decoys = [(p, k) for k in DECOYS for p in neg.get(k, [])]
    rows, twins = [], []
    make = recording if args.set == "recordings" else pdf
    twin_dir = args.out / "twins"
    if make is pdf:
        twin_dir.mkdir()

    def add(stem, label, kind, made):
        name, note, group, *twin = made
        rows.append((name, label, kind, note, group))
        if twin:
            ext, data = twin[0]
            (twin_dir / (stem + ext)).write_bytes(data)
            twins.append((stem + ext, label, kind, note, group))

    docs = rng.sample(pos, min(args.n, len(pos)))
    docs += rng.sample(pos, args.n - len(docs)) if args.n > len(docs) else []

    def negative(i):
        pick = rng.random()
        if args.set == "recordings" and pick < 0.3:
            add(f"neg_{i:03d}", "negative", "app_recording", make(rng, args.out, f"neg_{i:03d}", None, neg))
        elif args.set == "recordings" and pick < 0.45:
            add(f"neg_{i:03d}", "negative", "video_call", make(rng, args.out, f"neg_{i:03d}", None, neg, call=True))
        else:
            path, kind = rng.choice(decoys)
            add(f"neg_{i:03d}", "negative", kind, make(rng, args.out, f"neg_{i:03d}", (rgb(path), kind, path.name), neg))

    # The issue's cases first, then a positive and a negative in turn, the labels written after
    # each file: a run cut short (a busy machine) leaves a usable, balanced set.
    for stem, kind, *made in issue_cases(rng, args.out, pos, neg, make):
        add(stem, "positive", kind, made)
    for i, (path, kind) in enumerate(docs):
        add(f"pos_{i:03d}", "positive", kind, make(rng, args.out, f"pos_{i:03d}", (rgb(path), kind, path.name), neg))
        negative(i)
        write_labels(args.out, rows)
        if twins:
            write_labels(twin_dir, twins)
        print(f"{args.set}: {i + 1}/{args.n} positives and negatives", file=sys.stderr, end="\r")
    print(f"\n{args.set}: {len(rows)} files in {args.out}", file=sys.stderr)


def write_labels(folder, rows):
    with open(folder / "labels.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(("file", "label", "kind", "source", "group"))
        out.writerows(rows)


if __name__ == "__main__":
    main()
