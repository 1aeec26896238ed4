//! The typed configuration file. Read and validated once at start-up; a bad file fails with
//! the file, the key and the reason. Secrets never live in the file: it names the environment
//! variables (or files) that hold them.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// Everything a deployment can set. Unknown keys are errors, not silently ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the geography comes from and how points are placed in it.
    #[serde(default)]
    pub geography: GeographyConfig,
    /// The database.
    #[serde(default)]
    pub store: StoreConfig,
    /// How records are validated on the way in.
    #[serde(default)]
    pub ingest: IngestConfig,
    /// How reporters' phone numbers are protected.
    #[serde(default)]
    pub privacy: PrivacyConfig,
    /// The ACLED API account, when the deployment syncs from it.
    pub acled_api: Option<AcledApiConfig>,
    /// The SMS gateways and web form that bring community reports in.
    #[serde(default)]
    pub intake: IntakeConfig,
    /// The HTTP server.
    #[serde(default)]
    pub server: ServerConfig,
    /// Warnings to committees: who, through which gateways, how often.
    #[serde(default)]
    pub delivery: DeliveryConfig,
    /// Several replicas on one PostgreSQL database: leadership and live updates.
    #[serde(default)]
    pub cluster: ClusterConfig,
}

/// The `[cluster]` table (PostgreSQL only; a SQLite deployment is one process, always the
/// leader).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// How often a follower tries to take the leader lock, milliseconds.
    #[serde(default = "default_lock_retry_ms")]
    pub lock_retry_ms: u64,
    /// How often the leader checks that its lock's connection is alive, milliseconds; a
    /// failed check, or none confirmed for twice this long (plus half a second), and it
    /// steps down.
    #[serde(default = "default_lock_check_ms")]
    pub lock_check_ms: u64,
    /// How often the live stream reads the log without being woken by a notification,
    /// milliseconds (the safety net under `LISTEN/NOTIFY`).
    #[serde(default = "default_stream_poll_ms")]
    pub stream_poll_ms: u64,
}

fn default_lock_retry_ms() -> u64 {
    1_000
}

fn default_lock_check_ms() -> u64 {
    500
}

fn default_stream_poll_ms() -> u64 {
    1_000
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            lock_retry_ms: default_lock_retry_ms(),
            lock_check_ms: default_lock_check_ms(),
            stream_poll_ms: default_stream_poll_ms(),
        }
    }
}

/// The `[geography]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeographyConfig {
    /// Zone set file to use instead of the embedded Mali 2015 geography (relative paths are
    /// relative to the configuration file).
    pub zones: Option<PathBuf>,
    /// Points outside every commune but within this distance of one are snapped to it (km).
    #[serde(default = "default_snap_km")]
    pub snap_km: f64,
    /// How often `serve` looks at the store's current zone set version, as a safety net
    /// beside PostgreSQL's notifications (and the only way on SQLite), in seconds.
    #[serde(default = "default_geography_check_seconds")]
    pub check_interval_seconds: u64,
}

fn default_snap_km() -> f64 {
    5.0
}

fn default_geography_check_seconds() -> u64 {
    30
}

impl Default for GeographyConfig {
    fn default() -> Self {
        GeographyConfig {
            zones: None,
            snap_km: default_snap_km(),
            check_interval_seconds: default_geography_check_seconds(),
        }
    }
}

/// The `[store]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// A SQLite file path (relative to the configuration file) or a `postgres://` URL.
    #[serde(default = "default_database")]
    pub database: String,
}

fn default_database() -> String {
    "vigie.sqlite3".to_owned()
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            database: default_database(),
        }
    }
}

/// The `[ingest]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Coordinates outside this box are flagged (default: Mali with a quarter-degree margin).
    pub region: Option<vigie_ingest::RegionOfInterest>,
    /// Records longer than this many bytes are quarantined unread.
    #[serde(default = "default_max_record_bytes")]
    pub max_record_bytes: usize,
    /// Rows per transaction.
    #[serde(default = "default_batch_rows")]
    pub batch_rows: usize,
}

