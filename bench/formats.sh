#!/usr/bin/env bash
# The formats phones and scanner apps keep documents in, all in one run:
#  (a) HEIC: `idvault scan` of one 12 MP iPhone HEIC (decode, then the visual stage; an ordinary
#      photo never reaches OCR) against libheif's own decoder, `heif-convert` to JPEG, on the same
#      file (hyperfine). Target: idvault at most 2x heif-convert.
#  (b) a one-minute 1080x2340 H.264 screen recording (30 fps, a keyframe every 2 s) showing an
#      app for 50 s and a passport for the last 10 s: `idvault scan` against ffmpeg decoding only
#      the keyframes (`-skip_frame nokey`, the floor for any keyframe sampler). Target: <= 5 s.
#  (c) recall, precision and seconds per file for each new format on an evaluation set made from
#      the corpus: N document photos and N ordinary ones (receipts, camera photos, cards, app
#      screenshots), each as a one-page PDF (Pillow: the JPEG placed on the page), a HEIC
#      (heif-enc) and an 886x1920 screen recording (ffmpeg: 2 s of an app, then the picture),
#      under neutral names. A positive counts when it is reported at >= 0.5; any negative
#      reported at >= 0.5 is a false positive.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

usage() {
  cat <<USAGE
usage: bench/formats.sh [-n N] [--runs R] [--skip-eval]
  -n N         documents and ordinary pictures each in the evaluation set (default 20)
  --runs R     timed runs in (a) and (b), median reported (default 3)
  --skip-eval  only (a) and (b)
  --eval-only  only (c)
environment: IDVAULT=binary (skip the build), CORPUS=dir, PYTHON=python3, TMPDIR
USAGE
}

n=20 runs=3 eval=1 speed=1
while (($#)); do
  case $1 in
    -n) n=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --skip-eval) eval=0; shift ;;
    --eval-only) speed=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $n =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || die "-n and --runs take positive integers"

need hyperfine "apt-get install hyperfine"
need heif-convert "apt-get install libheif-examples"
need heif-enc "apt-get install libheif-examples"
need ffmpeg "apt-get install ffmpeg"
need_py PIL "pip install -r tests/synth/requirements.txt"
need_corpus
build_idvault
make_tmp
machine_line

scan() { IDVAULT_NO_CACHE=1 "$IDVAULT" scan --json "$@"; }

# --- (a) HEIC ---------------------------------------------------------------------------------
if ((speed)); then
heic=$CORPUS/metadata/exs-heic-mobile__iphone_13_pro_max.HEIC
[[ -f $heic ]] || die "missing $heic"
mkdir -p "$TMP/heic"
cp "$heic" "$TMP/heic/IMG_0001.HEIC"
echo
echo "(a) one 12 MP iPhone HEIC ($(basename "$heic")), $runs runs each"
hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$TMP/heic.json" \
  -n heif-convert "heif-convert -q 90 '$TMP/heic/IMG_0001.HEIC' '$TMP/heic-out.jpg'" \
  -n idvault "IDVAULT_NO_CACHE=1 '$IDVAULT' scan --json '$TMP/heic'" >/dev/null
"$PYTHON" - "$TMP/heic.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
h, i = r["heif-convert"], r["idvault"]
for name, x in (("heif-convert (decode + JPEG encode)", h), ("idvault scan (decode, look, OCR if text)", i)):
    print(f"  {name:38s} median {x['median']:.3f} s  user+sys {x['user'] + x['system']:.3f} s")
print(f"  idvault / heif-convert: {i['median'] / h['median']:.2f}x wall, "
      f"{(i['user'] + i['system']) / (h['user'] + h['system']):.2f}x CPU (target <= 2x)")
PY
scan "$TMP/heic" | grep -q '"content_not_analysed":0' || echo "  note: the HEIC was not analysed" >&2

# --- (b) a one-minute recording ---------------------------------------------------------------
passport=$CORPUS/detect/positive/pe__100_pass-hrv.jpg
mkdir -p "$TMP/rec"
rec=$TMP/rec/RPReplay_Final1700000000.mp4
ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=s=1080x2340:r=30:d=50" -loop 1 -t 10 -i "$passport" \
  -filter_complex "[1:v]scale=1080:-2,pad=1080:2340:0:(oh-ih)/2:color=white,setsar=1,fps=30[d];[0:v][d]concat=n=2:v=1,format=yuv420p[v]" \
  -map "[v]" -c:v libx264 -preset veryfast -g 60 "$rec"
echo
echo "(b) a one-minute 1080x2340 H.264 recording, 30 fps, keyframe every 2 s ($(du -h "$rec" | cut -f1)), $runs runs each"
repeat "$runs" "$TMP/rec.out" ffmpeg -nostdin -v error -skip_frame nokey -i "$rec" -f null -
printf '  %-38s median %.3f s  CPU %.3f s\n' "ffmpeg, keyframes only" "$WALL" "$CPU"
ff_wall=$WALL
repeat "$runs" "$TMP/rec.jsonl" scan "$TMP/rec"
printf '  %-38s median %.3f s  CPU %.3f s  (%sx ffmpeg; target <= 5 s)\n' "idvault scan" "$WALL" "$CPU" \
  "$(calc "$WALL / $ff_wall" %.1f)"
