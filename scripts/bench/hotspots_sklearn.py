#!/usr/bin/env python3
"""scikit-learn's DBSCAN for `scripts/bench-hotspots.sh`.

    hotspots_sklearn.py --points FILE.csv --eps-km K --min-points M [--labels FILE]

Reads `longitude,latitude,day` rows (written by the `st_dbscan_bench` example), ignores the
day — scikit-learn's haversine DBSCAN is spatial only, so the Rust side runs the same
problem with every point on one day (`--spatial-only`) — and clusters with

    DBSCAN(eps=K / 6371.0088, min_samples=M, metric="haversine", algorithm="ball_tree")

on [latitude, longitude] in radians, one thread.  Prints one JSON object on stdout: time of
`fit`, clusters, noise, core points, peak RSS after loading and after clustering.  With
--labels (Vigie's `cluster,core` lines for the same points), also checks that both tools
found the same core points, the same noise and the same partition of the core points.
"""

import argparse
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.cluster import DBSCAN

EARTH_RADIUS_KM = 6371.0088


def peak_rss_mb():
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def compare(labels, core_mask, vigie_path):
    vigie = pd.read_csv(vigie_path, header=None, names=["cluster", "core"]).to_numpy()
    vigie_labels, vigie_core = vigie[:, 0], vigie[:, 1].astype(bool)
    core_mismatches = int(np.count_nonzero(vigie_core != core_mask))
    noise_mismatches = int(np.count_nonzero((vigie_labels < 0) != (labels < 0)))
    # Same partition of the points core in both: the pairs (vigie, sklearn) of cluster
    # numbers must be a one-to-one map.
    both = vigie_core & core_mask
    pairs = np.unique(np.stack([vigie_labels[both], labels[both]], axis=1), axis=0)
    one_to_one = len(pairs) == len(np.unique(pairs[:, 0])) == len(np.unique(pairs[:, 1]))
    return {
        "core_mismatches": core_mismatches,
        "noise_mismatches": noise_mismatches,
        "same_core_partition": bool(one_to_one),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", required=True)
    parser.add_argument("--eps-km", type=float, required=True)
    parser.add_argument("--min-points", type=int, required=True)
    parser.add_argument("--labels")
    args = parser.parse_args()

    t0 = time.perf_counter()
    frame = pd.read_csv(args.points, dtype={"longitude": "float64", "latitude": "float64"})
    coordinates = np.radians(frame[["latitude", "longitude"]].to_numpy())
    del frame
    load_seconds = time.perf_counter() - t0
    peak_after_load = peak_rss_mb()
    print(f"  [sklearn] {len(coordinates)} points loaded", file=sys.stderr, flush=True)

    model = DBSCAN(
        eps=args.eps_km / EARTH_RADIUS_KM,
        min_samples=args.min_points,
        metric="haversine",
        algorithm="ball_tree",
        n_jobs=1,
    )
    t0 = time.perf_counter()
    model.fit(coordinates)
    cluster_seconds = time.perf_counter() - t0
    labels = model.labels_
    core_mask = np.zeros(len(labels), dtype=bool)
    core_mask[model.core_sample_indices_] = True

    figures = {
        "tool": "scikit-learn",
        "version": sklearn.__version__,
        "points": int(len(labels)),
        "eps_km": args.eps_km,
        "min_points": args.min_points,
        "load_seconds": load_seconds,
        "cluster_seconds": cluster_seconds,
        "clusters": int(labels.max() + 1) if len(labels) else 0,
        "noise": int(np.count_nonzero(labels < 0)),
        "core": int(core_mask.sum()),
        "peak_rss_mb_after_load": peak_after_load,
        "peak_rss_mb": peak_rss_mb(),
    }
    if args.labels:
        figures["agreement"] = compare(labels, core_mask, args.labels)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
