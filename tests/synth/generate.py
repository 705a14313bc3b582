#!/usr/bin/env python3
"""Synthetic test images for idvault's content detection: what the public corpus lacks.

Positives: Chinese resident ID card fronts (portrait side) and backs (emblem side) rendered on
drawn card backgrounds (or, with --templates, on the corpus' blank templates), with a valid GB 11643-1999 number and a drawn
placeholder face; ID selfies (a drawn face, or with --faces a real portrait photo, with a card
held in front whose photo is another real portrait); identity-verification
screenshots (phone-sized PNGs with app chrome, KYC phrases and a card or face outline).
Hard negatives: bank cards (VISA, 16-digit number), receipts, business cards with CJK text,
and ordinary app screenshots of the same phone sizes.

Cards, receipts and selfies are made to look photographed: background clutter, perspective
warp, rotation (sometimes by 90/180/270 degrees, sometimes stored sideways with an EXIF
Orientation tag), shadow, glare, uneven light, blur, noise and JPEG compression.
Everything comes from one seeded random generator, so `--seed` reproduces a set byte for byte.
Writes the images and a labels.csv (file,label,kind,source) in the corpus's format.
"""

import argparse
import csv
import io
import math
import random
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
SANS, SANS_BOLD, SERIF_BOLD = "NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "NotoSerifCJK-Bold.ttc"
SC, MONO_SC = 2, 7  # face indices in the Noto CJK collections: Simplified Chinese, its mono face

# GB 11643-1999: weights of the 17 digits and the check characters indexed by the sum mod 11.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# Real county-level division codes (GB/T 2260) with a matching address and issuing office.
REGIONS = (
    ("110105", "北京市朝阳区", "北京市公安局朝阳分局"),
    ("310104", "上海市徐汇区", "上海市公安局徐汇分局"),
    ("440305", "广东省深圳市南山区", "深圳市公安局南山分局"),
    ("510104", "四川省成都市锦江区", "成都市公安局锦江区分局"),
    ("330106", "浙江省杭州市西湖区", "杭州市公安局西湖区分局"),
    ("420106", "湖北省武汉市武昌区", "武汉市公安局武昌区分局"),
    ("320102", "江苏省南京市玄武区", "南京市公安局玄武分局"),
    ("610113", "陕西省西安市雁塔区", "西安市公安局雁塔分局"),
    ("370202", "山东省青岛市市南区", "青岛市公安局市南分局"),
    ("230103", "黑龙江省哈尔滨市南岗区", "哈尔滨市公安局南岗分局"),
)
STREETS = ("人民路", "建设大道", "解放街", "中山路", "和平里", "长江路", "文化巷", "新华街", "学府路", "滨江路")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥建文辉力宇浩然欣怡子涵梓轩"
PINYIN = ("ZHANG WEI", "LI NA", "WANG FANG", "LIU YANG", "CHEN JIE", "YANG MIN", "ZHAO LEI", "HUANG YAN")
NATIONS = ("汉",) * 8 + ("回", "满", "蒙古", "壮", "苗")
PHONES = ((1170, 2532), (1080, 2400), (1284, 2778), (1125, 2436), (1242, 2688))
CAMERAS = (
    ("Apple", "iPhone 13"),
    ("Xiaomi", "Redmi Note 12"),
    ("HUAWEI", "ELS-AN00"),
    ("OPPO", "PGEM10"),
    ("vivo", "V2229A"),
    ("samsung", "SM-S9180"),
)

POSITIVE_KINDS = ("cn_id_front", "cn_id_back", "id_selfie", "kyc_screenshot")
NEGATIVE_KINDS = ("bank_card", "receipt", "business_card", "app_screenshot")
# Made only when named in --kinds, so that the default sets (and the figures measured on them)
# stay as they were.
OPT_IN_KINDS = ("mrv_visa",)

KYC_TITLES = ("实名认证", "身份认证", "人脸识别", "Verify your identity", "Identity Verification", "身份验证")
KYC_CARD_PROMPTS = (
    ("请拍摄身份证人像面", "请将身份证放入框内，确保边框完整、字迹清晰"),
    ("请拍摄身份证国徽面", "请保持光线充足，避免反光"),
    ("Scan the front of your ID card", "Place your ID card inside the frame"),
    ("Take a photo of your passport", "Make sure all details are readable"),
)
KYC_FACE_PROMPTS = (
    ("请正对手机，确保光线充足", "请眨眨眼"),
    ("Position your face in the circle", "Hold still, checking liveness"),
    ("人脸识别验证中", "请缓慢转头"),
)
APP_TITLES = ("聊天", "设置", "Photos", "朋友圈", "Settings", "购物车", "Messages")
APP_ROWS = (
    "今天天气不错",
    "明天一起吃饭吗？",
    "Meeting moved to 3pm",
    "收到，谢谢",
    "Wi-Fi",
    "蓝牙",
    "通知",
    "显示与亮度",
    "Battery",
    "隐私",
    "通用",
    "Order shipped",
    "快递已签收",
    "周末去爬山",
)


def font(name, size, index=SC):
    return ImageFont.truetype(str(FONT_DIR / name), size, index=index)


def latin(size, bold=False):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = Path("/usr/share/fonts/truetype/dejavu") / name
    return ImageFont.truetype(str(path), size) if path.exists() else font(SANS_BOLD if bold else SANS, size)


def monospace(size):
    path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
    return ImageFont.truetype(str(path), size) if path.exists() else font(SANS, size, MONO_SC)


# --- identity numbers -------------------------------------------------------------------------


def cn_id_check_char(first17):
    """The GB 11643-1999 MOD 11-2 check character of a 17-digit string."""
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11]


def cn_id_number(rng, region, birth, male):
    seq = rng.randrange(0, 1000)
    seq = seq - seq % 2 + (1 if male else 0)  # the order code is odd for men, even for women
    seq = min(seq, 999 if male else 998)
    first17 = f"{region}{birth[0]:04d}{birth[1]:02d}{birth[2]:02d}{seq:03d}"
    return first17 + cn_id_check_char(first17)


