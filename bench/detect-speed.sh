#!/usr/bin/env bash
# Content-detection speed on phone-size photos, in one run:
#  (a) `idvault scan --json DIR` (content analysis on, no cache) over N 12 MP JPEGs, and over
#      the camera photos among them alone (a camera roll, where documents are rare),
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
usage: bench/detect-speed.sh --corpus DIR [-n FILES] [--runs R] [--no-peer] [--before BIN] [--memory]
  --corpus DIR  the evaluation corpus (the folder holding detect/labels.csv)
  -n FILES   12 MP JPEGs in the speed folder (default 40)
  --runs R   timed runs of (a) and (b), median reported (default 3)
  --no-peer  skip (c), the PassportEye comparison (several minutes)
  --before BIN  also time BIN (the build before a change) on the same folders (photos/s, time
             against decoding), and on the camera photos interleaved with idvault's runs
             (A B A B …), with both builds' CPU and peak memory
  --memory   also measure the peak resident memory of a content scan of the corpus' detect/
             folder (its labelled images), for idvault and BIN
environment: IDVAULT=binary (skip the build), CORPUS=dir (as --corpus), PYTHON=python3, TMPDIR
USAGE
}

files_wanted=40 runs=3 peer=1 before="" memory=0
while (($#)); do
  case $1 in
    --corpus) CORPUS=${2:?}; shift 2 ;;
    -n) files_wanted=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --no-peer) peer=0; shift ;;
    --memory) memory=1; shift ;;
    --before) before=${2:?}; shift 2 ;;
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
  --negatives 0 --seed 7 --kinds cn_id_front,cn_id_back,id_selfie --templates "$CORPUS/templates" >&2
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
# ~3 MB of a real 12 MP phone JPEG, so entropy decoding costs what it costs on a phone photo; a
# fixed seed makes the noise, and so the folder, the same in every run.
echo "upscaling $files_wanted photos to 4032x3024…" >&2
# shellcheck disable=SC2016 # $0 and $1 belong to the inner sh
for ((i = 0; i < files_wanted; i++)); do
  printf '%s\0%s\0' "${sources[i]}" "$photos/IMG_$(printf '%04d' "$i").jpg"
done | xargs -0 -n 2 -P "$(nproc)" sh -c \
  'convert "$0[0]" -seed 7 -resize "4032x3024^" -gravity center -extent 4032x3024 -attenuate 0.3 +noise Gaussian -quality 90 "$1"'
bytes=$(du -sb "$photos" | cut -f1)
# The camera photos alone, as in a camera roll where documents are rare (hard links, same files).
camera_dir=$TMP/camera
mkdir "$camera_dir"
for ((i = 2 * n_doc; i < files_wanted; i++)); do
  ln "$photos/IMG_$(printf '%04d' "$i").jpg" "$camera_dir/"
done
n_camera=$((files_wanted - 2 * n_doc))
warm_cache "$photos"

# --- (a) idvault, (b) pure decode ----------------------------------------------------------------
# The content cache is kept out of it: every run analyses every photo.
export IDVAULT_NO_CACHE=1
# With --before, the two builds' runs alternate (A B A B …), so a change in the machine's load
# falls on both.
bins=("$IDVAULT" ${before:+"$before"})
for ((r = 0; r < runs; r++)); do
  for b in "${!bins[@]}"; do
    timed "$TMP/speed-$b.jsonl" "${bins[b]}" scan --json "$photos" >>"$TMP/times-speed-$b"
    timed "$TMP/camera-$b.jsonl" "${bins[b]}" scan --json "$camera_dir" >>"$TMP/times-camera-$b"
  done
done
med() { cut -d' ' -f"$2" "$1" | median; }
t_idv=$(med "$TMP/times-speed-0" 1) c_idv=$(med "$TMP/times-speed-0" 2)
idv_findings=$(field "$TMP/speed-0.jsonl" findings) idv_ocr=$(field "$TMP/speed-0.jsonl" content_ocr)
t_cam=$(med "$TMP/times-camera-0" 1) c_cam=$(med "$TMP/times-camera-0" 2)
cam_findings=$(field "$TMP/camera-0.jsonl" findings) cam_ocr=$(field "$TMP/camera-0.jsonl" content_ocr)
if [[ -n $before ]]; then
  t_idv_b=$(med "$TMP/times-speed-1" 1) c_idv_b=$(med "$TMP/times-speed-1" 2)
  idv_findings_b=$(field "$TMP/speed-1.jsonl" findings) idv_ocr_b=$(field "$TMP/speed-1.jsonl" content_ocr)
  t_cam_b=$(med "$TMP/times-camera-1" 1) c_cam_b=$(med "$TMP/times-camera-1" 2)
  cam_findings_b=$(field "$TMP/camera-1.jsonl" findings) cam_ocr_b=$(field "$TMP/camera-1.jsonl" content_ocr)
fi

