//! # Masked language pipeline (fill-mask)
//!
//! Predicts the words hidden behind mask tokens, several masks per text allowed. Each mask gets
//! its own prediction from the model's distribution at that position, as HF's
//! `pipeline("fill-mask")` computes it: `score` is the softmax probability of the token over the
//! vocabulary (rust-bert 0.23 returned the raw logit), and [`MaskedLanguageModel::predict_top_k`]
//! gives the `top_k` best tokens per mask as HF's `top_k` argument does.
//!
//! The mask is the tokenizer's own mask token (`[MASK]` for BERT, `<mask>` for RoBERTa), or any
//! string set as `mask_token` in the configuration, replaced by the model's before tokenization.
//! A text without a mask gets an empty list (HF raises an error there); a text longer than the
//! model's maximum length is truncated first, so a mask beyond it is not predicted.
//!
//! ```no_run
//! # fn main() -> Result<(), rust_bert::RustBertError> {
//! use rust_bert::pipelines::masked_language::MaskedLanguageModel;
//!
//! let model = MaskedLanguageModel::new(Default::default())?;
//! let output = model.predict([
//!     "Hello I am a [MASK] student",
//!     "Paris is the [MASK] of France. It is [MASK] in Europe.",
//! ])?;
//! for (text, masks) in ["first", "second"].iter().zip(&output) {
//!     for token in masks {
//!         println!("{text}: {} ({:.3})", token.text, token.score);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
use crate::albert::AlbertForMaskedLM;
use crate::bert::BertForMaskedLM;
use crate::distilbert::DistilBertModelMaskedLM;
use crate::electra::ElectraForMaskedLM;
use crate::fnet::FNetForMaskedLM;
use crate::longformer::LongformerForMaskedLM;
use crate::mobilebert::MobileBertForMaskedLM;
use crate::mpnet::MPNetForMaskedLM;
use crate::pipelines::common::{
    length_sorted_batches, ConfigOption, ModelResource, ModelType, PaddingSide, TokenizerOption,
};
use crate::resources::ResourceProvider;
use crate::roberta::RobertaForMaskedLM;
use crate::RustBertError;
#[cfg(feature = "remote")]
use crate::{
    bert::{BertConfigResources, BertModelResources, BertVocabResources},
    resources::RemoteResource,
};
use rust_tokenizers::tokenizer::TruncationStrategy;
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// Inputs run through the model together (sorted by length, so padding stays short).
const BATCH_SIZE: usize = 32;

/// One prediction for a masked position.
#[derive(Debug, Clone)]
pub struct MaskedToken {
    /// The predicted token as text (the tokenizer's decoding of that single token).
    pub text: String,
    /// The predicted token's id in the vocabulary.
    pub id: i64,
    /// Softmax probability of the token at the masked position (HF's `score`).
    pub score: f64,
}

/// Configuration of a [`MaskedLanguageModel`]: the model type and files, tokenizer options, the
/// mask string and where to run.
pub struct MaskedLanguageConfig {
    /// Model architecture (BERT, DistilBERT, RoBERTa, XLM-RoBERTa, ALBERT, ELECTRA, MobileBERT,
    /// FNet, MPNet, Longformer, DeBERTa or DeBERTa-v2).
    pub model_type: ModelType,
    /// Weights (`.ot`, `.safetensors` or `.bin`).
    pub model_resource: ModelResource,
    /// HF `config.json`.
    pub config_resource: Box<dyn ResourceProvider + Send>,
    /// Tokenizer vocabulary (`vocab.txt`, `vocab.json`, `spiece.model`, ...).
    pub vocab_resource: Box<dyn ResourceProvider + Send>,
    /// BPE merges (RoBERTa only).
    pub merges_resource: Option<Box<dyn ResourceProvider + Send>>,
    /// Lower-case the input (for uncased models).
    pub lower_case: bool,
    /// Strip accents (BERT and ALBERT tokenizers; by default as `lower_case`).
    pub strip_accents: Option<bool>,
    /// Add a space before the text (RoBERTa tokenizers).
    pub add_prefix_space: Option<bool>,
    /// A string marking masks in the inputs, replaced by the tokenizer's mask token; `None`: the
    /// inputs use the tokenizer's mask token itself.
    pub mask_token: Option<String>,
    /// Device to run on (default: CUDA when available).
    pub device: Device,
    /// Precision of the weights (`None`: float32 on CPU, as loaded elsewhere).
    pub kind: Option<Kind>,
}

