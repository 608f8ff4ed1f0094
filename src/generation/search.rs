//! The decoding loops: greedy decoding and sampling, beam search (HF 5.x's vectorised
//! algorithm) and diverse (group) beam search, all on the model's device. The only host
//! synchronisation per step is the one reading whether generation can stop (and the tokens,
//! when a streaming callback, stop strings or an allowed-prefix function need them).
use super::logits_processor as lp;
use super::{
    GenerateOptions, GeneratedIndicesOutput, GeneratedToken, PrefixAllowedFunction,
    PrivateLanguageGenerator, StepInput, TokenCallback,
};
use crate::common::tokenizer::TokenizerOption;
use crate::generation::Cache;
use crate::RustBertError;
use tch::{Kind, Tensor};

/// HF's stand-in for minus infinity in beam bookkeeping (finite so that sums stay ordered).
const NEG_LARGE: f64 = -1.0e9;

/// The settings that can be checked without a model.
pub(crate) struct RawSettings {
    pub min_length: i64,
    pub max_length: Option<i64>,
    pub do_sample: bool,
    pub num_beams: i64,
    pub temperature: f64,
    pub top_k: i64,
    pub top_p: f64,
    pub repetition_penalty: f64,
    pub no_repeat_ngram_size: i64,
    pub num_return_sequences: i64,
    pub num_beam_groups: Option<i64>,
    pub diversity_penalty: Option<f64>,
    pub min_p: Option<f64>,
    pub typical_p: Option<f64>,
}

/// Everything one `generate` call runs with, resolved from the options, the configuration and
/// the model.
pub(crate) struct Settings<'a> {
    pub min_length: i64,
    pub max_length: i64,
    pub do_sample: bool,
    pub temperature: f64,
    pub top_k: i64,
    pub top_p: f64,
    pub min_p: Option<f64>,
    pub typical_p: Option<f64>,
    pub repetition_penalty: f64,
    pub no_repeat_ngram_size: i64,
    pub num_beams: i64,
    pub num_beam_groups: i64,
    pub diversity_penalty: f64,
    pub length_penalty: f64,
    pub early_stopping: bool,
    pub num_return_sequences: i64,
    pub eos_token_ids: Vec<i64>,
    pub pad_token_id: i64,
    pub forced_bos_token_id: Option<i64>,
    pub forced_eos_token_id: Option<i64>,
    pub bad_word_ids: Option<Vec<Vec<i64>>>,
    pub prefix_allowed_tokens_fn: Option<PrefixAllowedFunction<'a>>,
    pub output_scores: bool,
    pub token_callback: Option<TokenCallback<'a>>,
    pub stop_strings: Option<&'a [&'a str]>,
}

fn invalid(message: String) -> RustBertError {
    RustBertError::ValueError(message)
}

impl Settings<'_> {
    pub(crate) fn check(raw: &RawSettings) -> Result<(), RustBertError> {
        if raw.num_beams < 1 {
            return Err(invalid(format!(
                "num_beams must be at least 1, got {}",
                raw.num_beams
            )));
        }
        if raw.num_return_sequences < 1 {
            return Err(invalid(format!(
                "num_return_sequences must be at least 1, got {}",
                raw.num_return_sequences
            )));
        }
        if raw.temperature.is_nan() || raw.temperature <= 0.0 {
            return Err(invalid(format!(
                "temperature must be strictly positive, got {}",
                raw.temperature
            )));
        }
        if !(raw.top_p > 0.0 && raw.top_p <= 1.0) {
            return Err(invalid(format!(
                "top_p must be in (0, 1], got {}",
                raw.top_p
            )));
        }
        if raw.top_k < 0 {
            return Err(invalid(format!(
                "top_k must not be negative, got {}",
                raw.top_k
            )));
        }
        if raw.repetition_penalty.is_nan() || raw.repetition_penalty <= 0.0 {
            return Err(invalid(format!(
                "repetition_penalty must be strictly positive, got {}",
                raw.repetition_penalty
            )));
        }
        if raw.min_length < 0 || raw.no_repeat_ngram_size < 0 {
            return Err(invalid(format!(
                "min_length ({}) and no_repeat_ngram_size ({}) must not be negative",
                raw.min_length, raw.no_repeat_ngram_size
            )));
        }
        if let Some(max_length) = raw.max_length {
            if max_length < 1 {
                return Err(invalid(format!(
                    "max_length must be at least 1, got {max_length}"
                )));
            }
        }
        if let Some(min_p) = raw.min_p {
            if !(0.0..=1.0).contains(&min_p) {
                return Err(invalid(format!("min_p must be in [0, 1], got {min_p}")));
            }
        }
        if let Some(typical_p) = raw.typical_p {
            if !(typical_p > 0.0 && typical_p <= 1.0) {
                return Err(invalid(format!(
                    "typical_p must be in (0, 1], got {typical_p}"
                )));
            }
        }
        if raw.num_beams == 1 && !raw.do_sample && raw.num_return_sequences > 1 {
            return Err(invalid(format!(
                "greedy decoding returns one sequence per prompt; num_return_sequences is {} \
                 (use beams or sampling)",
                raw.num_return_sequences
            )));
        }
        if raw.num_beams > 1 && raw.num_return_sequences > raw.num_beams {
            return Err(invalid(format!(
                "num_return_sequences ({}) cannot exceed num_beams ({}) in beam search",
                raw.num_return_sequences, raw.num_beams
            )));
        }
        let groups = raw.num_beam_groups.unwrap_or(1);
        if groups < 1 || raw.num_beams % groups != 0 {
            return Err(invalid(format!(
                "num_beams ({}) must be a multiple of num_beam_groups ({groups})",
                raw.num_beams
            )));
        }
        if groups > 1 && raw.do_sample {
            return Err(invalid(
                "diverse beam search (num_beam_groups > 1) does not sample: set do_sample to \
                 false"
                    .into(),
            ));
        }
        if let Some(penalty) = raw.diversity_penalty {
            if penalty < 0.0 {
                return Err(invalid(format!(
                    "diversity_penalty must not be negative, got {penalty}"
                )));
            }
        }
        Ok(())
    }
}

