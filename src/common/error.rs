//! The one error type of the crate.
use thiserror::Error;

/// Every fallible operation of the crate returns this error.
///
/// The variant names are those of rust-bert 0.23, so `match` arms written for it keep compiling.
/// Messages name the file, field or value at fault.
#[derive(Error, Debug)]
pub enum RustBertError {
    /// A remote resource could not be fetched (URL, HTTP status or offline cache miss).
    #[error("Endpoint not available error: {0}")]
    FileDownloadError(String),

    /// A file could not be read or written.
    #[error("IO error: {0}")]
    IOError(String),

    /// LibTorch reported an error (shape mismatch, missing tensor, bad weight file...).
    #[error("Tch tensor error: {0}")]
    TchError(String),

    /// The tokenizer could not be built or failed on an input.
    #[error("Tokenizer error: {0}")]
    TokenizerError(String),

    /// A configuration file or value is invalid (names the file and field).
    #[error("Invalid configuration error: {0}")]
    InvalidConfigurationError(String),

    /// An argument has an invalid value.
    #[error("Value error: {0}")]
    ValueError(String),

    /// The requested feature, model or file format is not supported.
    #[error("Unsupported operation: {0}")]
    UnsupportedError(String),
}

impl From<std::io::Error> for RustBertError {
    fn from(error: std::io::Error) -> Self {
        RustBertError::IOError(error.to_string())
    }
}

impl From<tch::TchError> for RustBertError {
    fn from(error: tch::TchError) -> Self {
        RustBertError::TchError(error.to_string())
    }
}

impl From<rust_tokenizers::error::TokenizerError> for RustBertError {
    fn from(error: rust_tokenizers::error::TokenizerError) -> Self {
        RustBertError::TokenizerError(error.to_string())
    }
}

impl From<serde_json::Error> for RustBertError {
    fn from(error: serde_json::Error) -> Self {
        RustBertError::InvalidConfigurationError(error.to_string())
    }
}

#[cfg(feature = "remote")]
impl From<cached_path::Error> for RustBertError {
    fn from(error: cached_path::Error) -> Self {
        RustBertError::FileDownloadError(error.to_string())
    }
}

/// Runs a model computation, turning a panic inside it into a `RustBertError::TchError`.
///
/// Some layers call `tch`'s panicking operators (`apply`, `matmul`, ...) which unwrap
/// LibTorch's errors (a mis-shaped weight, a device mismatch); a pipeline's fallible path must
/// still return those as errors rather than unwind through the caller. The LibTorch message is
/// kept (first line only: the rest is a C++ stack).
pub(crate) fn guarded<T>(
    what: &str,
    run: impl FnOnce() -> Result<T, RustBertError>,
) -> Result<T, RustBertError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("the model panicked");
            let first = message.lines().next().unwrap_or(message);
            Err(RustBertError::TchError(format!("{what}: {first}")))
        }
    }
}
