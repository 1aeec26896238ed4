//! Distances on the sphere.
//!
//! Vigie measures every distance as a great-circle distance on a sphere of the IUGG mean
//! Earth radius. Against the WGS84 ellipsoid the error is below 0.5 %, far smaller than the
//! uncertainty of a conflict event's coordinates; against planar distances in degrees (which
//! shrink by 4 % from Bamako to Kidal in longitude) it is the difference between right and wrong.

use geo_types::Coord;

/// Mean Earth radius (IUGG), in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Kilometres per degree of latitude on the sphere.
pub const KM_PER_DEGREE: f64 = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;

/// A point on the unit sphere, for distance computations that reuse their trigonometry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitVector {
    x: f64,
    y: f64,
    z: f64,
}

impl UnitVector {
    /// The unit vector of a WGS84 lon/lat coordinate in degrees.
    pub fn from_lon_lat(lon: f64, lat: f64) -> UnitVector {
        let (sin_lat, cos_lat) = lat.to_radians().sin_cos();
        let (sin_lon, cos_lon) = lon.to_radians().sin_cos();
        UnitVector {
            x: cos_lat * cos_lon,
            y: cos_lat * sin_lon,
            z: sin_lat,
        }
    }

    fn dot(self, other: UnitVector) -> f64 {
        self.x * other.x + self.y * other.y + self.z * other.z
    }

    fn cross(self, other: UnitVector) -> UnitVector {
        UnitVector {
            x: self.y * other.z - self.z * other.y,
            y: self.z * other.x - self.x * other.z,
            z: self.x * other.y - self.y * other.x,
        }
    }

    fn norm(self) -> f64 {
        self.dot(self).sqrt()
    }

    /// The central angle to `other`, in radians, stable for tiny and large angles.
    pub fn angle_to(self, other: UnitVector) -> f64 {
        self.cross(other).norm().atan2(self.dot(other))
    }
}

/// Great-circle distance between two lon/lat coordinates, in kilometres (haversine formula).
///
/// ```
/// use geo_types::coord;
/// use vigie_spatial::sphere::distance_km;
/// let bamako = coord! { x: -8.0029, y: 12.6392 };
/// let mopti = coord! { x: -4.1970, y: 14.4843 };
/// let km = distance_km(bamako, mopti);
/// assert!((km - 458.0).abs() < 5.0);
/// ```
pub fn distance_km(from: Coord<f64>, to: Coord<f64>) -> f64 {
    let lat_from = from.y.to_radians();
    let lat_to = to.y.to_radians();
    let half_dlat = (lat_to - lat_from) / 2.0;
    let half_dlon = (to.x - from.x).to_radians() / 2.0;
    let h = half_dlat.sin().powi(2) + lat_from.cos() * lat_to.cos() * half_dlon.sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The point reached from `origin` by travelling `distance_km` along the initial `bearing`
/// (degrees clockwise from north).
pub fn destination(origin: Coord<f64>, bearing_degrees: f64, distance_km: f64) -> Coord<f64> {
    let angular = distance_km / EARTH_RADIUS_KM;
    let bearing = bearing_degrees.to_radians();
    let lat = origin.y.to_radians();
    let lon = origin.x.to_radians();
    let (sin_lat, cos_lat) = lat.sin_cos();
    let (sin_angular, cos_angular) = angular.sin_cos();
    let destination_lat =
        (sin_lat * cos_angular + cos_lat * sin_angular * bearing.cos()).clamp(-1.0, 1.0);
    let destination_lat = destination_lat.asin();
    let destination_lon = lon
        + (bearing.sin() * sin_angular * cos_lat)
            .atan2(cos_angular - sin_lat * destination_lat.sin());
    Coord {
        x: normalise_longitude(destination_lon.to_degrees()),
        y: destination_lat.to_degrees(),
    }
}

fn normalise_longitude(lon: f64) -> f64 {
    let wrapped = (lon + 180.0).rem_euclid(360.0) - 180.0;
    if wrapped == -180.0 && lon > 0.0 {
        180.0
    } else {
        wrapped
    }
}

/// A great-circle arc between two points, prepared for repeated distance queries.
#[derive(Debug, Clone, Copy)]
pub struct Arc {
    start: UnitVector,
    end: UnitVector,
    /// Unit normal of the arc's great circle (zero for a degenerate arc).
    normal: UnitVector,
    degenerate: bool,
}

impl Arc {
    /// Prepares the shorter arc from `start` to `end`.
    pub fn new(start: Coord<f64>, end: Coord<f64>) -> Arc {
        let start = UnitVector::from_lon_lat(start.x, start.y);
        let end = UnitVector::from_lon_lat(end.x, end.y);
        let normal = start.cross(end);
        let length = normal.norm();
        let degenerate = length < 1e-15;
        let normal = if degenerate {
            normal
        } else {
            UnitVector {
                x: normal.x / length,
                y: normal.y / length,
                z: normal.z / length,
            }
        };
        Arc {
            start,
            end,
            normal,
            degenerate,
        }
    }

    /// Great-circle distance from `point` to the nearest point of the arc, in kilometres.
    pub fn distance_km(&self, point: UnitVector) -> f64 {
        if !self.degenerate {
            let along_start = self.start.cross(point).dot(self.normal);
            let along_end = point.cross(self.end).dot(self.normal);
            if along_start >= 0.0 && along_end >= 0.0 {
                let sine = point.dot(self.normal).abs().min(1.0);
                return sine.asin() * EARTH_RADIUS_KM;
            }
        }
        point.angle_to(self.start).min(point.angle_to(self.end)) * EARTH_RADIUS_KM
    }
}

/// A distance limit with the thresholds that let [`Arc::distance_within_km`] refuse points
/// beyond it without inverse trigonometry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    km: f64,
    /// Sine of the limit's central angle, widened by a relative 1e-9 so that the shortcut
    /// never refuses a point the exact distance would accept.
    sine: f64,
    /// Squared chord of the limit's central angle, widened likewise.
    chord_squared: f64,
}

