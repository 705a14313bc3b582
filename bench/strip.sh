#!/usr/bin/env bash
# Benchmark of `idvault strip --apply` against `exiftool -all= -overwrite_original` and
# `mat2 --inplace`, in the same run, on fresh copies of the same files for every timing.
#
# Two sets, built from real phone files in the corpus (CORPUS/metadata):
#   phone  -n (default 200) copies of a 2.6 MB iPhone 6 JPEG with GPS;
#   mixed  --mix (default 40) copies each of a 2.4 MB iPhone 5 JPEG with GPS shot upside down
#          (Orientation 3), a PNG with EXIF, a Nikon WebP with EXIF, an iPhone 13 HEIC (rotated by
#          `irot`) and an MP4 with GPS.
# Tools: idvault (default verification), idvault --verify-pixels (also decodes and compares
# pixels; --no-pixels leaves it out), exiftool as users run it, exiftool followed by `sync -f` (what
# it costs exiftool to make its output as durable as idvault's), and mat2 on --mat2-max (default
# 20) files of each set (it re-encodes and is far slower). idvault fsyncs every replaced file and
# its folder; the others do not.
#
# Timing: hyperfine, --runs (default 3) runs per tool, a fresh copy and `sync` before each run
# (not timed); files/s is computed from the median. Then, on the outputs:
#   leftovers  files in which exiftool still finds identifying tags (GPS, make, model, serial,
#              software, capture and creation dates other than zero, lens, owner, XMP, IPTC,
#              MakerNotes);
#   pixels     decoded images (ImageMagick, HEIC through libheif) and media streams (ffmpeg
#              stream-copy MD5) identical to the originals, on a sample of each kind;
#   displays   the upside-down JPEG and the rotated HEIC still display upright (decoded with
#              -auto-orient; libheif applies `irot` itself).
#
# Needs: hyperfine, exiftool, ImageMagick with HEIC and WebP, ffmpeg, python3; mat2 optional.
# On Debian: apt-get install hyperfine libimage-exiftool-perl imagemagick ffmpeg mat2
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

usage() {
  cat <<USAGE
usage: bench/strip.sh --corpus DIR [-n FILES] [--mix N] [--runs R] [--mat2-max N] [--no-pixels]
  --corpus DIR    the evaluation corpus (the folder holding metadata/)
  -n FILES        copies of the phone JPEG in the phone set (default 200)
  --mix N         copies of each of the five files in the mixed set (default 40)
  --runs R        hyperfine runs per tool, median reported (default 3)
  --mat2-max N    files of each set given to mat2, which is far slower (default 20)
  --no-pixels     leave out idvault --verify-pixels
environment: IDVAULT=binary (skip the build), CORPUS=dir (as --corpus), PYTHON, TMPDIR
USAGE
}

N=200 MIX=40 RUNS=3 MAT2_MAX=20 PIXELS=1
while (($#)); do
  case $1 in
    --corpus) CORPUS=${2:?}; shift 2 ;;
    -n) N=${2:?}; shift 2 ;;
    --mix) MIX=${2:?}; shift 2 ;;
    --runs) RUNS=${2:?}; shift 2 ;;
    --mat2-max) MAT2_MAX=${2:?}; shift 2 ;;
    --no-pixels) PIXELS=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
for v in "$N" "$MIX" "$RUNS" "$MAT2_MAX"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || die "-n, --mix, --runs and --mat2-max take positive integers"
done
[[ -n $CORPUS ]] || die "pass --corpus DIR, the evaluation corpus (the folder holding metadata/)"
SRC=$CORPUS/metadata
PHONE="mex__Apple iPhone 6.jpg"
MIXED=("mex__Apple iPhone 5.jpg" pil__exif.png "mex__Nikon Coolpix P7000.webp" exs-heic-mobile__iphone_13_pro_max.HEIC mex__with-gps.mp4)

