-- Time the point-in-commune spatial join in PostGIS, single worker.
-- psql variables: runs, plan_file, communes_load_ms, points_load_ms.
-- Prints one JSON object (run psql with -A -t).  Used by scripts/bench-locate.sh.

-- One worker, as for every other tool in the comparison.
SET max_parallel_workers_per_gather = 0;

-- Runs a query returning one bigint and times it on the server
-- (clock_timestamp), so psql and the connection are not in the figure.
-- `run` only numbers the runs; it also makes each call depend on its row of
-- generate_series, so the planner cannot evaluate the call once and reuse it.
CREATE FUNCTION pg_temp.timed(q text, run int, OUT ms double precision, OUT n bigint) AS $$
DECLARE
    t0 timestamptz;
BEGIN
    t0 := clock_timestamp();
    EXECUTE q INTO n;
    ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
    IF run > 0 THEN
        RAISE NOTICE 'join run %: % ms, % rows', run, round(ms::numeric), n;
    END IF;
END
$$ LANGUAGE plpgsql;

\set join_sql 'SELECT count(*) FROM points p JOIN communes c ON ST_Intersects(c.geom, p.geom)'
-- Distinct points inside at least one commune (untimed, for the answer check).
\set inside_sql 'SELECT count(*) FROM points p WHERE EXISTS (SELECT 1 FROM communes c WHERE ST_Intersects(c.geom, p.geom))'

-- Keep the plan next to the report, so the figure can be interpreted.
\o :plan_file
EXPLAIN (COSTS OFF) :join_sql;
\o

CREATE TEMP TABLE runs AS
    SELECT r, t.ms, t.n
    FROM generate_series(1, :runs) AS r, LATERAL pg_temp.timed(:'join_sql', r) AS t;

SELECT json_build_object(
    'tool', 'postgis',
    'points', (SELECT count(*) FROM points),
    'communes', (SELECT count(*) FROM communes),
    'runs', :runs,
    'join_ms_all', (SELECT json_agg(ms ORDER BY r) FROM runs),
    'join_ms_best', (SELECT min(ms) FROM runs),
    'join_mpts_best', (SELECT count(*) FROM points) / (SELECT min(ms) FROM runs) / 1000.0,
    'rows', (SELECT max(n) FROM runs),
    'inside', (SELECT n FROM pg_temp.timed(:'inside_sql', 0)),
    'communes_load_index_ms', :communes_load_ms,
    'points_copy_ms', :points_load_ms,
    -- Peak resident set of this backend (includes the shared buffers it
    -- touched), read from the server process's own /proc entry.
    'backend_peak_rss_mb',
        (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+) kB'))[1]::bigint / 1024.0,
    'versions', json_build_object(
        'postgresql', current_setting('server_version'),
        'postgis', postgis_lib_version(),
        'geos', postgis_geos_version())
);