impl MaskedLanguageConfig {
    /// A configuration for `model_type` from its resources.
    ///
    /// * `model_resource` - the weights
    /// * `config_resource` - HF `config.json`
    /// * `vocab_resource` / `merges_resource` - tokenizer files (merges for RoBERTa)
    /// * `lower_case`, `strip_accents`, `add_prefix_space` - tokenizer options
    /// * `mask_token` - the string that marks masks in the inputs, if not the tokenizer's own
    #[allow(clippy::too_many_arguments)]
    pub fn new<RC, RV>(
        model_type: ModelType,
        model_resource: ModelResource,
        config_resource: RC,
        vocab_resource: RV,
        merges_resource: Option<RV>,
        lower_case: bool,
        strip_accents: impl Into<Option<bool>>,
        add_prefix_space: impl Into<Option<bool>>,
        mask_token: impl Into<Option<String>>,
    ) -> MaskedLanguageConfig
    where
        RC: ResourceProvider + Send + 'static,
        RV: ResourceProvider + Send + 'static,
    {
        MaskedLanguageConfig {
            model_type,
            model_resource,
            config_resource: Box::new(config_resource),
            vocab_resource: Box::new(vocab_resource),
            merges_resource: merges_resource.map(|r| Box::new(r) as Box<_>),
            lower_case,
            strip_accents: strip_accents.into(),
            add_prefix_space: add_prefix_space.into(),
            mask_token: mask_token.into(),
            device: Device::cuda_if_available(),
            kind: None,
        }
    }
}

#[cfg(feature = "remote")]
impl Default for MaskedLanguageConfig {
    /// bert-base-uncased, as rust-bert.
    fn default() -> MaskedLanguageConfig {
        MaskedLanguageConfig::new(
            ModelType::Bert,
            ModelResource::Torch(Box::new(RemoteResource::from_pretrained(
                BertModelResources::BERT,
            ))),
            RemoteResource::from_pretrained(BertConfigResources::BERT),
            RemoteResource::from_pretrained(BertVocabResources::BERT),
            None,
            true,
            None,
            None,
            None,
        )
    }
}

/// A masked language model of any supported architecture.
#[allow(clippy::large_enum_variant)]
pub enum MaskedLanguageOption {
    /// BERT.
    Bert(BertForMaskedLM),
    /// DistilBERT.
    DistilBert(DistilBertModelMaskedLM),
    /// RoBERTa.
    Roberta(RobertaForMaskedLM),
    /// XLM-RoBERTa (RoBERTa's network).
    XLMRoberta(RobertaForMaskedLM),
    /// ALBERT.
    Albert(AlbertForMaskedLM),
    /// ELECTRA (the generator).
    Electra(ElectraForMaskedLM),
    /// MPNet.
    MPNet(MPNetForMaskedLM),
    /// MobileBERT.
    MobileBert(MobileBertForMaskedLM),
    /// FNet (each text runs unpadded: FNet has no attention mask).
    FNet(FNetForMaskedLM),
    /// Longformer (no global attention, as HF's fill-mask pipeline).
    Longformer(LongformerForMaskedLM),
    /// DeBERTa.
    Deberta(crate::deberta::DebertaForMaskedLM),
    /// DeBERTa-v2/v3.
    DebertaV2(crate::deberta_v2::DebertaV2ForMaskedLM),
}

