//! A resource downloaded once over HTTP(S) and then read from an on-disk cache.
//!
//! Downloads go through `cached-path`, which writes each file to a temporary file in the cache
//! folder and renames it into place only once the whole body has arrived, so an interrupted
//! download never leaves a truncated file behind. Where files go, which server is asked and
//! whether the network may be used at all are read from the environment into
//! [`ResourceSettings`] at each call:
//!
//! | variable | effect |
//! | --- | --- |
//! | `RUSTBERT_CACHE` | cache root (default `~/.cache/.rustbert`, rust-bert's location) |
//! | `HF_ENDPOINT` | replaces the `https://huggingface.co` prefix of URLs (hub mirrors) |
//! | `HF_HUB_OFFLINE`, `RUSTBERT_OFFLINE` | `1`/`true`/`yes`/`on`: never touch the network |

use super::{Resource, ResourceProvider};
use crate::RustBertError;
use cached_path::{Cache, Options};
use std::error::Error as StdError;
use std::ffi::{OsStr, OsString};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// The Hugging Face hub, the endpoint that resource URLs name and that `HF_ENDPOINT` replaces.
pub const DEFAULT_HF_ENDPOINT: &str = "https://huggingface.co";

/// How long to wait for a server to accept a connection before giving up (and retrying, as
/// cached-path retries timeouts). There is deliberately no limit on the whole transfer: weight
/// files run to gigabytes and would trip any fixed total timeout on a slow link.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// A file fetched from a URL (usually the Hugging Face hub) and cached on disk.
///
/// The first [`get_local_path`](ResourceProvider::get_local_path) downloads the file into
/// `{cache root}/{cache_subdir}/`; later calls return the cached file without any network
/// request. Settings come from the environment, see [`ResourceSettings::from_env`].
///
/// ```no_run
/// use rust_bert::resources::{RemoteResource, ResourceProvider};
///
/// let weights = RemoteResource::from_pretrained((
///     "bert/model",
///     "https://huggingface.co/bert-base-uncased/resolve/main/rust_model.ot",
/// ));
/// let path = weights.get_local_path()?;
/// # Ok::<(), rust_bert::RustBertError>(())
/// ```
#[derive(PartialEq, Eq, Clone, Debug)]
pub struct RemoteResource {
    /// URL of the file.
    pub url: String,
    /// Folder under the cache root where the file is kept (may contain `/`).
    pub cache_subdir: String,
}

impl RemoteResource {
    /// Creates a resource for `url`, cached under `cache_subdir`.
    pub fn new(url: &str, cache_subdir: &str) -> RemoteResource {
        RemoteResource {
            url: url.to_string(),
            cache_subdir: cache_subdir.to_string(),
        }
    }

    /// Creates a resource from a `(cache_subdir, url)` pair, the shape of the crate's resource
    /// constants such as `BertModelResources::BERT`.
    pub fn from_pretrained(name_url_tuple: (&str, &str)) -> RemoteResource {
        RemoteResource::new(name_url_tuple.1, name_url_tuple.0)
    }

    /// Creates a resource for `file` of the hub repository `repo` (for example
    /// `("bert-base-uncased", "config.json")`), cached under the subfolder `repo`.
    ///
    /// An addition to rust-bert's API. The URL names the default hub,
    /// `https://huggingface.co/{repo}/resolve/main/{file}`; a mirror set with `HF_ENDPOINT` is
    /// applied when the file is fetched, not here, so the same value works with and without a
    /// mirror.
    pub fn from_hub(repo: &str, file: &str) -> RemoteResource {
        let repo = repo.trim_matches('/');
        let file = file.trim_start_matches('/');
        RemoteResource::new(
            &format!("{DEFAULT_HF_ENDPOINT}/{repo}/resolve/main/{file}"),
            repo,
        )
    }

    /// Returns the local path of the file under explicit `settings` instead of the
    /// environment; [`get_local_path`](ResourceProvider::get_local_path) is
    /// `get_local_path_with(&ResourceSettings::from_env()?)`.
    ///
    /// Steps, and why:
    /// 1. Look in the cache without any request. cached-path alone would send a `HEAD` request
    ///    on every call to compare ETags; skipping it makes a cached model load with no network
    ///    at all, as users expect. The cost: a file changed upstream is not picked up until its
    ///    cache entry is deleted. Both the URL after the `HF_ENDPOINT` rewrite and the URL as
    ///    written are looked up, so files fetched before a mirror was configured still count.
    /// 2. In offline mode, stop there with an error naming the URL and the cache folder.
    /// 3. Otherwise download (`HEAD` for the ETag, then `GET`) with a progress bar on stderr.
    ///
    /// # Errors
    /// [`RustBertError::ValueError`] when `cache_subdir` would leave the cache root (absolute,
    /// or containing `..`); [`RustBertError::FileDownloadError`] naming the URL when the file is
    /// not cached in offline mode, when the server answers with an error status (404...), or
    /// when the connection fails or is cut mid-download.
    pub fn get_local_path_with(
        &self,
        settings: &ResourceSettings,
    ) -> Result<PathBuf, RustBertError> {
        let subdir = checked_subdir(&self.cache_subdir)?;
        let url = settings.resolve_url(&self.url);

        let mut candidates = vec![url.as_str()];
        if url != self.url {
            candidates.push(self.url.as_str());
        }
        for candidate in candidates {
            if let Some(path) = cached_copy(&settings.cache_dir, candidate, subdir)? {
                return Ok(path);
            }
        }

        if settings.offline {
            return Err(RustBertError::FileDownloadError(format!(
                "offline mode is on (HF_HUB_OFFLINE or RUSTBERT_OFFLINE), and {url} is not in the \
                 cache folder {}; run once with offline mode off to download it, or point a \
                 LocalResource at a copy of the file",
                settings.cache_dir.join(subdir).display()
            )));
        }
        download(&settings.cache_dir, &url, subdir)
    }
}

