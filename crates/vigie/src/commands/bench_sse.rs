//! `vigie bench sse`: live-stream delivery, from ingestion to every connected client.
//!
//! A running `vigie serve` and this process share one database. The benchmark opens many
//! connections to `GET /api/stream` (Server-Sent Events, with a researcher key so that event
//! messages are sent), then imports small batches of new events into the store the way
//! `vigie ingest` does (one import run and one batch per round, so one `event` message per
//! round), and times each message's arrival at each client against two clocks:
//!
//! - the entry's `created_at`, which the store takes as the batch begins (the same wall
//!   clock: client and server run on one machine);
//! - the moment the batch's commit returned here.
//!
//! Rounds are spaced by a random pause, so that they fall anywhere in the server's polling
//! period rather than always at the same phase of it.
//!
//! The client is a minimal HTTP/1.1 reader over a plain socket (chunked transfer, SSE
//! framing), so that a thousand connections cost a thousand sockets and tasks, nothing more.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use clap::Args;
use rand::{RngExt as _, SeedableRng as _};
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};
use vigie_domain::store::{ImportBatch, ImportStatus, Store};
use vigie_domain::{EventSource, LocatedEvent};
use vigie_ingest::synthetic::{GenerateOptions, generate_acled};
use vigie_ingest::{IngestOptions, locate_event};

use crate::context::Context;

