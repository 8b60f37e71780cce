//! The layers of the running phone's configuration, and where they are kept.
//!
//! Lowest first: the built-in defaults → the `--config` file → the provisioned common, model and
//! `<mac>.toml` files (cached in `<state dir>/provisioned/`) → the changes made on the device
//! (`<state dir>/device.toml`, written by the settings menu). Each new provisioned or device
//! layer is checked together with the others before anything is written; files are written
//! atomically, so a power cut leaves the last good configuration.

use std::path::{Path, PathBuf};

use phone::config::layers::{parse_layer, Layer};
use phone::config::{write_atomically, ConfigError};
use phone::Config;
use tracing::warn;

/// The three provisioned layers, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisionedPart {
    /// `common.toml`: the whole floor.
    Common,
    /// `model/<model>.toml`: this kind of phone.
    Model,
    /// `<mac>.toml`: this phone.
    Mac,
}

impl ProvisionedPart {
    /// Every part, in layer order.
    pub const ALL: [ProvisionedPart; 3] = [ProvisionedPart::Common, ProvisionedPart::Model, ProvisionedPart::Mac];

    /// The cache file's name in `<state dir>/provisioned/`.
    pub fn file_name(self) -> &'static str {
        match self {
            ProvisionedPart::Common => "common.toml",
            ProvisionedPart::Model => "model.toml",
            ProvisionedPart::Mac => "mac.toml",
        }
    }
}

/// The layers of the running phone: see the module documentation.
#[derive(Debug, Clone)]
pub struct ConfigStore {
    state_dir: PathBuf,
    file: Layer,
    provisioned_texts: [String; 3],
    provisioned: [Layer; 3],
    device: Layer,
}

impl ConfigStore {
    /// Reads the `--config` file (if any; `Err` names the file and the fault) and the layers
    /// kept in `state_dir`. A kept layer that cannot be read is ignored with a warning: it was
    /// checked when written, so only a damaged disk gets there.
    pub fn load(config_file: Option<&Path>, state_dir: &Path) -> Result<ConfigStore, String> {
        let file = match config_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
                // The file alone must be a good configuration, as before layers existed.
                Config::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                parse_layer(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => Layer::new(),
        };
        let mut store = ConfigStore {
            state_dir: state_dir.to_owned(),
            file,
            provisioned_texts: Default::default(),
            provisioned: Default::default(),
            device: Layer::new(),
        };
        for (i, part) in ProvisionedPart::ALL.into_iter().enumerate() {
            if let Some((text, layer)) = read_kept(&store.provisioned_path(part)) {
                store.provisioned_texts[i] = text;
                store.provisioned[i] = layer;
            }
        }
        if let Some((_, layer)) = read_kept(&store.device_path()) {
            store.device = layer;
        }
        Ok(store)
    }

    /// The configuration the layers give. When the kept layers no longer fit the `--config`
    /// file (it was edited since), the caller falls back to [`ConfigStore::file_only`].
    pub fn effective(&self) -> Result<Config, ConfigError> {
        Config::from_layers(&self.layers(&self.provisioned, &self.device))
    }

    /// The `--config` file alone (checked by [`ConfigStore::load`]).
    pub fn file_only(&self) -> Result<Config, ConfigError> {
        Config::from_layers(std::slice::from_ref(&self.file))
    }

    /// New provisioned layers (the texts as fetched: common, model, `<mac>.toml`; an empty text
    /// for a missing one): when the configuration they give with the other layers is good,
    /// they are kept (written atomically) and it is returned; else nothing changes.
    pub fn set_provisioned(&mut self, texts: [String; 3]) -> Result<Config, StoreError> {
        let mut layers: [Layer; 3] = Default::default();
        for (layer, text) in layers.iter_mut().zip(&texts) {
            *layer = parse_layer(text)?;
        }
        let config = Config::from_layers(&self.layers(&layers, &self.device))?;
        for (part, text) in ProvisionedPart::ALL.into_iter().zip(&texts) {
            write_atomically(&self.provisioned_path(part), text.as_bytes()).map_err(StoreError::Write)?;
        }
        self.provisioned_texts = texts;
        self.provisioned = layers;
        Ok(config)
    }

    /// The text of a provisioned layer as fetched (empty when none), for the config hash.
    pub fn provisioned_text(&self, part: ProvisionedPart) -> &str {
        let i = ProvisionedPart::ALL.iter().position(|p| *p == part).unwrap_or(0);
        &self.provisioned_texts[i]
    }

