//! The sentence-embeddings model: transformer, pooling, optional Dense and Normalize.
use crate::albert::AlbertForSentenceEmbeddings;
use crate::bert::BertForSentenceEmbeddings;
use crate::distilbert::DistilBertForSentenceEmbeddings;
use crate::electra::ElectraModel;
use crate::mpnet::MPNetModel;
use crate::pipelines::common::{
    cast_var_store, length_sorted_batches, ConfigOption, ModelType, PaddingSide, TokenizerOption,
};
use crate::pipelines::sentence_embeddings::layers::{Dense, DenseConfig, Pooling, PoolingConfig};
use crate::pipelines::sentence_embeddings::{
    AttentionHead, AttentionLayer, AttentionOutput, Embedding, SentenceEmbeddingsConfig,
    SentenceEmbeddingsModuleType, SentenceEmbeddingsModulesConfig,
    SentenceEmbeddingsSentenceBertConfig, SentenceEmbeddingsTokenizerConfig,
};
use crate::resources::ResourceProvider;
use crate::roberta::RobertaForSentenceEmbeddings;
use crate::{Config, RustBertError};
use rust_tokenizers::tokenizer::TruncationStrategy;
use std::borrow::Borrow;
use std::path::Path;
use tch::{nn, Device, Kind, Tensor};

/// Inputs run through the transformer together (sentence-transformers' default batch size);
/// they are sorted by length first, so a batch pads little.
const BATCH_SIZE: usize = 32;

/// The transformer of a sentence-embeddings model, one variant per supported architecture.
#[allow(clippy::large_enum_variant)]
pub enum SentenceEmbeddingsOption {
    /// BERT (MiniLM and the other BERT checkpoints).
    Bert(BertForSentenceEmbeddings),
    /// DistilBERT.
    DistilBert(DistilBertForSentenceEmbeddings),
    /// RoBERTa.
    Roberta(RobertaForSentenceEmbeddings),
    /// XLM-RoBERTa (RoBERTa's network).
    XLMRoberta(RobertaForSentenceEmbeddings),
    /// ALBERT.
    Albert(AlbertForSentenceEmbeddings),
    /// ELECTRA (the base model: no pooler, the pipeline pools).
    Electra(ElectraModel),
    /// T5's encoder (sentence-T5).
    T5(crate::t5::T5ForSentenceEmbeddings),
    /// MPNet (the base model without pooler: all-mpnet-base-v2).
    MPNet(MPNetModel),
}

/// Fails before any resource is fetched when the architecture has no sentence-embeddings model
/// here.
pub(crate) fn check_supported(transformer_type: ModelType) -> Result<(), RustBertError> {
    match transformer_type {
        ModelType::Bert
        | ModelType::DistilBert
        | ModelType::Roberta
        | ModelType::XLMRoberta
        | ModelType::Albert
        | ModelType::Electra
        | ModelType::T5
        | ModelType::MPNet => Ok(()),
        other => Err(RustBertError::UnsupportedError(format!(
            "sentence embeddings are not available for {other:?} transformers in this crate \
             (supported: BERT, DistilBERT, RoBERTa, XLM-RoBERTa, ALBERT, ELECTRA, T5, MPNet)"
        ))),
    }
}

