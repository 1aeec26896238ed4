//! `vigie hotspots`: space–time clusters of the stored events of a window, or Getis-Ord Gi*
//! of the communes' counts.
//!
//! The window is the `--window-days` days ending on `--at`, both ends included. Events are
//! read in store-id order, so the same database gives the same clusters and the same bytes.

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{Days, NaiveDate};
use clap::Args;
use serde::Serialize;
use serde_json::json;
use vigie_domain::store::{EventQuery, Store};
use vigie_domain::{ZoneId, ZoneSet};
use vigie_hotspots::{
    AdjacencyOptions, CommuneAdjacency, GiStar, HotspotEvent, SpaceTimePoint, Spot,
    StDbscanParameters, feature_collection, getis_ord_gi_star, hotspots, st_dbscan,
};

use crate::context::Context;

/// Events read from the store per query.
const PAGE_SIZE: u64 = 10_000;

#[derive(Debug, Args)]
pub struct HotspotsArgs {
    /// Last day of the window (YYYY-MM-DD).
    #[arg(long)]
    at: NaiveDate,
    /// Length of the window in days, ending on --at (included).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=36_600))]
    window_days: u32,
    /// ST-DBSCAN spatial reach, km on the sphere (default 10: a village and its hamlets).
    #[arg(long, default_value_t = StDbscanParameters::DEFAULT_EPS_KM)]
    eps_km: f64,
    /// ST-DBSCAN temporal reach, days (default 7: one week of a campaign of attacks).
    #[arg(long, default_value_t = StDbscanParameters::DEFAULT_EPS_DAYS)]
    eps_days: u32,
    /// ST-DBSCAN density: events within reach (itself included) that make a core event.
    #[arg(long, default_value_t = StDbscanParameters::DEFAULT_MIN_POINTS)]
    min_points: usize,
    /// Compute Getis-Ord Gi* of the communes' event counts instead of clusters.
    #[arg(long)]
    gi: bool,
    /// Significance level (two-sided) for Gi* hot and cold spots.
    #[arg(long, default_value_t = 0.05, requires = "gi")]
    alpha: f64,
    /// Print JSON: a GeoJSON FeatureCollection of clusters, or (with --gi) the communes.
    #[arg(long)]
    json: bool,
}

pub fn run(args: HotspotsArgs, context: &Context) -> anyhow::Result<ExitCode> {
    let from = args
        .at
        .checked_sub_days(Days::new(u64::from(args.window_days) - 1))
        .context("the window starts before the calendar does")?;
    let store = context.open_store()?;
    let zones = context.geography.stored_zone_set(store.as_ref())?.zones;
    let events = window_events(store.as_ref(), from, args.at)?;
    if args.gi {
        gi_star(&args, from, &zones, &events)
    } else {
        clusters(&args, from, &zones, &events)
    }
}

