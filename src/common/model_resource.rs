//! The weights resource of a model ([`ModelResource`]) and the precision they run in.
use crate::resources::{Resource, ResourceProvider};
use crate::RustBertError;
use std::path::PathBuf;
use tch::nn::VarStore;
use tch::{Device, Kind};

/// The weights of a pipeline's model.
#[derive(Debug)]
pub enum ModelResource {
    /// LibTorch weights (`.ot`, `.safetensors`, `.bin`) from any resource provider.
    Torch(Box<dyn ResourceProvider + Send>),
}

impl ResourceProvider for ModelResource {
    fn get_local_path(&self) -> Result<PathBuf, RustBertError> {
        match self {
            ModelResource::Torch(resource) => resource.get_local_path(),
        }
    }

    fn get_resource(&self) -> Result<Resource<'_>, RustBertError> {
        match self {
            ModelResource::Torch(resource) => resource.get_resource(),
        }
    }
}

impl ModelResource {
    /// The local path of the LibTorch weights (downloading them first if needed).
    pub fn get_torch_local_path(&self) -> Result<PathBuf, RustBertError> {
        match self {
            ModelResource::Torch(resource) => resource.get_local_path(),
        }
    }
}

/// Sets the variables' precision: `kind` when given, otherwise float32 on CPU (half precision
/// is slow or unsupported there) and unchanged on accelerators.
/// `Kind::QInt8` (int8 weights) keeps float32 here: the quantisation itself is
/// [`quantize_if_asked`](crate::common::quantize::quantize_if_asked).
pub fn cast_var_store(varstore: &mut VarStore, kind: Option<Kind>, device: Device) {
    match (crate::common::quantize::storage_kind(kind), device) {
        (Some(kind), _) => varstore.set_kind(kind),
        (None, Device::Cpu) => varstore.set_kind(Kind::Float),
        (None, _) => {}
    }
}
