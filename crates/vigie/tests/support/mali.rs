//! A small deployment in Mali for the tests: the reference zones, communes of the Mopti
//! region, ACLED files with attacks in them, one committee for Mopti and a rule that opens a
//! vigilance on one attack.

use std::path::{Path, PathBuf};

use geo::InteriorPoint;
use vigie_domain::{ZoneLevel, ZoneSet};

/// The reference zone set, as the binary embeds it.
pub const MALI_ZONES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/zones/mali-2015.vzs"
));

pub fn mali() -> ZoneSet {
    vigie_spatial::codec::decode(MALI_ZONES).expect("the reference zone set decodes")
}

/// `count` communes of the Mopti region (`ML05`), with a point inside each.
pub fn mopti_communes(count: usize) -> Vec<(String, f64, f64)> {
    let communes: Vec<(String, f64, f64)> = mali()
        .zones(ZoneLevel::Commune)
        .iter()
        .filter(|zone| zone.id.as_str().starts_with("ML05"))
        .take(count)
        .map(|zone| {
            let point = zone.geometry.interior_point().expect("a point inside");
            (zone.id.to_string(), point.x(), point.y())
        })
        .collect();
    assert_eq!(communes.len(), count);
    communes
}

const ACLED_HEADER: &str = "event_id_cnty,event_date,year,time_precision,disorder_type,\
event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,\
civilian_targeting,iso,region,country,admin1,admin2,admin3,location,latitude,longitude,\
geo_precision,source,source_scale,notes,fatalities,tags,timestamp";

/// An ACLED file `name` in `directory` with one attack on civilians in each commune, on
/// `date` (YYYY-MM-DD), numbered from `first_id`.
pub fn acled_file(
    directory: &Path,
    name: &str,
    first_id: usize,
    communes: &[(String, f64, f64)],
    date: &str,
) -> PathBuf {
    let year = &date[..4];
    let mut text = format!("{ACLED_HEADER}\n");
    for (offset, (_, lon, lat)) in communes.iter().enumerate() {
        text.push_str(&format!(
            "MLI{id},{date},{year},1,Political violence,Violence against civilians,Attack,\
Unidentified Armed Group (Mali),,3,Civilians (Mali),,7,37,Civilian targeting,466,\
Western Africa,Mali,Mopti,,,Village,{lat:.5},{lon:.5},1,Test,Local,Test event.,2,,1700000000\n",
            id = first_id + offset
        ));
    }
    let path = directory.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `committees.toml` in `directory`: one regional committee for Mopti with `members`
/// members, each by SMS and email, grouped over `group_wait`, under a storm guard of
/// `storm_capacity` messages (refilled as many an hour).
pub fn committees_file(
    directory: &Path,
    members: usize,
    group_wait: &str,
    storm_capacity: u32,
) -> PathBuf {
    let mut text = format!(
        "[defaults.grouping]\ngroup_wait = \"{group_wait}\"\ngroup_interval = \"0s\"\n\
         repeat_interval = \"24h\"\n\n[defaults.storm_guard]\ncapacity = {storm_capacity}\n\
         refill_per_hour = {storm_capacity}\n\n\
         [[committee]]\nid = \"crs-mopti\"\nname = \"Comité régional de Mopti\"\n\
         kind = \"regional\"\nzones = [\"ML05\"]\n"
    );
    for member in 1..=members {
        text.push_str(&format!(
            "\n[[committee.member]]\nid = \"m{member:02}\"\nname = \"Membre {member}\"\n\
             phone = \"+44 7700 900{member:03}\"\nemail = \"m{member:02}@example.org\"\n\
             channels = [\"sms\", \"email\"]\n"
        ));
    }
    let path = directory.join("committees.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `rules.toml` in `directory`: one attack on civilians opens a vigilance in its commune.
pub fn rules_file(directory: &Path) -> PathBuf {
    let path = directory.join("rules.toml");
    std::fs::write(
        &path,
        r#"
[[rule]]
id = "un-incident"
rationale = "Test rule: one attack on civilians opens a vigilance in its commune."
kind = "threshold"
zone_level = "commune"
window_days = 7
keep_for_days = 0
filter = { event_types = ["Violence against civilians"] }
vigilance = { enter = { events = 1 } }
"#,
    )
    .unwrap();
    path
}