def mrz_check(field):
    """The ICAO 9303 check digit of an MRZ field: weights 7, 3, 1; digits count as themselves,
    letters A-Z as 10-35, the filler `<` as 0."""
    total = 0
    for i, ch in enumerate(field):
        value = int(ch) if ch.isdigit() else 0 if ch == "<" else ord(ch) - ord("A") + 10
        total += value * (7, 3, 1)[i % 3]
    return str(total % 10)


def luhn_complete(first15):
    total = 0
    for i, d in enumerate(reversed(first15)):
        x = int(d) * (2 if i % 2 == 0 else 1)
        total += x - 9 if x > 9 else x
    return first15 + str((10 - total % 10) % 10)


def random_person(rng):
    male = rng.random() < 0.5
    year = rng.randint(1950, 2005)
    month = rng.randint(1, 12)
    day = rng.randint(1, (31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1])
    region = rng.choice(REGIONS)
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    address = f"{region[1]}{rng.choice(STREETS)}{rng.randint(1, 399)}号{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(101, 2808)}室"
    return {
        "name": name,
        "sex": "男" if male else "女",
        "nation": rng.choice(NATIONS),
        "birth": (year, month, day),
        "address": address,
        "number": cn_id_number(rng, region[0], (year, month, day), male),
        "office": region[2],
        "male": male,
    }


# --- drawing helpers --------------------------------------------------------------------------


