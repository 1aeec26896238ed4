#!/usr/bin/env python3
"""Checks every collection of a running Vigie server against RFC 7946 (GeoJSON).

    check-geojson.py BASE_URL --key RESEARCHER_KEY [--pages 3] [--limit 50]

For each collection it fetches pages of items (anonymously for the public ones, with the key
for every one), follows up to --pages `next` links, and checks each FeatureCollection and one
single Feature per collection:

* the structure, with geojson-pydantic's models (member types, positions of 2 or 3 numbers,
  linear rings closed and of 4 positions or more, bbox ordering);
* what those models leave out but RFC 7946 requires of a producer: exterior rings
  counterclockwise and holes clockwise (section 3.1.6), longitudes and latitudes in range
  (WGS 84, section 4), no `crs` member (section 4 removed it), and the
  `application/geo+json` media type (section 12).

It also checks the access rule the API promises: anonymous `/collections` lists only the
public collections, the key's listing adds the keyed ones, and keyed items answer 401 without
the key. Prints one line per failure and ends with `geojson: N passed, M failed`; exits 1 on
any failure. Uses the standard library and geojson-pydantic only.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

from geojson_pydantic import Feature, FeatureCollection
from pydantic import ValidationError

GEOJSON = "application/geo+json"
KEYED = {"events", "reports"}


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.pages = 0
        self.features = 0

    def check(self, ok: bool, what: str, why: str = "") -> bool:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}: {why}", flush=True)
        return ok


def fetch(url: str, key: str | None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": GEOJSON})
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def ring_area2(ring: list) -> float:
    """Twice the signed area (shoelace): positive when counterclockwise."""
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:]))


def polygons(geometry: dict) -> list:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["coordinates"]]
    if kind == "MultiPolygon":
        return geometry["coordinates"]
    if kind == "GeometryCollection":
        return [p for g in geometry.get("geometries", []) for p in polygons(g)]
    return []


def positions(value):
    """Every position in a coordinates array, however nested."""
    if value and isinstance(value[0], (int, float)):
        yield value
    else:
        for item in value:
            yield from positions(item)


def geometry_problems(geometry: dict | None) -> list[str]:
    if geometry is None:
        return []
    problems = []
    if geometry.get("type") == "GeometryCollection":
        for member in geometry.get("geometries", []):
            problems += geometry_problems(member)
        return problems
    for lon, lat, *_ in positions(geometry.get("coordinates", [])):
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            problems.append(f"position ({lon}, {lat}) is outside WGS 84 longitude/latitude")
            break
    for polygon in polygons(geometry):
        for index, ring in enumerate(polygon):
            area = ring_area2(ring)
            # A degenerate ring has no orientation; the models already refuse short rings.
            if area == 0:
                continue
            exterior = index == 0
            if exterior and area < 0:
                problems.append("an exterior ring is clockwise (RFC 7946 3.1.6: counterclockwise)")
            if not exterior and area > 0:
                problems.append("a hole is counterclockwise (RFC 7946 3.1.6: clockwise)")
    return problems


def check_feature_members(report: Report, what: str, feature: dict) -> None:
    report.check("crs" not in feature, what, "has a `crs` member (removed by RFC 7946)")
    problems = geometry_problems(feature.get("geometry"))
    report.check(not problems, what, "; ".join(problems[:3]))


def check_page(report: Report, what: str, status: int, media: str, body: bytes) -> dict | None:
    if not report.check(status == 200, what, f"answered {status}"):
        return None
    report.check(media.split(";")[0].strip() == GEOJSON, what, f"media type {media!r}")
    try:
        FeatureCollection.model_validate_json(body)
    except ValidationError as error:
        report.check(False, what, f"not an RFC 7946 FeatureCollection: {error}")
        return None
    document = json.loads(body)
    report.pages += 1
    report.features += len(document["features"])
    report.check("crs" not in document, what, "has a `crs` member (removed by RFC 7946)")
    for feature in document["features"]:
        check_feature_members(report, f"{what} feature {feature.get('id')}", feature)
    return document


def listed_ids(report: Report, base: str, key: str | None) -> list[str]:
    request = urllib.request.Request(f"{base}/collections", headers={"Accept": "application/json"})
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return [collection["id"] for collection in json.load(response)["collections"]]
    except urllib.error.HTTPError as error:
        report.check(False, f"/collections ({'key' if key else 'anonymous'})", f"answered {error.code}")
        return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("--key", required=True, help="a researcher (or higher) API key")
    parser.add_argument("--pages", type=int, default=3, help="pages per collection")
    parser.add_argument("--limit", type=int, default=50, help="items per page")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    report = Report()

    public = listed_ids(report, base, None)
    keyed = listed_ids(report, base, args.key)
    report.check(not KEYED & set(public), "anonymous /collections", f"lists keyed collections: {sorted(KEYED & set(public))}")
    report.check(KEYED <= set(keyed), "keyed /collections", f"misses keyed collections: {sorted(KEYED - set(keyed))}")
    report.check(set(public) <= set(keyed), "keyed /collections", "misses public collections")

    for collection in keyed:
        items = f"{base}/collections/{collection}/items?limit={args.limit}"
        callers = [("key", args.key)]
        if collection in public:
            callers.insert(0, ("anonymous", None))
        else:
            status, _, _ = fetch(items, None)
            report.check(status == 401, f"{collection} items without a key", f"answered {status}, not 401")
        for caller, key in callers:
            url = items
            first_id = None
            features_before = report.features
            for page in range(1, args.pages + 1):
                what = f"{collection} ({caller}) page {page}"
                document = check_page(report, what, *fetch(url, key))
                if document is None:
                    break
                if first_id is None and document["features"]:
                    first_id = document["features"][0].get("id")
                following = [link["href"] for link in document.get("links", []) if link.get("rel") == "next"]
                if not following:
                    break
                url = following[0]
            print(f"{collection} ({caller}): {report.features - features_before} features", flush=True)
            if first_id is None:
                continue
            what = f"{collection} ({caller}) item {first_id}"
            feature_url = f"{base}/collections/{collection}/items/{urllib.parse.quote(str(first_id), safe='')}"
            status, media, body = fetch(feature_url, key)
            if not report.check(status == 200, what, f"answered {status}"):
                continue
            report.check(media.split(";")[0].strip() == GEOJSON, what, f"media type {media!r}")
            try:
                Feature.model_validate_json(body)
            except ValidationError as error:
                report.check(False, what, f"not an RFC 7946 Feature: {error}")
                continue
            check_feature_members(report, what, json.loads(body))

    print(
        f"validated {report.features} features on {report.pages} pages of {len(keyed)} collections",
        flush=True,
    )
    print(f"geojson: {report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
