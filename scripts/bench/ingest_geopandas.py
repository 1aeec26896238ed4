#!/usr/bin/env python3
"""GeoPandas peer for `scripts/bench-ingest.sh`: the same ACLED file, read and joined.

    ingest_geopandas.py --communes FILE.geojson --events FILE.csv [--runs N]

Times `pandas.read_csv` of the whole file (every column, as an analyst would load it),
`geopandas.points_from_xy` on longitude/latitude, and `geopandas.sjoin` with the communes
(predicate "within"). Prints one JSON object on stdout; progress goes to stderr. The caller
pins the process to one core. Figures are the best of --runs runs.
"""

import argparse
import gc
import json
import os
import resource
import sys
import time

import geopandas as gpd
import pandas as pd


def log(message):
    print(f"  [geopandas] {message}", file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--communes", required=True)
    parser.add_argument("--events", required=True)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    communes = gpd.read_file(args.communes)[["admin3Pcod", "geometry"]]
    size_mb = os.path.getsize(args.events) / 1e6
    runs = []
    rows = inside = None
    for run in range(args.runs):
        gc.collect()
        t0 = time.perf_counter()
        frame = pd.read_csv(args.events, low_memory=False)
        t1 = time.perf_counter()
        points = gpd.GeoDataFrame(
            frame,
            geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]),
            crs="EPSG:4326",
        )
        t2 = time.perf_counter()
        joined = gpd.sjoin(points, communes, predicate="within", how="left")
        t3 = time.perf_counter()
        rows = len(frame)
        inside = int(joined["admin3Pcod"].notna().sum())
        runs.append({"read_csv_s": t1 - t0, "points_s": t2 - t1, "sjoin_s": t3 - t2, "total_s": t3 - t0})
        log(
            f"run {run + 1}: read_csv {t1 - t0:.2f} s, points_from_xy {t2 - t1:.2f} s, "
            f"sjoin {t3 - t2:.2f} s, {inside} of {rows} rows in a commune"
        )
        del joined, points, frame

    best = min(runs, key=lambda r: r["total_s"])
    print(
        json.dumps(
            {
                "tool": "geopandas",
                "rows": rows,
                "file_mb": size_mb,
                "inside": inside,
                "read_csv_mb_per_s": size_mb / best["read_csv_s"],
                "rows_per_s": rows / best["total_s"],
                "best": best,
                "runs": runs,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                "geopandas": gpd.__version__,
                "pandas": pd.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
