//! Weight files: formats, sharding, dtypes and conversions.