impl SentenceEmbeddingsOption {
    /// Builds the transformer of `transformer_type` under `p` (without pooler where HF's
    /// `AutoModel` checkpoints may lack one; ALBERT always has it).
    ///
    /// # Errors
    /// `UnsupportedError` for another architecture, `InvalidConfigurationError` when `config`
    /// is of another architecture.
    pub fn new<'p, P>(
        transformer_type: ModelType,
        p: P,
        config: &ConfigOption,
    ) -> Result<Self, RustBertError>
    where
        P: Borrow<nn::Path<'p>>,
    {
        check_supported(transformer_type)?;
        Ok(match (transformer_type, config) {
            (ModelType::Bert, ConfigOption::Bert(c)) => Self::Bert(
                BertForSentenceEmbeddings::new_with_optional_pooler(p, c, false),
            ),
            (ModelType::DistilBert, ConfigOption::DistilBert(c)) => {
                Self::DistilBert(DistilBertForSentenceEmbeddings::new(p, c))
            }
            (ModelType::Roberta, ConfigOption::Roberta(c)) => Self::Roberta(
                RobertaForSentenceEmbeddings::new_with_optional_pooler(p, c, false),
            ),
            (ModelType::XLMRoberta, ConfigOption::Roberta(c)) => Self::XLMRoberta(
                RobertaForSentenceEmbeddings::new_with_optional_pooler(p, c, false),
            ),
            (ModelType::Albert, ConfigOption::Albert(c)) => {
                Self::Albert(AlbertForSentenceEmbeddings::new(p, c))
            }
            (ModelType::Electra, ConfigOption::Electra(c)) => {
                Self::Electra(ElectraModel::try_new(p, c)?)
            }
            (ModelType::T5, ConfigOption::T5(c)) => {
                Self::T5(crate::t5::T5ForSentenceEmbeddings::new(p, c))
            }
            (ModelType::MPNet, ConfigOption::MPNet(c)) => {
                Self::MPNet(MPNetModel::new_with_optional_pooler(p, c, false)?)
            }
            (model_type, other) => {
                return Err(RustBertError::InvalidConfigurationError(format!(
                    "transformer type {model_type:?} does not match its configuration {other:?}"
                )))
            }
        })
    }

    /// Token embeddings `[batch, seq, hidden]` and, when the configuration asks for them, the
    /// attention probabilities of each layer `[batch, heads, seq, seq]` (ALBERT: the mean over
    /// a layer's inner groups, as rust-bert).
    ///
    /// # Errors
    /// The model's errors (inconsistent shapes, empty input).
    pub fn forward(
        &self,
        tokens_ids: &Tensor,
        tokens_masks: &Tensor,
    ) -> Result<(Tensor, Option<Vec<Tensor>>), RustBertError> {
        let ids = Some(tokens_ids);
        let mask = Some(tokens_masks);
        Ok(match self {
            Self::Bert(model) => {
                let output = model.forward_t(ids, mask, None, None, None, None, None, false)?;
                (output.hidden_state, output.all_attentions)
            }
            Self::Roberta(model) | Self::XLMRoberta(model) => {
                let output = model.forward_t(ids, mask, None, None, None, None, None, false)?;
                (output.hidden_state, output.all_attentions)
            }
            Self::DistilBert(model) => {
                let output = model.forward_t(ids, mask, None, false)?;
                (output.hidden_state, output.all_attentions)
            }
            Self::Electra(model) => {
                let output = model.forward_t(ids, mask, None, None, None, false)?;
                (output.hidden_state, output.all_attentions)
            }
            Self::Albert(model) => {
                let output = model.forward_t(ids, mask, None, None, None, false)?;
                let attentions = output.all_attentions.map(|layers| {
                    layers
                        .into_iter()
                        .filter_map(|groups| {
                            let count = groups.len() as f64;
                            let sum = groups.into_iter().reduce(|a, b| a + b)?;
                            Some(sum / count)
                        })
                        .collect()
                });
                (output.hidden_state, attentions)
            }
            Self::T5(model) => model.forward(tokens_ids, tokens_masks)?,
            Self::MPNet(model) => {
                let output = model.forward_t(ids, mask, None, None, false)?;
                (output.hidden_state, output.all_attentions)
            }
        })
    }
}

/// A step after the pooling, in `modules.json` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PostStep {
    Dense,
    Normalize,
}

/// Sentence embeddings: a transformer, a pooling, and optionally a Dense layer and an L2
/// normalisation, as the sentence-transformers folder it is built from declares.
pub struct SentenceEmbeddingsModel {
    sentence_bert_config: SentenceEmbeddingsSentenceBertConfig,
    tokenizer: TokenizerOption,
    tokenizer_truncation_strategy: TruncationStrategy,
    var_store: nn::VarStore,
    transformer: SentenceEmbeddingsOption,
    pooling_layer: Pooling,
    dense_layer: Option<Dense>,
    post_steps: Vec<PostStep>,
    embeddings_dim: i64,
    max_length: usize,
    lower_case: bool,
}

/// Reads an optional configuration file: a missing file gives the defaults (sentence-transformers
/// folders may lack `tokenizer_config.json` or `sentence_bert_config.json`).
fn read_optional<T: Config + Default>(
    resource: &(dyn ResourceProvider + Send),
) -> Result<T, RustBertError> {
    let path = resource.get_local_path()?;
    if !path.exists() {
        return Ok(T::default());
    }
    T::try_from_file(path)
}

