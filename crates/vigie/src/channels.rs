//! The SMS and email channels the configuration names, built once at start-up. Secrets are
//! read from the environment variables the configuration names; a missing one is an error
//! naming the variable.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use vigie_notify::email::{SmtpChannel, SmtpConfig, SmtpCredentials, SmtpSecurity};
use vigie_notify::sms::{
    AfricasTalkingConfig, AfricasTalkingGateway, TwilioConfig, TwilioGateway, WebhookConfig,
    WebhookGateway,
};
use vigie_notify::{Channel, EmailMessage, FileChannel, SmsMessage};

use crate::config::{DeliveryConfig, EmailServerConfig, SmsGatewayConfig};

/// The ways out; `None` where the configuration has none.
#[derive(Clone)]
pub struct Channels {
    pub sms: Option<Arc<dyn Channel<SmsMessage>>>,
    pub email: Option<Arc<dyn Channel<EmailMessage>>>,
}

fn secret(variable: &str) -> anyhow::Result<String> {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Ok(value),
        _ => bail!("the environment variable {variable} is not set (it holds a gateway secret)"),
    }
}

impl Channels {
    /// Builds the configured channels.
    pub fn from_config(config: &DeliveryConfig) -> anyhow::Result<Channels> {
        let sms: Option<Arc<dyn Channel<SmsMessage>>> = match &config.sms {
            SmsGatewayConfig::None => None,
            SmsGatewayConfig::File { path } => Some(Arc::new(FileChannel::new("sms:file", path))),
            SmsGatewayConfig::Africastalking {
                base_url,
                username,
                api_key_env,
                sender_id,
                timeout_seconds,
            } => Some(Arc::new(
                AfricasTalkingGateway::new(AfricasTalkingConfig {
                    base_url: base_url.clone(),
                    username: username.clone(),
                    api_key: secret(api_key_env)?,
                    sender_id: sender_id.clone(),
                    timeout: Duration::from_secs(*timeout_seconds),
                })
                .context("[delivery.sms]")?,
            )),
            SmsGatewayConfig::Twilio {
                base_url,
                account_sid,
                auth_token_env,
                from,
                status_callback_url,
                timeout_seconds,
            } => Some(Arc::new(
                TwilioGateway::new(TwilioConfig {
                    base_url: base_url.clone(),
                    account_sid: account_sid.clone(),
                    auth_token: secret(auth_token_env)?,
                    from: from.clone(),
                    status_callback: status_callback_url.clone(),
                    timeout: Duration::from_secs(*timeout_seconds),
                })
                .context("[delivery.sms]")?,
            )),
            SmsGatewayConfig::Webhook {
                url,
                bearer_token_env,
                timeout_seconds,
            } => Some(Arc::new(
                WebhookGateway::new(WebhookConfig {
                    url: url.clone(),
                    bearer_token: bearer_token_env.as_deref().map(secret).transpose()?,
                    timeout: Duration::from_secs(*timeout_seconds),
                })
                .context("[delivery.sms]")?,
            )),
        };
        let email: Option<Arc<dyn Channel<EmailMessage>>> = match &config.email {
            EmailServerConfig::None => None,
            EmailServerConfig::File { path } => {
                Some(Arc::new(FileChannel::new("email:file", path)))
            }
            EmailServerConfig::Smtp {
                host,
                port,
                security,
                username,
                password_env,
                from,
                message_id_domain,
                timeout_seconds,
            } => {
                let security = match security.as_str() {
                    "tls" => SmtpSecurity::ImplicitTls,
                    "plain" => SmtpSecurity::PlainLoopbackOnly,
                    _ => SmtpSecurity::StartTls,
                };
                let credentials = match username {
                    Some(username) => Some(SmtpCredentials {
                        username: username.clone(),
                        password: secret(password_env)?,
                    }),
                    None => None,
                };
                let domain = message_id_domain.clone().unwrap_or_else(|| {
                    from.rsplit_once('@')
                        .map(|(_, domain)| domain.trim_end_matches('>').to_owned())
                        .unwrap_or_else(|| "vigie.invalid".to_owned())
                });
                Some(Arc::new(
                    SmtpChannel::new(SmtpConfig {
                        host: host.clone(),
                        port: *port,
                        security,
                        credentials,
                        from: from.clone(),
                        message_id_domain: domain,
                        timeout: Duration::from_secs(*timeout_seconds),
                    })
                    .context("[delivery.email]")?,
                ))
            }
        };
        Ok(Channels { sms, email })
    }
}