impl Reach {
    /// The thresholds for a limit of `km` kilometres.
    pub fn new(km: f64) -> Reach {
        let angle = (km / EARTH_RADIUS_KM).min(std::f64::consts::FRAC_PI_2);
        let chord = 2.0 * (angle / 2.0).sin();
        Reach {
            km,
            sine: angle.sin() * (1.0 + 1e-9) + 1e-15,
            chord_squared: chord * chord * (1.0 + 1e-9) + 1e-15,
        }
    }

    /// The limit in kilometres.
    pub fn km(&self) -> f64 {
        self.km
    }
}

impl Arc {
    /// The distance from `point` to the arc when it is at most `reach`, exactly as
    /// [`Arc::distance_km`] computes it; `None` beyond. Cheap for points clearly beyond.
    pub fn distance_within_km(&self, point: UnitVector, reach: &Reach) -> Option<f64> {
        if !self.degenerate {
            let along_start = self.start.cross(point).dot(self.normal);
            let along_end = point.cross(self.end).dot(self.normal);
            if along_start >= 0.0 && along_end >= 0.0 {
                let sine = point.dot(self.normal).abs().min(1.0);
                if sine > reach.sine {
                    return None;
                }
                let distance = sine.asin() * EARTH_RADIUS_KM;
                return (distance <= reach.km).then_some(distance);
            }
        }
        let chord_squared = |other: UnitVector| {
            (point.x - other.x).powi(2) + (point.y - other.y).powi(2) + (point.z - other.z).powi(2)
        };
        if chord_squared(self.start) > reach.chord_squared
            && chord_squared(self.end) > reach.chord_squared
        {
            return None;
        }
        let distance = point.angle_to(self.start).min(point.angle_to(self.end)) * EARTH_RADIUS_KM;
        (distance <= reach.km).then_some(distance)
    }
}

/// Great-circle distance from `point` to the segment `start`–`end`, in kilometres.
pub fn distance_to_segment_km(point: Coord<f64>, start: Coord<f64>, end: Coord<f64>) -> f64 {
    Arc::new(start, end).distance_km(UnitVector::from_lon_lat(point.x, point.y))
}