/// The padding id generation uses: the model's pad token, else its first end-of-sequence token
/// (HF's choice for GPT-2), else 0 (padded positions are masked, the value only has to exist).
pub(crate) fn pad_token_id<G: PrivateLanguageGenerator + ?Sized>(
    model: &G,
    options: Option<&GenerateOptions>,
) -> i64 {
    model
        .get_pad_id()
        .or_else(|| {
            options
                .and_then(|o| o.eos_token_ids)
                .and_then(|e| e.first().copied())
        })
        .or_else(|| model.get_eos_ids().and_then(|e| e.first().copied()))
        .unwrap_or(0)
}

fn resolve<'a, G: PrivateLanguageGenerator + ?Sized>(
    model: &G,
    options: Option<&GenerateOptions<'a>>,
    prompt_length: i64,
) -> Result<Settings<'a>, RustBertError> {
    let config = model.get_config();
    let o = options.copied().unwrap_or_default();
    let raw = RawSettings {
        min_length: o.min_length.unwrap_or(config.min_length),
        max_length: o.max_length.or(config.max_length),
        do_sample: o.do_sample.unwrap_or(config.do_sample),
        num_beams: o.num_beams.unwrap_or(config.num_beams),
        temperature: o.temperature.unwrap_or(config.temperature),
        top_k: o.top_k.unwrap_or(config.top_k),
        top_p: o.top_p.unwrap_or(config.top_p),
        repetition_penalty: o.repetition_penalty.unwrap_or(config.repetition_penalty),
        no_repeat_ngram_size: o
            .no_repeat_ngram_size
            .unwrap_or(config.no_repeat_ngram_size),
        num_return_sequences: o
            .num_return_sequences
            .unwrap_or(config.num_return_sequences),
        num_beam_groups: o.num_beam_groups.or(config.num_beam_groups),
        diversity_penalty: o.diversity_penalty.or(config.diversity_penalty),
        min_p: o.min_p,
        typical_p: o.typical_p,
    };
    Settings::check(&raw)?;
    // Per call, max_length wins over max_new_tokens (rust-bert's rule); without either, the
    // configuration's max_length, then the model's limit.
    let max_length = match (o.max_length, o.max_new_tokens) {
        (Some(max_length), _) => Some(max_length),
        (None, Some(new)) if new < 0 => {
            return Err(invalid(format!(
                "max_new_tokens must not be negative, got {new}"
            )))
        }
        (None, Some(new)) => Some(prompt_length + new),
        (None, None) => match model.get_default_max_new_tokens() {
            // The model's `max_new_tokens` (generation_config.json), the configuration leaving
            // the length unset.
            Some(new) => Some(prompt_length + new),
            None => config.max_length,
        },
    };
    let model_max = model.get_max_positions_embeddings();
    let max_length = match (max_length, model_max) {
        (Some(asked), Some(limit)) => asked.min(limit),
        (Some(asked), _) => asked,
        (None, Some(limit)) => limit,
        (None, None) => {
            return Err(invalid(
                "set max_length or max_new_tokens: this model has no length limit".into(),
            ))
        }
    };
    let eos_token_ids = match o.eos_token_ids {
        Some(ids) => ids.to_vec(),
        None => model.get_eos_ids().cloned().unwrap_or_default(),
    };
    let vocab = model.get_vocab_size();
    for &id in &eos_token_ids {
        if id < 0 || id >= vocab {
            return Err(invalid(format!(
                "end-of-sequence id {id} is outside the vocabulary (size {vocab})"
            )));
        }
    }
    let forced_bos_token_id = o.forced_bos_token_id.or(model.get_forced_bos_token_id());
    let forced_eos_token_id = o.forced_eos_token_id.or(model.get_forced_eos_token_id());
    for id in [forced_bos_token_id, forced_eos_token_id]
        .into_iter()
        .flatten()
    {
        if id < 0 || id >= vocab {
            return Err(invalid(format!(
                "forced token id {id} is outside the vocabulary (size {vocab})"
            )));
        }
    }
    let num_beam_groups = raw.num_beam_groups.unwrap_or(1);
    Ok(Settings {
        min_length: raw.min_length,
        max_length,
        do_sample: raw.do_sample,
        temperature: raw.temperature,
        top_k: raw.top_k,
        top_p: raw.top_p,
        min_p: raw.min_p,
        typical_p: raw.typical_p,
        repetition_penalty: raw.repetition_penalty,
        no_repeat_ngram_size: raw.no_repeat_ngram_size,
        num_beams: raw.num_beams,
        num_beam_groups,
        diversity_penalty: raw.diversity_penalty.unwrap_or(if num_beam_groups > 1 {
            5.5
        } else {
            0.0
        }),
        length_penalty: o.length_penalty.unwrap_or(config.length_penalty),
        early_stopping: o.early_stopping.unwrap_or(config.early_stopping),
        num_return_sequences: raw.num_return_sequences,
        pad_token_id: pad_token_id(model, options),
        eos_token_ids,
        forced_bos_token_id,
        forced_eos_token_id,
        bad_word_ids: {
            // The model's never-generated tokens join the caller's bad words.
            let mut words: Vec<Vec<i64>> = o.bad_word_ids.cloned().unwrap_or_default();
            words.extend(model.get_banned_token_ids().iter().map(|&id| vec![id]));
            (!words.is_empty()).then_some(words)
        },
        prefix_allowed_tokens_fn: o.prefix_allowed_tokens_fn,
        output_scores: o.output_scores,
        token_callback: o.token_callback,
        stop_strings: o.stop_strings.filter(|s| !s.is_empty()),
    })
}

