//! Building blocks shared by every model.
pub mod activations;
pub mod config;
pub mod error;
pub mod kind;
pub mod layers;
mod torch_pickle;
pub mod resources;
pub mod weights;
