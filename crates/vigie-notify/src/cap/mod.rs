//! CAP 1.2, the format of every warning: [`CapAlert`] is written as XML valid against the
//! OASIS schema ([`CapAlert::to_xml`]), its area outline bounded by [`simplify_ring`], and
//! current messages are listed in an Atom feed ([`atom_feed`]). [`transition_alert`] derives
//! the message of a stored warning transition (Alert, Update or Cancel with its references).
//!
//! Coordinates are WGS84 lon/lat everywhere in Vigie; CAP's lat,lon order appears only when
//! the XML is written.

mod alert;
mod feed;
mod simplify;
mod transition;
mod xml;

pub use alert::{
    CAP_NAMESPACE, CapAlert, CapArea, CapCertainty, CapCircle, CapError, CapGeocode, CapInfo,
    CapMessageType, CapPolygon, CapReference, CapScope, CapSeverity, CapStatus, CapUrgency,
    cap_certainty, cap_language, cap_severity, cap_time, cap_urgency,
};
pub use feed::{FeedEntry, FeedHeader, atom_feed};
pub use simplify::{SimplifyError, ring_is_simple, simplify_ring};
pub use transition::{
    DEFAULT_CAP_SENDER, DEFAULT_MAX_POLYGON_POINTS, TransitionCapSettings, TransitionContext,
    cap_message_type, store_id_of_identifier, transition_alert, transition_identifier,
};
pub use xml::{escape_attribute, escape_text};