    /// A new device layer (the settings menu): kept in `<state dir>/device.toml` when the
    /// configuration it gives is good, and that configuration returned; else nothing changes.
    pub fn set_device(&mut self, layer: Layer) -> Result<Config, StoreError> {
        let config = Config::from_layers(&self.layers(&self.provisioned, &layer))?;
        let text = toml::to_string(&layer).map_err(|_| StoreError::Serialize)?;
        write_atomically(&self.device_path(), text.as_bytes()).map_err(StoreError::Write)?;
        self.device = layer;
        Ok(config)
    }

    /// The changes made on the device.
    pub fn device_layer(&self) -> &Layer {
        &self.device
    }

    fn layers(&self, provisioned: &[Layer; 3], device: &Layer) -> Vec<Layer> {
        let mut layers = vec![self.file.clone()];
        layers.extend(provisioned.iter().cloned());
        layers.push(device.clone());
        layers
    }

    fn provisioned_path(&self, part: ProvisionedPart) -> PathBuf {
        self.state_dir.join("provisioned").join(part.file_name())
    }

    fn device_path(&self) -> PathBuf {
        self.state_dir.join("device.toml")
    }
}

/// Why a new layer was not kept.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The layer is not TOML, or the configuration it gives is not good.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The layer could not be written back as TOML.
    #[error("the layer cannot be written as TOML")]
    Serialize,
    /// The file could not be written.
    #[error("cannot write the configuration: {0}")]
    Write(std::io::Error),
}

/// A kept layer's text and table; `None` when absent, or unreadable (logged).
fn read_kept(path: &Path) -> Option<(String, Layer)> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            warn!(file = %path.display(), error = %e, "cannot read a kept configuration layer; ignoring it");
            return None;
        }
    };
    match parse_layer(&text) {
        Ok(layer) => Some((text, layer)),
        Err(e) => {
            warn!(file = %path.display(), error = %e, "a kept configuration layer is damaged; ignoring it");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "[sip]\nkeepalive_secs = 20\n";
    const MAC: &str = "[[accounts]]\nlabel = \"desk\"\nserver = \"pbx.example\"\nuser = \"1001\"\npassword = \"a\"\n";

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hardphone-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn precedence_is_file_then_common_model_mac_then_device() {
        let dir = dir("precedence");
        let file = dir.join("phone.toml");
        std::fs::write(&file, FILE).unwrap();
        let mut store = ConfigStore::load(Some(&file), &dir).unwrap();
        let common = "[sip]\nkeepalive_secs = 30\nfailback_secs = 60\n".to_owned();
        let model = "[sip]\nfailback_secs = 90\n".to_owned();
        let config = store.set_provisioned([common, model, MAC.to_owned()]).unwrap();
        assert_eq!(config.sip.keepalive_secs, 30, "common over the file");
        assert_eq!(config.sip.failback_secs, 90, "model over common");
        assert_eq!(config.accounts[0].password.expose(), "a");
        let device = parse_layer("[[accounts]]\nlabel = \"desk\"\npassword = \"b\"\n").unwrap();
        let config = store.set_device(device).unwrap();
        assert_eq!(config.accounts[0].password.expose(), "b", "the device over the MAC file");
        // A restart reads the same layers back.
        let again = ConfigStore::load(Some(&file), &dir).unwrap();
        assert_eq!(again.effective().unwrap(), config);
        assert_eq!(again.provisioned_text(ProvisionedPart::Mac), MAC);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bad_layer_changes_nothing() {
        let dir = dir("bad");
        let mut store = ConfigStore::load(None, &dir).unwrap();
        store.set_provisioned([String::new(), String::new(), MAC.to_owned()]).unwrap();
        let broken = store.set_provisioned([String::new(), String::new(), "[[accounts]\nlabel=".to_owned()]);
        assert!(broken.is_err());
        let invalid = MAC.replace("pbx.example", "pbx example");
        let error = store.set_provisioned([String::new(), String::new(), invalid]).unwrap_err();
        assert!(error.to_string().contains("accounts[0].server"), "{error}");
        assert_eq!(store.provisioned_text(ProvisionedPart::Mac), MAC);
        let kept = std::fs::read_to_string(dir.join("provisioned/mac.toml")).unwrap();
        assert_eq!(kept, MAC);
        let device = parse_layer("[sip]\nkeepalive_secs = 1\n").unwrap();
        assert!(store.set_device(device).is_err());
        assert!(!dir.join("device.toml").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
