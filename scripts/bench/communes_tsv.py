#!/usr/bin/env python3
"""Turn the communes GeoJSON into COPY text rows: `pcode<TAB>geometry-as-GeoJSON`.

Standard library only, so PostGIS can be loaded without GDAL/ogr2ogr: the SQL
side turns each geometry into PostGIS with ST_GeomFromGeoJSON.

    communes_tsv.py FILE.geojson [PCODE_PROPERTY] | psql -c '\\copy t FROM pstdin'
"""

import json
import sys


def copy_text(value):
    # COPY's text format treats backslash, tab, CR and LF specially.
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def main():
    path = sys.argv[1]
    key = sys.argv[2] if len(sys.argv) > 2 else "admin3Pcod"
    with open(path, encoding="utf-8") as f:
        collection = json.load(f)
    out = sys.stdout
    for feature in collection["features"]:
        pcode = str(feature["properties"][key])
        geometry = json.dumps(feature["geometry"], separators=(",", ":"))
        out.write(f"{copy_text(pcode)}\t{copy_text(geometry)}\n")


if __name__ == "__main__":
    main()
