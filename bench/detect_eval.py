#!/usr/bin/env python3
"""Scores `idvault scan --json` against a labelled image set (helper of bench/detect-eval.sh).

`--detector passporteye` scores PassportEye (`read_mrz`) the same way instead, for
bench/detect-speed.sh: an MRZ counts as a finding of the kind its format implies (TD3 passport,
MRV-A/B visa, TD1/TD2 id_card) with confidence valid_score/100 (share of check digits that hold).

The set is a folder plus a labels.csv (`file,label,kind,source`; label is `positive`,
`negative` or `ignore`; `file` is relative to the CSV). The files are copied into a scratch
folder under neutral names (`IMG_0001.jpg`, only the real extension kept, order shuffled with a
fixed seed) so that neither names nor folders can leak the label; `--names` keeps the original
base names instead, to show what name signals alone achieve. The map back to the original names
stays in this process.

Scoring: an `ignore` row counts neither way. A positive is found when idvault reports a finding
of a sensitive kind (an identity-document kind or `kyc_screenshot`) at or above the confidence
threshold (a `screen_recording` counts when a content signal says what one of its frames showed);
the same on a negative is a false positive. The reported kind is the most confident
sensitive finding; it "matches" when it equals the label's kind (cn_id_front/cn_id_back ->
id_card).
"""

import argparse
import base64
import csv
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

