//! What every pipeline shares: model types, configuration and tokenizer options — in progress.
