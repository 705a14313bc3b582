#!/usr/bin/env python3
"""Evaluation sets for two hard cases of content detection, made from the corpus' specimens.

`a4`: both sides of an identity card copied onto a white A4 sheet at real size (85.6 mm on
210 mm) and the sheet photographed with a 12 MP phone (4032×3024, slight rotation and
perspective, uneven light, noise, JPEG). Sides come from the corpus' two-sided card renders
(front above back, split in two), its one-sided card specimens (the same side twice, as a
careless copy has it), and synthetic Chinese ID cards (front and back, from the corpus'
blank templates). Negatives: A4 sheets holding an invoice or a letter, sheets with a receipt
and a business card or a bank card copied onto them the same way, and ordinary photos.

`retakes`: the failed-verification retakes of the corpus' documents and the synthetic cards:
a photo of the document made too blurred (gaussian), shaken (motion blur), glared (a bright
blob over its text) or covered (a finger over a corner) for OCR to read in full. Negatives:
receipts, business cards and bank cards (corpus and synthetic) and ordinary photos, spoiled
the same ways; then as many with faces, spoiled the same ways too: the corpus' portrait and
group photos, business cards carrying their owner's photo, and photo prints and framed
pictures of people on a desk (made by a generator of their own, so that the first negatives
stay what they were).

Writes each set as a folder with a labels.csv (file,label,kind,source) for detect_eval.py.
Everything comes from one seeded generator: `--seed` reproduces the sets byte for byte.
"""

import argparse
import csv
import math
import random
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "synth"))
import generate as g  # noqa: E402  (the synthetic generator: cards, paper, photographing)

# A4 at 150 dpi and an ID-1 card at the same scale.
PAGE = (1240, 1754)
CARD_W = round(85.6 / 25.4 * 150)
PHONE = (3024, 4032)

# Corpus renders that hold both sides of a card, front above back.
TWO_SIDED = (
    "a1080-id_cards__Latvia.png",
    "a1080-id_cards__Lithuania.png",
    "a1080-id_cards__Monaco.png",
    "a1080-id_cards__Spain.png",
    "a1080-id_cards__Sweden.png",
    "a1080-other__USA_Border_Crosser.png",
    "a1080-resident_cards__France.png",
    "a1080-resident_cards__Germany.png",
    "a1080-resident_cards__Netherland.png",
    "a1080-resident_cards__Portugal.png",
)
# Corpus card specimens that show one side.
ONE_SIDED = (
    "a1080-other__TD2_ICAO_Example.png",
    "a1080-resident_cards__USA_Permanent.png",
    "pe__0_id-esp.png",
    "pe__100_id-rou.jpg",
    "pe__100_id-che.jpg",
    "pe__53_id-d.jpg",
)
KIND = {
    "a1080-resident_cards": "residence_permit",
    "a1080-passports": "passport",
    "a1080-visas": "visa",
}
SPOILS = ("gaussian", "motion", "glare", "finger")
NEGATIVE_CORPUS_KINDS = ("receipt", "business_card", "bank_card", "bank_card_or_sheet", "camera_photo")


def corpus_kind(name, labels):
    return labels.get(name, ("positive", "id_card"))[1]


def read_labels(corpus):
    with open(corpus / "detect" / "labels.csv", newline="", encoding="utf-8") as f:
        return {Path(r["file"]).name: (r["label"], r["kind"]) for r in csv.DictReader(f)}


def open_rgb(path):
    return ImageOps.exif_transpose(Image.open(path)).convert("RGB")