/// Fails before any resource is fetched when the architecture has no masked LM here.
fn check_supported(model_type: ModelType) -> Result<(), RustBertError> {
    match model_type {
        ModelType::Bert
        | ModelType::DistilBert
        | ModelType::Roberta
        | ModelType::XLMRoberta
        | ModelType::Albert
        | ModelType::Electra
        | ModelType::MobileBert
        | ModelType::FNet
        | ModelType::MPNet
        | ModelType::Longformer
        | ModelType::Deberta
        | ModelType::DebertaV2 => Ok(()),
        other => Err(RustBertError::UnsupportedError(format!(
            "masked language modelling is not available for {other:?} in this crate (supported: \
             BERT, DistilBERT, RoBERTa, XLM-RoBERTa, ALBERT, ELECTRA, MobileBERT, FNet, MPNet, \
             Longformer, DeBERTa, DeBERTa-v2)"
        ))),
    }
}

impl MaskedLanguageOption {
    /// Builds the model of `config.model_type` and loads its weights (cast to `config.kind`, on
    /// `config.device`).
    ///
    /// # Errors
    /// `UnsupportedError` for an architecture without masked LM here; errors of the resources,
    /// of `config.json` and of the weights (missing or mis-shaped tensors).
    pub fn new(config: &MaskedLanguageConfig) -> Result<Self, RustBertError> {
        Ok(Self::new_with_var_store(config)?.0)
    }

    fn new_with_var_store(
        config: &MaskedLanguageConfig,
    ) -> Result<(Self, VarStore, ConfigOption), RustBertError> {
        check_supported(config.model_type)?;
        let model_config =
            ConfigOption::from_file(config.model_type, config.config_resource.get_local_path()?)?;
        let mut var_store = VarStore::new(config.device);
        let root = var_store.root();
        let _deferred = crate::common::layers::linear::defer_init();
        let model = match (config.model_type, &model_config) {
            (ModelType::Bert, ConfigOption::Bert(c)) => Self::Bert(BertForMaskedLM::new(root, c)),
            (ModelType::DistilBert, ConfigOption::DistilBert(c)) => {
                Self::DistilBert(DistilBertModelMaskedLM::new(root, c))
            }
            (ModelType::Roberta, ConfigOption::Roberta(c)) => {
                Self::Roberta(RobertaForMaskedLM::new(root, c))
            }
            (ModelType::XLMRoberta, ConfigOption::Roberta(c)) => {
                Self::XLMRoberta(RobertaForMaskedLM::new(root, c))
            }
            (ModelType::Albert, ConfigOption::Albert(c)) => {
                Self::Albert(AlbertForMaskedLM::new(root, c))
            }
            (ModelType::Electra, ConfigOption::Electra(c)) => {
                Self::Electra(ElectraForMaskedLM::try_new(root, c)?)
            }
            (ModelType::MobileBert, ConfigOption::MobileBert(c)) => {
                Self::MobileBert(MobileBertForMaskedLM::try_new(root, c)?)
            }
            (ModelType::FNet, ConfigOption::FNet(c)) => {
                Self::FNet(FNetForMaskedLM::try_new(root, c)?)
            }
            (ModelType::MPNet, ConfigOption::MPNet(c)) => {
                Self::MPNet(MPNetForMaskedLM::try_new(root, c)?)
            }
            (ModelType::Longformer, ConfigOption::Longformer(c)) => {
                Self::Longformer(LongformerForMaskedLM::try_new(root, c)?)
            }
            (ModelType::Deberta, ConfigOption::Deberta(c)) => {
                Self::Deberta(crate::deberta::DebertaForMaskedLM::try_new(root, c)?)
            }
            (ModelType::DebertaV2, ConfigOption::DebertaV2(c)) => {
                Self::DebertaV2(crate::deberta_v2::DebertaV2ForMaskedLM::try_new(root, c)?)
            }
            (model_type, other) => {
                return Err(RustBertError::InvalidConfigurationError(format!(
                    "model type {model_type:?} does not match its configuration {other:?}"
                )))
            }
        };
        crate::resources::load_weights(
            &config.model_resource,
            &mut var_store,
            config.kind,
            config.device,
        )?;
        Ok((model, var_store, model_config))
    }