impl Settings<'_> {
    /// HF's logits processors in HF's order, then (when sampling) its warpers.
    /// `rows_per_item`: rows of one batch item (beams or samples), for the prefix function.
    fn process(
        &self,
        input_ids: &Tensor,
        scores: Tensor,
        current_length: i64,
        prompt_ignore_length: Option<&Tensor>,
        rows_per_item: i64,
    ) -> Result<Tensor, RustBertError> {
        let mut scores = scores;
        if self.repetition_penalty != 1.0 {
            scores = lp::repetition_penalty(
                &scores,
                input_ids,
                self.repetition_penalty,
                prompt_ignore_length,
            );
        }
        if self.no_repeat_ngram_size > 0 {
            scores = lp::no_repeat_ngram(&scores, input_ids, self.no_repeat_ngram_size);
        }
        // `scores` is this function's own tensor (fresh from the model or log-softmax): the
        // bans below write into it instead of copying the whole vocabulary for each.
        if let Some(bad_words) = &self.bad_word_ids {
            lp::bad_words_in_place(&mut scores, input_ids, bad_words, &self.eos_token_ids)?;
        }
        if self.min_length > 0 {
            lp::min_length_in_place(
                &mut scores,
                current_length,
                self.min_length,
                &self.eos_token_ids,
            );
        }
        if let Some(allowed) = self.prefix_allowed_tokens_fn {
            scores = lp::prefix_allowed_tokens(&scores, input_ids, allowed, rows_per_item)?;
        }
        if let Some(bos) = self.forced_bos_token_id {
            scores = lp::force_tokens(&scores, &[bos], current_length == 1);
        }
        if let Some(eos) = self.forced_eos_token_id {
            scores = lp::force_tokens(&scores, &[eos], current_length == self.max_length - 1);
        }
        if self.do_sample {
            // Beam sampling keeps one more token than there are end-of-sequence ids, as HF.
            let keep = if self.num_beams > 1 {
                self.eos_token_ids.len().max(1) as i64 + 1
            } else {
                1
            };
            if self.temperature != 1.0 {
                scores = lp::temperature(&scores, self.temperature);
            }
            if self.top_k != 0 {
                scores = lp::top_k(&scores, self.top_k, keep);
            }
            if self.top_p < 1.0 {
                scores = lp::top_p(&scores, self.top_p, keep);
            }
            if let Some(min_p) = self.min_p {
                scores = lp::min_p(&scores, min_p, keep);
            }
            if let Some(typical_p) = self.typical_p.filter(|&p| p < 1.0) {
                scores = lp::typical_p(&scores, typical_p, keep);
            }
        }
        Ok(scores)
    }

    fn eos_tensor(&self, device: tch::Device) -> Option<Tensor> {
        (!self.eos_token_ids.is_empty()).then(|| Tensor::from_slice(&self.eos_token_ids).to(device))
    }
}

/// The running model inputs of one generate call: the cache, the attention mask (decoder-only:
/// of the whole sequence; encoder-decoder: the encoder's), positions and encoder output.
struct StepState {
    cache: Cache,
    mask: Tensor,
    positions: Option<Tensor>,
    encoder_outputs: Option<Tensor>,
}

impl StepState {
    /// Next-token scores `[rows, vocab]` in float32 for `sequences` `[rows, length]`.
    fn run<G: PrivateLanguageGenerator + ?Sized>(
        &mut self,
        model: &G,
        sequences: &Tensor,
    ) -> Result<Tensor, RustBertError> {
        let cache = std::mem::replace(&mut self.cache, Cache::None);
        let length = sequences.size()[1];
        let (ids, positions) = if cache.is_empty() {
            (
                sequences.shallow_clone(),
                self.positions.as_ref().map(Tensor::shallow_clone),
            )
        } else {
            (
                sequences.narrow(1, length - 1, 1),
                self.positions.as_ref().map(|p| p.narrow(1, length - 1, 1)),
            )
        };
        let output = model.forward_step(
            &StepInput {
                input_ids: &ids,
                sequences,
                attention_mask: &self.mask,
                position_ids: positions.as_ref(),
                encoder_outputs: self.encoder_outputs.as_ref(),
            },
            cache,
        )?;
        self.cache = output.cache;
        // Contiguous: the processors and beam search work on (and view) these scores in place;
        // a no-op after the first step (one position).
        let logits = output
            .lm_logits
            .select(1, -1)
            .to_kind(Kind::Float)
            .contiguous();
        Ok(model.prepare_scores_for_generation(logits))
    }

    /// The first step of beam search (call it only then): the beams of an input are still identical, so the prompt
    /// runs once per input and its scores and cache are copied to the input's `beams` rows
    /// (HF runs every beam; this spares `beams - 1` prompt passes).
    fn run_shared<G: PrivateLanguageGenerator + ?Sized>(
        &mut self,
        model: &G,
        sequences: &Tensor,
        beams: i64,
    ) -> Result<Tensor, RustBertError> {
        if beams == 1 {
            return self.run(model, sequences);
        }
        let device = sequences.device();
        let rows = sequences.size()[0];
        let firsts = Tensor::arange_start_step(0, rows, beams, (Kind::Int64, device));
        let pick = |t: &Tensor| t.index_select(0, &firsts);
        let picked = pick(&self.mask);
        let mask = std::mem::replace(&mut self.mask, picked);
        let positions = self.positions.as_ref().map(pick);
        let positions = std::mem::replace(&mut self.positions, positions);
        let encoder = self.encoder_outputs.as_ref().map(pick);
        let encoder = std::mem::replace(&mut self.encoder_outputs, encoder);
        let logits = self.run(model, &pick(sequences));
        self.mask = mask;
        self.positions = positions;
        self.encoder_outputs = encoder;
        let expand = Tensor::arange(rows / beams, (Kind::Int64, device))
            .repeat_interleave_self_int(beams, 0, None);
        self.cache.reorder(&expand)?;
        Ok(logits?.index_select(0, &expand))
    }

    /// Accounts for one more token in every row (decoder-only: mask and positions grow).
    fn advance(&mut self) {
        if let Some(positions) = &self.positions {
            let rows = self.mask.size()[0];
            let ones = Tensor::ones([rows, 1], (Kind::Int64, self.mask.device()));
            self.mask = Tensor::cat(&[&self.mask, &ones], 1);
            let last = positions.narrow(1, positions.size()[1] - 1, 1) + 1;
            self.positions = Some(Tensor::cat(&[positions, &last], 1));
        }
    }

    /// Reorders the cache after a beam step (`rows` stay within each input's beams).
    fn reorder(&mut self, rows: &Tensor) -> Result<(), RustBertError> {
        self.cache.reorder_beams(rows)
    }
}

/// Decoded generated text of each row of `sequences` (from column `start`) contains a stop
/// string: a bool tensor `[rows]`.
fn stop_string_hits(
    tokenizer: &TokenizerOption,
    stop_strings: &[&str],
    sequences: &Tensor,
    start: i64,
) -> Result<Tensor, RustBertError> {
    let rows = sequences.size()[0];
    let generated = sequences.narrow(1, start, sequences.size()[1] - start);
    let ids: Vec<Vec<i64>> = Vec::<Vec<i64>>::try_from(&generated.to_device(tch::Device::Cpu))?;
    let hits: Vec<bool> = ids
        .iter()
        .map(|row| {
            let text = tokenizer.decode(row, false, false);
            stop_strings.iter().any(|s| text.contains(s))
        })
        .collect();
    debug_assert_eq!(hits.len() as i64, rows);
    Ok(Tensor::from_slice(&hits).to(sequences.device()))
}

