//! Loading of model configuration files (HF `config.json`).
use crate::RustBertError;
use serde::Deserialize;
use std::path::Path;

/// A model configuration that deserializes from an HF `config.json`.
///
/// `from_file` keeps rust-bert's signature (it returns the configuration itself, so code written
/// for rust-bert keeps compiling) and panics on a bad file; `try_from_file` is the fallible form
/// used everywhere inside this crate.
pub trait Config
where
    for<'de> Self: Deserialize<'de>,
{
    /// Loads a configuration, panicking with the message of [`Config::try_from_file`] on error.
    ///
    /// # Panics
    /// When the file is missing or is not a valid configuration. Use `try_from_file` to get the
    /// error instead.
    // rust-bert's signature has no room for an error; `try_from_file` is the fallible form.
    #[allow(clippy::panic)]
    fn from_file<P: AsRef<Path>>(path: P) -> Self {
        match Self::try_from_file(path) {
            Ok(config) => config,
            Err(error) => panic!("{error}"),
        }
    }

    /// Loads a configuration, returning an error that names the file and, for a bad value, the
    /// JSON field at fault.
    fn try_from_file<P: AsRef<Path>>(path: P) -> Result<Self, RustBertError> {
        read_config_file(path.as_ref())
    }
}

/// Reads and parses a configuration file (what [`Config::try_from_file`] does by default;
/// configurations that complete themselves after parsing call it from their override).
pub fn read_config_file<T>(path: &Path) -> Result<T, RustBertError>
where
    for<'de> T: Deserialize<'de>,
{
    let text = std::fs::read_to_string(path).map_err(|error| {
        RustBertError::IOError(format!(
            "cannot read configuration file {}: {error}",
            path.display()
        ))
    })?;
    parse_config(&text, &path.display().to_string())
}

/// Parses a configuration from JSON text; `origin` names the source in error messages.
pub fn parse_config<T>(text: &str, origin: &str) -> Result<T, RustBertError>
where
    for<'de> T: Deserialize<'de>,
{
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = error.path().to_string();
        let inner = error.into_inner();
        let location = if field == "." || field.is_empty() {
            String::new()
        } else {
            format!(", field `{field}`")
        };
        RustBertError::InvalidConfigurationError(format!(
            "invalid configuration in {origin}{location}: {inner}"
        ))
    })
}

/// Number of labels of a classification head, from a configuration's `id2label`; an error when
/// it is missing or empty (rust-bert's rule for classification heads).
pub(crate) fn num_labels(
    id2label: Option<&std::collections::HashMap<i64, String>>,
) -> Result<i64, RustBertError> {
    match id2label {
        Some(labels) if !labels.is_empty() => Ok(labels.len() as i64),
        _ => Err(RustBertError::InvalidConfigurationError(
            "num_labels not provided in configuration: `id2label` is missing or empty".into(),
        )),
    }
}
