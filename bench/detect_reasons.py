#!/usr/bin/env python3
"""Evaluation sets by rejection reason, through two different damage pipelines.

Every reason a verification app gives for rejecting an identity photo — `blur`, `motion`
(shaken), `glare`, `cut` (corners off the frame), `finger`, `steep` (too steep an angle),
`cluttered` and `same_colour` backgrounds — and `a4` (both sides copied onto an A4 sheet,
photographed) gets its own group of positives (Chinese ID fronts and backs, passports from the
corpus, Hong Kong/Macau and Taiwan travel permits) and negatives spoiled the same way
(portraits, group photos, photo prints, business cards and badges with a photo, bank cards,
receipts, book pages, posters with faces, camera raw files).

The two pipelines share the documents but nothing of the damage, so that a rule fitted to one
look shows up as a gap in the other:

- `a`: the look of bench/detect_sets.py and tests/synth: drawn clutter, phone-size frames
  (1.7–4.3 MP), gaussian blur, motion blur along a straight line, a soft elliptic glare, a
  finger as an ellipse over a corner, uniform sensor noise;
- `b`: 12 MP frames (4032×3024) on real camera photos from the corpus or a plain table, any
  turn, lens (disc) defocus, camera shake along a curved path with uneven speed, a specular
  streak with veiling glare, a thumb reaching in from the frame's edge, out of focus,
  gaussian noise, vignetting, a colour cast.

Writes a folder with labels.csv (file,label,kind,source,group), group = `<pipeline>/<reason>`,
for detect_eval.py, which reports recall per group and false positives per group and kind.
Positives cycle through the four positive kinds and negatives through the ten negative kinds,
so every group holds each kind (12–13 positives and 10 negatives of each at 50/100). Photos
are written as JPEG at quality 87–93 (what phones write), camera-raw looks as TIFF.
One seeded generator per pipeline and reason: `--seed` reproduces a group byte for byte, with
any `--jobs` (groups are made one per process, `--jobs` at once).

Speed: Pillow only (no numpy). The whole-frame kernels of pipeline `b` (defocus, shake) run on
a copy reduced until the kernel spans a few pixels and are enlarged back; warps, shadows,
the thumb and the streak touch only their own box; tables, backgrounds, light and glare are
drawn small and enlarged; one field of noise is kept and windowed. The full sets (9 reasons ×
2 pipelines × (50 + 100) = 2,700 images, 7.1 GB) cost 1.2–1.4 s of CPU an image at 12 MP and
0.4–1.0 s at phone size (2.0 s for an A4 sheet at 12 MP), measured at load 12; they took 73
minutes with `--jobs 2` under `nice -n 10` on a busy 2-core machine (docs/detection.md,
"Building the reason sets").
"""

import argparse
import contextlib
import csv
import functools
import math
import multiprocessing
import random
import sys
import time
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFile, ImageFilter, ImageOps

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "synth"))
sys.path.insert(0, str(HERE))
import detect_sets as ds  # noqa: E402  (A4 pages, prints, cards with a photo, pipeline a's spoils)
import generate as g  # noqa: E402  (the synthetic generator: cards, paper, photographing)

# One corpus camera photo ends a few bytes early; the part that decodes is still a background.
ImageFile.LOAD_TRUNCATED_IMAGES = True

REASONS = ("blur", "motion", "glare", "cut", "finger", "steep", "cluttered", "same_colour", "a4")
PIPELINES = ("a", "b")
PHONE_B = (4032, 3024)
POSITIVE_KINDS = ("cn_id_front", "cn_id_back", "passport", "travel_permit")
NEGATIVE_KINDS = (
    "portrait_photo",
    "group_photo",
    "photo_print",
    "business_card_photo",
    "badge_photo",
    "bank_card",
    "receipt",
    "book_page",
    "poster_face",
    "camera_raw",
)
# Whole-frame negatives: no object placed, the photo itself is spoiled.
WHOLE_FRAME = ("portrait_photo", "group_photo", "camera_raw")


# --- documents ---------------------------------------------------------------------------------


class Corpus:
    def __init__(self, root):
        self.root = root
        labels = ds.read_labels(root)
        self.labels = labels
        self.passports = sorted(f for f, (lab, k) in labels.items() if lab == "positive" and k == "passport")
        self.faces = sorted(f for f in labels if f.startswith("facerec__"))
        self.groups = [f for f in self.faces if "_and_" in f or "kit_" in f or "img2" in f] or self.faces
        self.camera = sorted(f for f, (lab, k) in labels.items() if lab == "negative" and k == "camera_photo")
        self.templates = root / "templates"
        self._cache = {}

    def open(self, name):
        if name not in self._cache:
            label = self.labels[name][0]
            self._cache[name] = ds.open_rgb(self.root / "detect" / label / name)
        return self._cache[name]

    def face(self, rng):
        return self.open(rng.choice(self.faces))