/// Runs one `generate` call: checks the inputs, encodes (encoder-decoder models), then picks
/// the decoding loop.
pub(crate) fn generate<G: PrivateLanguageGenerator + ?Sized>(
    model: &G,
    input_ids: Tensor,
    attention_mask: Option<Tensor>,
    options: Option<GenerateOptions>,
) -> Result<Vec<GeneratedIndicesOutput>, RustBertError> {
    let size = input_ids.size();
    if size.len() != 2 {
        return Err(invalid(format!(
            "input_ids must be [batch, length], got shape {size:?}"
        )));
    }
    let (batch, length) = (size[0], size[1]);
    if batch == 0 {
        return Ok(Vec::new());
    }
    if length == 0 {
        return Err(invalid(
            "input_ids has no token: give at least one (e.g. the beginning-of-sequence id)".into(),
        ));
    }
    let device = model.get_var_store().device();
    let input_ids = input_ids.to_device(device).to_kind(Kind::Int64);
    let attention_mask = match attention_mask {
        Some(mask) if mask.size() != size => {
            return Err(invalid(format!(
                "attention_mask has shape {:?}; input_ids has {size:?}",
                mask.size()
            )))
        }
        Some(mask) => mask.to_device(device).to_kind(Kind::Int64),
        None => Tensor::ones([batch, length], (Kind::Int64, device)),
    };
    let vocab = model.get_vocab_size();
    let (min_id, max_id) = (
        i64::try_from(input_ids.min())?,
        i64::try_from(input_ids.max())?,
    );
    if min_id < 0 || max_id >= vocab {
        return Err(invalid(format!(
            "input_ids holds id {} outside the vocabulary (size {vocab})",
            if min_id < 0 { min_id } else { max_id }
        )));
    }
    let encoder_decoder = model.is_encoder_decoder();
    let prompt_length = if encoder_decoder { 1 } else { length };
    let settings = resolve(model, options.as_ref(), prompt_length)?;
    if settings.token_callback.is_some() && settings.num_beams > 1 {
        return Err(RustBertError::UnsupportedError(
            "token_callback streams greedy decoding and sampling; beam search only knows its \
             tokens at the end"
                .into(),
        ));
    }
    // Rows per prompt: beams, or samples when several sequences are sampled per prompt.
    let expand = if settings.num_beams > 1 {
        settings.num_beams
    } else {
        settings.num_return_sequences
    };
    let (sequences, state, prompt_rows) = if encoder_decoder {
        let encoder_outputs = model.encode(&input_ids, &attention_mask)?.ok_or_else(|| {
            RustBertError::UnsupportedError("this encoder-decoder model has no encoder".into())
        })?;
        let start = options
            .and_then(|o| o.decoder_start_token_id)
            .or(model.get_decoder_start_id())
            .or(model.get_bos_id())
            .ok_or_else(|| invalid("this model has no decoder start token".into()))?;
        let rows = batch * expand;
        (
            Tensor::full([rows, 1], start, (Kind::Int64, device)),
            StepState {
                cache: Cache::None,
                mask: attention_mask.repeat_interleave_self_int(expand, 0, None),
                positions: None,
                encoder_outputs: Some(encoder_outputs.repeat_interleave_self_int(expand, 0, None)),
            },
            vec![Vec::new(); batch as usize],
        )
    } else {
        let positions = (attention_mask.cumsum(-1, Kind::Int64) - 1)
            .masked_fill(&attention_mask.eq(0), 0)
            .repeat_interleave_self_int(expand, 0, None);
        let ids_host = Vec::<Vec<i64>>::try_from(&input_ids.to_device(tch::Device::Cpu))?;
        let mask_host = Vec::<Vec<i64>>::try_from(&attention_mask.to_device(tch::Device::Cpu))?;
        let prompts = ids_host
            .into_iter()
            .zip(mask_host)
            .map(|(ids, mask)| {
                ids.into_iter()
                    .zip(mask)
                    .filter_map(|(id, m)| (m != 0).then_some(id))
                    .collect()
            })
            .collect();
        (
            input_ids.repeat_interleave_self_int(expand, 0, None),
            StepState {
                cache: Cache::None,
                mask: attention_mask.repeat_interleave_self_int(expand, 0, None),
                positions: Some(positions),
                encoder_outputs: None,
            },
            prompts,
        )
    };
    let prompt_ignore_length = (!encoder_decoder && settings.repetition_penalty != 1.0)
        .then(|| state.mask.ne(0).to_kind(Kind::Int64).argmax(1, false));
    let run = Run {
        settings: &settings,
        tokenizer: model._get_tokenizer(),
        prompt_ignore_length,
        prompt_length,
    };
    let generated = if settings.num_beams == 1 {
        run.greedy_or_sample(model, sequences, state)?
    } else if settings.num_beam_groups > 1 {
        run.group_beam_search(model, sequences, state, batch)?
    } else {
        run.beam_search(model, sequences, state, batch)?
    };
    let per_prompt = settings.num_return_sequences as usize;
    Ok(generated
        .into_iter()
        .enumerate()
        .map(|(i, hypothesis)| {
            let mut indices = prompt_rows[i / per_prompt].clone();
            if encoder_decoder {
                indices.clear();
            }
            indices.extend(hypothesis.tokens);
            GeneratedIndicesOutput {
                indices,
                score: settings.output_scores.then_some(hypothesis.score),
                token_scores: settings.output_scores.then_some(hypothesis.token_scores),
            }
        })
        .collect())
}

/// One finished sequence: its tokens after the prompt (encoder-decoder: the whole decoder
/// sequence, start token included), its score and per-token log-probabilities.
struct Hypothesis {
    tokens: Vec<i64>,
    score: f64,
    token_scores: Vec<f64>,
}

struct Run<'s, 'a> {
    settings: &'s Settings<'a>,
    tokenizer: &'s TokenizerOption,
    prompt_ignore_length: Option<Tensor>,
    /// Length of the part of each row not generated (decoder-only: the padded prompt;
    /// encoder-decoder: the start token).
    prompt_length: i64,
}