DOC_KINDS = (
    "passport",
    "id_card",
    "residence_permit",
    "travel_permit",
    "visa",
    "driver_licence",
    "id_selfie",
)
SENSITIVE = frozenset(DOC_KINDS + ("kyc_screenshot",))
# A screen recording keeps its kind when a frame shows a document; it counts as found (or, on a
# negative, flagged) when one of these content signals says what the frame showed.
FRAME_SIGNALS = frozenset(
    ("content.mrz", "content.mrz_shaped", "content.cn_id_number", "content.keywords", "content.kyc_phrases",
     "content.outline", "content.id_selfie")
)
# Label kinds that name a finer class than idvault's kinds.
KIND_ALIASES = {"cn_id_front": "id_card", "cn_id_back": "id_card"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--detector", choices=("idvault", "passporteye"), default="idvault")
    p.add_argument("--idvault", help="idvault binary (for --detector idvault)")
    p.add_argument("--labels", required=True, type=Path, help="labels.csv of the set")
    p.add_argument("--work", required=True, type=Path, help="empty scratch folder")
    p.add_argument("--title", default="set", help="name printed in the report")
    p.add_argument("--names", action="store_true", help="keep original base names")
    p.add_argument("--min-confidence", type=float, default=0.5)
    p.add_argument("--show", type=int, default=60, help="list at most this many misses/FPs")
    p.add_argument("--dump", type=Path, help="write every file's findings (original names, any "
                   "confidence) to this JSON-lines file, to study misses and margins without scanning again")
    return p.parse_args()


def read_labels(csv_path):
    rows = []
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["label"] not in ("positive", "negative", "ignore"):
                sys.exit(f"{csv_path}: unknown label {row['label']!r} for {row['file']}")
            src = csv_path.parent / row["file"]
            if not src.is_file():
                sys.exit(f"{csv_path}: listed file missing: {src}")
            rows.append(row | {"src": src})
    if not rows:
        sys.exit(f"{csv_path}: no rows")
    return rows


def stage(rows, scan_dir, keep_names):
    """Copies the set into scan_dir; returns {name in scan_dir: row}."""
    order = list(rows)
    random.Random(1).shuffle(order)
    scan_dir.mkdir(parents=True)
    staged = {}
    for i, row in enumerate(order, 1):
        src = row["src"]
        if keep_names:
            name = src.name
            if name in staged:
                name = f"{i:04d}_{name}"
        else:
            name = f"IMG_{i:04d}{src.suffix}"
        shutil.copyfile(src, scan_dir / name)
        staged[name] = row
    return staged


def path_of(p):
    if "text" in p:
        return os.fsencode(p["text"])
    return base64.b64decode(p["bytes"])


def run_scan(idvault, scan_dir, min_conf):
    cmd = [idvault, "scan", "--json", "--min-confidence", str(min_conf), str(scan_dir)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, check=False, capture_output=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.exit(f"idvault exited {proc.returncode}: {proc.stderr.decode(errors='replace')[:2000]}")
    findings = defaultdict(list)
    warnings, summary = [], {}
    for line in proc.stdout.splitlines():
        obj = json.loads(line)
        data = obj["data"]
        if obj["type"] == "finding":
            findings[os.path.basename(path_of(data["path"])).decode(errors="replace")].append(data)
        elif obj["type"] == "warning":
            warnings.append(data)
        elif obj["type"] == "summary":
            summary = data
    return findings, warnings, summary, wall


MRZ_KINDS = {"TD1": "id_card", "TD2": "id_card", "TD3": "passport", "MRVA": "visa", "MRVB": "visa"}


def passporteye_one(path):
    import warnings

    from passporteye import read_mrz

    warnings.simplefilter("ignore")
    try:
        mrz = read_mrz(str(path))
    except Exception as e:  # noqa: BLE001 -- PassportEye raises many kinds on odd inputs; count as nothing found
        return path.name, None, f"{type(e).__name__}: {e}"
    if mrz is None:
        return path.name, None, None
    finding = {
        "kind": MRZ_KINDS.get(mrz.mrz_type, "passport"),
        "confidence": mrz.valid_score / 100,
        "reasons": [{"signal": f"passporteye.mrz {mrz.mrz_type} valid_score={mrz.valid_score}"}],
    }
    return path.name, finding, None


def run_passporteye(scan_dir):
    """Runs PassportEye on every file, one worker per core (Tesseract itself single-threaded)."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    files = sorted(scan_dir.iterdir())
    t0 = time.perf_counter()
    with multiprocessing.Pool(os.cpu_count()) as pool:
        results = pool.map(passporteye_one, files, chunksize=1)
    wall = time.perf_counter() - t0
    findings = {name: [f] for name, f, _ in results if f}
    warnings = [{"path": {"text": name}, "severity": "error", "message": err} for name, _, err in results if err]
    return findings, warnings, {"files": len(files), "elapsed": round(wall, 3)}, wall


def shows_a_document(f, kinds):
    if f["kind"] in kinds:
        return True
    return f["kind"] == "screen_recording" and any(r["signal"] in FRAME_SIGNALS for r in f.get("reasons", []))


def top(found, min_conf, kinds):
    cands = [f for f in found if shows_a_document(f, kinds) and f["confidence"] >= min_conf]
    return max(cands, key=lambda f: f["confidence"]) if cands else None


def describe(found):
    if not found:
        return "nothing"
    return ", ".join(f"{f['kind']} {f['confidence']:.2f}" for f in found)


def reasons(finding):
    return "; ".join(r["signal"] for r in finding.get("reasons", []))


def ratio(a, b):
    return f"{a / b:.3f}" if b else "-"


def main():
    args = parse_args()
    rows = read_labels(args.labels)
    staged = stage(rows, args.work / "scan", args.names)
    if args.detector == "idvault":
        if not args.idvault:
            sys.exit("--idvault is required")
        # Every finding, whatever its confidence, when they are to be dumped; scoring applies
        # the threshold itself (top()), so the figures do not change.
        floor = 0.0 if args.dump else args.min_confidence
        findings, warnings, summary, wall = run_scan(args.idvault, args.work / "scan", floor)
    else:
        findings, warnings, summary, wall = run_passporteye(args.work / "scan")

    pos = Counter()  # label kind -> positives
    hit = Counter()  # label kind -> found
    kind_ok = Counter()  # label kind -> found with the matching kind
    reported = Counter()  # reported kind -> files (non-ignore)
    correct = Counter()  # reported kind -> of which positives
    neg = Counter()  # label kind -> negatives
    flagged = Counter()  # label kind -> negatives reported as a document
    misses, false_pos, ignored = [], [], []
    # Optional `group` column (bench/detect_reasons.py: pipeline/reason): recall and false
    # positives per group, and false positives per group and negative kind.
    g_pos, g_hit, g_neg, g_fp = Counter(), Counter(), Counter(), Counter()
    gk_neg, gk_fp = Counter(), Counter()
    for name, row in sorted(staged.items(), key=lambda kv: kv[1]["file"]):
        found = findings.get(name, [])
        best = top(found, args.min_confidence, SENSITIVE)
        label, kind = row["label"], row["kind"]
        if label == "ignore":
            ignored.append(row["file"])
            continue
        if best:
            reported[best["kind"]] += 1
        group = row.get("group") or ""
        if label == "positive":
            g_pos[group] += 1
            g_hit[group] += bool(best)
        else:
            g_neg[group] += 1
            g_fp[group] += bool(best)
            gk_neg[(group, kind)] += 1
            gk_fp[(group, kind)] += bool(best)
        if label == "positive":
            pos[kind] += 1
            if best:
                hit[kind] += 1
                correct[best["kind"]] += 1
                kind_ok[kind] += best["kind"] == KIND_ALIASES.get(kind, kind)
            else:
                misses.append((row["file"], kind, describe(found)))
        else:
            neg[kind] += 1
            if best:
                flagged[kind] += 1
                false_pos.append((row["file"], row["kind"], best))

    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as f:
            for name, row in sorted(staged.items(), key=lambda kv: kv[1]["file"]):
                keep = {k: row[k] for k in ("file", "label", "kind", "group") if k in row}
                f.write(json.dumps(keep | {"findings": findings.get(name, [])}, ensure_ascii=False) + "\n")
    n_pos, n_neg = sum(pos.values()), len(staged) - sum(pos.values()) - len(ignored)
    tp, fp = sum(hit.values()), len(false_pos)
    mode = "original names" if args.names else "neutral names"
    print(f"== {args.detector} on {args.title} ({mode}, min confidence {args.min_confidence}) ==")
    print(
        f"files: {len(staged)} ({n_pos} positive, {n_neg} negative, {len(ignored)} ignored); "
        f"{args.detector} saw {summary.get('files', '?')}, {len(warnings)} warnings"
    )
    print(
        f"time: {wall:.2f} s wall = {wall / len(staged):.4f} s/image "
        f"({args.detector}'s own elapsed {summary.get('elapsed', '?')} s, {os.cpu_count()} cores)"
    )
    print(f"{'labelled kind':<18} {'pos':>5} {'found':>5} {'recall':>7} {'kind ok':>7}")
    for k in sorted(pos):
        print(f"{k:<18} {pos[k]:>5} {hit[k]:>5} {ratio(hit[k], pos[k]):>7} {kind_ok[k]:>7}")
    print(f"{'overall':<18} {n_pos:>5} {tp:>5} {ratio(tp, n_pos):>7} {sum(kind_ok.values()):>7}")
    print(f"{'reported kind':<18} {'files':>5} {'pos':>5} {'precision':>9}")
    for k in sorted(reported):
        print(f"{k:<18} {reported[k]:>5} {correct[k]:>5} {ratio(correct[k], reported[k]):>9}")
    print(f"{'overall':<18} {tp + fp:>5} {tp:>5} {ratio(tp, tp + fp):>9}")
    print(f"{'negative kind':<18} {'files':>5} {'flagged':>7}")
    for k in sorted(neg):
        print(f"{k:<18} {neg[k]:>5} {flagged[k]:>7}")
    if any(g_pos) or any(g_neg):
        print(f"{'group':<18} {'pos':>5} {'found':>5} {'recall':>7} {'neg':>5} {'flagged':>7}")
        for grp in sorted(set(g_pos) | set(g_neg)):
            print(
                f"{grp:<18} {g_pos[grp]:>5} {g_hit[grp]:>5} {ratio(g_hit[grp], g_pos[grp]):>7} "
                f"{g_neg[grp]:>5} {g_fp[grp]:>7}"
            )
        for reason in sorted({grp.split("/")[-1] for grp in g_pos}):
            of = [grp for grp in g_pos if grp.split("/")[-1] == reason]
            p, h = sum(g_pos[x] for x in of), sum(g_hit[x] for x in of)
            print(f"reason {reason:<11} {p:>5} {h:>5} {ratio(h, p):>7} (all pipelines)")
        for pipe in sorted({grp.split("/")[0] for grp in g_pos if "/" in grp}):
            of = [grp for grp in g_pos if grp.startswith(pipe + "/")]
            p, h = sum(g_pos[x] for x in of), sum(g_hit[x] for x in of)
            print(f"pipeline {pipe:<9} {p:>5} {h:>5} {ratio(h, p):>7} (all reasons)")
        print(f"{'group, negative kind':<34} {'files':>5} {'flagged':>7}")
        for (grp, k) in sorted(gk_neg):
            if gk_fp[(grp, k)]:
                print(f"{grp + ', ' + k:<34} {gk_neg[(grp, k)]:>5} {gk_fp[(grp, k)]:>7}")
    print(f"misses ({len(misses)}):")
    for f, kind, what in misses[: args.show]:
        print(f"  {f} [{kind}] reported: {what}")
    if len(misses) > args.show:
        print(f"  … {len(misses) - args.show} more")
    print(f"false positives ({len(false_pos)}):")
    for f, kind, best in false_pos[: args.show]:
        print(f"  {f} [{kind}] reported {best['kind']} {best['confidence']:.2f} ({reasons(best)})")
    if len(false_pos) > args.show:
        print(f"  … {len(false_pos) - args.show} more")
    for w in warnings[: args.show]:
        name = os.path.basename(path_of(w["path"])).decode(errors="replace") if "path" in w else ""
        shown = staged[name]["file"] if name in staged else name
        print(f"warning: {shown}: {w.get('severity')}: {w.get('message')}")
    print(
        f"RESULT detector={args.detector} set={args.title} names={'original' if args.names else 'neutral'} "
        f"tp={tp} fn={n_pos - tp} fp={fp} tn={n_neg - fp} precision={ratio(tp, tp + fp)} "
        f"recall={ratio(tp, n_pos)} kind_match={sum(kind_ok.values())} s_per_image={wall / len(staged):.4f}"
    )


if __name__ == "__main__":
    main()
