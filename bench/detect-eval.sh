#!/usr/bin/env bash
# Detection quality of `idvault scan --json --min-confidence 0.5` on the labelled corpus
# (CORPUS/detect, given with --corpus), files renamed to neutral names so that names cannot leak the label.
# Prints precision and recall per kind and overall, misses and false positives by original
# name, and seconds per image. Scoring rules: bench/detect_eval.py.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

usage() {
  cat <<USAGE
usage: bench/detect-eval.sh --corpus DIR [--names] [--synthetic N] [--hard N] [--reasons P,N]
                           [--reason-list R,...] [--seed S] [--min-confidence X] [--skip-corpus]
  --corpus DIR        the evaluation corpus (the folder holding detect/labels.csv)
  --names             keep the original file names (shows what name signals alone get)
  --synthetic N       also generate N synthetic positives and N negatives (tests/synth, on
                      the corpus' card templates; ID selfies with the corpus portraits as
                      faces) and score them separately
  --hard N            also generate the two hard sets of bench/detect_sets.py from the corpus,
                      N positives and N negatives each, and score them separately: both sides
                      of ID cards copied onto photographed A4 sheets (a4), and blurred,
                      shaken, glared and covered retakes of the corpus documents (retakes)
  --reasons P,N       also generate bench/detect_reasons.py's sets: for every rejection reason
                      and A4 copies, P positives and N negatives through each of its two damage
                      pipelines (the issue asks for 50,100), scored with recall per reason and
                      pipeline and false positives per negative kind
  --reason-list R,... only these reasons (default: all nine)
  --skip-corpus       do not score the corpus set
  --seed S            seed of the synthetic and hard sets (default 1)
  --min-confidence X  threshold passed to idvault and used in scoring (default 0.5)
environment: IDVAULT=binary (skip the build), CORPUS=dir (as --corpus), PYTHON=python3, TMPDIR
USAGE
}

names=() synthetic=0 hard=0 seed=1 min_conf=0.5 reasons="" reason_list="" corpus_set=1
while (($#)); do
  case $1 in
    --corpus) CORPUS=${2:?}; shift 2 ;;
    --names) names=(--names); shift ;;
    --synthetic) synthetic=${2:?}; shift 2 ;;
    --hard) hard=${2:?}; shift 2 ;;
    --seed) seed=${2:?}; shift 2 ;;
    --reasons) reasons=${2:?}; shift 2 ;;
    --reason-list) reason_list=${2:?}; shift 2 ;;
    --skip-corpus) corpus_set=0; shift ;;
    --min-confidence) min_conf=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ $synthetic =~ ^[0-9]+$ ]] || die "--synthetic takes a whole number"
[[ $hard =~ ^[0-9]+$ ]] || die "--hard takes a whole number"
[[ -z $reasons || $reasons =~ ^[0-9]+,[0-9]+$ ]] || die "--reasons takes P,N (positives,negatives)"

need "$PYTHON" "set PYTHON to a Python 3 interpreter"
need_corpus
((synthetic + hard == 0)) && [[ -z $reasons ]] || need_py PIL "pip install -r tests/synth/requirements.txt"
build_idvault
make_tmp
machine_line

evaluate() { # evaluate TITLE LABELS
  mkdir "$TMP/$1"
  "$PYTHON" bench/detect_eval.py --idvault "$IDVAULT" --labels "$2" --work "$TMP/$1" \
    --title "$1" --min-confidence "$min_conf" "${names[@]}"
}

((corpus_set == 0)) || evaluate corpus "$CORPUS/detect/labels.csv"
if ((synthetic > 0)); then
  echo
  # ID selfies get real faces: the corpus portraits (hard negatives of the corpus set above).
  mkdir "$TMP/faces"
  ln -s "$(realpath "$CORPUS")"/detect/negative/facerec__* "$TMP/faces/"
  "$PYTHON" tests/synth/generate.py --out "$TMP/synth-set" --positives "$synthetic" \
    --negatives "$synthetic" --seed "$seed" --faces "$TMP/faces" --templates "$CORPUS/templates" >&2
  evaluate "synthetic-seed$seed" "$TMP/synth-set/labels.csv"
fi
for set in a4 retakes; do
  ((hard > 0)) || break
  echo
  "$PYTHON" bench/detect_sets.py --corpus "$CORPUS" --out "$TMP/$set-set" --set "$set" -n "$hard" \
    --seed "$seed" >&2
  evaluate "$set-seed$seed" "$TMP/$set-set/labels.csv"
done
if [[ -n $reasons ]]; then
  echo
  "$PYTHON" bench/detect_reasons.py --corpus "$CORPUS" --out "$TMP/reasons-set" --seed "$seed" \
    --positives "${reasons%,*}" --negatives "${reasons#*,}" ${reason_list:+--reasons "$reason_list"} >&2
  evaluate "reasons-seed$seed" "$TMP/reasons-set/labels.csv"
fi