# Prints "full_wall full_cpu draft_wall draft_cpu decoder": medians over runs, one worker process
# per core, timed inside Python after the pool has started; CPU is the workers' process time.
read -r t_full c_full t_draft c_draft decoder < <("$PYTHON" - "$photos" "$runs" <<'PY'
import os, statistics, sys, time
from multiprocessing import Pool
from PIL import Image, features

def full(path):
    t0 = time.process_time()
    with Image.open(path) as im:
        im.load()
    return time.process_time() - t0

def draft(path):
    t0 = time.process_time()
    with Image.open(path) as im:
        im.draft("RGB", (im.width // 8, im.height // 8))
        im.load()
    return time.process_time() - t0

folder, runs = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
with Pool(os.cpu_count()) as pool:
    pool.map(abs, range(os.cpu_count()))
    out = []
    for fn in (full, draft):
        walls, cpus = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            cpus.append(sum(pool.map(fn, files, chunksize=1)))
            walls.append(time.perf_counter() - t0)
        out += [statistics.median(walls), statistics.median(cpus)]
decoder = f"Pillow-{Image.__version__}/libjpeg-turbo-{features.version('libjpeg_turbo')}"
print(" ".join(f"{x:.3f}" for x in out), decoder)
PY
)

mib=$(calc "$bytes / 1048576" %.0f)
printf 'folder: %d JPEGs 4032x3024 q90 + noise (%d corpus documents, %d synthetic documents, %d camera photos), %s MiB, warm cache\n' \
  "$files_wanted" "$n_doc" "$n_doc" "$((files_wanted - 2 * n_doc))" "$mib"
row() { # row LABEL PHOTOS WALL CPU NOTE
  printf '%-44s %7.3f s wall %6.1f photos/s %7.3f s CPU  %s\n' "$1" "$3" "$(calc "$2 / $3")" "$4" "$5"
}
row "(a) idvault scan --json, whole folder" "$files_wanted" "$t_idv" "$c_idv" \
  "($idv_findings findings, $idv_ocr photos read by OCR; median of $runs)"
row "    idvault scan --json, camera photos only" "$n_camera" "$t_cam" "$c_cam" \
  "($cam_findings findings, $cam_ocr photos read by OCR; median of $runs)"
if [[ -n $before ]]; then
  row "    before: whole folder" "$files_wanted" "$t_idv_b" "$c_idv_b" \
    "($idv_findings_b findings, $idv_ocr_b photos read by OCR; median of $runs)"
  row "    before: camera photos only" "$n_camera" "$t_cam_b" "$c_cam_b" \
    "($cam_findings_b findings, $cam_ocr_b photos read by OCR; median of $runs)"
fi
row "(b) full decode, whole folder" "$files_wanted" "$t_full" "$c_full" "($decoder, $(nproc) processes)"
row "    1/8 DCT-scaled decode, whole folder" "$files_wanted" "$t_draft" "$c_draft" ""
if [[ -n $before ]]; then
  # Paired runs on the camera photos: CPU (user + system) and peak resident memory of each.
  for ((r = 0; r < runs; r++)); do
    for which in before after; do
      bin=$IDVAULT
      [[ $which == before ]] && bin=$before
      /usr/bin/time -f "$which %U %S %M" -a -o "$TMP/paired" "$bin" scan --json "$camera_dir" >/dev/null
    done
  done
  for which in before after; do
    cpu=$(awk -v w="$which" '$1 == w { print $2 + $3 }' "$TMP/paired" | median)
    mem=$(awk -v w="$which" '$1 == w { print $4 / 1024 }' "$TMP/paired" | median)
    printf '    camera photos, %-6s build: %7.3f s CPU, peak %.1f MiB (median of %d, interleaved)\n' \
      "$which" "$cpu" "$mem" "$runs"
    eval "cpu_$which=$cpu"
  done
  # shellcheck disable=SC2154 # cpu_before and cpu_after are set by the eval above
  printf '    after / before, CPU on the camera photos: %sx\n' "$(calc "$cpu_after / $cpu_before" %.2f)"
fi
# Time per photo against full decoding's time per photo (target <= 1.5x).
per_photo() { calc "($1 / $2) / ($t_full / $files_wanted)" %.2f; }
printf 'idvault / full decode, time per photo: whole folder %sx, camera photos only %sx (target <= 1.5x)\n' \
  "$(per_photo "$t_idv" "$files_wanted")" "$(per_photo "$t_cam" "$n_camera")"
printf 'idvault photos/s (target >= 20 on 2 cores): whole folder %s, camera photos only %s\n' \
  "$(calc "$files_wanted / $t_idv" %.1f)" "$(calc "$n_camera / $t_cam" %.1f)"
if [[ -n $before ]]; then
  printf 'before / full decode, time per photo: whole folder %sx, camera photos only %sx\n' \
    "$(per_photo "$t_idv_b" "$files_wanted")" "$(per_photo "$t_cam_b" "$n_camera")"
  printf 'before photos/s: whole folder %s, camera photos only %s\n' \
    "$(calc "$files_wanted / $t_idv_b" %.1f)" "$(calc "$n_camera / $t_cam_b" %.1f)"
fi

# --- peak memory of a content scan of the labelled corpus images (one run each, no cache) -------
if ((memory)); then
  for bin in "$IDVAULT" ${before:+"$before"}; do
    /usr/bin/time -f "%M %U %S %e" -o "$TMP/mem" "$bin" scan --json --min-confidence 0.5 "$CORPUS/detect" \
      >"$TMP/mem.jsonl" || true
    read -r kib user sys wall <"$TMP/mem"
    printf 'content scan of %s: peak %.0f MiB resident, %.1f s CPU, %.1f s wall, %s findings (%s)\n' \
      "$CORPUS/detect" "$(calc "$kib / 1024" %.1f)" "$(calc "$user + $sys" %.2f)" "$wall" \
      "$(field "$TMP/mem.jsonl" findings)" "$bin"
  done
fi

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