impl ResourceProvider for RemoteResource {
    /// Returns the path of the cached file, downloading it first if it is not cached yet.
    ///
    /// Reads the settings from the environment at each call (see
    /// [`ResourceSettings::from_env`]) and follows
    /// [`get_local_path_with`](RemoteResource::get_local_path_with).
    fn get_local_path(&self) -> Result<PathBuf, RustBertError> {
        self.get_local_path_with(&ResourceSettings::from_env()?)
    }

    /// Returns [`Resource::PathBuf`] with the path of the cached file (see
    /// [`get_local_path`](RemoteResource::get_local_path)).
    fn get_resource(&self) -> Result<Resource<'_>, RustBertError> {
        Ok(Resource::PathBuf(self.get_local_path()?))
    }
}

/// Where remote resources are cached, which server is asked, and whether the network may be
/// used.
///
/// An addition to rust-bert's API, so that a program (or a test) can choose these without
/// setting process-wide environment variables; pass it to
/// [`RemoteResource::get_local_path_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSettings {
    /// Cache root; each resource goes into its `cache_subdir` below it.
    pub cache_dir: PathBuf,
    /// Replaces the [`DEFAULT_HF_ENDPOINT`] prefix of resource URLs, without trailing `/`.
    pub endpoint: String,
    /// When `true`, only the cache is used and nothing is sent over the network.
    pub offline: bool,
}

impl ResourceSettings {
    /// Reads the settings from the environment: `RUSTBERT_CACHE`, `HF_ENDPOINT`,
    /// `HF_HUB_OFFLINE` and `RUSTBERT_OFFLINE` (see [`from_lookup`](Self::from_lookup)).
    ///
    /// # Errors
    /// As for [`from_lookup`](Self::from_lookup).
    pub fn from_env() -> Result<ResourceSettings, RustBertError> {
        ResourceSettings::from_lookup(|name| std::env::var_os(name))
    }

    /// Builds the settings from `lookup`, which maps a variable name to its value (the
    /// environment for [`from_env`](Self::from_env)). Empty values count as unset.
    ///
    /// - `cache_dir`: `RUSTBERT_CACHE`, else `~/.cache/.rustbert` (rust-bert's location, so an
    ///   existing cache is reused), else the platform cache folder joined with `.rustbert`.
    /// - `endpoint`: `HF_ENDPOINT` with any trailing `/` removed, else [`DEFAULT_HF_ENDPOINT`].
    /// - `offline`: `HF_HUB_OFFLINE` or `RUSTBERT_OFFLINE` is `1`, `true`, `yes` or `on`
    ///   (any case), the values the Hugging Face libraries accept.
    ///
    /// # Errors
    /// [`RustBertError::IOError`] when `RUSTBERT_CACHE` is unset and no home or cache folder
    /// can be found.
    pub fn from_lookup<F>(lookup: F) -> Result<ResourceSettings, RustBertError>
    where
        F: Fn(&str) -> Option<OsString>,
    {
        let get = |name: &str| lookup(name).filter(|value| !value.is_empty());

        let cache_dir = match get("RUSTBERT_CACHE") {
            Some(dir) => PathBuf::from(dir),
            None => default_cache_dir()?,
        };
        let endpoint = get("HF_ENDPOINT")
            .map(|value| {
                value
                    .to_string_lossy()
                    .trim()
                    .trim_end_matches('/')
                    .to_string()
            })
            .filter(|value| !value.is_empty())
            .unwrap_or_else(|| DEFAULT_HF_ENDPOINT.to_string());
        let offline = ["HF_HUB_OFFLINE", "RUSTBERT_OFFLINE"]
            .iter()
            .any(|name| get(name).is_some_and(|value| is_truthy(&value)));

        Ok(ResourceSettings {
            cache_dir,
            endpoint,
            offline,
        })
    }

