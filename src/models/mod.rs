//! One module per architecture (also re-exported at the crate root).
pub mod bert;
