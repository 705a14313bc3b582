#!/bin/sh
# Runs fuzz targets one after another, each for SECONDS, at the lowest CPU priority, starting
# from its seed corpus (fuzz/seeds/TARGET) and the corpus kept from earlier runs
# (fuzz/corpus/TARGET). Prints libFuzzer's final statistics line per target.
#
#   fuzz/run.sh SECONDS TARGET...        e.g. fuzz/run.sh 600 scan_meta xmp bmff
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); on a stable toolchain it runs with
# RUSTC_BOOTSTRAP=1. Builds optimised with debug assertions (integer overflow counts as a crash)
# and without a sanitizer: the code under test is safe Rust, where AddressSanitizer finds
# little and halves the speed. FUZZ_SANITIZER=address turns it on; FUZZ_BUILD=--dev builds
# without optimisation; FUZZ_NICE sets the CPU priority (default 19, the lowest).
set -eu
cd "$(dirname "$0")"
secs=$1
shift
export RUSTC_BOOTSTRAP=1
for t in "$@"; do
    mkdir -p "corpus/$t" "seeds/$t" artifacts
    log="artifacts/$t.log"
    nice -n "${FUZZ_NICE:-19}" cargo fuzz run "${FUZZ_BUILD:--O}" -a -s "${FUZZ_SANITIZER:-none}" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || echo "$t: FAILED (see fuzz/$log and fuzz/artifacts/$t/)"
    printf '%s: ' "$t"
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || tail -3 "$log"
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" | tr '\n' ' '
    echo
done
