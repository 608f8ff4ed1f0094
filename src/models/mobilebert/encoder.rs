//! MobileBERT's embeddings and bottlenecked layers (HF `MobileBertEmbeddings`, `MobileBertLayer`
//! and their parts). Variables carry HF's names.
use crate::common::layers::embeddings::{check_ids, ids_or_embeds, lookup};
use crate::common::layers::linear::embedding_config;
use crate::common::layers::{
    linear, merge_heads, run_layer_stack, scaled_dot_product, split_heads, Dropout, Intermediate,
    LayerStackOutput,
};
use crate::mobilebert::{MobileBertConfig, NormalizationLayer};
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn::{self, Module};
use tch::{Kind, Tensor};

/// HF builds some of MobileBERT's normalisations without passing `layer_norm_eps` (the
/// embeddings' and `MobileBertOutput`'s), so a `layer_norm` there has PyTorch's default epsilon.
const TORCH_LAYER_NORM_EPS: f64 = 1e-5;

/// Word embeddings (`embedding_size` wide, optionally widened to three neighbouring tokens by the
/// trigram input), projected to `hidden_size` by `embedding_transformation`, plus position and
/// token-type embeddings, then the configured normalisation and dropout.
#[derive(Debug)]
pub(crate) struct MobileBertEmbeddings {
    word_embeddings: nn::Embedding,
    position_embeddings: nn::Embedding,
    token_type_embeddings: nn::Embedding,
    embedding_transformation: nn::Linear,
    layer_norm: NormalizationLayer,
    dropout: Dropout,
    trigram_input: bool,
    project: bool,
    max_position_embeddings: i64,
}

impl MobileBertEmbeddings {
    pub(crate) fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &MobileBertConfig) -> Self {
        let p = p.borrow();
        let trigram_input = config.trigram_input.unwrap_or(true);
        let input_width = config.embedding_size * if trigram_input { 3 } else { 1 };
        let embedding =
            |name: &str, n: i64, width: i64| nn::embedding(p / name, n, width, embedding_config());
        Self {
            word_embeddings: embedding("word_embeddings", config.vocab_size, config.embedding_size),
            position_embeddings: embedding(
                "position_embeddings",
                config.max_position_embeddings,
                config.hidden_size,
            ),
            token_type_embeddings: embedding(
                "token_type_embeddings",
                config.type_vocab_size,
                config.hidden_size,
            ),
            // HF always creates (and saves) the projection, and uses it only when needed.
            embedding_transformation: linear(
                p / "embedding_transformation",
                input_width,
                config.hidden_size,
            ),
            layer_norm: NormalizationLayer::new(
                p / "LayerNorm",
                config.normalization_type(),
                config.hidden_size,
                Some(TORCH_LAYER_NORM_EPS),
            ),
            dropout: Dropout::new(config.hidden_dropout_prob),
            trigram_input,
            project: trigram_input || config.embedding_size != config.hidden_size,
            max_position_embeddings: config.max_position_embeddings,
        }
    }

    pub(crate) fn word_embeddings_weight(&self) -> &Tensor {
        &self.word_embeddings.ws
    }

    pub(crate) fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<Tensor, RustBertError> {
        let (words, batch, seq) = ids_or_embeds(
            &self.word_embeddings.ws,
            input_ids,
            input_embeds,
            ("input_ids", "input_embeds"),
        )?;
        if seq == 0 {
            return Err(RustBertError::ValueError(
                "the input sequence is empty (0 tokens)".into(),
            ));
        }
        let words = if self.trigram_input {
            // Each position sees its right neighbour, itself and its left neighbour (zeros
            // past either end), side by side.
            let width = words.size()[2];
            let zeros = Tensor::zeros([batch, 1, width], (words.kind(), words.device()));
            let next = Tensor::cat(&[words.narrow(1, 1, seq - 1), zeros.shallow_clone()], 1);
            let previous = Tensor::cat(&[zeros, words.narrow(1, 0, seq - 1)], 1);
            Tensor::cat(&[next, words, previous], 2)
        } else {
            words
        };
        let words = if self.project {
            words.apply(&self.embedding_transformation)
        } else {
            words
        };
        let positions = match position_ids {
            Some(ids) => {
                check_ids(ids, batch, seq, true, "position_ids")?;
                ids.shallow_clone()
            }
            None => {
                if seq > self.max_position_embeddings {
                    return Err(RustBertError::ValueError(format!(
                        "input of {seq} tokens is longer than max_position_embeddings = {}; \
                         truncate it",
                        self.max_position_embeddings
                    )));
                }
                Tensor::arange(seq, (Kind::Int64, words.device())).unsqueeze(0)
            }
        };
        let mut embeddings =
            words + lookup(&self.position_embeddings.ws, &positions, "position_ids")?;
        embeddings = match token_type_ids {
            Some(ids) => {
                check_ids(ids, batch, seq, false, "token_type_ids")?;
                embeddings + lookup(&self.token_type_embeddings.ws, ids, "token_type_ids")?
            }
            None => embeddings + self.token_type_embeddings.ws.get(0),
        };
        Ok(self
            .dropout
            .forward_t(&self.layer_norm.forward(&embeddings), train))
    }
}

