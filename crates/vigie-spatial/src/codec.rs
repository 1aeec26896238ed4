//! The binary form of a [`ZoneSet`]: what ships in `data/zones/` and what `vigie zones import`
//! writes.
//!
//! Layout: the 8-byte magic `VIGIEZS\0`, a little-endian `u32` format version, then the zone
//! set encoded with `postcard` (lengths as varints, coordinates as raw little-endian `f64`).
//! Decoding the 701 Mali communes with their cercles, regions and corridors takes a few
//! milliseconds.

use thiserror::Error;
use vigie_domain::ZoneSet;

const MAGIC: &[u8; 8] = b"VIGIEZS\0";
const VERSION: u32 = 1;

/// Why bytes could not be read as a zone set.
#[derive(Debug, Error)]
pub enum CodecError {
    /// The bytes do not start with the zone-set magic.
    #[error("not a Vigie zone set (the file does not start with VIGIEZS)")]
    NotAZoneSet,
    /// Written by a newer or older format.
    #[error(
        "zone set format version {found} is not supported (this build reads version {VERSION})"
    )]
    UnsupportedVersion {
        /// The version found in the file.
        found: u32,
    },
    /// The payload is truncated or corrupt.
    #[error("zone set is corrupt: {0}")]
    Corrupt(#[from] postcard::Error),
}

/// Encodes a zone set.
pub fn encode(zones: &ZoneSet) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(1 << 20);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&VERSION.to_le_bytes());
    // Encoding plain data into a Vec cannot fail: postcard only fails on writers that run out
    // of room or on types serde cannot describe, and ZoneSet is neither.
    postcard::to_io(zones, &mut bytes).expect("a zone set always encodes");
    bytes
}

/// Decodes a zone set written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<ZoneSet, CodecError> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(CodecError::NotAZoneSet);
    }
    let found = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if found != VERSION {
        return Err(CodecError::UnsupportedVersion { found });
    }
    Ok(postcard::from_bytes(&bytes[12..])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, MultiPolygon, polygon};
    use vigie_domain::{Corridor, Season, Zone, ZoneId, ZoneLevel};

    fn sample() -> ZoneSet {
        let square =
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)];
        ZoneSet {
            name: "sample".into(),
            attribution: "test".into(),
            regions: vec![],
            cercles: vec![],
            communes: vec![Zone {
                id: ZoneId::new("ML010101").unwrap(),
                name: "Ségou".into(),
                level: ZoneLevel::Commune,
                parent: Some(ZoneId::new("ML0101").unwrap()),
                geometry: MultiPolygon(vec![square.clone()]),
            }],
            corridors: vec![Corridor {
                id: ZoneId::new("TR01").unwrap(),
                name: "Delta".into(),
                centerline: LineString::from(vec![(0.0, 0.0), (1.0, 1.0)]),
                buffer_km: 20.0,
                season: Season::default(),
                approximate: true,
                area: MultiPolygon(vec![square]),
            }],
        }
    }

    #[test]
    fn round_trips() {
        let zones = sample();
        assert_eq!(decode(&encode(&zones)).unwrap(), zones);
    }

    #[test]
    fn rejects_foreign_truncated_and_future_files() {
        assert!(matches!(
            decode(b"{\"type\":\"FeatureCollection\"}"),
            Err(CodecError::NotAZoneSet)
        ));
        let mut bytes = encode(&sample());
        bytes.truncate(bytes.len() - 5);
        assert!(matches!(decode(&bytes), Err(CodecError::Corrupt(_))));
        let mut bytes = encode(&sample());
        bytes[8] = 9;
        assert!(matches!(
            decode(&bytes),
            Err(CodecError::UnsupportedVersion { found: 9 })
        ));
    }
}
