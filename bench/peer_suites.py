#!/usr/bin/env python3
"""Runs `idvault strip`, `exiftool -all=` and `idvault scan` over other projects' test folders
(helper of bench/peer-suites.sh; reads only the folders it is given, fetches nothing).

For each source folder (NAME=DIR):
  1. Two copies are made in the scratch folder; `idvault strip --apply --yes --json` cleans one,
     `exiftool -all= -overwrite_original -r` the other.
  2. idvault's per-file status (stripped, unchanged, unsupported, failed) comes from its JSON
     Lines; exiftool's from the bytes (changed or not) and its error lines.
  3. Every file a tool changed is checked for identifying tags exiftool still reads (see TAGS;
     an embedded image that is the picture itself is listed apart, see picture_offsets), and
     its decoded pixels or media streams are compared with the original's (Pillow, every
     frame; libheif for HEIC; ffmpeg framemd5 for audio and video; pdftoppm for PDF). A file
     whose picture and pages are the same but whose preview frames are gone (MPF images after
     a JPEG's end, a TIFF's reduced-resolution IFDs) is counted apart.
  4. Every file idvault refused or left alone (failed, unsupported, unchanged) must be
     byte-identical to the original.
  5. `idvault scan --json --no-cache` on the originals: panic text on stderr, a hang (timeout), and
     identity-document findings are counted.

A table is printed per source; the files behind every non-zero problem count are listed in
DETAILS (one `source  check  path  note` line each).
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

# Names and extensions that are a suite's notes or expected outputs, not media under test.
SKIP_EXT = {".txt", ".md", ".out", ".json", ".py", ".cs", ".sh", ".xml", ".html", ".rst", ".yml"}
# Embedded images exiftool extracts, with the tag that gives where each starts (ThumbnailTIFF
# is rebuilt from a reduced-resolution IFD: always a preview).
PREVIEWS = {"PreviewImage": "PreviewImageStart", "OtherImage": "OtherImageStart",
            "JpgFromRaw": "JpgFromRawStart", "ThumbnailImage": "ThumbnailOffset",
            "ThumbnailTIFF": None, "PreviewTIFF": "PreviewTIFFStart"}
# Tags whose presence (other than a zeroed date) counts as an identifying leftover.
TAGS = [
    "-GPS:all", "-GPSPosition", "-GPSCoordinates", "-GPSCoordinates-und", "-Make", "-Model",
    "-SerialNumber", "-InternalSerialNumber", "-LensSerialNumber", "-BodySerialNumber",
    "-CameraSerialNumber", "-Software", "-HostComputer", "-Artist", "-Copyright", "-OwnerName",
    "-CameraOwnerName", "-LensModel", "-DateTimeOriginal", "-CreateDate", "-ModifyDate",
    "-DateTimeDigitized", "-TrackCreateDate", "-TrackModifyDate", "-MediaCreateDate",
    "-MediaModifyDate", "-XMP:all", "-IPTC:all", "-MakerNotes:all", "-Samsung:all",
    *[f"-{t}" for t in PREVIEWS], "-PDF:Author", "-PDF:Creator", "-PDF:Producer", "-PDF:Title",
    "-PDF:Subject", "-PDF:Keywords",
]
# The kinds of finding that claim an identity document (docs/json.md).
ID_KINDS = {"passport", "id_card", "residence_permit", "travel_permit", "visa",
            "driver_licence", "id_selfie", "kyc_screenshot"}
PANIC = ("panicked at", "RUST_BACKTRACE", "stack backtrace")
VIDEO_EXT = {".mp4", ".mov", ".m4v", ".m4a", ".3gp", ".3g2", ".avi", ".mkv", ".webm", ".mts",
             ".m2ts", ".m2v", ".mp3", ".wav", ".flac", ".ogg"}
HEIF_EXT = {".heic", ".heif", ".hif"}


def media_files(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or os.path.splitext(name)[1].lower() in SKIP_EXT:
                continue
            out.append(os.path.relpath(path, root))
    return out


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run(cmd, timeout, **kw):
    try:
        return subprocess.run(cmd, capture_output=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return None


# ---- decoding -------------------------------------------------------------------------------

def kind_of(path):
    with open(path, "rb") as f:
        head = f.read(16)
    ext = os.path.splitext(path)[1].lower()
    if head.startswith(b"%PDF"):
        return "pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis", b"hevc", b"hevx") \
                and ext not in VIDEO_EXT:
            return "heif"
        if brand in (b"avif", b"avis"):
            return "pillow"
        return "av"
    if ext in VIDEO_EXT:
        return "av"
    if ext in HEIF_EXT:
        return "heif"
    return "pillow"


def pillow_frames(path, scratch):
    from PIL import Image, ImageSequence
    Image.MAX_IMAGE_PIXELS = 100_000_000
    h, pages = hashlib.sha256(), hashlib.sha256()
    with Image.open(path) as im:
        n = 0
        for frame in ImageSequence.Iterator(im):
            frame.load()
            digest = hashlib.sha256(f"{frame.mode} {frame.size}\n".encode() + frame.tobytes())
            h.update(digest.digest())
            # The picture and its pages apart from its previews: a JPEG's further "frames" are
            # MPF images after its end (MPO); a TIFF's reduced-resolution IFDs (NewSubfileType
            # bit 0) are overviews and thumbnails.
            tags = getattr(frame, "tag_v2", None)
            reduced = tags is not None and int(tags.get(254, 0)) & 1
            if not reduced and not (n and im.format == "MPO"):
                pages.update(digest.digest())
            n += 1
            if n >= 500:
                break
    return f"{pages.hexdigest()}/{h.hexdigest()}/{n}"


def heif_frames(path, scratch):
    out = os.path.join(scratch, "heif.png")
    r = run(["heif-convert", "-q", "90", path, out], 120)
    if r is None or r.returncode != 0:
        raise RuntimeError("heif-convert failed")
    h = hashlib.sha256()
    for name in sorted(os.listdir(scratch)):
        if name.endswith(".png"):
            h.update(pillow_frames(os.path.join(scratch, name), scratch).encode())
            os.remove(os.path.join(scratch, name))
    return h.hexdigest()


def av_frames(path, scratch):
    r = run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-map", "0:v?", "-map", "0:a?",
             "-f", "framemd5", "-"], 300)
    if r is None or r.returncode != 0:
        raise RuntimeError("ffmpeg failed")
    lines = [l for l in r.stdout.decode(errors="replace").splitlines() if l and l[0] != "#"]
    if not lines:
        raise RuntimeError("no frames")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def pdf_frames(path, scratch):
    prefix = os.path.join(scratch, "page")
    r = run(["pdftoppm", "-r", "30", "-png", path, prefix], 300)
    if r is None or r.returncode != 0:
        raise RuntimeError("pdftoppm failed")
    h = hashlib.sha256()
    for name in sorted(os.listdir(scratch)):
        if name.startswith("page"):
            h.update(pillow_frames(os.path.join(scratch, name), scratch).encode())
            os.remove(os.path.join(scratch, name))
    return h.hexdigest()


DECODERS = {"pillow": pillow_frames, "heif": heif_frames, "av": av_frames, "pdf": pdf_frames}


def decoded_here(path, only=None):
    """'DECODER:DIGEST' of everything the first decoder that reads the file makes of it (only
    `only` when given), or None when none can."""
    with tempfile.TemporaryDirectory() as scratch:
        kind = kind_of(path)
        tries = [only] if only else [kind] + (["av"] if kind == "pillow" else [])
        for k in tries:
            try:
                return f"{k}:{DECODERS[k](path, scratch)}"
            except Exception:  # any decoder failure means "not decodable by this decoder"
                continue
    return None


class Decoder:
    """A child process that runs decoded_here() on one path at a time (libtiff and friends can
    crash or hang on these files); a crash or a timeout kills it, that file counts as not
    decodable and the next call starts a new child. One per worker thread, so the interpreter
    and Pillow are loaded once per child, not once per file."""

    def __init__(self):
        self.proc = None

    def __call__(self, path, only=None):
        import select
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen([sys.executable, __file__, "--serve"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL)
        try:
            self.proc.stdin.write(json.dumps([path, only]).encode() + b"\n")
            self.proc.stdin.flush()
            ready, _, _ = select.select([self.proc.stdout], [], [], 600)
            line = self.proc.stdout.readline() if ready else b""
        except OSError:
            line = b""
        if not line:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            return None
        digest = json.loads(line)
        return digest or None


_local = threading.local()


def decoded(path, only=None):
    """decoded_here() in this thread's child process (see Decoder)."""
    if not hasattr(_local, "decoder"):
        _local.decoder = Decoder()
    return _local.decoder(path, only)


