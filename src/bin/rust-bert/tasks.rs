//! One function per task: build the pipeline (local folder or remote default), then run the
//! inputs through it in batches.
use crate::args::{
    Aggregation, ClassifyArgs, EmbedArgs, FillMaskArgs, GenerateArgs, GenerationArgs, KeywordsArgs,
    ModelArgs, NerArgs, PosArgs, QaArgs, Scorer, SentenceModelArgs, SentimentArgs, SummarizeArgs,
    Task, TokenModelArgs, TokensArgs, TranslateArgs, ZeroShotArgs,
};
use crate::args::{CaseArgs, InputArgs};
use crate::batch::{read_inputs, run_batches};
use crate::local::{device, LocalModel};
use crate::CliError;
use rust_bert::pipelines::common::ConfigOption;
use rust_bert::pipelines::common::ModelResource;
use rust_bert::pipelines::generation_utils::GenerateOptions;
use rust_bert::pipelines::keywords_extraction::{
    KeywordExtractionConfig, KeywordExtractionModel, KeywordScorerType,
};
use rust_bert::pipelines::masked_language::{MaskedLanguageConfig, MaskedLanguageModel};
use rust_bert::pipelines::ner::NERModel;
use rust_bert::pipelines::pos_tagging::{POSConfig, POSModel};
use rust_bert::pipelines::question_answering::{
    QaInput, QuestionAnsweringConfig, QuestionAnsweringModel,
};
use rust_bert::pipelines::sentence_embeddings::{
    SentenceEmbeddingsConfig, SentenceEmbeddingsModel,
};
use rust_bert::pipelines::sentiment::{SentimentConfig, SentimentModel};
use rust_bert::pipelines::sequence_classification::{
    SequenceClassificationConfig, SequenceClassificationModel,
};
use rust_bert::pipelines::summarization::{SummarizationConfig, SummarizationModel};
use rust_bert::pipelines::text_generation::{TextGenerationConfig, TextGenerationModel};
use rust_bert::pipelines::token_classification::{
    LabelAggregationOption, TokenClassificationConfig, TokenClassificationModel,
};
use rust_bert::pipelines::translation::{TranslationConfig, TranslationModel};
use rust_bert::pipelines::zero_shot_classification::{
    ZeroShotClassificationConfig, ZeroShotClassificationModel,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use tch::Device;

/// Runs `task`.
///
/// # Errors
/// Any error of the options, the model files, the pipeline or the output.
pub fn run(task: Task) -> Result<(), CliError> {
    match task {
        Task::Sentiment(args) => sentiment(args),
        Task::Classify(args) => classify(args),
        Task::ZeroShot(args) => zero_shot(args),
        Task::Ner(args) => ner(args),
        Task::Pos(args) => pos(args),
        Task::Tokens(args) => tokens(args),
        Task::Qa(args) => qa(args),
        Task::FillMask(args) => fill_mask(args),
        Task::Embed(args) => embed(args),
        Task::Keywords(args) => keywords(args),
        Task::Summarize(args) => summarize(args),
        Task::Translate(args) => translate(args),
        Task::Generate(args) => generate(args),
        Task::Chat(args) => crate::chat::chat(args),
        #[cfg(feature = "datafusion")]
        Task::Sql(args) => crate::sql::sql(args),
        #[cfg(feature = "ballista")]
        Task::BallistaScheduler(args) => crate::sql::scheduler(args),
        #[cfg(feature = "ballista")]
        Task::BallistaExecutor(args) => crate::sql::executor(args),
    }
}

// -- shared steps ------------------------------------------------------------------------------

/// The task's default configuration, whose resources are downloaded on first use.
#[cfg(feature = "remote")]
fn remote_default<T: Default>() -> Result<T, CliError> {
    Ok(T::default())
}

/// Without the `remote` feature there is no default model.
#[cfg(not(feature = "remote"))]
fn remote_default<T>() -> Result<T, CliError> {
    Err(no_remote())
}

/// The error of a build without the `remote` feature asked for a default model.
#[cfg(not(feature = "remote"))]
fn no_remote() -> CliError {
    CliError::new(
        "no --model given, and this build has no `remote` feature to download the task's \
         default model: give a local model folder with --model DIR",
    )
}

/// What every task does first: the device, the local model (when `--model` is given; its
/// files are checked before stdin is read) and the inputs.
fn prepare(
    input: &InputArgs,
    model: &ModelArgs,
    case: Option<&CaseArgs>,
) -> Result<(Device, Option<LocalModel>, Vec<String>), CliError> {
    let device = device(input.device)?;
    let local = model
        .model
        .as_deref()
        .map(|dir| LocalModel::find(dir, model, case))
        .transpose()?;
    let inputs = read_inputs(input)?;
    Ok((device, local, inputs))
}

/// Each output as a line of JSON (an object: the output types are structs).
fn values<T: Serialize>(outputs: Vec<T>) -> Result<Vec<String>, CliError> {
    outputs
        .into_iter()
        .map(|output| serde_json::to_string(&output).map_err(CliError::from))
        .collect()
}

/// Each output as a line of JSON: an object whose field `key` holds the output.
fn wrapped<T: Serialize>(key: &str, outputs: Vec<T>) -> Result<Vec<String>, CliError> {
    outputs
        .into_iter()
        .map(|output| {
            serde_json::to_string(&BTreeMap::from([(key, output)])).map_err(CliError::from)
        })
        .collect()
}

/// A fill-mask candidate.
#[derive(Serialize)]
struct Candidate {
    /// The token as text.
    text: String,
    /// Its id in the vocabulary.
    id: i64,
    /// Its probability at the mask.
    score: f64,
}

/// An extracted keyword.
#[derive(Serialize)]
struct KeywordOutput {
    /// The keyword.
    text: String,
    /// Its similarity to the text.
    score: f32,
    /// Byte offsets of each occurrence in the text.
    offsets: Vec<rust_bert::pipelines::common::Offset>,
}

/// Generation settings of the command line as per-call options (what is not given keeps the
/// pipeline's configuration).
fn generate_options(args: &GenerationArgs) -> GenerateOptions<'static> {
    GenerateOptions {
        min_length: args.min_length,
        max_length: args.max_length,
        max_new_tokens: args.max_new_tokens,
        num_beams: args.num_beams,
        do_sample: args.do_sample(),
        temperature: args.temperature,
        top_k: args.top_k,
        top_p: args.top_p,
        repetition_penalty: args.repetition_penalty,
        no_repeat_ngram_size: args.no_repeat_ngram_size,
        ..Default::default()
    }
}

