#!/usr/bin/env bash
# Issue 2 benchmark: `idvault scan --no-content` (names and metadata only) against
# `exiftool -json -r` on the same folder of corpus files, in the same run, warm page cache.
# Target: idvault >= 100x exiftool's files/s.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

usage() {
  cat <<USAGE
usage: bench/scan.sh [-n FILES] [--runs R] [--exiftool-runs R]
  -n FILES           files in the benchmark folder (default 5000), cycled from $CORPUS
  --runs R           timed idvault runs, median reported (default 5)
  --exiftool-runs R  timed exiftool runs, median reported (default 1)
environment: IDVAULT=binary (skip the build), CORPUS=dir, TMPDIR
USAGE
}

files_wanted=5000 runs=5 et_runs=1
while (($#)); do
  case $1 in
    -n) files_wanted=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --exiftool-runs) et_runs=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $files_wanted =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ && $et_runs =~ ^[1-9][0-9]*$ ]] ||
  die "-n, --runs and --exiftool-runs take positive integers"

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
warm_cache "$tree"

# repeat N OUT CMD…: runs CMD N times; sets WALL and CPU to the medians (seconds).
repeat() {
  local n=$1 r
  shift
  for ((r = 0; r < n; r++)); do timed "$@"; done >"$TMP/times"
  WALL=$(cut -d' ' -f1 "$TMP/times" | median)
  CPU=$(cut -d' ' -f2 "$TMP/times" | median)
}

repeat "$runs" "$TMP/idvault.jsonl" "$IDVAULT" scan --json --no-content "$tree"
t_idv=$WALL c_idv=$CPU
repeat "$et_runs" "$TMP/exiftool.json" exiftool -json -r "$tree"
t_et=$WALL c_et=$CPU

idv_files=$(grep '"type":"summary"' "$TMP/idvault.jsonl" | sed -E 's/.*"files":([0-9]+).*/\1/')
idv_findings=$(grep -c '"type":"finding"' "$TMP/idvault.jsonl" || true)
et_files=$(grep -c '"SourceFile"' "$TMP/exiftool.json" || true)

machine_line
printf 'folder: %d files (%d distinct corpus files), %s MiB, 100 nested folders, warm cache\n' \
  "$files_wanted" "$((files_wanted < ${#sources[@]} ? files_wanted : ${#sources[@]}))" "$(calc "$bytes / 1048576" %.0f)"
row() { # row LABEL WALL CPU NOTE
  printf '%-34s %7.3f s wall %7.0f files/s  %7.3f s CPU  (%s)\n' "$1" "$2" "$(calc "$files_wanted / $2")" "$3" "$4"
}
row "idvault scan --json --no-content" "$t_idv" "$c_idv" "$idv_files files seen, $idv_findings findings; median of $runs"
row "exiftool -json -r" "$t_et" "$c_et" "$et_files files read; median of $et_runs"
printf 'ratio: idvault is %sx exiftool by wall time (target >= 100x), %sx by CPU time\n' \
  "$(calc "$t_et / $t_idv" %.0f)" "$(calc "$c_et / $c_idv" %.0f)"
