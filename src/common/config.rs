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
    /// JSON field at fault: one that does not parse, or one [`Config::validate`] refuses.
    fn try_from_file<P: AsRef<Path>>(path: P) -> Result<Self, RustBertError> {
        validated(read_config_file(path.as_ref())?, path.as_ref())
    }

    /// Why no model can be built from this configuration, if none can: every architecture
    /// states its constraints here (sizes positive, heads dividing the hidden size, epsilons
    /// finite, ...) with [`ConfigChecks`], so a bad `config.json` is an error naming the field
    /// instead of a division by zero or a failed `view` inside the first forward. Called by
    /// [`Config::try_from_file`] and by the models' fallible constructors.
    ///
    /// # Errors
    /// `InvalidConfigurationError` listing every field at fault.
    fn validate(&self) -> Result<(), RustBertError> {
        Ok(())
    }

    /// The standard deviation HF draws this architecture's weight matrices and embedding
    /// tables from (`initializer_range`; 0.02 where the configuration has none).
    fn initializer_std(&self) -> f64 {
        0.02
    }
}

/// What every public model constructor does first: refuses a configuration no model can be
/// built from, with [`Config::validate`]'s message (instead of a division by zero or a failed
/// `view` further in), and returns the [`init_std`](crate::common::layers::linear::init_std)
/// guard that draws the new weights as HF does for this configuration.
///
/// # Errors
/// [`Config::validate`]'s.
pub fn building<C: Config>(
    config: &C,
) -> Result<crate::common::layers::linear::InitStd, RustBertError> {
    config.validate()?;
    Ok(crate::common::layers::linear::init_std(
        config.initializer_std(),
    ))
}

/// The [`init_std`](crate::common::layers::linear::init_std) guard of `config` without judging
/// it: for the models (ALBERT, DistilBERT) whose constructors accept any configuration and
/// report a bad one as an error of the first forward pass instead of panicking.
pub fn init_std_of<C: Config>(config: &C) -> crate::common::layers::linear::InitStd {
    crate::common::layers::linear::init_std(config.initializer_std())
}

/// [`building`] for the constructors that keep rust-bert's signature (they return the model
/// itself): a configuration [`Config::validate`] refuses panics here with its message.
///
/// # Panics
/// When [`Config::validate`] refuses the configuration. Call `config.validate()` first (or
/// load it with [`Config::try_from_file`], which does) to get the error instead.
// rust-bert's constructors return the model; the fallible path is `validate` (see above).
#[allow(clippy::panic)]
pub fn building_or_panic<C: Config>(config: &C) -> crate::common::layers::linear::InitStd {
    match building(config) {
        Ok(guard) => guard,
        Err(error) => panic!("{error}"),
    }
}

/// `config` after [`Config::validate`], its error naming `path`.
pub fn validated<C: Config>(config: C, path: &Path) -> Result<C, RustBertError> {
    match config.validate() {
        Ok(()) => Ok(config),
        Err(RustBertError::InvalidConfigurationError(message)) => Err(
            RustBertError::InvalidConfigurationError(format!("{}: {message}", path.display())),
        ),
        Err(other) => Err(other),
    }
}

/// The checks of one configuration, each naming its field; [`ConfigChecks::finish`] reports
/// every failure at once. The one place where configuration values are judged, shared by every
/// architecture's [`Config::validate`].
///
/// ```
/// use rust_bert::common::config::ConfigChecks;
/// let error = ConfigChecks::new("BERT")
///     .positive("hidden_size", 30)
///     .positive("num_attention_heads", 0)
///     .divides("num_attention_heads", 0, "hidden_size", 30)
///     .finish()
///     .unwrap_err();
/// assert!(error.to_string().contains("num_attention_heads = 0"));
/// ```
#[must_use = "call finish() to get the result"]
pub struct ConfigChecks {
    model: &'static str,
    errors: Vec<String>,
}

impl ConfigChecks {
    /// Starts the checks of a configuration of `model` (named in the message).
    pub fn new(model: &'static str) -> Self {
        Self {
            model,
            errors: Vec::new(),
        }
    }

    /// `field` must be at least 1 (a size or a count of heads).
    pub fn positive(mut self, field: &str, value: i64) -> Self {
        if value < 1 {
            self.errors
                .push(format!("{field} = {value}, expected at least 1"));
        }
        self
    }

    /// `field` must not be negative (a count that may be zero, e.g. layers or token types).
    pub fn non_negative(mut self, field: &str, value: i64) -> Self {
        if value < 0 {
            self.errors
                .push(format!("{field} = {value}, expected 0 or more"));
        }
        self
    }

    /// `field` (`value`, when positive) must divide `of_field` (`of`): heads splitting the
    /// hidden size.
    pub fn divides(mut self, field: &str, value: i64, of_field: &str, of: i64) -> Self {
        if value > 0 && of % value != 0 {
            self.errors.push(format!(
                "{of_field} = {of} is not a multiple of {field} = {value}"
            ));
        }
        self
    }

    /// `field` must be a finite number, not negative (an epsilon, a dropout, a scale).
    pub fn finite(mut self, field: &str, value: f64) -> Self {
        if !(value.is_finite() && value >= 0.0) {
            self.errors
                .push(format!("{field} = {value}, expected a finite value >= 0"));
        }
        self
    }

    /// `field` must be a probability (a dropout).
    pub fn probability(mut self, field: &str, value: f64) -> Self {
        if !(0.0..=1.0).contains(&value) {
            self.errors
                .push(format!("{field} = {value}, expected a value in [0, 1]"));
        }
        self
    }

    /// A condition of its own, with the message given when it fails.
    pub fn require(mut self, holds: bool, message: impl FnOnce() -> String) -> Self {
        if !holds {
            self.errors.push(message());
        }
        self
    }

    /// Every failed check in one `InvalidConfigurationError`, or `Ok`.
    ///
    /// # Errors
    /// `InvalidConfigurationError` naming the model and each field at fault.
    pub fn finish(self) -> Result<(), RustBertError> {
        if self.errors.is_empty() {
            return Ok(());
        }
        Err(RustBertError::InvalidConfigurationError(format!(
            "invalid {} configuration: {}",
            self.model,
            self.errors.join("; ")
        )))
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
