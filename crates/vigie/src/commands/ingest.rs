//! `vigie ingest`, `vigie events` and `vigie quarantine`: records in, and what became of them.
//!
//! Every file is one import run; each batch of rows is located in the geography and applied
//! to the store in one transaction, so a process killed half-way leaves whole batches behind
//! and a re-run completes the import without duplicating anything.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use serde::Serialize;
use vigie_domain::store::{EventQuery, ImportBatch, ImportStatus, Store, StoreError};
use vigie_domain::{EventSource, ImportCounts, LocatedEvent, QuarantineRecord, ZoneSet};
use vigie_ingest::acled_api::{AcledApiClient, AcledApiConfig, AcledApiError};
use vigie_ingest::{IngestOptions, ReadBatch, RegionOfInterest, locate_event};
use vigie_spatial::SpatialIndex;

use crate::context::Context;

#[derive(Debug, Subcommand)]
pub enum IngestCommand {
    /// Import ACLED files: CSV, zipped CSV or JSON, any vintage.
    Acled(FilesArgs),
    /// Import UCDP GED files.
    Ucdp(FilesArgs),
    /// Apply ACLED's deleted-events list (the events are marked deleted, not erased).
    AcledDeletions(FilesArgs),
    /// Sync from the ACLED API (`[acled_api]` in the configuration): events edited since the
    /// last sync, then deletions.
    AcledApi(ApiArgs),
}