    /// The model type (XLM-RoBERTa reports RoBERTa, as in rust-bert).
    pub fn model_type(&self) -> ModelType {
        match self {
            Self::Bert(_) => ModelType::Bert,
            Self::DistilBert(_) => ModelType::DistilBert,
            Self::Roberta(_) | Self::XLMRoberta(_) => ModelType::Roberta,
            Self::Albert(_) => ModelType::Albert,
            Self::Electra(_) => ModelType::Electra,
            Self::MPNet(_) => ModelType::MPNet,
            Self::MobileBert(_) => ModelType::MobileBert,
            Self::FNet(_) => ModelType::FNet,
            Self::Longformer(_) => ModelType::Longformer,
            Self::Deberta(_) => ModelType::Deberta,
            Self::DebertaV2(_) => ModelType::DebertaV2,
        }
    }

    /// Vocabulary logits `[batch, seq, vocab]` (arguments as `BertForMaskedLM::forward_t`; each
    /// model reads those it has: DistilBERT has no token types or positions, only BERT-like
    /// models take encoder states).
    ///
    /// # Errors
    /// The model's errors (inconsistent shapes, empty input).
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        encoder_hidden_states: Option<&Tensor>,
        encoder_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        Ok(match self {
            Self::Bert(model) => {
                model
                    .try_forward_t(
                        input_ids,
                        mask,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        encoder_hidden_states,
                        encoder_mask,
                        train,
                    )?
                    .prediction_scores
            }
            Self::Roberta(model) | Self::XLMRoberta(model) => {
                model
                    .try_forward_t(
                        input_ids,
                        mask,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        encoder_hidden_states,
                        encoder_mask,
                        train,
                    )?
                    .prediction_scores
            }
            Self::DistilBert(model) => {
                model
                    .forward_t(input_ids, mask, input_embeds, train)?
                    .prediction_scores
            }
            Self::Albert(model) => {
                model
                    .try_forward_t(
                        input_ids,
                        mask,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        train,
                    )?
                    .prediction_scores
            }
            Self::Electra(model) => {
                model
                    .try_forward_t(
                        input_ids,
                        mask,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        train,
                    )?
                    .prediction_scores
            }
            // MPNet has no token types.
            Self::MPNet(model) => {
                model
                    .try_forward_t(input_ids, mask, position_ids, input_embeds, train)?
                    .prediction_scores
            }
            Self::MobileBert(model) => match (input_ids, position_ids, input_embeds) {
                (Some(ids), None, None) => crate::pipelines::unpadded::forward_unpadded(
                    ids,
                    token_type_ids,
                    mask,
                    true,
                    |ids, types| {
                        Ok(vec![
                            model
                                .forward_t(Some(ids), types, None, None, None, train)?
                                .logits,
                        ])
                    },
                )?
                .remove(0),
                _ => {
                    model
                        .forward_t(
                            input_ids,
                            token_type_ids,
                            position_ids,
                            input_embeds,
                            mask,
                            train,
                        )?
                        .logits
                }
            },
            Self::FNet(model) => match (input_ids, position_ids, input_embeds) {
                (Some(ids), None, None) => crate::pipelines::unpadded::forward_unpadded(
                    ids,
                    token_type_ids,
                    mask,
                    true,
                    |ids, types| {
                        Ok(vec![
                            model
                                .forward_t(Some(ids), types, None, None, train)?
                                .prediction_scores,
                        ])
                    },
                )?
                .remove(0),
                _ => {
                    model
                        .forward_t(input_ids, token_type_ids, position_ids, input_embeds, train)?
                        .prediction_scores
                }
            },
            Self::Longformer(model) => {
                model
                    .forward_t(
                        input_ids,
                        mask,
                        None,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        train,
                    )?
                    .prediction_scores
            }
            Self::Deberta(model) => {
                model
                    .forward_t(
                        input_ids,
                        mask,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        train,
                    )?
                    .logits
            }
            Self::DebertaV2(model) => {
                model
                    .forward_t(
                        input_ids,
                        mask,
                        token_type_ids,
                        position_ids,
                        input_embeds,
                        train,
                    )?
                    .logits
            }
        })
    }
}