/// How many degrees of longitude `distance_km` spans at latitude `lat` (never less than the
/// degrees of latitude it spans, and capped near the poles).
pub fn longitude_degrees_for_km(distance_km: f64, lat: f64) -> f64 {
    let cos_lat = lat.to_radians().cos().max(0.01);
    distance_km / (KM_PER_DEGREE * cos_lat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::coord;

    #[test]
    fn distance_is_symmetric_and_zero_on_itself() {
        let a = coord! { x: -3.5, y: 14.0 };
        let b = coord! { x: -3.0, y: 14.5 };
        assert_eq!(distance_km(a, a), 0.0);
        assert!((distance_km(a, b) - distance_km(b, a)).abs() < 1e-9);
    }

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let km = distance_km(coord! { x: 0.0, y: 14.0 }, coord! { x: 0.0, y: 15.0 });
        assert!((km - KM_PER_DEGREE).abs() < 1e-6);
        assert!((km - 111.195).abs() < 0.01);
    }

    #[test]
    fn destination_then_distance_round_trips() {
        let origin = coord! { x: -4.2, y: 14.5 };
        for bearing in [0.0, 45.0, 90.0, 180.0, 270.0, 333.0] {
            let reached = destination(origin, bearing, 20.0);
            assert!((distance_km(origin, reached) - 20.0).abs() < 1e-6);
        }
    }

    #[test]
    fn segment_distance_uses_the_perpendicular_inside_the_arc_and_the_ends_outside() {
        let start = coord! { x: 0.0, y: 14.0 };
        let end = coord! { x: 1.0, y: 14.0 };
        // Perpendicular foot inside the arc: a point 10 km north of the arc's middle (the
        // great circle bulges north of the parallel, so the middle is not at latitude 14).
        let middle = interpolate(start, end, 0.5);
        assert!(middle.y > 14.0);
        let above = destination(middle, 0.0, 10.0);
        let km = distance_to_segment_km(above, start, end);
        assert!((km - 10.0).abs() < 1e-6, "{km}");
        // Beyond the end: the distance is to the end point.
        let beyond = coord! { x: 1.2, y: 14.0 };
        let expected = distance_km(beyond, end);
        assert!((distance_to_segment_km(beyond, start, end) - expected).abs() < 1e-9);
        // On the arc itself.
        assert!(distance_to_segment_km(start, start, end) < 1e-9);
    }

    #[test]
    fn distance_within_agrees_with_the_exact_distance_at_the_limit() {
        let start = coord! { x: -4.19, y: 14.49 };
        let end = coord! { x: -3.51, y: 14.07 };
        let arc = Arc::new(start, end);
        let reach = Reach::new(20.0);
        for step in 0..2_000 {
            let bearing = step as f64 * 0.37;
            let foot = interpolate(start, end, (step % 7) as f64 / 6.0);
            let point = destination(foot, bearing, 19.0 + (step % 200) as f64 * 0.01);
            let unit = UnitVector::from_lon_lat(point.x, point.y);
            let exact = arc.distance_km(unit);
            let within = arc.distance_within_km(unit, &reach);
            assert_eq!(within, (exact <= 20.0).then_some(exact), "at {point:?}");
        }
    }

    #[test]
    fn degenerate_segment_is_a_point() {
        let point = coord! { x: 2.0, y: 15.0 };
        let other = coord! { x: 2.1, y: 15.0 };
        let km = distance_to_segment_km(other, point, point);
        assert!((km - distance_km(other, point)).abs() < 1e-9);
    }

    #[test]
    fn longitude_degrees_grow_with_latitude() {
        let equator = longitude_degrees_for_km(5.0, 0.0);
        let sahara = longitude_degrees_for_km(5.0, 25.0);
        assert!(sahara > equator);
        assert!((equator - 5.0 / KM_PER_DEGREE).abs() < 1e-12);
    }
}

/// The point a fraction `t` (0 to 1) of the way along the great-circle arc from `start` to
/// `end`.
pub fn interpolate(start: Coord<f64>, end: Coord<f64>, t: f64) -> Coord<f64> {
    if t <= 0.0 {
        return start;
    }
    if t >= 1.0 {
        return end;
    }
    let a = UnitVector::from_lon_lat(start.x, start.y);
    let b = UnitVector::from_lon_lat(end.x, end.y);
    let angle = a.angle_to(b);
    if angle < 1e-12 {
        return start;
    }
    let sine = angle.sin();
    let weight_a = ((1.0 - t) * angle).sin() / sine;
    let weight_b = (t * angle).sin() / sine;
    let x = weight_a * a.x + weight_b * b.x;
    let y = weight_a * a.y + weight_b * b.y;
    let z = weight_a * a.z + weight_b * b.z;
    Coord {
        x: y.atan2(x).to_degrees(),
        y: z.atan2((x * x + y * y).sqrt()).to_degrees(),
    }
}

#[cfg(test)]
mod interpolate_tests {
    use super::*;
    use geo_types::coord;

    #[test]
    fn interpolation_stays_on_the_arc_and_splits_it() {
        let start = coord! { x: -4.19, y: 14.49 };
        let end = coord! { x: -3.51, y: 14.07 };
        let middle = interpolate(start, end, 0.5);
        let whole = distance_km(start, end);
        assert!((distance_km(start, middle) - whole / 2.0).abs() < 1e-6);
        assert!(distance_to_segment_km(middle, start, end) < 1e-6);
        assert_eq!(interpolate(start, end, 0.0), start);
    }
}
