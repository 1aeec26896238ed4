-- Load the benchmark points (CSV id,longitude,latitude on psql's stdin).
-- The geometry column is computed during COPY by
-- ST_SetSRID(ST_MakePoint(longitude, latitude), 4326).
-- Used by scripts/bench-locate.sh.
SET client_min_messages = warning;
DROP TABLE IF EXISTS points;
CREATE TABLE points (
    id        bigint,
    longitude double precision,
    latitude  double precision,
    geom      geometry(Point, 4326)
              GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)) STORED
);
\copy points (id, longitude, latitude) FROM pstdin WITH (FORMAT csv, HEADER true)
ANALYZE points;