/// Seeds LibTorch's random generator when `--seed` is given.
fn seed(args: &GenerationArgs) {
    if let Some(seed) = args.seed {
        tch::manual_seed(seed);
    }
}

// -- classification ----------------------------------------------------------------------------

/// The sequence-classification configuration of a local model, or the default one.
fn classification_config(
    local: Option<&LocalModel>,
    case: &CaseArgs,
    device: Device,
) -> Result<SequenceClassificationConfig, CliError> {
    let mut config = match local {
        Some(local) => local.classification_config(),
        None => {
            let mut config: SentimentConfig = remote_default()?;
            if let Some(lower_case) = case.explicit() {
                config.lower_case = lower_case;
            }
            config
        }
    };
    config.device = device;
    config.kind = crate::local::weights_kind();
    Ok(config)
}

/// `sentiment`: the polarity of each input.
fn sentiment(args: SentimentArgs) -> Result<(), CliError> {
    let (device, local, inputs) = prepare(&args.input, &args.model, Some(&args.case))?;
    let config = classification_config(local.as_ref(), &args.case, device)?;
    let model = match &local {
        Some(local) => SentimentModel::new_with_tokenizer(config, local.tokenizer()?)?,
        None => SentimentModel::new(config)?,
    };
    run_batches(&inputs, &args.input, |batch, _| {
        values(model.try_predict(batch)?)
    })
}

/// `classify`: the best label of each input, or every label above the threshold.
fn classify(args: ClassifyArgs) -> Result<(), CliError> {
    let (device, local, inputs) = prepare(&args.input, &args.model, Some(&args.case))?;
    let config = classification_config(local.as_ref(), &args.case, device)?;
    let model = match &local {
        Some(local) => SequenceClassificationModel::new_with_tokenizer(config, local.tokenizer()?)?,
        None => SequenceClassificationModel::new(config)?,
    };
    run_batches(&inputs, &args.input, |batch, offset| {
        if args.multilabel {
            let mut outputs = model.predict_multilabel(batch, args.threshold)?;
            for label in outputs.iter_mut().flatten() {
                label.sentence += offset;
            }
            wrapped("labels", outputs)
        } else {
            let mut outputs = model.try_predict(batch)?;
            for label in &mut outputs {
                label.sentence += offset;
            }
            values(outputs)
        }
    })
}