/// Every stored event dated within `from..=to`, by increasing store id.
fn window_events(
    store: &dyn Store,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Vec<HotspotEvent>> {
    let mut events = Vec::new();
    let mut after_id = None;
    loop {
        let page = store.events(&EventQuery {
            from: Some(from),
            to: Some(to),
            limit: Some(PAGE_SIZE),
            after_id,
            ..EventQuery::default()
        })?;
        let Some(last) = page.last() else {
            break;
        };
        after_id = Some(last.id);
        let full_page = page.len() as u64 == PAGE_SIZE;
        events.extend(
            page.iter()
                .map(|stored| HotspotEvent::from_located(stored.id, &stored.located)),
        );
        if !full_page {
            break;
        }
    }
    Ok(events)
}

fn clusters(
    args: &HotspotsArgs,
    from: NaiveDate,
    zones: &ZoneSet,
    events: &[HotspotEvent],
) -> anyhow::Result<ExitCode> {
    let parameters = StDbscanParameters::new(args.eps_km, args.eps_days, args.min_points)?;
    let points: Vec<SpaceTimePoint> = events.iter().map(HotspotEvent::point).collect();
    let clustering = st_dbscan(&points, &parameters);
    let mut found = hotspots(events, &clustering);
    let names: HashMap<&ZoneId, &str> = zones
        .communes
        .iter()
        .map(|commune| (&commune.id, commune.name.as_str()))
        .chain(
            zones
                .corridors
                .iter()
                .map(|corridor| (&corridor.id, corridor.name.as_str())),
        )
        .collect();
    for hotspot in &mut found {
        hotspot.name_zones(|id| names.get(id).map(|name| (*name).to_owned()));
    }

    if args.json {
        let metadata = json!({
            "at": args.at,
            "window_days": args.window_days,
            "from": from,
            "eps_km": args.eps_km,
            "eps_days": args.eps_days,
            "min_points": args.min_points,
            "events": events.len(),
            "clusters": clustering.cluster_count,
            "noise": clustering.noise_count(),
        });
        say!(
            "{}",
            serde_json::to_string(&feature_collection(&found, metadata))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    say!(
        "{} events from {from} to {}: {} clusters, {} events in none \
         (ST-DBSCAN {} km, {} days, {} events)",
        events.len(),
        args.at,
        clustering.cluster_count,
        clustering.noise_count(),
        args.eps_km,
        args.eps_days,
        args.min_points
    );
    for hotspot in &found {
        let communes: Vec<&str> = hotspot
            .communes
            .iter()
            .take(3)
            .map(|zone| zone.name.as_deref().unwrap_or(zone.id.as_str()))
            .collect();
        say!(
            "  cluster {:>3}  {:>4} events  {:>4} killed  {} – {}  {}  {}",
            hotspot.cluster,
            hotspot.events,
            hotspot.fatalities,
            hotspot.first_date,
            hotspot.last_date,
            hotspot
                .dominant_event_types()
                .iter()
                .map(|event_type| event_type.label())
                .collect::<Vec<_>>()
                .join(", "),
            communes.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct CommuneGiStar<'a> {
    id: &'a ZoneId,
    name: &'a str,
    events: u64,
    neighbours: usize,
    z: f64,
    p: f64,
    spot: Spot,
}

fn gi_star(
    args: &HotspotsArgs,
    from: NaiveDate,
    zones: &ZoneSet,
    events: &[HotspotEvent],
) -> anyhow::Result<ExitCode> {
    let positions = zones.index_by_id(vigie_domain::ZoneLevel::Commune);
    let mut counts = vec![0u64; zones.communes.len()];
    let mut outside = 0usize;
    for event in events {
        match event.commune.as_ref().and_then(|id| positions.get(id)) {
            Some(&position) => counts[position] += 1,
            None => outside += 1,
        }
    }
    let adjacency = CommuneAdjacency::from_zones(&zones.communes, AdjacencyOptions::default());
    let values: Vec<f64> = counts.iter().map(|&count| count as f64).collect();
    let scores: Vec<GiStar> = getis_ord_gi_star(&values, &adjacency, args.alpha)?;
    let rows: Vec<CommuneGiStar> = zones
        .communes
        .iter()
        .zip(&scores)
        .enumerate()
        .map(|(position, (commune, score))| CommuneGiStar {
            id: &commune.id,
            name: &commune.name,
            events: counts[position],
            neighbours: adjacency.neighbours(position).len(),
            z: score.z,
            p: score.p,
            spot: score.spot,
        })
        .collect();
    let hot = rows.iter().filter(|row| row.spot == Spot::Hot).count();
    let cold = rows.iter().filter(|row| row.spot == Spot::Cold).count();

    if args.json {
        say!(
            "{}",
            serde_json::to_string(&json!({
                "at": args.at,
                "window_days": args.window_days,
                "from": from,
                "alpha": args.alpha,
                "events": events.len(),
                "events_outside_communes": outside,
                "hot": hot,
                "cold": cold,
                "communes": rows,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    say!(
        "Getis-Ord Gi* of {} events from {from} to {} over {} communes: {hot} hot spots, \
         {cold} cold spots at alpha {}",
        events.len(),
        args.at,
        rows.len(),
        args.alpha
    );
    let mut significant: Vec<&CommuneGiStar> =
        rows.iter().filter(|row| row.spot != Spot::None).collect();
    significant.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.id.cmp(b.id)));
    for row in significant {
        say!(
            "  {:<4} {:<10} {:<28} {:>4} events  z {:>6.2}  p {:.4}",
            if row.spot == Spot::Hot { "hot" } else { "cold" },
            row.id,
            row.name,
            row.events,
            row.z,
            row.p
        );
    }
    Ok(ExitCode::SUCCESS)
}
