-- Load the communes into PostGIS and index them (GiST).
-- Input on psql's stdin: COPY text rows `pcode<TAB>GeoJSON geometry`
-- (see communes_tsv.py).  Used by scripts/bench-locate.sh.
SET client_min_messages = warning;
DROP TABLE IF EXISTS communes;
CREATE TEMP TABLE communes_raw (pcode text, geojson text);
\copy communes_raw FROM pstdin
CREATE TABLE communes AS
    SELECT pcode,
           ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326))::geometry(MultiPolygon, 4326) AS geom
    FROM communes_raw;
CREATE INDEX communes_geom_gist ON communes USING gist (geom);
ANALYZE communes;
