//! # RoBERTa (Liu et al., 2019) — in progress.
