//! # DistilBERT (Sanh et al., 2019) — in progress.
