#!/usr/bin/env bash
# Benchmark: `idvault wipe --apply --yes` against GNU `shred -n1 -u` (one random pass, then
# rename and unlink, like idvault's default) and, for the folder, `srm -l -r` (secure-delete).
# Each tool wipes its own fresh copy of the same data, in the same run, on the same disk.
#
#   bench/wipe.sh                 # 1 GiB file + 500 files of ~3 MB, 3 rounds, median
#   ROUNDS=1 FILES=100 bench/wipe.sh
#   SKIP_SRM=1 bench/wipe.sh      # srm is slow: leave it out of repeated rounds
#   BENCH_DIR=/mnt/hdd/tmp bench/wipe.sh   # another disk
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
FILES=${FILES:-500}
BIG_MIB=${BIG_MIB:-1024}
PHOTO_BYTES=${PHOTO_BYTES:-3000000}

for tool in shred srm; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install coreutils secure-delete)" >&2; exit 2; }
done
cargo build --release --quiet
IDVAULT=$PWD/target/release/idvault

BENCH_DIR=${BENCH_DIR:-$PWD/target}
WORK=$(mktemp -d -p "$BENCH_DIR" wipe-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo "work dir: $WORK ($(findmnt -no FSTYPE,SOURCE -T "$WORK"))"

# Sources, made once: random bytes (incompressible, like photos).
head -c $((BIG_MIB << 20)) /dev/urandom >"$WORK/big.src"
mkdir "$WORK/photos.src"
for i in $(seq -w 1 "$FILES"); do
  head -c "$PHOTO_BYTES" /dev/urandom >"$WORK/photos.src/IMG_$i.jpg"
done
sync

now() { date +%s.%N; }
# time_cmd CMD... : runs CMD after flushing earlier writes, prints elapsed seconds.
time_cmd() {
  sync
  local t0 t1
  t0=$(now)
  "$@" >/dev/null
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}
fresh_big() { cp --reflink=never "$WORK/big.src" "$WORK/big"; }
fresh_photos() { cp -r --reflink=never "$WORK/photos.src" "$WORK/photos"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A T
# measure KEY CMD... : times CMD, records and prints the seconds.
measure() {
  local key=$1 s
  shift
  s=$(time_cmd "$@")
  T[$key]+="$s "
  printf '  %-16s %8.2f s\n' "$key" "$s" >&2
}
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r" >&2
  fresh_big
  measure big_idvault "$IDVAULT" wipe --apply --yes --quiet --no-thumbnails "$WORK/big"
  fresh_big
  measure big_shred shred -n1 -u "$WORK/big"
  fresh_photos
  measure photos_idvault "$IDVAULT" wipe --apply --yes --quiet --no-thumbnails -r "$WORK/photos"
  fresh_photos
  measure photos_shred bash -c 'shred -n1 -u "$1"/* && rmdir "$1"' _ "$WORK/photos"
  if [[ ${SKIP_SRM:-0} != 1 ]]; then
    fresh_photos
    measure photos_srm srm -l -r "$WORK/photos"
  fi
done

med() { tr ' ' '\n' <<<"${T[$1]}" | grep . | median; }
big_bytes=$((BIG_MIB << 20))
photo_total=$((FILES * PHOTO_BYTES))
printf '\n%-34s %9s %10s %8s\n' "case (median of $ROUNDS)" seconds "MB/s" "vs idvault"
row() { # name key bytes base_key
  local s b
  s=$(med "$2")
  b=$(med "$4")
  printf '%-34s %9.2f %10.1f %7.2fx\n' "$1" "$s" "$(echo "$3 / $s / 1000000" | bc -l)" "$(echo "$s / $b" | bc -l)"
}
row "1 GiB: idvault wipe" big_idvault $big_bytes big_idvault
row "1 GiB: shred -n1 -u" big_shred $big_bytes big_idvault
row "$FILES x ${PHOTO_BYTES}B: idvault wipe -r" photos_idvault $photo_total photos_idvault
row "$FILES x ${PHOTO_BYTES}B: shred -n1 -u" photos_shred $photo_total photos_idvault
[[ -n ${T[photos_srm]:-} ]] && row "$FILES x ${PHOTO_BYTES}B: srm -l -r" photos_srm $photo_total photos_idvault
echo "(ratio > 1: the peer is slower than idvault)"