#[derive(Debug, Args)]
pub struct FilesArgs {
    /// The files, imported one after the other.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print the totals as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Ignore the stored sync position and fetch everything.
    #[arg(long)]
    full: bool,
    /// Print the totals as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Count the stored events (deleted ones excluded).
    Count {
        /// Only this source: acled, ucdp or community.
        #[arg(long)]
        source: Option<EventSource>,
        /// Print `{"events":N}`.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// List quarantined records, newest first, with their file, line, field and reason.
    List {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The totals `vigie ingest … --json` prints.
#[derive(Debug, Serialize)]
struct Totals {
    read: u64,
    events: u64,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    quarantined: u64,
}

impl From<&ImportCounts> for Totals {
    fn from(counts: &ImportCounts) -> Totals {
        Totals {
            read: counts.read,
            events: counts.events,
            inserted: counts.inserted,
            updated: counts.updated,
            unchanged: counts.unchanged,
            quarantined: counts.quarantined,
        }
    }
}

/// Everything an import needs, loaded once for all the files.
pub(crate) struct Importer {
    store: Arc<dyn Store>,
    zones: ZoneSet,
    index: SpatialIndex,
    options: IngestOptions,
}

impl Importer {
    fn new(context: &Context) -> anyhow::Result<Importer> {
        Importer::with_store(context, context.open_store()?)
    }

    /// An importer writing to `store` (benchmarks use a throwaway one).
    pub(crate) fn with_store(context: &Context, store: Arc<dyn Store>) -> anyhow::Result<Importer> {
        let (geography, _) = context.geography.load_from_store(store.as_ref())?;
        let mut options = IngestOptions::new(Utc::now().date_naive());
        let ingest = &context.config.ingest;
        options.region = ingest.region.unwrap_or(RegionOfInterest::MALI);
        options.max_record_bytes = ingest.max_record_bytes;
        options.batch_rows = ingest.batch_rows;
        Ok(Importer {
            store,
            zones: geography.zones,
            index: geography.index,
            options,
        })
    }

    /// Locates a batch and applies it in one transaction.
    fn apply(&self, run: i64, batch: ReadBatch) -> Result<ImportCounts, StoreError> {
        self.apply_parts(run, batch.rows_read, batch.events, batch.quarantined)
    }

    fn apply_parts(
        &self,
        run: i64,
        rows_read: u64,
        events: Vec<vigie_domain::Event>,
        quarantined: Vec<QuarantineRecord>,
    ) -> Result<ImportCounts, StoreError> {
        let events: Vec<LocatedEvent> = events
            .into_iter()
            .map(|event| locate_event(event, &self.index, &self.zones))
            .collect();
        self.store.apply_batch(
            run,
            &ImportBatch {
                rows_read,
                events,
                quarantined,
            },
        )
    }

    /// Imports one file as one run; the run is closed as failed if anything goes wrong.
    pub(crate) fn import_file(
        &self,
        source: EventSource,
        path: &Path,
    ) -> anyhow::Result<ImportCounts> {
        let origin = path.display().to_string();
        let run = self.store.start_import(source, &origin, None)?;
        let mut counts = ImportCounts::default();
        let handler = |batch: ReadBatch| -> Result<(), StoreError> {
            counts.add(&self.apply(run, batch)?);
            Ok(())
        };
        let result = match source {
            EventSource::Ucdp => vigie_ingest::ucdp::read_ucdp(path, &self.options, handler),
            _ => vigie_ingest::acled::read_acled(path, &self.options, handler),
        };
        match result {
            Ok(summary) => {
                self.store.finish_import(
                    run,
                    ImportStatus::Completed,
                    &counts,
                    summary.sha256.as_deref(),
                    None,
                )?;
                Ok(counts)
            }
            Err(error) => {
                let message = error.to_string();
                // Best effort: the run is marked interrupted by the next import otherwise.
                let _ = self.store.finish_import(
                    run,
                    ImportStatus::Failed,
                    &counts,
                    None,
                    Some(&message),
                );
                Err(anyhow::Error::new(error).context(format!("importing {origin}")))
            }
        }
    }

    fn import_deletions(&self, path: &Path) -> anyhow::Result<(ImportCounts, u64)> {
        let origin = path.display().to_string();
        let list = vigie_ingest::acled::read_acled_deletions(path, &self.options)
            .with_context(|| format!("reading the deletion list {origin}"))?;
        let run = self.store.start_import(EventSource::Acled, &origin, None)?;
        let mut counts = self.apply_parts(run, list.summary.rows_read, Vec::new(), list.refused)?;
        counts.deleted = self
            .store
            .apply_deletions(run, EventSource::Acled, &list.deletions)?;
        let unknown = list.deletions.len() as u64 - counts.deleted;
        self.store.finish_import(
            run,
            ImportStatus::Completed,
            &counts,
            list.summary.sha256.as_deref(),
            None,
        )?;
        Ok((counts, unknown))
    }
}

pub fn run(command: IngestCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let importer = Importer::new(context)?;
    match command {
        IngestCommand::Acled(args) => import_files(&importer, EventSource::Acled, &args),
        IngestCommand::Ucdp(args) => import_files(&importer, EventSource::Ucdp, &args),
        IngestCommand::AcledDeletions(args) => {
            let mut totals = ImportCounts::default();
            let mut unknown = 0;
            for path in &args.files {
                let (counts, missing) = importer.import_deletions(path)?;
                totals.add(&counts);
                unknown += missing;
            }
            if args.json {
                say!(
                    "{}",
                    serde_json::json!({
                        "read": totals.read,
                        "deleted": totals.deleted,
                        "already_deleted_or_unknown": unknown,
                        "quarantined": totals.quarantined,
                    })
                );
            } else {
                say!(
                    "{} deletions read: {} events deleted, {} already deleted or unknown, {} rows quarantined",
                    totals.read,
                    totals.deleted,
                    unknown,
                    totals.quarantined
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        IngestCommand::AcledApi(args) => sync_acled_api(&importer, context, &args),
    }
}

fn import_files(
    importer: &Importer,
    source: EventSource,
    args: &FilesArgs,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut totals = ImportCounts::default();
    for path in &args.files {
        let counts = importer.import_file(source, path)?;
        if !args.json {
            eprintln!(
                "{}: {} rows, {} events ({} new, {} updated, {} unchanged), {} quarantined",
                path.display(),
                counts.read,
                counts.events,
                counts.inserted,
                counts.updated,
                counts.unchanged,
                counts.quarantined
            );
        }
        totals.add(&counts);
    }
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        say!("{}", serde_json::to_string(&Totals::from(&totals))?);
    } else {
        say!(
            "read {} rows: {} events ({} new, {} updated, {} unchanged), {} quarantined, in {:.1} s ({:.0} rows/s)",
            totals.read,
            totals.events,
            totals.inserted,
            totals.updated,
            totals.unchanged,
            totals.quarantined,
            seconds,
            totals.read as f64 / seconds.max(1e-9)
        );
        if totals.quarantined > 0 {
            say!("see `vigie quarantine list` for the refused rows and why");
        }
    }
    Ok(ExitCode::SUCCESS)
}

const LAST_EVENT_TIMESTAMP: &str = "acled_api.last_event_timestamp";
const LAST_DELETION_TIMESTAMP: &str = "acled_api.last_deletion_timestamp";

fn sync_acled_api(
    importer: &Importer,
    context: &Context,
    args: &ApiArgs,
) -> anyhow::Result<ExitCode> {
    let Some(settings) = &context.config.acled_api else {
        bail!("no [acled_api] section in the configuration (see config/vigie.toml)");
    };
    let password = std::env::var(&settings.password_env).with_context(|| {
        format!(
            "the ACLED password is read from the environment variable {}, which is not set",
            settings.password_env
        )
    })?;
    let mut config =
        AcledApiConfig::new(&settings.username, &password, settings.country.as_deref());
    config.base_url = settings.base_url.clone();
    config.page_size = settings.page_size;
    config.max_attempts = settings.max_attempts;
    config.request_timeout = std::time::Duration::from_secs(settings.request_timeout_seconds);
    config.initial_backoff = std::time::Duration::from_millis(settings.initial_backoff_ms);
    let client = AcledApiClient::new(config);
    let store = &importer.store;
    let stored_position = |key: &str| -> anyhow::Result<Option<i64>> {
        if args.full {
            return Ok(None);
        }
        Ok(store.sync_state(key)?.and_then(|text| text.parse().ok()))
    };
    let since = stored_position(LAST_EVENT_TIMESTAMP)?;
    let deletions_since = stored_position(LAST_DELETION_TIMESTAMP)?;
    let origin = format!("{}/api/acled/read", settings.base_url.trim_end_matches('/'));
    let run = store.start_import(EventSource::Acled, &origin, None)?;
    let mut counts = ImportCounts::default();
    let sync = client.events_since(since, |page, records| -> Result<(), StoreError> {
        let mut events = Vec::with_capacity(records.len());
        let mut quarantined = Vec::new();
        for (position, record) in records.iter().enumerate() {
            let line = u64::from(page - 1) * u64::from(settings.page_size) + position as u64 + 1;
            match vigie_ingest::acled::normalize_acled_record(
                record,
                &origin,
                line,
                &importer.options,
            ) {
                Ok(event) => events.push(event),
                Err(refused) => quarantined.push(refused),
            }
        }
        counts.add(&importer.apply_parts(run, records.len() as u64, events, quarantined)?);
        Ok(())
    });
    let report = match sync {
        Ok(report) => report,
        Err(error) => {
            let message = error.to_string();
            let _ = store.finish_import(run, ImportStatus::Failed, &counts, None, Some(&message));
            return Err(match error {
                AcledApiError::Sink(store_error) => anyhow::Error::new(store_error),
                other => anyhow::anyhow!("{other}"),
            });
        }
    };
    let deletions = match client.deletions_since(deletions_since) {
        Ok(deletions) => deletions,
        Err(error) => {
            let message = error.to_string();
            let _ = store.finish_import(run, ImportStatus::Failed, &counts, None, Some(&message));
            bail!("{message}");
        }
    };
    counts.deleted = store.apply_deletions(run, EventSource::Acled, &deletions)?;
    // The positions move only once everything fetched is stored: a failed sync starts again
    // from the old position, and the store's upsert makes the repetition harmless.
    if let Some(newest) = report.newest_timestamp {
        let newest = since.map_or(newest, |since| since.max(newest));
        store.set_sync_state(LAST_EVENT_TIMESTAMP, &newest.to_string())?;
    }
    if let Some(newest) = deletions.iter().map(|deletion| deletion.deleted_at).max() {
        let newest = deletions_since.map_or(newest, |since| since.max(newest));
        store.set_sync_state(LAST_DELETION_TIMESTAMP, &newest.to_string())?;
    }
    store.finish_import(run, ImportStatus::Completed, &counts, None, None)?;
    if args.json {
        let mut value = serde_json::to_value(Totals::from(&counts))?;
        value["deleted"] = counts.deleted.into();
        value["pages"] = report.pages.into();
        say!("{value}");
    } else {
        say!(
            "ACLED API: {} pages, {} records: {} events ({} new, {} updated, {} unchanged), {} quarantined, {} deleted",
            report.pages,
            counts.read,
            counts.events,
            counts.inserted,
            counts.updated,
            counts.unchanged,
            counts.quarantined,
            counts.deleted
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_events(command: EventsCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let EventsCommand::Count { source, json } = command;
    let count = context.open_store()?.count_events(&EventQuery {
        source,
        ..EventQuery::default()
    })?;
    if json {
        say!("{}", serde_json::json!({ "events": count }));
    } else {
        say!("{count} events");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_quarantine(command: QuarantineCommand, context: &Context) -> anyhow::Result<ExitCode> {
    let QuarantineCommand::List { limit, json } = command;
    let records = context.open_store()?.quarantine(limit)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&records)?);
    } else {
        for stored in &records {
            let record = &stored.record;
            say!(
                "{}:{}\t{}\t{}",
                record.origin,
                record.line,
                record.field.as_deref().unwrap_or("-"),
                record.reason
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
