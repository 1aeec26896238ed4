//! Commune adjacency and Gi* on the real Mali 2015 communes (the embedded reference set).

use geo::{BoundingRect, Relate, coordinate_position::CoordPos, dimensions::Dimensions};
use vigie_domain::ZoneSet;
use vigie_hotspots::{AdjacencyOptions, CommuneAdjacency, Spot, getis_ord_gi_star};

fn zones() -> ZoneSet {
    vigie_spatial::codec::decode(include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/zones/mali-2015.vzs"
    )))
    .expect("the reference zone set decodes")
}

/// Every pair of communes whose bounding boxes meet, with whether their boundaries share a
/// line (or their interiors overlap) according to geo's DE-9IM `relate`.
fn shared_borders_by_relate(zones: &ZoneSet) -> Vec<(usize, usize, bool, bool)> {
    let boxes: Vec<_> = zones
        .communes
        .iter()
        .map(|commune| commune.geometry.bounding_rect().unwrap())
        .collect();
    let mut pairs = Vec::new();
    for a in 0..boxes.len() {
        for b in a + 1..boxes.len() {
            let (first, second) = (boxes[a], boxes[b]);
            if first.max().x < second.min().x
                || second.max().x < first.min().x
                || first.max().y < second.min().y
                || second.max().y < first.min().y
            {
                continue;
            }
            let matrix = zones.communes[a]
                .geometry
                .relate(&zones.communes[b].geometry);
            let boundaries = matrix.get(CoordPos::OnBoundary, CoordPos::OnBoundary);
            let line = boundaries == Dimensions::OneDimensional
                || matrix.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional;
            pairs.push((a, b, line, boundaries == Dimensions::ZeroDimensional));
        }
    }
    pairs
}

#[test]
fn commune_adjacency_equals_the_shared_borders_found_by_de9im() {
    let zones = zones();
    let adjacency = CommuneAdjacency::from_zones(&zones.communes, AdjacencyOptions::default());
    let mut corner_only = 0;
    let mut shared = 0;
    for (a, b, shares_a_line, touches_at_a_point) in shared_borders_by_relate(&zones) {
        let neighbours = adjacency.neighbours(a).contains(&(b as u32));
        assert_eq!(
            neighbours, shares_a_line,
            "{} and {}",
            zones.communes[a].name, zones.communes[b].name
        );
        shared += usize::from(shares_a_line);
        corner_only += usize::from(touches_at_a_point && !shares_a_line);
    }
    assert_eq!(adjacency.pair_count(), shared);
    // The rule matters: dozens of pairs meet at a single point only and are left out.
    assert!(corner_only > 20, "{corner_only} corner-only contacts");
    for commune in 0..adjacency.len() {
        assert!(
            !adjacency.neighbours(commune).is_empty(),
            "{} has no neighbour",
            zones.communes[commune].name
        );
        for &other in adjacency.neighbours(commune) {
            assert!(
                adjacency
                    .neighbours(other as usize)
                    .contains(&(commune as u32))
            );
        }
    }
}

#[test]
fn bamako_communes_border_their_neighbours_across_the_river() {
    let zones = zones();
    let adjacency = CommuneAdjacency::from_zones(&zones.communes, AdjacencyOptions::default());
    let names = |id: &str| -> Vec<String> {
        let position = zones
            .communes
            .iter()
            .position(|commune| commune.id.as_str() == id)
            .unwrap();
        adjacency
            .neighbours(position)
            .iter()
            .map(|&other| zones.communes[other as usize].name.clone())
            .collect()
    };
    let commune_one = names("ML090101");
    assert!(commune_one.contains(&"Commune II".to_owned()));
    assert!(commune_one.contains(&"Commune VI".to_owned()));
    assert!(!commune_one.contains(&"Commune IV".to_owned()));
    assert!(names("ML090104").contains(&"Commune III".to_owned()));
}

#[test]
fn a_burst_in_the_bankass_cercle_is_a_hot_spot_and_the_north_is_not() {
    let zones = zones();
    let adjacency = CommuneAdjacency::from_zones(&zones.communes, AdjacencyOptions::default());
    let counts: Vec<f64> = zones
        .communes
        .iter()
        .map(|commune| {
            let cercle = commune.parent.as_ref().map_or("", |parent| parent.as_str());
            if cercle == "ML0503" { 20.0 } else { 1.0 }
        })
        .collect();
    let scores = getis_ord_gi_star(&counts, &adjacency, 0.01).unwrap();
    for (commune, score) in zones.communes.iter().zip(&scores) {
        let cercle = commune.parent.as_ref().map_or("", |parent| parent.as_str());
        if cercle == "ML0503" {
            assert_eq!(score.spot, Spot::Hot, "{} z {}", commune.name, score.z);
        }
        if commune.id.as_str().starts_with("ML08") {
            assert_eq!(
                score.spot,
                Spot::None,
                "Kidal's {} z {}",
                commune.name,
                score.z
            );
        }
    }
}
