//! Parse throughput of the ACLED reader on a generated 200,000-row current-vintage CSV.
//!
//! - `acled_parse/stream`: parse only — split, decode, normalise into events, batch — from
//!   memory, no hashing, no file system.
//! - `acled_parse/stream_batch_500`: the same with 500-row batches instead of the default
//!   20,000: the live heap of a batch (every event keeps every column in `fields`, about 2.5
//!   KB in some 60 allocations) then stays in cache.
//! - `acled_parse/file`: the whole `read_acled` on a file in the page cache, SHA-256
//!   included.
//! - `acled_rows/stream`: the stream case again, reported in rows per second.
//!
//! Run with `cargo bench -p vigie-ingest --bench parse`.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigie_ingest::IngestOptions;
use vigie_ingest::synthetic::{GenerateOptions, generate_acled};

static MALI: &[u8] = include_bytes!("../../../data/zones/mali-2015.vzs");

const ROWS: u64 = 200_000;

fn options() -> IngestOptions {
    IngestOptions::new(NaiveDate::from_ymd_opt(2025, 6, 30).expect("a valid date"))
}

fn parse_stream(bytes: &[u8], options: &IngestOptions) -> u64 {
    let mut events = 0;
    vigie_ingest::acled::read_acled_stream(bytes, "bench", options, |batch| {
        events += batch.events.len() as u64;
        black_box(batch);
        Ok::<(), Infallible>(())
    })
    .expect("the generated file reads");
    events
}

fn parse(criterion: &mut Criterion) {
    let zones = vigie_spatial::codec::decode(MALI).expect("the embedded zone set decodes");
    let mut bytes = Vec::new();
    generate_acled(&zones, &GenerateOptions::new(ROWS, 1), &mut bytes)
        .expect("generating into memory cannot fail");
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("acled-200k.csv");
    std::fs::write(&path, &bytes).expect("the temporary file is writable");
    let options = options();
    assert_eq!(parse_stream(&bytes, &options), ROWS);
    eprintln!(
        "input: {ROWS} rows, {:.1} MB ({} bytes per row)",
        bytes.len() as f64 / 1e6,
        bytes.len() as u64 / ROWS
    );

    let mut group = criterion.benchmark_group("acled_parse");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("stream", |bencher| {
        bencher.iter(|| parse_stream(&bytes, &options))
    });
    let small_batches = IngestOptions {
        batch_rows: 500,
        ..options.clone()
    };
    group.bench_function("stream_batch_500", |bencher| {
        bencher.iter(|| parse_stream(&bytes, &small_batches))
    });
    group.bench_function("file", |bencher| {
        bencher.iter(|| {
            vigie_ingest::acled::read_acled(&path, &options, |batch| {
                black_box(batch);
                Ok::<(), Infallible>(())
            })
            .expect("the generated file reads")
        })
    });
    group.finish();

    let mut group = criterion.benchmark_group("acled_rows");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(ROWS));
    group.bench_function("stream", |bencher| {
        bencher.iter(|| parse_stream(&bytes, &options))
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
