//! A resource held in memory (for example weights embedded in the binary or received over a
//! network the crate does not know about).

use super::{Resource, ResourceProvider};
use crate::RustBertError;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

/// Model weights held in memory, in the libtorch format that
/// [`tch::nn::VarStore::load_from_stream`] reads.
///
/// The bytes are shared (`Arc`) so a clone of the resource does not copy them, and locked
/// (`RwLock`) because loading hands out a write guard (see [`Resource::Buffer`]).
///
/// ```
/// use rust_bert::resources::{BufferResource, Resource, ResourceProvider};
///
/// let weights = BufferResource::from(vec![1u8, 2, 3]);
/// match weights.get_resource()? {
///     Resource::Buffer(bytes) => assert_eq!(bytes.as_slice(), &[1, 2, 3]),
///     Resource::PathBuf(_) => unreachable!(),
/// }
/// # Ok::<(), rust_bert::RustBertError>(())
/// ```
#[derive(Clone, Debug)]
pub struct BufferResource {
    /// The bytes of the resource.
    pub data: Arc<RwLock<Vec<u8>>>,
}

impl BufferResource {
    /// Wraps `data` in a new resource.
    pub fn new(data: Vec<u8>) -> Self {
        BufferResource {
            data: Arc::new(RwLock::new(data)),
        }
    }
}

impl ResourceProvider for BufferResource {
    /// Always fails: bytes in memory have no path.
    ///
    /// # Errors
    /// [`RustBertError::UnsupportedError`], telling the caller to use
    /// [`get_resource`](ResourceProvider::get_resource) instead. Vocabulary and configuration
    /// loaders read files by path, so only weights can be given as a buffer.
    fn get_local_path(&self) -> Result<PathBuf, RustBertError> {
        Err(RustBertError::UnsupportedError(
            "a BufferResource holds its bytes in memory and has no local path; use \
             get_resource() (as load_weights does) or write the bytes to a file and use a \
             LocalResource"
                .to_string(),
        ))
    }

    /// Returns [`Resource::Buffer`] holding the write guard of the bytes.
    ///
    /// A poisoned lock (a panic elsewhere while the guard was held) is recovered rather than
    /// reported: the crate only reads through the guard, so a panic cannot have left the bytes
    /// half-written by us, and refusing every later load would make the resource unusable.
    fn get_resource(&self) -> Result<Resource<'_>, RustBertError> {
        let guard = self.data.write().unwrap_or_else(PoisonError::into_inner);
        Ok(Resource::Buffer(guard))
    }
}

impl From<Vec<u8>> for BufferResource {
    fn from(data: Vec<u8>) -> Self {
        BufferResource::new(data)
    }
}

impl From<RwLock<Vec<u8>>> for BufferResource {
    fn from(data: RwLock<Vec<u8>>) -> Self {
        BufferResource {
            data: Arc::new(data),
        }
    }
}

impl From<Arc<RwLock<Vec<u8>>>> for BufferResource {
    fn from(data: Arc<RwLock<Vec<u8>>>) -> Self {
        BufferResource { data }
    }
}

/// Lets bytes be passed where pipeline configurations expect a boxed provider.
impl From<Vec<u8>> for Box<dyn ResourceProvider + Send> {
    fn from(data: Vec<u8>) -> Self {
        Box::new(BufferResource::new(data))
    }
}