grep '"type":"finding"' "$TMP/rec.jsonl" | sed -E 's/.*"kind":"([a-z_]+)","confidence":([0-9.]+).*/  finding: \1 \2/' || echo "  no finding"
grep -o 'frame at [0-9:]*: [^"]*' "$TMP/rec.jsonl" | head -2 | sed 's/^/  why: /' || true
fi

((eval)) || exit 0

# --- (c) evaluation set -----------------------------------------------------------------------
echo
echo "(c) evaluation set: $n documents and $n ordinary pictures per format, neutral names"
"$PYTHON" - "$CORPUS/detect" "$n" "$TMP/eval" <<'PY'
import csv, os, sys
from PIL import Image
root, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = list(csv.DictReader(open(os.path.join(root, "labels.csv"))))
pos = [r for r in rows if r["label"] == "positive"]
# Hard negatives first (receipts, cards, app screenshots, scene text), then camera photos.
hard = [r for r in rows if r["label"] == "negative" and r["kind"] != "camera_photo"]
cam = [r for r in rows if r["kind"] == "camera_photo"]
def spread(xs, k):
    return [xs[i * len(xs) // k] for i in range(min(k, len(xs)))]
neg = spread(hard, n - n // 4) + spread(cam, n // 4)
os.makedirs(os.path.join(out, "src"), exist_ok=True)
with open(os.path.join(out, "list.csv"), "w") as f:
    for i, r in enumerate(spread(pos, n) + neg):
        img = Image.open(os.path.join(root, r["file"])).convert("RGB")
        img.thumbnail((2400, 2400))
        name = f"file-{i:03d}"
        img.save(os.path.join(out, "src", name + ".jpg"), quality=92)
        img.save(os.path.join(out, "src", name + ".pdf"), resolution=150, quality=92)
        f.write(f"{name},{r['label']},{r['file']}\n")
PY
mkdir -p "$TMP/eval/pdf" "$TMP/eval/heic" "$TMP/eval/rec"
while IFS=, read -r name _ _; do
  mv "$TMP/eval/src/$name.pdf" "$TMP/eval/pdf/"
  heif-enc -q 75 "$TMP/eval/src/$name.jpg" -o "$TMP/eval/heic/$name.heic" >/dev/null </dev/null
  ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=s=886x1920:r=10:d=2" -loop 1 -t 4 -i "$TMP/eval/src/$name.jpg" \
    -filter_complex "[1:v]scale=886:1920:force_original_aspect_ratio=decrease,pad=886:1920:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=10[d];[0:v][d]concat=n=2:v=1,format=yuv420p[v]" \
    -map "[v]" -c:v libx264 -preset veryfast -g 20 "$TMP/eval/rec/$name.mp4"
done <"$TMP/eval/list.csv"
for fmt in pdf heic rec; do
  timed "$TMP/eval/$fmt.jsonl" scan "$TMP/eval/$fmt" >"$TMP/eval/$fmt.time"
  "$PYTHON" - "$TMP/eval/list.csv" "$TMP/eval/$fmt.jsonl" "$fmt" "$(cut -d' ' -f1 "$TMP/eval/$fmt.time")" <<'PY'
import json, os, sys
labels = {l.split(",")[0]: l.strip().split(",")[1:] for l in open(sys.argv[1])}
flagged = {}
for line in open(sys.argv[2]):
    d = json.loads(line)
    if d["type"] == "finding":
        name = os.path.splitext(os.path.basename(d["data"]["path"]["text"]))[0]
        flagged[name] = (d["data"]["kind"], d["data"]["confidence"])
hits = [k for k, (l, _) in labels.items() if l == "positive" and flagged.get(k, ("", 0))[1] >= 0.5]
fps = [k for k, (l, _) in labels.items() if l == "negative" and flagged.get(k, ("", 0))[1] >= 0.5]
npos = sum(1 for l, _ in labels.values() if l == "positive")
prec = len(hits) / max(1, len(hits) + len(fps))
secs = float(sys.argv[4]) / len(labels)
print(f"  {sys.argv[3]:5s} recall {len(hits)}/{npos} = {len(hits) / npos:.2f}  precision {prec:.2f} "
      f"({len(fps)} false positives)  {secs:.2f} s/file (wall, 2 cores)")
for k, (l, src) in sorted(labels.items()):
    if l == "positive" and k not in hits:
        print(f"        missed {src} {flagged.get(k, '')}")
    if k in fps:
        print(f"        false positive {src} {flagged[k]}")
PY
done