def sides(path):
    """The two sides of a card render: top and bottom halves of a two-sided render, else the
    same side twice."""
    img = open_rgb(path)
    if path.name in TWO_SIDED:
        w, h = img.size
        return img.crop((0, 0, w, h // 2)), img.crop((0, h // 2, w, h))
    return img, img


def copy_onto_page(rng, objs, widths):
    """A white A4 sheet with `objs` copied onto it one below the other at the given widths
    (pixels at 150 dpi), slightly askew as a copier places them; sometimes in grey."""
    page = Image.new("RGB", PAGE, (250, 250, 248))
    grey = rng.random() < 0.4
    top = rng.uniform(0.08, 0.15) * PAGE[1]
    for obj, width in zip(objs, widths):
        obj = obj.resize((width, round(width * obj.height / obj.width)), Image.LANCZOS)
        if grey:
            obj = ImageOps.autocontrast(obj.convert("L"), cutoff=1).convert("RGB")
        obj = obj.convert("RGBA").rotate(rng.uniform(-2, 2), expand=True, resample=Image.BICUBIC)
        x = round((PAGE[0] - obj.width) / 2 + rng.uniform(-0.08, 0.08) * PAGE[0])
        page.paste(obj, (x, round(top)), obj)
        top += obj.height + rng.uniform(0.05, 0.1) * PAGE[1]
    return page


def text_page(rng, invoice):
    """An A4 invoice (a table of items and amounts) or a letter (paragraphs of prose)."""
    page = Image.new("RGB", PAGE, (250, 250, 248))
    d = ImageDraw.Draw(page)
    body, head = g.latin(22), g.latin(34, bold=True)
    x, y = 110, 120
    if invoice:
        d.text((x, y), rng.choice(("INVOICE", "Rechnung", "Facture", "发票")), font=head, fill=g.INK)
        d.text((x, y + 60), f"No. {rng.randint(10000, 99999)}   Date 2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", font=body, fill=g.INK)
        y += 160
        for i in range(rng.randint(8, 18)):
            item = rng.choice(("Consulting", "Hosting", "Licence", "Support", "Paper A4", "Toner", "Travel"))
            d.text((x, y), f"{i + 1:>2}  {item} {rng.randint(1, 40)} h", font=body, fill=g.INK)
            d.text((PAGE[0] - 330, y), f"{rng.uniform(5, 900):>10.2f} EUR", font=body, fill=g.INK)
            y += 40
        d.line([(x, y + 10), (PAGE[0] - 110, y + 10)], fill=g.INK, width=2)
        d.text((PAGE[0] - 330, y + 30), f"{rng.uniform(500, 9000):>10.2f} EUR", font=head, fill=g.INK)
        d.text((x, PAGE[1] - 200), "IBAN DE89 3704 0044 0532 0130 00  BIC COBADEFFXXX", font=body, fill=g.INK)
    else:
        words = ("the", "meeting", "next", "week", "project", "we", "agreed", "to", "send", "report",
                 "thank", "you", "for", "your", "letter", "of", "March", "regarding", "account", "and")
        d.text((x, y), "Dear Ms. Example,", font=body, fill=g.INK)
        y += 70
        for _ in range(rng.randint(3, 6)):
            for _ in range(rng.randint(3, 8)):
                d.text((x, y), " ".join(rng.choice(words) for _ in range(rng.randint(9, 13))), font=body, fill=g.INK)
                y += 36
            y += 30
        d.text((x, y + 20), "Yours sincerely,", font=body, fill=g.INK)
    return page


def photograph_page(rng, page):
    """The sheet on a desk, photographed by a 12 MP phone held above it."""
    scene = g.background(rng, PHONE)
    g.place(rng, scene, page, rng.uniform(0.85, 0.95), 4, rng.uniform(0.0, 0.05), rounded=False)
    return g.photograph(rng, scene)


def a4_set(rng, corpus, templates, n, labels):
    pos = []
    sources = [corpus / "detect" / "positive" / f for f in TWO_SIDED + ONE_SIDED]
    for i in range(n):
        if i % 3 == 2:
            person = g.random_person(rng)
            front, back = g.cn_id_front(rng, templates, person), g.cn_id_back(rng, templates, person)
            kind, source = "id_card", "synthetic cn_id"
        else:
            path = sources[(i - i // 3) % len(sources)]
            front, back = sides(path)
            kind, source = corpus_kind(path.name, labels), path.name
        widths = [CARD_W] * 2 if front.width < front.height * 2 else [CARD_W * 2] * 2
        pos.append((photograph_page(rng, copy_onto_page(rng, (front, back), widths)), kind, source))
    neg = []
    photos = sorted(f for f, (lab, k) in labels.items() if lab == "negative" and k == "camera_photo")
    for i in range(n):
        r = i % 4
        if r == 0:
            page, kind = text_page(rng, invoice=True), "invoice_page"
        elif r == 1:
            page, kind = text_page(rng, invoice=False), "letter_page"
        elif r == 2:
            objs = (g.receipt(rng), g.business_card(rng))
            page, kind = copy_onto_page(rng, objs, (CARD_W, CARD_W)), "receipt_card_page"
        else:
            objs = (g.bank_card(rng), g.business_card(rng))
            page, kind = copy_onto_page(rng, objs, (CARD_W, CARD_W)), "bank_card_page"
        neg.append((photograph_page(rng, page), kind, kind))
    for name in photos[: max(1, n // 4)]:
        neg.append((open_rgb(corpus / "detect" / "negative" / name), "camera_photo", name))
    return pos, neg


def motion_blur(img, length, angle):
    """`img` smeared along `angle` over `length` pixels (the mean of shifted copies)."""
    steps = max(2, round(length / 2))
    out = img
    for k in range(1, steps + 1):
        t = k / steps - 0.5
        shifted = ImageChops.offset(img, round(t * length * math.cos(angle)), round(t * length * math.sin(angle)))
        out = Image.blend(out, shifted, 1 / (k + 1))
    return out


def spoil(rng, img, how, quad):
    """`img` (with the document at `quad`) blurred, shaken, glared or covered."""
    w, h = img.size
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    dw = max(xs) - min(xs)
    if how == "gaussian":
        return img.filter(ImageFilter.GaussianBlur(dw * rng.uniform(0.004, 0.008)))
    if how == "motion":
        return motion_blur(img, dw * rng.uniform(0.012, 0.025), rng.uniform(0, math.pi))
    d = ImageDraw.Draw(img)
    cx, cy = sum(xs) / 4, sum(ys) / 4
    if how == "glare":
        glare = Image.new("L", (w, h), 0)
        gx, gy = cx + rng.uniform(-0.25, 0.25) * dw, cy + rng.uniform(-0.15, 0.15) * dw
        gr = dw * rng.uniform(0.18, 0.3)
        ImageDraw.Draw(glare).ellipse([gx - gr, gy - gr * 0.7, gx + gr, gy + gr * 0.7], fill=245)
        glare = glare.filter(ImageFilter.GaussianBlur(gr * 0.3))
        return Image.composite(Image.new("RGB", (w, h), (255, 255, 252)), img, glare)
    # A finger over a corner: a skin-coloured ellipse reaching well into the document.
    x, y = quad[rng.randrange(4)]
    r = dw * rng.uniform(0.1, 0.16)
    x, y = x + (cx - x) * 0.15, y + (cy - y) * 0.15
    skin = rng.choice(((236, 200, 170), (225, 185, 150), (205, 160, 125), (160, 115, 85)))
    d.ellipse([x - r, y - r * 1.8, x + r, y + r * 1.8], fill=skin)
    return img.filter(ImageFilter.GaussianBlur(0.8))


def retake(rng, obj, how, fill=(0.5, 0.85), rounded=True):
    """A photo of `obj` spoiled by `how` (the document's own position known for the spoil)."""
    scene = g.background(rng, g.scene_size(rng, portrait=obj.height > obj.width * 1.3))
    quad = g.place(rng, scene, obj, rng.uniform(*fill), 20, rng.uniform(0.0, 0.1), rounded=rounded)
    return spoil(rng, g.photograph(rng, scene), how, quad)


def retake_photo(rng, img, how):
    """An ordinary photo spoiled the same way (the whole frame as the 'document')."""
    w, h = img.size
    return spoil(rng, img.copy(), how, [(0, 0), (w, 0), (w, h), (0, h)])


def retakes_set(rng, corpus, templates, n, labels):
    docs = sorted(f for f, (lab, _) in labels.items() if lab == "positive" and not f.startswith("sacn__"))
    rng.shuffle(docs)
    pos = []
    for i in range(n):
        how = SPOILS[i % len(SPOILS)]
        if i % 5 == 4:
            person = g.random_person(rng)
            card = (g.cn_id_front if rng.random() < 0.5 else g.cn_id_back)(rng, templates, person)
            pos.append((retake(rng, card, how), "id_card", f"synthetic cn_id, {how}"))
        else:
            name = docs[(i - i // 5) % len(docs)]
            obj = open_rgb(corpus / "detect" / "positive" / name)
            pos.append((retake(rng, obj, how), corpus_kind(name, labels), f"{name}, {how}"))
    negs = sorted(f for f, (lab, k) in labels.items() if lab == "negative" and k in NEGATIVE_CORPUS_KINDS)
    rng.shuffle(negs)
    neg = []
    for i in range(n):
        how = SPOILS[i % len(SPOILS)]
        r = i % 3
        if r == 0:
            maker = rng.choice((g.receipt, g.business_card, g.bank_card))
            paper = maker is g.receipt
            img = retake(rng, maker(rng), how, fill=(0.6, 0.9) if paper else (0.4, 0.8), rounded=not paper)
            neg.append((img, maker.__name__, f"synthetic {maker.__name__}, {how}"))
        else:
            name = negs[i % len(negs)]
            kind = labels[name][1]
            neg.append((retake_photo(rng, open_rgb(corpus / "detect" / "negative" / name), how), kind, f"{name}, {how}"))
    return pos, neg


def with_photo(rng, card, portrait):
    """A business card with its owner's photo at one end, as some have: `portrait` covered
    into a box 45–75 % of the card's height (ID cards' portraits are about two thirds)."""
    card = card.copy()
    w, h = card.size
    ph = round(h * rng.uniform(0.45, 0.75))
    pw = round(ph * 0.8)
    x = round(w * 0.05) if rng.random() < 0.5 else w - pw - round(w * 0.05)
    card.paste(g.cover(portrait, (pw, ph)), (x, round((h - ph) * rng.uniform(0.3, 0.6))))
    return card


def print_of(rng, photo, framed):
    """A 10×15 photo print of `photo` (its subject anywhere across it), or the same picture in
    a dark frame: what lies on a desk or hangs on a wall."""
    w, h = 1500, 1000
    if rng.random() < 0.5:  # the subject at one end
        src = photo.crop((0, 0, photo.width, round(photo.width * h / w))) if photo.height * w > photo.width * h else photo
        pic = Image.new("RGB", (w, h), tuple(rng.randint(120, 230) for _ in range(3)))
        inner = g.cover(src, (round(h * src.width / src.height), h)) if src.width < w else g.cover(src, (w, h))
        pic.paste(inner, (0 if rng.random() < 0.5 else w - inner.width, 0))
    else:
        pic = g.cover(photo, (w, h))
    if not framed:
        return pic
    border = round(h * rng.uniform(0.06, 0.12))
    frame = Image.new("RGB", (w + 2 * border, h + 2 * border), rng.choice(((25, 20, 18), (60, 40, 25), (200, 195, 185))))
    frame.paste(pic, (border, border))
    return frame


def retake_people(rng, corpus, n, labels):
    """Hard negatives with faces, spoiled the same ways as the retakes: portrait and group
    photos from the corpus, business cards with their owner's photo, and photo prints or
    framed pictures of people photographed on a desk."""
    faces = sorted(f for f, (lab, k) in labels.items() if lab == "negative" and f.startswith("facerec__"))
    neg = []
    for i in range(n):
        how = SPOILS[(i + i // 4) % len(SPOILS)]  # every group gets every spoil
        name = rng.choice(faces)
        photo = open_rgb(corpus / "detect" / "negative" / name)
        r = i % 4
        if r == 0:
            neg.append((retake_photo(rng, photo, how), "portrait_photo", f"{name}, {how}"))
        elif r == 1:
            card = with_photo(rng, g.business_card(rng), photo)
            neg.append((retake(rng, card, how, fill=(0.4, 0.8)), "business_card_photo", f"synthetic business card with {name}, {how}"))
        else:
            framed = r == 3
            img = retake(rng, print_of(rng, photo, framed), how, fill=(0.4, 0.85), rounded=False)
            kind = "framed_picture" if framed else "photo_print"
            neg.append((img, kind, f"{kind} of {name}, {how}"))
    return neg


def write_set(rng, out, pos, neg):
    out.mkdir(parents=True)
    rows = []
    for label, items in (("positive", pos), ("negative", neg)):
        for i, (img, kind, source) in enumerate(items):
            name = f"{label}_{i:03d}.jpg"
            img.save(out / name, "JPEG", quality=rng.randint(75, 92))
            rows.append({"file": name, "label": label, "kind": kind, "source": source})
    with open(out / "labels.csv", "w", newline="", encoding="utf-8") as f:
        wr = csv.DictWriter(f, fieldnames=("file", "label", "kind", "source"))
        wr.writeheader()
        wr.writerows(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True, type=Path, help="the corpus (the folder holding detect/)")
    p.add_argument("--out", required=True, type=Path, help="output folder (created; must not exist)")
    p.add_argument("--set", choices=("a4", "retakes"), required=True)
    p.add_argument("-n", type=int, default=24, help="positives (and as many negatives) to make")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if args.out.exists():
        sys.exit(f"{args.out} exists")
    labels = read_labels(args.corpus)
    templates = args.corpus / "templates"
    rng = random.Random(f"{args.set}-{args.seed}")
    make = a4_set if args.set == "a4" else retakes_set
    pos, neg = make(rng, args.corpus, templates, args.n, labels)
    if args.set == "retakes":
        # Their own generator, so that the sets above stay byte for byte what they were.
        neg += retake_people(random.Random(f"people-{args.seed}"), args.corpus, args.n, labels)
    write_set(rng, args.out, pos, neg)


if __name__ == "__main__":
    main()