/// Builds the tokenizer, passing each tokenizer only the options it takes (a
/// `tokenizer_config.json` may carry options of other tokenizers).
fn build_tokenizer(
    transformer_type: ModelType,
    vocab: &Path,
    merges: Option<&Path>,
    lower_case: bool,
    tokenizer_config: &SentenceEmbeddingsTokenizerConfig,
) -> Result<TokenizerOption, RustBertError> {
    let strip_accents = match transformer_type {
        ModelType::Bert
        | ModelType::DistilBert
        | ModelType::Albert
        | ModelType::Electra
        | ModelType::MPNet => tokenizer_config.strip_accents,
        _ => None,
    };
    let add_prefix_space = match transformer_type {
        ModelType::Roberta => tokenizer_config.add_prefix_space,
        _ => None,
    };
    // A path that is not UTF-8 reaches the tokenizer altered and fails there as a missing file.
    let merges = merges.map(|path| path.to_string_lossy());
    TokenizerOption::from_file(
        transformer_type,
        &vocab.to_string_lossy(),
        merges.as_deref(),
        lower_case,
        strip_accents,
        add_prefix_space,
    )
}

impl SentenceEmbeddingsModel {
    /// Builds the model from its resources.
    ///
    /// # Errors
    /// `UnsupportedError` for a transformer architecture not in this crate (before any
    /// download); `InvalidConfigurationError` for a module layout this pipeline does not run
    /// (see [`SentenceEmbeddingsModulesConfig::validate`]), a Dense module without its files, or
    /// widths that do not chain (pooling output vs Dense input); errors of the resources,
    /// configuration files, tokenizer files and weights.
    pub fn new(config: SentenceEmbeddingsConfig) -> Result<Self, RustBertError> {
        let SentenceEmbeddingsConfig {
            modules_config_resource,
            transformer_type,
            transformer_config_resource,
            transformer_weights_resource,
            pooling_config_resource,
            dense_config_resource,
            dense_weights_resource,
            sentence_bert_config_resource,
            tokenizer_config_resource,
            tokenizer_vocab_resource,
            tokenizer_merges_resource,
            device,
            kind,
        } = config;
        check_supported(transformer_type)?;

        let modules = SentenceEmbeddingsModulesConfig::try_from_file(
            modules_config_resource.get_local_path()?,
        )?
        .validate()?;

        let sentence_bert_config: SentenceEmbeddingsSentenceBertConfig =
            read_optional(sentence_bert_config_resource.as_ref())?;
        let tokenizer_config: SentenceEmbeddingsTokenizerConfig =
            read_optional(tokenizer_config_resource.as_ref())?;
        let lower_case = tokenizer_config
            .do_lower_case
            .unwrap_or(sentence_bert_config.do_lower_case);
        let merges = tokenizer_merges_resource
            .as_ref()
            .map(|resource| resource.get_local_path())
            .transpose()?;
        let tokenizer = build_tokenizer(
            transformer_type,
            &tokenizer_vocab_resource.get_local_path()?,
            merges.as_deref(),
            lower_case,
            &tokenizer_config,
        )?;

        let transformer_config = ConfigOption::from_file(
            transformer_type,
            transformer_config_resource.get_local_path()?,
        )?;
        tokenizer.check_model_vocab(transformer_config.get_vocab_size())?;
        let mut var_store = nn::VarStore::new(device);
        let _deferred = crate::common::layers::linear::defer_init();
        let transformer =
            SentenceEmbeddingsOption::new(transformer_type, var_store.root(), &transformer_config)?;
        crate::resources::load_weights(
            transformer_weights_resource.as_ref(),
            &mut var_store,
            kind,
            device,
        )?;
        cast_var_store(&mut var_store, kind, device);
        crate::common::quantize::quantize_if_asked(&var_store, kind)?;

        let pooling_config =
            PoolingConfig::try_from_file(pooling_config_resource.get_local_path()?)?;
        if pooling_config.num_modes() == 0 {
            return Err(RustBertError::InvalidConfigurationError(
                "pooling configuration: no pooling mode is set".into(),
            ));
        }
        let mut embeddings_dim = pooling_config.output_dimension();
        let pooling_layer = Pooling::new(pooling_config);

        let dense_layer = match modules.dense_module() {
            None => None,
            Some(module) => {
                let missing = || {
                    RustBertError::InvalidConfigurationError(format!(
                        "modules.json lists a Dense module (`{}`) but no Dense configuration or \
                         weights were given",
                        module.path
                    ))
                };
                let dense_config = DenseConfig::try_from_file(
                    dense_config_resource
                        .ok_or_else(missing)?
                        .get_local_path()?,
                )?;
                if dense_config.in_features != embeddings_dim {
                    return Err(RustBertError::InvalidConfigurationError(format!(
                        "the Dense module takes {} features but the pooling gives {embeddings_dim}",
                        dense_config.in_features
                    )));
                }
                embeddings_dim = dense_config.out_features;
                let weights = dense_weights_resource.ok_or_else(missing)?;
                let mut dense = Dense::from_resource(dense_config, weights.as_ref(), device)?;
                cast_var_store(dense.var_store_mut(), kind, device);
                Some(dense)
            }
        };
        let post_steps = modules
            .iter()
            .skip(2)
            .filter_map(|m| match m.module_type {
                SentenceEmbeddingsModuleType::Dense => Some(PostStep::Dense),
                SentenceEmbeddingsModuleType::Normalize => Some(PostStep::Normalize),
                _ => None,
            })
            .collect();

        let model_max = transformer_config
            .get_max_len()
            .map_or(usize::MAX, |length| length.max(0) as usize);
        let max_length = sentence_bert_config.max_seq_length.min(model_max);
        Ok(Self {
            sentence_bert_config,
            tokenizer,
            tokenizer_truncation_strategy: TruncationStrategy::LongestFirst,
            var_store,
            transformer,
            pooling_layer,
            dense_layer,
            post_steps,
            embeddings_dim,
            max_length,
            lower_case,
        })
    }