/// `norm(dropout(dense(x)) + residual)` with MobileBERT's normalisation (HF `MobileBertSelfOutput`,
/// `FFNOutput`, `OutputBottleneck` and the first half of `MobileBertOutput`; variables `dense`,
/// `LayerNorm`). The dropout is absent where HF has none.
#[derive(Debug)]
struct DenseNormResidual {
    dense: nn::Linear,
    norm: NormalizationLayer,
    dropout: Option<Dropout>,
}

impl DenseNormResidual {
    fn new(
        p: &nn::Path,
        config: &MobileBertConfig,
        dims: (i64, i64),
        eps: f64,
        dropout: bool,
    ) -> Self {
        Self {
            dense: linear(p / "dense", dims.0, dims.1),
            norm: NormalizationLayer::new(
                p / "LayerNorm",
                config.normalization_type(),
                dims.1,
                Some(eps),
            ),
            dropout: dropout.then(|| Dropout::new(config.hidden_dropout_prob)),
        }
    }

    fn forward_t(&self, hidden: &Tensor, residual: &Tensor, train: bool) -> Tensor {
        let hidden = hidden.apply(&self.dense);
        let hidden = match &self.dropout {
            Some(dropout) => dropout.forward_t(&hidden, train),
            None => hidden,
        };
        self.norm.forward(&(hidden + residual))
    }
}

/// `norm(dense(x))` from `hidden_size` down to `intra_bottleneck_size` (HF `BottleneckLayer`).
#[derive(Debug)]
struct BottleneckLayer {
    dense: nn::Linear,
    norm: NormalizationLayer,
}

impl BottleneckLayer {
    fn new(p: &nn::Path, config: &MobileBertConfig) -> Self {
        let size = config.intra_bottleneck_size();
        Self {
            dense: linear(p / "dense", config.hidden_size, size),
            norm: NormalizationLayer::new(
                p / "LayerNorm",
                config.normalization_type(),
                size,
                Some(config.layer_norm_eps()),
            ),
        }
    }

    fn forward(&self, hidden: &Tensor) -> Tensor {
        self.norm.forward(&hidden.apply(&self.dense))
    }
}

/// The inputs of a layer's attention: query, key, value and the residual of its output block.
struct AttentionInputs {
    query: Tensor,
    key: Tensor,
    value: Tensor,
    layer_input: Tensor,
}

/// HF `Bottleneck`: narrows the layer input for the attention block and its residual.
#[derive(Debug)]
struct Bottleneck {
    input: BottleneckLayer,
    attention: Option<BottleneckLayer>,
    use_bottleneck_attention: bool,
}

impl Bottleneck {
    fn new(p: &nn::Path, config: &MobileBertConfig) -> Self {
        let shared = config.key_query_shared_bottleneck.unwrap_or(true);
        Self {
            input: BottleneckLayer::new(&(p / "input"), config),
            // Built whenever HF builds it (it is in the checkpoint), even where unused.
            attention: shared.then(|| BottleneckLayer::new(&(p / "attention"), config)),
            use_bottleneck_attention: config.use_bottleneck_attention.unwrap_or(false),
        }
    }

