#!/usr/bin/env python3
"""Comparison table for `scripts/bench-locate.sh` (standard library only).

Reads the JSON written by each tool's step (a missing file means the step was
skipped), prints the table and writes it, plus all raw figures, to
--out-txt / --out-json.
"""

import argparse
import json
import os
import platform
from pathlib import Path

# Figures quoted in the issue: 1 M points, one thread, this 2-core machine.
CALIBRATION = {
    "naive": 3.5,
    "geopandas_sjoin": 0.37,
    "shapely": 0.73,
    "postgis": 0.11,
}
GOALS = [("geopandas", "GeoPandas sjoin", 25.0), ("postgis", "PostGIS join", 80.0)]


def load(path):
    if path and Path(path).is_file() and Path(path).stat().st_size > 0:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return None


def machine_info():
    info = {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": "unknown",
        "kernel": platform.release(),
    }
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith("MemTotal"):
                info["mem_total_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
        info["loadavg_at_report"] = open("/proc/loadavg", encoding="utf-8").read().split()[:3]
    except OSError:
        pass
    return info


def busy_cores(start_path, end_path):
    """Average busy cores between two `cpu` lines of /proc/stat."""
    try:
        a = [int(x) for x in Path(start_path).read_text().split()[1:]]
        b = [int(x) for x in Path(end_path).read_text().split()[1:]]
    except (OSError, TypeError, ValueError):
        return None
    delta = [y - x for x, y in zip(a, b)]
    total = sum(delta[:8])  # user nice system idle iowait irq softirq steal
    idle = delta[3] + delta[4]
    if total <= 0:
        return None
    return (total - idle) / total * (os.cpu_count() or 1)


def fmt_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    # Text columns left-aligned, figures right-aligned.
    numeric = [all(_is_figure(r[i]) for r in rows) for i in range(len(header))]

    def line(cells):
        out = []
        for i, c in enumerate(cells):
            out.append(str(c).rjust(widths[i]) if numeric[i] else str(c).ljust(widths[i]))
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep] + [line(r) for r in rows])