fn default_max_record_bytes() -> usize {
    64 * 1024
}

fn default_batch_rows() -> usize {
    20_000
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            region: None,
            max_record_bytes: default_max_record_bytes(),
            batch_rows: default_batch_rows(),
        }
    }
}

/// The `[privacy]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyConfig {
    /// Environment variable holding the deployment secret (hex, at least 32 bytes). It keys
    /// the HMAC and the encryption of reporters' phone numbers.
    #[serde(default = "default_secret_env")]
    pub secret_env: String,
    /// File holding the secret when the variable is unset; created (mode 0600, 32 random
    /// bytes) on first use so that the embedded default needs no setup. Relative to the
    /// configuration file.
    #[serde(default = "default_secret_file")]
    pub secret_file: PathBuf,
}

fn default_secret_env() -> String {
    "VIGIE_SECRET".to_owned()
}

fn default_secret_file() -> PathBuf {
    PathBuf::from("vigie.secret")
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig {
            secret_env: default_secret_env(),
            secret_file: default_secret_file(),
        }
    }
}

/// The `[acled_api]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcledApiConfig {
    /// The API's scheme and host.
    #[serde(default = "default_acled_url")]
    pub base_url: String,
    /// The account's email.
    pub username: String,
    /// Environment variable holding the account's password.
    #[serde(default = "default_acled_password_env")]
    pub password_env: String,
    /// Only events of this country.
    #[serde(default = "default_country")]
    pub country: Option<String>,
    /// Records per page (at most 5000).
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Attempts per request before giving up.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Whole-request timeout in seconds.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_seconds: u64,
    /// First retry delay in milliseconds (doubled at each retry).
    #[serde(default = "default_initial_backoff")]
    pub initial_backoff_ms: u64,
}

fn default_acled_url() -> String {
    "https://acleddata.com".to_owned()
}

fn default_acled_password_env() -> String {
    "ACLED_PASSWORD".to_owned()
}

fn default_country() -> Option<String> {
    Some("Mali".to_owned())
}

fn default_page_size() -> u32 {
    5000
}

fn default_attempts() -> u32 {
    6
}

fn default_request_timeout() -> u64 {
    120
}

fn default_initial_backoff() -> u64 {
    2000
}

/// The `[intake]` table: secrets are read from the environment variables named here.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeConfig {
    /// The URL at which gateways reach this server (Twilio signs the full URL).
    #[serde(default = "default_public_url")]
    pub public_base_url: String,
    /// Environment variable holding the Twilio auth token.
    #[serde(default = "default_twilio_env")]
    pub twilio_auth_token_env: String,
    /// Environment variable holding the secret path token of the Africa's Talking callback.
    #[serde(default = "default_africastalking_env")]
    pub africastalking_token_env: String,
    /// Environment variable holding the SMSSync gateways' shared secret.
    #[serde(default = "default_smssync_env")]
    pub smssync_secret_env: String,
    /// Environment variable holding the secret path token of Africa's Talking delivery
    /// reports (`/webhooks/receipts/africastalking/{token}`).
    #[serde(default = "default_africastalking_receipts_env")]
    pub africastalking_receipts_token_env: String,
    /// Environment variable holding the bearer token of the JSON gateway's delivery receipts.
    #[serde(default = "default_webhook_receipts_env")]
    pub webhook_receipts_token_env: String,
    /// Largest accepted request body, bytes.
    #[serde(default = "default_body_limit")]
    pub body_limit_bytes: usize,
}

fn default_public_url() -> String {
    "http://127.0.0.1:8080".to_owned()
}

fn default_twilio_env() -> String {
    "VIGIE_TWILIO_AUTH_TOKEN".to_owned()
}

fn default_africastalking_env() -> String {
    "VIGIE_AFRICASTALKING_TOKEN".to_owned()
}

fn default_smssync_env() -> String {
    "VIGIE_SMSSYNC_SECRET".to_owned()
}

fn default_africastalking_receipts_env() -> String {
    "VIGIE_AFRICASTALKING_RECEIPTS_TOKEN".to_owned()
}