#[derive(Debug, Args)]
pub struct SseArgs {
    /// The server's base URL (plain HTTP; the benchmark runs on loopback).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Environment variable holding a researcher (or higher) API key: event messages are
    /// not public.
    #[arg(long, default_value = "VIGIE_BENCH_KEY")]
    key_env: String,
    /// Connected clients.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Import batches, one message each.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// New events per batch.
    #[arg(long, default_value_t = 10)]
    events: usize,
    /// Shortest pause between batches, ms.
    #[arg(long, default_value_t = 300)]
    min_gap_ms: u64,
    /// Longest pause between batches, ms.
    #[arg(long, default_value_t = 900)]
    max_gap_ms: u64,
    /// How long to wait for the last messages after the last batch, ms.
    #[arg(long, default_value_t = 5000)]
    settle_ms: u64,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// The figures printed.
#[derive(Debug, Serialize)]
struct SseFigures {
    clients: usize,
    connected: usize,
    connect_seconds: f64,
    rounds: usize,
    events_per_round: usize,
    expected_deliveries: usize,
    deliveries: usize,
    clients_with_every_message: usize,
    /// Receipt minus the entry's `created_at` (taken as the batch begins).
    from_created_p50_ms: f64,
    from_created_p99_ms: f64,
    from_created_max_ms: f64,
    /// Receipt minus the moment the batch's commit returned.
    from_commit_p50_ms: f64,
    from_commit_p99_ms: f64,
    from_commit_max_ms: f64,
    /// How long the batches took to write (locate excluded), median.
    write_p50_ms: f64,
    /// Latency of the first client to get each message, median (the fan-out excluded).
    first_client_p50_ms: f64,
}

/// One message as a client saw it.
struct Receipt {
    /// The message's `ref_id`: the import run.
    run: i64,
    /// `created_at` of the entry.
    created_at: DateTime<Utc>,
    at_wall: SystemTime,
    at: Instant,
}

/// What one round did.
struct Round {
    run: i64,
    committed: Instant,
    write: Duration,
}

pub fn bench_sse(args: SseArgs, context: &Context) -> anyhow::Result<ExitCode> {
    if args.clients == 0 || args.rounds == 0 || args.events == 0 {
        bail!("--clients, --rounds and --events must be at least 1");
    }
    if args.min_gap_ms > args.max_gap_ms {
        bail!("--min-gap-ms must not exceed --max-gap-ms");
    }
    let key = std::env::var(&args.key_env)
        .ok()
        .filter(|key| !key.is_empty())
        .with_context(|| {
            format!(
                "set {} to a researcher API key (`vigie keys create --role researcher`)",
                args.key_env
            )
        })?;
    let (host, port) = parse_http_url(&args.url)?;
    let batches = prepare_batches(context, args.rounds, args.events)?;
    let store = context.open_store()?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let figures = runtime.block_on(run_clients(&args, &host, port, &key, store, batches))?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        print_figures(&figures)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `rounds` batches of `events` new events each, located: generated ACLED rows dated
/// today, their ids made unique to this run so that every batch inserts.
fn prepare_batches(
    context: &Context,
    rounds: usize,
    events: usize,
) -> anyhow::Result<Vec<Vec<LocatedEvent>>> {
    let geography = context.geography.load()?;
    let today = Utc::now().date_naive();
    let rows = (rounds * events) as u64;
    let options = GenerateOptions {
        from: today,
        to: today,
        ..GenerateOptions::new(rows, 4242)
    };
    let mut csv = Vec::new();
    generate_acled(&geography.zones, &options, &mut csv).context("generating bench events")?;
    let mut parsed = Vec::new();
    let ingest_options = IngestOptions::new(today);
    vigie_ingest::acled::read_acled_stream(csv.as_slice(), "bench sse", &ingest_options, |batch| {
        parsed.extend(batch.events);
        Ok::<(), std::convert::Infallible>(())
    })
    .map_err(|error| anyhow::anyhow!("reading generated events: {error}"))?;
    if parsed.len() < rounds * events {
        bail!(
            "the generator gave {} events, {} wanted",
            parsed.len(),
            rounds * events
        );
    }
    // Unique per invocation: a second run against the same database inserts again.
    let nonce = Utc::now().timestamp_millis();
    let mut located: Vec<LocatedEvent> = parsed
        .into_iter()
        .take(rounds * events)
        .enumerate()
        .map(|(position, mut event)| {
            event.source_event_id = format!("BENCH-SSE-{nonce}-{position}");
            locate_event(event, &geography.index, &geography.zones)
        })
        .collect();
    let mut batches = Vec::with_capacity(rounds);
    while !located.is_empty() {
        let rest = located.split_off(events.min(located.len()));
        batches.push(std::mem::replace(&mut located, rest));
    }
    Ok(batches)
}

async fn run_clients(
    args: &SseArgs,
    host: &str,
    port: u16,
    key: &str,
    store: Arc<dyn Store>,
    batches: Vec<Vec<LocatedEvent>>,
) -> anyhow::Result<SseFigures> {
    let (stop_sender, stop) = watch::channel(false);
    let (ready_sender, mut ready) = tokio::sync::mpsc::channel::<Result<(), String>>(args.clients);
    // A few hundred connection attempts at once at most: the listener's backlog is finite.
    let gate = Arc::new(Semaphore::new(256));
    let request = Arc::<str>::from(format!(
        "GET /api/stream HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\
         Authorization: Bearer {key}\r\n\r\n"
    ));
    let connect_started = Instant::now();
    let mut tasks = Vec::with_capacity(args.clients);
    for _ in 0..args.clients {
        let address = format!("{host}:{port}");
        let request = request.clone();
        let stop = stop.clone();
        let ready = ready_sender.clone();
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            client(address, request, gate, ready, stop).await
        }));
    }
    drop(ready_sender);
    let mut connected = 0;
    let mut failures: HashMap<String, usize> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    for _ in 0..args.clients {
        match tokio::time::timeout_at(deadline, ready.recv()).await {
            Ok(Some(Ok(()))) => connected += 1,
            Ok(Some(Err(reason))) => *failures.entry(reason).or_default() += 1,
            Ok(None) | Err(_) => break,
        }
    }
    let connect_seconds = connect_started.elapsed().as_secs_f64();
    for (reason, count) in &failures {
        eprintln!("  {count} client(s) failed to connect: {reason}");
    }
    eprintln!(
        "  {connected} of {} clients connected in {connect_seconds:.1} s; importing {} batches",
        args.clients,
        batches.len()
    );

    let rounds = {
        let gaps = (args.min_gap_ms, args.max_gap_ms);
        tokio::task::spawn_blocking(move || ingest_rounds(store.as_ref(), batches, gaps))
            .await
            .context("the ingesting thread failed")??
    };
    let runs: HashMap<i64, usize> = rounds
        .iter()
        .enumerate()
        .map(|(position, round)| (round.run, position))
        .collect();

    // Wait for the stragglers: until every connected client has every message, or settle_ms.
    let settle_until = Instant::now() + Duration::from_millis(args.settle_ms);
    tokio::time::sleep_until(tokio::time::Instant::from_std(settle_until)).await;
    let _ = stop_sender.send(true);
    let mut received: Vec<Vec<Receipt>> = Vec::with_capacity(tasks.len());
    for task in tasks {
        received.push(task.await.unwrap_or_default());
    }

    let mut from_created = Vec::new();
    let mut from_commit = Vec::new();
    let mut first_per_round: Vec<Option<Duration>> = vec![None; rounds.len()];
    let mut complete = 0;
    for receipts in &received {
        let mut seen = vec![false; rounds.len()];
        for receipt in receipts {
            let Some(&position) = runs.get(&receipt.run) else {
                continue;
            };
            if seen[position] {
                continue;
            }
            seen[position] = true;
            let created: SystemTime = receipt.created_at.into();
            from_created.push(
                receipt
                    .at_wall
                    .duration_since(created)
                    .map_or(0.0, |delay| delay.as_secs_f64() * 1e3),
            );
            let round = &rounds[position];
            let after_commit = receipt.at.saturating_duration_since(round.committed);
            from_commit.push(after_commit.as_secs_f64() * 1e3);
            let first = &mut first_per_round[position];
            *first = Some(first.map_or(after_commit, |best| best.min(after_commit)));
        }
        complete += usize::from(seen.iter().all(|seen| *seen));
    }
    let deliveries = from_created.len();
    let mut writes: Vec<f64> = rounds
        .iter()
        .map(|round| round.write.as_secs_f64() * 1e3)
        .collect();
    let mut firsts: Vec<f64> = first_per_round
        .iter()
        .flatten()
        .map(|first| first.as_secs_f64() * 1e3)
        .collect();
    Ok(SseFigures {
        clients: args.clients,
        connected,
        connect_seconds,
        rounds: rounds.len(),
        events_per_round: args.events,
        expected_deliveries: connected * rounds.len(),
        deliveries,
        clients_with_every_message: complete,
        from_created_p50_ms: percentile(&mut from_created, 0.50),
        from_created_p99_ms: percentile(&mut from_created, 0.99),
        from_created_max_ms: percentile(&mut from_created, 1.0),
        from_commit_p50_ms: percentile(&mut from_commit, 0.50),
        from_commit_p99_ms: percentile(&mut from_commit, 0.99),
        from_commit_max_ms: percentile(&mut from_commit, 1.0),
        write_p50_ms: percentile(&mut writes, 0.50),
        first_client_p50_ms: percentile(&mut firsts, 0.50),
    })
}

