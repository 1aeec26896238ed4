#!/usr/bin/env python3
"""Python peers for `scripts/bench-locate.sh`: GeoPandas and shapely 2.

Run one tool per process so that each gets its own peak-RSS figure:

    peers.py --tool geopandas --communes FILE.geojson --points FILE.csv
    peers.py --tool shapely   --communes FILE.geojson --points FILE.csv

Prints one JSON object on stdout; progress goes to stderr.  The caller pins the
process to one core (taskset) and sets the BLAS/OpenMP thread variables to 1;
GEOS itself is single-threaded.

Every timed figure is the best of --runs runs.  "inside" is the number of
distinct points that fell within at least one commune ("rows" also counts a
point once per commune it matched, which only differs where communes overlap).
"""

import argparse
import gc
import json
import platform
import resource
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree


def log(msg):
    print(f"  [{ARGS.tool}] {msg}", file=sys.stderr, flush=True)


def peak_rss_mb():
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def read_points_frame(path):
    return pd.read_csv(
        path, dtype={"id": "int64", "longitude": "float64", "latitude": "float64"}
    )


def load_communes(path):
    t0 = time.perf_counter()
    communes = gpd.read_file(path)[["admin3Pcod", "geometry"]]
    ms = (time.perf_counter() - t0) * 1000
    return communes, ms


def bench_geopandas(args):
    communes, load_ms = load_communes(args.communes)
    log(f"{len(communes)} communes read in {load_ms:.0f} ms")

    sjoin_s, full_s = [], []
    n_points = inside = rows = None
    for run in range(args.runs):
        gc.collect()
        # A fresh GeoDataFrame each run: GeoPandas caches the spatial index of
        # a frame, and sjoin(predicate="within") builds it on the *points*
        # (it queries the communes with the inverse predicate "contains").
        # Reusing the frame would hide that build from runs 2 and 3.
        t0 = time.perf_counter()
        df = read_points_frame(args.points)
        points = gpd.GeoDataFrame(
            df[["id"]],
            geometry=gpd.points_from_xy(df["longitude"], df["latitude"]),
            crs="EPSG:4326",
        )
        t1 = time.perf_counter()
        joined = gpd.sjoin(points, communes, predicate="within")
        t2 = time.perf_counter()
        sjoin_s.append(t2 - t1)
        full_s.append(t2 - t0)
        n_points = len(points)
        rows = len(joined)
        inside = int(joined.index.nunique())
        log(
            f"run {run + 1}: read+xy {1000 * (t1 - t0):.0f} ms, "
            f"sjoin {1000 * (t2 - t1):.0f} ms, {inside} inside"
        )
        del joined, points, df

    # The index GeoPandas builds inside sjoin, timed on its own: an STRtree
    # over the points (construction is lazy in GEOS, so one query forces it).
    df = read_points_frame(args.points)
    points = gpd.GeoDataFrame(
        df[["id"]], geometry=gpd.points_from_xy(df["longitude"], df["latitude"])
    )
    t0 = time.perf_counter()
    points.sindex.query(shapely.box(0, 0, 0, 0))
    points_tree_ms = (time.perf_counter() - t0) * 1000

    best_sjoin, best_full = min(sjoin_s), min(full_s)
    return {
        "tool": "geopandas",
        "points": n_points,
        "runs": args.runs,
        "communes_load_ms": load_ms,
        "sjoin_s_best": best_sjoin,
        "sjoin_s_all": sjoin_s,
        "sjoin_mpts_best": n_points / best_sjoin / 1e6,
        "full_s_best": best_full,
        "full_s_all": full_s,
        "full_mpts_best": n_points / best_full / 1e6,
        "points_tree_build_ms": points_tree_ms,
        "inside": inside,
        "rows": rows,
        "peak_rss_mb": peak_rss_mb(),
    }


def bench_shapely(args):
    communes, load_ms = load_communes(args.communes)
    log(f"{len(communes)} communes read in {load_ms:.0f} ms")
    polygons = communes.geometry.values

    t0 = time.perf_counter()
    df = read_points_frame(args.points)
    t1 = time.perf_counter()
    points_array = shapely.points(df[["longitude", "latitude"]].to_numpy())
    t2 = time.perf_counter()
    read_ms, make_points_ms = (t1 - t0) * 1000, (t2 - t1) * 1000
    n_points = len(points_array)
    log(f"{n_points} points: read {read_ms:.0f} ms, shapely.points {make_points_ms:.0f} ms")

    build_s, query_s = [], []
    inside = rows = None
    for run in range(args.runs):
        gc.collect()
        t0 = time.perf_counter()
        tree = STRtree(polygons)
        # GEOS packs the tree lazily on the first query; force it here so the
        # build is not charged to the timed bulk query.
        tree.query(shapely.box(0, 0, 0, 0))
        t1 = time.perf_counter()
        # Bulk query: pairs (point index, commune index) such that the point
        # is within the commune.
        pairs = tree.query(points_array, predicate="within")
        t2 = time.perf_counter()
        build_s.append(t1 - t0)
        query_s.append(t2 - t1)
        rows = int(pairs.shape[1])
        inside = int(np.unique(pairs[0]).size)
        log(
            f"run {run + 1}: STRtree build {1000 * (t1 - t0):.1f} ms, "
            f"query {1000 * (t2 - t1):.0f} ms, {inside} inside"
        )
        del pairs, tree

    best_query = min(query_s)
    with_points_s = best_query + (read_ms + make_points_ms) / 1000
    return {
        "tool": "shapely",
        "points": n_points,
        "runs": args.runs,
        "communes_load_ms": load_ms,
        "read_csv_ms": read_ms,
        "make_points_ms": make_points_ms,
        "strtree_build_ms_best": 1000 * min(build_s),
        "query_s_best": best_query,
        "query_s_all": query_s,
        "query_mpts_best": n_points / best_query / 1e6,
        "read_points_query_mpts": n_points / with_points_s / 1e6,
        "inside": inside,
        "rows": rows,
        "peak_rss_mb": peak_rss_mb(),
    }


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", choices=["geopandas", "shapely"], required=True)
    parser.add_argument("--communes", required=True)
    parser.add_argument("--points", required=True)
    parser.add_argument("--runs", type=int, default=3)
    ARGS = parser.parse_args()

    result = bench_geopandas(ARGS) if ARGS.tool == "geopandas" else bench_shapely(ARGS)
    result["versions"] = {
        "python": platform.python_version(),
        "geopandas": gpd.__version__,
        "shapely": shapely.__version__,
        "GEOS (shapely)": shapely.geos_version_string,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