    /// Returns `url` with its [`DEFAULT_HF_ENDPOINT`] prefix replaced by `endpoint`; other URLs
    /// are returned unchanged.
    ///
    /// The prefix must end the URL or be followed by `/`, so a host such as
    /// `https://huggingface.com.example` is left alone.
    pub fn resolve_url(&self, url: &str) -> String {
        match url.strip_prefix(DEFAULT_HF_ENDPOINT) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                format!("{}{rest}", self.endpoint)
            }
            _ => url.to_string(),
        }
    }
}

/// rust-bert's cache root, `~/.cache/.rustbert`, falling back to the platform cache folder for
/// systems with no home folder.
fn default_cache_dir() -> Result<PathBuf, RustBertError> {
    dirs::home_dir()
        .map(|home| home.join(".cache"))
        .or_else(dirs::cache_dir)
        .map(|dir| dir.join(".rustbert"))
        .ok_or_else(|| {
            RustBertError::IOError(
                "no home or cache folder found for the resource cache; set RUSTBERT_CACHE"
                    .to_string(),
            )
        })
}

/// Whether an offline flag's value turns it on.
fn is_truthy(value: &OsStr) -> bool {
    value.to_str().is_some_and(|value| {
        matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// Checks that `subdir` stays below the cache root: `Path::join` with an absolute path or `..`
/// would otherwise write the download anywhere on disk.
fn checked_subdir(subdir: &str) -> Result<&str, RustBertError> {
    let escapes = Path::new(subdir)
        .components()
        .any(|component| !matches!(component, Component::Normal(_) | Component::CurDir));
    if escapes {
        return Err(RustBertError::ValueError(format!(
            "cache subfolder {subdir:?} must be a relative path without '..'"
        )));
    }
    Ok(subdir)
}

/// Looks `url` up in the cache without any network request; `Ok(None)` when it is not there.
fn cached_copy(
    cache_dir: &Path,
    url: &str,
    subdir: &str,
) -> Result<Option<PathBuf>, RustBertError> {
    let cache = Cache::builder()
        .dir(cache_dir.to_path_buf())
        .offline(true)
        .build()
        .map_err(|error| cache_error(cache_dir, url, error))?;
    match cache.cached_path_with_options(url, &Options::default().subdir(subdir)) {
        // cached-path writes the `.meta` file just before renaming the download into place, so
        // a process killed between the two leaves a meta without its file: check the file.
        Ok(path) if path.is_file() => Ok(Some(path)),
        Ok(_) | Err(cached_path::Error::NoCachedVersions(_)) => Ok(None),
        Err(error) => Err(cache_error(cache_dir, url, error)),
    }
}

/// Downloads `url` into the cache (or finds it there by ETag) and returns the cached file.
fn download(cache_dir: &Path, url: &str, subdir: &str) -> Result<PathBuf, RustBertError> {
    let builder = Cache::builder()
        .dir(cache_dir.to_path_buf())
        .connect_timeout(CONNECT_TIMEOUT);
    #[cfg(feature = "progress-bar")]
    let builder = builder.progress_bar(Some(progress_bar()));
    let cache = builder
        .build()
        .map_err(|error| cache_error(cache_dir, url, error))?;
    let path = cache
        .cached_path_with_options(url, &Options::default().subdir(subdir))
        .map_err(|error| cache_error(cache_dir, url, error))?;
    if path.is_file() {
        Ok(path)
    } else {
        Err(RustBertError::FileDownloadError(format!(
            "the download of {url} reported {} but no file is there",
            path.display()
        )))
    }
}

/// An animated bar on a terminal; plain lines ("Downloading ... Done") when stderr is a log
/// file or a CI console, where redrawing would only fill the log with control codes.
#[cfg(feature = "progress-bar")]
fn progress_bar() -> cached_path::ProgressBar {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        cached_path::ProgressBar::Full
    } else {
        cached_path::ProgressBar::Light
    }
}

/// Turns a cached-path error into a [`RustBertError::FileDownloadError`] naming the URL, with
/// the causes spelled out (cached-path's own messages omit them, e.g. "An IO error occurred").
fn cache_error(cache_dir: &Path, url: &str, error: cached_path::Error) -> RustBertError {
    let message = match &error {
        cached_path::Error::HttpError(http) => match http.status() {
            Some(status) => {
                let hint = match status.as_u16() {
                    401 | 403 => " (the repository may be private or gated)",
                    404 => " (check the repository and file names)",
                    _ => "",
                };
                format!("could not download {url}: the server answered HTTP {status}{hint}")
            }
            None => format!("could not download {url}: {}", with_causes(&error)),
        },
        cached_path::Error::IoError(_) => format!(
            "could not cache {url} in {}: {}",
            cache_dir.display(),
            with_causes(&error)
        ),
        _ => format!("could not fetch {url}: {}", with_causes(&error)),
    };
    RustBertError::FileDownloadError(message)
}

/// `error` followed by each of its sources, separated by ": ".
fn with_causes(error: &dyn StdError) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Transparent wrappers repeat their source's text; say it once.
        if !message.ends_with(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    message
}