need hyperfine "install hyperfine (apt-get install hyperfine)"
need exiftool "install exiftool (apt-get install libimage-exiftool-perl)"
need convert "install ImageMagick (apt-get install imagemagick)"
need ffmpeg "install ffmpeg"
need "$PYTHON" "set PYTHON to a Python 3 interpreter"
[[ -f $SRC/$PHONE ]] || die "no corpus at $CORPUS (the folder holding metadata/)"
HAVE_MAT2=$(command -v mat2 >/dev/null && echo 1 || echo 0)
build_idvault
make_tmp

# Sets: $TMP/set/<name>/ holds the originals, never touched.
mkdir -p "$TMP/set/phone" "$TMP/set/mixed"
for i in $(seq -w 1 "$N"); do cp "$SRC/$PHONE" "$TMP/set/phone/photo_$i.jpg"; done
for f in "${MIXED[@]}"; do
  ext=${f##*.}
  stem=$(echo "${f%.*}" | tr -c 'A-Za-z0-9_\n' '_')
  for i in $(seq -w 1 "$MIX"); do cp "$SRC/$f" "$TMP/set/mixed/${stem}_$i.$ext"; done
done
# kind FILE: the name without its copy number, e.g. photo for photo_007.jpg.
kind() { local b=${1##*/}; echo "${b%_*}"; }
for s in phone mixed; do # mat2's subsets: MAT2_MAX files, as many of each kind
  mkdir -p "$TMP/set/$s-mat2"
  kinds=$(for f in "$TMP/set/$s"/*; do kind "$f"; done | sort -u)
  per=$(((MAT2_MAX + $(wc -l <<<"$kinds") - 1) / $(wc -l <<<"$kinds")))
  while read -r k; do
    find "$TMP/set/$s" -name "${k}_*" | sort | awk -v n="$per" 'NR <= n' | xargs -I{} cp {} "$TMP/set/$s-mat2/"
  done <<<"$kinds"
done

TOOLS=(idvault)
((PIXELS)) && TOOLS+=(idvault-pixels)
TOOLS+=(exiftool exiftool+sync)
((HAVE_MAT2)) && TOOLS+=(mat2)
command_for() { # tool dir
  case $1 in
    idvault) echo "'$IDVAULT' strip --apply --yes --quiet '$2'" ;;
    idvault-pixels) echo "'$IDVAULT' strip --apply --yes --quiet --verify-pixels '$2'" ;;
    exiftool) echo "exiftool -q -q -all= -overwrite_original -r '$2'" ;;
    exiftool+sync) echo "exiftool -q -q -all= -overwrite_original -r '$2' && sync -f '$2'" ;;
    mat2) echo "mat2 --inplace '$2'/*" ;;
  esac
}
set_for() { [[ $1 == mat2 ]] && echo "$2-mat2" || echo "$2"; }

echo "$IDVAULT_VERSION; exiftool $(exiftool -ver); $( ((HAVE_MAT2)) && mat2 --version || echo 'mat2 not installed')" >&2
for s in phone mixed; do
  args=()
  for t in "${TOOLS[@]}"; do
    src=$TMP/set/$(set_for "$t" "$s")
    out=$TMP/out/$s/$t
    args+=(--command-name "$t" --prepare "rm -rf '$out' && mkdir -p '$(dirname "$out")' && cp -a '$src' '$out' && sync"
      "$(command_for "$t" "$out")")
  done
  echo "timing the $s set ($(find "$TMP/set/$s" -type f | wc -l) files, $(du -sh "$TMP/set/$s" | cut -f1))..." >&2
  # Failures (e.g. a format a tool cannot write) are shown in the leftovers, not fatal here.
  hyperfine --style basic --runs "$RUNS" --ignore-failure --export-json "$TMP/$s.json" "${args[@]}" >&2
done

# Leftovers: files in which exiftool still reads an identifying tag.
leftovers() {
  exiftool -q -q -j -r -G1 -a -GPS:all -GPSPosition -GPSCoordinates -Make -Model -SerialNumber \
    -InternalSerialNumber -LensSerialNumber -Software -DateTimeOriginal -CreateDate \
    -TrackCreateDate -MediaCreateDate -LensModel -OwnerName -Artist -XMP:all -IPTC:all \
    -MakerNotes:all "$1" 2>/dev/null | "$PYTHON" -c '
import json, sys
d = sys.stdin.read()
rows = json.loads(d) if d.strip() else []
zero = lambda v: isinstance(v, str) and v.startswith("0000:00:00")
print(sum(1 for r in rows if any(k != "SourceFile" and not zero(v) for k, v in r.items())))'
}
hash_of() { # file [-auto-orient]: decoded pixels, or media streams for MP4
  case $1 in
    *.mp4) ffmpeg -v error -i "$1" -map 0:V? -map 0:a? -c copy -f md5 - 2>/dev/null ;;
    *) convert "$1" ${2:-} rgba:- 2>/dev/null | sha256sum | cut -c1-16 ;;
  esac
}
# pixels SET TOOL: "identical (k checked)" or "d of k differ", on the first and last file of
# each kind present in the tool's output.
pixels() {
  local set=$1 tool=$2 dir=$TMP/out/$1/$2 diff=0 total=0 f
  while read -r f; do
    total=$((total + 1))
    [[ "$(hash_of "$dir/$f")" == "$(hash_of "$TMP/set/$set/$f")" ]] || diff=$((diff + 1))
  done < <(cd "$dir" && ls | sort | awk '{k=$0; sub(/_[0-9]+\.[^.]*$/, "", k)} k != p {if (l) print l; print; p = k; l = ""; next} {l = $0} END {if (l) print l}')
  ((diff == 0)) && echo "identical ($total)" || echo "$diff of $total differ"
}
# displays SET TOOL: do the upside-down JPEG and the rotated HEIC display as the originals do?
displays() {
  local dir=$TMP/out/$1/$2 f bad=0 total=0
  for f in "$dir"/*iPhone_5_*1.jpg "$dir"/*iphone_13*_*1.HEIC; do
    [[ -f $f ]] || continue
    total=$((total + 1))
    [[ "$(hash_of "$f" -auto-orient)" == "$(hash_of "$TMP/set/$1/${f##*/}" -auto-orient)" ]] || bad=$((bad + 1))
  done
  ((total == 0)) && echo "-" || { ((bad == 0)) && echo "yes ($total)" || echo "no ($bad of $total)"; }
}

