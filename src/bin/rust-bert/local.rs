//! A local model folder: its model type, configuration, weights and tokenizer files, found from
//! the folder's contents and the overrides of the command line.
use crate::args::{CaseArgs, DeviceArg, ModelArgs, WeightsArg};
use crate::CliError;
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::resources::LocalResource;
use std::path::{Path, PathBuf};
use tch::Device;

/// Weight files, in order of preference.
const WEIGHT_FILES: [&str; 4] = [
    "model.safetensors",
    "rust_model.ot",
    "model.safetensors.index.json",
    "pytorch_model.bin",
];

/// The device asked for.
///
/// # Errors
/// `cuda` on a machine without a usable CUDA device.
/// The `--dtype` choice of this run (set once by `main`).
static WEIGHTS: std::sync::OnceLock<WeightsArg> = std::sync::OnceLock::new();

/// Records the `--dtype` choice for every pipeline this run builds.
pub fn set_weights(weights: WeightsArg) {
    let _ = WEIGHTS.set(weights);
}

/// The pipelines' `kind` for `--dtype` (`None`: f32).
pub fn weights_kind() -> Option<tch::Kind> {
    WEIGHTS.get().copied().unwrap_or(WeightsArg::F32).kind()
}

/// A local sentence-transformers folder's builder on `device`, with the `--dtype` kind.
pub fn sentence_builder(
    dir: &Path,
    device: Device,
) -> rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsBuilder<
    rust_bert::pipelines::sentence_embeddings::builder::Local,
> {
    let builder = rust_bert::pipelines::sentence_embeddings::SentenceEmbeddingsBuilder::local(dir)
        .with_device(device);
    match weights_kind() {
        Some(kind) => builder.with_kind(kind),
        None => builder,
    }
}

pub fn device(arg: DeviceArg) -> Result<Device, CliError> {
    match arg {
        DeviceArg::Cpu => Ok(Device::Cpu),
        DeviceArg::Auto => Ok(Device::cuda_if_available()),
        DeviceArg::Cuda if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
        DeviceArg::Cuda => Err(CliError::new(
            "--device cuda: no CUDA device is available (LibTorch sees none); use --device cpu \
             or auto",
        )),
    }
}

/// `path` when it is a GGUF file (by its `.gguf` name or its magic bytes), for the tasks that
/// load one in place of a folder.
pub fn gguf_file(path: &Path) -> Option<&Path> {
    use std::io::Read;
    if !path.is_file() {
        return None;
    }
    let named = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("gguf"));
    let mut magic = [0u8; 4];
    let marked = std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok()
        && &magic == b"GGUF";
    (named || marked).then_some(path)
}

/// The tokenizer files of a model.
#[derive(Debug, Clone)]
pub enum TokenizerFiles {
    /// The model type's own vocabulary (and second file: BPE merges, Marian's source.spm).
    Vocab {
        /// The vocabulary.
        vocab: PathBuf,
        /// The merges (or second SentencePiece model), for the tokenizers that need one.
        merges: Option<PathBuf>,
    },
    /// An HF `tokenizer.json` with its `special_tokens_map.json` (when the folder has no
    /// vocabulary of the model type's own).
    HfJson {
        /// `tokenizer.json`.
        tokenizer: PathBuf,
        /// `special_tokens_map.json`.
        #[cfg_attr(not(feature = "hf-tokenizers"), allow(dead_code))]
        special_tokens: PathBuf,
    },
}

/// A local model, its files found.
#[derive(Debug, Clone)]
pub struct LocalModel {
    /// Its architecture.
    pub model_type: ModelType,
    /// Its configuration (`config.json` or `--config`).
    pub config: PathBuf,
    /// Its weights.
    pub weights: PathBuf,
    /// Its tokenizer files.
    pub tokenizer: TokenizerFiles,
    /// Whether its tokenizer lower-cases.
    pub lower_case: bool,
}