fn default_webhook_receipts_env() -> String {
    "VIGIE_SMS_WEBHOOK_RECEIPTS_TOKEN".to_owned()
}

fn default_body_limit() -> usize {
    16 * 1024
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            public_base_url: default_public_url(),
            twilio_auth_token_env: default_twilio_env(),
            africastalking_token_env: default_africastalking_env(),
            smssync_secret_env: default_smssync_env(),
            africastalking_receipts_token_env: default_africastalking_receipts_env(),
            webhook_receipts_token_env: default_webhook_receipts_env(),
            body_limit_bytes: default_body_limit(),
        }
    }
}

/// The `[server]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    #[serde(default = "default_bind")]
    pub bind: String,
    /// Longest a request may take, seconds (slower ones get 503).
    #[serde(default = "default_request_timeout_seconds")]
    pub request_timeout_seconds: u64,
    /// Addresses or blocks (`127.0.0.1`, `10.0.0.0/8`) of the reverse proxies in front of the
    /// server, whose `X-Forwarded-For` names the client; from anyone else the header is
    /// ignored. Empty by default.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Per-client request rates.
    #[serde(default)]
    pub rate_limit: RateLimitSettings,
    /// The web map's folder (`index.html`, `app.js`, `node_modules/` after
    /// `npm ci --prefix web`); relative paths are from the working directory.
    #[serde(default = "default_web_root")]
    pub web_root: PathBuf,
}

fn default_web_root() -> PathBuf {
    PathBuf::from("web")
}

fn default_bind() -> String {
    "127.0.0.1:8080".to_owned()
}

fn default_request_timeout_seconds() -> u64 {
    10
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: default_bind(),
            request_timeout_seconds: default_request_timeout_seconds(),
            trusted_proxies: Vec::new(),
            rate_limit: RateLimitSettings::default(),
            web_root: default_web_root(),
        }
    }
}

/// The `[server.rate_limit]` table: token buckets per API key and per client address (the
/// SMS gateways' webhooks and `/healthz` are never limited).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Whether requests are limited at all.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Sustained requests per second of a client address without a live key.
    #[serde(default = "default_anonymous_per_second")]
    pub anonymous_per_second: f64,
    /// Requests such a client may send at once.
    #[serde(default = "default_anonymous_burst")]
    pub anonymous_burst: u32,
    /// Sustained requests per second of one API key.
    #[serde(default = "default_keyed_per_second")]
    pub keyed_per_second: f64,
    /// Requests one API key may send at once.
    #[serde(default = "default_keyed_burst")]
    pub keyed_burst: u32,
    /// The most clients tracked at once (memory: about 100 bytes each).
    #[serde(default = "default_max_clients")]
    pub max_clients: usize,
}

fn default_anonymous_per_second() -> f64 {
    vigie_http::RateLimitConfig::default().anonymous.per_second
}

fn default_anonymous_burst() -> u32 {
    vigie_http::RateLimitConfig::default().anonymous.burst
}

fn default_keyed_per_second() -> f64 {
    vigie_http::RateLimitConfig::default().keyed.per_second
}

fn default_keyed_burst() -> u32 {
    vigie_http::RateLimitConfig::default().keyed.burst
}

fn default_max_clients() -> usize {
    vigie_http::RateLimitConfig::default().max_clients
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            enabled: true,
            anonymous_per_second: default_anonymous_per_second(),
            anonymous_burst: default_anonymous_burst(),
            keyed_per_second: default_keyed_per_second(),
            keyed_burst: default_keyed_burst(),
            max_clients: default_max_clients(),
        }
    }
}

impl ServerConfig {
    /// The HTTP crate's rate-limit settings; `Err` names a trusted proxy that is not an
    /// address or block.
    pub fn rate_limit(&self) -> anyhow::Result<vigie_http::RateLimitConfig> {
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .map(|text| text.parse::<vigie_http::IpNetwork>())
            .collect::<Result<Vec<_>, _>>()
            .context("server.trusted_proxies")?;
        let limits = &self.rate_limit;
        Ok(vigie_http::RateLimitConfig {
            enabled: limits.enabled,
            anonymous: vigie_http::Rate {
                per_second: limits.anonymous_per_second,
                burst: limits.anonymous_burst,
            },
            keyed: vigie_http::Rate {
                per_second: limits.keyed_per_second,
                burst: limits.keyed_burst,
            },
            trusted_proxies,
            max_clients: limits.max_clients,
        })
    }
}

