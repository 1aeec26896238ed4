//! A small blocking pool of PostgreSQL connections.
//!
//! The HTTP server calls the store from several blocking threads at once; one connection
//! behind a mutex would serialise them. The pool opens connections on demand up to a
//! maximum, keeps them for reuse, and drops any that the server closed.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use postgres::{Client, Config, NoTls, Statement};
use vigie_domain::store::StoreError;

use crate::error::ResultExt;

/// How long a caller waits for a free connection before giving up.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection and the statements prepared on it.
pub(super) struct PgConnection {
    pub client: Client,
    /// Prepared statements by their SQL (all `'static` strings of this crate). Server-side
    /// prepared statements outlive transactions, rolled back or not.
    pub statements: HashMap<&'static str, Statement>,
}

/// Connections to one database.
pub(super) struct Pool {
    config: Config,
    /// `host:port/database`, for error messages (never the user or the password).
    label: String,
    max_connections: usize,
    state: Mutex<PoolState>,
    released: Condvar,
}

struct PoolState {
    idle: Vec<PgConnection>,
    /// Connections in use or idle.
    open: usize,
}

impl Pool {
    /// A pool of at most `max_connections` connections made from `config`.
    pub(super) fn new(config: Config, label: String, max_connections: usize) -> Pool {
        Pool {
            config,
            label,
            max_connections: max_connections.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            released: Condvar::new(),
        }
    }

    /// `host:port/database`.
    pub(super) fn label(&self) -> &str {
        &self.label
    }

    /// A connection, reused or new; waits while all are in use.
    pub(super) fn get(&self) -> Result<PooledConnection<'_>, StoreError> {
        let deadline = Instant::now() + CHECKOUT_TIMEOUT;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(connection) = state.idle.pop() {
                return Ok(PooledConnection {
                    pool: self,
                    connection: Some(connection),
                });
            }
            if state.open < self.max_connections {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(connection) => Ok(PooledConnection {
                        pool: self,
                        connection: Some(connection),
                    }),
                    Err(error) => {
                        self.release_slot();
                        Err(error)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Backend(format!(
                    "no free connection to PostgreSQL {} after {} s ({} in use)",
                    self.label,
                    CHECKOUT_TIMEOUT.as_secs(),
                    self.max_connections
                )));
            }
            state = self
                .released
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn connect(&self) -> Result<PgConnection, StoreError> {
        let client = self
            .config
            .connect(NoTls)
            .with_context(|| format!("cannot connect to PostgreSQL {}", self.label))?;
        Ok(PgConnection {
            client,
            statements: HashMap::new(),
        })
    }

    fn release_slot(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.open -= 1;
        drop(state);
        self.released.notify_one();
    }

    fn give_back(&self, connection: PgConnection) {
        if connection.client.is_closed() {
            self.release_slot();
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.idle.push(connection);
        drop(state);
        self.released.notify_one();
    }
}

/// A connection checked out of the pool; it goes back when dropped.
pub(super) struct PooledConnection<'p> {
    pool: &'p Pool,
    connection: Option<PgConnection>,
}

impl Deref for PooledConnection<'_> {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        self.connection
            .as_ref()
            .expect("a pooled connection is present until dropped")
    }
}

impl DerefMut for PooledConnection<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.connection
            .as_mut()
            .expect("a pooled connection is present until dropped")
    }
}

/// Closes the idle connections on a thread of their own. Closing a client blocks on the
/// client's private runtime, which tokio refuses to start on an async worker: a store dropped
/// by the last task holding it (the live stream's poller at shutdown) aborted the process.
impl Drop for Pool {
    fn drop(&mut self) {
        let idle = std::mem::take(
            &mut self
                .state
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner)
                .idle,
        );
        if idle.is_empty() {
            return;
        }
        std::thread::scope(|scope| {
            scope.spawn(move || drop(idle));
        });
    }
}

impl Drop for PooledConnection<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.pool.give_back(connection);
        }
    }
}
