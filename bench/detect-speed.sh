#!/usr/bin/env bash
# Content-detection speed on phone-size photos, in one run:
#  (a) `idvault scan --json DIR` (content analysis on) over N 12 MP JPEGs,
#  (b) merely decoding the same files (Pillow with its libjpeg-turbo, one process per core;
#      full size, and DCT-scaled 1/8 "draft" decoding as the floor a downscaling decoder can reach),
#  (c) PassportEye against idvault on the labelled corpus (recall, false positives, s/image).
# Targets: >= 20 photos/s on 2 cores for 12 MP JPEGs, within 1.5x of pure (full) decode.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

usage() {
  cat <<USAGE
usage: bench/detect-speed.sh [-n FILES] [--runs R] [--no-peer]
  -n FILES   12 MP JPEGs in the speed folder (default 40)
  --runs R   timed runs of (a) and (b), median reported (default 3)
  --no-peer  skip (c), the PassportEye comparison (several minutes)
environment: IDVAULT=binary (skip the build), CORPUS=dir, PYTHON=python3, TMPDIR
USAGE
}

files_wanted=40 runs=3 peer=1
while (($#)); do
  case $1 in
    -n) files_wanted=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --no-peer) peer=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $files_wanted =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || die "-n and --runs take positive integers"

need convert "apt-get install imagemagick"
need_py PIL "pip install -r tests/synth/requirements.txt"
if ((peer)); then
  need tesseract "apt-get install tesseract-ocr (PassportEye's OCR), or pass --no-peer"
  need_py passporteye "pip install passporteye==2.2.2, or pass --no-peer"
fi
need_corpus
build_idvault
make_tmp
machine_line

# --- the 12 MP folder: camera photos, plus 1/8 corpus document photos and 1/8 synthetic ones ----
labels=$CORPUS/detect/labels.csv
mapfile -t camera < <(awk -F, '$3 == "camera_photo" && tolower($1) ~ /\.jpe?g$/ { print $1 }' "$labels")
mapfile -t docs < <(awk -F, '$2 == "positive" && tolower($1) ~ /\.jpe?g$/ { print $1 }' "$labels")
((${#camera[@]} && ${#docs[@]})) || die "no camera or document JPEGs listed in $labels"
n_doc=$((files_wanted / 8))
"$PYTHON" tests/synth/generate.py --out "$TMP/synth" --positives "$((n_doc > 0 ? n_doc : 1))" \
  --negatives 0 --seed 7 --kinds cn_id_front,cn_id_back,id_selfie 2>/dev/null
mapfile -t synth < <(find "$TMP/synth" -name '*.jpg' | sort)

sources=()
for ((i = 0; i < files_wanted; i++)); do
  if ((i < n_doc)); then
    sources+=("$CORPUS/detect/${docs[i % ${#docs[@]}]}")
  elif ((i < 2 * n_doc)); then
    sources+=("${synth[i % ${#synth[@]}]}")
  else
    sources+=("$CORPUS/detect/${camera[i % ${#camera[@]}]}")
  fi
done
photos=$TMP/photos
mkdir "$photos"
# Upscaled photos are smoother than real ones; mild sensor-like noise brings the files to the
# ~3 MB of a real 12 MP phone JPEG, so entropy decoding costs what it costs on a phone photo.
echo "upscaling $files_wanted photos to 4032x3024…" >&2
# shellcheck disable=SC2016 # $0 and $1 belong to the inner sh
for ((i = 0; i < files_wanted; i++)); do
  printf '%s\0%s\0' "${sources[i]}" "$photos/IMG_$(printf '%04d' "$i").jpg"
done | xargs -0 -n 2 -P "$(nproc)" sh -c \
  'convert "$0[0]" -resize "4032x3024^" -gravity center -extent 4032x3024 -attenuate 0.3 +noise Gaussian -quality 90 "$1"'
bytes=$(du -sb "$photos" | cut -f1)
warm_cache "$photos"

# --- (a) idvault, (b) pure decode ----------------------------------------------------------------
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

idv_times=()
for ((r = 0; r < runs; r++)); do
  rc=0
  t0=$(now)
  "$IDVAULT" scan --json "$photos" >"$TMP/speed.jsonl" 2>"$TMP/speed.err" || rc=$?
  t1=$(now)
  ((rc <= 1)) || die "idvault exited $rc: $(head -c 500 "$TMP/speed.err")"
  idv_times+=("$(calc "$t1 - $t0")")
done
t_idv=$(printf '%s\n' "${idv_times[@]}" | median)
idv_findings=$(grep -c '"type":"finding"' "$TMP/speed.jsonl" || true)

# Prints "full_seconds draft_seconds decoder": medians over runs, one worker process per core,
# timed inside Python after the pool has started.
read -r t_full t_draft decoder < <("$PYTHON" - "$photos" "$runs" <<'PY'
import os, statistics, sys, time
from multiprocessing import Pool
from PIL import Image, features

def full(path):
    with Image.open(path) as im:
        im.load()
        return im.size

def draft(path):
    with Image.open(path) as im:
        im.draft("RGB", (im.width // 8, im.height // 8))
        im.load()
        return im.size

folder, runs = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
with Pool(os.cpu_count()) as pool:
    pool.map(abs, range(os.cpu_count()))
    out = []
    for fn in (full, draft):
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            pool.map(fn, files, chunksize=1)
            times.append(time.perf_counter() - t0)
        out.append(statistics.median(times))
print(f"{out[0]:.3f} {out[1]:.3f} Pillow-{Image.__version__}/libjpeg-turbo-{features.version('libjpeg_turbo')}")
PY
)

mib=$(calc "$bytes / 1048576" %.0f)
printf 'folder: %d JPEGs 4032x3024 q90 + noise (%d corpus documents, %d synthetic documents, %d camera photos), %s MiB, warm cache\n' \
  "$files_wanted" "$n_doc" "$n_doc" "$((files_wanted - 2 * n_doc))" "$mib"
printf '%-48s %8s s %7s photos/s  (%s findings; median of %d)\n' "(a) idvault scan --json (content on)" \
  "$t_idv" "$(calc "$files_wanted / $t_idv" %.1f)" "$idv_findings" "$runs"
printf '%-48s %8s s %7s photos/s  (%s, %d processes)\n' "(b) full decode" \
  "$t_full" "$(calc "$files_wanted / $t_full" %.1f)" "$decoder" "$(nproc)"
printf '%-48s %8s s %7s photos/s\n' "    1/8 DCT-scaled decode" "$t_draft" "$(calc "$files_wanted / $t_draft" %.1f)"
printf 'idvault time / full decode time: %sx (target <= 1.5x); idvault %s photos/s (target >= 20 on 2 cores)\n' \
  "$(calc "$t_idv / $t_full" %.2f)" "$(calc "$files_wanted / $t_idv" %.1f)"

# --- (c) PassportEye beside idvault on the labelled corpus ----------------------------------------
((peer)) || exit 0
echo
for detector in idvault passporteye; do
  mkdir "$TMP/eval-$detector"
  "$PYTHON" bench/detect_eval.py --detector "$detector" --idvault "$IDVAULT" --labels "$labels" \
    --work "$TMP/eval-$detector" --title corpus --show 20 | tee -a "$TMP/peer.txt"
  echo
done
echo "side by side (neutral names, threshold 0.5; PassportEye: valid_score >= 50):"
grep '^RESULT' "$TMP/peer.txt"