/// The `[delivery]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// The committees file (see `config/committees.toml`); relative to this file. Without
    /// it, warnings are stored but nobody is notified.
    pub committees: Option<PathBuf>,
    /// The rules file; relative to this file. Without it, the built-in defaults.
    pub rules: Option<PathBuf>,
    /// Base of the short links in messages (`{link_base_url}/w/{episode}`).
    #[serde(default = "default_link_base")]
    pub link_base_url: String,
    /// Replace accents to keep SMS in GSM-7 (160 characters per segment instead of 70).
    #[serde(default = "default_true")]
    pub transliterate: bool,
    /// Longest SMS, in segments; longer texts are cut with an ellipsis.
    #[serde(default = "default_max_segments")]
    pub max_segments: u8,
    /// How long a dispatcher owns the notifications it claimed, seconds.
    #[serde(default = "default_lease_seconds")]
    pub lease_seconds: u64,
    /// Attempts before a notification goes to the dead-letter state.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// First retry delay, milliseconds (doubled at each attempt, with jitter).
    #[serde(default = "default_backoff_initial_ms")]
    pub backoff_initial_ms: u64,
    /// Longest retry delay, milliseconds.
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// How often an idle dispatcher looks for due notifications, milliseconds.
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
    /// How often `vigie serve` runs the warning engine over the stored events, seconds.
    #[serde(default = "default_engine_interval")]
    pub engine_interval_seconds: u64,
    /// The SMS gateway.
    #[serde(default)]
    pub sms: SmsGatewayConfig,
    /// The email server.
    #[serde(default)]
    pub email: EmailServerConfig,
}

fn default_link_base() -> String {
    "http://127.0.0.1:8080".to_owned()
}

fn default_true() -> bool {
    true
}

fn default_max_segments() -> u8 {
    2
}

fn default_lease_seconds() -> u64 {
    60
}

fn default_max_attempts() -> u32 {
    10
}

fn default_backoff_initial_ms() -> u64 {
    5_000
}

fn default_backoff_max_ms() -> u64 {
    15 * 60 * 1000
}

fn default_poll_ms() -> u64 {
    500
}

fn default_engine_interval() -> u64 {
    60
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            committees: None,
            rules: None,
            link_base_url: default_link_base(),
            transliterate: true,
            max_segments: default_max_segments(),
            lease_seconds: default_lease_seconds(),
            max_attempts: default_max_attempts(),
            backoff_initial_ms: default_backoff_initial_ms(),
            backoff_max_ms: default_backoff_max_ms(),
            poll_interval_ms: default_poll_ms(),
            engine_interval_seconds: default_engine_interval(),
            sms: SmsGatewayConfig::default(),
            email: EmailServerConfig::default(),
        }
    }
}

