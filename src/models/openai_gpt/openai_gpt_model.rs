use crate::common::layers::causal_attention_bias;
use crate::common::layers::embeddings::{ids_or_embeds, lookup};
use crate::common::layers::linear::{embedding_config, project};
use crate::common::layers::{run_layer_stack, Dropout};
use crate::generation::{Cache, LMModelOutput};
use crate::gpt2::transformer::Block;
use crate::gpt2::{check_2d, position_embeddings, Gpt2Config};
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn;
use tch::Tensor;

/// OpenAI GPT configuration: the GPT-2 configuration, read from OpenAI GPT's `config.json`
/// (`afn` names the activation, default `gelu`, computed as in HF OpenAI GPT with the tanh
/// approximation).
pub type OpenAiGptConfig = Gpt2Config;

/// Pretrained OpenAI GPT weights on the hub, as `(cache subdirectory, URL)`.
pub struct OpenAiGptModelResources;
/// Pretrained OpenAI GPT configurations on the hub, as `(cache subdirectory, URL)`.
pub struct OpenAiGptConfigResources;
/// Pretrained OpenAI GPT vocabularies (`vocab.json`) on the hub, as `(cache subdirectory, URL)`.
pub struct OpenAiGptVocabResources;
/// Pretrained OpenAI GPT BPE merges (`merges.txt`) on the hub, as `(cache subdirectory, URL)`.
pub struct OpenAiGptMergesResources;

macro_rules! openai_gpt_resources {
    ($name:ident, $file:literal, $suffix:literal) => {
        impl $name {
            /// openai-gpt (Radford et al., 2018).
            pub const GPT: (&'static str, &'static str) = (
                concat!("openai-gpt/", $suffix),
                concat!("https://huggingface.co/openai-gpt/resolve/main/", $file),
            );
        }
    };
}
openai_gpt_resources!(OpenAiGptModelResources, "rust_model.ot", "model");
openai_gpt_resources!(OpenAiGptConfigResources, "config.json", "config");
openai_gpt_resources!(OpenAiGptVocabResources, "vocab.json", "vocab");
openai_gpt_resources!(OpenAiGptMergesResources, "merges.txt", "merges");

/// Output of [`OpenAiGptModel`].
#[derive(Debug)]
pub struct OpenAiGptModelOutput {
    /// Last hidden state `[batch, seq, n_embd]`.
    pub hidden_state: Tensor,
    /// Embeddings then every layer's output, when asked for.
    pub all_hidden_states: Option<Vec<Tensor>>,
    /// Attention probabilities of every layer, when asked for.
    pub all_attentions: Option<Vec<Tensor>>,
}

/// OpenAI GPT base model: token (`tokens_embed`) and position (`positions_embed`) embeddings
/// and post-norm layers `h.{i}`, under `transformer`; no final layer norm and no cache.
#[derive(Debug)]
pub struct OpenAiGptModel {
    tokens_embed: nn::Embedding,
    positions_embed: nn::Embedding,
    drop: Dropout,
    h: Vec<Block>,
    output_hidden_states: bool,
    output_attentions: bool,
}