impl LocalModel {
    /// Finds the files of the folder `dir` (`--model`), with the overrides of `args`.
    /// `case` is `None` for the tasks whose tokenizer never lower-cases (generation).
    ///
    /// # Errors
    /// A missing folder or file, named, with the option that supplies it.
    pub fn find(dir: &Path, args: &ModelArgs, case: Option<&CaseArgs>) -> Result<Self, CliError> {
        if !dir.exists() {
            return Err(CliError(format!(
                "model folder {} does not exist",
                dir.display()
            )));
        }
        if !dir.is_dir() {
            return Err(CliError(format!(
                "--model {} is not a folder (give the folder holding config.json, the \
                 weights and the tokenizer files)",
                dir.display()
            )));
        }
        let config = match &args.config {
            Some(config) => existing_file(config, "--config")?,
            None => {
                let config = dir.join("config.json");
                if !config.is_file() {
                    return Err(CliError(format!(
                        "no config.json in model folder {} (give the configuration with \
                         --config FILE)",
                        dir.display()
                    )));
                }
                config
            }
        };
        let model_type = match args.model_type {
            Some(model_type) => model_type,
            None => ModelType::from_config_file(&config)?,
        };
        let weights = match &args.weights {
            Some(weights) => existing_file(weights, "--weights")?,
            None => first_existing(dir, &WEIGHT_FILES).ok_or_else(|| {
                CliError(format!(
                    "no weights in model folder {} (looked for {}; give the file with \
                     --weights FILE)",
                    dir.display(),
                    WEIGHT_FILES.join(", ")
                ))
            })?,
        };
        let tokenizer = tokenizer_files(dir, model_type, args)?;
        let lower_case = match case {
            // ProphetNet's vocabularies are uncased: its generator lowercases (HF's default).
            None => model_type == ModelType::ProphetNet,
            Some(case) => match case.explicit() {
                Some(lower_case) => lower_case,
                None => configured_lower_case(dir, &tokenizer)?,
            },
        };
        Ok(LocalModel {
            model_type,
            config,
            weights,
            tokenizer,
            lower_case,
        })
    }

    /// The weights as a pipeline's model resource.
    pub fn model_resource(&self) -> ModelResource {
        ModelResource::Torch(Box::new(self.weights_resource()))
    }

    /// The weights as a plain resource.
    pub fn weights_resource(&self) -> LocalResource {
        LocalResource::from(self.weights.clone())
    }

    /// The configuration as a resource.
    pub fn config_resource(&self) -> LocalResource {
        LocalResource::from(self.config.clone())
    }

    /// The vocabulary and merges as resources, for the configuration types (with a
    /// `tokenizer.json`, whose tokenizer is built by [`LocalModel::tokenizer`], the
    /// configuration file stands in: the pipelines do not read it then).
    /// The sequence-classification configuration of this folder (default settings).
    pub fn classification_config(
        &self,
    ) -> rust_bert::pipelines::sequence_classification::SequenceClassificationConfig {
        let (vocab, merges) = self.vocab_resources();
        rust_bert::pipelines::sequence_classification::SequenceClassificationConfig::new(
            self.model_type,
            self.model_resource(),
            self.config_resource(),
            vocab,
            merges,
            self.lower_case,
            None,
            None,
        )
    }

    pub fn vocab_resources(&self) -> (LocalResource, Option<LocalResource>) {
        match &self.tokenizer {
            TokenizerFiles::Vocab { vocab, merges } => (
                LocalResource::from(vocab.clone()),
                merges.clone().map(LocalResource::from),
            ),
            TokenizerFiles::HfJson { tokenizer, .. } => {
                (LocalResource::from(tokenizer.clone()), None)
            }
        }
    }

    /// The tokenizer, as the pipelines build it from the same files.
    ///
    /// # Errors
    /// A file the tokenizer cannot read (named).
    pub fn tokenizer(&self) -> Result<TokenizerOption, CliError> {
        match &self.tokenizer {
            TokenizerFiles::Vocab { vocab, merges } => Ok(TokenizerOption::from_file(
                self.model_type,
                path_str(vocab)?,
                merges.as_deref().map(path_str).transpose()?,
                self.lower_case,
                None,
                None,
            )?),
            #[cfg(feature = "hf-tokenizers")]
            TokenizerFiles::HfJson {
                tokenizer,
                special_tokens,
            } => Ok(TokenizerOption::from_hf_tokenizer_file(
                tokenizer,
                special_tokens,
            )?),
            #[cfg(not(feature = "hf-tokenizers"))]
            TokenizerFiles::HfJson { tokenizer, .. } => Err(CliError(format!(
                "{} needs the `hf-tokenizers` feature of this build",
                tokenizer.display()
            ))),
        }
    }
}

/// `path` as the `&str` the tokenizers take.
fn path_str(path: &Path) -> Result<&str, CliError> {
    path.to_str()
        .ok_or_else(|| CliError(format!("path {} is not valid UTF-8", path.display())))
}

/// `path` when it is a file, else an error naming the option.
fn existing_file(path: &Path, option: &str) -> Result<PathBuf, CliError> {
    if path.is_file() {
        Ok(path.to_path_buf())
    } else {
        Err(CliError(format!(
            "{option} {}: no such file",
            path.display()
        )))
    }
}