/// Fill-mask: predicts the tokens behind mask tokens.
pub struct MaskedLanguageModel {
    tokenizer: TokenizerOption,
    language_encode: MaskedLanguageOption,
    mask_token: Option<String>,
    var_store: VarStore,
    max_length: usize,
}

impl MaskedLanguageModel {
    /// Builds the pipeline: tokenizer, model and weights.
    ///
    /// # Errors
    /// `UnsupportedError` for an architecture without masked LM here (before any download);
    /// errors of the resources, the tokenizer files, `config.json` and the weights.
    pub fn new(config: MaskedLanguageConfig) -> Result<MaskedLanguageModel, RustBertError> {
        check_supported(config.model_type)?;
        let tokenizer = TokenizerOption::from_resources(
            config.model_type,
            config.vocab_resource.as_ref(),
            config.merges_resource.as_deref(),
            config.lower_case,
            config.strip_accents,
            config.add_prefix_space,
        )?;
        Self::new_with_tokenizer(config, tokenizer)
    }

    /// Builds the pipeline with a tokenizer of the caller's.
    ///
    /// # Errors
    /// As [`MaskedLanguageModel::new`], and `InvalidConfigurationError` when the tokenizer has
    /// no mask token.
    pub fn new_with_tokenizer(
        config: MaskedLanguageConfig,
        tokenizer: TokenizerOption,
    ) -> Result<MaskedLanguageModel, RustBertError> {
        if tokenizer.get_mask_id().is_none() {
            return Err(RustBertError::InvalidConfigurationError(
                "the tokenizer has no mask token: masked language modelling needs one".into(),
            ));
        }
        let (language_encode, var_store, model_config) =
            MaskedLanguageOption::new_with_var_store(&config)?;
        tokenizer.check_model_vocab(model_config.get_vocab_size())?;
        let max_length = model_config
            .get_max_len()
            .map_or(usize::MAX, |length| length.max(0) as usize);
        Ok(MaskedLanguageModel {
            tokenizer,
            language_encode,
            mask_token: config.mask_token,
            var_store,
            max_length,
        })
    }

