//! Boundary files in, Vigie zones out.
//!
//! [`read_boundaries`] reads a GeoJSON file or an ESRI shapefile (`.shp` with its `.shx`,
//! `.dbf`, `.prj` and optional `.cpg`), takes each feature's id, name and parent from the
//! named fields, repairs its geometry where that is safe, and reports every feature: imported
//! (with the repairs made) or rejected (with the reason). A messy government file never makes
//! it crash; a file that is not WGS84 is refused as a whole. [`reference`] builds the shipped
//! Mali geography from its sources.
//!
//! This crate reads files; it never writes them and never talks to the network.

mod error;
mod features;
mod geojson_file;
mod prj;
pub mod reference;
mod shapefile_file;

use std::path::Path;

pub use error::BoundaryError;
pub use features::{FeatureOutcome, FeatureReport, ImportOptions, ImportReport, ImportedZones};

/// Reads a boundary file and turns its features into zones of `options.level`.
///
/// The format follows the extension: `.geojson`/`.json` or `.shp`. File-level problems (an
/// unreadable file, a projection other than WGS84 degrees, a field that no feature has) are
/// errors; feature-level problems are in the report and the other features still import.
pub fn read_boundaries(
    path: &Path,
    options: &ImportOptions,
) -> Result<(ImportedZones, ImportReport), BoundaryError> {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let features = match extension.as_str() {
        "geojson" | "json" => geojson_file::read(path)?,
        "shp" => shapefile_file::read(path)?,
        _ => {
            return Err(BoundaryError::UnsupportedFormat {
                path: path.to_owned(),
            });
        }
    };
    features::build_zones(path, features, options)
}
