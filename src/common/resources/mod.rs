//! Where model files come from: a local file, a download cached on disk, or bytes in memory.
//!
//! Every model, configuration and vocabulary is handed to the crate as a
//! [`ResourceProvider`], so the code that builds a model never cares whether the weights are a
//! file the user already has ([`LocalResource`]), a file fetched once from the Hugging Face hub
//! or a mirror and then reused from the cache ([`RemoteResource`], feature `remote`), or bytes
//! held in memory ([`BufferResource`]).
//!
//! The shapes of these types are those of rust-bert 0.23, so code written against it keeps
//! compiling:
//!
//! ```no_run
//! use rust_bert::resources::{LocalResource, ResourceProvider};
//! use std::path::PathBuf;
//!
//! let config = LocalResource::from(PathBuf::from("path/to/config.json"));
//! let path = config.get_local_path()?;
//! # Ok::<(), rust_bert::RustBertError>(())
//! ```

mod buffer;
mod local;
#[cfg(feature = "remote")]
mod remote;

pub use buffer::BufferResource;
pub use local::LocalResource;
#[cfg(feature = "remote")]
pub use remote::{RemoteResource, ResourceSettings, DEFAULT_HF_ENDPOINT};

use crate::RustBertError;
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::RwLockWriteGuard;
use tch::nn;

/// What a [`ResourceProvider`] hands over: a path on disk, or the bytes themselves.
///
/// The buffer variant holds a write guard rather than a copy so that multi-gigabyte weights
/// kept in memory are never duplicated; the guard also serialises concurrent loads of the same
/// buffer.
#[derive(Debug)]
pub enum Resource<'a> {
    /// The resource is a file at this path.
    PathBuf(PathBuf),
    /// The resource is these bytes, locked for the lifetime of the guard.
    Buffer(RwLockWriteGuard<'a, Vec<u8>>),
}

/// A source of one model file (weights, configuration, vocabulary, merges...).
///
/// Implementors are `Send + Sync` so pipelines holding them can move between threads.
pub trait ResourceProvider: Debug + Send + Sync {
    /// Returns the path of the file on local disk, downloading it first if needed.
    ///
    /// # Errors
    /// [`RustBertError::FileDownloadError`] when a remote file cannot be fetched (or is not
    /// cached in offline mode); [`RustBertError::UnsupportedError`] for resources that have no
    /// path, such as [`BufferResource`].
    fn get_local_path(&self) -> Result<PathBuf, RustBertError>;

    /// Returns the resource as a path or as in-memory bytes.
    ///
    /// Prefer this over [`get_local_path`](ResourceProvider::get_local_path) where both forms
    /// can be consumed (as [`load_weights`] does), so in-memory resources work too.
    ///
    /// # Errors
    /// As for [`get_local_path`](ResourceProvider::get_local_path).
    fn get_resource(&self) -> Result<Resource<'_>, RustBertError>;
}

/// Boxed providers are providers too, so `Box<dyn ResourceProvider + Send>` (the type that
/// pipeline configurations store) can be passed wherever a provider is expected.
impl<T: ResourceProvider + ?Sized> ResourceProvider for Box<T> {
    fn get_local_path(&self) -> Result<PathBuf, RustBertError> {
        T::get_local_path(self)
    }

    fn get_resource(&self) -> Result<Resource<'_>, RustBertError> {
        T::get_resource(self)
    }
}

/// Loads the weights of `rp` into the variable store `vs`, from a file or from memory
/// (rust-bert's `resources::load_weights`).
///
/// This goes through the crate's weight loader,
/// [`load_weights_from_resource`](crate::common::weights::load_weights_from_resource), so every
/// format it reads is accepted here too (`rust_model.ot`, `.safetensors`, PyTorch `.bin`/`.pt`,
/// and in-memory `.ot` or safetensors bytes), with the same HF-style matching of names. Its
/// [`LoadReport`](crate::common::weights::LoadReport) of unused tensors is logged there and not
/// returned, to keep rust-bert's signature.
///
/// After loading, the variables are cast to `kind` (when given) and moved to `device`, as in
/// rust-bert 0.23.
///
/// # Errors
/// Errors of the provider (download, missing cache entry) and of the loader (unreadable file,
/// tensors missing from the file or of the wrong shape).
pub fn load_weights(
    rp: &(impl ResourceProvider + ?Sized),
    vs: &mut nn::VarStore,
    kind: Option<tch::Kind>,
    device: tch::Device,
) -> Result<(), RustBertError> {
    crate::common::weights::load_weights_from_resource(vs, &ByRef(rp))?;
    // `Kind::QInt8` asks for int8 weights: loaded in f32, then quantised on their device.
    if let Some(kind) = crate::common::quantize::storage_kind(kind) {
        vs.set_kind(kind);
    }
    vs.set_device(device);
    crate::common::quantize::quantize_if_asked(vs, kind)
}

/// Lends a provider of any type, unsized ones included, as a `&dyn ResourceProvider` (an
/// unsized `&T` cannot be coerced to a trait object directly).
struct ByRef<'a, T: ?Sized>(&'a T);

impl<T: ResourceProvider + ?Sized> Debug for ByRef<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: ResourceProvider + ?Sized> ResourceProvider for ByRef<'_, T> {
    fn get_local_path(&self) -> Result<PathBuf, RustBertError> {
        self.0.get_local_path()
    }

    fn get_resource(&self) -> Result<Resource<'_>, RustBertError> {
        self.0.get_resource()
    }
}