median_secs() { # json tool
  "$PYTHON" -c 'import json,sys; r=[x for x in json.load(open(sys.argv[1]))["results"] if x["command"]==sys.argv[2]]; print(r[0]["median"] if r else 0)' "$1" "$2"
}

echo
printf '%-7s %-15s %6s %9s %9s %8s %10s %-16s %s\n' set tool files median_s files/s "vs exif" leftovers pixels "displays"
for s in phone mixed; do
  rate_of() { # tool: files/s from the median run
    calc "$(find "$TMP/set/$(set_for "$1" "$s")" -type f | wc -l) / $(median_secs "$TMP/$s.json" "$1")"
  }
  ex_rate=$(rate_of exiftool)
  for t in "${TOOLS[@]}"; do
    files=$(find "$TMP/set/$(set_for "$t" "$s")" -type f | wc -l)
    rate=$(rate_of "$t")
    printf '%-7s %-15s %6d %9.2f %9.1f %7.2fx %10s %-16s %s\n' "$s" "$t" "$files" \
      "$(median_secs "$TMP/$s.json" "$t")" "$rate" "$(calc "$rate / $ex_rate")" \
      "$(leftovers "$TMP/out/$s/$t")" "$(pixels "$s" "$t")" "$(displays "$s" "$t")"
  done
  printf '%-7s %-15s %6s %9s %9s %8s %10s %-16s %s\n' "$s" originals - - - - \
    "$(leftovers "$TMP/set/$s")" - -
done
echo
echo "files/s from the median of $RUNS runs; 'vs exif' is the files/s ratio to exiftool in this run."
echo "idvault fsyncs each replaced file and its folder and verifies every output; exiftool and mat2 do neither."
