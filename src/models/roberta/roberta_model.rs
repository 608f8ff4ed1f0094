use crate::bert::{
    BertConfig, BertEmbedding, BertLikeForMultipleChoice, BertLikeForQuestionAnswering,
    BertLikeForTokenClassification, BertMaskedLMOutput, BertModel, BertModelOutput,
    BertQuestionAnsweringOutput, BertSequenceClassificationOutput, BertTokenClassificationOutput,
};
use crate::common::activations::Activation;
use crate::common::layers::{linear, Dropout};
use crate::common::twin::infallible_twin;
use crate::roberta::RobertaEmbeddings;
use crate::RustBertError;
use std::borrow::Borrow;
use tch::nn;
use tch::Tensor;

/// Pretrained RoBERTa (and XLM-RoBERTa) weights on the hub, as `(cache subdirectory, URL)`.
pub struct RobertaModelResources;
/// Pretrained RoBERTa (and XLM-RoBERTa) configurations on the hub.
pub struct RobertaConfigResources;
/// Pretrained RoBERTa vocabularies (`vocab.json`) and XLM-RoBERTa SentencePiece models.
pub struct RobertaVocabResources;
/// Pretrained RoBERTa BPE merges (`merges.txt`; XLM-RoBERTa has none).
pub struct RobertaMergesResources;