    /// The tokenizer.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        &self.tokenizer
    }

    /// The tokenizer, mutable (e.g. to add tokens).
    pub fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        &mut self.tokenizer
    }

    /// The best token for each mask of each input, in the order the masks appear.
    ///
    /// An input without a mask (or whose masks lie beyond the model's maximum length) gets an
    /// empty list; an empty input list gives an empty output.
    ///
    /// # Errors
    /// Errors of the model (none expected for any text).
    pub fn predict<'a, S>(&self, input: S) -> Result<Vec<Vec<MaskedToken>>, RustBertError>
    where
        S: AsRef<[&'a str]>,
    {
        Ok(self
            .predict_top_k(input, 1)?
            .into_iter()
            .map(|masks| masks.into_iter().filter_map(|mut top| top.pop()).collect())
            .collect())
    }

    /// The `top_k` best tokens (highest probability first) for each mask of each input, as HF's
    /// `pipeline("fill-mask")(text, top_k=top_k)`: `output[input][mask][rank]`.
    ///
    /// `top_k` is capped by the vocabulary size; 0 gives empty lists.
    ///
    /// # Errors
    /// Errors of the model (none expected for any text).
    pub fn predict_top_k<'a, S>(
        &self,
        input: S,
        top_k: usize,
    ) -> Result<Vec<Vec<Vec<MaskedToken>>>, RustBertError>
    where
        S: AsRef<[&'a str]>,
    {
        let texts = self.prepare_texts(input.as_ref());
        let mut output: Vec<Vec<Vec<MaskedToken>>> = vec![Vec::new(); texts.len()];
        if texts.is_empty() || top_k == 0 {
            return Ok(output);
        }
        // Checked at construction; a tokenizer changed since cannot make it disappear.
        let mask_id = self.tokenizer.get_mask_id().ok_or_else(|| {
            RustBertError::InvalidConfigurationError("the tokenizer has no mask token".into())
        })?;
        let encoded = self.tokenizer.encode_list(
            &texts,
            self.max_length,
            &TruncationStrategy::LongestFirst,
            0,
        );
        let lengths: Vec<usize> = encoded.iter().map(|e| e.token_ids.len()).collect();
        let device = self.var_store.device();
        for batch in length_sorted_batches(&lengths, BATCH_SIZE) {
            // Only inputs with a mask need the model.
            let batch: Vec<usize> = batch
                .into_iter()
                .filter(|&i| encoded[i].token_ids.contains(&mask_id))
                .collect();
            if batch.is_empty() {
                continue;
            }
            let members: Vec<_> = batch.iter().map(|&i| encoded[i].clone()).collect();
            let padded = self
                .tokenizer
                .pad_batch(&members, PaddingSide::Right, device);
            let logits = crate::common::error::guarded("fill-mask", || {
                tch::no_grad(|| {
                    self.language_encode.forward_t(
                        Some(&padded.input_ids),
                        Some(&padded.attention_mask),
                        Some(&padded.token_type_ids),
                        None,
                        None,
                        None,
                        None,
                        false,
                    )
                })
            })?;
            for (row, &index) in batch.iter().enumerate() {
                let positions: Vec<i64> = encoded[index]
                    .token_ids
                    .iter()
                    .enumerate()
                    .filter(|(_, &id)| id == mask_id)
                    .map(|(position, _)| position as i64)
                    .collect();
                output[index] = self.top_tokens(&logits, row as i64, &positions, top_k)?;
            }
        }
        Ok(output)
    }

    /// The mask strings of the configuration replaced by the tokenizer's mask token.
    fn prepare_texts(&self, input: &[&str]) -> Vec<String> {
        match (&self.mask_token, self.tokenizer.get_mask_value()) {
            (Some(user), Some(model)) if !user.is_empty() => {
                input.iter().map(|text| text.replace(user, model)).collect()
            }
            _ => input.iter().map(|text| text.to_string()).collect(),
        }
    }

    /// Softmax over the vocabulary at each masked position of one batch row, and its `top_k`.
    fn top_tokens(
        &self,
        logits: &Tensor,
        row: i64,
        positions: &[i64],
        top_k: usize,
    ) -> Result<Vec<Vec<MaskedToken>>, RustBertError> {
        let index = Tensor::from_slice(positions).to(logits.device());
        let scores = tch::no_grad(|| {
            logits
                .get(row)
                .index_select(0, &index)
                .to_kind(Kind::Float)
                .softmax(-1, Kind::Float)
        });
        let vocab = scores.size().last().copied().unwrap_or(0);
        let k = (top_k as i64).min(vocab);
        let (values, ids) = scores.topk(k, -1, true, true);
        let values = Vec::<Vec<f32>>::try_from(values.to(Device::Cpu))?;
        let ids = Vec::<Vec<i64>>::try_from(ids.to(Device::Cpu))?;
        Ok(values
            .into_iter()
            .zip(ids)
            .map(|(values, ids)| {
                values
                    .into_iter()
                    .zip(ids)
                    .map(|(score, id)| MaskedToken {
                        // HF's `token_str`: the single token decoded, special tokens kept, no
                        // clean-up of spaces (RoBERTa's `Ġ.` stays " .").
                        text: self.tokenizer.decode(&[id], false, false),
                        id,
                        score: f64::from(score),
                    })
                    .collect()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_architectures_fail_before_any_download() {
        let error = check_supported(ModelType::GPT2).unwrap_err();
        assert!(matches!(error, RustBertError::UnsupportedError(_)));
    }
}