def draw_face(draw, box, rng, male=True):
    """A placeholder head and shoulders drawn from simple shapes (not a person)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    skin = rng.choice(((236, 200, 170), (225, 185, 150), (205, 160, 125), (245, 215, 190)))
    hair = rng.choice(((25, 20, 20), (50, 35, 25), (70, 50, 35)))
    shirt = rng.choice(((30, 40, 70), (200, 200, 205), (90, 30, 30), (40, 70, 50), (240, 240, 240)))
    cx = x0 + w / 2
    draw.polygon(
        [(x0 + w * 0.05, y1), (x0 + w * 0.2, y0 + h * 0.78), (x1 - w * 0.2, y0 + h * 0.78), (x1 - w * 0.05, y1)],
        fill=shirt,
    )
    draw.rectangle([cx - w * 0.09, y0 + h * 0.6, cx + w * 0.09, y0 + h * 0.82], fill=skin)
    if not male:
        draw.ellipse([cx - w * 0.33, y0 + h * 0.08, cx + w * 0.33, y0 + h * 0.85], fill=hair)
    head = [cx - w * 0.24, y0 + h * 0.14, cx + w * 0.24, y0 + h * 0.72]
    draw.ellipse(head, fill=skin)
    draw.chord([cx - w * 0.26, y0 + h * 0.1, cx + w * 0.26, y0 + h * 0.5], 180, 360, fill=hair)
    ey = y0 + h * 0.4
    for ex in (cx - w * 0.1, cx + w * 0.1):
        draw.ellipse([ex - w * 0.035, ey - h * 0.015, ex + w * 0.035, ey + h * 0.015], fill=(250, 250, 250))
        draw.ellipse([ex - w * 0.016, ey - h * 0.015, ex + w * 0.016, ey + h * 0.015], fill=(40, 30, 25))
        draw.line(
            [ex - w * 0.05, ey - h * 0.05, ex + w * 0.05, ey - h * 0.055], fill=hair, width=max(2, int(w * 0.015))
        )
    draw.line(
        [cx, ey + h * 0.02, cx - w * 0.02, y0 + h * 0.53, cx + w * 0.015, y0 + h * 0.54],
        fill=tuple(c - 40 for c in skin),
        width=max(1, int(w * 0.01)),
    )
    draw.arc(
        [cx - w * 0.08, y0 + h * 0.53, cx + w * 0.08, y0 + h * 0.63],
        20,
        160,
        fill=(170, 80, 80),
        width=max(2, int(w * 0.012)),
    )


def rounded_mask(size, radius):
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, size[0] - 1, size[1] - 1], radius, fill=255)
    return mask


def spaced(draw, xy, text, fnt, fill, gap):
    """Draws text with extra letter spacing, as printed on the card."""
    x, y = xy
    for ch in text:
        draw.text((x, y), ch, font=fnt, fill=fill)
        x += draw.textlength(ch, font=fnt) + gap


def template(templates, name, width):
    """The blank card background `name` from the folder `templates`, or with no folder a drawn
    stand-in, so that the output owes nothing to the (GPL) template images."""
    if templates is None:
        return drawn_template(name, width)
    path = templates / name
    if not path.is_file():
        sys.exit(f"template missing: {path} (pass --templates FOLDER, or leave it out for drawn cards)")
    img = Image.open(path).convert("RGB")
    return img.resize((width, round(width * img.height / img.width)), Image.LANCZOS)


def drawn_template(name, width):
    """An ID-1 card background drawn from shapes: a pale blue-green wash with fine guilloche-like
    waves, lighter on the emblem side (`*fang*`) than on the portrait side."""
    w, h = width, round(width / 1.586)
    back = "fang" in name
    top, bottom = ((236, 242, 238), (214, 228, 236)) if back else ((226, 236, 240), (236, 232, 222))
    card = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(card)
    for y in range(h):
        t = y / max(1, h - 1)
        d.line([0, y, w, y], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    for k in range(0, h, max(6, h // 40)):
        pts = [(x, k + 0.02 * h * math.sin(x / w * 6 * math.pi + k)) for x in range(0, w + 10, 10)]
        d.line(pts, fill=(200, 216, 222), width=1)
    return card


# --- documents --------------------------------------------------------------------------------

LABEL_BLUE = (30, 110, 170)
INK = (20, 20, 25)


def cn_id_front(rng, templates, person, photo=None):
    """Portrait side: name, sex, ethnicity, birth, address, number and a photo: `photo` (an
    image, fitted to the photo area) or, by default, a drawn face."""
    card = template(templates, "sdcn__zheng.jpg", 1000)
    w, h = card.size
    d = ImageDraw.Draw(card)
    lab, val, num = (
        font(SANS, int(h * 0.045)),
        font(SANS_BOLD, int(h * 0.055)),
        font(SANS_BOLD, int(h * 0.068), MONO_SC),
    )
    lx, vx = w * 0.07, w * 0.18
    d.text((lx, h * 0.11), "姓 名", font=lab, fill=LABEL_BLUE)
    d.text((vx, h * 0.10), person["name"], font=val, fill=INK)
    d.text((lx, h * 0.24), "性 别", font=lab, fill=LABEL_BLUE)
    d.text((vx, h * 0.23), person["sex"], font=val, fill=INK)
    d.text((w * 0.32, h * 0.24), "民 族", font=lab, fill=LABEL_BLUE)
    d.text((w * 0.42, h * 0.23), person["nation"], font=val, fill=INK)
    y, m, dd = person["birth"]
    d.text((lx, h * 0.37), "出 生", font=lab, fill=LABEL_BLUE)
    x = vx
    for part, unit in ((str(y), "年"), (str(m), "月"), (str(dd), "日")):
        d.text((x, h * 0.36), part, font=val, fill=INK)
        x += d.textlength(part, font=val) + w * 0.01
        d.text((x, h * 0.37), unit, font=lab, fill=LABEL_BLUE)
        x += d.textlength(unit, font=lab) + w * 0.02
    d.text((lx, h * 0.50), "住 址", font=lab, fill=LABEL_BLUE)
    address, per_line = person["address"], 11
    for i in range(0, len(address), per_line):
        d.text((vx, h * 0.49 + (i // per_line) * h * 0.075), address[i : i + per_line], font=val, fill=INK)
    d.text((lx, h * 0.83), "公民身份号码", font=lab, fill=LABEL_BLUE)
    spaced(d, (w * 0.33, h * 0.815), person["number"], num, INK, w * 0.006)
    box = [int(w * 0.62), int(h * 0.12), int(w * 0.92), int(h * 0.74)]
    if photo is None:
        draw_face(d, box, rng, person["male"])
    else:
        card.paste(cover(photo, (box[2] - box[0], box[3] - box[1])), box[:2])
    return card


def cn_id_back(rng, templates, person):
    """Emblem side: title, a drawn emblem, issuing office and validity."""
    card = template(templates, "sdcn__fang.jpg", 1000)
    w, h = card.size
    d = ImageDraw.Draw(card)
    # A stand-in for the national emblem: red disc, gold ring and stars (no official artwork).
    ex, ey, r = w * 0.14, h * 0.24, h * 0.15
    d.ellipse([ex - r, ey - r, ex + r, ey + r], fill=(200, 30, 30), outline=(225, 180, 40), width=int(r * 0.12))
    for i, (dx, dy, s) in enumerate(
        ((0, -0.35, 0.3), (-0.45, -0.1, 0.12), (-0.25, 0.15, 0.12), (0.25, 0.15, 0.12), (0.45, -0.1, 0.12))
    ):
        star(d, ex + dx * r, ey + dy * r, s * r, (240, 200, 40), rotation=i * 0.3)
    spaced(d, (w * 0.34, h * 0.13), "中华人民共和国", font(SERIF_BOLD, int(h * 0.085)), INK, w * 0.02)
    spaced(d, (w * 0.30, h * 0.30), "居民身份证", font(SERIF_BOLD, int(h * 0.13)), INK, w * 0.035)
    lab, val = font(SANS, int(h * 0.048)), font(SANS_BOLD, int(h * 0.052))
    d.text((w * 0.22, h * 0.70), "签发机关", font=lab, fill=INK)
    d.text((w * 0.40, h * 0.69), person["office"], font=val, fill=INK)
    start = rng.randint(2008, 2024)
    years = rng.choice((10, 20)) if 2024 - person["birth"][0] < 46 else 20
    until = "长期" if rng.random() < 0.15 else f"{start + years}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d}"
    d.text((w * 0.22, h * 0.82), "有效期限", font=lab, fill=INK)
    d.text(
        (w * 0.40, h * 0.81), f"{start}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d}-{until}", font=val, fill=INK
    )
    return card


def star(draw, cx, cy, r, fill, rotation=0.0):
    pts = []
    for i in range(10):
        a = rotation - math.pi / 2 + i * math.pi / 5
        rr = r if i % 2 == 0 else r * 0.4
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    draw.polygon(pts, fill=fill)


def bank_card(rng):
    """Hard negative: ID-1 sized card with a chip, VISA, a Luhn-valid 16-digit number."""
    w, h = 1000, 630
    c0 = rng.choice(((20, 60, 140), (150, 20, 30), (20, 20, 25), (180, 150, 60), (30, 110, 90)))
    c1 = tuple(min(255, v + rng.randint(40, 90)) for v in c0)
    card = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(card)
    for x in range(w):
        t = x / w
        d.line([(x, 0), (x, h)], fill=tuple(int(a + (b - a) * t) for a, b in zip(c0, c1)))
    white = (245, 245, 245)
    d.text(
        (w * 0.06, h * 0.07),
        rng.choice(("华信银行", "远洋商业银行", "长城信用社", "GLOBAL BANK")),
        font=font(SANS_BOLD, int(h * 0.08)),
        fill=white,
    )
    d.text(
        (w * 0.06, h * 0.18),
        rng.choice(("借记卡 DEBIT", "信用卡 CREDIT", "PLATINUM")),
        font=font(SANS, int(h * 0.045)),
        fill=white,
    )
    d.rounded_rectangle(
        [w * 0.08, h * 0.33, w * 0.2, h * 0.5], int(h * 0.02), fill=(215, 180, 90), outline=(150, 120, 50), width=3
    )
    prefix = rng.choice(("4", "4", "5", "62"))
    number = luhn_complete(prefix + "".join(str(rng.randint(0, 9)) for _ in range(15 - len(prefix))))
    groups = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    d.text((w * 0.07, h * 0.57), groups, font=font(SANS_BOLD, int(h * 0.085), MONO_SC), fill=white)
    d.text(
        (w * 0.07, h * 0.72),
        f"VALID THRU {rng.randint(1, 12):02d}/{rng.randint(26, 33)}",
        font=latin(int(h * 0.04)),
        fill=white,
    )
    d.text((w * 0.07, h * 0.83), rng.choice(PINYIN), font=latin(int(h * 0.055)), fill=white)
    d.text((w * 0.72, h * 0.80), "VISA", font=latin(int(h * 0.12), bold=True), fill=white)
    return card


def business_card(rng):
    """Hard negative: ID-1-like card with a CJK name, title, company and contacts."""
    w, h = 1000, 580
    bg = rng.choice(((250, 250, 248), (240, 236, 225), (230, 240, 250), (35, 40, 50)))
    ink = (20, 20, 30) if sum(bg) > 300 else (235, 235, 235)
    accent = rng.choice(((200, 30, 40), (20, 90, 170), (30, 130, 80)))
    card = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(card)
    d.rectangle([0, 0, w * 0.025, h], fill=accent)
    person = random_person(rng)
    d.text((w * 0.08, h * 0.12), person["name"], font=font(SANS_BOLD, int(h * 0.12)), fill=ink)
    d.text(
        (w * 0.08, h * 0.30),
        rng.choice(("销售经理", "高级工程师", "市场总监", "总经理 CEO", "产品经理")),
        font=font(SANS, int(h * 0.055)),
        fill=accent,
    )
    d.text(
        (w * 0.08, h * 0.45),
        rng.choice(("深圳华远科技有限公司", "上海星辰贸易有限公司", "杭州云帆网络科技", "成都锦程文化传媒")),
        font=font(SANS_BOLD, int(h * 0.06)),
        fill=ink,
    )
    small = font(SANS, int(h * 0.045))
    d.text(
        (w * 0.08, h * 0.62),
        f"手机：1{rng.randint(3, 9)}{rng.randint(0, 9)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
        font=small,
        fill=ink,
    )
    d.text(
        (w * 0.08, h * 0.71), f"邮箱：{rng.choice(('sales', 'info', 'hr', 'wei'))}@example.com", font=small, fill=ink
    )
    d.text((w * 0.08, h * 0.80), f"地址：{person['address'][:16]}", font=small, fill=ink)
    d.ellipse([w * 0.75, h * 0.1, w * 0.92, h * 0.1 + w * 0.17], outline=accent, width=8)
    return card


def receipt(rng):
    """Hard negative: a till receipt, paid by VISA, with CJK and Latin lines."""
    mono, cjk = font(SANS, 30, MONO_SC), font(SANS_BOLD, 40)
    items = [
        (
            rng.choice(
                ("矿泉水", "咖啡 Latte", "面包", "牛奶", "Sandwich", "苹果 1kg", "纸巾", "酸奶", "香蕉", "Chips")
            ),
            rng.randint(2, 60) + rng.choice((0, 0.5, 0.9)),
        )
        for _ in range(rng.randint(4, 12))
    ]
    lines = [
        ("c", rng.choice(("好邻居便利店", "全家 FamilyMart", "CITY SUPERMARKET", "鲜果超市"))),
        ("m", f"门店 {rng.randint(100, 999)}   收银员 {rng.randint(1, 30):02d}"),
        (
            "m",
            f"{rng.randint(2023, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}",
        ),
        ("m", "-" * 32),
    ]
    lines += [("m", f"{name:<14}{price:>10.2f}") for name, price in items]
    total = sum(p for _, p in items)
    lines += [
        ("m", "-" * 32),
        ("m", f"{'合计 TOTAL':<14}{total:>10.2f}"),
        ("m", f"VISA **** {rng.randint(1000, 9999)}  {total:>8.2f}"),
        ("m", f"AUTH {rng.randint(100000, 999999)}"),
        ("c", "谢谢惠顾 THANK YOU"),
    ]
    w, lh = 620, 46
    img = Image.new("RGB", (w, 60 + lh * len(lines) + 40), (250, 248, 240))
    d = ImageDraw.Draw(img)
    y = 40
    for style, text in lines:
        f = cjk if style == "c" else mono
        x = (w - d.textlength(text, font=f)) / 2 if style == "c" else 30
        d.text((x, y), text, font=f, fill=(40, 40, 45))
        y += lh
    return img


def mrv_visa(rng):
    """A machine-readable visa (MRV-A) rendered flat, as a scan: header, printed fields, a photo
    area and the two 44-character MRZ lines of the ICAO 9303 specimen (fictional holder ERIKSSON
    ANNA MARIA of Utopia), with their check digits computed here."""
    number, birth, expiry = "L8988901C", "400907", "961210"
    line1 = "V<UTOERIKSSON<<ANNA<MARIA".ljust(44, "<")
    line2 = (
        f"{number}{mrz_check(number)}XXX{birth}{mrz_check(birth)}F{expiry}{mrz_check(expiry)}6ZE184226B"
    ).ljust(44, "<")
    w, h = 1400, 900
    page = Image.new("RGB", (w, h), (238, 240, 232))
    d = ImageDraw.Draw(page)
    for y in range(0, h, 14):  # a faint security pattern
        d.line([0, y, w, y + rng.randint(12, 28)], fill=(226, 232, 224))
    mono = monospace(44)
    d.text((60, 50), "VISA", font=latin(56, bold=True), fill=(30, 40, 90))
    d.text((300, 62), "UTOPIA", font=latin(30), fill=(30, 40, 90))
    fields = (
        ("Valid from", "10.12.1995"),
        ("Until", "10.12.1996"),
        ("Type", "C"),
        ("Surname", "ERIKSSON"),
        ("Given names", "ANNA MARIA"),
        ("Passport number", "L898902C3"),
    )
    for i, (label, value) in enumerate(fields):
        d.text((420, 170 + 60 * i), label, font=latin(30), fill=(90, 90, 110))
        d.text((760, 170 + 60 * i), value, font=latin(30), fill=INK)
    d.rectangle([60, 170, 360, 560], fill=(200, 205, 210))
    d.text((40, 700), line1, font=mono, fill=INK)
    d.text((40, 770), line2, font=mono, fill=INK)
    return page


# --- screenshots ------------------------------------------------------------------------------


def phone_chrome(rng, title):
    w, h = rng.choice(PHONES)
    dark = rng.random() < 0.2
    bg, fg = ((18, 18, 20), (235, 235, 240)) if dark else ((246, 246, 248), (20, 20, 25))
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    s = w / 1170
    d.text(
        (70 * s, 40 * s), f"{rng.randint(7, 23)}:{rng.randint(0, 59):02d}", font=latin(int(44 * s), bold=True), fill=fg
    )
    d.rounded_rectangle([w - 150 * s, 50 * s, w - 70 * s, 88 * s], int(8 * s), outline=fg, width=max(2, int(3 * s)))
    d.rectangle([w - 146 * s, 54 * s, w - 146 * s + 72 * s * rng.uniform(0.2, 1), 84 * s], fill=fg)
    d.text((60 * s, 170 * s), "‹", font=latin(int(90 * s)), fill=fg)
    tf = font(SANS_BOLD, int(56 * s))
    d.text(((w - d.textlength(title, font=tf)) / 2, 180 * s), title, font=tf, fill=fg)
    d.line([0, 290 * s, w, 290 * s], fill=(200, 200, 205) if not dark else (60, 60, 64), width=2)
    return img, d, s, fg


def kyc_screenshot(rng, templates):
    """An identity-verification step: title, prompt, card frame (or face circle), button."""
    title = rng.choice(KYC_TITLES)
    img, d, s, fg = phone_chrome(rng, title)
    w, h = img.size
    accent = rng.choice(((22, 119, 255), (7, 193, 96), (255, 80, 0), (230, 0, 18)))
    big, small = font(SANS_BOLD, int(60 * s)), font(SANS, int(40 * s))
    face_step = title == "人脸识别" or rng.random() < 0.3
    head, sub = rng.choice(KYC_FACE_PROMPTS if face_step else KYC_CARD_PROMPTS)
    d.text(((w - d.textlength(head, font=big)) / 2, 420 * s), head, font=big, fill=fg)
    d.text(((w - d.textlength(sub, font=small)) / 2, 520 * s), sub, font=small, fill=(130, 130, 135))
    if face_step:
        r = 360 * s
        cx, cy = w / 2, 1100 * s
        face = Image.new("RGB", (int(2 * r), int(2 * r)), (210, 215, 220))
        draw_face(ImageDraw.Draw(face), (0, int(0.1 * r), int(2 * r), int(2 * r)), rng, rng.random() < 0.5)
        img.paste(face, (int(cx - r), int(cy - r)), circle_mask(face.size))
        d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=accent, width=int(14 * s))
    else:
        cw, ch = 900 * s, 900 * s / 1.586
        x0, y0 = (w - cw) / 2, 760 * s
        if rng.random() < 0.6:  # the camera preview already shows the card
            person = random_person(rng)
            card = (cn_id_front if "国徽" not in head else cn_id_back)(rng, templates, person)
            img.paste(card.resize((int(cw), int(ch))), (int(x0), int(y0)))
        dash = 40 * s
        for x in range(int(x0), int(x0 + cw), int(2 * dash)):
            d.line([x, y0, min(x + dash, x0 + cw), y0], fill=accent, width=int(8 * s))
            d.line([x, y0 + ch, min(x + dash, x0 + cw), y0 + ch], fill=accent, width=int(8 * s))
        for y in range(int(y0), int(y0 + ch), int(2 * dash)):
            d.line([x0, y, x0, min(y + dash, y0 + ch)], fill=accent, width=int(8 * s))
            d.line([x0 + cw, y, x0 + cw, min(y + dash, y0 + ch)], fill=accent, width=int(8 * s))
    steps = rng.choice((("上传身份证", "人脸识别", "完成"), ("ID document", "Selfie", "Done")))
    for i, step in enumerate(steps):
        x = w * (0.2 + 0.3 * i)
        d.ellipse(
            [x - 22 * s, 1640 * s, x + 22 * s, 1684 * s],
            fill=accent if i <= (1 if face_step else 0) else (190, 190, 195),
        )
        d.text((x - d.textlength(step, font=small) / 2, 1700 * s), step, font=small, fill=fg)
    button = rng.choice(("开始认证", "下一步", "Continue", "拍摄", "Start verification"))
    d.rounded_rectangle([80 * s, h - 320 * s, w - 80 * s, h - 190 * s], int(60 * s), fill=accent)
    bf = font(SANS_BOLD, int(50 * s))
    d.text(((w - d.textlength(button, font=bf)) / 2, h - 290 * s), button, font=bf, fill=(255, 255, 255))
    d.text(
        (80 * s, h - 150 * s),
        rng.choice(("您的信息仅用于身份核验", "Your data is encrypted and used only for verification")),
        font=font(SANS, int(32 * s)),
        fill=(140, 140, 145),
    )
    return img


def circle_mask(size):
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse([0, 0, size[0] - 1, size[1] - 1], fill=255)
    return mask


def app_screenshot(rng):
    """Hard negative: a phone screenshot of an ordinary list or chat screen."""
    img, d, s, fg = phone_chrome(rng, rng.choice(APP_TITLES))
    w, h = img.size
    f = font(SANS, int(46 * s))
    y = 330 * s
    while y < h - 250 * s:
        colour = tuple(rng.randint(60, 220) for _ in range(3))
        d.rounded_rectangle([60 * s, y, 170 * s, y + 110 * s], int(20 * s), fill=colour)
        d.text((200 * s, y + 5 * s), rng.choice(APP_ROWS), font=f, fill=fg)
        d.text((200 * s, y + 62 * s), rng.choice(APP_ROWS), font=font(SANS, int(34 * s)), fill=(140, 140, 145))
        d.line([200 * s, y + 135 * s, w, y + 135 * s], fill=(210, 210, 215), width=2)
        y += 150 * s
    return img


# --- photographing ----------------------------------------------------------------------------


def solve(a, b):
    """Solves the linear system a·x = b (Gaussian elimination, partial pivoting); 8x8 here."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def perspective_coeffs(dst, src):
    """Coefficients for Image.transform(PERSPECTIVE), mapping output points dst to input src."""
    a, b = [], []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return solve(a, b)


