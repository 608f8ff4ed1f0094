//! Ready-to-use pipelines and what they share.
pub mod common;
