#!/usr/bin/env bash
# Strip and scan over other projects' test folders, idvault and `exiftool -all=` side by side on
# the same files (issue 25). Fetches nothing: the folders are given as arguments, NAME=DIR or DIR
# (NAME is then the folder's base name), e.g. Pillow's Tests/images, metadata-extractor-images,
# Exiv2's test/data and image-rs's tests/images checked out somewhere outside the repository.
#
# Per source: idvault's counts (stripped, unchanged, unsupported, failed); files it stripped in
# which exiftool still reads identifying tags (GPS, make, model, serials, software, owner, dates
# other than zero, XMP, IPTC, MakerNotes, Samsung trailer, embedded previews, PDF Info names);
# stripped files whose decoded pixels or media streams differ from the original's (Pillow, every
# frame; heif-convert for HEIC; ffmpeg framemd5 for audio and video; pdftoppm for PDF) or no
# longer decode; files idvault refused or left alone that are not byte-identical to the
# original; unsupported files that carry identifying tags; the same figures for exiftool on its
# own copy; and `idvault scan` on the originals: panic text on stderr, hangs, identity-document
# findings. The files behind every count are written to --details (default: stdout's table is
# followed by nothing; the list goes to the file).
#
# Needs: exiftool, python3 with Pillow, ffmpeg, heif-convert, pdftoppm.
# On Debian: apt-get install libimage-exiftool-perl python3-pil ffmpeg libheif-examples poppler-utils
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

usage() {
  cat <<USAGE
usage: bench/peer-suites.sh [-j N] [--details FILE] [--no-scan] [NAME=]DIR...
  -j N            worker threads for idvault and decoding processes (default 2)
  --details FILE  where to list the files behind each count (default peer-suites-details.tsv
                  in TMPDIR)
  --no-scan       leave out the idvault scan run
environment: IDVAULT=binary (skip the build), PYTHON, TMPDIR
USAGE
}

JOBS=2 DETAILS= SCAN=()
SOURCES=()
while (($#)); do
  case $1 in
    -j) JOBS=${2:?}; shift 2 ;;
    --details) DETAILS=${2:?}; shift 2 ;;
    --no-scan) SCAN=(--no-scan); shift ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) SOURCES+=("$1"); shift ;;
  esac
done
((${#SOURCES[@]})) || { usage >&2; exit 2; }
ARGS=()
for s in "${SOURCES[@]}"; do
  if [[ $s == *=* ]]; then name=${s%%=*} dir=${s#*=}; else dir=$s name=$(basename "$s"); fi
  [[ -d $dir ]] || die "no folder $dir"
  ARGS+=("$name=$(cd "$dir" && pwd)")
done
need exiftool "install exiftool (apt-get install libimage-exiftool-perl)"
need ffmpeg "install ffmpeg"
need heif-convert "install libheif-examples"
need pdftoppm "install poppler-utils"
need_py PIL "install Pillow (apt-get install python3-pil, or pip install pillow)"
build_idvault
make_tmp
DETAILS=${DETAILS:-${TMPDIR:-/tmp}/peer-suites-details.tsv}
echo "$IDVAULT_VERSION; exiftool $(exiftool -ver); Pillow $("$PYTHON" -c 'import PIL; print(PIL.__version__)')" >&2
"$PYTHON" bench/peer_suites.py --idvault "$IDVAULT" --tmp "$TMP" --jobs "$JOBS" \
  --details "$DETAILS" "${SCAN[@]}" "${ARGS[@]}"
echo
echo "files behind each count: $DETAILS"
