//! A resource that is already a file on local disk.

use super::{Resource, ResourceProvider};
use crate::RustBertError;
use std::path::PathBuf;

/// A model file on local disk, used where it is.
///
/// ```no_run
/// use rust_bert::resources::{LocalResource, ResourceProvider};
/// use std::path::PathBuf;
///
/// let weights = LocalResource { local_path: PathBuf::from("models/bert/rust_model.ot") };
/// assert_eq!(weights.get_local_path()?, PathBuf::from("models/bert/rust_model.ot"));
/// # Ok::<(), rust_bert::RustBertError>(())
/// ```
#[derive(PartialEq, Eq, Clone, Debug)]
pub struct LocalResource {
    /// Path of the file.
    pub local_path: PathBuf,
}

impl ResourceProvider for LocalResource {
    /// Returns `local_path` as given, without checking that the file exists.
    ///
    /// This is rust-bert's behaviour, kept on purpose: the loader that opens the file reports a
    /// missing file with its own error naming the path, and not touching the disk here keeps
    /// this call free of I/O.
    fn get_local_path(&self) -> Result<PathBuf, RustBertError> {
        Ok(self.local_path.clone())
    }

    /// Returns [`Resource::PathBuf`] with `local_path`, unchecked (see
    /// [`get_local_path`](LocalResource::get_local_path)).
    fn get_resource(&self) -> Result<Resource<'_>, RustBertError> {
        Ok(Resource::PathBuf(self.local_path.clone()))
    }
}

impl From<PathBuf> for LocalResource {
    fn from(local_path: PathBuf) -> Self {
        LocalResource { local_path }
    }
}

/// Lets a path be passed where pipeline configurations expect a boxed provider.
impl From<PathBuf> for Box<dyn ResourceProvider + Send> {
    fn from(local_path: PathBuf) -> Self {
        Box::new(LocalResource { local_path })
    }
}