def _is_figure(cell):
    s = str(cell).rstrip("x").replace(".", "", 1).replace("-", "", 1).replace("+", "", 1)
    return s.isdigit() or cell == "-"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vigie", required=True)
    p.add_argument("--vigie-after")
    p.add_argument("--geopandas")
    p.add_argument("--shapely")
    p.add_argument("--postgis")
    p.add_argument("--seed")
    p.add_argument("--pinned", default="no")
    p.add_argument("--vigie-version", default="")
    p.add_argument("--load-at-start", default="?")
    p.add_argument("--cpu-start")
    p.add_argument("--cpu-end")
    p.add_argument("--out-txt", required=True)
    p.add_argument("--out-json", required=True)
    a = p.parse_args()

    vigie = load(a.vigie)
    gp, sh, pg = load(a.geopandas), load(a.shapely), load(a.postgis)
    vigie_after = load(a.vigie_after)
    machine = machine_info()
    machine["loadavg_at_start"] = a.load_at_start
    busy = busy_cores(a.cpu_start, a.cpu_end)
    machine["busy_cores_while_timing"] = busy
    best = vigie["locate_mpts_best"]

    def ratio(mpts):
        return f"{best / mpts:.1f}x" if mpts else "-"

    def mb(x):
        return f"{x:.0f} MB" if x is not None else "-"

    # (tool, what was timed, M pts/s, Vigie/peer, calibration, index build, peak memory)
    rows = []
    rows.append((
        "Vigie", "locate: commune+cercle+region+corridors (best pass)",
        f"{best:.2f}", "1.0x", "-",
        f"{vigie['build_ms_min']:.1f} ms", mb(vigie.get("max_rss_mb")),
    ))
    rows.append((
        "Vigie", "commune only (best pass)",
        f"{vigie['commune_only_mpts_best']:.2f}", ratio(vigie["commune_only_mpts_best"]), "-",
        f"{vigie['build_ms_min']:.1f} ms", mb(vigie.get("max_rss_mb")),
    ))
    if vigie.get("naive_mpts"):
        rows.append((
            "rstar + geo", "naive: envelope R-tree + geo Contains",
            f"{vigie['naive_mpts']:.2f}", ratio(vigie["naive_mpts"]),
            f"{CALIBRATION['naive']:.2f}", "-", "(vigie's)",
        ))
    if gp:
        tree = f"{gp['points_tree_build_ms']:.0f} ms (points tree, inside sjoin)"
        rows.append((
            "GeoPandas", "sjoin(points, communes, within)",
            f"{gp['sjoin_mpts_best']:.2f}", ratio(gp["sjoin_mpts_best"]),
            f"{CALIBRATION['geopandas_sjoin']:.2f}", tree, mb(gp["peak_rss_mb"]),
        ))
        rows.append((
            "GeoPandas", "read_csv + points_from_xy + sjoin",
            f"{gp['full_mpts_best']:.2f}", ratio(gp["full_mpts_best"]), "-",
            tree, mb(gp["peak_rss_mb"]),
        ))
    if sh:
        rows.append((
            "shapely 2", "STRtree.query(points, predicate=within), bulk",
            f"{sh['query_mpts_best']:.2f}", ratio(sh["query_mpts_best"]),
            f"{CALIBRATION['shapely']:.2f}",
            f"{sh['strtree_build_ms_best']:.1f} ms (STRtree)", mb(sh["peak_rss_mb"]),
        ))
    if pg:
        rows.append((
            "PostGIS", "JOIN ON ST_Intersects, GiST, 1 worker",
            f"{pg['join_mpts_best']:.2f}", ratio(pg["join_mpts_best"]),
            f"{CALIBRATION['postgis']:.2f}",
            f"{pg['communes_load_index_ms']:.0f} ms (load+GiST communes)",
            mb(pg["backend_peak_rss_mb"]) + " (backend)",
        ))
    header = ("tool", "what was timed", "M pts/s", "Vigie/peer", "issue calib.",
              "index build", "peak memory")

    # Answers: distinct points found inside a commune, against Vigie's `inside`.
    answers = [("Vigie", "locate", vigie["inside"], "-", "-")]
    for name, res, how in (("GeoPandas", gp, "within"), ("shapely 2", sh, "within"),
                           ("PostGIS", pg, "ST_Intersects")):
        if res:
            answers.append((name, how, res["inside"], f"{res['inside'] - vigie['inside']:+d}",
                            res["rows"]))
    answers_header = ("tool", "predicate", "points inside", "minus Vigie", "matched rows")

    goals = []
    for key, label, goal in GOALS:
        res = {"geopandas": gp, "postgis": pg}[key]
        if not res:
            continue
        peer = res["sjoin_mpts_best"] if key == "geopandas" else res["join_mpts_best"]
        achieved = best / peer
        goals.append({"peer": label, "goal": goal, "ratio": achieved, "met": achieved >= goal})

    n = vigie["points"]
    out = []
    out.append(f"Locate benchmark: {n:,} points (seed {a.seed}), one thread, pinned to a core: {a.pinned}")
    out.append(f"Machine: {machine['nproc']} cores available (nproc), CPU: {machine['cpu_model']}, "
               f"{machine.get('mem_total_gb', '?')} GB, Linux {machine['kernel']}, "
               f"load average {a.load_at_start} at start, {machine.get('loadavg_at_report', ['?'])[0]} at end")
    if busy is not None:
        verdict = ("nothing else ran on this machine" if busy < 1.25
                   else "OTHER WORK COMPETED: figures are low, rerun on a quiet machine")
        out.append(f"CPU while timing: {busy:.2f} busy cores on average "
                   f"(the benchmark itself uses 1): {verdict}")
    versions = [a.vigie_version] if a.vigie_version else []
    if gp or sh:
        versions += [f"{k} {v}" for k, v in (gp or sh)["versions"].items()]
    if pg:
        versions += [f"PostgreSQL {pg['versions']['postgresql']}",
                     f"PostGIS {pg['versions']['postgis']} (GEOS {pg['versions']['geos']})"]
    if versions:
        out.append("Versions: " + ", ".join(versions))
    out.append("")
    out.append(fmt_table(header, rows))
    out.append("")
    out.append("M pts/s = million points per second, best run; Vigie/peer uses Vigie's locate_mpts_best "
               f"({best:.2f}); 'issue calib.' = figure measured for the issue.")
    if pg:
        out.append(f"PostGIS: points COPY (geometry computed) + ANALYZE took {pg['points_copy_ms']:.0f} ms "
                   f"more; join runs {', '.join(f'{x:.0f}' for x in pg['join_ms_all'])} ms.")
    if gp:
        out.append(f"GeoPandas: communes read in {gp['communes_load_ms']:.0f} ms; "
                   f"Vigie load+build {vigie['load_and_build_ms']:.0f} ms.")
    if vigie_after:
        again = vigie_after["locate_mpts_best"]
        drift = (again - best) / best * 100
        out.append(f"Vigie re-run after the peers: {again:.2f} M pts/s ({drift:+.0f}%); "
                   + ("the machine's speed held." if abs(drift) <= 10 else
                      "the machine's speed drifted during the run: ratios are uncertain by about that much."))
    out.append("")
    out.append("Answers (distinct points inside a commune):")
    out.append(fmt_table(answers_header, answers))
    out.append(f"Vigie also snapped {vigie['snapped']:,} points to a commune, left {vigie['outside']:,} "
               f"outside; verified {vigie['verified']:,} against brute force, {vigie['mismatches']} mismatches.")
    out.append("Differences are expected only on boundaries (Vigie counts boundary points as inside; "
               "'within' does not) and overlaps (Vigie gives them to the smallest P-code).")
    if goals:
        out.append("")
        for g in goals:
            out.append(f"Goal Vigie >= {g['goal']:.0f}x {g['peer']}: {g['ratio']:.1f}x -> "
                       f"{'met' if g['met'] else 'NOT met'}")
    text = "\n".join(out) + "\n"
    print(text, end="")
    Path(a.out_txt).write_text(text, encoding="utf-8")

    report = {
        "points": n,
        "seed": a.seed,
        "pinned": a.pinned,
        "machine": machine,
        "vigie_version": a.vigie_version,
        "table": [dict(zip(header, r)) for r in rows],
        "answers": [dict(zip(answers_header, r)) for r in answers],
        "goals": goals,
        "raw": {"vigie": vigie, "vigie_after": vigie_after, "geopandas": gp, "shapely": sh, "postgis": pg},
    }
    Path(a.out_json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