def travel_permit(rng, face):
    """A Chinese travel permit card (Hong Kong/Macau exit-entry permit, home-return permit or
    Taiwan compatriot permit) drawn from shapes and text: title, fields, portrait, number and
    a machine-readable line. Not a copy of any real card's artwork."""
    w, h = 1000, 630
    which = rng.randrange(3)
    title, english, prefix = (
        ("往来港澳通行证", "EXIT-ENTRY PERMIT FOR TRAVELLING TO AND FROM HONG KONG AND MACAO", "C"),
        ("港澳居民来往内地通行证", "MAINLAND TRAVEL PERMIT FOR HONG KONG AND MACAO RESIDENTS", "H"),
        ("台湾居民来往大陆通行证", "MAINLAND TRAVEL PERMIT FOR TAIWAN RESIDENTS", ""),
    )[which]
    top = rng.choice(((214, 232, 222), (222, 230, 242), (236, 228, 214)))
    card = Image.new("RGB", (w, h), top)
    d = ImageDraw.Draw(card)
    for k in range(0, h, 14):  # fine background waves
        pts = [(x, k + 6 * math.sin(x / w * 5 * math.pi + k)) for x in range(0, w + 10, 10)]
        d.line(pts, fill=tuple(max(0, c - 14) for c in top), width=1)
    person = g.random_person(rng)
    d.text((w * 0.05, h * 0.05), title, font=g.font(g.SANS_BOLD, int(h * 0.07)), fill=g.INK)
    d.text((w * 0.05, h * 0.15), english, font=g.latin(int(h * 0.028)), fill=g.INK)
    lab, val = g.font(g.SANS, int(h * 0.04)), g.font(g.SANS_BOLD, int(h * 0.05))
    px0, py0, pw, ph = int(w * 0.05), int(h * 0.25), int(w * 0.26), int(h * 0.5)
    card.paste(g.cover(face, (pw, ph)), (px0, py0))
    x, y = w * 0.36, h * 0.25
    y0, m, dd = person["birth"]
    number = prefix + "".join(str(rng.randint(0, 9)) for _ in range(8 if prefix else 8))
    fields = (
        ("姓名 Name", person["name"]),
        ("出生日期 Date of birth", f"{y0}.{m:02d}.{dd:02d}"),
        ("性别 Sex", person["sex"] + (" M" if person["male"] else " F")),
        ("有效期限 Period of validity", f"{rng.randint(2018, 2024)}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d}-"
         f"{rng.randint(2028, 2034)}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d}"),
        ("签发机关 Authority", "公安部出入境管理局"),
    )
    for name, value in fields:
        d.text((x, y), name, font=lab, fill=g.LABEL_BLUE)
        d.text((x, y + h * 0.045), value, font=val, fill=g.INK)
        y += h * 0.105
    d.text((w * 0.62, h * 0.05 + h * 0.09 * 0 + h * 0.0), number, font=g.monospace(int(h * 0.06)), fill=(170, 30, 30))
    code = ("CS" if prefix == "C" else "CH" if prefix == "H" else "CT") + number.ljust(9, "<")
    birth = f"{y0 % 100:02d}{m:02d}{dd:02d}"
    line = (code + str(g.mrz_check(code[2:])) + "<" + birth + str(g.mrz_check(birth)) + "<<<<<<<<<")[:30]
    d.text((w * 0.05, h * 0.86), line, font=g.monospace(int(h * 0.06)), fill=g.INK)
    return card


