# shellcheck shell=bash
# Helpers shared by the bench/*.sh scripts; sourced, never run on its own.
# Every script runs from the repository root; those that read the evaluation corpus take its
# path as `--corpus DIR` (or CORPUS=DIR); it is not part of the repository.

CORPUS=${CORPUS:-}
PYTHON=${PYTHON:-python3}
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the checkout

die() {
  printf '%s: error: %s\n' "${0##*/}" "$*" >&2
  exit 2
}

# need TOOL HINT: fail with HINT when TOOL is not on PATH.
need() {
  command -v "$1" >/dev/null 2>&1 || die "\`$1\` not found; $2"
}

# need_py MODULE HINT: fail with HINT when $PYTHON cannot import MODULE.
need_py() {
  need "$PYTHON" "set PYTHON to a Python 3 interpreter"
  "$PYTHON" -c "import $1" 2>/dev/null || die "Python module \`$1\` missing for $PYTHON; $2"
}

need_corpus() {
  [[ -n $CORPUS ]] || die "pass --corpus DIR, the evaluation corpus (the folder holding detect/)"
  [[ -d $CORPUS/detect ]] || die "no corpus at $CORPUS (the folder holding detect/ and metadata/)"
}

# Sets IDVAULT to a release binary: $IDVAULT if given, else builds this checkout.
build_idvault() {
  if [[ -n ${IDVAULT:-} ]]; then
    [[ -x $IDVAULT ]] || die "IDVAULT=$IDVAULT is not an executable"
  else
    need cargo "install a Rust toolchain"
    echo "building the release binary…" >&2
    cargo build --release --locked --quiet || die "cargo build --release failed"
    IDVAULT=$(pwd)/${CARGO_TARGET_DIR:-target}/release/idvault
  fi
  IDVAULT_VERSION=$("$IDVAULT" --version)
}

# Creates $TMP, removed when the script exits for any reason.
make_tmp() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/idvault-bench.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
  trap 'exit 130' INT TERM
}

now() { date +%s.%N; }

# timed OUT CMD…: runs CMD, stdout to OUT, stderr to OUT.err; prints "WALL CPU" in seconds, CPU
# being user + system time of CMD and its children (steadier than wall time on a busy machine).
# A non-zero exit (say, one unreadable file) is noted on stderr, not fatal.
timed() {
  local out=$1 rc=0 real user sys TIMEFORMAT='%R %U %S'
  shift
  { time "$@" >"$out" 2>"$out.err"; } 2>"$out.time" || rc=$?
  ((rc == 0)) || echo "note: \`$1\` exited $rc: $(head -c 300 "$out.err" | tr '\n' ' ')" >&2
  read -r real user sys <"$out.time"
  printf '%s %s\n' "$real" "$(calc "$user + $sys")"
}

# repeat N OUT CMD…: runs CMD N times; sets WALL and CPU to the medians (seconds).
# shellcheck disable=SC2034 # WALL and CPU are read by the calling script
repeat() {
  local n=$1 r
  shift
  for ((r = 0; r < n; r++)); do timed "$@"; done >"$TMP/times"
  WALL=$(cut -d' ' -f1 "$TMP/times" | median)
  CPU=$(cut -d' ' -f2 "$TMP/times" | median)
}

# field JSONL NAME: a number from the summary line (0 when absent, as in older versions).
field() {
  grep '"type":"summary"' "$1" | sed -nE "s/.*\"$2\":([0-9]+).*/\1/p" | grep . || echo 0
}

# Median of the numbers on stdin, one a line.
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# calc EXPR [FORMAT]: floating-point arithmetic (awk), e.g. calc "5000 / 1.25" %.0f.
calc() { awk "BEGIN { printf \"${2:-%.3f}\", $1 }"; }

# Reads every file under the given folders once so both tools start with a warm page cache.
warm_cache() { find "$@" -type f -exec cat {} + >/dev/null; }

# Prints the machine context a figure depends on.
machine_line() {
  printf 'machine: %s cores, load %s; %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$IDVAULT_VERSION"
}
