#!/usr/bin/env bash
# Documents inside recordings and PDFs: the sets of bench/detect_media_sets.py (recordings of app,
# chat and form screens and video calls at phone and desktop sizes, H.264 or HEVC in MP4, MOV or
# Matroska, VP8 or VP9 in WebM, with and without a document shown plainly, turned, small, in a
# camera preview or for 1-2 s of a long recording; PDFs of 1-4 pages with a document on some page, page-sized or
# small, DCT, Flate, or a 1-bit A4 scan in CCITT G4 or JBIG2, drawn directly or from a form
# XObject, and PDFs of receipts, forms and ordinary pictures), scored by bench/detect_eval.py under
# neutral names, per group (container-codec/look/placement or encoding/placement), and for the
# recordings per part of the group (on a keyframe or between; codec; look); each PDF's image
# scored on its own as well, and the CPU time of scanning the recordings per minute of recording;
# then the scan time of one-minute 1080x2340 screen recordings: app screens with a keyframe every
# 2 s or 10 s, and with a passport on a keyframe or for 1.4 s between two.
# With --before BINARY, every figure is measured for that binary too, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

usage() {
  cat <<USAGE
usage: bench/detect-media.sh --corpus DIR [-n N] [--seed S] [--runs R] [--before BINARY] [--sets DIR]
  --corpus DIR      the evaluation corpus (the folder holding detect/labels.csv)
  -n N              positives per set, and as many negatives (default 20)
  --seed S          seed of the sets (default 1)
  --runs R          timed runs of each one-minute recording (default 3)
  --before BINARY   another idvault binary (say, main's) measured the same way in the same run
  --sets DIR        reuse sets made earlier (DIR/recordings, DIR/pdfs, DIR/minute)
environment: IDVAULT=binary (skip the build), CORPUS=dir (as --corpus), PYTHON=python3, TMPDIR
USAGE
}

n=20 seed=1 runs=3 before="" sets=""
while (($#)); do
  case $1 in
    --corpus) CORPUS=${2:?}; shift 2 ;;
    -n) n=${2:?}; shift 2 ;;
    --seed) seed=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --before) before=${2:?}; shift 2 ;;
    --sets) sets=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $n =~ ^[0-9]+$ && $runs =~ ^[0-9]+$ ]] || die "-n and --runs take whole numbers"
[[ -z $before || -x $before ]] || die "--before $before is not an executable"

need_corpus
need ffmpeg "install ffmpeg (Debian: ffmpeg)"
need_py PIL "pip install -r tests/synth/requirements.txt"
build_idvault
make_tmp
machine_line
binaries=("$IDVAULT")
[[ -z $before ]] || binaries+=("$before")

if [[ -z $sets ]]; then
  sets=$TMP/sets
  for set in recordings pdfs minute; do
    "$PYTHON" bench/detect_media_sets.py --corpus "$CORPUS" --out "$sets/$set" --set "$set" -n "$n" \
      --seed "$seed" >&2
  done
fi

