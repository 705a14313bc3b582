#!/usr/bin/env bash
# The containers issue 15 left open, all in one run:
#  (a) an evaluation set from the corpus, N document photos and N ordinary pictures (receipts,
#      cards, app screenshots, camera photos) under neutral names, made into
#        jpx   one-page PDFs whose image is JPEG 2000 (Pillow: an RGBA page -> /JPXDecode)
#        fax   one-page PDFs whose image is CCITT Group 4 (Pillow: 1-bit at 3x -> /CCITTFaxDecode)
#        mkv   886x1920 H.264 recordings in Matroska (ffmpeg: 2 s of an app, then the picture)
#        webm  the same in WebM with VP9 (not decoded: counted as notes)
#        gop   886x1920 H.264 MP4 recordings with a single keyframe (-g 600, no scene-cut
#              keyframes): 3 s of an app, the picture from 0:03 to 0:07, 3 s of the app again
#      with recall, precision and seconds per file, and in the same run a peer on the same files:
#      poppler's `pdfimages -png` (decodes every PDF image), ffmpeg decoding the keyframes only
#      (mkv) or every frame (gop, which is what finding such a document takes).
#  (b) a one-minute 1080x2340 H.264 recording, 30 fps, a keyframe every 10 s, showing an app and
#      a passport from 0:42 to 0:48 only (between the keyframes at 0:40 and 0:50): `idvault scan`
#      against ffmpeg decoding every frame and the keyframes only.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

usage() {
  cat <<USAGE
usage: bench/containers.sh [--corpus DIR] [-n N] [--runs R] [--sets "jpx fax mkv webm gop"]
  --corpus DIR  the evaluation corpus (the folder holding detect/), or CORPUS=DIR
  -n N          documents and ordinary pictures each in the evaluation set (default 12)
  --runs R      timed runs in (b), median reported (default 3)
  --sets LIST   the sets of (a) to make and score (default all five; "" for (b) only)
environment: IDVAULT=binary (skip the build), PYTHON=python3, TMPDIR
USAGE
}

n=12 runs=3 sets="jpx fax mkv webm gop"
while (($#)); do
  case $1 in
    --sets) sets=${2?}; shift 2 ;;
    --corpus) CORPUS=${2:?}; shift 2 ;;
    -n) n=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $n =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || die "-n and --runs take positive integers"

need ffmpeg "apt-get install ffmpeg"
need pdfimages "apt-get install poppler-utils"
need_py PIL "pip install -r tests/synth/requirements.txt"
need_corpus
build_idvault
make_tmp
machine_line