/// `values[b, indices[b, j], ...]` for tensors `[batch, n, ...]` and indices `[batch, m]`.
fn gather_beams(values: &Tensor, indices: &Tensor) -> Tensor {
    let size = values.size();
    if size.len() == 2 {
        values.gather(1, indices, false)
    } else {
        let mut shape = indices.size();
        shape.extend_from_slice(&size[2..]);
        let mut index = indices.shallow_clone();
        for _ in 2..size.len() {
            index = index.unsqueeze(-1);
        }
        values.gather(1, &index.expand(shape.as_slice(), false), false)
    }
}

impl Run<'_, '_> {
    fn skip_prompt(&self, encoder_decoder_start: bool) -> i64 {
        if encoder_decoder_start {
            0
        } else {
            self.prompt_length
        }
    }

    /// Greedy decoding or sampling, one row per output sequence.
    fn greedy_or_sample<G: PrivateLanguageGenerator + ?Sized>(
        &self,
        model: &G,
        mut sequences: Tensor,
        mut state: StepState,
    ) -> Result<Vec<Hypothesis>, RustBertError> {
        let s = self.settings;
        let device = sequences.device();
        let rows = sequences.size()[0];
        let start = sequences.size()[1];
        let eos = s.eos_tensor(device);
        let mut unfinished = Tensor::ones([rows], (Kind::Bool, device));
        // Built once: what finished rows receive, and "nothing finished" without end tokens.
        let pad = Tensor::from(s.pad_token_id).to(device);
        let none_finished = Tensor::zeros([rows], (Kind::Bool, device));
        let mut lengths = Tensor::zeros([rows], (Kind::Int64, device));
        let mut step_scores: Vec<Tensor> = Vec::new();
        let mut current = start;
        let mut stopped_by_callback = false;
        while current < s.max_length && !stopped_by_callback {
            let logits = state.run(model, &sequences)?;
            let scores = s.process(
                &sequences,
                logits,
                current,
                self.prompt_ignore_length.as_ref(),
                s.num_return_sequences,
            )?;
            let next = if s.do_sample {
                scores
                    .softmax(-1, Kind::Float)
                    .multinomial(1, false)
                    .squeeze_dim(1)
            } else {
                scores.argmax(-1, false)
            };
            if s.output_scores {
                step_scores.push(
                    scores
                        .log_softmax(-1, Kind::Float)
                        .gather(1, &next.unsqueeze(1), false)
                        .squeeze_dim(1),
                );
            }
            let next = next.where_self(&unfinished, &pad);
            lengths += unfinished.to_kind(Kind::Int64);
            sequences = Tensor::cat(&[&sequences, &next.unsqueeze(1)], 1);
            state.advance();
            current += 1;
            let mut finished_now = match &eos {
                Some(eos) => Tensor::isin(&next, eos, false, false),
                None => none_finished.shallow_clone(),
            };
            if let Some(stop) = s.stop_strings {
                let hits = stop_string_hits(self.tokenizer, stop, &sequences, start)?;
                finished_now = finished_now.logical_or(&hits);
            }
            if let Some(callback) = s.token_callback {
                let tokens = Vec::<i64>::try_from(&next.to_device(tch::Device::Cpu))?;
                let running = Vec::<bool>::try_from(&unfinished.to_device(tch::Device::Cpu))?;
                for (row, (&token_id, &live)) in tokens.iter().zip(&running).enumerate() {
                    if live {
                        let token = GeneratedToken {
                            sequence: row,
                            step: (current - start - 1) as usize,
                            token_id,
                        };
                        if !callback(&token) {
                            stopped_by_callback = true;
                        }
                    }
                }
            }
            unfinished = unfinished.logical_and(&finished_now.logical_not());
            if (eos.is_some() || s.stop_strings.is_some()) && !bool::try_from(unfinished.any())? {
                break;
            }
        }
        let skip = self.skip_prompt(model.is_encoder_decoder());
        let generated = sequences.narrow(1, skip, sequences.size()[1] - skip);
        let tokens = Vec::<Vec<i64>>::try_from(&generated.to_device(tch::Device::Cpu))?;
        let lengths = Vec::<i64>::try_from(&lengths.to_device(tch::Device::Cpu))?;
        let token_scores: Vec<Vec<f64>> = if step_scores.is_empty() {
            vec![Vec::new(); rows as usize]
        } else {
            let stacked = Tensor::stack(&step_scores, 1).to_kind(Kind::Double);
            Vec::<Vec<f64>>::try_from(&stacked.to_device(tch::Device::Cpu))?
        };
        Ok(tokens
            .into_iter()
            .zip(lengths)
            .zip(token_scores)
            .map(|((mut row, length), mut scores)| {
                let keep = (length + start - skip) as usize;
                row.truncate(keep);
                scores.truncate(length as usize);
                Hypothesis {
                    tokens: row,
                    score: scores.iter().sum(),
                    token_scores: scores,
                }
            })
            .collect())
    }

