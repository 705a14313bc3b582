#!/usr/bin/env bash
# Benchmark of `idvault strip --apply` against `exiftool -all= -overwrite_original` and
# `mat2 --inplace`, each on fresh copies of the same files in the same run.
#
# The set: N (default 500) rich-metadata 12 MP JPEGs (a corpus camera photo upscaled to
# 4032x3024 with ImageMagick, then the original's EXIF/GPS/XMP/MakerNotes copied back with
# `exiftool -tagsfromfile`, Orientation set to 6), plus MIX copies (default N/10) of each PNG/WebP/HEIC/MP4 below.
# mat2 re-encodes and is ~100x slower, so it runs on the first MAT2_MAX (default 60) files only.
#
# Prints files/s per tool, ratios, and whether decoded pixels (images, via ImageMagick) and
# media streams (MP4, via ffmpeg's stream-copy MD5) stayed identical for each tool.
#
# Usage: bench/strip.sh [N]     (needs exiftool, mat2, ImageMagick, ffmpeg)
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-500}
MIX=${MIX:-$((N / 10))}
MAT2_MAX=${MAT2_MAX:-60}
CORPUS=../shared/corpus/metadata
CAMERA=$CORPUS/exs-jpg-gps__DSCN0010.jpg
MIXED=(pil__exif.png mex__IMG_2927.HEIC "mex__Nikon Coolpix P7000.webp" mex__with-gps.mp4)
WORK=${BENCH_DIR:-bench/out}

for tool in exiftool mat2 convert ffmpeg; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 2; }
done
cargo build --release --quiet
BIN=$PWD/target/release/idvault

rm -rf "$WORK"
mkdir -p "$WORK/src"
echo "building $N x 12 MP JPEGs from $(basename "$CAMERA") and $MIX copies of ${#MIXED[@]} other files..." >&2
convert "$CAMERA" -resize '4032x3024!' -quality 92 "$WORK/big.jpg"
# Rotated 90°, like most phone photos, so that losing the orientation shows.
exiftool -q -overwrite_original -tagsfromfile "$CAMERA" -all:all -IFD0:Orientation#=6 "$WORK/big.jpg"
for i in $(seq -w 1 "$N"); do cp "$WORK/big.jpg" "$WORK/src/photo_$i.jpg"; done
for f in "${MIXED[@]}"; do
  ext=${f##*.}
  for i in $(seq -w 1 "$MIX"); do cp "$CORPUS/$f" "$WORK/src/mix_${f%%.*}_$i.$ext"; done
done
FILES=$(find "$WORK/src" -type f | wc -l)
BYTES=$(du -sb "$WORK/src" | cut -f1)
echo "set: $FILES files, $((BYTES / 1048576)) MiB" >&2

fresh() { rm -rf "$WORK/$1"; cp -a "$WORK/src" "$WORK/$1"; sync; }
now() { date +%s.%N; }
declare -A SECS COUNT

run() { # name count command...
  local name=$1 count=$2; shift 2
  local t0 t1
  t0=$(now)
  "$@" >/dev/null 2>"$WORK/$name.log" || true
  t1=$(now)
  SECS[$name]=$(echo "$t1 - $t0" | bc -l)
  COUNT[$name]=$count
}

fresh idvault
run idvault "$FILES" "$BIN" strip --apply --yes --quiet "$WORK/idvault"
fresh idvault-nopixel
run idvault-nopixel "$FILES" "$BIN" strip --apply --yes --quiet --no-pixel-check "$WORK/idvault-nopixel"
fresh exiftool
run exiftool "$FILES" exiftool -q -q -all= -overwrite_original -r "$WORK/exiftool"
rm -rf "$WORK/mat2"
mkdir -p "$WORK/mat2"
# mat2 gets the first MAT2_MAX JPEGs plus one of each mixed file.
find "$WORK/src" -name 'photo_*' | sort | head -n "$MAT2_MAX" | xargs -I{} cp {} "$WORK/mat2/"
for f in "${MIXED[@]}"; do
  ext=${f##*.}
  cp "$WORK/src/mix_${f%%.*}_$(printf "%0${#MIX}d" 1).$ext" "$WORK/mat2/"
done
MAT2_FILES=$(find "$WORK/mat2" -type f | wc -l)
sync
run mat2 "$MAT2_FILES" sh -c 'mat2 --inplace "$@"' mat2 "$WORK"/mat2/*

# Timings first.
declare -A RATE
printf '\n%-16s %7s %9s %9s\n' tool files seconds files/s
for t in idvault idvault-nopixel exiftool mat2; do
  RATE[$t]=$(echo "${COUNT[$t]} / ${SECS[$t]}" | bc -l)
  printf '%-16s %7d %9.2f %9.1f\n' "$t" "${COUNT[$t]}" "${SECS[$t]}" "${RATE[$t]}"
done
echo
for i in idvault idvault-nopixel; do
  for t in exiftool mat2; do
    printf '%-16s is %6.2fx %s (files/s ratio)\n' "$i" "$(echo "${RATE[$i]} / ${RATE[$t]}" | bc -l)" "$t"
  done
done
echo "(idvault fsyncs every file and verifies it, by default also decoding and comparing pixels;"
echo " the others do neither)"

# Pixel / stream identity against the originals, on a sample: three JPEGs and one of each
# mixed file.
pad() { printf "%0${#1}d" "$2"; }
SAMPLE=("photo_$(pad "$N" 1).jpg" "photo_$(pad "$N" $(((N + 1) / 2))).jpg" "photo_$N.jpg")
for f in "${MIXED[@]}"; do SAMPLE+=("mix_${f%%.*}_$(pad "$MIX" 1).${f##*.}"); done
pixels() { convert "$1" -auto-orient rgba:- 2>/dev/null | sha256sum | cut -c1-16; }
raw_pixels() { convert "$1" rgba:- 2>/dev/null | sha256sum | cut -c1-16; }
streams() { ffmpeg -v error -i "$1" -map 0:V? -map 0:a? -c copy -f md5 - 2>/dev/null; }
check() { # tool -> "identical" or a count of differing files
  local tool=$1 diff=0 total=0 name f src
  for name in "${SAMPLE[@]}"; do
    f="$WORK/$tool/$name"
    src="$WORK/src/$name"
    [[ -f "$f" ]] || continue
    total=$((total + 1))
    case "$f" in
      *.mp4) [[ "$(streams "$f")" == "$(streams "$src")" ]] || diff=$((diff + 1)) ;;
      *) [[ "$(raw_pixels "$f")" == "$(raw_pixels "$src")" ]] || diff=$((diff + 1)) ;;
    esac
  done
  if ((diff == 0)); then echo "identical ($total checked)"; else echo "$diff of $total differ"; fi
}
orientation_kept() { # tool: does the first JPEG still display like the original?
  local f="$WORK/$1/${SAMPLE[0]}"
  [[ "$(pixels "$f")" == "$(pixels "$WORK/src/${SAMPLE[0]}")" ]] && echo yes || echo no
}

printf '\n%-16s  %-28s %s\n' tool "pixels/streams identical" "displays the same (orientation)"
for t in idvault idvault-nopixel exiftool mat2; do
  printf '%-16s  %-28s %s\n' "$t" "$(check "$t")" "$(orientation_kept "$t")"
done