    fn forward(&self, hidden: &Tensor) -> AttentionInputs {
        let narrowed = self.input.forward(hidden);
        if self.use_bottleneck_attention {
            return AttentionInputs {
                query: narrowed.shallow_clone(),
                key: narrowed.shallow_clone(),
                value: narrowed.shallow_clone(),
                layer_input: narrowed,
            };
        }
        match &self.attention {
            Some(attention) => {
                let shared = attention.forward(hidden);
                AttentionInputs {
                    query: shared.shallow_clone(),
                    key: shared,
                    value: hidden.shallow_clone(),
                    layer_input: narrowed,
                }
            }
            None => AttentionInputs {
                query: hidden.shallow_clone(),
                key: hidden.shallow_clone(),
                value: hidden.shallow_clone(),
                layer_input: narrowed,
            },
        }
    }
}

/// Self-attention on separate query, key and value inputs, `true_hidden_size` wide (HF
/// `MobileBertSelfAttention`; variables `query`, `key`, `value`).
#[derive(Debug)]
struct MobileBertSelfAttention {
    query: nn::Linear,
    key: nn::Linear,
    value: nn::Linear,
    num_heads: i64,
    head_dim: i64,
    dropout: Dropout,
}

impl MobileBertSelfAttention {
    fn new(p: &nn::Path, config: &MobileBertConfig) -> Self {
        let true_hidden = config.true_hidden_size();
        let value_width = if config.use_bottleneck_attention.unwrap_or(false) {
            true_hidden
        } else {
            config.hidden_size
        };
        Self {
            query: linear(p / "query", true_hidden, true_hidden),
            key: linear(p / "key", true_hidden, true_hidden),
            value: linear(p / "value", value_width, true_hidden),
            num_heads: config.num_attention_heads,
            head_dim: true_hidden / config.num_attention_heads,
            dropout: Dropout::new(config.attention_probs_dropout_prob),
        }
    }

    fn forward_t(
        &self,
        inputs: &AttentionInputs,
        bias: Option<&Tensor>,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Option<Tensor>) {
        let heads = |x: Tensor| split_heads(&x, self.num_heads, self.head_dim);
        let query = heads(inputs.query.apply(&self.query));
        let key = heads(inputs.key.apply(&self.key));
        let value = heads(inputs.value.apply(&self.value));
        let (context, probs) = scaled_dot_product(
            &query,
            &key,
            &value,
            bias,
            1.0 / (self.head_dim as f64).sqrt(),
            &self.dropout,
            train,
            output_attentions,
        );
        (merge_heads(&context), probs)
    }
}

/// One of the extra feed-forward networks stacked after the attention (HF `FFNLayer`; variables
/// `intermediate`, `output`).
#[derive(Debug)]
struct FeedForward {
    intermediate: Intermediate,
    output: DenseNormResidual,
}

impl FeedForward {
    fn new(p: &nn::Path, config: &MobileBertConfig) -> Self {
        let true_hidden = config.true_hidden_size();
        Self {
            intermediate: Intermediate::new(
                p / "intermediate",
                true_hidden,
                config.intermediate_size,
                config.hidden_act,
            ),
            output: DenseNormResidual::new(
                &(p / "output"),
                config,
                (config.intermediate_size, true_hidden),
                config.layer_norm_eps(),
                false,
            ),
        }
    }

    fn forward_t(&self, hidden: &Tensor, train: bool) -> Tensor {
        self.output
            .forward_t(&self.intermediate.forward(hidden), hidden, train)
    }
}

/// One MobileBERT layer: bottleneck in, attention, `num_feedforward_networks` feed-forward
/// networks (the last one being `intermediate` / `output`), bottleneck out.
#[derive(Debug)]
struct MobileBertLayer {
    bottleneck: Option<Bottleneck>,
    attention: MobileBertSelfAttention,
    attention_output: DenseNormResidual,
    ffn: Vec<FeedForward>,
    intermediate: Intermediate,
    output: DenseNormResidual,
    output_bottleneck: Option<DenseNormResidual>,
}

