#!/usr/bin/env bash
# Issue 2 benchmark: `idvault scan --no-content` (names and metadata only) against
# `exiftool -json -r` on the same folder of corpus files, in the same run, warm page cache.
# Target: idvault >= 100x exiftool's files/s.
#
# Re-scan: `idvault scan` (content on) of an unchanged folder, with its own cache under $TMP:
# one first scan (timed once), then the median of R re-scans; target >= 10,000 files/s. A first
# content scan of thousands of distinct images would take many minutes (OCR), so the re-scan
# folder holds --rescan-files paths (default: as many as -n) that are hard links to one copy of
# each corpus file: the first scan analyses each distinct file's pixels once and takes the
# other links' pixels from the content cache (same inode), while every path is still judged on
# its own name and folders and gets its own cache entry. The identity-document photos
# (detect/positive) are left out of it: findings are never cached, so they are read again by
# every scan (about a second of OCR each), and a real photo folder holds few of them.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

usage() {
  cat <<USAGE
usage: bench/scan.sh --corpus DIR [-n FILES] [--runs R] [--exiftool-runs R] [--rescan-files N]
  --corpus DIR       the evaluation corpus, whose files fill the benchmark folder
  -n FILES           files in the benchmark folder (default 5000), cycled from the corpus
  --runs R           timed idvault runs, median reported (default 5); also the re-scan runs
  --exiftool-runs R  timed exiftool runs, median reported (default 1)
  --rescan-files N   paths in the re-scan folder (default FILES); 0 skips the re-scan rows
environment: IDVAULT=binary (skip the build), CORPUS=dir (as --corpus), TMPDIR
USAGE
}

files_wanted=5000 runs=5 et_runs=1 rescan_files=
while (($#)); do
  case $1 in
    --corpus) CORPUS=${2:?}; shift 2 ;;
    -n) files_wanted=${2:?}; shift 2 ;;
    --rescan-files) rescan_files=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --exiftool-runs) et_runs=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $files_wanted =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ && $et_runs =~ ^[1-9][0-9]*$ ]] ||
  die "-n, --runs and --exiftool-runs take positive integers"
rescan_files=${rescan_files:-$files_wanted}
[[ $rescan_files =~ ^[0-9]+$ ]] || die "--rescan-files takes a number"

need exiftool "apt-get install libimage-exiftool-perl"
need_corpus
build_idvault
make_tmp

# Every corpus file except the corpus's own notes, in a stable order.
mapfile -d '' sources < <(find "$CORPUS" -type f ! -name '*.md' ! -name '*.csv' -print0 | sort -z)
((${#sources[@]})) || die "no files under $CORPUS"

# Copies under neutral names (the extension kept) in nested folders: 20 top folders x 5 below.
tree=$TMP/tree
for ((d = 0; d < 20; d++)); do for ((e = 0; e < 5; e++)); do mkdir -p "$tree/d$d/e$e"; done; done
for ((i = 0; i < files_wanted; i++)); do
  src=${sources[i % ${#sources[@]}]}
  base=${src##*/}
  ext=bin
  [[ $base == *.* ]] && ext=${base##*.}
  cp "$src" "$tree/d$((i % 20))/e$((i / 20 % 5))/IMG_$(printf '%05d' "$i").$ext"
done
bytes=$(du -sb "$tree" | cut -f1)

# The re-scan folder: the same layout, hard links to one copy of each corpus file but the
# identity-document photos (see the header).
rescan=$TMP/rescan
if ((rescan_files)); then
  mapfile -t negatives < <(printf '%s\n' "${sources[@]}" | grep -v '/detect/positive/')
  mkdir -p "$TMP/distinct"
  for ((i = 0; i < rescan_files; i++)); do
    k=$((i % ${#negatives[@]}))
    base=${negatives[k]##*/}
    ext=bin
    [[ $base == *.* ]] && ext=${base##*.}
    one=$TMP/distinct/$k.$ext
    [[ -e $one ]] || cp "${negatives[k]}" "$one"
    mkdir -p "$rescan/d$((i % 20))/e$((i / 20 % 5))"
    ln "$one" "$rescan/d$((i % 20))/e$((i / 20 % 5))/IMG_$(printf '%05d' "$i").$ext"
  done
  warm_cache "$TMP/distinct"
fi
warm_cache "$tree"

# Stage 0 on every file: no cache.
IDVAULT_NO_CACHE=1 repeat "$runs" "$TMP/idvault.jsonl" "$IDVAULT" scan --json --no-content "$tree"
t_idv=$WALL c_idv=$CPU
repeat "$et_runs" "$TMP/exiftool.json" exiftool -json -r "$tree"
t_et=$WALL c_et=$CPU
if ((rescan_files)); then
  export XDG_CACHE_HOME=$TMP/cache
  unset IDVAULT_NO_CACHE
  echo "first content scan of the re-scan folder ($rescan_files paths)…" >&2
  repeat 1 "$TMP/first.jsonl" "$IDVAULT" scan --json "$rescan"
  t_first=$WALL c_first=$CPU
  repeat "$runs" "$TMP/rescan.jsonl" "$IDVAULT" scan --json "$rescan"
  t_re=$WALL c_re=$CPU
fi

idv_files=$(field "$TMP/idvault.jsonl" files)
idv_findings=$(grep -c '"type":"finding"' "$TMP/idvault.jsonl" || true)
et_files=$(grep -c '"SourceFile"' "$TMP/exiftool.json" || true)

machine_line
printf 'folder: %d files (%d distinct corpus files), %s MiB, 100 nested folders, warm cache\n' \
  "$files_wanted" "$((files_wanted < ${#sources[@]} ? files_wanted : ${#sources[@]}))" "$(calc "$bytes / 1048576" %.0f)"
row() { # row LABEL FILES WALL CPU NOTE
  printf '%-34s %7.3f s wall %7.0f files/s  %7.3f s CPU  (%s)\n' "$1" "$3" "$(calc "$2 / $3")" "$4" "$5"
}
row "idvault scan --json --no-content" "$files_wanted" "$t_idv" "$c_idv" "$idv_files files seen, $idv_findings findings; no cache; median of $runs"
row "exiftool -json -r" "$files_wanted" "$t_et" "$c_et" "$et_files files read; median of $et_runs"
printf 'ratio: idvault is %sx exiftool by wall time (target >= 100x), %sx by CPU time\n' \
  "$(calc "$t_et / $t_idv" %.0f)" "$(calc "$c_et / $c_idv" %.0f)"
if ((rescan_files)); then
  printf 're-scan folder: %d paths, hard links to %d distinct corpus files (no identity-document photos)\n' \
    "$rescan_files" "$(find "$TMP/distinct" -type f | wc -l)"
  row "idvault scan --json, first" "$rescan_files" "$t_first" "$c_first" \
    "pixels analysed in $(field "$TMP/first.jsonl" content_analysed), $(field "$TMP/first.jsonl" content_cached) from the same-inode cache, $(field "$TMP/first.jsonl" findings) findings; once"
  row "idvault scan --json, re-scan" "$rescan_files" "$t_re" "$c_re" \
    "$(field "$TMP/rescan.jsonl" unchanged) unchanged (not opened), $(field "$TMP/rescan.jsonl" content_cached) pixels cached, $(field "$TMP/rescan.jsonl" findings) findings; median of $runs"
  printf 'ratio: an idvault re-scan is %sx exiftool by files/s (wall; target >= 10,000 files/s)\n' \
    "$(calc "($rescan_files / $t_re) / ($files_wanted / $t_et)" %.0f)"
fi
