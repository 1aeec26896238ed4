//! Getis-Ord Gi*: where do high (or low) event counts gather more than chance would put
//! them?
//!
//! For each commune `i`, with counts `x` over `n` communes and binary weights `w_ij = 1` when
//! `j` is `i` itself or one of its neighbours (0 otherwise) — the "star" of Gi* —
//!
//! ```text
//!        Σ_j w_ij x_j − x̄ · W_i                 x̄ = Σ x / n,  S = √(Σ x² / n − x̄²)
//! z_i = ─────────────────────────────────────     W_i = Σ_j w_ij (neighbours + 1)
//!        S · √((n · W_i − W_i²) / (n − 1))        (binary weights: Σ_j w_ij² = W_i)
//! ```
//!
//! (Getis & Ord 1992, Ord & Getis 1995). `z_i` is already a standard normal score under the
//! null of no spatial association; the two-sided p-value is `erfc(|z| / √2)`. A commune is a
//! hot spot when `p < alpha` and `z > 0`, a cold spot when `p < alpha` and `z < 0`.

use serde::Serialize;

use crate::normal::two_sided_p;
use crate::{CommuneAdjacency, HotspotError};

/// Whether a commune stands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Spot {
    /// Significantly more events around it than chance would put there.
    Hot,
    /// Significantly fewer.
    Cold,
    /// Neither, at the chosen alpha.
    None,
}

/// Gi* of one commune.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GiStar {
    /// The z-score (0 when the counts do not vary at all, where Gi* is undefined).
    pub z: f64,
    /// Two-sided p-value of `z`.
    pub p: f64,
    /// Hot, cold or neither at the alpha given.
    pub spot: Spot,
}

