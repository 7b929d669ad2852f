#!/usr/bin/env python3
"""Merge faultline's and the peers' benchmark CSVs from one run directory and print one report.

    report.py OUT_DIR

Reads (any may be missing; what is there is reported):
    OUT_DIR/tep.csv               faultline  `bench tep`
    OUT_DIR/tep_peers.csv         peers.py   tep
    OUT_DIR/throughput.csv        faultline  `bench throughput`
    OUT_DIR/throughput_peers.csv  peers.py   throughput
    OUT_DIR/skab.csv              faultline  `bench skab`
    OUT_DIR/skab_peers.csv        peers.py   skab
Prints (a) the TEP table with fdr17 relative to sklearn-pca-t2/theoretical, (b) the throughput
table with the faultline/peer ratios and (c) the SKAB table (ours and the peers' rows side by
side), and writes the same as markdown to OUT_DIR/summary.md.
Standard library only, so it runs with any python3.
"""

import csv
import sys
from datetime import datetime, timezone
from pathlib import Path

TEP_COLUMNS = (["method", "limit", "far_d00te", "far_pre"]
               + [f"fdr_{k}" for k in range(1, 22)]
               + ["fdr17", "fdr21", "delay_median"])
THROUGHPUT_COLUMNS = ["method", "mode", "samples", "seconds", "samples_per_s"]
SKAB_COLUMNS = ["method", "f1", "far", "mar"]
TEP_REF = ("sklearn-pca-t2", "theoretical")
# (label, numerator (method, mode), denominator (method, mode))
THROUGHPUT_RATIOS = [
    ("faultline pca batch / sklearn-pca batch", ("pca", "batch"), ("sklearn-pca", "batch")),
    ("faultline pca streaming-contrib / river-hst streaming", ("pca", "streaming-contrib"),
     ("river-hst", "streaming")),
]

warnings = []


def read_csv(path, columns, source):
    if not path.is_file():
        warnings.append(f"missing {path.name} ({source} results not in this report)")
        return []
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        header = r.fieldnames or []
        if header != columns:
            missing = [c for c in columns if c not in header]
            extra = [c for c in header if c not in columns]
            msg = f"{path.name}: header differs from the agreed columns"
            if missing:
                msg += f"; missing {missing}"
            if extra:
                msg += f"; extra {extra}"
            if not missing and not extra:
                msg += "; same names, different order"
            warnings.append(msg)
        rows = []
        for row in r:
            row = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
            row["source"] = source
            rows.append(row)
        return rows


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def f2(s):
    x = num(s)
    return "" if x is None else f"{x:.2f}"


def fg(s):
    x = num(s)
    return "" if x is None else f"{x:g}"


def ratio(a, b):
    a, b = num(a), num(b)
    if a is None or b is None or b == 0:
        return None
    return a / b


