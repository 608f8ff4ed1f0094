//! Integration tests, in one binary because each test binary links LibTorch (slow to link).
mod activations;
mod bert;
mod config;
mod minilm;
mod resources;
mod util;
mod weights;
