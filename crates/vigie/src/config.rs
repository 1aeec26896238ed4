//! The typed configuration file. Read and validated once at start-up; a bad file fails with
//! the file, the key and the reason.

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
}

fn default_snap_km() -> f64 {
    5.0
}

impl Default for GeographyConfig {
    fn default() -> Self {
        GeographyConfig {
            zones: None,
            snap_km: default_snap_km(),
        }
    }
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
        if !(config.geography.snap_km.is_finite()
            && (0.0..=100.0).contains(&config.geography.snap_km))
        {
            bail!(
                "{}: geography.snap_km = {} is invalid (expected a distance from 0 to 100 km)",
                path.display(),
                config.geography.snap_km
            );
        }
        if let Some(zones) = &config.geography.zones
            && zones.is_relative()
        {
            let base = path.parent().unwrap_or(Path::new("."));
            config.geography.zones = Some(base.join(zones));
        }
        Ok(config)
    }
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
    fn out_of_range_snap_distance_is_refused() {
        let error = load_text("[geography]\nsnap_km = -1\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("geography.snap_km"), "{error}");
    }

    #[test]
    fn relative_zone_paths_follow_the_file() {
        let config = load_text("[geography]\nzones = \"zones.vzs\"\n").unwrap();
        assert!(config.geography.zones.unwrap().ends_with("zones.vzs"));
    }
}
