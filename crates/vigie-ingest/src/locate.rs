use vigie_domain::{Event, EventLocation, LocatedEvent, ZoneSet};
use vigie_spatial::SpatialIndex;

/// Places an event in its commune, cercle, region and corridors.
pub fn locate_event(event: Event, index: &SpatialIndex, zones: &ZoneSet) -> LocatedEvent {
    let location = index.locate(event.longitude, event.latitude);
    let id = |zone: &vigie_domain::Zone| zone.id.clone();
    LocatedEvent {
        location: EventLocation {
            status: location.status,
            commune: location
                .commune
                .map(|position| id(&zones.communes[position as usize])),
            cercle: location
                .cercle
                .map(|position| id(&zones.cercles[position as usize])),
            region: location
                .region
                .map(|position| id(&zones.regions[position as usize])),
            corridors: location
                .corridors
                .iter()
                .map(|hit| zones.corridors[hit.corridor as usize].id.clone())
                .collect(),
        },
        event,
    }
}
