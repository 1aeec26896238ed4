//! Criterion benchmarks of the spatial index on the shipped Mali geography: build time, and
//! batch locate throughput on the benchmark mix and on each half of it.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use vigie_spatial::sample::benchmark_points;
use vigie_spatial::{IndexOptions, SpatialIndex, codec};

static MALI: &[u8] = include_bytes!("../../../data/zones/mali-2015.vzs");

fn locate_all(index: &SpatialIndex, points: &[(f64, f64)]) -> usize {
    points
        .iter()
        .map(|&(lon, lat)| {
            let location = index.locate(lon, lat);
            location.commune.map_or(0, |commune| commune as usize) + location.corridors.len()
        })
        .sum()
}

fn benches(criterion: &mut Criterion) {
    let zones = codec::decode(MALI).expect("shipped zone set");
    let index = SpatialIndex::build(&zones, IndexOptions::default());
    let points: Vec<(f64, f64)> = benchmark_points(&zones, 200_000, 42)
        .into_iter()
        .map(|point| (point.x, point.y))
        .collect();
    let uniform: Vec<(f64, f64)> = points.iter().step_by(2).copied().collect();
    let clustered: Vec<(f64, f64)> = points.iter().skip(1).step_by(2).copied().collect();

    criterion.bench_function("build_index_701_communes", |bencher| {
        bencher.iter(|| SpatialIndex::build(black_box(&zones), IndexOptions::default()))
    });
    criterion.bench_function("decode_zone_set", |bencher| {
        bencher.iter(|| codec::decode(black_box(MALI)).unwrap())
    });

    let mut group = criterion.benchmark_group("locate_batch");
    let mut answers = Vec::with_capacity(points.len());
    group.throughput(Throughput::Elements(points.len() as u64));
    group.bench_function("mix", |bencher| {
        bencher.iter(|| {
            index.locate_batch(black_box(&points), &mut answers);
            answers.len()
        })
    });
    group.finish();

    let mut group = criterion.benchmark_group("locate");
    for (name, set) in [
        ("mix", &points),
        ("uniform", &uniform),
        ("clustered", &clustered),
    ] {
        group.throughput(Throughput::Elements(set.len() as u64));
        group.bench_function(name, |bencher| {
            bencher.iter_batched(
                || (),
                |()| locate_all(&index, black_box(set)),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group! {
    name = locate;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(locate);