/// Imports each batch as its own run, as `vigie ingest` does with a file, pausing a random
/// time in `gaps` (ms) between batches.
fn ingest_rounds(
    store: &dyn Store,
    batches: Vec<Vec<LocatedEvent>>,
    gaps: (u64, u64),
) -> anyhow::Result<Vec<Round>> {
    let mut random = rand::rngs::StdRng::seed_from_u64(7);
    let mut rounds = Vec::with_capacity(batches.len());
    for (position, events) in batches.into_iter().enumerate() {
        std::thread::sleep(Duration::from_millis(random.random_range(gaps.0..=gaps.1)));
        let rows_read = events.len() as u64;
        let run = store.start_import(EventSource::Acled, &format!("bench sse {position}"), None)?;
        let started = Instant::now();
        let counts = store.apply_batch(
            run,
            &ImportBatch {
                rows_read,
                events,
                quarantined: Vec::new(),
            },
        )?;
        let committed = Instant::now();
        if counts.inserted != rows_read {
            bail!(
                "batch {position} inserted {} of {rows_read} events",
                counts.inserted
            );
        }
        store.finish_import(run, ImportStatus::Completed, &counts, None, None)?;
        rounds.push(Round {
            run,
            committed,
            write: committed - started,
        });
    }
    Ok(rounds)
}