def serve():
    """The child side of Decoder: one JSON [path, only] a line in, one JSON digest a line out."""
    import warnings
    warnings.simplefilter("ignore")
    for line in sys.stdin:
        path, only = json.loads(line)
        try:
            digest = decoded_here(path, only)
        except Exception:  # a decoder bug on a hostile file: not decodable
            digest = None
        sys.stdout.write(json.dumps(digest) + "\n")
        sys.stdout.flush()


def compare(pair):
    """'same', 'differ', 'broken' (the original decodes, the output not, with the same decoder),
    'previews' (the picture and its pages decode the same, but not the previews Pillow reads as
    further frames: MPF images after a JPEG's end, a TIFF's reduced-resolution IFDs) or
    'unstable' (the decoder gives the original itself different pixels from one run to the
    next, as libtiff does on some corrupt fax strips) or 'undecodable'."""
    orig, new = pair
    a = decoded(orig)
    if a is None:
        return "undecodable"
    b = decoded(new, a.split(":", 1)[0])
    if b is None:
        return "broken"
    if a == b:
        return "same"
    if a.startswith("pillow:") and a.split("/")[0] == b.split("/")[0]:
        return "previews"  # the picture and its pages are the same; previews were removed
    if decoded(orig, a.split(":", 1)[0]) != a:
        return "unstable"  # the original itself decodes differently each time (corrupt data)
    return "differ"