/// Gi* for every zone of `adjacency`, from `counts` (one per zone, same order), flagging
/// spots at significance `alpha` (two-sided).
///
/// When every count is equal (`S = 0`), or fewer than two zones are given, nothing can stand
/// out: every zone gets `z = 0`, `p = 1`.
///
/// ```
/// use vigie_domain::ZoneId;
/// use vigie_hotspots::{CommuneAdjacency, Spot, getis_ord_gi_star};
/// let ids: Vec<ZoneId> = (0..4).map(|i| ZoneId::new(&format!("C{i}")).unwrap()).collect();
/// let path = CommuneAdjacency::from_pairs(ids, &[(0, 1), (1, 2), (2, 3)]).unwrap();
/// let gi = getis_ord_gi_star(&[6.0, 4.0, 2.0, 0.0], &path, 0.05).unwrap();
/// assert!((gi[0].z - 2.4_f64.sqrt()).abs() < 1e-12);
/// assert_eq!(gi[0].spot, Spot::None);
/// ```
pub fn getis_ord_gi_star(
    counts: &[f64],
    adjacency: &CommuneAdjacency,
    alpha: f64,
) -> Result<Vec<GiStar>, HotspotError> {
    if counts.len() != adjacency.len() {
        return Err(HotspotError::InvalidParameter {
            name: "counts",
            reason: format!(
                "{} counts for {} zones of the adjacency",
                counts.len(),
                adjacency.len()
            ),
        });
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(HotspotError::InvalidParameter {
            name: "alpha",
            reason: format!("{alpha} is not a probability strictly between 0 and 1"),
        });
    }
    if let Some(bad) = counts.iter().find(|count| !count.is_finite()) {
        return Err(HotspotError::InvalidParameter {
            name: "counts",
            reason: format!("{bad} is not a finite count"),
        });
    }
    let n = counts.len() as f64;
    let undefined = GiStar {
        z: 0.0,
        p: 1.0,
        spot: Spot::None,
    };
    if counts.len() < 2 {
        return Ok(vec![undefined; counts.len()]);
    }
    let mean = counts.iter().sum::<f64>() / n;
    // Centred form of Σx²/n − x̄²: the same quantity, without cancellation when counts are
    // large and nearly equal.
    let variance = counts
        .iter()
        .map(|count| (count - mean) * (count - mean))
        .sum::<f64>()
        / n;
    let spread = variance.sqrt();
    if spread <= mean.abs() * 1e-12 || spread == 0.0 {
        return Ok(vec![undefined; counts.len()]);
    }
    Ok((0..counts.len())
        .map(|zone| {
            let neighbours = adjacency.neighbours(zone);
            let weight = (neighbours.len() + 1) as f64;
            let local_sum = counts[zone]
                + neighbours
                    .iter()
                    .map(|&neighbour| counts[neighbour as usize])
                    .sum::<f64>();
            let numerator = local_sum - mean * weight;
            let denominator = spread * ((n * weight - weight * weight) / (n - 1.0)).sqrt();
            // W_i = n (a zone next to every other) leaves nothing to compare with.
            if denominator <= 0.0 {
                return undefined;
            }
            let z = numerator / denominator;
            let p = two_sided_p(z);
            let spot = match (p < alpha, z > 0.0) {
                (true, true) => Spot::Hot,
                (true, false) => Spot::Cold,
                (false, _) => Spot::None,
            };
            GiStar { z, p, spot }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_domain::ZoneId;

    fn path(count: usize) -> CommuneAdjacency {
        let ids = (0..count)
            .map(|i| ZoneId::new(&format!("C{i}")).unwrap())
            .collect();
        let pairs: Vec<(usize, usize)> = (1..count).map(|i| (i - 1, i)).collect();
        CommuneAdjacency::from_pairs(ids, &pairs).unwrap()
    }

    #[test]
    fn gi_star_matches_a_hand_computed_path_of_four_communes() {
        // Communes A–B–C–D in a row, counts x = 6, 4, 2, 0.
        //   n = 4, Σx = 12, x̄ = 3, Σx² = 36 + 16 + 4 + 0 = 56, Σx²/n = 14,
        //   S² = 14 − 9 = 5, S = √5.
        // A: star {A, B}, W = 2, Σwx = 6 + 4 = 10, numerator = 10 − 3·2 = 4,
        //    denominator = √5 · √((4·2 − 2²)/3) = √5 · √(4/3) = √(20/3),
        //    z = 4 / √(20/3) = √(16·3/20) = √2.4 = 1.549193…
        // B: star {A, B, C}, W = 3, Σwx = 12, numerator = 12 − 9 = 3,
        //    denominator = √5 · √((12 − 9)/3) = √5, z = 3/√5 = 1.341641…
        // C: star {B, C, D}, Σwx = 6, numerator = 6 − 9 = −3, z = −3/√5.
        // D: star {C, D}, Σwx = 2, numerator = 2 − 6 = −4, z = −√2.4.
        // p(A) = erfc(√2.4 / √2) = erfc(√1.2) = 0.121335…, p(B) = erfc(3/√10) = 0.179712….
        let gi = getis_ord_gi_star(&[6.0, 4.0, 2.0, 0.0], &path(4), 0.05).unwrap();
        let expected_z = [
            2.4_f64.sqrt(),
            3.0 / 5.0_f64.sqrt(),
            -3.0 / 5.0_f64.sqrt(),
            -(2.4_f64.sqrt()),
        ];
        for (zone, expected) in expected_z.iter().enumerate() {
            assert!(
                (gi[zone].z - expected).abs() < 1e-12,
                "zone {zone}: {} vs {expected}",
                gi[zone].z
            );
        }
        assert!((gi[0].p - 0.121_335_250_358_482_17).abs() < 1e-12);
        assert!((gi[1].p - 0.179_712_494_878_999_85).abs() < 1e-12);
        assert!((gi[3].p - gi[0].p).abs() < 1e-15, "symmetric example");
        assert!(gi.iter().all(|g| g.spot == Spot::None), "none at 5 %");
        // At alpha 0.15, A is a hot spot and D a cold one (p = 0.121 < 0.15); B and C are not.
        let loose = getis_ord_gi_star(&[6.0, 4.0, 2.0, 0.0], &path(4), 0.15).unwrap();
        let spots: Vec<Spot> = loose.iter().map(|g| g.spot).collect();
        assert_eq!(spots, [Spot::Hot, Spot::None, Spot::None, Spot::Cold]);
    }

    #[test]
    fn a_concentration_of_events_is_a_significant_hot_spot() {
        // A row of 30 communes, quiet but for communes 10–12.
        let mut counts = vec![1.0; 30];
        counts[10] = 12.0;
        counts[11] = 15.0;
        counts[12] = 11.0;
        let gi = getis_ord_gi_star(&counts, &path(30), 0.01).unwrap();
        assert_eq!(gi[11].spot, Spot::Hot, "z = {}", gi[11].z);
        assert!(gi[11].z > 4.0);
        assert_eq!(gi[25].spot, Spot::None);
    }

    #[test]
    fn equal_counts_have_no_spots_and_bad_input_is_refused() {
        let gi = getis_ord_gi_star(&[3.0; 5], &path(5), 0.05).unwrap();
        assert!(
            gi.iter()
                .all(|g| g.z == 0.0 && g.p == 1.0 && g.spot == Spot::None)
        );
        let error = getis_ord_gi_star(&[1.0; 4], &path(5), 0.05).unwrap_err();
        assert!(error.to_string().contains("counts"), "{error}");
        let error = getis_ord_gi_star(&[1.0; 5], &path(5), 1.5).unwrap_err();
        assert!(error.to_string().contains("alpha"), "{error}");
    }
}