/// One client: connect, check the answer is an event stream, tell `ready`, then note every
/// `event` message until `stop`.
async fn client(
    address: String,
    request: Arc<str>,
    gate: Arc<Semaphore>,
    ready: tokio::sync::mpsc::Sender<Result<(), String>>,
    mut stop: watch::Receiver<bool>,
) -> Vec<Receipt> {
    let permit = gate.acquire_owned().await;
    let mut socket = match connect(&address, &request).await {
        Ok(socket) => socket,
        Err(reason) => {
            let _ = ready.send(Err(reason)).await;
            return Vec::new();
        }
    };
    drop(permit);
    let mut reader = StreamReader::default();
    // The status line and headers.
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => {
                let _ = ready.send(Err("closed before answering".into())).await;
                return Vec::new();
            }
            Ok(read) => reader.pending.extend_from_slice(&buffer[..read]),
        }
        match reader.take_headers() {
            Ok(None) => continue,
            Ok(Some(())) => break,
            Err(reason) => {
                let _ = ready.send(Err(reason)).await;
                return Vec::new();
            }
        }
    }
    let _ = ready.send(Ok(())).await;
    drop(ready);
    let mut receipts = Vec::new();
    let mut events = Vec::new();
    loop {
        let read = tokio::select! {
            read = socket.read(&mut buffer) => read,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let (at, at_wall) = (Instant::now(), SystemTime::now());
        match read {
            Ok(0) | Err(_) => break,
            Ok(read) => reader.pending.extend_from_slice(&buffer[..read]),
        }
        if reader.take_events(&mut events).is_err() {
            break;
        }
        for data in events.drain(..) {
            if let Some((run, created_at)) = event_message(&data) {
                receipts.push(Receipt {
                    run,
                    created_at,
                    at_wall,
                    at,
                });
            }
        }
    }
    receipts
}

async fn connect(address: &str, request: &str) -> Result<TcpStream, String> {
    let mut socket = TcpStream::connect(address)
        .await
        .map_err(|error| format!("connect: {}", error.kind()))?;
    socket
        .set_nodelay(true)
        .map_err(|error| format!("nodelay: {}", error.kind()))?;
    socket
        .write_all(request.as_bytes())
        .await
        .map_err(|error| format!("write: {}", error.kind()))?;
    Ok(socket)
}

/// The run and `created_at` of an `event` message's data, `None` for any other message.
fn event_message(data: &str) -> Option<(i64, DateTime<Utc>)> {
    let message: Value = serde_json::from_str(data).ok()?;
    if message["kind"] != "event" {
        return None;
    }
    let run = message["ref_id"].as_i64()?;
    let created_at = message["created_at"].as_str()?.parse().ok()?;
    Some((run, created_at))
}

/// Undoes HTTP/1.1 chunked framing and splits Server-Sent Events.
#[derive(Default)]
struct StreamReader {
    /// Bytes read and not yet de-chunked.
    pending: Vec<u8>,
    /// Whether the body is chunked (else it is read as it comes).
    chunked: bool,
    /// Bytes left in the current chunk; `None` between chunks.
    chunk_left: Option<usize>,
    /// De-chunked body not yet split into events.
    body: Vec<u8>,
}

impl StreamReader {
    /// Consumes the status line and headers once they are all in: `Ok(None)` while they
    /// are not, an error unless the answer is a 200 event stream.
    fn take_headers(&mut self) -> Result<Option<()>, String> {
        let Some(end) = find(&self.pending, b"\r\n\r\n") else {
            return Ok(None);
        };
        let head = String::from_utf8_lossy(&self.pending[..end]).to_ascii_lowercase();
        let status = head.lines().next().unwrap_or_default().to_owned();
        if !status.starts_with("http/1.1 200") {
            return Err(format!("answered {status:?}"));
        }
        if !head.contains("content-type: text/event-stream") {
            return Err("not an event stream".into());
        }
        self.chunked = head.contains("transfer-encoding: chunked");
        self.pending.drain(..end + 4);
        Ok(Some(()))
    }

    /// Appends the data of every complete event to `events`.
    fn take_events(&mut self, events: &mut Vec<String>) -> Result<(), String> {
        self.dechunk()?;
        while let Some(end) = find(&self.body, b"\n\n") {
            let block = String::from_utf8_lossy(&self.body[..end]).into_owned();
            self.body.drain(..end + 2);
            let data: Vec<&str> = block
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(|value| value.strip_prefix(' ').unwrap_or(value))
                .collect();
            if !data.is_empty() {
                events.push(data.join("\n"));
            }
        }
        Ok(())
    }