# ---- exiftool leftovers -------------------------------------------------------------------

def picture_offsets(path):
    """Where the image data of every IFD of a TIFF's main chain (IFD0, IFD1, ...) not marked
    reduced-resolution starts: the picture and its pages. Exiftool names some of these after
    their compression ("PreviewImage" for a JPEG-compressed IFD without SubfileType 0,
    "OtherImage" or "ThumbnailImage" for an old-style JPEG stream), though nothing else in the
    file shows the picture. An empty set for anything else."""
    import struct
    try:
        with open(path, "rb") as f:
            d = f.read()
    except OSError:
        return set()
    bo = {b"II": "<", b"MM": ">"}.get(d[:2])
    if bo is None or len(d) < 8 or struct.unpack(bo + "H", d[2:4])[0] != 42:
        return set()
    sizes = {1: 1, 3: 2, 4: 4, 13: 4, 16: 8}
    out, pos, seen = set(), struct.unpack(bo + "I", d[4:8])[0], set()
    while 0 < pos < len(d) - 2 and pos not in seen and len(seen) < 1000:
        seen.add(pos)
        (n,) = struct.unpack(bo + "H", d[pos:pos + 2])
        if pos + 2 + 12 * n + 4 > len(d):
            break
        tags = {}
        for k in range(n):
            tag, typ, count = struct.unpack(bo + "HHI", d[pos + 2 + 12 * k:pos + 10 + 12 * k])
            size = sizes.get(typ)
            if size is None or count == 0:
                continue
            at = pos + 10 + 12 * k
            if size * count > 4:
                at = struct.unpack(bo + "I", d[at:at + 4])[0]
            fmt = {1: "B", 2: "H", 4: "I", 8: "Q"}[size]
            if at + size <= len(d):
                tags[tag] = struct.unpack(bo + fmt, d[at:at + size])[0]
        if tags.get(254, 0) & 1 == 0 and tags.get(255) != 2:
            out.update(tags[t] for t in (273, 324, 513) if t in tags)
        pos = struct.unpack(bo + "I", d[pos + 2 + 12 * n:pos + 6 + 12 * n])[0]
    return out


