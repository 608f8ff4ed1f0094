//! # ALBERT (Lan et al., 2019) — in progress.