    /// Whether the tokenizer lower-cases (keyword candidates follow it).
    pub(crate) fn lower_case(&self) -> bool {
        self.lower_case || self.sentence_bert_config.do_lower_case
    }

    /// The tokenizer.
    pub fn get_tokenizer(&self) -> &TokenizerOption {
        &self.tokenizer
    }

    /// The tokenizer, mutable.
    pub fn get_tokenizer_mut(&mut self) -> &mut TokenizerOption {
        &mut self.tokenizer
    }

    /// Sets how inputs longer than the maximum length are truncated (default: longest first,
    /// which for single texts keeps the beginning).
    pub fn set_tokenizer_truncation(&mut self, truncation_strategy: TruncationStrategy) {
        self.tokenizer_truncation_strategy = truncation_strategy;
    }

    /// The width of the embeddings.
    ///
    /// # Errors
    /// None (the `Result` is rust-bert's signature).
    pub fn get_embedding_dim(&self) -> Result<i64, RustBertError> {
        Ok(self.embeddings_dim)
    }

    /// Moves the model to `device`.
    pub fn set_device(&mut self, device: Device) {
        self.var_store.set_device(device);
        if let Some(dense) = &mut self.dense_layer {
            dense.var_store_mut().set_device(device);
        }
    }

    /// Casts the weights to half precision (float16).
    ///
    /// # Errors
    /// None (the `Result` is rust-bert's signature).
    pub fn half(&mut self) -> Result<(), RustBertError> {
        self.set_kind(Kind::Half);
        Ok(())
    }

    /// Casts the weights to single precision (float32).
    ///
    /// # Errors
    /// None (the `Result` is rust-bert's signature).
    pub fn float(&mut self) -> Result<(), RustBertError> {
        self.set_kind(Kind::Float);
        Ok(())
    }

    fn set_kind(&mut self, kind: Kind) {
        self.var_store.set_kind(kind);
        if let Some(dense) = &mut self.dense_layer {
            dense.var_store_mut().set_kind(kind);
        }
    }

    /// The texts as the tokenizer gets them (lower-cased when `sentence_bert_config.json` says
    /// so, as sentence-transformers does before tokenizing).
    fn prepared<S: AsRef<str>>(&self, inputs: &[S]) -> Vec<String> {
        inputs
            .iter()
            .map(|text| {
                if self.sentence_bert_config.do_lower_case {
                    text.as_ref().to_lowercase()
                } else {
                    text.as_ref().to_string()
                }
            })
            .collect()
    }