scan() { IDVAULT_NO_CACHE=1 "$IDVAULT" scan --json "$@"; }
# wanted SET: whether SET is among --sets.
wanted() { [[ " $sets " == *" $1 "* ]]; }
# each DIR CMD…: runs CMD FILE for every file in DIR (the peer's loop).
each() {
  local dir=$1 f
  shift
  for f in "$dir"/*; do "$@" "$f"; done
}
pdf_peer() { pdfimages -png "$1" "$TMP/peer/img"; }
keyframes_peer() { ffmpeg -nostdin -v error -skip_frame nokey -i "$1" -f null -; }
frames_peer() { ffmpeg -nostdin -v error -i "$1" -f null -; }

# --- (a) evaluation set -----------------------------------------------------------------------
if [[ -n ${sets// /} ]]; then
echo
echo "(a) evaluation set: $n documents and $n ordinary pictures per format, neutral names"
"$PYTHON" - "$CORPUS/detect" "$n" "$TMP/eval" <<'PY'
import csv, os, sys
from PIL import Image
root, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = list(csv.DictReader(open(os.path.join(root, "labels.csv"))))
def spread(xs, k):
    return [xs[i * len(xs) // k] for i in range(min(k, len(xs)))]
pos = spread([r for r in rows if r["label"] == "positive"], n)
hard = [r for r in rows if r["label"] == "negative" and r["kind"] != "camera_photo"]
cam = [r for r in rows if r["kind"] == "camera_photo"]
neg = spread(hard, n - n // 4) + spread(cam, n // 4)
for d in ("src", "jpx", "fax"):
    os.makedirs(os.path.join(out, d), exist_ok=True)
with open(os.path.join(out, "list.csv"), "w") as f:
    for i, r in enumerate(pos + neg):
        img = Image.open(os.path.join(root, r["file"])).convert("RGB")
        img.thumbnail((1600, 1600))
        name = f"file-{i:03d}"
        img.save(os.path.join(out, "src", name + ".jpg"), quality=92)
        img.convert("RGBA").save(os.path.join(out, "jpx", name + ".pdf"), resolution=150)
        # A black-and-white scan: three times the size (about 300 dpi for a card), thresholded.
        big = img.convert("L").resize((img.width * 3, img.height * 3), Image.BICUBIC)
        big.point(lambda v: 255 if v >= 128 else 0).convert("1").save(
            os.path.join(out, "fax", name + ".pdf"), resolution=300)
        f.write(f"{name},{r['label']},{r['file']}\n")
PY
mkdir -p "$TMP/eval/mkv" "$TMP/eval/webm" "$TMP/eval/gop" "$TMP/peer"
app="testsrc2=s=886x1920:r=10"
fit="scale=886:1920:force_original_aspect_ratio=decrease,pad=886:1920:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=10"
while IFS=, read -r name _ _; do
  src=$TMP/eval/src/$name.jpg
  for out in "mkv/$name.mkv:-c:v libx264 -preset veryfast -g 20" \
    "webm/$name.webm:-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 1M -g 20"; do
    wanted "${out%%/*}" || continue
    # shellcheck disable=SC2086 # the codec options are meant to split
    ffmpeg -nostdin -v error -y -f lavfi -i "$app:d=2" -loop 1 -t 4 -i "$src" \
      -filter_complex "[1:v]$fit[d];[0:v][d]concat=n=2:v=1,format=yuv420p[v]" \
      -map "[v]" ${out#*:} "$TMP/eval/${out%%:*}"
  done
  wanted gop || continue
  ffmpeg -nostdin -v error -y -f lavfi -i "$app:d=3" -loop 1 -t 4 -i "$src" -f lavfi -i "$app:d=3" \
    -filter_complex "[1:v]$fit[d];[0:v][d][2:v]concat=n=3:v=1,format=yuv420p[v]" \
    -map "[v]" -c:v libx264 -preset veryfast -g 600 -sc_threshold 0 "$TMP/eval/gop/$name.mp4"
done <"$TMP/eval/list.csv"
warm_cache "$TMP/eval"
printf '  %-5s %-44s %-28s %s\n' format "idvault: found" "idvault s/file (wall, CPU)" "peer s/file (wall, CPU)"
for fmt in $sets; do
  read -r wall cpu < <(timed "$TMP/eval/$fmt.jsonl" scan "$TMP/eval/$fmt")
  case $fmt in
    jpx | fax) peer=pdf_peer label="pdfimages -png" ;;
    mkv | webm) peer=keyframes_peer label="ffmpeg keyframes" ;;
    gop) peer=frames_peer label="ffmpeg all frames" ;;
  esac
  read -r pwall pcpu < <(timed "$TMP/peer.out" each "$TMP/eval/$fmt" "$peer")
  "$PYTHON" - "$TMP/eval/list.csv" "$TMP/eval/$fmt.jsonl" "$fmt" "$wall" "$cpu" "$pwall" "$pcpu" "$label" <<'PY'
import json, os, sys
labels = {l.split(",")[0]: l.strip().split(",")[1:] for l in open(sys.argv[1])}
fmt, wall, cpu, pwall, pcpu, label = sys.argv[3], *map(float, sys.argv[4:8]), sys.argv[8]
flagged, notes = {}, 0
for line in open(sys.argv[2]):
    d = json.loads(line)
    if d["type"] == "finding":
        name = os.path.splitext(os.path.basename(d["data"]["path"]["text"]))[0]
        flagged[name] = (d["data"]["kind"], d["data"]["confidence"])
    if d["type"] == "summary":
        notes = d["data"].get("content_not_analysed", 0)
hits = [k for k, (l, _) in labels.items() if l == "positive" and flagged.get(k, ("", 0))[1] >= 0.5]
fps = [k for k, (l, _) in labels.items() if l == "negative" and flagged.get(k, ("", 0))[1] >= 0.5]
npos, n = sum(1 for l, _ in labels.values() if l == "positive"), len(labels)
found = f"{len(hits)}/{npos} = {len(hits) / npos:.2f}, {len(fps)} FP"
if notes:
    found += f", {notes} not analysed"
print(f"  {fmt:5s} {found:44s} {wall / n:.2f} s, {cpu / n:.2f} s{'':12s} "
      f"{pwall / n:.2f} s, {pcpu / n:.2f} s ({label})")
for k, (l, src) in sorted(labels.items()):
    if l == "positive" and k not in hits:
        print(f"        missed {src} {flagged.get(k, '')}")
    if k in fps:
        print(f"        false positive {src} {flagged[k]}")
PY
done
fi

# --- (b) a one-minute recording with sparse keyframes -----------------------------------------
passport=$CORPUS/detect/positive/pe__100_pass-hrv.jpg
mkdir -p "$TMP/rec"
rec=$TMP/rec/RPReplay_Final1700000000.mp4
ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=s=1080x2340:r=30:d=42" -loop 1 -t 6 -i "$passport" \
  -f lavfi -i "testsrc2=s=1080x2340:r=30:d=12" \
  -filter_complex "[1:v]scale=1080:-2,pad=1080:2340:0:(oh-ih)/2:color=white,setsar=1,fps=30[d];[0:v][d][2:v]concat=n=3:v=1,format=yuv420p[v]" \
  -map "[v]" -c:v libx264 -preset veryfast -g 300 -sc_threshold 0 "$rec"
warm_cache "$TMP/rec"
echo
echo "(b) a one-minute 1080x2340 H.264 recording, 30 fps, keyframe every 10 s, passport 0:42-0:48 ($(du -h "$rec" | cut -f1)), $runs runs each"
repeat "$runs" "$TMP/rec.out" keyframes_peer "$rec"
printf '  %-38s median %.3f s  CPU %.3f s\n' "ffmpeg, keyframes only" "$WALL" "$CPU"
repeat "$runs" "$TMP/rec.out" frames_peer "$rec"
printf '  %-38s median %.3f s  CPU %.3f s\n' "ffmpeg, every frame" "$WALL" "$CPU"
ff_wall=$WALL
repeat "$runs" "$TMP/rec.jsonl" scan "$TMP/rec"
printf '  %-38s median %.3f s  CPU %.3f s  (%sx ffmpeg every frame; target <= 5 s)\n' "idvault scan" \
  "$WALL" "$CPU" "$(calc "$WALL / $ff_wall" %.2f)"
grep '"type":"finding"' "$TMP/rec.jsonl" | sed -E 's/.*"kind":"([a-z_]+)","confidence":([0-9.]+).*/  finding: \1 \2/' || echo "  no finding"
grep -o 'frame at [0-9:]*: [^"]*' "$TMP/rec.jsonl" | head -2 | sed 's/^/  why: /' || true
grep -o '[0-9]* keyframes decoded[^"]*' "$TMP/rec.jsonl" | sed 's/^/  frames: /' || true
