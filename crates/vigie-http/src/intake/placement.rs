//! Where a report goes in the geography.

use vigie_domain::{EventLocation, LocateStatus, ZoneId};

use crate::state::{AppState, Geography};

/// A point (lon, lat) and where it lies in the geography.
pub(crate) type Place = ((f64, f64), EventLocation);

/// The representative point of a commune (lon, lat) and the location of a report placed there.
pub(crate) fn commune_place(state: &AppState, commune: &ZoneId) -> Option<Place> {
    let geography = state.geography();
    let entry = geography.directory.commune(commune)?;
    let point = entry.representative_point?;
    let location = EventLocation {
        // The point is inside the commune's polygon by construction.
        status: LocateStatus::Inside,
        commune: Some(entry.id.clone()),
        cercle: entry.cercle.as_ref().map(|cercle| cercle.id.clone()),
        region: entry.region.as_ref().map(|region| region.id.clone()),
        corridors: location_in(&geography, point.0, point.1).corridors,
    };
    Some((point, location))
}

/// Where exact coordinates lie: commune (inside or snapped), cercle, region and corridors.
pub(crate) fn point_location(state: &AppState, longitude: f64, latitude: f64) -> EventLocation {
    location_in(&state.geography(), longitude, latitude)
}

fn location_in(geography: &Geography, longitude: f64, latitude: f64) -> EventLocation {
    let found = geography.index.locate(longitude, latitude);
    let zones = &geography.zones;
    let id_at = |zones: &[vigie_domain::Zone], position: Option<u32>| {
        position
            .and_then(|position| zones.get(position as usize))
            .map(|zone| zone.id.clone())
    };
    EventLocation {
        status: found.status,
        commune: id_at(&zones.communes, found.commune),
        cercle: id_at(&zones.cercles, found.cercle),
        region: id_at(&zones.regions, found.region),
        corridors: found
            .corridors
            .iter()
            .filter_map(|hit| zones.corridors.get(hit.corridor as usize))
            .map(|corridor| corridor.id.clone())
            .collect(),
    }
}