def background(rng, size):
    """A cluttered surface: a desk or cloth colour with objects, papers and cables, slightly
    blurred. Drawn at half the size and enlarged (the blur leaves nothing finer)."""
    base = rng.choice(((120, 85, 55), (160, 125, 90), (90, 90, 95), (200, 200, 195), (60, 60, 70), (225, 220, 210)))
    w, h = size
    img = Image.new("RGB", (max(1, w // 2), max(1, h // 2)), base)
    d = ImageDraw.Draw(img)
    for x in range(0, w, rng.randint(6, 20)):  # wood grain or fabric stripes
        shade = tuple(max(0, min(255, c + rng.randint(-12, 12))) for c in base)
        d.line([(x / 2, 0), ((x + rng.randint(-40, 40)) / 2, h / 2)], fill=shade, width=max(1, rng.randint(1, 4) // 2))
    for _ in range(rng.randint(6, 18)):
        colour = tuple(rng.randint(20, 240) for _ in range(3))
        x, y = rng.randint(-w // 4, w), rng.randint(-h // 4, h)
        bw, bh = rng.randint(w // 20, w // 3), rng.randint(h // 20, h // 3)
        shape = rng.random()
        if shape < 0.4:
            d.rectangle([x / 2, y / 2, (x + bw) / 2, (y + bh) / 2], fill=colour)
        elif shape < 0.7:
            d.ellipse([x / 2, y / 2, (x + bw) / 2, (y + bh) / 2], fill=colour)
        else:
            pts = [(x / 2, y / 2), ((x + bw) / 2, (y + bh) / 2), ((x + 2 * bw) / 2, y / 2)]
            d.line(pts, fill=colour, width=max(1, rng.randint(4, 14) // 2))
    return img.filter(ImageFilter.GaussianBlur(rng.uniform(1, 4) / 2)).resize(size, Image.BILINEAR)


def place(rng, scene, obj, fill_ratio, max_tilt_deg, perspective, centre=(0.5, 0.5), rounded=True):
    """Pastes obj into scene through a random perspective quad around `centre` (fractions of
    the scene), with a soft shadow. Returns the quad's corners."""
    w, h = scene.size
    ow, oh = obj.size
    scale = fill_ratio * min(w / ow, h / oh)
    cw, ch = ow * scale, oh * scale
    cx, cy = (centre[0] + rng.uniform(-0.12, 0.12)) * w, (centre[1] + rng.uniform(-0.12, 0.12)) * h
    angle = math.radians(rng.uniform(-max_tilt_deg, max_tilt_deg))
    quad = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        x = sx * cw / 2 * (1 + rng.uniform(-perspective, perspective))
        y = sy * ch / 2 * (1 + rng.uniform(-perspective, perspective))
        quad.append((cx + x * math.cos(angle) - y * math.sin(angle), cy + x * math.sin(angle) + y * math.cos(angle)))
    off = (rng.randint(5, w // 60 + 6), rng.randint(5, h // 60 + 6))
    paste_warped(scene, obj, quad, rounded, max(4, w // 150), 0.5, off)
    return quad


def paste_warped(scene, obj, quad, rounded, shadow_blur, shadow_level, shadow_offset):
    """Pastes `obj` into `scene` through the perspective `quad` (corners clockwise from the
    object's top left), over a shadow: its outline blurred by `shadow_blur`, darkening by
    `shadow_level` at most, moved by `shadow_offset`. Only the quad's bounding box (widened
    by the shadow) is warped and blurred, not the whole scene: on a 12 MP scene that is most
    of the time of making a photo. The shadow is blurred at a quarter of the size (it is
    smooth) and the warp is bilinear (the object is mostly enlarged, where bicubic adds no
    detail and takes over twice as long)."""
    w, h = scene.size
    ow, oh = obj.size
    margin = 3 * shadow_blur + max(shadow_offset) + 2
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    x0, y0 = max(0, math.floor(min(xs)) - margin), max(0, math.floor(min(ys)) - margin)
    x1, y1 = min(w, math.ceil(max(xs)) + margin), min(h, math.ceil(max(ys)) + margin)
    if x1 <= x0 or y1 <= y0:
        return
    box = (x1 - x0, y1 - y0)
    coeffs = perspective_coeffs([(x - x0, y - y0) for x, y in quad], [(0, 0), (ow, 0), (ow, oh), (0, oh)])
    rgba = obj.convert("RGBA")
    rgba.putalpha(rounded_mask(obj.size, int(min(ow, oh) * 0.045)) if rounded else Image.new("L", obj.size, 255))
    warped = rgba.transform(box, Image.PERSPECTIVE, coeffs, Image.BILINEAR)
    alpha = warped.getchannel("A")
    if shadow_level:
        small = alpha.resize((max(1, box[0] // 4), max(1, box[1] // 4)), Image.BILINEAR)
        soft = small.filter(ImageFilter.GaussianBlur(shadow_blur / 4)).resize(box, Image.BILINEAR)
        soft = soft.point(lambda v: v * shadow_level)
        moved = Image.new("L", box, 0)
        moved.paste(soft, shadow_offset)
        scene.paste((0, 0, 0), (x0, y0, x1, y1), moved)
    scene.paste(warped, (x0, y0), alpha)


def photograph(rng, scene):
    """Uneven light, glare, blur, sensor noise. The light and the glare are smooth: they are
    made at an eighth of the size and enlarged."""
    w, h = scene.size
    sw, sh = max(1, w // 8), max(1, h // 8)
    depth = rng.uniform(0.15, 0.45)  # how much darker the far side is
    # Turned on a square as wide as the frame's diagonal and cropped to the frame, so that no
    # corner is left unlit (a hard diagonal edge of light across the photo).
    side = math.ceil(math.hypot(sw, sh)) + 2
    light = Image.linear_gradient("L").resize((side, side)).rotate(rng.uniform(0, 360), Image.BILINEAR)
    left, top = (side - sw) // 2, (side - sh) // 2
    light = light.crop((left, top, left + sw, top + sh)).point(lambda v: int(255 - v * depth))
    light = light.resize((w, h), Image.BILINEAR)
    scene = ImageChops.multiply(scene, Image.merge("RGB", (light, light, light)))
    if rng.random() < 0.6:
        glare = Image.new("L", (sw, sh), 0)
        gx, gy, gr = rng.uniform(0.2, 0.8) * sw, rng.uniform(0.2, 0.8) * sh, rng.uniform(0.05, 0.2) * sw
        ImageDraw.Draw(glare).ellipse([gx - gr, gy - gr * 0.6, gx + gr, gy + gr * 0.6], fill=int(rng.uniform(120, 230)))
        glare = glare.filter(ImageFilter.GaussianBlur(gr * 0.4)).resize((w, h), Image.BILINEAR)
        scene = Image.composite(Image.new("RGB", (w, h), (255, 255, 250)), scene, glare)
    radius = rng.choice((0, 0.6, 1.0, 1.6, 2.4))
    if radius:
        scene = scene.filter(ImageFilter.GaussianBlur(radius))
    sigma = rng.uniform(3, 14)
    noise = Image.frombytes("L", (w // 2, h // 2), rng.randbytes((w // 2) * (h // 2))).resize((w, h), Image.NEAREST)
    noise = noise.point(lambda v: max(0, min(255, round(128 + (v - 128) * sigma / 74))))
    return ImageChops.add(scene, Image.merge("RGB", (noise, noise, noise)), 1.0, -128)


def scene_size(rng, portrait=False):
    w, h = rng.choice(((1600, 1200), (2016, 1512), (1440, 1080), (2400, 1800)))
    return (h, w) if portrait else (w, h)


def photo_of(rng, obj, fill=(0.45, 0.85), tilt=25, rounded=True):
    scene = background(rng, scene_size(rng, portrait=obj.height > obj.width * 1.3))
    place(rng, scene, obj, rng.uniform(*fill), tilt, rng.uniform(0.0, 0.12), rounded=rounded)
    return photograph(rng, scene)


def face_photos(folder):
    """The JPEG and PNG files in `folder`, sorted; exits when there are none."""
    if not folder.is_dir():
        sys.exit(f"--faces: {folder} is not a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        sys.exit(f"no .jpg, .jpeg or .png files in {folder}")
    return files


def cover(img, size):
    """`img` cropped to the aspect of `size` and resized to it. The crop is centred across and
    starts at the top, where a portrait's head is."""
    w, h = img.size
    tw, th = size
    if w * th > h * tw:
        cw, ch = round(h * tw / th), h
    else:
        cw, ch = w, round(w * th / tw)
    return img.crop(((w - cw) // 2, 0, (w - cw) // 2 + cw, ch)).resize(size, Image.LANCZOS)


def open_photo(path):
    return ImageOps.exif_transpose(Image.open(path)).convert("RGB")


def id_selfie_photo(rng, templates, faces):
    """A real portrait photo (the holder) with an ID card held low in the frame, over the
    chest, whose photo is another portrait from `faces` (the same one if there is only one).
    The card is smaller than in the drawn selfie so that it does not cover the holder's face."""
    w, h = scene_size(rng, portrait=True)
    holder, other = rng.sample(faces, 2) if len(faces) > 1 else (faces[0], faces[0])
    scene = cover(open_photo(holder), (w, h))
    person = random_person(rng)
    if rng.random() < 0.8:
        photo = open_photo(other)
        pw, ph = photo.size
        # Head and shoulders: the upper middle of the portrait.
        cw = round(pw * 0.7)
        photo = photo.crop(((pw - cw) // 2, 0, (pw - cw) // 2 + cw, min(ph, round(cw / 0.775))))
        card = cn_id_front(rng, templates, person, photo)
    else:
        card = cn_id_back(rng, templates, person)
    quad = place(rng, scene, card, rng.uniform(0.45, 0.6), 12, 0.08, centre=(0.5, 0.8))
    d = ImageDraw.Draw(scene)
    skin = rng.choice(((236, 200, 170), (225, 185, 150), (205, 160, 125)))
    for x, y in (quad[0], quad[3], quad[1], quad[2])[: rng.choice((2, 4))]:
        r = w * 0.035
        d.ellipse([x - r, y - r * 1.6, x + r, y + r * 1.6], fill=skin)
    return photograph(rng, scene)


def id_selfie(rng, templates, faces=None):
    """A person holding an ID card in front of the chest: a portrait from `faces` (a list of
    photo files) when given, otherwise a drawn face."""
    if faces:
        return id_selfie_photo(rng, templates, faces)
    w, h = scene_size(rng, portrait=True)
    wall = rng.choice(((225, 220, 210), (200, 210, 220), (180, 170, 160), (240, 240, 238)))
    scene = Image.new("RGB", (w, h), wall)
    d = ImageDraw.Draw(scene)
    for _ in range(rng.randint(2, 6)):  # door frames, pictures, shelves
        x, y = rng.randint(0, w), rng.randint(0, h // 2)
        d.rectangle(
            [x, y, x + rng.randint(80, w // 3), y + rng.randint(80, h // 3)],
            outline=tuple(rng.randint(60, 200) for _ in range(3)),
            width=rng.randint(6, 20),
        )
    person = random_person(rng)
    fw = int(w * rng.uniform(0.75, 0.95))
    draw_face(d, (int((w - fw) / 2), int(h * 0.05), int((w + fw) / 2), int(h * 0.05 + fw * 1.25)), rng, person["male"])
    if rng.random() < 0.2:
        d.rectangle([0, int(h * 0.05 + fw * 1.25), w, h], fill=(30, 40, 70))  # the shirt continues
    card = (cn_id_front if rng.random() < 0.8 else cn_id_back)(rng, templates, person)
    # The card is held low in the frame, over the chest, fingers on its edges.
    quad = place(rng, scene, card, rng.uniform(0.6, 0.85), 12, 0.08, centre=(0.5, 0.72))
    skin = rng.choice(((236, 200, 170), (225, 185, 150), (205, 160, 125)))
    for x, y in (quad[0], quad[3], quad[1], quad[2])[: rng.choice((2, 4))]:
        r = w * 0.035
        d.ellipse([x - r, y - r * 1.6, x + r, y + r * 1.6], fill=skin)
    return photograph(rng, scene)


def turn(rng, img):
    """Rotates the pixels by 0/90/180/270 degrees; sometimes stores them sideways with an EXIF
    Orientation tag that turns them upright again. Returns (image, orientation or None)."""
    r = rng.random()
    if r < 0.12:
        return img.rotate(90, expand=True), 6  # stored 90° counter-clockwise; display turns it back
    if r < 0.2:
        return img.rotate(rng.choice((90, 270)), expand=True), None
    if r < 0.27:
        return img.rotate(180), None
    return img, None


def save_jpeg(rng, img, path, orientation):
    exif = Image.Exif()
    make, model = rng.choice(CAMERAS)
    if rng.random() < 0.7:
        exif[0x010F], exif[0x0110] = make, model
    if orientation:
        exif[0x0112] = orientation
    img.save(path, "JPEG", quality=rng.randint(60, 92), exif=exif.tobytes())


# --- the set ----------------------------------------------------------------------------------


def make(rng, kind, templates, faces=None):
    """Renders one image of `kind`; returns (image, is_screenshot, orientation). `faces` lists
    portrait photos for ID selfies (None: drawn faces)."""
    if kind in ("cn_id_front", "cn_id_back"):
        card = (cn_id_front if kind == "cn_id_front" else cn_id_back)(rng, templates, random_person(rng))
        img, orient = turn(rng, photo_of(rng, card))
        return img, False, orient
    if kind == "id_selfie":
        img, orient = turn(rng, id_selfie(rng, templates, faces))
        return img, False, orient
    if kind == "kyc_screenshot":
        return kyc_screenshot(rng, templates), True, None
    if kind == "mrv_visa":  # a flat render, kept lossless as PNG like the screenshots
        return mrv_visa(rng), True, None
    if kind == "app_screenshot":
        return app_screenshot(rng), True, None
    obj = {"bank_card": bank_card, "business_card": business_card, "receipt": receipt}[kind](rng)
    paper = kind == "receipt"
    img, orient = turn(rng, photo_of(rng, obj, fill=(0.6, 0.9) if paper else (0.4, 0.8), rounded=not paper))
    return img, False, orient


def self_test():
    # The worked example in GB 11643-1999 itself.
    assert cn_id_check_char("11010519491231002") == "X"
    rng = random.Random(7)
    for _ in range(200):
        p = random_person(rng)
        n = p["number"]
        assert len(n) == 18 and n[-1] == cn_id_check_char(n[:17]), n
        assert int(n[16]) % 2 == (1 if p["male"] else 0), n
    assert luhn_complete("411111111111111") == "4111111111111111"
    # The ICAO 9303 specimen passport number and its check digit.
    assert mrz_check("L898902C3") == "6"
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    stored = img.rotate(90, expand=True)
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(buf, "JPEG", exif=exif.tobytes())
    assert ImageOps.exif_transpose(Image.open(buf)).size == (40, 20)
    print("self-test ok")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, help="output folder (created; must be empty or absent)")
    p.add_argument("--positives", type=int, default=20)
    p.add_argument("--negatives", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--templates",
        type=Path,
        help="folder with the blank card templates sdcn__zheng.jpg and sdcn__fang.jpg (the corpus' "
        "templates/ folder); default: drawn card backgrounds",
    )
    p.add_argument("--kinds", help="comma-separated kinds to generate (default: all)")
    p.add_argument(
        "--faces",
        type=Path,
        help="folder of portrait photos (face in the upper middle) for ID selfies: the holder and "
        "the card's photo are real faces (default: drawn faces)",
    )
    p.add_argument("--self-test", action="store_true", help="check the number generators and exit")
    args = p.parse_args()
    if args.self_test:
        self_test()
        return
    if args.out is None:
        p.error("--out is required")
    for f in (SANS, SANS_BOLD, SERIF_BOLD):
        if not (FONT_DIR / f).is_file():
            sys.exit(f"font missing: {FONT_DIR / f} (apt-get install fonts-noto-cjk)")
    faces = face_photos(args.faces) if args.faces else None
    if args.out.exists() and any(args.out.iterdir()):
        sys.exit(f"{args.out} is not empty")
    args.out.mkdir(parents=True, exist_ok=True)
    wanted = set(args.kinds.split(",")) if args.kinds else set(POSITIVE_KINDS + NEGATIVE_KINDS)
    unknown = wanted - set(POSITIVE_KINDS + NEGATIVE_KINDS + OPT_IN_KINDS)
    if unknown:
        sys.exit(f"unknown kinds: {', '.join(sorted(unknown))}")
    plan = (
        [("positive", k) for k in POSITIVE_KINDS + OPT_IN_KINDS if k in wanted],
        [("negative", k) for k in NEGATIVE_KINDS if k in wanted],
    )
    jobs = []
    for group, n in zip(plan, (args.positives, args.negatives)):
        jobs += [group[i % len(group)] for i in range(n)] if group else []
    rng = random.Random(args.seed)
    rows = []
    for i, (label, kind) in enumerate(jobs, 1):
        img, screenshot, orientation = make(rng, kind, args.templates, faces)
        name = f"synth_{i:04d}.{'png' if screenshot else 'jpg'}"
        if screenshot:
            img.save(args.out / name, "PNG")
        else:
            save_jpeg(rng, img, args.out / name, orientation)
        rows.append((name, label, kind, "synth"))
    with open(args.out / "labels.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("file", "label", "kind", "source"))
        writer.writerows(rows)
    print(f"wrote {len(rows)} images and labels.csv to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