# Each PDF's document image is scored on its own too (its twin, as the photo path reads it), so
# that the target -- a PDF holding any image the photo path finds is found -- is counted on the
# PDFs whose twin is found.
label_of() { if [[ $1 == "$IDVAULT" ]]; then echo "this build"; else echo "before ($1)"; fi; }
# A set given with --sets may hold only some of the three (say, recordings and minute).
have() { [[ -f $sets/$1/labels.csv ]]; }
# Minutes of recording in the recordings set, by ffprobe, for the CPU per minute.
if have recordings; then
  minutes=$(for f in "$sets"/recordings/*.*; do
    [[ $f == *.csv ]] || ffprobe -v error -show_entries format=duration -of csv=p=0 "$f"
  done | awk '{ s += $1 } END { printf "%.2f", s / 60 }')
fi
for bin in "${binaries[@]}"; do
  for set in recordings pdfs pdfs/twins; do
    have "$set" || continue
    echo
    work=$(mktemp -d "$TMP/eval.XXXXXX")
    # The CPU time of the whole set's scan (idvault's, and the scorer's little), for recordings
    # per minute of recording.
    timed "$TMP/eval.out" "$PYTHON" bench/detect_eval.py --idvault "$bin" --labels "$sets/$set/labels.csv" \
      --work "$work" --title "$set-seed$seed $(label_of "$bin")" --dump "$work/dump.jsonl" >"$TMP/eval.times"
    cat "$TMP/eval.out"
    read -r wall cpu <"$TMP/eval.times"
    if [[ $set == recordings ]]; then
      printf 'recordings, %s: %.1f s CPU for %s minutes of recording = %.2f s per minute (%.0f s wall)\n' \
        "$(label_of "$bin")" "$cpu" "$minutes" "$(calc "$cpu / $minutes")" "$wall"
    fi
    cp "$work/dump.jsonl" "$TMP/dump-$(basename "$set")-${bin//\//_}.jsonl"
    rm -rf "$work"
  done
  have pdfs || continue
  "$PYTHON" - "$TMP/dump-pdfs-${bin//\//_}.jsonl" "$TMP/dump-twins-${bin//\//_}.jsonl" "$(label_of "$bin")" <<'PY'
import json, sys
SENSITIVE = {"passport", "id_card", "residence_permit", "travel_permit", "visa", "driver_licence", "id_selfie",
             "kyc_screenshot"}
def found(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        stem = r["file"].rsplit(".", 1)[0]
        out[stem] = (r["label"], any(f["kind"] in SENSITIVE and f["confidence"] >= 0.5 for f in r["findings"]))
    return out
pdfs, twins = found(sys.argv[1]), found(sys.argv[2])
pos = [s for s, (label, _) in pdfs.items() if label == "positive"]
twin_found = [s for s in pos if twins.get(s, ("", False))[1]]
both = [s for s in twin_found if pdfs[s][1]]
print(f"\nPDF positives whose image the photo path finds ({sys.argv[3]}): {len(twin_found)} of {len(pos)}; "
      f"the PDF is found for {len(both)} of them"
      + (f" (missed: {', '.join(sorted(set(twin_found) - set(both)))})" if len(both) < len(twin_found) else "")
      + f"; PDFs found whose image alone is not: {', '.join(s for s in pos if pdfs[s][1] and s not in twin_found) or 'none'}")
PY
done

# Recordings' recall by each part of their group: container-codec, look, keyframe or between.
for bin in "${binaries[@]}"; do
  have recordings || break
  "$PYTHON" - "$TMP/dump-recordings-${bin//\//_}.jsonl" "$(label_of "$bin")" <<'PY'
import collections, json, sys
sys.path.insert(0, "bench")
from detect_eval import SENSITIVE, top  # the scoring detect_eval.py applies
tally = collections.defaultdict(lambda: [0, 0])
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    parts = (r.get("group") or "?/?/?").split("/")
    hit = top(r["findings"], 0.5, SENSITIVE) is not None
    for i, part in enumerate(parts):
        key = (i, part if r["label"] == "positive" else f"{part} (negatives flagged)")
        tally[key][0] += 1
        tally[key][1] += hit
print(f"\nrecordings by part of the group ({sys.argv[2]}):")
for (i, part), (n, hit) in sorted(tally.items()):
    print(f"  {('codec', 'look', 'placement')[i] if i < 3 else i:<10} {part:<36} {hit}/{n}")
PY
done

# No cache: each run reads the frames again, as a first scan does.
scan_one() { IDVAULT_NO_CACHE=1 "$1" scan --json "$2"; }
echo
echo "one-minute 1080x2340 H.264 recordings, 30 fps, keyframe every 2 s (every 10 s: gop10), $runs runs each"
have minute || exit 0
for name in minute_app minute_passport minute_brief minute_app_gop10; do
  [[ -f $sets/minute/$name.mp4 ]] || continue
  mkdir -p "$TMP/$name"
  cp "$sets/minute/$name.mp4" "$TMP/$name/RPReplay_Final1700000000.mp4"
  warm_cache "$TMP/$name"
  repeat "$runs" "$TMP/ff.out" ffmpeg -nostdin -v error -skip_frame nokey -i "$TMP/$name/RPReplay_Final1700000000.mp4" -f null -
  printf '  %-16s %-34s median %.3f s wall, %.3f s CPU\n' "$name" "ffmpeg, keyframes only" "$WALL" "$CPU"
  for bin in "${binaries[@]}"; do
    repeat "$runs" "$TMP/rec.jsonl" scan_one "$bin" "$TMP/$name"
    printf '  %-16s %-34s median %.3f s wall, %.3f s CPU (target <= 5 s)\n' "$name" "$("$bin" --version)" \
      "$WALL" "$CPU"
    grep -o '"content.frames","detail":"[^"]*"' "$TMP/rec.jsonl" | sed 's/.*"detail":/    /' || true
    grep -o 'frame at [0-9:]*: machine-readable zone[^"]*' "$TMP/rec.jsonl" | head -1 | sed 's/^/    found: /' ||
      echo "    no document found"
  done
done