/// The first of `names` present as a file in `dir`.
fn first_existing(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// The tokenizer files of a model type: the vocabulary's names, and the second file's names
/// when the tokenizer needs one.
fn tokenizer_file_names(
    model_type: ModelType,
) -> (&'static [&'static str], Option<&'static [&'static str]>) {
    match model_type {
        ModelType::Bert
        | ModelType::DistilBert
        | ModelType::Electra
        | ModelType::MobileBert
        | ModelType::MPNet => (&["vocab.txt"], None),
        // The name ProphetNet's hub repositories use for their WordPiece vocabulary.
        ModelType::ProphetNet => (&["prophetnet.tokenizer", "vocab.txt"], None),
        ModelType::Roberta
        | ModelType::Longformer
        | ModelType::Bart
        | ModelType::GPT2
        | ModelType::GPTNeo
        | ModelType::GPTJ
        | ModelType::OpenAiGpt
        | ModelType::Deberta => (&["vocab.json"], Some(&["merges.txt"])),
        ModelType::XLMRoberta | ModelType::MBart => (&["sentencepiece.bpe.model"], None),
        ModelType::Albert
        | ModelType::XLNet
        | ModelType::T5
        | ModelType::LongT5
        | ModelType::Reformer
        | ModelType::Pegasus
        | ModelType::FNet => (&["spiece.model"], None),
        ModelType::DebertaV2 => (&["spm.model"], None),
        ModelType::Marian => (&["vocab.json"], Some(&["source.spm"])),
        ModelType::M2M100 => (&["vocab.json"], Some(&["sentencepiece.bpe.model"])),
        ModelType::NLLB => (&["tokenizer.json"], Some(&["sentencepiece.bpe.model"])),
        ModelType::Llama
        | ModelType::Mistral
        | ModelType::Qwen2
        | ModelType::Qwen3
        | ModelType::Phi3
        | ModelType::Gemma2 => (&["tokenizer.json"], None),
    }
}

/// Finds the tokenizer files: `--vocab` / `--merges`, else the model type's files in `dir`
/// (the second file also beside `--vocab`), else an HF `tokenizer.json`.
fn tokenizer_files(
    dir: &Path,
    model_type: ModelType,
    args: &ModelArgs,
) -> Result<TokenizerFiles, CliError> {
    let (vocab_names, merges_names) = tokenizer_file_names(model_type);
    let vocab = match &args.vocab {
        Some(vocab) => Some(existing_file(vocab, "--vocab")?),
        None => first_existing(dir, vocab_names),
    };
    let Some(vocab) = vocab else {
        if args.merges.is_none() {
            if let Some(files) = hf_tokenizer_files(dir) {
                return Ok(files);
            }
        }
        return Err(CliError(format!(
            "no tokenizer vocabulary for model type {} in model folder {} (looked for {}{}); \
             give it with --vocab FILE",
            model_type.hf_model_type(),
            dir.display(),
            vocab_names.join(", "),
            if cfg!(feature = "hf-tokenizers") {
                ", then tokenizer.json with special_tokens_map.json"
            } else {
                ""
            }
        )));
    };
    let merges = match (&args.merges, merges_names) {
        (Some(merges), _) => Some(existing_file(merges, "--merges")?),
        (None, None) => None,
        (None, Some(names)) => {
            let beside_vocab = vocab
                .parent()
                .and_then(|parent| first_existing(parent, names));
            let found = beside_vocab.or_else(|| first_existing(dir, names));
            Some(found.ok_or_else(|| {
                CliError(format!(
                    "the {} tokenizer needs {} beside {} or in model folder {}; give it with \
                     --merges FILE",
                    model_type.hf_model_type(),
                    names.join(" or "),
                    vocab.display(),
                    dir.display()
                ))
            })?)
        }
    };
    Ok(TokenizerFiles::Vocab { vocab, merges })
}

/// `tokenizer.json` and `special_tokens_map.json` of `dir`, when both are there.
fn hf_tokenizer_files(dir: &Path) -> Option<TokenizerFiles> {
    if !cfg!(feature = "hf-tokenizers") {
        return None;
    }
    let tokenizer = dir.join("tokenizer.json");
    let special_tokens = dir.join("special_tokens_map.json");
    (tokenizer.is_file() && special_tokens.is_file()).then_some(TokenizerFiles::HfJson {
        tokenizer,
        special_tokens,
    })
}

/// `do_lower_case` of the model's `tokenizer_config.json` (in `dir`, else beside the
/// vocabulary); false when there is none.
fn configured_lower_case(dir: &Path, tokenizer: &TokenizerFiles) -> Result<bool, CliError> {
    let vocab_dir = match tokenizer {
        TokenizerFiles::Vocab { vocab, .. } => vocab.parent(),
        TokenizerFiles::HfJson { tokenizer, .. } => tokenizer.parent(),
    };
    let candidates = [Some(dir), vocab_dir];
    let Some(path) = candidates
        .into_iter()
        .flatten()
        .map(|folder| folder.join("tokenizer_config.json"))
        .find(|path| path.is_file())
    else {
        return Ok(false);
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|error| CliError(format!("cannot read {}: {error}", path.display())))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|error| CliError(format!("invalid JSON in {}: {error}", path.display())))?;
    Ok(json
        .get("do_lower_case")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false))
}
