#!/usr/bin/env bash
# Issue 28 benchmark: a first `idvault scan` (content on) of a folder of identity-document
# photos against a re-scan of the same, unchanged folder, in the same run, each with a fresh
# cache of its own under $TMP; prints both times and their ratio. The re-scan repeats every
# finding from the sealed content cache instead of decoding and reading the pixels again.
#
# The folder is built from the repository's own fixtures (tests/data/detect/positive and the
# document images of tests/data/synth), copied (not linked: every copy is a file of its own,
# with its own inode, so the first scan analyses each one) under neutral names, N in all.
#
# BASELINE=binary also times that build's first scan and re-scan of the same folder (for
# example the build before a change, or an older one that remembered only negatives): the peer
# measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

usage() {
  cat <<USAGE
usage: bench/rescan.sh [-n FILES] [--runs R]
  -n FILES   document photos in the folder (default 100), cycled from the fixtures
  --runs R   timed re-scans, median reported (default 3); the first scan runs once
environment: IDVAULT=binary (skip the build), BASELINE=binary (also time its first scan and
re-scan), TMPDIR
USAGE
}

files_wanted=100 runs=3
while (($#)); do
  case $1 in
    -n) files_wanted=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $files_wanted =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] ||
  die "-n and --runs take positive integers"
build_idvault
make_tmp

sources=(tests/data/detect/positive/*.jpg tests/data/synth/{cn_id_front,cn_id_back}.jpg
  tests/data/synth/{mrv_visa,kyc_screenshot}.png)
tree=$TMP/photos
mkdir -p "$tree"
for ((i = 0; i < files_wanted; i++)); do
  src=${sources[i % ${#sources[@]}]}
  cp "$src" "$tree/IMG_$(printf %04d "$i").${src##*.}"
done
warm_cache "$tree"

# scan_with BINARY CACHE OUT: one `scan --json` of the folder with its own cache folder.
scan_with() {
  XDG_CACHE_HOME=$2 timed "$3" env -u IDVAULT_NO_CACHE "$1" scan --json "$tree"
}

machine_line
# (Not in a process substitution: its subshell would run the EXIT trap that removes $TMP.)
scan_with "$IDVAULT" "$TMP/cache" "$TMP/first.jsonl" >"$TMP/first.times"
read -r first_wall first_cpu <"$TMP/first.times"
found=$(field "$TMP/first.jsonl" findings)
analysed=$(field "$TMP/first.jsonl" content_analysed)
repeat "$runs" "$TMP/again.jsonl" env -u IDVAULT_NO_CACHE XDG_CACHE_HOME="$TMP/cache" \
  "$IDVAULT" scan --json "$tree"
again_found=$(field "$TMP/again.jsonl" findings)
again_analysed=$(field "$TMP/again.jsonl" content_analysed)
printf '%-28s %5s files %4s findings  %9s s wall %9s s CPU  (%s analysed)\n' \
  "first scan" "$files_wanted" "$found" "$first_wall" "$first_cpu" "$analysed"
printf '%-28s %5s files %4s findings  %9s s wall %9s s CPU  (%s analysed; median of %s)\n' \
  "re-scan" "$files_wanted" "$again_found" "$WALL" "$CPU" "$again_analysed" "$runs"
printf 'ratio first/re-scan: %s wall, %s CPU\n' \
  "$(calc "$first_wall / $WALL" %.1f)" "$(calc "$first_cpu / $CPU" %.1f)"
[[ $again_found == "$found" ]] || echo "warning: the re-scan reported $again_found findings, the first scan $found" >&2

if [[ -n ${BASELINE:-} ]]; then
  [[ -x $BASELINE ]] || die "BASELINE=$BASELINE is not an executable"
  scan_with "$BASELINE" "$TMP/base-cache" "$TMP/base-first.jsonl" >"$TMP/base-first.times"
  read -r base_wall base_cpu <"$TMP/base-first.times"
  repeat "$runs" "$TMP/base-again.jsonl" env -u IDVAULT_NO_CACHE \
    XDG_CACHE_HOME="$TMP/base-cache" "$BASELINE" scan --json "$tree"
  printf '%-28s %5s files %4s findings  %9s s wall %9s s CPU  (%s analysed; %s)\n' \
    "baseline first scan" "$files_wanted" "$(field "$TMP/base-first.jsonl" findings)" \
    "$base_wall" "$base_cpu" "$(field "$TMP/base-first.jsonl" content_analysed)" \
    "$("$BASELINE" --version)"
  printf '%-28s %5s files %4s findings  %9s s wall %9s s CPU  (%s analysed; %s)\n' \
    "baseline re-scan" "$files_wanted" "$(field "$TMP/base-again.jsonl" findings)" "$WALL" "$CPU" \
    "$(field "$TMP/base-again.jsonl" content_analysed)" "$("$BASELINE" --version)"
fi
