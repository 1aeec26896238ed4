//! ST-DBSCAN, commune adjacency and Gi* on the Mali 2015 geography.
//!
//! `cargo bench -p vigie-hotspots`. Gi* over the 701 communes must stay far under 10 ms;
//! the 1-million-point comparison with scikit-learn is `scripts/bench-hotspots.sh`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use vigie_domain::ZoneSet;
use vigie_hotspots::sample::space_time_points;
use vigie_hotspots::{
    AdjacencyOptions, CommuneAdjacency, StDbscanParameters, getis_ord_gi_star, st_dbscan,
};

fn zones() -> ZoneSet {
    vigie_spatial::codec::decode(include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/zones/mali-2015.vzs"
    )))
    .expect("the embedded zone set decodes")
}

fn bench(criterion: &mut Criterion) {
    let zones = zones();

    criterion.bench_function("adjacency of 701 communes", |bencher| {
        bencher.iter(|| {
            CommuneAdjacency::from_zones(black_box(&zones.communes), AdjacencyOptions::default())
        })
    });

    let adjacency = CommuneAdjacency::from_zones(&zones.communes, AdjacencyOptions::default());
    let counts: Vec<f64> = (0..zones.communes.len())
        .map(|position| ((position * 7919) % 23) as f64)
        .collect();
    criterion.bench_function("gi* over 701 communes", |bencher| {
        bencher.iter(|| getis_ord_gi_star(black_box(&counts), &adjacency, 0.05).unwrap())
    });

    // A month of events at ten times Mali's worst rate, then ten years of them.
    let parameters = StDbscanParameters::default();
    let mut group = criterion.benchmark_group("st-dbscan");
    group.sample_size(10);
    for (count, days) in [(10_000, 30), (100_000, 3650)] {
        let points = space_time_points(&zones, count, 7, 737_000, days);
        group.bench_function(format!("{count} events over {days} days"), |bencher| {
            bencher.iter(|| st_dbscan(black_box(&points), &parameters))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
