#!/usr/bin/env python3
"""The table of `scripts/bench-hotspots.sh`: Vigie's ST-DBSCAN against scikit-learn."""

import argparse
import json
import os
import platform


def read(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--pinned", default="?")
    parser.add_argument("--load-at-start", default="?")
    parser.add_argument("--out-txt", required=True)
    parser.add_argument("--out-json", required=True)
    args = parser.parse_args()

    lines = []
    say = lines.append
    rows = []
    say("Hotspots benchmark — one thread each (pinned: %s), load average at start %s, %s"
        % (args.pinned, args.load_at_start, platform.processor() or platform.machine()))
    say("DBSCAN on the sphere, same eps and min points; scikit-learn: haversine, ball tree.")
    say("")
    say("%9s  %-26s %9s %10s %9s  %s" % ("points", "tool", "seconds", "peak MB", "clusters", "agreement / ratio"))
    for size in args.sizes.split():
        vigie = read(os.path.join(args.work, "figures-vigie-%s.json" % size))
        space_time = read(os.path.join(args.work, "figures-vigie-st-%s.json" % size))
        sklearn = read(os.path.join(args.work, "figures-sklearn-%s.json" % size))
        row = {"points": int(size), "vigie": vigie, "vigie_space_time": space_time, "sklearn": sklearn}
        if vigie:
            say("%9s  %-26s %9.2f %10.0f %9d" % (size, "vigie (spatial only)", vigie["cluster_seconds"],
                                                 vigie["peak_rss_mb"], vigie["clusters"]))
        if sklearn and "failed" not in sklearn:
            agreement = sklearn.get("agreement", {})
            say("%9s  %-26s %9.2f %10.0f %9d  core diff %s, noise diff %s, same partition %s" % (
                size, "scikit-learn " + sklearn.get("version", ""), sklearn["cluster_seconds"],
                sklearn["peak_rss_mb"], sklearn["clusters"], agreement.get("core_mismatches"),
                agreement.get("noise_mismatches"), agreement.get("same_core_partition")))
            if vigie:
                speed = sklearn["cluster_seconds"] / vigie["cluster_seconds"]
                memory = sklearn["peak_rss_mb"] / vigie["peak_rss_mb"]
                row["speedup"] = speed
                row["memory_ratio"] = memory
                say("%9s  %-26s %9s %10s %9s  %.1fx faster, %.1fx less peak memory (goal 5x, 5x)" % (
                    "", "", "", "", "", speed, memory))
        elif sklearn:
            say("%9s  %-26s %s" % (size, "scikit-learn", sklearn["failed"]))
        if space_time:
            say("%9s  %-26s %9.2f %10.0f %9d  (%s km, %s days: the real problem)" % (
                size, "vigie (space–time)", space_time["cluster_seconds"], space_time["peak_rss_mb"],
                space_time["clusters"], space_time["eps_km"], space_time["eps_days"]))
        rows.append(row)
    gi = read(os.path.join(args.work, "gi.json"))
    if gi:
        say("")
        say("Gi* over %d communes (%d neighbour pairs): %.3f ms median, %.3f ms max; adjacency %.1f ms"
            % (gi["communes"], gi["neighbour_pairs"], gi["gi_ms_median"], gi["gi_ms_max"],
               gi["adjacency_ms_median"]))
    text = "\n".join(lines)
    print(text)
    with open(args.out_txt, "w") as handle:
        handle.write(text + "\n")
    with open(args.out_json, "w") as handle:
        json.dump({"sizes": rows, "gi": gi}, handle, indent=2)


if __name__ == "__main__":
    main()
