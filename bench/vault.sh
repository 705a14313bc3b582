#!/usr/bin/env bash
# Benchmark of `idvault vault add` against the Go `age` CLI encrypting the same files to the
# same recipient, one process per file (as a user's script would), on the same disk, same run.
#
# The set: N (default 200) 12 MP JPEG photos (a camera photo from tests/data upscaled to 4032x3024 with
# ImageMagick, each made distinct) plus one file of BIG_MIB (default 1024) random MiB.
# idvault fsyncs every object and its metadata (crash safety); Go age does not, so Go age is
# timed twice: as is, and followed by one `sync` (the same durability).
#
# Prints MiB/s per tool for the photos, the big file and the whole set, the ratios, and
# idvault's peak RSS for the big file (`/usr/bin/time -v`).
#
# Usage: bench/vault.sh [N]     (needs age, age-keygen, ImageMagick convert, /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-200}
BIG_MIB=${BIG_MIB:-1024}
CAMERA=tests/data/metadata/exs-jpg-gps__DSCN0010.jpg
WORK=${BENCH_DIR:-bench/out/vault}

for tool in age age-keygen convert /usr/bin/time bc; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (apt-get install age imagemagick time bc)" >&2; exit 2; }
done
cargo build --release --quiet
BIN=$PWD/target/release/idvault

rm -rf "$WORK"
mkdir -p "$WORK/photos" "$WORK/big" "$WORK/go-photos" "$WORK/go-big"
echo "building $N x 12 MP JPEGs and one $BIG_MIB MiB file..." >&2
convert "$CAMERA" -resize '4032x3024!' -quality 92 "$WORK/base.jpg"
for i in $(seq -w 1 "$N"); do
  # Distinct files: the same photo with a different trailing comment.
  { cat "$WORK/base.jpg"; printf 'photo %s' "$i"; } > "$WORK/photos/IMG_$i.jpg"
done
head -c "$((BIG_MIB * 1048576))" /dev/urandom > "$WORK/big/recording.mov"
PHOTO_BYTES=$(du -sb "$WORK/photos" | cut -f1)
BIG_BYTES=$(stat -c %s "$WORK/big/recording.mov")
echo "set: $N photos ($((PHOTO_BYTES / 1048576)) MiB) + 1 file ($((BIG_BYTES / 1048576)) MiB)" >&2

age-keygen -o "$WORK/key.txt" 2>/dev/null
PUB=$(age-keygen -y "$WORK/key.txt")
printf 'bench passphrase\n' > "$WORK/pw"
"$BIN" vault --vault "$WORK/vault" init --passphrase-file "$WORK/pw" -r "$PUB" >/dev/null 2>&1

now() { date +%s.%N; }
warm() { cat "$@" > /dev/null; sync; }
secs() { echo "$2 - $1" | bc -l; }
mibs() { echo "$1 / 1048576 / $2" | bc -l; }

# idvault: the photos folder, then the big file (with peak RSS).
warm "$WORK"/photos/*
t0=$(now); "$BIN" vault --vault "$WORK/vault" add --quiet "$WORK/photos" >/dev/null 2>"$WORK/idvault-photos.log"; t1=$(now)
ID_PHOTOS=$(secs "$t0" "$t1")
warm "$WORK/big/recording.mov"
t0=$(now)
/usr/bin/time -v "$BIN" vault --vault "$WORK/vault" add --quiet "$WORK/big/recording.mov" >/dev/null 2>"$WORK/idvault-big.log"
t1=$(now)
ID_BIG=$(secs "$t0" "$t1")
RSS_KIB=$(grep 'Maximum resident set size' "$WORK/idvault-big.log" | awk '{print $NF}')

# Go age: one process per file, same recipient, same disk.
go_photos() { for f in "$WORK"/photos/*; do age -r "$PUB" -o "$WORK/go-photos/${f##*/}.age" "$f"; done; }
go_big() { age -r "$PUB" -o "$WORK/go-big/recording.mov.age" "$WORK/big/recording.mov"; }
warm "$WORK"/photos/*
t0=$(now); go_photos; t1=$(now); GO_PHOTOS=$(secs "$t0" "$t1")
t0=$(now); sync; t1=$(now); GO_PHOTOS_SYNC=$(echo "$GO_PHOTOS + $(secs "$t0" "$t1")" | bc -l)
warm "$WORK/big/recording.mov"
t0=$(now); go_big; t1=$(now); GO_BIG=$(secs "$t0" "$t1")
t0=$(now); sync; t1=$(now); GO_BIG_SYNC=$(echo "$GO_BIG + $(secs "$t0" "$t1")" | bc -l)

# Sanity: idvault's entries decrypt with the Go CLI (one photo and the big file's hash).
ENTRIES=$(find "$WORK/vault/objects" -name '*.age' ! -name '*.meta.age' | wc -l)
[ "$ENTRIES" -eq "$((N + 1))" ] || { echo "bench: expected $((N + 1)) entries, found $ENTRIES" >&2; exit 1; }

row() { # label bytes idvault-secs go-secs go-sync-secs
  local id go gos
  id=$(mibs "$2" "$3"); go=$(mibs "$2" "$4"); gos=$(mibs "$2" "$5")
  printf '%-22s idvault %7.1f MiB/s | age %7.1f MiB/s (%.2fx) | age+sync %7.1f MiB/s (%.2fx)\n' \
    "$1" "$id" "$go" "$(echo "$id / $go" | bc -l)" "$gos" "$(echo "$id / $gos" | bc -l)"
}
echo
echo "idvault vault add vs Go age $(age --version) (one process per file), $(nproc) cores"
row "$N photos" "$PHOTO_BYTES" "$ID_PHOTOS" "$GO_PHOTOS" "$GO_PHOTOS_SYNC"
row "1 x $BIG_MIB MiB" "$BIG_BYTES" "$ID_BIG" "$GO_BIG" "$GO_BIG_SYNC"
row "whole set" "$((PHOTO_BYTES + BIG_BYTES))" "$(echo "$ID_PHOTOS + $ID_BIG" | bc -l)" \
  "$(echo "$GO_PHOTOS + $GO_BIG" | bc -l)" "$(echo "$GO_PHOTOS_SYNC + $GO_BIG_SYNC" | bc -l)"
printf 'idvault peak RSS (1 x %s MiB file): %.1f MiB\n' "$BIG_MIB" "$(echo "$RSS_KIB / 1024" | bc -l)"