/// The `[delivery.sms]` table: which gateway sends SMS. Secrets come from the environment
/// variables it names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, tag = "provider", rename_all = "snake_case")]
pub enum SmsGatewayConfig {
    /// No SMS: SMS notifications stay pending until a gateway is configured.
    #[default]
    None,
    /// Append each SMS to a JSON-lines file (relative to the configuration file).
    File {
        /// The file.
        path: PathBuf,
    },
    /// Africa's Talking.
    Africastalking {
        /// API base (default `https://api.africastalking.com`).
        #[serde(default = "default_africastalking_url")]
        base_url: String,
        /// The account's username.
        username: String,
        /// Environment variable holding the API key.
        #[serde(default = "default_africastalking_key_env")]
        api_key_env: String,
        /// Sender id or short code, if the account has one.
        sender_id: Option<String>,
        /// Request timeout, seconds.
        #[serde(default = "default_gateway_timeout")]
        timeout_seconds: u64,
    },
    /// Twilio.
    Twilio {
        /// API base (default `https://api.twilio.com`).
        #[serde(default = "default_twilio_url")]
        base_url: String,
        /// The account SID.
        account_sid: String,
        /// Environment variable holding the auth token.
        #[serde(default = "default_twilio_token_env")]
        auth_token_env: String,
        /// The sending number.
        from: String,
        /// Where Twilio reports delivery: `{public URL}/webhooks/receipts/twilio`.
        status_callback_url: Option<String>,
        /// Request timeout, seconds.
        #[serde(default = "default_gateway_timeout")]
        timeout_seconds: u64,
    },
    /// A JSON webhook (`{to, message, idempotency_key}` → `{id}`).
    Webhook {
        /// The URL.
        url: String,
        /// Environment variable holding a bearer token, if the gateway wants one.
        bearer_token_env: Option<String>,
        /// Request timeout, seconds.
        #[serde(default = "default_gateway_timeout")]
        timeout_seconds: u64,
    },
}

fn default_africastalking_url() -> String {
    "https://api.africastalking.com".to_owned()
}

fn default_africastalking_key_env() -> String {
    "VIGIE_AFRICASTALKING_API_KEY".to_owned()
}

fn default_twilio_url() -> String {
    "https://api.twilio.com".to_owned()
}

fn default_twilio_token_env() -> String {
    "VIGIE_TWILIO_SEND_TOKEN".to_owned()
}

fn default_gateway_timeout() -> u64 {
    10
}

/// The `[delivery.email]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, tag = "provider", rename_all = "snake_case")]
pub enum EmailServerConfig {
    /// No email.
    #[default]
    None,
    /// Append each email to a JSON-lines file (relative to the configuration file).
    File {
        /// The file.
        path: PathBuf,
    },
    /// An SMTP submission server.
    Smtp {
        /// Host name.
        host: String,
        /// Port (587 for STARTTLS, 465 for TLS).
        port: u16,
        /// `starttls`, `tls`, or `plain` (loopback only, for tests).
        #[serde(default = "default_smtp_security")]
        security: String,
        /// Login, if the server wants one.
        username: Option<String>,
        /// Environment variable holding the password.
        #[serde(default = "default_smtp_password_env")]
        password_env: String,
        /// The `From` address.
        from: String,
        /// Domain of the `Message-ID`s (default: the `From` address's domain).
        message_id_domain: Option<String>,
        /// Timeout, seconds.
        #[serde(default = "default_gateway_timeout")]
        timeout_seconds: u64,
    },
}

fn default_smtp_security() -> String {
    "starttls".to_owned()
}

fn default_smtp_password_env() -> String {
    "VIGIE_SMTP_PASSWORD".to_owned()
}