    /// Tokenizes and right-pads the inputs to the longest (rust-bert's helper; the encoding
    /// methods batch by length instead).
    pub fn tokenize<S>(&self, inputs: &[S]) -> SentenceEmbeddingsTokenizerOutput
    where
        S: AsRef<str> + Sync,
    {
        let texts = self.prepared(inputs);
        let encoded = self.tokenizer.encode_list(
            &texts,
            self.max_length,
            &self.tokenizer_truncation_strategy,
            0,
        );
        let batch = self
            .tokenizer
            .pad_batch(&encoded, PaddingSide::Right, Device::Cpu);
        let rows = batch.input_ids.size()[0];
        SentenceEmbeddingsTokenizerOutput {
            tokens_ids: (0..rows).map(|i| batch.input_ids.get(i)).collect(),
            tokens_masks: (0..rows).map(|i| batch.attention_mask.get(i)).collect(),
        }
    }

    /// Embeddings `[inputs, dim]` (and, when the transformer's configuration asks for them, the
    /// attention probabilities of each layer, `[inputs, heads, longest, longest]`, zero beyond
    /// each input's length). An empty input list gives `[0, dim]`.
    ///
    /// # Errors
    /// Errors of the model (none expected for any text with the default truncation).
    pub fn encode_as_tensor<S>(
        &self,
        inputs: &[S],
    ) -> Result<SentenceEmbeddingsModelOutput, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        Ok(self.encode_batches(inputs)?.0)
    }

    /// Runs the inputs in length-sorted batches; returns the output in input order and the
    /// token count of each input.
    fn encode_batches<S>(
        &self,
        inputs: &[S],
    ) -> Result<(SentenceEmbeddingsModelOutput, Vec<usize>), RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let device = self.var_store.device();
        let texts = self.prepared(inputs);
        let encoded = self.tokenizer.encode_list(
            &texts,
            self.max_length,
            &self.tokenizer_truncation_strategy,
            0,
        );
        let lengths: Vec<usize> = encoded.iter().map(|e| e.token_ids.len()).collect();
        if encoded.is_empty() {
            let kind = self.output_kind();
            let empty = Tensor::zeros([0, self.embeddings_dim], (kind, device));
            let output = SentenceEmbeddingsModelOutput {
                embeddings: empty,
                all_attentions: None,
            };
            return Ok((output, lengths));
        }
        let longest = lengths.iter().copied().max().unwrap_or(0) as i64;
        let batches = length_sorted_batches(&lengths, BATCH_SIZE);
        let mut embeddings = Vec::with_capacity(batches.len());
        let mut attentions: Option<Vec<Vec<Tensor>>> = None;
        let mut order = Vec::with_capacity(encoded.len());
        for batch in batches {
            let members: Vec<_> = batch.iter().map(|&i| encoded[i].clone()).collect();
            let padded = self
                .tokenizer
                .pad_batch(&members, PaddingSide::Right, device);
            let (batch_embeddings, batch_attentions) =
                crate::common::error::guarded("sentence embeddings", || {
                    tch::no_grad(|| {
                        let (tokens, layer_attentions) = self
                            .transformer
                            .forward(&padded.input_ids, &padded.attention_mask)?;
                        let pooled = self.pooling_layer.forward(tokens, &padded.attention_mask);
                        Ok::<_, RustBertError>((self.post_process(pooled), layer_attentions))
                    })
                })?;
            embeddings.push(batch_embeddings);
            if let Some(layers) = batch_attentions {
                // Pad each batch's `[b, heads, len, len]` to the longest input of all.
                let width = padded.input_ids.size()[1];
                let padded_layers: Vec<Tensor> = layers
                    .into_iter()
                    .map(|a| a.constant_pad_nd([0, longest - width, 0, longest - width]))
                    .collect();
                attentions.get_or_insert_with(Vec::new).push(padded_layers);
            }
            order.extend(batch);
        }
        // Back to input order: `order[k]` is the input at row k of the concatenation.
        let mut inverse = vec![0i64; order.len()];
        for (row, &input) in order.iter().enumerate() {
            inverse[input] = row as i64;
        }
        let inverse = Tensor::from_slice(&inverse).to(device);
        let embeddings = Tensor::cat(&embeddings, 0).index_select(0, &inverse);
        let all_attentions = attentions.map(|batches| {
            let layers = batches.first().map_or(0, Vec::len);
            (0..layers)
                .map(|layer| {
                    let per_batch: Vec<&Tensor> =
                        batches.iter().filter_map(|b| b.get(layer)).collect();
                    Tensor::cat(&per_batch, 0).index_select(0, &inverse)
                })
                .collect()
        });
        Ok((
            SentenceEmbeddingsModelOutput {
                embeddings,
                all_attentions,
            },
            lengths,
        ))
    }

    /// The kind of the embeddings: the weights'.
    fn output_kind(&self) -> Kind {
        self.var_store
            .variables()
            .values()
            .next()
            .map_or(Kind::Float, Tensor::kind)
    }

    /// Dense and Normalize, in `modules.json` order.
    fn post_process(&self, pooled: Tensor) -> Tensor {
        let mut features = pooled;
        for step in &self.post_steps {
            features = match (step, &self.dense_layer) {
                (PostStep::Dense, Some(dense)) => dense.forward(&features),
                (PostStep::Dense, None) => features,
                (PostStep::Normalize, _) => {
                    // F.normalize: x / max(||x||, 1e-12).
                    let norm = features
                        .norm_scalaropt_dim(2.0, [1].as_slice(), true)
                        .clamp_min(1e-12);
                    features / norm
                }
            };
        }
        features
    }

    /// The embedding of each input, in input order.
    ///
    /// # Errors
    /// As [`SentenceEmbeddingsModel::encode_as_tensor`].
    pub fn encode<S>(&self, inputs: &[S]) -> Result<Vec<Embedding>, RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let output = self.encode_as_tensor(inputs)?;
        to_rows(&output.embeddings)
    }

    /// The embedding of each input and its attention probabilities: per layer, per head, a
    /// `[len, len]` matrix over the input's own tokens (special tokens included, no padding).
    ///
    /// # Errors
    /// `InvalidConfigurationError` when the transformer does not output attentions (set
    /// `"output_attentions": true` in its `config.json`); errors of
    /// [`SentenceEmbeddingsModel::encode_as_tensor`].
    pub fn encode_with_attention<S>(
        &self,
        inputs: &[S],
    ) -> Result<(Vec<Embedding>, Vec<AttentionOutput>), RustBertError>
    where
        S: AsRef<str> + Sync,
    {
        let (output, lengths) = self.encode_batches(inputs)?;
        let embeddings = to_rows(&output.embeddings)?;
        if inputs.is_empty() {
            return Ok((embeddings, Vec::new()));
        }
        let all_attentions = output.all_attentions.ok_or_else(|| {
            RustBertError::InvalidConfigurationError(
                "the transformer does not output attentions: set \"output_attentions\": true in \
                 its config.json"
                    .into(),
            )
        })?;
        let mut outputs = Vec::with_capacity(lengths.len());
        for (input, &length) in lengths.iter().enumerate() {
            let length = length as i64;
            let mut layers: AttentionOutput = Vec::with_capacity(all_attentions.len());
            for layer in &all_attentions {
                let matrix = layer
                    .get(input as i64)
                    .narrow(1, 0, length)
                    .narrow(2, 0, length)
                    .to_kind(Kind::Float)
                    .to(Device::Cpu);
                let heads = matrix.size()[0];
                let mut per_head: AttentionLayer = Vec::with_capacity(heads as usize);
                for head in 0..heads {
                    let rows: AttentionHead = Vec::<Vec<f32>>::try_from(matrix.get(head))?;
                    per_head.push(rows);
                }
                layers.push(per_head);
            }
            outputs.push(layers);
        }
        Ok((embeddings, outputs))
    }
}

fn to_rows(embeddings: &Tensor) -> Result<Vec<Embedding>, RustBertError> {
    if embeddings.size().first() == Some(&0) {
        return Ok(Vec::new());
    }
    Ok(Vec::<Vec<f32>>::try_from(
        embeddings.to_kind(Kind::Float).to(Device::Cpu),
    )?)
}

/// Token ids and attention masks of padded inputs ([`SentenceEmbeddingsModel::tokenize`]).
pub struct SentenceEmbeddingsTokenizerOutput {
    /// Token ids of each input, padded to the longest.
    pub tokens_ids: Vec<Tensor>,
    /// 1 for tokens, 0 for padding.
    pub tokens_masks: Vec<Tensor>,
}

/// Embeddings and attentions ([`SentenceEmbeddingsModel::encode_as_tensor`]).
pub struct SentenceEmbeddingsModelOutput {
    /// `[inputs, dim]`, in input order.
    pub embeddings: Tensor,
    /// Per layer `[inputs, heads, longest, longest]`, when the transformer outputs attentions.
    pub all_attentions: Option<Vec<Tensor>>,
}
