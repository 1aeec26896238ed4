//! Criterion benchmark of imports: 200,000 ACLED events upserted in batches of 20,000, into
//! a fresh database, then the same file applied again (every event unchanged). Throughput is
//! in events per second.
//!
//! The events are what an import really hands the store: a synthetic current-vintage ACLED
//! file (`vigie_ingest::synthetic::generate_acled`, 31 columns a row) read by the ACLED
//! reader into memory, each event located in the Mali reference geography. Reading and
//! locating happen once, before measuring.
//!
//!     cargo bench -p vigie-store --bench apply_batch
//!
//! The PostgreSQL group runs when `VIGIE_TEST_POSTGRES_URL` names a server (each iteration
//! gets a new database on it): `export VIGIE_TEST_POSTGRES_URL=$(scripts/postgres-for-tests.sh)`.
//!
//! Under `cargo test` (no `--bench` argument) criterion runs each routine once; the data set
//! is then cut to 20,000 events so the check stays quick in a debug build.

use std::convert::Infallible;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::NaiveDate;
use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use vigie_domain::store::{ImportBatch, ImportStatus, Store};
use vigie_domain::{EventSource, ImportCounts};
use vigie_ingest::IngestOptions;
use vigie_ingest::synthetic::{GenerateOptions, generate_acled};
use vigie_spatial::{IndexOptions, SpatialIndex};
use vigie_store::{PostgresStore, SqliteStore};

static MALI: &[u8] = include_bytes!("../../../data/zones/mali-2015.vzs");

const BATCH_SIZE: usize = 20_000;

/// The batches of a generated ACLED file of `rows` rows, read and located.
fn acled_batches(rows: u64) -> Vec<ImportBatch> {
    let zones = vigie_spatial::codec::decode(MALI).expect("the embedded zone set decodes");
    let index = SpatialIndex::build(&zones, IndexOptions::default());
    let mut file = Vec::new();
    generate_acled(&zones, &GenerateOptions::new(rows, 7), &mut file)
        .expect("generating into memory cannot fail");
    let options = IngestOptions {
        batch_rows: BATCH_SIZE,
        ..IngestOptions::new(NaiveDate::from_ymd_opt(2025, 6, 30).expect("a valid date"))
    };
    let mut batches = Vec::new();
    vigie_ingest::acled::read_acled_stream(&file[..], "acled-bench.csv", &options, |read| {
        batches.push(ImportBatch {
            rows_read: read.rows_read,
            events: read
                .events
                .into_iter()
                .map(|event| vigie_ingest::locate_event(event, &index, &zones))
                .collect(),
            quarantined: read.quarantined,
        });
        Ok::<(), Infallible>(())
    })
    .expect("the generated file reads");
    let events: usize = batches.iter().map(|batch| batch.events.len()).sum();
    assert_eq!(events as u64, rows, "one event per generated row");
    let field_bytes: usize = batches
        .iter()
        .flat_map(|batch| &batch.events)
        .map(|located| located.event.fields.values().map(str::len).sum::<usize>())
        .sum();
    eprintln!(
        "input: {events} events in {} batches, {} bytes of source values per event",
        batches.len(),
        field_bytes / events.max(1)
    );
    let started = std::time::Instant::now();
    let mut sum = 0u64;
    for _ in 0..5 {
        for located in batches.iter().flat_map(|batch| &batch.events) {
            sum = sum.wrapping_add(located.event.fingerprints().0);
        }
    }
    eprintln!(
        "TEMP fingerprints: {:.3} us per event ({sum})",
        started.elapsed().as_secs_f64() * 1e6 / (5.0 * events as f64)
    );
    batches
}

/// One import run over every batch; the run's totals.
fn import(store: &dyn Store, batches: &[ImportBatch]) -> ImportCounts {
    let run = store
        .start_import(EventSource::Acled, "acled-bench.csv", None)
        .expect("start an import");
    let mut total = ImportCounts::default();
    for batch in batches {
        total.add(&store.apply_batch(run, batch).expect("apply a batch"));
    }
    store
        .finish_import(run, ImportStatus::Completed, &total, None, None)
        .expect("finish an import");
    total
}

/// Inserting every event into an empty store made by `fresh`, then re-applying the same
/// batches to a loaded one.
fn bench_backend<S: Store, F>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    batches: &[ImportBatch],
    event_count: u64,
    fresh: impl Fn() -> (S, F),
) {
    group.bench_function("insert_into_fresh_database", |bencher| {
        bencher.iter_batched(
            &fresh,
            |(store, keep_alive)| {
                let counts = import(&store, black_box(batches));
                assert_eq!(counts.inserted, event_count);
                // The store closes before its database goes.
                (store, keep_alive)
            },
            BatchSize::PerIteration,
        )
    });

    let (loaded, keep_alive) = fresh();
    import(&loaded, batches);
    group.bench_function("reapply_unchanged", |bencher| {
        bencher.iter(|| {
            let counts = import(&loaded, black_box(batches));
            assert_eq!(counts.unchanged, event_count);
        })
    });
    drop(loaded);
    drop(keep_alive);
}

/// A database on the test server, dropped with it.
struct ScratchDatabase {
    admin_url: String,
    name: String,
}

impl ScratchDatabase {
    fn create(admin_url: &str) -> (ScratchDatabase, String) {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "vigie_bench_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = postgres::Client::connect(admin_url, postgres::NoTls)
            .expect("connect to VIGIE_TEST_POSTGRES_URL");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a scratch database");
        let (base, _) = admin_url
            .rsplit_once('/')
            .expect("a PostgreSQL URL names a database");
        let url = format!("{base}/{name}");
        (
            ScratchDatabase {
                admin_url: admin_url.to_owned(),
                name,
            },
            url,
        )
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn benches(criterion: &mut Criterion) {
    let benchmarking = std::env::args().any(|argument| argument == "--bench");
    let event_count: u64 = if benchmarking { 200_000 } else { 20_000 };
    let batches = acled_batches(event_count);

    let mut group = criterion.benchmark_group("sqlite_apply_batch");
    group.throughput(Throughput::Elements(event_count));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    bench_backend(&mut group, &batches, event_count, || {
        let directory = tempfile::tempdir().expect("temporary directory");
        let store = SqliteStore::open(directory.path().join("bench.db")).expect("open");
        (store, directory)
    });
    group.finish();

    let Some(admin_url) = std::env::var("VIGIE_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
    else {
        eprintln!("VIGIE_TEST_POSTGRES_URL is not set: the PostgreSQL benchmarks are skipped");
        return;
    };
    let mut group = criterion.benchmark_group("postgres_apply_batch");
    group.throughput(Throughput::Elements(event_count));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    bench_backend(&mut group, &batches, event_count, || {
        let (database, url) = ScratchDatabase::create(&admin_url);
        let store = PostgresStore::open(&url).expect("open");
        (store, database)
    });
    group.finish();
}

criterion_group!(apply_batch, benches);
criterion_main!(apply_batch);