    fn dechunk(&mut self) -> Result<(), String> {
        if !self.chunked {
            self.body.append(&mut self.pending);
            return Ok(());
        }
        loop {
            match self.chunk_left {
                None => {
                    let Some(end) = find(&self.pending, b"\r\n") else {
                        return Ok(());
                    };
                    let line = String::from_utf8_lossy(&self.pending[..end]).into_owned();
                    let size = line.split(';').next().unwrap_or_default().trim();
                    let size = usize::from_str_radix(size, 16)
                        .map_err(|_| format!("bad chunk size {line:?}"))?;
                    if size == 0 {
                        return Err("the stream ended".into());
                    }
                    self.pending.drain(..end + 2);
                    self.chunk_left = Some(size);
                }
                Some(left) => {
                    // The chunk's data, then its CRLF.
                    if self.pending.len() < left + 2 {
                        return Ok(());
                    }
                    self.body.extend_from_slice(&self.pending[..left]);
                    self.pending.drain(..left + 2);
                    self.chunk_left = None;
                }
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Host and port of a plain `http://host:port` URL.
fn parse_http_url(url: &str) -> anyhow::Result<(String, u16)> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url:?}: only plain http:// URLs (loopback benchmark)"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse()
                .with_context(|| format!("{url:?}: bad port {port:?}"))?,
        ),
        None => (authority, 80),
    };
    if host.is_empty() {
        bail!("{url:?}: no host");
    }
    Ok((host.to_owned(), port))
}

/// The `quantile` (0 to 1) of `values` by nearest rank; 0 when empty.
fn percentile(values: &mut [f64], quantile: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let rank = (quantile * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

fn print_figures(figures: &SseFigures) -> anyhow::Result<()> {
    say!(
        "vigie live-stream benchmark — {} SSE clients, {} batches of {} events",
        figures.clients,
        figures.rounds,
        figures.events_per_round
    );
    say!(
        "  connected           {} clients in {:.1} s",
        figures.connected,
        figures.connect_seconds
    );
    say!(
        "  delivered           {} of {} messages; {} clients got every message",
        figures.deliveries,
        figures.expected_deliveries,
        figures.clients_with_every_message
    );
    say!(
        "  from created_at     p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        figures.from_created_p50_ms,
        figures.from_created_p99_ms,
        figures.from_created_max_ms
    );
    say!(
        "  from commit         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        figures.from_commit_p50_ms,
        figures.from_commit_p99_ms,
        figures.from_commit_max_ms
    );
    say!(
        "  batch write         {:.1} ms (median); first client after commit {:.1} ms (median)",
        figures.write_p50_ms,
        figures.first_client_p50_ms
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_sse_is_split_into_event_data() {
        let mut reader = StreamReader {
            pending: b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                       transfer-encoding: chunked\r\n\r\n"
                .to_vec(),
            ..StreamReader::default()
        };
        assert_eq!(reader.take_headers(), Ok(Some(())));
        let first = "event: event\ndata: {\"kind\":\"event\"}\nid: 3\n\n";
        let second = ": keep-alive\n\n";
        let mut wire = format!("{:x}\r\n{first}\r\n{:x}\r\n", first.len(), second.len());
        // The second chunk arrives in two reads.
        reader.pending.extend_from_slice(wire.as_bytes());
        let mut events = Vec::new();
        reader.take_events(&mut events).unwrap();
        assert_eq!(events, vec!["{\"kind\":\"event\"}".to_owned()]);
        wire = format!("{second}\r\n");
        reader.pending.extend_from_slice(wire.as_bytes());
        reader.take_events(&mut events).unwrap();
        assert_eq!(events.len(), 1, "a comment is no event");
    }

    #[test]
    fn a_refusal_is_reported() {
        let mut reader = StreamReader {
            pending: b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n".to_vec(),
            ..StreamReader::default()
        };
        assert!(reader.take_headers().is_err());
    }

    #[test]
    fn event_messages_give_their_run_and_time() {
        let data = r#"{"id":9,"kind":"event","ref_id":4,"created_at":"2026-01-02T03:04:05.000006Z","data":{}}"#;
        let (run, created) = event_message(data).unwrap();
        assert_eq!(run, 4);
        assert_eq!(created.timestamp_subsec_micros(), 6);
        assert!(event_message(r#"{"kind":"warning","ref_id":1}"#).is_none());
        assert_eq!(
            parse_http_url("http://127.0.0.1:8099").unwrap(),
            ("127.0.0.1".to_owned(), 8099)
        );
        let mut values = vec![5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(percentile(&mut values, 0.5), 3.0);
        assert_eq!(percentile(&mut values, 0.99), 5.0);
    }
}