/// Writes the resource constants of every checkpoint once: byte-level BPE checkpoints get a
/// `vocab.json` and a `merges.txt`, SentencePiece (XLM-R) checkpoints a `sentencepiece.bpe.model`
/// cached as `spiece`, both under rust-bert's cache subdirectory names.
macro_rules! roberta_resources {
    (
        bpe: [$($(#[$bpe_doc:meta])* $bpe:ident = $bpe_dir:literal, $bpe_repo:literal;)*]
        sentencepiece: [$($(#[$sp_doc:meta])* $sp:ident = $sp_dir:literal, $sp_repo:literal;)*]
    ) => {
        impl RobertaModelResources {
            $($(#[$bpe_doc])* pub const $bpe: (&'static str, &'static str) =
                roberta_resources!(@hub $bpe_dir, "model", $bpe_repo, "rust_model.ot");)*
            $($(#[$sp_doc])* pub const $sp: (&'static str, &'static str) =
                roberta_resources!(@hub $sp_dir, "model", $sp_repo, "rust_model.ot");)*
        }
        impl RobertaConfigResources {
            $($(#[$bpe_doc])* pub const $bpe: (&'static str, &'static str) =
                roberta_resources!(@hub $bpe_dir, "config", $bpe_repo, "config.json");)*
            $($(#[$sp_doc])* pub const $sp: (&'static str, &'static str) =
                roberta_resources!(@hub $sp_dir, "config", $sp_repo, "config.json");)*
        }
        impl RobertaVocabResources {
            $($(#[$bpe_doc])* pub const $bpe: (&'static str, &'static str) =
                roberta_resources!(@hub $bpe_dir, "vocab", $bpe_repo, "vocab.json");)*
            $($(#[$sp_doc])* pub const $sp: (&'static str, &'static str) = roberta_resources!(
                @hub $sp_dir, "spiece", $sp_repo, "sentencepiece.bpe.model");)*
        }
        impl RobertaMergesResources {
            $($(#[$bpe_doc])* pub const $bpe: (&'static str, &'static str) =
                roberta_resources!(@hub $bpe_dir, "merges", $bpe_repo, "merges.txt");)*
        }
    };
    (@hub $dir:literal, $kind:literal, $repo:literal, $file:literal) => {
        (
            concat!($dir, "/", $kind),
            concat!("https://huggingface.co/", $repo, "/resolve/main/", $file),
        )
    };
}

roberta_resources! {
    bpe: [
        /// roberta-base (Liu et al., fairseq).
        ROBERTA = "roberta", "roberta-base";
        /// distilroberta-base (HF).
        DISTILROBERTA_BASE = "distilroberta-base", "distilroberta-base";
        /// RoBERTa base fine-tuned on SQuAD 2.0 (deepset).
        ROBERTA_QA = "roberta-qa", "deepset/roberta-base-squad2";
        /// sentence-transformers all-distilroberta-v1.
        ALL_DISTILROBERTA_V1 = "all-distilroberta-v1", "sentence-transformers/all-distilroberta-v1";
        /// CodeBERTa programming-language identification (HF).
        CODEBERTA_LANGUAGE_ID = "codeberta-language-id", "huggingface/CodeBERTa-language-id";
        /// CodeBERT masked LM (Microsoft).
        CODEBERT_MLM = "codebert-mlm", "microsoft/codebert-base-mlm";
    ]
    sentencepiece: [
        /// XLM-RoBERTa large fine-tuned on CoNLL-03 English NER.
        XLM_ROBERTA_NER_EN = "xlm-roberta-ner-en", "xlm-roberta-large-finetuned-conll03-english";
        /// XLM-RoBERTa large fine-tuned on CoNLL-03 German NER.
        XLM_ROBERTA_NER_DE = "xlm-roberta-ner-de", "xlm-roberta-large-finetuned-conll03-german";
        /// XLM-RoBERTa large fine-tuned on CoNLL-02 Dutch NER.
        XLM_ROBERTA_NER_NL = "xlm-roberta-ner-nl", "xlm-roberta-large-finetuned-conll02-dutch";
        /// XLM-RoBERTa large fine-tuned on CoNLL-02 Spanish NER.
        XLM_ROBERTA_NER_ES = "xlm-roberta-ner-es", "xlm-roberta-large-finetuned-conll02-spanish";
    ]
}

/// RoBERTa configuration: BERT's (HF `RobertaConfig` has the same keys). `pad_token_id` is the
/// padding index positions count from (1 when absent); `layer_norm_eps` is read, never assumed.
pub type RobertaConfig = BertConfig;

/// The RoBERTa encoder: [`BertModel`] on [`RobertaEmbeddings`] (variables `embeddings`,
/// `encoder`, `pooler`).
pub type RobertaModel = BertModel<RobertaEmbeddings>;

/// RoBERTa as a sentence-transformers encoder (the base model; pooling is done by the pipeline).
pub type RobertaForSentenceEmbeddings = BertModel<RobertaEmbeddings>;

/// Output of [`RobertaForMaskedLM`] (BERT's: `prediction_scores` and per-layer outputs).
pub type RobertaMaskedLMOutput = BertMaskedLMOutput;
/// Output of [`RobertaForSequenceClassification`] and [`RobertaForMultipleChoice`].
pub type RobertaSequenceClassificationOutput = BertSequenceClassificationOutput;
/// Output of [`RobertaForTokenClassification`].
pub type RobertaTokenClassificationOutput = BertTokenClassificationOutput;
/// Output of [`RobertaForQuestionAnswering`].
pub type RobertaQuestionAnsweringOutput = BertQuestionAnsweringOutput;

/// Runs an encoder without cross-attention inputs (all heads but the masked LM).
fn encode(
    roberta: &RobertaModel,
    inputs: [Option<&Tensor>; 5],
    train: bool,
) -> Result<BertModelOutput, RustBertError> {
    let [ids, mask, types, positions, embeds] = inputs;
    roberta.forward_t(ids, mask, types, positions, embeds, None, None, train)
}

/// RoBERTa's masked-LM head: `dense`, GELU, `layer_norm`, then a decoder onto the vocabulary.
///
/// HF 5.x ties the decoder to the word embeddings and its bias to `lm_head.bias` when
/// `tie_word_embeddings` is true (the default; `save_pretrained` then writes neither
/// `lm_head.decoder.*`); when false, the decoder has its own `weight` and `bias` and
/// `lm_head.bias` is never read, so it is not a variable here either.
#[derive(Debug)]
pub struct RobertaLMHead {
    dense: nn::Linear,
    layer_norm: nn::LayerNorm,
    decoder_weight: Tensor,
    decoder_bias: Tensor,
}

impl RobertaLMHead {
    /// Builds the head under `p` (`lm_head` in HF checkpoints); `word_embeddings` is the
    /// decoder weight when tied.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &BertConfig,
        word_embeddings: &Tensor,
    ) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let layer_norm_config = nn::LayerNormConfig {
            eps: config.layer_norm_eps(),
            ..Default::default()
        };
        let vocab = config.vocab_size;
        let zero = nn::Init::Const(0.0);
        let (decoder_weight, decoder_bias) = if config.tie_word_embeddings.unwrap_or(true) {
            (
                word_embeddings.shallow_clone(),
                p.var("bias", &[vocab], zero),
            )
        } else {
            let decoder = p / "decoder";
            (
                decoder.var("weight", &[vocab, config.hidden_size], zero),
                decoder.var("bias", &[vocab], zero),
            )
        };
        Self {
            dense: linear(p / "dense", config.hidden_size, config.hidden_size),
            layer_norm: nn::layer_norm(
                p / "layer_norm",
                vec![config.hidden_size],
                layer_norm_config,
            ),
            decoder_weight,
            decoder_bias,
        }
    }

    /// Vocabulary logits `[..., vocab]`. The activation is always exact GELU, whatever the
    /// encoder's `hidden_act` (as in HF).
    pub fn forward(&self, hidden_states: &Tensor) -> Tensor {
        Activation::gelu
            .apply(&hidden_states.apply(&self.dense))
            .apply(&self.layer_norm)
            .linear(&self.decoder_weight, Some(&self.decoder_bias))
    }
}

/// RoBERTa with a masked-language-model head (variables `roberta`, `lm_head`).
#[derive(Debug)]
pub struct RobertaForMaskedLM {
    roberta: RobertaModel,
    lm_head: RobertaLMHead,
}

impl RobertaForMaskedLM {
    /// Builds the model under `p`.
    ///
    /// # Panics
    /// When `config.validate()` refuses the configuration (a field at fault, named in the
    /// message); call it first, or load the file with `Config::try_from_file`, to get the error.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(p: P, config: &BertConfig) -> Self {
        let _init = crate::common::config::building_or_panic(config);
        let p = p.borrow();
        let roberta = RobertaModel::new_with_optional_pooler(p / "roberta", config, false);
        let lm_head = RobertaLMHead::new(
            p / "lm_head",
            config,
            roberta.embeddings().word_embeddings_weight(),
        );
        Self { roberta, lm_head }
    }

    /// Vocabulary logits for every position (arguments as [`BertModel::forward_t`]; positions
    /// default to RoBERTa's, see [`RobertaEmbeddings`]).
    #[allow(clippy::too_many_arguments)]
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        encoder_hidden_states: Option<&Tensor>,
        encoder_mask: Option<&Tensor>,
        train: bool,
    ) -> Result<RobertaMaskedLMOutput, RustBertError> {
        let output = self.roberta.forward_t(
            input_ids,
            mask,
            token_type_ids,
            position_ids,
            input_embeds,
            encoder_hidden_states,
            encoder_mask,
            train,
        )?;
        Ok(RobertaMaskedLMOutput {
            prediction_scores: self.lm_head.forward(&output.hidden_state),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            encoder_hidden_states: Option<&Tensor>,
            encoder_mask: Option<&Tensor>,
            train: bool
        ) -> RobertaMaskedLMOutput = try_forward_t
    }
}

/// The sentence classifier of RoBERTa: on the first token (`<s>`), dropout, `dense`, tanh,
/// dropout, `out_proj` (HF `RobertaClassificationHead`; no pooler involved).
#[derive(Debug)]
pub struct RobertaClassificationHead {
    dense: nn::Linear,
    dropout: Dropout,
    out_proj: nn::Linear,
}

impl RobertaClassificationHead {
    /// Builds the head under `p` (`classifier` in HF checkpoints); errors when the
    /// configuration has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &BertConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        let num_labels = config.num_labels()?;
        Ok(Self {
            dense: linear(p / "dense", config.hidden_size, config.hidden_size),
            dropout: config.classifier_dropout(),
            out_proj: linear(p / "out_proj", config.hidden_size, num_labels),
        })
    }

    /// Class logits `[batch, num_labels]` from hidden states `[batch, seq, hidden]`.
    pub fn forward_t(&self, hidden_states: &Tensor, train: bool) -> Tensor {
        let first = self.dropout.forward_t(&hidden_states.select(1, 0), train);
        let dense = first.apply(&self.dense).tanh();
        self.dropout.forward_t(&dense, train).apply(&self.out_proj)
    }
}

/// RoBERTa with a sentence classifier (variables `roberta`, `classifier`).
#[derive(Debug)]
pub struct RobertaForSequenceClassification {
    roberta: RobertaModel,
    classifier: RobertaClassificationHead,
}

impl RobertaForSequenceClassification {
    /// Builds the model; errors when the configuration has no `id2label`.
    pub fn new<'p, P: Borrow<nn::Path<'p>>>(
        p: P,
        config: &BertConfig,
    ) -> Result<Self, RustBertError> {
        let _init = crate::common::config::building(config)?;
        let p = p.borrow();
        Ok(Self {
            classifier: RobertaClassificationHead::new(p / "classifier", config)?,
            roberta: RobertaModel::new_with_optional_pooler(p / "roberta", config, false),
        })
    }

    /// Class logits for each sequence.
    pub fn try_forward_t(
        &self,
        input_ids: Option<&Tensor>,
        mask: Option<&Tensor>,
        token_type_ids: Option<&Tensor>,
        position_ids: Option<&Tensor>,
        input_embeds: Option<&Tensor>,
        train: bool,
    ) -> Result<RobertaSequenceClassificationOutput, RustBertError> {
        let inputs = [input_ids, mask, token_type_ids, position_ids, input_embeds];
        let output = encode(&self.roberta, inputs, train)?;
        Ok(RobertaSequenceClassificationOutput {
            logits: self.classifier.forward_t(&output.hidden_state, train),
            all_hidden_states: output.all_hidden_states,
            all_attentions: output.all_attentions,
        })
    }

    infallible_twin! {
        /// As [`Self::try_forward_t`], with rust-bert 0.23's signature: the output itself.
        pub fn forward_t(
            &self,
            input_ids: Option<&Tensor>,
            mask: Option<&Tensor>,
            token_type_ids: Option<&Tensor>,
            position_ids: Option<&Tensor>,
            input_embeds: Option<&Tensor>,
            train: bool
        ) -> RobertaSequenceClassificationOutput = try_forward_t
    }
}

/// RoBERTa scoring each choice of a multiple-choice question, on the pooled first token
/// (variables `roberta`, with its pooler, and `classifier`): BERT's head on RoBERTa's embeddings.
pub type RobertaForMultipleChoice = BertLikeForMultipleChoice<RobertaEmbeddings>;

/// RoBERTa labelling each token (NER, POS; variables `roberta`, `classifier`).
pub type RobertaForTokenClassification = BertLikeForTokenClassification<RobertaEmbeddings>;

/// RoBERTa predicting answer spans (variables `roberta`, `qa_outputs`).
pub type RobertaForQuestionAnswering = BertLikeForQuestionAnswering<RobertaEmbeddings>;