impl MobileBertLayer {
    fn new(p: &nn::Path, config: &MobileBertConfig) -> Self {
        let use_bottleneck = config.use_bottleneck.unwrap_or(true);
        let true_hidden = config.true_hidden_size();
        let eps = config.layer_norm_eps();
        let attention = p / "attention";
        let output = p / "output";
        let ffn = p / "ffn";
        Self {
            bottleneck: use_bottleneck.then(|| Bottleneck::new(&(p / "bottleneck"), config)),
            attention: MobileBertSelfAttention::new(&(&attention / "self"), config),
            attention_output: DenseNormResidual::new(
                &(&attention / "output"),
                config,
                (true_hidden, true_hidden),
                eps,
                !use_bottleneck,
            ),
            ffn: (0..config.num_feedforward_networks() - 1)
                .map(|i| FeedForward::new(&(&ffn / i), config))
                .collect(),
            intermediate: Intermediate::new(
                p / "intermediate",
                true_hidden,
                config.intermediate_size,
                config.hidden_act,
            ),
            output: DenseNormResidual::new(
                &output,
                config,
                (config.intermediate_size, true_hidden),
                TORCH_LAYER_NORM_EPS,
                !use_bottleneck,
            ),
            output_bottleneck: use_bottleneck.then(|| {
                DenseNormResidual::new(
                    &(&output / "bottleneck"),
                    config,
                    (true_hidden, config.hidden_size),
                    eps,
                    true,
                )
            }),
        }
    }

    fn forward_t(
        &self,
        hidden: &Tensor,
        bias: Option<&Tensor>,
        train: bool,
        output_attentions: bool,
    ) -> (Tensor, Option<Tensor>) {
        let inputs = match &self.bottleneck {
            Some(bottleneck) => bottleneck.forward(hidden),
            None => AttentionInputs {
                query: hidden.shallow_clone(),
                key: hidden.shallow_clone(),
                value: hidden.shallow_clone(),
                layer_input: hidden.shallow_clone(),
            },
        };
        let (context, probs) = self
            .attention
            .forward_t(&inputs, bias, train, output_attentions);
        let mut attended = self
            .attention_output
            .forward_t(&context, &inputs.layer_input, train);
        for ffn in &self.ffn {
            attended = ffn.forward_t(&attended, train);
        }
        let expanded = self.intermediate.forward(&attended);
        let output = self.output.forward_t(&expanded, &attended, train);
        let output = match &self.output_bottleneck {
            Some(bottleneck) => bottleneck.forward_t(&output, hidden, train),
            None => output,
        };
        (output, probs)
    }
}

/// The layer stack (variables `layer.{i}`).
#[derive(Debug)]
pub(crate) struct MobileBertEncoder {
    layers: Vec<MobileBertLayer>,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl MobileBertEncoder {
    pub(crate) fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &MobileBertConfig) -> Self {
        let p = p.borrow() / "layer";
        Self {
            layers: (0..config.num_hidden_layers)
                .map(|i| MobileBertLayer::new(&(&p / i), config))
                .collect(),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        }
    }

    pub(crate) fn forward_t(
        &self,
        input: &Tensor,
        bias: Option<&Tensor>,
        train: bool,
    ) -> LayerStackOutput {
        let output_attentions = self.output_attentions;
        run_layer_stack(
            input,
            &self.layers,
            self.output_hidden_states,
            output_attentions,
            |layer, hidden| layer.forward_t(hidden, bias, train, output_attentions),
        )
    }
}

/// HF `MobileBertPooler`: the first token, through `dense` and tanh when
/// `classifier_activation` (HF default), as is otherwise.
#[derive(Debug)]
pub(crate) struct MobileBertPooler {
    dense: Option<nn::Linear>,
}

impl MobileBertPooler {
    pub(crate) fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &MobileBertConfig) -> Self {
        Self {
            dense: config
                .classifier_activation
                .unwrap_or(true)
                .then(|| linear(p.borrow() / "dense", config.hidden_size, config.hidden_size)),
        }
    }

    pub(crate) fn forward(&self, hidden: &Tensor) -> Tensor {
        let first = hidden.select(1, 0);
        match &self.dense {
            Some(dense) => dense.forward(&first).tanh(),
            None => first,
        }
    }
}