impl Config {
    /// Reads `path`, or returns the defaults when no file is given.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read configuration file {}", path.display()))?;
        let mut config: Config = toml::from_str(&text)
            .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
        config
            .validate()
            .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        if let Some(zones) = &config.geography.zones
            && zones.is_relative()
        {
            config.geography.zones = Some(base.join(zones));
        }
        for relative in [&mut config.delivery.committees, &mut config.delivery.rules] {
            if let Some(path) = relative
                && path.is_relative()
            {
                *path = base.join(&*path);
            }
        }
        if let SmsGatewayConfig::File { path } = &mut config.delivery.sms
            && path.is_relative()
        {
            *path = base.join(&*path);
        }
        if let EmailServerConfig::File { path } = &mut config.delivery.email
            && path.is_relative()
        {
            *path = base.join(&*path);
        }
        if !is_postgres_url(&config.store.database)
            && Path::new(&config.store.database).is_relative()
        {
            config.store.database = base.join(&config.store.database).display().to_string();
        }
        if config.privacy.secret_file.is_relative() {
            config.privacy.secret_file = base.join(&config.privacy.secret_file);
        }
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let snap_km = self.geography.snap_km;
        if !(snap_km.is_finite() && (0.0..=100.0).contains(&snap_km)) {
            bail!(
                "geography.snap_km = {snap_km} is invalid (expected a distance from 0 to 100 km)"
            );
        }
        if self.geography.check_interval_seconds == 0 {
            bail!("geography.check_interval_seconds must be at least 1");
        }
        if self.store.database.trim().is_empty() {
            bail!("store.database is empty (expected a file path or a postgres:// URL)");
        }
        if let Some(region) = &self.ingest.region
            && !(region.min_lon < region.max_lon
                && region.min_lat < region.max_lat
                && (-180.0..=180.0).contains(&region.min_lon)
                && (-180.0..=180.0).contains(&region.max_lon)
                && (-90.0..=90.0).contains(&region.min_lat)
                && (-90.0..=90.0).contains(&region.max_lat))
        {
            bail!("ingest.region is not a box in WGS84 degrees with min below max");
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.ingest.max_record_bytes) {
            bail!("ingest.max_record_bytes must be between 1024 and 16777216");
        }
        if !(1..=1_000_000).contains(&self.ingest.batch_rows) {
            bail!("ingest.batch_rows must be between 1 and 1000000");
        }
        let delivery = &self.delivery;
        if !(1..=10).contains(&delivery.max_segments) {
            bail!("delivery.max_segments must be between 1 and 10");
        }
        if delivery.lease_seconds == 0
            || delivery.max_attempts == 0
            || delivery.engine_interval_seconds == 0
        {
            bail!(
                "delivery.lease_seconds, delivery.max_attempts and \
                 delivery.engine_interval_seconds must be at least 1"
            );
        }
        let cluster = &self.cluster;
        if !(10..=60_000).contains(&cluster.lock_retry_ms)
            || !(10..=1_000).contains(&cluster.lock_check_ms)
            || !(10..=60_000).contains(&cluster.stream_poll_ms)
        {
            bail!(
                "cluster.lock_retry_ms and cluster.stream_poll_ms must be between 10 and 60000, \
                 cluster.lock_check_ms between 10 and 1000 (a leader checks its lock at least \
                 every second)"
            );
        }
        if delivery.backoff_initial_ms == 0 || delivery.backoff_max_ms < delivery.backoff_initial_ms
        {
            bail!(
                "delivery.backoff_initial_ms must be at least 1 and at most delivery.backoff_max_ms"
            );
        }
        if let EmailServerConfig::Smtp { security, .. } = &delivery.email
            && !matches!(security.as_str(), "starttls" | "tls" | "plain")
        {
            bail!("delivery.email.security = {security:?} (expected starttls, tls or plain)");
        }
        if let Some(api) = &self.acled_api {
            if !(1..=5000).contains(&api.page_size) {
                bail!("acled_api.page_size must be between 1 and 5000 (ACLED's maximum)");
            }
            if api.max_attempts == 0 {
                bail!("acled_api.max_attempts must be at least 1");
            }
            if !(api.base_url.starts_with("https://") || api.base_url.starts_with("http://")) {
                bail!("acled_api.base_url must start with https:// or http://");
            }
        }
        if !(256..=64 * 1024 * 1024).contains(&self.intake.body_limit_bytes) {
            bail!("intake.body_limit_bytes must be between 256 and 67108864");
        }
        if !(1..=300).contains(&self.server.request_timeout_seconds) {
            bail!("server.request_timeout_seconds must be between 1 and 300");
        }
        let rate_limit = self.server.rate_limit()?;
        if let Err((setting, reason)) = rate_limit.validate() {
            bail!("server.{}: {reason}", setting.replace(' ', "."));
        }
        Ok(())
    }
}