    /// Beam search (and beam sampling), HF 5.x's vectorised algorithm: at each step the best
    /// `2 x beams` continuations of all beams are kept, those ending (end-of-sequence, stop
    /// string or maximum length) become finished candidates scored
    /// `log-prob / generated_length ^ length_penalty`, the others continue.
    fn beam_search<G: PrivateLanguageGenerator + ?Sized>(
        &self,
        model: &G,
        flat_sequences: Tensor,
        mut state: StepState,
        batch: i64,
    ) -> Result<Vec<Hypothesis>, RustBertError> {
        let s = self.settings;
        let beams = s.num_beams;
        let device = flat_sequences.device();
        let prompt = flat_sequences.size()[1];
        let max_length = s.max_length.max(prompt);
        let generated_max = max_length - prompt;
        if generated_max <= 0 {
            // No room for a new token: the prompts come back as they are.
            return Ok((0..batch * s.num_return_sequences)
                .map(|_| Hypothesis {
                    tokens: Vec::new(),
                    score: 0.0,
                    token_scores: Vec::new(),
                })
                .collect());
        }
        let eos = s.eos_tensor(device);
        let keep = (1 + s.eos_token_ids.len() as i64).max(2) * beams;
        let top_beam_mask = Tensor::cat(
            &[
                Tensor::ones([beams], (Kind::Bool, device)),
                Tensor::zeros([keep - beams], (Kind::Bool, device)),
            ],
            0,
        )
        .unsqueeze(0);
        let mut running = Tensor::full(
            [batch, beams, max_length],
            s.pad_token_id,
            (Kind::Int64, device),
        );
        running
            .narrow(2, 0, prompt)
            .copy_(&flat_sequences.view([batch, beams, prompt]));
        let mut finished = running.copy();
        let mut running_scores = Tensor::zeros([batch, beams], (Kind::Float, device));
        let _ = running_scores.narrow(1, 1, beams - 1).fill_(NEG_LARGE);
        let mut finished_scores = Tensor::full([batch, beams], NEG_LARGE, (Kind::Float, device));
        let mut is_finished = Tensor::zeros([batch, beams], (Kind::Bool, device));
        let mut finished_lengths = Tensor::zeros([batch, beams], (Kind::Int64, device));
        let mut may_improve = Tensor::ones([batch, 1], (Kind::Bool, device));
        let mut running_token_scores =
            Tensor::zeros([batch, beams, generated_max.max(1)], (Kind::Float, device));
        let mut finished_token_scores = running_token_scores.copy();
        let batch_offset = (Tensor::arange(batch, (Kind::Int64, device)) * beams).unsqueeze(1);
        let no_finished_score = Tensor::from(NEG_LARGE).to_kind(Kind::Float).to(device);
        let mut current = prompt;
        while current < max_length {
            let flat = running
                .narrow(2, 0, current)
                .reshape([batch * beams, current]);
            let logits = if current == prompt {
                state.run_shared(model, &flat, beams)?
            } else {
                state.run(model, &flat)?
            };
            let log_probs = s.process(
                &flat,
                logits.log_softmax(-1, Kind::Float),
                current,
                self.prompt_ignore_length.as_ref(),
                beams,
            )?;
            let vocab = log_probs.size()[1];
            let accumulated = if s.output_scores {
                log_probs.view([batch, beams, vocab]) + running_scores.unsqueeze(2)
            } else {
                // The log-probabilities are not needed afterwards: add in place.
                let mut scores = log_probs.view([batch, beams, vocab]);
                let _ = scores.g_add_(&running_scores.unsqueeze(2));
                scores
            }
            .reshape([batch, beams * vocab]);
            let (top_scores, top_indices) = if s.do_sample {
                let sampled = accumulated
                    .softmax(-1, Kind::Float)
                    .multinomial(keep, false);
                let picked = accumulated.gather(1, &sampled, false);
                let (sorted, order) = picked.sort(-1, true);
                (sorted, sampled.gather(1, &order, false))
            } else {
                accumulated.topk(keep, -1, true, true)
            };
            let parent = top_indices.floor_divide_scalar(vocab);
            let tokens = top_indices.remainder(vocab);
            let candidates = gather_beams(&running, &parent);
            candidates.select(2, current).copy_(&tokens);
            let step = current - prompt;
            let candidate_token_scores = if s.output_scores {
                let chosen =
                    log_probs
                        .reshape([batch, beams * vocab])
                        .gather(1, &top_indices, false);
                let scores = gather_beams(&running_token_scores, &parent);
                scores.select(2, step).copy_(&chosen);
                Some(scores)
            } else {
                None
            };
            let parent_rows = &parent + &batch_offset;

            let mut ends = if current + 1 >= max_length {
                Tensor::ones([batch, keep], (Kind::Bool, device))
            } else {
                match &eos {
                    Some(eos) => Tensor::isin(&tokens, eos, false, false),
                    None => Tensor::zeros([batch, keep], (Kind::Bool, device)),
                }
            };
            if let Some(stop) = s.stop_strings {
                let window = candidates
                    .narrow(2, 0, current + 1)
                    .view([batch * keep, -1]);
                let hits = stop_string_hits(self.tokenizer, stop, &window, prompt)?;
                ends = ends.logical_or(&hits.view([batch, keep]));
            }

            // Continuing beams: the best candidates that did not end.
            let continuing = &top_scores + ends.to_kind(Kind::Float) * NEG_LARGE;
            let (_, next) = continuing.topk(beams, -1, true, true);
            running = gather_beams(&candidates, &next);
            running_scores = continuing.gather(1, &next, false);
            let next_parents = parent_rows.gather(1, &next, false);
            if let Some(scores) = &candidate_token_scores {
                running_token_scores = gather_beams(scores, &next);
            }

            // Finished hypotheses: merge the candidates that just ended among the top beams.
            let just_finished = ends.logical_and(&top_beam_mask);
            let mut ending = &top_scores / ((current + 1 - prompt) as f64).powf(s.length_penalty);
            if s.early_stopping {
                let full = is_finished.all_dim(-1, true);
                ending += full.to_kind(Kind::Float) * NEG_LARGE;
            }
            ending += may_improve.logical_not().to_kind(Kind::Float) * NEG_LARGE;
            ending += just_finished.logical_not().to_kind(Kind::Float) * NEG_LARGE;
            let merged_scores = Tensor::cat(&[&finished_scores, &ending], 1);
            let (_, best) = merged_scores.topk(beams, -1, true, true);
            finished = gather_beams(&Tensor::cat(&[&finished, &candidates], 1), &best);
            finished_scores = merged_scores.gather(1, &best, false);
            is_finished = Tensor::cat(&[&is_finished, &just_finished], 1).gather(1, &best, false);
            let candidate_lengths =
                Tensor::full([batch, keep], current + 1 - prompt, (Kind::Int64, device));
            finished_lengths =
                Tensor::cat(&[&finished_lengths, &candidate_lengths], 1).gather(1, &best, false);
            if let Some(scores) = &candidate_token_scores {
                finished_token_scores =
                    gather_beams(&Tensor::cat(&[&finished_token_scores, scores], 1), &best);
            }

            state.reorder(&next_parents.view([-1]))?;
            state.advance();
            current += 1;

            // HF's heuristic: can a running beam still beat the worst finished one?
            let best_length = (current - prompt) as f64;
            let best_running = running_scores.narrow(1, 0, 1) / best_length.powf(s.length_penalty);
            let worst_finished = finished_scores
                .min_dim(1, true)
                .0
                .expand_as(&finished_scores)
                .where_self(&is_finished, &no_finished_score);
            may_improve =
                may_improve.logical_and(&best_running.gt_tensor(&worst_finished).any_dim(-1, true));
            let mut go_on = may_improve.any();
            if s.early_stopping {
                go_on = go_on.logical_and(&is_finished.all().logical_not());
            }
            go_on = go_on.logical_and(&ends.all().logical_not());
            if current >= max_length || !bool::try_from(go_on)? {
                break;
            }
        }
        let per_prompt = s.num_return_sequences;
        let tokens = nested_3d(&finished.narrow(1, 0, per_prompt))?;
        let scores = Vec::<Vec<f64>>::try_from(
            &finished_scores
                .narrow(1, 0, per_prompt)
                .to_kind(Kind::Double)
                .to_device(tch::Device::Cpu),
        )?;
        let lengths = Vec::<Vec<i64>>::try_from(
            &finished_lengths
                .narrow(1, 0, per_prompt)
                .to_device(tch::Device::Cpu),
        )?;
        let token_scores = if s.output_scores {
            Some(nested_3d_f64(
                &finished_token_scores.narrow(1, 0, per_prompt),
            )?)
        } else {
            None
        };
        let skip = self.skip_prompt(model.is_encoder_decoder());
        let mut out = Vec::with_capacity((batch * per_prompt) as usize);
        for b in 0..batch as usize {
            for k in 0..per_prompt as usize {
                let length = lengths[b][k];
                let row = &tokens[b][k];
                out.push(Hypothesis {
                    tokens: row[skip as usize..(prompt + length) as usize].to_vec(),
                    score: scores[b][k],
                    token_scores: token_scores
                        .as_ref()
                        .map(|t| t[b][k][..length as usize].to_vec())
                        .unwrap_or_default(),
                });
            }
        }
        Ok(out)
    }

