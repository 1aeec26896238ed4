use std::fmt;
use std::str::FromStr;

use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// The level of a zone in Mali's administrative hierarchy, or a transhumance corridor.
///
/// Regions contain cercles, cercles contain communes; corridors cut across all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ZoneLevel {
    /// First-level unit (8 regions and the district of Bamako in the 2015 structure).
    Region,
    /// Second-level unit (49 cercles and the district of Bamako).
    Cercle,
    /// Third-level unit, where violence is counted (701 communes in 2015).
    Commune,
    /// A transhumance corridor: a buffered line with an active season.
    Corridor,
}

impl ZoneLevel {
    /// Every level, from the top of the hierarchy down, corridors last.
    pub const ALL: [ZoneLevel; 4] = [
        ZoneLevel::Region,
        ZoneLevel::Cercle,
        ZoneLevel::Commune,
        ZoneLevel::Corridor,
    ];

    /// The lowercase name used in files, URLs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneLevel::Region => "region",
            ZoneLevel::Cercle => "cercle",
            ZoneLevel::Commune => "commune",
            ZoneLevel::Corridor => "corridor",
        }
    }

    /// The level a zone of this level names as its parent, if any.
    ///
    /// ```
    /// use vigie_domain::ZoneLevel;
    /// assert_eq!(ZoneLevel::Commune.parent_level(), Some(ZoneLevel::Cercle));
    /// assert_eq!(ZoneLevel::Region.parent_level(), None);
    /// ```
    pub fn parent_level(self) -> Option<ZoneLevel> {
        match self {
            ZoneLevel::Commune => Some(ZoneLevel::Cercle),
            ZoneLevel::Cercle => Some(ZoneLevel::Region),
            ZoneLevel::Region | ZoneLevel::Corridor => None,
        }
    }
}

impl fmt::Display for ZoneLevel {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for ZoneLevel {
    type Err = DomainError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "region" => Ok(ZoneLevel::Region),
            "cercle" => Ok(ZoneLevel::Cercle),
            "commune" => Ok(ZoneLevel::Commune),
            "corridor" => Ok(ZoneLevel::Corridor),
            _ => Err(DomainError::UnknownZoneLevel(text.to_owned())),
        }
    }
}

/// The stable identifier of a zone: a P-code such as `ML050301` for communes, cercles and
/// regions, or a corridor id such as `TR07`.
///
/// Ids are trimmed, 1 to 64 characters, and carry no control characters or whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ZoneId(String);

impl ZoneId {
    /// The longest id accepted, in bytes.
    pub const MAX_LEN: usize = 64;

    /// Validates and wraps an id.
    ///
    /// ```
    /// use vigie_domain::ZoneId;
    /// assert_eq!(ZoneId::new(" ML050301 ").unwrap().as_str(), "ML050301");
    /// assert!(ZoneId::new("").is_err());
    /// ```
    pub fn new(text: &str) -> Result<ZoneId, DomainError> {
        let trimmed = text.trim();
        let reject = |reason| {
            Err(DomainError::InvalidZoneId {
                id: text.to_owned(),
                reason,
            })
        };
        if trimmed.is_empty() {
            return reject("it is empty");
        }
        if trimmed.len() > Self::MAX_LEN {
            return reject("it is longer than 64 bytes");
        }
        if trimmed
            .chars()
            .any(|character| character.is_control() || character.is_whitespace())
        {
            return reject("it contains whitespace or control characters");
        }
        Ok(ZoneId(trimmed.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ZoneId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl TryFrom<String> for ZoneId {
    type Error = DomainError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        ZoneId::new(&text)
    }
}

impl From<ZoneId> for String {
    fn from(id: ZoneId) -> String {
        id.0
    }
}

impl FromStr for ZoneId {
    type Err = DomainError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ZoneId::new(text)
    }
}

/// A zone named in an answer: its id and display name, no geometry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneRef {
    /// The zone's id.
    pub id: ZoneId,
    /// The zone's display name (accented where the reference data gives it).
    pub name: String,
}

/// An administrative zone: a commune, cercle or region with its boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    /// P-code or other stable id.
    pub id: ZoneId,
    /// Display name, accented where a source gives the accents (`Ségou`).
    pub name: String,
    /// Administrative level (never [`ZoneLevel::Corridor`]: corridors are [`crate::Corridor`]).
    pub level: ZoneLevel,
    /// The id of the enclosing zone one level up, if the source names one.
    pub parent: Option<ZoneId>,
    /// Boundary in WGS84 lon/lat, exterior rings counter-clockwise.
    pub geometry: MultiPolygon<f64>,
}

impl Zone {
    /// The id and name of this zone, without its geometry.
    pub fn to_ref(&self) -> ZoneRef {
        ZoneRef {
            id: self.id.clone(),
            name: self.name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_level_round_trips_through_its_name() {
        for level in ZoneLevel::ALL {
            assert_eq!(level.as_str().parse::<ZoneLevel>().unwrap(), level);
        }
        assert!("département".parse::<ZoneLevel>().is_err());
        assert_eq!(
            " Commune ".parse::<ZoneLevel>().unwrap(),
            ZoneLevel::Commune
        );
    }

    #[test]
    fn zone_id_rejects_inner_whitespace_and_overlong_text() {
        assert!(ZoneId::new("ML05 0301").is_err());
        assert!(ZoneId::new(&"X".repeat(65)).is_err());
        assert!(ZoneId::new(&"X".repeat(64)).is_ok());
    }

    #[test]
    fn zone_id_deserialisation_validates() {
        let parsed: Result<ZoneId, _> = serde_json::from_str("\"\"");
        assert!(parsed.is_err());
        let parsed: ZoneId = serde_json::from_str("\"ML05\"").unwrap();
        assert_eq!(parsed.as_str(), "ML05");
    }
}
