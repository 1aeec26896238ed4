use std::path::PathBuf;

use thiserror::Error;

/// A boundary file that cannot be imported at all.
#[derive(Debug, Error)]
pub enum BoundaryError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Neither GeoJSON nor a shapefile.
    #[error("{path}: unsupported format (expected .geojson, .json or .shp)")]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
    },
    /// Not valid GeoJSON, or not a FeatureCollection or Feature.
    #[error("{path}: not a GeoJSON FeatureCollection: {reason}")]
    InvalidGeoJson {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        reason: String,
    },
    /// The file declares or uses a coordinate system other than WGS84 longitude/latitude.
    #[error(
        "{path}: {reason}; only geographic WGS84 (EPSG:4326 / CRS84) is accepted — reproject the file first, e.g. ogr2ogr -t_srs EPSG:4326"
    )]
    NotWgs84 {
        /// The file (the `.prj` for shapefiles).
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// A shapefile part is missing or unreadable.
    #[error("{path}: {reason}")]
    InvalidShapefile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The `.cpg` names an encoding this build does not know.
    #[error("{path}: unknown character encoding {label:?} in the .cpg file")]
    UnknownEncoding {
        /// The `.cpg` file.
        path: PathBuf,
        /// The label found in it.
        label: String,
    },
    /// A field named on the command line exists on no feature.
    #[error("{path}: no feature has the field {field:?}; fields found: {available}")]
    MissingField {
        /// The file.
        path: PathBuf,
        /// The field asked for.
        field: String,
        /// The fields the file has, comma-separated.
        available: String,
    },
    /// The file has no features at all.
    #[error("{path}: the file holds no features")]
    NoFeatures {
        /// The file.
        path: PathBuf,
    },
}