/// Whether a database setting names a PostgreSQL server rather than a SQLite file.
pub fn is_postgres_url(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> anyhow::Result<Config> {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("vigie.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(Some(&path))
    }

    #[test]
    fn defaults_apply_without_a_file() {
        let config = Config::load(None).unwrap();
        assert_eq!(config.geography.snap_km, 5.0);
        assert!(config.geography.zones.is_none());
        assert_eq!(config.store.database, "vigie.sqlite3");
        assert!(config.acled_api.is_none());
    }

    #[test]
    fn the_shipped_example_file_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/vigie.toml");
        let config = Config::load(Some(&path)).unwrap();
        assert!(matches!(config.delivery.sms, SmsGatewayConfig::None));
        assert_eq!(config.delivery.max_segments, 2);
    }

    #[test]
    fn delivery_gateways_are_read_with_their_paths_and_checked() {
        let config = load_text(
            "[delivery]\ncommittees = \"committees.toml\"\n\
             [delivery.sms]\nprovider = \"file\"\npath = \"sms.jsonl\"\n\
             [delivery.email]\nprovider = \"smtp\"\nhost = \"127.0.0.1\"\nport = 2525\n\
             security = \"plain\"\nfrom = \"vigie@example.org\"\n",
        )
        .unwrap();
        assert!(config.delivery.committees.unwrap().is_absolute());
        let SmsGatewayConfig::File { path } = config.delivery.sms else {
            panic!("a file gateway");
        };
        assert!(path.is_absolute() && path.ends_with("sms.jsonl"));
        let error = load_text("[delivery.sms]\nprovider = \"pigeon\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("pigeon"), "{error}");
        let error = load_text(
            "[delivery.email]\nprovider = \"smtp\"\nhost = \"h\"\nport = 1\n\
             security = \"ssl3\"\nfrom = \"a@b.org\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("delivery.email.security"), "{error}");
    }

    #[test]
    fn unknown_keys_are_refused_with_the_key() {
        let error = load_text("[geography]\nsnap_kilometres = 3\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("snap_kilometres"), "{error}");
        assert!(error.contains("vigie.toml"), "{error}");
    }

    #[test]
    fn out_of_range_values_are_refused_with_the_key() {
        let error = load_text("[geography]\nsnap_km = -1\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("geography.snap_km"), "{error}");
        let error = load_text(
            "[ingest]\nregion = { min_lon = 5, min_lat = 9, max_lon = 4, max_lat = 25 }\n",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("ingest.region"), "{error}");
        let error = load_text("[acled_api]\nusername = \"a@b.org\"\npage_size = 9000\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("acled_api.page_size"), "{error}");
    }

    #[test]
    fn server_limits_are_read_and_checked() {
        let config = load_text(
            "[server]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\n\
             request_timeout_seconds = 20\n\
             [server.rate_limit]\nanonymous_per_second = 2.5\nkeyed_burst = 30\n",
        )
        .unwrap();
        let limits = config.server.rate_limit().unwrap();
        assert_eq!(limits.trusted_proxies.len(), 2);
        assert!(limits.trusted_proxies[1].contains("10.2.3.4".parse().unwrap()));
        assert_eq!(limits.anonymous.per_second, 2.5);
        assert_eq!(
            limits.anonymous.burst, 40,
            "unset settings keep their default"
        );
        assert_eq!(limits.keyed.burst, 30);
        assert!(limits.enabled);
        assert_eq!(config.server.request_timeout_seconds, 20);
        let error = load_text("[server]\ntrusted_proxies = [\"localhost\"]\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("server.trusted_proxies"), "{error}");
        let error = load_text("[server.rate_limit]\nkeyed_per_second = 0\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("server.rate_limit.keyed"), "{error}");
        let error = load_text("[server.rate_limit]\nburst = 3\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("burst"), "{error}");
    }

    #[test]
    fn relative_paths_follow_the_file_and_urls_do_not() {
        let config = load_text(
            "[geography]\nzones = \"zones.vzs\"\n[store]\ndatabase = \"db/vigie.sqlite3\"\n",
        )
        .unwrap();
        assert!(config.geography.zones.unwrap().ends_with("zones.vzs"));
        assert!(config.store.database.ends_with("db/vigie.sqlite3"));
        assert!(Path::new(&config.store.database).is_absolute());
        let config = load_text("[store]\ndatabase = \"postgres://vigie@db/vigie\"\n").unwrap();
        assert_eq!(config.store.database, "postgres://vigie@db/vigie");
    }
}