def leftovers(paths, named_pictures=None):
    """{path: [tag, ...]} for the files in which exiftool reads an identifying tag or an
    embedded preview. An embedded image that is the picture itself or a page of it (see
    picture_offsets) is not a preview; those go to `named_pictures` ({path: [tag, ...]})."""
    found = {}
    starts = [f"-{t}" for t in PREVIEWS.values() if t]
    for i in range(0, len(paths), 200):
        chunk = paths[i:i + 200]
        r = run(["exiftool", "-q", "-q", "-j", "-n", "-G1", "-a", "-m", *TAGS, *starts, *chunk],
                900)
        if r is None or not r.stdout.strip():
            continue
        for row in json.loads(r.stdout.decode("utf-8", "replace")):
            pictures = None
            tags = []
            for k, v in row.items():
                group, _, name = k.rpartition(":")
                if k == "SourceFile" or name in PREVIEWS.values() \
                        or (isinstance(v, str) and (v.startswith("0000:00:00") or v == "")):
                    continue
                if PREVIEWS.get(name):
                    start = str(row.get(f"{group}:{PREVIEWS[name]}", "")).split(" ")[0]
                    if pictures is None:
                        pictures = picture_offsets(row["SourceFile"])
                    if start.isdigit() and int(start) in pictures:
                        if named_pictures is not None:
                            named_pictures.setdefault(row["SourceFile"], []).append(k)
                        continue
                tags.append(k)
            if tags:
                found[row["SourceFile"]] = tags
    return found


# ---- one source ---------------------------------------------------------------------------