/// `zero-shot`: each input against the candidate labels.
fn zero_shot(args: ZeroShotArgs) -> Result<(), CliError> {
    let labels: Vec<String> = args
        .labels
        .iter()
        .map(|label| label.trim().to_string())
        .collect();
    if labels.iter().any(String::is_empty) {
        return Err(CliError::new("--labels: a candidate label is empty"));
    }
    if !args.template.contains("{}") {
        return Err(CliError(format!(
            "--template {:?} has no `{{}}` where the label goes",
            args.template
        )));
    }
    let (device, local, inputs) = prepare(&args.input, &args.model, Some(&args.case))?;
    let mut config = match &local {
        Some(local) => {
            let (vocab, merges) = local.vocab_resources();
            ZeroShotClassificationConfig::new(
                local.model_type,
                local.model_resource(),
                local.config_resource(),
                vocab,
                merges,
                local.lower_case,
                None,
                None,
            )
        }
        None => {
            let mut config: ZeroShotClassificationConfig = remote_default()?;
            if let Some(lower_case) = args.case.explicit() {
                config.lower_case = lower_case;
            }
            config
        }
    };
    config.device = device;
    config.kind = crate::local::weights_kind();
    let model = match &local {
        Some(local) => ZeroShotClassificationModel::new_with_tokenizer(config, local.tokenizer()?)?,
        None => ZeroShotClassificationModel::new(config)?,
    };
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    run_batches(&inputs, &args.input, |batch, offset| {
        let template = args.template.clone();
        let template = Box::new(move |label: &str| template.replace("{}", label));
        if args.multilabel {
            let mut outputs =
                model.predict_multilabel(batch, &labels, Some(template), args.max_length)?;
            for label in outputs.iter_mut().flatten() {
                label.sentence += offset;
            }
            wrapped("labels", outputs)
        } else {
            let mut outputs = model.predict(batch, &labels, Some(template), args.max_length)?;
            for label in &mut outputs {
                label.sentence += offset;
            }
            values(outputs)
        }
    })
}

// -- token classification ----------------------------------------------------------------------

/// The token-classification configuration of a local model, or the default one (`pos`: the
/// POS default).
fn token_config(
    args: &TokenModelArgs,
    local: Option<&LocalModel>,
    device: Device,
    pos_default: bool,
) -> Result<TokenClassificationConfig, CliError> {
    let aggregation = match args.aggregation {
        Aggregation::First => LabelAggregationOption::First,
        Aggregation::Last => LabelAggregationOption::Last,
        Aggregation::Mode => LabelAggregationOption::Mode,
    };
    let mut config = match local {
        Some(local) => {
            let (vocab, merges) = local.vocab_resources();
            TokenClassificationConfig::new(
                local.model_type,
                ModelResource::Torch(Box::new(local.weights_resource())),
                local.config_resource(),
                vocab,
                merges,
                local.lower_case,
                None,
                None,
                aggregation,
            )
        }
        None => {
            let mut config = if pos_default {
                TokenClassificationConfig::from(remote_default::<POSConfig>()?)
            } else {
                remote_default::<TokenClassificationConfig>()?
            };
            if let Some(lower_case) = args.case.explicit() {
                config.lower_case = lower_case;
            }
            config.label_aggregation_function = aggregation;
            config
        }
    };
    config.device = device;
    config.kind = crate::local::weights_kind();
    Ok(config)
}

/// `ner`: the entities (or labelled words) of each input.
fn ner(args: NerArgs) -> Result<(), CliError> {
    let common = &args.common;
    let (device, local, inputs) = prepare(&common.input, &common.model, Some(&common.case))?;
    let config = token_config(common, local.as_ref(), device, false)?;
    let model = match &local {
        Some(local) => NERModel::new_with_tokenizer(config, local.tokenizer()?)?,
        None => NERModel::new(config)?,
    };
    run_batches(&inputs, &common.input, |batch, _| {
        let entities = if args.words {
            model.try_predict(batch)?
        } else {
            model.try_predict_full_entities(batch)?
        };
        wrapped("entities", entities)
    })
}

/// `pos`: the part-of-speech tag of each word.
fn pos(args: PosArgs) -> Result<(), CliError> {
    let common = &args.common;
    let (device, local, inputs) = prepare(&common.input, &common.model, Some(&common.case))?;
    let config = POSConfig::from(token_config(common, local.as_ref(), device, true)?);
    let model = match &local {
        Some(local) => POSModel::new_with_tokenizer(config, local.tokenizer()?)?,
        None => POSModel::new(config)?,
    };
    run_batches(&inputs, &common.input, |batch, _| {
        wrapped("tags", model.try_predict(batch)?)
    })
}

