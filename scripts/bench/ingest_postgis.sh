#!/usr/bin/env bash
# PostGIS peer for `scripts/bench-ingest.sh` (sourced after lib.sh and start_cluster):
# COPY of the whole ACLED file into a table, point construction with ST_MakePoint and a
# GiST index, each step timed; the communes join is timed too (ST_Intersects, GiST on the
# communes), as that is the part Vigie's "locate" does. Writes JSON to $1.
# shellcheck shell=bash

postgis_ingest() {
    local events_csv=$1 out=$2 header columns
    header=$(head -n 1 "$events_csv" | tr -d '\r')
    # Typed where ACLED's columns are numbers, text elsewhere: what a careful loader does.
    columns=$(printf '%s\n' "$header" | tr ',' '\n' | while read -r name; do
        case "$name" in
            latitude|longitude) printf '%s double precision,\n' "$name" ;;
            fatalities|year|time_precision|inter1|inter2|interaction|iso|geo_precision) printf '%s integer,\n' "$name" ;;
            timestamp) printf '"timestamp" bigint,\n' ;;
            event_date) printf '%s date,\n' "$name" ;;
            *) printf '%s text,\n' "$name" ;;
        esac
    done | sed '$ s/,$//')
    "${PSQL[@]}" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS postgis' \
        -c 'DROP TABLE IF EXISTS acled_events' -c "CREATE UNLOGGED TABLE acled_events ($columns)"

    local t0 copy_ms point_ms index_ms join_ms inside
    t0=$(now_ms)
    "${PSQL[@]}" -c "\\copy acled_events FROM '$events_csv' WITH (FORMAT csv, HEADER true)"
    copy_ms=$(( $(now_ms) - t0 ))

    t0=$(now_ms)
    "${PSQL[@]}" -c 'ALTER TABLE acled_events ADD COLUMN geom geometry(Point, 4326)' \
        -c 'UPDATE acled_events SET geom = ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)'
    point_ms=$(( $(now_ms) - t0 ))

    t0=$(now_ms)
    "${PSQL[@]}" -c 'CREATE INDEX acled_events_geom ON acled_events USING gist (geom)' \
        -c 'ANALYZE acled_events'
    index_ms=$(( $(now_ms) - t0 ))

    t0=$(now_ms)
    inside=$("${PSQL[@]}" -A -t -c 'SELECT count(DISTINCT e.event_id_cnty) FROM acled_events e JOIN communes c ON ST_Intersects(c.geom, e.geom)')
    join_ms=$(( $(now_ms) - t0 ))

    local rows
    rows=$("${PSQL[@]}" -A -t -c 'SELECT count(*) FROM acled_events')
    printf '{"tool":"postgis","rows":%s,"copy_ms":%s,"points_ms":%s,"gist_ms":%s,"join_ms":%s,"inside":%s,"version":"%s"}\n' \
        "$rows" "$copy_ms" "$point_ms" "$index_ms" "$join_ms" "$inside" \
        "$("${PSQL[@]}" -A -t -c 'SELECT postgis_lib_version()')" > "$out"
    echo "  COPY ${copy_ms} ms, points ${point_ms} ms, GiST ${index_ms} ms, communes join ${join_ms} ms" >&2
}
