#!/usr/bin/env bash
# AVIF photos, in one run: a 12 MP AVIF made from the corpus' 12 MP iPhone HEIC (libheif decodes
# it, ffmpeg's libaom encoder writes it at a phone-like quality), then `idvault scan` of it
# (rav1d decode of the luma, the visual stage; an ordinary photo never reaches OCR) against the
# two AV1 still-image decoders people have: libavif's `avifdec` (to Y4M, no colour conversion:
# the cheapest output it has) and libheif's `heif-convert` (to JPEG, as bench/formats.sh times it
# for HEIC). The same photo as HEIC is scanned too, for the cost of AV1 against HEVC.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

usage() {
  cat <<USAGE
usage: bench/avif.sh [--runs R] [--crf Q]
  --runs R     timed runs per command, median reported (default 5)
  --crf Q      libaom quality of the AVIF (default 14: 1.3 MB at 12 MP, 0.9 bits a pixel; the
               iPhone's own HEIC of the photo is 2.2 MB)
environment: IDVAULT=binary (skip the build), CORPUS=dir, PYTHON=python3, TMPDIR
USAGE
}

runs=5 crf=14
while (($#)); do
  case $1 in
    --runs) runs=${2:?}; shift 2 ;;
    --crf) crf=${2:?}; shift 2 ;;
    --corpus) CORPUS=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ && $crf =~ ^[0-9]+$ ]] || die "--runs and --crf take integers"

need hyperfine "apt-get install hyperfine"
need heif-convert "apt-get install libheif-examples"
need avifdec "apt-get install libavif-bin"
need ffmpeg "apt-get install ffmpeg"
need_corpus
build_idvault
make_tmp
machine_line

heic=$CORPUS/metadata/exs-heic-mobile__iphone_13_pro_max.HEIC
[[ -f $heic ]] || die "missing $heic"
mkdir -p "$TMP/avif" "$TMP/heic"
cp "$heic" "$TMP/heic/IMG_0001.HEIC"
heif-convert "$heic" "$TMP/photo.png" >/dev/null
ffmpeg -nostdin -v error -y -i "$TMP/photo.png" -c:v libaom-av1 -still-picture 1 -crf "$crf" \
  -cpu-used 6 -row-mt 1 -pix_fmt yuv420p "$TMP/avif/IMG_0001.avif"
avif=$TMP/avif/IMG_0001.avif
size=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0:s=x "$avif")
echo
echo "one $size AVIF from $(basename "$heic") (libaom crf $crf, $(du -h "$avif" | cut -f1)), $runs runs each"
warm_cache "$TMP/avif" "$TMP/heic"
hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$TMP/avif.json" \
  -n avifdec "avifdec '$avif' '$TMP/out.y4m'" \
  -n heif-convert "heif-convert -q 90 '$avif' '$TMP/out.jpg'" \
  -n idvault "IDVAULT_NO_CACHE=1 '$IDVAULT' scan --json '$TMP/avif'" \
  -n idvault-heic "IDVAULT_NO_CACHE=1 '$IDVAULT' scan --json '$TMP/heic'" >/dev/null
"$PYTHON" - "$TMP/avif.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
cpu = lambda x: x["user"] + x["system"]
for name, label in (("avifdec", "avifdec (decode to Y4M)"),
                    ("heif-convert", "heif-convert (decode + JPEG encode)"),
                    ("idvault", "idvault scan of the AVIF"),
                    ("idvault-heic", "idvault scan of the same photo as HEIC")):
    x = r[name]
    print(f"  {label:40s} median {x['median']:.3f} s  user+sys {cpu(x):.3f} s")
i = r["idvault"]
for peer in ("avifdec", "heif-convert"):
    p = r[peer]
    print(f"  idvault / {peer}: {i['median'] / p['median']:.2f}x wall, {cpu(i) / cpu(p):.2f}x CPU")
PY
IDVAULT_NO_CACHE=1 "$IDVAULT" scan --json "$TMP/avif" | grep -q '"content_not_analysed":0' ||
  echo "  note: the AVIF was not analysed" >&2