/// `tokens`: the label of each word or sub-word token.
fn tokens(args: TokensArgs) -> Result<(), CliError> {
    let common = &args.common;
    let (device, local, inputs) = prepare(&common.input, &common.model, Some(&common.case))?;
    let config = token_config(common, local.as_ref(), device, false)?;
    let model = match &local {
        Some(local) => TokenClassificationModel::new_with_tokenizer(config, local.tokenizer()?)?,
        None => TokenClassificationModel::new(config)?,
    };
    run_batches(&inputs, &common.input, |batch, offset| {
        let mut outputs = model.try_predict(batch, !args.sub_tokens, args.special)?;
        for token in outputs.iter_mut().flatten() {
            token.sentence += offset;
        }
        wrapped("tokens", outputs)
    })
}

// -- question answering, fill-mask -------------------------------------------------------------

/// Window settings: those given, else the defaults (384 / 128 / 64) scaled down to a model
/// with fewer positions.
fn qa_windows(
    args: &QaArgs,
    local: Option<&LocalModel>,
) -> Result<(usize, usize, usize), CliError> {
    let model_max = match local {
        Some(local) => ConfigOption::from_file(local.model_type, &local.config)?
            .get_max_len()
            .and_then(|max| usize::try_from(max).ok()),
        None => None,
    };
    let max_seq_length = args
        .max_seq_length
        .unwrap_or_else(|| model_max.map_or(384, |max| max.min(384)));
    let window = model_max.map_or(max_seq_length, |max| max.min(max_seq_length));
    let doc_stride = args.doc_stride.unwrap_or(128.min(window / 2));
    let max_query_length = args.max_query_length.unwrap_or(64.min((window / 4).max(1)));
    Ok((max_seq_length, doc_stride, max_query_length))
}

/// `qa`: the answers of each context (or question).
fn qa(args: QaArgs) -> Result<(), CliError> {
    let (device, local, inputs) = prepare(&args.input, &args.model, Some(&args.case))?;
    let (max_seq_length, doc_stride, max_query_length) = qa_windows(&args, local.as_ref())?;
    let mut config = match &local {
        Some(local) => {
            let (vocab, merges) = local.vocab_resources();
            QuestionAnsweringConfig::custom_new(
                local.model_type,
                local.model_resource(),
                local.config_resource(),
                vocab,
                merges,
                local.lower_case,
                None,
                None,
                max_seq_length,
                doc_stride,
                max_query_length,
                args.max_answer_length,
            )
        }
        None => {
            let mut config: QuestionAnsweringConfig = remote_default()?;
            if let Some(lower_case) = args.case.explicit() {
                config.lower_case = lower_case;
            }
            config.max_seq_length = max_seq_length;
            config.doc_stride = doc_stride;
            config.max_query_length = max_query_length;
            config.max_answer_length = args.max_answer_length;
            config
        }
    };
    config.device = device;
    config.kind = crate::local::weights_kind();
    let model = match &local {
        Some(local) => QuestionAnsweringModel::new_with_tokenizer(config, local.tokenizer()?)?,
        None => QuestionAnsweringModel::new(config)?,
    };
    let top_k = i64::try_from(args.top_k).unwrap_or(i64::MAX);
    run_batches(&inputs, &args.input, |batch, _| {
        let qa_inputs: Vec<QaInput> = batch
            .iter()
            .map(|text| match (&args.question, &args.context) {
                (Some(question), _) => QaInput {
                    question: question.clone(),
                    context: text.to_string(),
                },
                (None, context) => QaInput {
                    question: text.to_string(),
                    context: context.clone().unwrap_or_default(),
                },
            })
            .collect();
        let answers = model.try_predict(&qa_inputs, top_k, args.input.batch_size)?;
        wrapped("answers", answers)
    })
}