def evaluate(name, src, args, details):
    files = media_files(src)
    work = os.path.join(args.tmp, name)
    copies = {t: os.path.join(work, t) for t in ("orig", "idvault", "exiftool")}
    for t, d in copies.items():
        for rel in files:
            dst = os.path.join(d, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(os.path.join(src, rel), dst)
    row = {"source": name, "files": len(files)}

    def note(check, rel, text=""):
        details.write(f"{name}\t{check}\t{rel}\t{text}\n")

    # idvault strip
    r = run([args.idvault, "strip", "--apply", "--yes", "--json", "-j", str(args.jobs), "."],
            args.timeout * max(1, len(files) // 50), cwd=copies["idvault"])
    status = {}
    if r is None:
        row["idvault_hang"] = 1
        note("strip-hang", ".", "strip did not finish")
    else:
        for line in r.stdout.decode(errors="replace").splitlines():
            rec = json.loads(line)
            if rec["type"] == "file":
                d = rec["data"]
                status[os.path.normpath(d["path"]["text"])] = (d["status"], d.get("message") or "")
        err = r.stderr.decode(errors="replace")
        if any(p in err for p in PANIC):
            row["strip_panic"] = 1
            note("strip-panic", ".", err[:300].replace("\n", " "))
    for s in ("stripped", "unchanged", "unsupported", "failed"):
        row[f"idv_{s}"] = sum(1 for v in status.values() if v[0] == s)
    for rel, (s, msg) in status.items():
        if s == "failed":
            note("failed", rel, msg)
    refused = [rel for rel in files if status.get(rel, ("?",))[0] != "stripped"]
    altered = [rel for rel in refused
               if sha(os.path.join(copies["orig"], rel)) != sha(os.path.join(copies["idvault"], rel))]
    row["idv_refused_altered"] = len(altered)
    for rel in altered:
        note("refused-altered", rel, status.get(rel, ("?", ""))[0])

    # exiftool -all=
    r = run(["exiftool", "-q", "-q", "-m", "-all=", "-overwrite_original", "-r",
             copies["exiftool"]], args.timeout * max(1, len(files) // 20))
    ex_changed = [rel for rel in files
                  if sha(os.path.join(copies["orig"], rel)) != sha(os.path.join(copies["exiftool"], rel))]
    row["ex_changed"] = len(ex_changed)

    # leftovers and pixels of the files each tool changed; unsupported files' leftovers too
    stripped = [rel for rel in files if status.get(rel, ("?",))[0] == "stripped"]
    unsupported = [rel for rel in files if status.get(rel, ("?",))[0] == "unsupported"]
    for tool, changed in (("idv", stripped), ("ex", ex_changed)):
        base = copies["idvault" if tool == "idv" else "exiftool"]
        named = {}
        left = leftovers([os.path.join(base, rel) for rel in changed], named)
        row[f"{tool}_tags_left"] = len(left)
        row[f"{tool}_named_pictures"] = len(named)
        if tool == "idv":
            for path, tags in sorted(left.items()):
                note("tags-left", os.path.relpath(path, base), " ".join(tags[:8]))
            for path, tags in sorted(named.items()):
                note("picture-named-as-preview", os.path.relpath(path, base), " ".join(tags))
        pairs = [(os.path.join(copies["orig"], rel), os.path.join(base, rel)) for rel in changed]
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            verdicts = list(pool.map(compare, pairs))
        for v in ("differ", "broken", "undecodable", "previews", "unstable"):
            row[f"{tool}_{v}"] = sum(1 for x in verdicts if x == v)
        if tool == "idv":
            for rel, v in zip(changed, verdicts):
                if v in ("differ", "broken", "previews", "unstable"):
                    note(f"pixels-{v}", rel)
    left = leftovers([os.path.join(copies["orig"], rel) for rel in unsupported])
    row["idv_unsupported_tags"] = len(left)
    for path, tags in sorted(left.items()):
        note("unsupported-with-tags", os.path.relpath(path, copies["orig"]), " ".join(tags[:8]))

    # scan on the originals
    if args.scan:
        env = dict(os.environ, IDVAULT_NO_CACHE="1")
        r = run([args.idvault, "scan", "--json", "--no-cache", "-j", str(args.jobs),
                 copies["orig"]], args.timeout * max(1, len(files) // 20), env=env)
        if r is None:
            row["scan_hang"] = 1
            note("scan-hang", ".", "scan did not finish")
        else:
            err = r.stderr.decode(errors="replace")
            row["scan_panic"] = sum(err.count(p) for p in PANIC[:1])
            if row["scan_panic"]:
                note("scan-panic", ".", err[:500].replace("\n", " "))
            ids = 0
            for line in r.stdout.decode(errors="replace").splitlines():
                rec = json.loads(line)
                if rec["type"] == "finding" and rec["data"]["kind"] in ID_KINDS:
                    ids += 1
                    note("scan-id-finding", rec["data"]["path"]["text"], rec["data"]["kind"])
            row["scan_id_findings"] = ids
    shutil.rmtree(work)
    return row


COLUMNS = [
    ("source", "source"), ("files", "files"),
    ("idv_stripped", "stripped"), ("idv_unchanged", "unchanged"),
    ("idv_unsupported", "unsupported"), ("idv_failed", "failed"),
    ("idv_tags_left", "tags left"), ("idv_named_pictures", "picture named a preview"),
    ("idv_differ", "pixels differ"), ("idv_broken", "no longer decodes"),
    ("idv_previews", "same picture, preview frames removed"), ("idv_undecodable", "not decodable"),
    ("idv_unstable", "original decodes differently each time"),
    ("idv_refused_altered", "refused altered"), ("idv_unsupported_tags", "unsupported with tags"),
    ("ex_changed", "exiftool changed"), ("ex_tags_left", "exiftool tags left"),
    ("ex_differ", "exiftool pixels differ"), ("ex_previews", "exiftool preview frames removed"),
    ("ex_broken", "exiftool no longer decodes"),
    ("scan_panic", "scan panics"), ("scan_hang", "scan hangs"),
    ("scan_id_findings", "scan ID findings"),
]


def main():
    if sys.argv[1:] == ["--serve"]:
        serve()
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--idvault", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=120, help="seconds per 50 files")
    ap.add_argument("--details", required=True)
    ap.add_argument("--no-scan", dest="scan", action="store_false")
    ap.add_argument("sources", nargs="+", help="NAME=DIR")
    args = ap.parse_args()
    rows = []
    with open(args.details, "w") as details:
        for s in args.sources:
            name, _, d = s.partition("=")
            print(f"{name}: {d}", file=sys.stderr)
            rows.append(evaluate(name, d, args, details))
            details.flush()
            # Each source's row as soon as it is done, so a run cut short still tells something.
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    cols = [c for c in COLUMNS if c[0] != "scan_panic" or args.scan]
    print("| " + " | ".join(h for _, h in cols) + " |")
    print("|" + "---|" * len(cols))
    total = {"source": "**total**"}
    for row in rows:
        for k, _ in cols[1:]:
            total[k] = total.get(k, 0) + row.get(k, 0)
    for row in rows + [total]:
        print("| " + " | ".join(str(row.get(k, 0)) for k, _ in cols) + " |")


if __name__ == "__main__":
    main()
