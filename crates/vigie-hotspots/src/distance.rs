//! Events as points in space and time, and the spatial threshold test on the sphere.

use chrono::{Datelike, NaiveDate};
use vigie_spatial::sphere::EARTH_RADIUS_KM;

/// An event reduced to what clustering needs: where (WGS84 lon/lat, degrees) and which day.
///
/// The unit vector on the sphere is computed once here, so that the many distance tests
/// of a clustering need no trigonometry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpaceTimePoint {
    longitude: f64,
    latitude: f64,
    /// Days since 1 January of year 1 (chrono's `num_days_from_ce`); only differences matter.
    pub(crate) day: i32,
    unit: [f64; 3],
}

impl SpaceTimePoint {
    /// A point at `longitude`, `latitude` (degrees) on day number `day` (any consistent day
    /// count, e.g. [`NaiveDate::num_days_from_ce`]).
    pub fn new(longitude: f64, latitude: f64, day: i32) -> SpaceTimePoint {
        let (sin_lat, cos_lat) = latitude.to_radians().sin_cos();
        let (sin_lon, cos_lon) = longitude.to_radians().sin_cos();
        SpaceTimePoint {
            longitude,
            latitude,
            day,
            unit: [cos_lat * cos_lon, cos_lat * sin_lon, sin_lat],
        }
    }

    /// A point at `longitude`, `latitude` on `date`.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use vigie_hotspots::SpaceTimePoint;
    /// let point = SpaceTimePoint::on_date(-3.56, 14.23, NaiveDate::from_ymd_opt(2019, 3, 23).unwrap());
    /// assert_eq!(point.latitude(), 14.23);
    /// ```
    pub fn on_date(longitude: f64, latitude: f64, date: NaiveDate) -> SpaceTimePoint {
        SpaceTimePoint::new(longitude, latitude, date.num_days_from_ce())
    }

    /// Longitude in degrees.
    pub fn longitude(&self) -> f64 {
        self.longitude
    }

    /// Latitude in degrees.
    pub fn latitude(&self) -> f64 {
        self.latitude
    }

    /// The day number.
    pub fn day(&self) -> i32 {
        self.day
    }

    /// The point's unit vector (x towards 0° E on the equator, z towards the north pole).
    pub fn unit(&self) -> [f64; 3] {
        self.unit
    }
}

/// "Within `km` on the sphere", tested without trigonometry.
///
/// The haversine formula computes `h = sin²(θ/2)` for the central angle `θ` between two
/// points, then `d = 2R·asin(√h)` with R = 6371.0088 km (IUGG mean radius,
/// [`EARTH_RADIUS_KM`]). Since the chord between the two unit vectors is `2·sin(θ/2)`,
/// `h` is also a quarter of the squared chord, and `d ≤ km` is exactly
/// `|u − v|² ≤ 4·sin²(km / 2R)`: the test below, three subtractions and a dot product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SphereThreshold {
    chord_squared: f64,
}

impl SphereThreshold {
    pub(crate) fn new(km: f64) -> SphereThreshold {
        let chord = 2.0 * (km / (2.0 * EARTH_RADIUS_KM)).sin();
        SphereThreshold {
            chord_squared: chord * chord,
        }
    }

    #[inline]
    pub(crate) fn within(&self, first: [f64; 3], second: [f64; 3]) -> bool {
        let dx = first[0] - second[0];
        let dy = first[1] - second[1];
        let dz = first[2] - second[2];
        dx * dx + dy * dy + dz * dz <= self.chord_squared
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::coord;
    use vigie_spatial::sphere::distance_km;

    #[test]
    fn the_chord_test_agrees_with_the_haversine_distance() {
        let origin = SpaceTimePoint::new(-3.56, 14.23, 0);
        for (lon, lat) in [
            (-3.47, 14.23),
            (-3.56, 14.32),
            (-3.50, 14.28),
            (-3.66, 14.15),
        ] {
            let other = SpaceTimePoint::new(lon, lat, 0);
            let km = distance_km(coord! { x: -3.56, y: 14.23 }, coord! { x: lon, y: lat });
            assert!(SphereThreshold::new(km * 1.000_001).within(origin.unit(), other.unit()));
            assert!(!SphereThreshold::new(km * 0.999_999).within(origin.unit(), other.unit()));
        }
    }
}