def badge(rng, face):
    """A staff or visitor badge with the wearer's photo: portrait-shaped with the photo at the
    top, or card-shaped with the photo at one end."""
    upright = rng.random() < 0.6
    w, h = (640, 1000) if upright else (1000, 630)
    colour = tuple(rng.randint(30, 200) for _ in range(3))
    card = Image.new("RGB", (w, h), (248, 248, 246))
    d = ImageDraw.Draw(card)
    d.rectangle([0, 0, w, h * 0.16], fill=colour)
    org = rng.choice(("ACME Corp", "Nordlicht GmbH", "City Library", "VISITOR", "STAFF", "Conference 2025"))
    d.text((w * 0.06, h * 0.04), org, font=g.latin(int(h * 0.06), bold=True), fill=(255, 255, 255))
    name = rng.choice(("Alex Morgan", "Kim Lee", "Sam Taylor", "Jo Weber", "Lena Berg"))
    role = rng.choice(("Engineering", "Guest", "Security", "Speaker", "Staff"))
    if upright:
        pw = int(w * 0.55)
        ph = int(pw * 1.25)
        card.paste(g.cover(face, (pw, ph)), ((w - pw) // 2, int(h * 0.2)))
        d.text((w * 0.1, h * 0.2 + ph + 20), name, font=g.latin(int(h * 0.05), bold=True), fill=g.INK)
        d.text((w * 0.1, h * 0.2 + ph + 80), role, font=g.latin(int(h * 0.04)), fill=g.INK)
    else:
        ph = int(h * 0.62)
        pw = int(ph * 0.8)
        card.paste(g.cover(face, (pw, ph)), (int(w * 0.05), int(h * 0.24)))
        y = h * 0.28
        for text, size in ((name, 0.08), (role, 0.055), (f"ID {rng.randint(1000, 99999)}", 0.05), ("valid 2025", 0.05)):
            d.text((w * 0.42, y), text, font=g.latin(int(h * size), bold=size > 0.07), fill=g.INK)
            y += h * 0.14
    return card


def book_page(rng):
    """A page of a book: running text, a running head and a page number."""
    w, h = 1100, 1650
    page = Image.new("RGB", (w, h), rng.choice(((250, 247, 238), (245, 240, 225), (252, 252, 250))))
    d = ImageDraw.Draw(page)
    body = g.latin(30)
    words = ("river", "the", "of", "and", "morning", "she", "had", "never", "seen", "such", "light", "over",
             "valley", "when", "they", "came", "to", "town", "in", "autumn", "quiet", "house", "letters")
    d.text((w * 0.38, 70), rng.choice(("CHAPTER SEVEN", "THE LONG ROAD", "Part Two")), font=g.latin(28), fill=g.INK)
    y = 160
    while y < h - 160:
        d.text((110, y), " ".join(rng.choice(words) for _ in range(rng.randint(9, 12))), font=body, fill=g.INK)
        y += 46
    d.text((w / 2, h - 90), str(rng.randint(3, 380)), font=body, fill=g.INK)
    return page


def poster(rng, face):
    """A poster with a large face and a title and a few lines of print."""
    w, h = 1200, 1700
    page = Image.new("RGB", (w, h), tuple(rng.randint(0, 255) for _ in range(3)))
    d = ImageDraw.Draw(page)
    fh = int(h * rng.uniform(0.45, 0.6))
    page.paste(g.cover(face, (w, fh)), (0, int(h * 0.18)))
    title = rng.choice(("VOTE FOR CHANGE", "LIVE IN CONCERT", "THE LAST SUMMER", "JOIN US", "OPEN DAY"))
    d.text((60, 60), title, font=g.latin(110, bold=True), fill=(255, 255, 255))
    y = int(h * 0.18) + fh + 40
    for _ in range(rng.randint(2, 5)):
        d.text((60, y), rng.choice(("Saturday 14 June, 8 pm", "Tickets at the door", "www.example.org",
                                    "Free entry", "Town hall, main square")), font=g.latin(48), fill=(255, 255, 255))
        y += 70
    return page


def raw_look(img):
    """A camera raw file's embedded preview look: flat, low contrast, slightly green."""
    img = ImageOps.autocontrast(img, cutoff=0)
    flat = Image.blend(img, Image.new("RGB", img.size, (128, 134, 124)), 0.3)
    return flat.filter(ImageFilter.GaussianBlur(0.6))


def positive(rng, corpus, kind):
    if kind in ("cn_id_front", "cn_id_back"):
        person = g.random_person(rng)
        if kind == "cn_id_front":
            return g.cn_id_front(rng, corpus.templates, person, photo=corpus.face(rng) if rng.random() < 0.7 else None)
        return g.cn_id_back(rng, corpus.templates, person)
    if kind == "passport":
        return corpus.open(rng.choice(corpus.passports))
    return travel_permit(rng, corpus.face(rng))


def both_sides(rng, corpus, kind):
    """The two sides copied onto an A4 sheet: a Chinese card's front and back, a permit twice,
    a passport's data page once."""
    if kind in ("cn_id_front", "cn_id_back"):
        person = g.random_person(rng)
        front = g.cn_id_front(rng, corpus.templates, person, photo=corpus.face(rng))
        return (front, g.cn_id_back(rng, corpus.templates, person)), (ds.CARD_W, ds.CARD_W)
    if kind == "passport":
        page = corpus.open(rng.choice(corpus.passports))
        return (page,), (round(ds.CARD_W * 1.45),)
    card = travel_permit(rng, corpus.face(rng))
    return (card, card), (ds.CARD_W, ds.CARD_W)


def negative(rng, corpus, kind):
    face = corpus.face(rng)
    if kind == "portrait_photo":
        return face
    if kind == "group_photo":
        return corpus.open(rng.choice(corpus.groups))
    if kind == "camera_raw":
        return raw_look(corpus.open(rng.choice(corpus.camera + corpus.faces)))
    if kind == "photo_print":
        return ds.print_of(rng, face, framed=rng.random() < 0.3)
    if kind == "business_card_photo":
        return ds.with_photo(rng, g.business_card(rng), face)
    if kind == "badge_photo":
        return badge(rng, face)
    if kind == "bank_card":
        return g.bank_card(rng)
    if kind == "receipt":
        return g.receipt(rng)
    if kind == "book_page":
        return book_page(rng)
    return poster(rng, face)


def a4_negative(rng, corpus, kind):
    """A sheet with the negative object copied onto it, as a document would be."""
    obj = negative(rng, corpus, kind)
    if kind in ("book_page", "poster_face"):
        return obj.resize(ds.PAGE)
    width = ds.CARD_W if obj.width < obj.height * 2 else ds.CARD_W * 2
    if kind in WHOLE_FRAME + ("photo_print",):
        width = round(ds.PAGE[0] * 0.7)
    return ds.copy_onto_page(rng, (obj, obj) if rng.random() < 0.5 else (obj,), (width, width))


# --- placing -----------------------------------------------------------------------------------


def paste_quad(scene, obj, quad, rounded, shadow=True):
    """Pastes `obj` into `scene` through the perspective `quad` (corners clockwise from the
    object's top left), with a soft shadow."""
    w, h = scene.size
    g.paste_warped(scene, obj, quad, rounded, max(4, w // 200), 0.35 if shadow else 0, (w // 250, h // 250))


def quad_for(rng, size, obj, fill, turn_deg, centre, steep=0.0, jitter=0.04):
    """Corners of `obj` placed at `fill` of the frame's short side (by its long side), turned
    by `turn_deg`, centred at `centre` (fractions), foreshortened by `steep` (0: seen from
    above; 0.5: the far edge half as long, as at about 60° from the vertical)."""
    w, h = size
    ow, oh = obj.size
    scale = fill * min(w, h) / max(ow, oh) * (max(w, h) / min(w, h) if ow > oh and w > h else 1.0)
    scale = min(scale, fill * min(w / ow, h / oh) * 1.6)
    cw, ch = ow * scale, oh * scale
    cx, cy = centre[0] * w, centre[1] * h
    a = math.radians(turn_deg)
    far = 1.0 - steep
    corners = ((-1, -1), (1, -1), (1, 1), (-1, 1))
    side = rng.randrange(4)  # which edge is the far one
    quad = []
    for i, (sx, sy) in enumerate(corners):
        x = sx * cw / 2 * (1 + rng.uniform(-jitter, jitter))
        y = sy * ch / 2 * (1 + rng.uniform(-jitter, jitter))
        if steep:
            # The far edge shrinks towards its middle and the object's depth shortens.
            on_far = (side == 0 and sy < 0) or (side == 1 and sx > 0) or (side == 2 and sy > 0) or (side == 3 and sx < 0)
            if on_far:
                if side in (0, 2):
                    x *= far
                else:
                    y *= far
            if side in (0, 2):
                y *= 1 - steep * 0.35
            else:
                x *= 1 - steep * 0.35
        quad.append((cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a)))
    return quad


# --- pipeline a: the look of detect_sets.py ------------------------------------------------------


def scene_a(rng, obj, reason, whole):
    if whole:
        img = obj.copy()
        w, h = img.size
        quad = [(0, 0), (w, 0), (w, h), (0, h)]
        return img, quad
    size = g.scene_size(rng, portrait=obj.height > obj.width * 1.3)
    if reason == "same_colour":
        mean = ImageOps.fit(obj, (1, 1)).getpixel((0, 0))
        scene = Image.new("RGB", size, tuple(max(0, min(255, c + rng.randint(-10, 10))) for c in mean))
    else:
        scene = g.background(rng, size)
    fill, turn, centre, steep = rng.uniform(0.5, 0.8), rng.uniform(-25, 25), (0.5, 0.5), 0.0
    if reason == "cut":
        fill = rng.uniform(0.7, 0.95)
        centre = (0.5 + rng.choice((-1, 1)) * rng.uniform(0.15, 0.25), 0.5 + rng.uniform(-0.15, 0.15))
    if reason == "steep":
        steep = rng.uniform(0.3, 0.5)
    quad = quad_for(rng, size, obj, fill, turn, (centre[0] + rng.uniform(-0.05, 0.05), centre[1]), steep)
    paste_quad(scene, obj, quad, rounded=obj.width < 1500)
    return g.photograph(rng, scene), quad


DAMAGE_A = {"blur": "gaussian", "motion": "motion", "glare": "glare", "finger": "finger"}


def make_a(rng, obj, reason, whole):
    if reason == "a4":
        img = ds.photograph_page(rng, obj)
        return img
    img, quad = scene_a(rng, obj, reason, whole)
    how = DAMAGE_A.get(reason) or rng.choice(("gaussian", "motion", "glare", "finger", None, None))
    return ds.spoil(rng, img, how, quad) if how else img


# --- pipeline b: real backgrounds, different kernels and glare ------------------------------------


def average_shifted(img, offsets):
    """The mean of `img` shifted by each of `offsets` (pixels), edges repeated."""
    w, h = img.size
    pad = int(max(max(abs(dx), abs(dy)) for dx, dy in offsets)) + 2
    big = ImageOps.expand(img, pad)
    # Edge pixels repeated, so that the border does not darken (nearest: only the border shows).
    big.paste(img.resize((w + 2 * pad, h + 2 * pad), Image.NEAREST), (0, 0))
    big.paste(img, (pad, pad))
    out = None
    for k, (dx, dy) in enumerate(offsets):
        part = big.crop((pad + round(dx), pad + round(dy), pad + round(dx) + w, pad + round(dy) + h))
        out = part if out is None else Image.blend(out, part, 1 / (k + 1))
    return out


def average_shifted_reduced(img, offsets, reach):
    """`average_shifted` on a copy made smaller so that the kernel reaches about `reach` pixels
    there, enlarged back. A kernel many pixels wide leaves no detail finer than a few of its
    pixels, so the small copy loses nothing the kernel keeps; on a 12 MP frame this is most of
    the generator's time saved (each shift is a blend of the whole frame)."""
    extent = max(max(abs(dx), abs(dy)) for dx, dy in offsets)
    k = max(1.0, extent / reach)
    if k < 1.15:
        return average_shifted(img, offsets)
    small = img.resize((round(img.width / k), round(img.height / k)), Image.BILINEAR)
    out = average_shifted(small, [(dx / k, dy / k) for dx, dy in offsets])
    return out.resize(img.size, Image.BILINEAR)


def defocus(img, r):
    """Lens defocus: a uniform disc kernel of radius `r` (points on rings), not a gaussian."""
    pts = [(0.0, 0.0)]
    for ring, n in ((r / 3, 6), (2 * r / 3, 10), (r, 14)):
        pts += [(ring * math.cos(2 * math.pi * i / n), ring * math.sin(2 * math.pi * i / n)) for i in range(n)]
    return average_shifted_reduced(img, pts, 4.5)


def shake(rng, img, length):
    """Camera shake: the frame smeared along a curved path, lingering at the ends."""
    a = rng.uniform(0, math.pi)
    bend = rng.uniform(-0.5, 0.5)
    pts = []
    for i in range(16):
        t = 0.5 - 0.5 * math.cos(math.pi * i / 15)  # slow at the ends: more weight there
        x = (t - 0.5) * length
        y = bend * length * (t - 0.5) ** 2 * 2
        pts.append((x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)))
    return average_shifted_reduced(img, pts, 9)


def box_around(size, xs, ys, margin):
    """The box (left, top, right, bottom) around the points widened by `margin`, within `size`."""
    return (max(0, math.floor(min(xs) - margin)), max(0, math.floor(min(ys) - margin)),
            min(size[0], math.ceil(max(xs) + margin)), min(size[1], math.ceil(max(ys) + margin)))


def specular(rng, img, quad):
    """A specular streak across the document (saturated core, halo) and veiling glare."""
    w, h = img.size
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    dw = max(xs) - min(xs)
    cx, cy = sum(xs) / 4 + rng.uniform(-0.2, 0.2) * dw, sum(ys) / 4 + rng.uniform(-0.15, 0.15) * dw
    length, width = dw * rng.uniform(0.5, 0.9), dw * rng.uniform(0.08, 0.16)
    a = rng.uniform(0, math.pi)
    rings = []
    for scale, level in ((1.8, 90), (1.3, 170), (1.0, 255)):
        pts = []
        for i in range(24):
            t = 2 * math.pi * i / 24
            x, y = length / 2 * scale * math.cos(t), width / 2 * scale * math.sin(t)
            pts.append((cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a)))
        rings.append((pts, level))
    veiled = Image.blend(img, Image.new("RGB", (w, h), (255, 255, 255)), rng.uniform(0.1, 0.3))
    # The streak drawn and blurred in its own box only (the veil covers the whole frame).
    box = box_around((w, h), [x for x, _ in rings[0][0]], [y for _, y in rings[0][0]], width * 0.8 + 4)
    if box[2] <= box[0] or box[3] <= box[1]:
        return veiled
    layer = Image.new("L", (box[2] - box[0], box[3] - box[1]), 0)
    d = ImageDraw.Draw(layer)
    for pts, level in rings:
        d.polygon([(x - box[0], y - box[1]) for x, y in pts], fill=level)
    layer = layer.filter(ImageFilter.GaussianBlur(width * 0.25))
    veiled.paste(ImageChops.screen(veiled.crop(box), Image.merge("RGB", (layer, layer, layer))), box[:2])
    return veiled


def thumb(rng, img, quad):
    """A thumb reaching in from the nearest frame edge over the document, out of focus."""
    w, h = img.size
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    dw = max(xs) - min(xs)
    # A point on the document's edge, between two corners, and from there inwards.
    i = rng.randrange(4)
    (x0, y0), (x1, y1) = quad[i], quad[(i + 1) % 4]
    t = rng.uniform(0.25, 0.75)
    ex, ey = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
    cx, cy = sum(xs) / 4, sum(ys) / 4
    into = math.atan2(cy - ey, cx - ex)
    reach, width = dw * rng.uniform(0.18, 0.3), dw * rng.uniform(0.12, 0.17)
    tipx, tipy = ex + reach * math.cos(into), ey + reach * math.sin(into)
    backx, backy = ex - dw * math.cos(into), ey - dw * math.sin(into)
    # Drawn in the finger's own box only, not over the whole frame.
    box = box_around((w, h), (backx, tipx), (backy, tipy), width * 1.5 + 4)
    if box[2] <= box[0] or box[3] <= box[1]:
        return img
    bx, by = box[:2]
    size = (box[2] - bx, box[3] - by)
    backx, backy, tipx, tipy = backx - bx, backy - by, tipx - bx, tipy - by
    layer = Image.new("L", size, 0)
    d = ImageDraw.Draw(layer)
    d.line([(backx, backy), (tipx, tipy)], fill=255, width=int(width))
    d.ellipse([tipx - width / 2, tipy - width / 2, tipx + width / 2, tipy + width / 2], fill=255)
    skin = rng.choice(((232, 190, 160), (214, 170, 135), (190, 140, 105), (140, 95, 70)))
    # Shading across the finger: darker at its sides.
    shade = layer.filter(ImageFilter.GaussianBlur(width * 0.3)).point(lambda v: 150 + v * 105 // 255)
    finger = Image.merge("RGB", [shade.point(lambda v, c=c: v * c // 255) for c in skin])
    nd = ImageDraw.Draw(finger)
    nx, ny = tipx - width * 0.25 * math.cos(into), tipy - width * 0.25 * math.sin(into)
    nd.ellipse([nx - width * 0.28, ny - width * 0.28, nx + width * 0.28, ny + width * 0.28],
               fill=tuple(min(255, c + 25) for c in skin))
    mask = layer.filter(ImageFilter.GaussianBlur(width * 0.06))
    finger = finger.filter(ImageFilter.GaussianBlur(width * 0.05))
    img.paste(Image.composite(finger, img.crop(box), mask), (bx, by))
    return img


def table(rng, size, tint=None):
    """A plain table top: one colour, a faint grain, light falling off; in grey times `tint`
    when given (a table of the document's own colour). Drawn at a quarter of the size and
    enlarged: it is smooth."""
    base = rng.choice(((205, 180, 140), (235, 232, 225), (120, 90, 60), (180, 185, 190), (60, 62, 66)))
    small = (max(1, size[0] // 4), max(1, size[1] // 4))
    img = Image.new("RGB", small, base)
    d = ImageDraw.Draw(img)
    for y in range(0, size[1], rng.randint(20, 60)):
        shade = tuple(max(0, min(255, c + rng.randint(-6, 6))) for c in base)
        d.line([(0, y / 4), (small[0], (y + rng.randint(-30, 30)) / 4)], fill=shade, width=max(1, rng.randint(6, 20) // 4))
    img = img.filter(ImageFilter.GaussianBlur(1.5))
    if tint:
        img = ImageChops.multiply(img.convert("L").convert("RGB").point(lambda v: 200 + v // 5), Image.new("RGB", small, tint))
    return img.resize(size, Image.BILINEAR)


def real_background(rng, corpus, size):
    photo = corpus.open(rng.choice(corpus.camera))
    return ImageOps.fit(photo, size, Image.BILINEAR)


def photograph_b(rng, scene):
    """Vignetting, a colour cast, gaussian sensor noise."""
    w, h = scene.size
    depth = rng.uniform(0.25, 0.5)
    # Made small and smoothed before it is enlarged: the gradient's 256 steps would show as rings.
    small = Image.radial_gradient("L").resize((64, 48), Image.LANCZOS).point(lambda v: 255 - int(v * depth))
    vignette = small.filter(ImageFilter.GaussianBlur(2)).resize((w, h), Image.BICUBIC)
    cast = tuple(rng.randint(235, 255) for _ in range(3))
    scene = ImageChops.multiply(scene, Image.merge("RGB", [vignette.point(lambda v, c=c: v * c // 255) for c in cast]))
    sigma = rng.uniform(4, 12)
    # A window of one stored field of unit noise, scaled to sigma: making the field anew for
    # every photo took a tenth of the time of one.
    field = noise_field()
    nw, nh = w // 2, h // 2
    x, y = rng.randrange(field.width - nw + 1), rng.randrange(field.height - nh + 1)
    noise = field.crop((x, y, x + nw, y + nh)).point(lambda v: max(0, min(255, round(128 + (v - 128) * sigma / NOISE_SIGMA))))
    noise = noise.resize((w, h), Image.BILINEAR)
    return ImageChops.add(scene, Image.merge("RGB", (noise,) * 3), 1.0, -128)


NOISE_SIGMA = 16


@functools.cache
def noise_field():
    """Gaussian noise (sigma `NOISE_SIGMA` around 128) wide and tall enough for a window of
    half a frame in either orientation."""
    side = max(PHONE_B) // 2 + 256
    return Image.effect_noise((side, side), NOISE_SIGMA)


def make_b(rng, corpus, obj, reason, whole):
    size = PHONE_B if rng.random() < 0.7 else PHONE_B[::-1]
    if whole:
        scene = ImageOps.fit(obj, size, Image.BILINEAR)
        quad = [(0, 0), (size[0], 0), (size[0], size[1]), (0, size[1])]
    else:
        if reason == "same_colour":
            mean = ImageOps.fit(obj, (1, 1)).getpixel((0, 0))
            scene = table(rng, size, tint=mean)
        elif reason == "cluttered" or (reason != "a4" and rng.random() < 0.5):
            scene = real_background(rng, corpus, size)
        else:
            scene = table(rng, size)
        fill = rng.uniform(0.3, 0.75) if reason != "a4" else rng.uniform(0.8, 0.95)
        centre = (0.5 + rng.uniform(-0.12, 0.12), 0.5 + rng.uniform(-0.12, 0.12))
        turn = rng.uniform(-90, 90) if reason != "a4" else rng.uniform(-20, 20)
        steep = 0.0
        if reason == "cut":
            fill = rng.uniform(0.6, 0.9)
            centre = (0.5 + rng.choice((-1, 1)) * rng.uniform(0.2, 0.3), 0.5 + rng.choice((-1, 1)) * rng.uniform(0.1, 0.25))
        if reason == "steep":
            steep = rng.uniform(0.35, 0.55)
        quad = quad_for(rng, size, obj, fill, turn, centre, steep, jitter=0.02)
        paste_quad(scene, obj, quad, rounded=obj.width < 1500 and reason != "a4")
    xs = [p[0] for p in quad]
    dw = max(xs) - min(xs)
    damage = {"blur": "blur", "motion": "motion", "glare": "glare", "finger": "finger"}.get(reason)
    if damage is None:
        damage = rng.choice(("blur", "motion", "glare", "finger", None, None))
    # Blur and shake are measured against the document: on an A4 copy that is a card on the
    # sheet (its width is `CARD_W` of the sheet's), not the sheet, which made them 2.4 times as
    # strong for the card as in the other groups, smeared past what a person would still read.
    doc_w = dw * ds.CARD_W / ds.PAGE[0] if reason == "a4" else dw
    if damage == "blur":
        scene = defocus(scene, doc_w * rng.uniform(0.005, 0.01))
    elif damage == "motion":
        scene = shake(rng, scene, doc_w * rng.uniform(0.012, 0.025))
    elif damage == "glare":
        scene = specular(rng, scene, quad)
    elif damage == "finger":
        scene = thumb(rng, scene, quad)
    return photograph_b(rng, scene)


# --- the sets --------------------------------------------------------------------------------------


def make_group(corpus, pipeline, reason, n_pos, n_neg, seed):
    rng = random.Random(f"{pipeline}-{reason}-{seed}")
    items = []
    for i in range(n_pos + n_neg):
        positive_row = i < n_pos
        kinds = POSITIVE_KINDS if positive_row else NEGATIVE_KINDS
        kind = kinds[i % len(kinds)]
        whole = not positive_row and kind in WHOLE_FRAME
        if reason == "a4":
            if positive_row:
                objs, widths = both_sides(rng, corpus, kind)
                obj = ds.copy_onto_page(rng, objs, widths)
            else:
                obj = a4_negative(rng, corpus, kind)
            whole = False
        else:
            obj = positive(rng, corpus, kind) if positive_row else negative(rng, corpus, kind)
        if pipeline == "a":
            img = make_a(rng, obj, reason, whole)
        else:
            img = make_b(rng, corpus, obj, reason, whole)
        label = "positive" if positive_row else "negative"
        yield img, label, kind, rng


def write_group(task):
    """Makes one group's images in `out` and returns its labels rows."""
    corpus_root, out, pipeline, reason, n_pos, n_neg, seed = task
    corpus = Corpus(corpus_root)
    group = f"{pipeline}/{reason}"
    counts = {"positive": 0, "negative": 0}
    rows = []
    for img, label, kind, rng in make_group(corpus, pipeline, reason, n_pos, n_neg, seed):
        i = counts[label]
        counts[label] += 1
        raw = kind == "camera_raw"
        name = f"{pipeline}_{reason}_{label}_{i:03d}.{'tif' if raw else 'jpg'}"
        if raw:
            img.save(out / name, "TIFF")
        else:
            # What a phone writes: quality about 90.
            img.save(out / name, "JPEG", quality=rng.randint(87, 93))
        rows.append({"file": name, "label": label, "kind": kind, "source": group, "group": group})
    return group, rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True, type=Path, help="the corpus (the folder holding detect/)")
    p.add_argument("--out", required=True, type=Path, help="output folder (created; must not exist)")
    p.add_argument("--pipelines", default="a,b", help="comma-separated: a, b")
    p.add_argument("--reasons", default=",".join(REASONS), help="comma-separated, of: " + ", ".join(REASONS))
    p.add_argument("--positives", type=int, default=50, help="positives per reason and pipeline")
    p.add_argument("--negatives", type=int, default=100, help="negatives per reason and pipeline")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=1, help="groups made at once (one process each)")
    args = p.parse_args()
    pipelines = args.pipelines.split(",")
    reasons = args.reasons.split(",")
    for x in pipelines:
        if x not in PIPELINES:
            sys.exit(f"unknown pipeline {x!r}")
    for r in reasons:
        if r not in REASONS:
            sys.exit(f"unknown reason {r!r}")
    if args.out.exists():
        sys.exit(f"{args.out} exists")
    args.out.mkdir(parents=True)
    tasks = [(args.corpus, args.out, x, r, args.positives, args.negatives, args.seed) for x in pipelines for r in reasons]
    start = time.monotonic()
    # Each group's rows are written once its images are saved, so a run stopped early (a busy
    # machine) still leaves a set detect_eval.py can score: every file listed is whole.
    with open(args.out / "labels.csv", "w", newline="", encoding="utf-8") as f:
        wr = csv.DictWriter(f, fieldnames=("file", "label", "kind", "source", "group"))
        wr.writeheader()
        with multiprocessing.Pool(args.jobs) if args.jobs > 1 else contextlib.nullcontext() as pool:
            done = pool.imap_unordered(write_group, tasks) if pool else map(write_group, tasks)
            for group, rows in done:
                wr.writerows(rows)
                f.flush()
                n_pos = sum(r["label"] == "positive" for r in rows)
                print(f"{group}: {n_pos} positives, {len(rows) - n_pos} negatives "
                      f"({time.monotonic() - start:.0f} s)", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
