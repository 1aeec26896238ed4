#!/usr/bin/env python3
"""Comparison table for `scripts/bench-ingest.sh` (standard library only)."""

import argparse
import json
from pathlib import Path

TARGET_ROWS_PER_S = 200_000
TARGET_PARSE_MB_PER_S = 300


def load(path):
    path = Path(path)
    if path.is_file() and path.stat().st_size > 0:
        return json.loads(path.read_text(encoding="utf-8"))
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", required=True)
    parser.add_argument("--load-at-start", default="?")
    parser.add_argument("--pinned", default="?")
    parser.add_argument("--out-txt", required=True)
    parser.add_argument("--out-json", required=True)
    args = parser.parse_args()
    bench = Path(args.bench)
    vigie = load(bench / "ingest-vigie.json")
    geopandas = load(bench / "ingest-geopandas.json")
    postgis = load(bench / "ingest-postgis.json")
    if vigie is None:
        raise SystemExit("no Vigie figures: the Vigie step failed")

    rows = vigie["rows"]
    lines = [
        f"Ingestion of {rows:,} generated ACLED rows ({vigie['file_mb']:.0f} MB), one core "
        f"(pinned: {args.pinned}; load average at start {args.load_at_start})",
        "",
        f"{'tool':<44}{'rows/s':>12}{'vs Vigie':>10}",
    ]

    def line(label, rate):
        ratio = vigie["ingest_rows_per_s"] / rate if rate else float("nan")
        lines.append(f"{label:<44}{rate:>12,.0f}{ratio:>9.1f}x")

    line("Vigie parse+validate+locate+store (SQLite)", vigie["ingest_rows_per_s"])
    lines.append(f"{'Vigie re-import, all unchanged':<44}{vigie['reimport_rows_per_s']:>12,.0f}")
    if geopandas:
        line("GeoPandas read_csv+points_from_xy+sjoin", geopandas["rows_per_s"])
    if postgis:
        total_ms = postgis["copy_ms"] + postgis["points_ms"] + postgis["gist_ms"]
        line("PostGIS COPY+ST_MakePoint+GiST", postgis["rows"] / (total_ms / 1000))
        line(
            "PostGIS COPY+ST_MakePoint+GiST+communes join",
            postgis["rows"] / ((total_ms + postgis["join_ms"]) / 1000),
        )
    lines += [
        "",
        f"Parse only: Vigie {vigie['parse_mb_per_s']:.0f} MB/s ({vigie['parse_rows_per_s']:,.0f} rows/s)"
        + (
            f"; pandas.read_csv {geopandas['read_csv_mb_per_s']:.0f} MB/s"
            if geopandas
            else ""
        ),
        f"Targets: ingest >= {TARGET_ROWS_PER_S:,} rows/s "
        f"({'met' if vigie['ingest_rows_per_s'] >= TARGET_ROWS_PER_S else 'NOT met'}), "
        f"parse >= {TARGET_PARSE_MB_PER_S} MB/s "
        f"({'met' if vigie['parse_mb_per_s'] >= TARGET_PARSE_MB_PER_S else 'NOT met'})",
        f"Peak memory: Vigie {vigie.get('max_rss_mb') or float('nan'):.0f} MB"
        + (f", GeoPandas {geopandas['peak_rss_mb']:.0f} MB" if geopandas else ""),
    ]
    text = "\n".join(lines)
    print(text)
    Path(args.out_txt).write_text(text + "\n", encoding="utf-8")
    Path(args.out_json).write_text(
        json.dumps({"vigie": vigie, "geopandas": geopandas, "postgis": postgis}, indent=2) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