    /// Diverse beam search (Vijayakumar et al.; HF 4.x `group_beam_search`, which HF 5 moved
    /// out of the library): the beams are split into groups decoded one after the other at each
    /// step, a token already chosen by an earlier group of the same input at this step being
    /// penalised by `diversity_penalty` times its count (Hamming diversity). Each group keeps
    /// its own finished hypotheses; the best of all groups are returned.
    fn group_beam_search<G: PrivateLanguageGenerator + ?Sized>(
        &self,
        model: &G,
        mut input_ids: Tensor,
        mut state: StepState,
        batch: i64,
    ) -> Result<Vec<Hypothesis>, RustBertError> {
        let s = self.settings;
        let beams = s.num_beams;
        let groups = s.num_beam_groups;
        let group_size = beams / groups;
        let device = input_ids.device();
        let prompt = input_ids.size()[1];
        let max_length = s.max_length.max(prompt);
        let keep = (1 + s.eos_token_ids.len() as i64).max(2) * group_size;
        let first_eos = s.eos_token_ids.first().copied();
        // One set of finished hypotheses per (input, group), as HF's BeamSearchScorer.
        let mut hypotheses: Vec<Hypotheses> = (0..batch * groups)
            .map(|_| Hypotheses::new(group_size as usize, s.length_penalty, s.early_stopping))
            .collect();
        let mut beam_scores_host: Vec<f32> = (0..batch * beams)
            .map(|row| {
                if row % group_size == 0 {
                    0.0
                } else {
                    NEG_LARGE as f32
                }
            })
            .collect();
        let mut beam_scores = Tensor::from_slice(&beam_scores_host).to(device);
        let mut row_token_scores: Vec<Vec<f64>> = vec![Vec::new(); (batch * beams) as usize];
        let mut current = prompt;
        let mut rows_host = Vec::<Vec<i64>>::try_from(&input_ids.to_device(tch::Device::Cpu))?;
        while current < max_length {
            let logits = if current == prompt {
                state.run_shared(model, &input_ids, beams)?
            } else {
                state.run(model, &input_ids)?
            };
            let log_probs = logits.log_softmax(-1, Kind::Float);
            let vocab = log_probs.size()[1];
            let mut current_tokens = vec![0i64; (batch * beams) as usize];
            let mut reordering = vec![0i64; (batch * beams) as usize];
            let mut next_token_scores = vec![Vec::new(); (batch * beams) as usize];
            for group in 0..groups {
                let start = group * group_size;
                let rows: Vec<i64> = (0..batch)
                    .flat_map(|b| (0..group_size).map(move |i| b * beams + start + i))
                    .collect();
                let index = Tensor::from_slice(&rows).to(device);
                let group_ids = input_ids.index_select(0, &index);
                let mut scores = log_probs.index_select(0, &index);
                if s.diversity_penalty > 0.0 && group > 0 {
                    let mut counts = vec![0f32; (batch * vocab) as usize];
                    for b in 0..batch {
                        for row in b * beams..b * beams + start {
                            let token = current_tokens[row as usize];
                            counts[(b * vocab + token) as usize] += 1.0;
                        }
                    }
                    let counts = Tensor::from_slice(&counts)
                        .view([batch, vocab])
                        .to(device)
                        .repeat_interleave_self_int(group_size, 0, None);
                    scores -= counts * s.diversity_penalty;
                }
                let ignore = self
                    .prompt_ignore_length
                    .as_ref()
                    .map(|t| t.index_select(0, &index));
                let processed =
                    s.process(&group_ids, scores, current, ignore.as_ref(), group_size)?;
                let total = (&processed + beam_scores.index_select(0, &index).unsqueeze(-1))
                    .view([batch, group_size * vocab]);
                let (top_scores, top_indices) = total.topk(keep, 1, true, true);
                let chosen_scores =
                    processed
                        .view([batch, group_size * vocab])
                        .gather(1, &top_indices, false);
                let top_scores =
                    Vec::<Vec<f32>>::try_from(&top_scores.to_device(tch::Device::Cpu))?;
                let top_indices =
                    Vec::<Vec<i64>>::try_from(&top_indices.to_device(tch::Device::Cpu))?;
                let chosen_scores =
                    Vec::<Vec<f32>>::try_from(&chosen_scores.to_device(tch::Device::Cpu))?;
                for b in 0..batch as usize {
                    let set = &mut hypotheses[b * groups as usize + group as usize];
                    let mut filled = 0i64;
                    if set.done {
                        for i in 0..group_size {
                            let row = b as i64 * beams + start + i;
                            beam_scores_host[row as usize] = 0.0;
                            current_tokens[row as usize] = s.pad_token_id;
                            reordering[row as usize] = b as i64 * beams + start;
                            next_token_scores[row as usize] =
                                row_token_scores[(b as i64 * beams + start) as usize].clone();
                        }
                        continue;
                    }
                    for (rank, (&score, &flat)) in
                        top_scores[b].iter().zip(&top_indices[b]).enumerate()
                    {
                        let parent = b as i64 * beams + start + flat / vocab;
                        let token = flat % vocab;
                        let mut token_scores = row_token_scores[parent as usize].clone();
                        token_scores.push(chosen_scores[b][rank] as f64);
                        if s.eos_token_ids.contains(&token) {
                            if rank as i64 >= group_size {
                                continue;
                            }
                            let mut tokens = rows_host[parent as usize].clone();
                            tokens.push(token);
                            set.add(tokens, score as f64, token_scores, current + 1 - prompt);
                        } else {
                            let row = b as i64 * beams + start + filled;
                            beam_scores_host[row as usize] = score;
                            current_tokens[row as usize] = token;
                            reordering[row as usize] = parent;
                            next_token_scores[row as usize] = token_scores;
                            filled += 1;
                        }
                        if filled == group_size {
                            break;
                        }
                    }
                    let best = top_scores[b].first().copied().unwrap_or(f32::MIN) as f64;
                    set.done = set.done || set.is_done(best, current + 1 - prompt);
                }
            }
            let reorder = Tensor::from_slice(&reordering).to(device);
            let tokens = Tensor::from_slice(&current_tokens).to(device).unsqueeze(1);
            input_ids = Tensor::cat(&[input_ids.index_select(0, &reorder), tokens], 1);
            beam_scores = Tensor::from_slice(&beam_scores_host).to(device);
            row_token_scores = next_token_scores;
            rows_host = reordering
                .iter()
                .zip(&current_tokens)
                .map(|(&parent, &token)| {
                    let mut row = rows_host[parent as usize].clone();
                    row.push(token);
                    row
                })
                .collect();
            state.reorder(&reorder)?;
            state.advance();
            current += 1;
            if hypotheses.iter().all(|h| h.done) {
                break;
            }
        }
        // Inputs still running at the end offer their beams as they are (HF's finalize).
        for (set_index, set) in hypotheses.iter_mut().enumerate() {
            if set.done {
                continue;
            }
            let (b, group) = (set_index as i64 / groups, set_index as i64 % groups);
            for i in 0..group_size {
                let row = (b * beams + group * group_size + i) as usize;
                set.add(
                    rows_host[row].clone(),
                    beam_scores_host[row] as f64,
                    row_token_scores[row].clone(),
                    current - prompt,
                );
            }
        }
        let skip = self.skip_prompt(model.is_encoder_decoder()) as usize;
        let mut out = Vec::with_capacity((batch * s.num_return_sequences) as usize);
        for b in 0..batch as usize {
            let mut candidates: Vec<(f64, Vec<i64>, Vec<f64>)> = hypotheses
                [b * groups as usize..(b + 1) * groups as usize]
                .iter()
                .flat_map(|set| set.beams.iter().cloned())
                .collect();
            // Stable ascending sort then pops from the end: HF's order among equal scores.
            candidates.sort_by(|x, y| x.0.total_cmp(&y.0));
            for _ in 0..s.num_return_sequences {
                let Some((score, mut tokens, token_scores)) = candidates.pop() else {
                    break;
                };
                // HF 4.x stores hypotheses without their end token and writes the first
                // end-of-sequence id after them.
                if let (Some(eos), Some(last)) = (first_eos, tokens.last_mut()) {
                    if s.eos_token_ids.contains(last) {
                        *last = eos;
                    }
                }
                out.push(Hypothesis {
                    tokens: tokens[skip..].to_vec(),
                    score,
                    token_scores,
                });
            }
        }
        Ok(out)
    }
}