/// `fill-mask`: the best tokens for each mask.
fn fill_mask(args: FillMaskArgs) -> Result<(), CliError> {
    let (device, local, inputs) = prepare(&args.input, &args.model, Some(&args.case))?;
    let mut config = match &local {
        Some(local) => {
            let (vocab, merges) = local.vocab_resources();
            MaskedLanguageConfig::new(
                local.model_type,
                local.model_resource(),
                local.config_resource(),
                vocab,
                merges,
                local.lower_case,
                None,
                None,
                args.mask_token.clone(),
            )
        }
        None => {
            let mut config: MaskedLanguageConfig = remote_default()?;
            if let Some(lower_case) = args.case.explicit() {
                config.lower_case = lower_case;
            }
            config.mask_token = args.mask_token.clone();
            config
        }
    };
    config.device = device;
    config.kind = crate::local::weights_kind();
    let model = match &local {
        Some(local) => MaskedLanguageModel::new_with_tokenizer(config, local.tokenizer()?)?,
        None => MaskedLanguageModel::new(config)?,
    };
    run_batches(&inputs, &args.input, |batch, _| {
        let outputs: Vec<Vec<Vec<Candidate>>> = model
            .predict_top_k(batch, args.top_k)?
            .into_iter()
            .map(|masks| {
                masks
                    .into_iter()
                    .map(|candidates| {
                        candidates
                            .into_iter()
                            .map(|token| Candidate {
                                text: token.text,
                                id: token.id,
                                score: token.score,
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        wrapped("masks", outputs)
    })
}

// -- sentence embeddings, keywords -------------------------------------------------------------

/// Checks a sentence-transformers folder before stdin is read.
fn check_sentence_model(args: &SentenceModelArgs) -> Result<(), CliError> {
    let Some(dir) = &args.model else {
        return Ok(());
    };
    if !dir.is_dir() {
        return Err(CliError(format!(
            "model folder {} does not exist",
            dir.display()
        )));
    }
    if !dir.join("modules.json").is_file() {
        return Err(CliError(format!(
            "no modules.json in {}: --model takes a folder saved by sentence-transformers",
            dir.display()
        )));
    }
    Ok(())
}

/// The sentence-embeddings configuration of a local folder, or all-MiniLM-L6-v2's.
fn sentence_config(
    dir: Option<&Path>,
    device: Device,
) -> Result<SentenceEmbeddingsConfig, CliError> {
    match dir {
        Some(dir) => Ok(crate::local::sentence_builder(dir, device).into_config()?),
        #[cfg(feature = "remote")]
        None => {
            use rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsModelType;
            let mut config =
                SentenceEmbeddingsConfig::from(SentenceEmbeddingsModelType::AllMiniLmL6V2);
            config.device = device;
            config.kind = crate::local::weights_kind();
            Ok(config)
        }
        #[cfg(not(feature = "remote"))]
        None => Err(no_remote()),
    }
}

/// `embed`: the sentence embedding of each input.
fn embed(args: EmbedArgs) -> Result<(), CliError> {
    let device = device(args.input.device)?;
    check_sentence_model(&args.model)?;
    let inputs = read_inputs(&args.input)?;
    let model =
        SentenceEmbeddingsModel::new(sentence_config(args.model.model.as_deref(), device)?)?;
    run_batches(&inputs, &args.input, |batch, _| {
        wrapped("embedding", model.encode(batch)?)
    })
}

/// `keywords`: the keywords of each input.
fn keywords(args: KeywordsArgs) -> Result<(), CliError> {
    let device = device(args.input.device)?;
    check_sentence_model(&args.model)?;
    if args.min_ngram > args.max_ngram {
        return Err(CliError(format!(
            "--min-ngram {} is above --max-ngram {}",
            args.min_ngram, args.max_ngram
        )));
    }
    let inputs = read_inputs(&args.input)?;
    let model = KeywordExtractionModel::new(KeywordExtractionConfig {
        sentence_embeddings_config: sentence_config(args.model.model.as_deref(), device)?,
        tokenizer_stopwords: None,
        tokenizer_pattern: None,
        tokenizer_forbidden_ngram_chars: None,
        scorer_type: match args.scorer {
            Scorer::Cosine => KeywordScorerType::CosineSimilarity,
            Scorer::Mmr => KeywordScorerType::MaximalMarginRelevance,
            Scorer::MaxSum => KeywordScorerType::MaxSum,
        },
        ngram_range: (args.min_ngram, args.max_ngram),
        num_keywords: args.top_k,
        diversity: args.diversity,
        max_sum_candidates: None,
    })?;
    run_batches(&inputs, &args.input, |batch, _| {
        let outputs: Vec<Vec<KeywordOutput>> = model
            .predict(batch)?
            .into_iter()
            .map(|keywords| {
                keywords
                    .into_iter()
                    .map(|keyword| KeywordOutput {
                        text: keyword.text,
                        score: keyword.score,
                        offsets: keyword.offsets,
                    })
                    .collect()
            })
            .collect();
        wrapped("keywords", outputs)
    })
}

// -- generation --------------------------------------------------------------------------------

/// `summarize`: a summary of each input.
fn summarize(args: SummarizeArgs) -> Result<(), CliError> {
    let (device, local, inputs) = prepare(&args.input, &args.model, None)?;
    let mut config = match &local {
        Some(local) => {
            let (vocab, merges) = local.vocab_resources();
            SummarizationConfig::new(
                local.model_type,
                local.model_resource(),
                local.config_resource(),
                vocab,
                merges,
            )
        }
        None => remote_default::<SummarizationConfig>()?,
    };
    config.device = device;
    config.kind = crate::local::weights_kind();
    let model = match &local {
        Some(local) => SummarizationModel::new_with_tokenizer(config, local.tokenizer()?)?,
        None => SummarizationModel::new(config)?,
    };
    seed(&args.generation);
    run_batches(&inputs, &args.input, |batch, _| {
        let summaries =
            model.summarize_with_options(batch, Some(generate_options(&args.generation)))?;
        wrapped("summary_text", summaries)
    })
}

/// `translate`: the translation of each input.
fn translate(args: TranslateArgs) -> Result<(), CliError> {
    let (device, local, inputs) = prepare(&args.input, &args.model, None)?;
    let model = match &local {
        Some(local) => {
            let (vocab, merges) = local.vocab_resources();
            let config = TranslationConfig::new(
                local.model_type,
                local.model_resource(),
                local.config_resource(),
                vocab,
                merges,
                [args.source],
                [args.target],
                device,
            );
            TranslationModel::new_with_tokenizer(config, local.tokenizer()?)?
        }
        #[cfg(feature = "remote")]
        None => rust_bert::pipelines::translation::TranslationModelBuilder::new()
            .with_device(device)
            .with_source_languages([args.source])
            .with_target_languages([args.target])
            .create_model()?,
        #[cfg(not(feature = "remote"))]
        None => return Err(no_remote()),
    };
    seed(&args.generation);
    run_batches(&inputs, &args.input, |batch, _| {
        let translations = model.translate_with_options(
            batch,
            args.source,
            args.target,
            Some(generate_options(&args.generation)),
        )?;
        wrapped("translation_text", translations)
    })
}

/// `generate --model FILE.gguf`: the GGUF file's model, configuration and tokenizer.
fn generate_gguf(args: &GenerateArgs, file: &Path) -> Result<(), CliError> {
    let m = &args.model;
    if m.config.is_some() || m.weights.is_some() || m.vocab.is_some() || m.merges.is_some() {
        return Err(CliError(format!(
            "{} is a GGUF file: its configuration, weights and tokenizer come from it (no \
             --config, --weights, --vocab or --merges)",
            file.display()
        )));
    }
    let device = device(args.input.device)?;
    let mut config = TextGenerationConfig::from_gguf(file);
    config.device = device;
    config.kind = crate::local::weights_kind();
    let model = TextGenerationModel::new(config)?;
    let inputs = read_inputs(&args.input)?;
    seed(&args.generation);
    run_batches(&inputs, &args.input, |batch, _| {
        let texts = model.generate_with_options(
            batch,
            args.prefix.as_deref(),
            Some(generate_options(&args.generation)),
        )?;
        wrapped("generated_text", texts)
    })
}

/// `generate`: a continuation of each prompt.
fn generate(args: GenerateArgs) -> Result<(), CliError> {
    if let Some(file) = args
        .model
        .model
        .as_deref()
        .and_then(crate::local::gguf_file)
    {
        return generate_gguf(&args, file);
    }
    let (device, local, inputs) = prepare(&args.input, &args.model, None)?;
    let mut config = match &local {
        Some(local) => {
            let (vocab, merges) = local.vocab_resources();
            TextGenerationConfig::new(
                local.model_type,
                local.model_resource(),
                local.config_resource(),
                vocab,
                merges,
            )
        }
        None => remote_default::<TextGenerationConfig>()?,
    };
    config.device = device;
    config.kind = crate::local::weights_kind();
    let model = match &local {
        Some(local) => TextGenerationModel::new_with_tokenizer(config, local.tokenizer()?)?,
        None => TextGenerationModel::new(config)?,
    };
    seed(&args.generation);
    run_batches(&inputs, &args.input, |batch, _| {
        let texts = model.generate_with_options(
            batch,
            args.prefix.as_deref(),
            Some(generate_options(&args.generation)),
        )?;
        wrapped("generated_text", texts)
    })
}
