//! Gathering events and quarantined rows into batches for the caller's handler.

use std::mem;

use vigie_domain::{Event, QuarantineRecord};

use crate::ReadBatch;

/// Collects rows into [`ReadBatch`]es of `batch_rows` rows and hands each to the handler.
///
/// Adjacent rows of one event (a monadic export writes one row per actor, one after the
/// other) are merged here when their core fields agree, and a batch is never closed between
/// them: the last event waits for the next row before it is handed over. Rows of one id that
/// disagree, or that are not adjacent, are left for the store to reconcile.
pub(crate) struct Batcher<'h, H> {
    handler: &'h mut H,
    batch_rows: u64,
    current: ReadBatch,
    last_event: Option<Event>,
    events: u64,
    quarantined: u64,
}

impl<'h, H, E> Batcher<'h, H>
where
    H: FnMut(ReadBatch) -> Result<(), E>,
{
    pub(crate) fn new(handler: &'h mut H, batch_rows: usize) -> Batcher<'h, H> {
        Batcher {
            handler,
            batch_rows: batch_rows.max(1) as u64,
            current: ReadBatch::default(),
            last_event: None,
            events: 0,
            quarantined: 0,
        }
    }

    /// Events handed over so far (merged rows count once).
    pub(crate) fn events(&self) -> u64 {
        self.events
    }

    /// Rows quarantined so far.
    pub(crate) fn quarantined(&self) -> u64 {
        self.quarantined
    }

    /// One row that became an event.
    pub(crate) fn push_event(&mut self, event: Event) -> Result<(), E> {
        self.current.rows_read += 1;
        match &mut self.last_event {
            Some(last)
                if last.source_event_id == event.source_event_id
                    && last.source == event.source
                    && last.core_fingerprint() == event.core_fingerprint() =>
            {
                last.merge_actors_from(&event);
            }
            last => {
                if let Some(finished) = last.replace(event) {
                    self.current.events.push(finished);
                    self.events += 1;
                }
            }
        }
        self.hand_over_if_full()
    }

    /// One row that was refused.
    pub(crate) fn push_quarantined(&mut self, record: QuarantineRecord) -> Result<(), E> {
        self.current.rows_read += 1;
        self.current.quarantined.push(record);
        self.quarantined += 1;
        self.hand_over_if_full()
    }

    fn hand_over_if_full(&mut self) -> Result<(), E> {
        if self.current.rows_read < self.batch_rows {
            return Ok(());
        }
        let batch = mem::take(&mut self.current);
        (self.handler)(batch)
    }

    /// Hands over what is left.
    pub(crate) fn finish(&mut self) -> Result<(), E> {
        if let Some(last) = self.last_event.take() {
            self.current.events.push(last);
            self.events += 1;
        }
        if self.current.rows_read == 0 && self.current.events.is_empty() {
            return Ok(());
        }
        let batch = mem::take(&mut self.current);
        (self.handler)(batch)
    }
}