/// The finished hypotheses of one (input, group) in diverse beam search (HF 4.x's
/// `BeamHypotheses`): the `capacity` best by length-penalised score.
struct Hypotheses {
    capacity: usize,
    length_penalty: f64,
    early_stopping: bool,
    beams: Vec<(f64, Vec<i64>, Vec<f64>)>,
    worst_score: f64,
    done: bool,
}

impl Hypotheses {
    fn new(capacity: usize, length_penalty: f64, early_stopping: bool) -> Self {
        Self {
            capacity,
            length_penalty,
            early_stopping,
            beams: Vec::new(),
            worst_score: 1e9,
            done: false,
        }
    }

    fn add(&mut self, tokens: Vec<i64>, sum_log_probs: f64, token_scores: Vec<f64>, length: i64) {
        let score = sum_log_probs / (length as f64).powf(self.length_penalty);
        if self.beams.len() < self.capacity || score > self.worst_score {
            self.beams.push((score, tokens, token_scores));
            if self.beams.len() > self.capacity {
                let mut order: Vec<(f64, usize)> = self
                    .beams
                    .iter()
                    .enumerate()
                    .map(|(i, beam)| (beam.0, i))
                    .collect();
                order.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                self.beams.remove(order[0].1);
                self.worst_score = order[1].0;
            } else {
                self.worst_score = self.worst_score.min(score);
            }
        }
    }

    /// No running beam can do better than the worst kept hypothesis (`length`: generated
    /// length including the token being chosen).
    fn is_done(&self, best_sum_log_probs: f64, length: i64) -> bool {
        if self.beams.len() < self.capacity {
            false
        } else if self.early_stopping {
            true
        } else {
            self.worst_score >= best_sum_log_probs / (length as f64).powf(self.length_penalty)
        }
    }
}

fn nested_3d(values: &Tensor) -> Result<Vec<Vec<Vec<i64>>>, RustBertError> {
    let size = values.size();
    let flat = Vec::<i64>::try_from(&values.reshape([-1]).to_device(tch::Device::Cpu))?;
    Ok(split_3d(flat, size[1] as usize, size[2] as usize))
}

fn nested_3d_f64(values: &Tensor) -> Result<Vec<Vec<Vec<f64>>>, RustBertError> {
    let size = values.size();
    let flat = Vec::<f64>::try_from(
        &values
            .to_kind(Kind::Double)
            .reshape([-1])
            .to_device(tch::Device::Cpu),
    )?;
    Ok(split_3d(flat, size[1] as usize, size[2] as usize))
}

fn split_3d<T: Clone>(flat: Vec<T>, rows: usize, cols: usize) -> Vec<Vec<Vec<T>>> {
    flat.chunks(rows * cols.max(1))
        .map(|item| item.chunks(cols.max(1)).map(<[T]>::to_vec).collect())
        .collect()
}