impl OpenAiGptModel {
    /// Builds the model under `p / "transformer"` (HF's names).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &OpenAiGptConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow() / "transformer";
        let h_path = &p / "h";
        Self {
            tokens_embed: nn::embedding(
                &p / "tokens_embed",
                config.vocab_size,
                config.n_embd,
                embedding_config(),
            ),
            positions_embed: nn::embedding(
                &p / "positions_embed",
                config.n_positions,
                config.n_embd,
                embedding_config(),
            ),
            drop: Dropout::new(config.embd_pdrop.unwrap_or(0.1)),
            h: (0..config.n_layer)
                .map(|i| Block::new(&h_path / i, &config.block_config(i, false)))
                .collect(),
            output_hidden_states: config.output_hidden_states.unwrap_or(false),
            output_attentions: config.output_attentions.unwrap_or(false),
        }
    }

    /// Runs the model: `input_ids` `[batch, seq]` or `input_embeds` `[batch, seq, n_embd]`
    /// (exactly one), `attention_mask` `[batch, seq]` (1 attend, 0 padding), `token_type_ids`
    /// (embedded with the token embeddings, as in HF), `position_ids` (default `0..seq`, which
    /// must fit in `n_positions`). Mis-shaped or out-of-range inputs are errors.
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<OpenAiGptModelOutput, RustBertError> {
        let (embeds, batch, seq) = ids_or_embeds(
            &self.tokens_embed.ws,
            input_ids,
            input_embeds,
            ("input_ids", "input_embeds"),
        )?;
        let mut hidden =
            embeds + position_embeddings(&self.positions_embed.ws, position_ids, batch, seq, 0)?;
        if let Some(types) = token_type_ids {
            check_2d(types, batch, seq, "token_type_ids")?;
            hidden += lookup(&self.tokens_embed.ws, types, "token_type_ids")?;
        }
        let hidden = self.drop.forward_t(&hidden, train);
        let bias = causal_attention_bias(
            attention_mask,
            batch,
            seq,
            0,
            hidden.kind(),
            hidden.device(),
        )?;
        let stack = run_layer_stack(
            &hidden,
            &self.h,
            self.output_hidden_states,
            self.output_attentions,
            |layer, x| {
                let (output, _, probs) =
                    layer.forward_t(x, None, &bias, train, self.output_attentions);
                (output, probs)
            },
        );
        Ok(OpenAiGptModelOutput {
            hidden_state: stack.hidden_state,
            all_hidden_states: stack.all_hidden_states,
            all_attentions: stack.all_attentions,
        })
    }
}

/// OpenAI GPT with a language-model head whose weights are the token embeddings
/// (`tokens_embed`), as HF ties them.
#[derive(Debug)]
pub struct OpenAIGPTLMHeadModel {
    transformer: OpenAiGptModel,
}

impl OpenAIGPTLMHeadModel {
    /// Builds the model under `p` (variables `transformer.*`).
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &OpenAiGptConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        Self {
            transformer: OpenAiGptModel::new(p, config),
        }
    }

    /// Runs the model (inputs as in [`OpenAiGptModel::forward_t`]). OpenAI GPT keeps no
    /// key/value cache: `layer_past` must be empty ([`Cache::None`] or `GPT2Cache(None)`) and
    /// the returned cache is [`Cache::None`]. `_encoder_outputs` and `_decoder_input_ids` are
    /// unused: the argument list is rust-bert 0.23's (its generation trait's).
    #[allow(clippy::too_many_arguments)]
    pub fn forward_t(
        &self,
        input_ids: Option<&Tensor>,
        layer_past: Cache,
        attention_mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        _encoder_outputs: Option<&Tensor>,
        _decoder_input_ids: Option<&Tensor>,
        train: bool,
    ) -> Result<LMModelOutput, RustBertError> {
        self.run(
            input_ids,
            layer_past,
            attention_mask,
            position_ids,
            (token_type_ids, input_embeds),
            train,
            false,
        )
    }

    /// The forward pass; with `last_only`, logits of the last position only.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        &self,
        input_ids: Option<&Tensor>,
        layer_past: Cache,
        attention_mask: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        (token_type_ids, input_embeds): (Option<&Tensor>, Option<&Tensor>),
        train: bool,
        last_only: bool,
    ) -> Result<LMModelOutput, RustBertError> {
        if !layer_past.is_empty() {
            return Err(RustBertError::ValueError(
                "OpenAI GPT keeps no key/value cache: pass Cache::None".into(),
            ));
        }
        let output = self.transformer.forward_t(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            input_embeds,
            train,
        )?;
        let hidden = if last_only {
            let seq = output.hidden_state.size()[1];
            output.hidden_state.narrow(1, seq - 1, 1)
        } else {
            output.hidden_state
        };
        Ok(LMModelOutput {
            lm_logits: project(&hidden, &self.transformer.tokens_embed.ws, None),
            cache: Cache::None,
        })
    }
}