def text_table(header, rows, left=2):
    cells = [list(map(str, header))] + [list(map(str, r)) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for j, r in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i < left else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def md_table(header, rows, left=2):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" if i < left else "---:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    return "\n".join(out)


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if len(sys.argv) == 2 else 2)
    out = Path(sys.argv[1])
    if not out.is_dir():
        sys.exit(f"report.py: not a directory: {out}")

    tep = (read_csv(out / "tep.csv", TEP_COLUMNS, "faultline")
           + read_csv(out / "tep_peers.csv", TEP_COLUMNS, "peer"))
    thr = (read_csv(out / "throughput.csv", THROUGHPUT_COLUMNS, "faultline")
           + read_csv(out / "throughput_peers.csv", THROUGHPUT_COLUMNS, "peer"))

    skab = (read_csv(out / "skab.csv", SKAB_COLUMNS, "faultline")
            + read_csv(out / "skab_peers.csv", SKAB_COLUMNS, "peer"))
    skab_header = ["method", "source", "f1", "far", "mar"]
    skab_rows = [[r.get("method", ""), r["source"], f"{num(r.get('f1')):.3f}"
                  if num(r.get("f1")) is not None else "", f2(r.get("far")), f2(r.get("mar"))]
                 for r in sorted(skab, key=lambda r: -(num(r.get("f1")) or 0.0))]

    # ---- (a) TEP --------------------------------------------------------------------------
    ref = next((r for r in tep if (r.get("method"), r.get("limit")) == TEP_REF), None)
    if ref is None and tep:
        warnings.append(f"reference row {TEP_REF[0]}/{TEP_REF[1]} not found: no fdr17 ratio")
    tep_header = ["method", "limit", "source", "far_d00te", "far_pre", "fdr17", "fdr21",
                  "delay_median", f"fdr17 / {TEP_REF[0]} {TEP_REF[1]}"]
    tep_rows = []
    for r in tep:
        q = ratio(r.get("fdr17"), ref.get("fdr17")) if ref else None
        tep_rows.append([r.get("method", ""), r.get("limit", ""), r["source"],
                         f2(r.get("far_d00te")), f2(r.get("far_pre")), f2(r.get("fdr17")),
                         f2(r.get("fdr21")), fg(r.get("delay_median")),
                         "" if q is None else f"{q:.3f}"])

    # ---- (b) throughput -----------------------------------------------------------------------
    thr_header = ["method", "mode", "source", "samples", "seconds", "samples_per_s"]
    thr_rows = [[r.get("method", ""), r.get("mode", ""), r["source"], r.get("samples", ""),
                 f"{num(r.get('seconds')):.3f}" if num(r.get("seconds")) is not None else "",
                 f"{num(r.get('samples_per_s')):,.0f}"
                 if num(r.get("samples_per_s")) is not None else ""]
                for r in thr]

    def rate(method, mode, source):
        r = next((r for r in thr if r.get("method") == method and r.get("mode") == mode
                  and r["source"] == source), None)
        return r.get("samples_per_s") if r else None

    ratio_header = ["comparison", "faultline samples/s", "peer samples/s", "ratio"]
    ratio_rows = []
    for label, (nm, nmode), (dm, dmode) in THROUGHPUT_RATIOS:
        a, b = rate(nm, nmode, "faultline"), rate(dm, dmode, "peer")
        q = ratio(a, b)
        ratio_rows.append([label,
                           f"{num(a):,.0f}" if num(a) is not None else "n/a",
                           f"{num(b):,.0f}" if num(b) is not None else "n/a",
                           f"{q:.2f}x" if q is not None else "n/a"])

    # ---- print + summary.md -----------------------------------------------------------------
    title = f"faultline benchmark report: {out}"
    print(title)
    print()
    print("(a) TEP fault detection (rates in %, delay in samples of 3 min; "
          "delay_median over the fdr17 faults with a defined delay)")
    print(text_table(tep_header, tep_rows, left=3) if tep_rows else "  (no TEP results)")
    print()
    print("(b) scoring throughput (single thread)")
    print(text_table(thr_header, thr_rows, left=3) if thr_rows else "  (no throughput results)")
    print()
    print(text_table(ratio_header, ratio_rows, left=1))
    print()
    print("(c) SKAB outlier detection (leaderboard protocol; FAR and MAR in %; sorted by F1)")
    print(text_table(skab_header, skab_rows, left=2) if skab_rows else "  (no SKAB results)")
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)

    md = ["# faultline benchmark summary", "",
          f"Run directory: `{out}`  ",
          f"Report written: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}", ""]
    machine = out / "machine.txt"
    if machine.is_file():
        md += ["## Machine", "", "```", machine.read_text().rstrip(), "```", ""]
    md += ["## (a) TEP fault detection", "",
           "Protocol: `shared/data/tep/PROTOCOL.md`; fit and limits from `d00.dat` only. "
           "Rates in %; `far_d00te` = alarms on all 960 rows of `d00_te.dat`; `far_pre` = alarms "
           "on rows 1-160 of the 21 fault test files; `fdr17` = mean FDR (rows 161-960) over "
           "faults 1-21 without 3, 9, 15, 21; `fdr21` = over all 21; `delay_median` = median "
           "delay (samples from row 161 to the first of 3 consecutive alarms) over the fdr17 "
           "faults whose delay is defined. Ratio column: fdr17 relative to "
           f"`{TEP_REF[0]}` / `{TEP_REF[1]}`.", ""]
    md += [md_table(tep_header, tep_rows, left=3) if tep_rows else "(no TEP results)", ""]
    md += ["## (b) Scoring throughput (single thread)", "",
           md_table(thr_header, thr_rows, left=3) if thr_rows else "(no throughput results)",
           "", md_table(ratio_header, ratio_rows, left=1), ""]
    md += ["## (c) SKAB outlier detection", "",
           "Protocol: `shared/data/skab/README.md` (leaderboard): per labelled file, fit on the "
           "first 400 rows, verdicts on the rest, pooled over the 34 files. "
           "F1 = TP / (TP + (FN + FP) / 2); FAR and MAR in %.", "",
           md_table(skab_header, skab_rows, left=2) if skab_rows else "(no SKAB results)", ""]
    if warnings:
        md += ["## Warnings", ""] + [f"- {w}" for w in warnings] + [""]
    (out / "summary.md").write_text("\n".join(md))
    print(f"\nwrote {out / 'summary.md'}")


if __name__ == "__main__":
    main()
