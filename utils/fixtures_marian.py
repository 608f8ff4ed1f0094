#!/usr/bin/env python3
"""HF-reference fixtures for Marian (MarianMTModel + MarianTokenizer) under tests/fixtures/marian/.

Run from the repository root:  .venv/bin/python utils/fixtures_marian.py   (--scan N: the seed scan)
Reference: transformers 5.24 / torch 2.13 / sentencepiece 0.2.3, CPU, float32, eval, no_grad, eager
attention, torch single-threaded (generate_fixtures sets it). Deterministic: two runs write
byte-identical files (sentencepiece: num_threads=1, set_random_generator_seed(1234), no input
sampling / shuffling). Every expected value comes from HF (forward, generate,
compute_transition_scores, MarianTokenizer).

source.spm, target.spm
    SentencePiece unigram models (vocab_size 150, character_coverage 1.0, default nmt_nfkc
    normalizer, add_dummy_prefix, remove_extra_whitespaces; <unk> 0, <s> 1, </s> 2 as spm
    defaults) trained on the English (source) and French (target) sides of PAIRS (102 short
    sentence pairs written below). Each file is ~242 kB (the nmt_nfkc charsmap).
vocab.json
    Marian's joint vocabulary {piece: id}: "</s>" 0, "<unk>" 1, then every normal piece of
    source.spm in spm id order, then the pieces of target.spm not yet present in its id order,
    "<pad>" last (HF's convert_marian_to_pytorch appends <pad> to the Marian vocab). 262 entries:
    </s> 0, <unk> 1, <pad> 261; "▁" 2, "." 3. vocab ids differ from spm ids (HF maps a piece through
    vocab.json, a piece not in it -> <unk> 1, tokenization_marian.py:183-188).
    Checked: MarianTokenizer(source.spm, target.spm, vocab.json, source_lang="en",
    target_lang="fr") loads (len 262, eos 0, unk 1, pad 261), encodes source text with source.spm
    ending with </s>, encodes text_target= with target.spm, and decode(skip_special_tokens=True)
    gives the text back. rust-bert's file names: it fetches "source.spm" and "vocab.json" (and
    rust_tokenizers' MarianTokenizer::from_files(vocab.json, source.spm, false) needs "<unk>",
    "<pad>", "</s>" in vocab.json: all present).

config.json, model.safetensors
    MarianMTModel(MarianConfig(vocab_size=262, d_model=32, encoder_layers=2, decoder_layers=2,
    encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
    max_position_embeddings=64, activation_function="swish", scale_embedding=True,
    share_encoder_decoder_embeddings=True, pad_token_id=261, decoder_start_token_id=261,
    eos_token_id=0, forced_eos_token_id=0, dropout=0, attention_dropout=0, activation_dropout=0)),
    tie_word_embeddings True (default), decoder_vocab_size 262, bos_token_id null. Seed MODEL_SEED.
    Every parameter randomised: normal(0, 0.2), *layer_norm*.weight normal(1, 0.2); the
    sinusoidal tables (embed_positions) are left alone; the buffer final_logits_bias [1, 262]
    normal(0, 0.2). Then shape_output(): final_logits_bias += -1.0 on the 113 source-only ids
    (pieces of source.spm not in target.spm) and <unk>, and final_logits_bias[0] (EOS) = 2.372
    (bisected: half of the greedy decodings of 40 corpus sentences end with a generated EOS).
    Stored tensors: model.shared.weight (the only embedding: encoder/decoder embed_tokens and
    lm_head are tied to it and not stored), final_logits_bias (stored: a persistent buffer), every
    layer weight. NOT stored: model.{encoder,decoder}.embed_positions.weight
    (_keys_to_ignore_on_save, modeling_marian.py:805): rebuilt at load (checked: a reload gives
    bit-identical logits). No generation_config.json (removed); HF builds on reload:
    {decoder_start_token_id 261, eos_token_id 0, forced_eos_token_id 0, pad_token_id 261,
    use_cache true} (from config.json; no bad_words_ids, no num_beams/max_length).

expected.safetensors
    `input_ids`, `attention_mask` int64 [3, 9]: the tokenizer's ids of BATCH_SOURCES ("The old
    river." / "My friend." / "The dog.", lengths 9/6/4 with </s>), right-padded with pad 261;
    `decoder_input_ids` int64 [3, 5]: [261] + the first 4 target ids of DECODER_TARGETS.
    One forward (output_hidden_states, output_attentions, use_cache=False): `logits` [3, 5, 262]
    (lm_head(h) + final_logits_bias), `encoder_last_hidden_state` [3, 9, 32],
    `encoder_hidden_states.i` i = 0..2 (0 = token embeddings * sqrt(32) + positions, then each
    layer's output; .2 == encoder_last_hidden_state), `decoder_hidden_states.i` i = 0..2,
    `encoder_attentions.i` [3, 4, 9, 9], `decoder_attentions.i` [3, 4, 5, 5] (causal),
    `cross_attentions.i` [3, 4, 5, 9] (padded source keys get exactly 0), i = 0, 1.
    `positions` float32 [64, 32]: the sinusoidal table HF builds (equal in encoder and decoder).
    Incremental decoding: the encoder run once; `step.0.decoder_input_ids` = the first 2 decoder
    tokens, `step.k.decoder_input_ids` k = 1..3 one token each, fed with the cache of step k-1
    (EncoderDecoderCache, use_cache=True, the encoder attention_mask passed each time, no decoder
    mask) -> `step.k.logits` [3, n, 262]; asserted equal (< 1e-5) to the full forward's logits at
    the same positions. Padded source positions: encoder states there are computed anyway
    (garbage); compare encoder outputs only where attention_mask == 1.

cases.json
    A list of generate cases {"name", "input_ids", "attention_mask" (the [3, 9] batch above,
    RIGHT-padded with 261; the *_single_unpadded cases: row 1 alone, [1, 6]), "options",
    "sequences" (decoder rows: column 0 = decoder start 261, rows padded with 261),
    "sequences_scores" (beam) or null, "token_scores", "generated_lengths", "eos_rows", "hits_eos",
    "steps" (= len(out.scores))}. The call is exactly
        model.generate(torch.tensor(input_ids), attention_mask=torch.tensor(attention_mask), **options)
    `options` always holds pad_token_id 261, eos_token_id 0, decoder_start_token_id 261,
    forced_eos_token_id 0, bad_words_ids [[261]], do_sample False, use_cache True, num_beams,
    length_penalty, early_stopping, no_repeat_ngram_size, repetition_penalty, min_length,
    num_return_sequences, output_scores True, return_dict_in_generate True and exactly one of
    max_new_tokens / max_length. Marian's defaults are in every case (so the cases are real Marian
    generation): forced_eos_token_id 0 is MarianConfig's default (configuration_marian.py:77) that
    HF copies into model.generation_config (ForcedEOSTokenLogitsProcessor: at the step where the
    row reaches max_length every score but EOS's is -inf and EOS's is 0); bad_words_ids [[pad]] is
    what HF's convert_marian_to_pytorch writes into every converted opus-mt config (HF 5.24's
    Marian code itself has no pad masking: no adjust_logits_during_generation; the
    NoBadWordsLogitsProcessor sets the pad score to -inf at every step). forced_eos_token_id null
    (JSON) means "disabled": generate(forced_eos_token_id=None) overrides the model default.
    token_scores: greedy: log_softmax(processed scores)[chosen] (compute_transition_scores,
    normalize_logits=True), 0.0 after the row's first EOS; a forced EOS scores 0.0 (its processed
    scores are all -inf but EOS's). Beam: compute_transition_scores(sequences, scores,
    beam_indices, normalize_logits=False), 0.0 after the hypothesis' end; a forced EOS scores 0.0.
    sequences_scores = sum(token_scores) / generated_length ** length_penalty (checked to 1e-5).
    generated_lengths: tokens after the decoder start, EOS included. eos_rows: EOS among them
    (forced ones included: in the forced-EOS cases every row ends with EOS; the lengths tell which
    ended early). Cases (eos_rows / generated_lengths; min gap; beam: keep-boundary gap):
      greedy_max_new_tokens_10                 T T T   10 10 5   (rows 0, 1: EOS forced at step 10)
      greedy_no_forced_eos  [forced_eos null]  F F T   10 10 5   3.5e-2
      greedy_min_length_10_max_new_tokens_12   T T T   12 12 10  5.0e-2 (row 2's EOS delayed to 10)
      greedy_repetition_penalty_1.3_no_repeat_2 T T T  6 4 2     3.0e-2
      beam3_early_stopping_false               T T T   10 10 5   6.1e-4 (6.1e-4)
      beam4_early_stopping_true_return2        all T   10 10 | 10 10 | 4 3   6.1e-4 (7.0e-3)
      beam3_no_repeat_2_length_penalty_2.0     T T T   12 10 11  1.7e-4 (6.1e-4)
      beam3_repetition_penalty_1.3_bad_words   T T T   10 4 1    6.1e-4 (9.4e-4)
          bad_words_ids [[261], [32], [72, 72]] (see pick_bad_words)
      beam3_forced_eos_max_length_8            T T T   7 7 5     6.1e-4 (6.1e-4)
      beam3_no_forced_eos_max_length_8         F F T   7 7 5     6.1e-4 (6.1e-4)
      beam6_early_stopping_true_max_new_tokens_16 T T T 16 16 5  1.9e-4 (4.8e-4)
      greedy_single_unpadded                   T       10        1.6e-1 (== batch row 1)
      beam4_single_unpadded                    T       10        4.6e-3 (2.1e-2)
    (first greedy case: 3.5e-2.) No forced_bos case: Marian does not use one (multilingual opus
    models put a >>lang<< code in the SOURCE text instead).
    Near-ties: greedy: smallest best-minus-second processed score over every step of every running
    row; beam: smallest difference between consecutive finite values of the sorted top
    (2 * num_beams + 1) accumulated scores at every step; all > 1e-4 (asserted); overall min 1.7e-4.

text.json
    Translation through the tokenizer: "sources" = TEXT_SOURCES, tokenizer(sources, padding=True)
    -> "input_ids", "attention_mask" (right-padded with 261); generate with "options" (Marian
    defaults as above, num_beams 6, early_stopping True, max_new_tokens 16, length_penalty 1.0)
    -> "sequences"; "texts" = tokenizer.decode(row, skip_special_tokens=True) (gibberish French:
    'bon bon ...', 'rMM po po ...', 'EEE'); "texts_with_special_tokens" = decode(row).
    "tokenization": [{"text", "pieces" (source spm pieces), "ids" (tokenizer(text)["input_ids"],
    </s> appended), "tokens"}] for TOKENIZATION_TEXTS (unknown characters -> <unk> 1; spm merges
    a run of unknown characters into ONE piece, e.g. "42" -> one <unk>; extra whitespace is
    collapsed by the spm normalizer; NFKC: "ﬁ" -> "fi"; "" -> [</s>]); "target_tokenization": the
    same with tokenizer(text_target=...) (target.spm) for TARGET_TOKENIZATION_TEXTS.

HF 5.24 behaviour a reimplementation must match (.venv/lib/python3.11/site-packages/transformers/):
  * Sinusoidal positions, models/marian/modeling_marian.py:79-91 (MarianSinusoidalPositionalEmbedding
    .create_weight): angle[pos, j] = pos / 10000 ** (2 * (j // 2) / dim) in float64 (numpy); out[:, :dim/2]
    = sin(angle[:, 0::2]) (i.e. sin(pos / 10000 ** (2i / dim)), i = 0..dim/2-1), out[:, dim/2:] =
    cos(angle[:, 1::2]) (the same frequencies), cast to float32 (NOT interleaved; odd dim: sin gets
    the extra column). Not saved; positions are arange(seq_len) in the encoder (:473, padding
    ignored) and arange(seq_len) + cache_length in the decoder (:571).
  * Embeddings: encoder and decoder multiply token embeddings by sqrt(d_model) when
    scale_embedding (:444, :471, :524, :559), then add positions; no embedding LayerNorm;
    post-LN layers (residual add, then LayerNorm, eps 1e-5 nn.LayerNorm default); activation swish
    (SiLU) in fc1 -> fc2; attention scores = (q k^T) * head_dim ** -0.5 (:162, eager), masks added
    (finfo.min). Decoder: causal self-attention, cross-attention over the encoder output with the
    source attention_mask (no decoder attention mask is used in generate).
  * lm_logits = lm_head(h) + final_logits_bias (:975); lm_head tied to model.shared; the bias is
    saved in model.safetensors (its init is zeros, :406; real opus-mt checkpoints carry nonzero
    values).
  * MarianTokenizer (models/marian/tokenization_marian.py): source text -> source.spm pieces
    (:200) -> vocab.json ids (unknown piece -> <unk>) + </s> (:295); text_target -> target.spm;
    decode joins pieces with the spm of `use_source_tokenizer`, which DEFAULTS TO THE SOURCE spm
    when the vocab is joint (:269-270; equal text here); the sacremoses punctuation normalizer
    (:174) is never applied in 5.24 (and sacremoses is not installed).
  * Generation: the decoder row starts with decoder_start_token_id (= pad 261); max_length and
    min_length count that start token (max_new_tokens n -> max_length 1 + n); the forced EOS
    fires when the row reaches max_length - 1 tokens; beam search applies processors to
    log_softmax(logits) (no renormalisation after the pad -inf), greedy to raw logits;
    repetition_penalty's prompt_ignore_length is None for encoder-decoders (no decoder mask), so
    the decoder start token counts as seen; finished rows are filled with pad 261.
"""
import hashlib
import io
import json
import math
import os
import sys
import tempfile

import sentencepiece as spm
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402  (sets torch threads 1, deterministic algorithms)
from safetensors import safe_open  # noqa: E402
from transformers import MarianConfig, MarianMTModel, MarianTokenizer  # noqa: E402

OUT = os.path.join(gf.FIX, "marian")
SPM_VOCAB_SIZE = 150
SPM_SEED = 1234
MODEL_SEED = 16  # scanned (--scan): every greedy / beam gap > 1e-4 and a mix of EOS / non-EOS rows
EOS_TARGET_RATE = 0.5
SHAPE_SOURCES = 40
SHAPE_NEW_TOKENS = 12
SOURCE_ONLY_SHIFT = -1.0
LENGTHS = [9, 6, 4]
L = 9

# (English, French) pairs: the English side trains source.spm, the French side target.spm; the
# first SHAPE_SOURCES English sentences also drive the output shaping (shape_output).
PAIRS = [
    ("The cat is black.", "Le chat est noir."),
    ("The dog is small.", "Le chien est petit."),
    ("I like green apples.", "J'aime les pommes vertes."),
    ("She reads a book.", "Elle lit un livre."),
    ("He drinks some water.", "Il boit de l'eau."),
    ("We live in a small house.", "Nous habitons dans une petite maison."),
    ("They play in the garden.", "Ils jouent dans le jardin."),
    ("The sun is warm today.", "Le soleil est chaud aujourd'hui."),
    ("My friend has a red car.", "Mon ami a une voiture rouge."),
    ("The children are at school.", "Les enfants sont à l'école."),
    ("Where is the train station?", "Où est la gare ?"),
    ("I am very happy.", "Je suis très heureux."),
    ("The weather is nice.", "Il fait beau."),
    ("My mother cooks dinner.", "Ma mère prépare le dîner."),
    ("The bread is fresh.", "Le pain est frais."),
    ("He walks to work.", "Il marche jusqu'au travail."),
    ("She speaks French well.", "Elle parle bien français."),
    ("The book is on the table.", "Le livre est sur la table."),
    ("We eat at noon.", "Nous mangeons à midi."),
    ("The river is long.", "La rivière est longue."),
    ("I want a cup of coffee.", "Je veux une tasse de café."),
    ("The city is very old.", "La ville est très vieille."),
    ("They sing a song.", "Ils chantent une chanson."),
    ("The door is open.", "La porte est ouverte."),
    ("The window is closed.", "La fenêtre est fermée."),
    ("My father works in the city.", "Mon père travaille en ville."),
    ("The birds sing in the morning.", "Les oiseaux chantent le matin."),
    ("I see the sea.", "Je vois la mer."),
    ("The house has a blue door.", "La maison a une porte bleue."),
    ("She has two cats.", "Elle a deux chats."),
    ("He is my brother.", "Il est mon frère."),
    ("She is my sister.", "Elle est ma sœur."),
    ("We go to the market.", "Nous allons au marché."),
    ("The milk is cold.", "Le lait est froid."),
    ("The tea is hot.", "Le thé est chaud."),
    ("I read the newspaper every day.", "Je lis le journal tous les jours."),
    ("The shop opens at nine.", "Le magasin ouvre à neuf heures."),
    ("The film was very good.", "Le film était très bon."),
    ("They live near the forest.", "Ils habitent près de la forêt."),
    ("The teacher is kind.", "Le professeur est gentil."),
    ("The students write a letter.", "Les étudiants écrivent une lettre."),
    ("I have a question.", "J'ai une question."),
    ("Thank you very much.", "Merci beaucoup."),
    ("Good morning, my friend.", "Bonjour, mon ami."),
    ("Good evening, everyone.", "Bonsoir à tous."),
    ("See you tomorrow.", "À demain."),
    ("The night is dark.", "La nuit est sombre."),
    ("The moon is bright.", "La lune est brillante."),
    ("The flowers are beautiful.", "Les fleurs sont belles."),
    ("The garden is green.", "Le jardin est vert."),
    ("I like music.", "J'aime la musique."),
    ("He plays the piano.", "Il joue du piano."),
    ("She plays with the dog.", "Elle joue avec le chien."),
    ("We are tired.", "Nous sommes fatigués."),
    ("The road is long.", "La route est longue."),
    ("The car is fast.", "La voiture est rapide."),
    ("The bus is late.", "Le bus est en retard."),
    ("My room is small.", "Ma chambre est petite."),
    ("The kitchen is clean.", "La cuisine est propre."),
    ("The food is good.", "La nourriture est bonne."),
    ("I am hungry.", "J'ai faim."),
    ("I am thirsty.", "J'ai soif."),
    ("It is cold in winter.", "Il fait froid en hiver."),
    ("It is hot in summer.", "Il fait chaud en été."),
    ("The leaves fall in autumn.", "Les feuilles tombent en automne."),
    ("Spring is my favourite season.", "Le printemps est ma saison préférée."),
    ("The old man tells a story.", "Le vieil homme raconte une histoire."),
    ("The little girl smiles.", "La petite fille sourit."),
    ("The boy runs fast.", "Le garçon court vite."),
    ("The woman buys bread.", "La femme achète du pain."),
    ("The man opens the window.", "L'homme ouvre la fenêtre."),
    ("We watch the stars.", "Nous regardons les étoiles."),
    ("They swim in the lake.", "Ils nagent dans le lac."),
    ("The water is clear.", "L'eau est claire."),
    ("The mountain is high.", "La montagne est haute."),
    ("I learn a new language.", "J'apprends une nouvelle langue."),
    ("She writes with a pen.", "Elle écrit avec un stylo."),
    ("He sleeps in the afternoon.", "Il dort l'après-midi."),
    ("The phone is on the desk.", "Le téléphone est sur le bureau."),
    ("The computer is new.", "L'ordinateur est neuf."),
    ("The lamp is next to the bed.", "La lampe est à côté du lit."),
    ("My friends are here.", "Mes amis sont ici."),
    ("The family eats together.", "La famille mange ensemble."),
    ("The doctor is busy.", "Le médecin est occupé."),
    ("The hospital is near the park.", "L'hôpital est près du parc."),
    ("I walk in the park.", "Je me promène dans le parc."),
    ("The park is big.", "Le parc est grand."),
    ("The cake is sweet.", "Le gâteau est sucré."),
    ("The soup is too hot.", "La soupe est trop chaude."),
    ("We need more time.", "Nous avons besoin de plus de temps."),
    ("Time goes by quickly.", "Le temps passe vite."),
    ("The shoes are under the chair.", "Les chaussures sont sous la chaise."),
    ("The coat is warm.", "Le manteau est chaud."),
    ("The hat is on the head.", "Le chapeau est sur la tête."),
    ("I open the box.", "J'ouvre la boîte."),
    ("The box is empty.", "La boîte est vide."),
    ("The glass is full.", "Le verre est plein."),
    ("He answers the question.", "Il répond à la question."),
    ("She asks for help.", "Elle demande de l'aide."),
    ("We love our city.", "Nous aimons notre ville."),
    ("The world is large.", "Le monde est grand."),
    ("The story is true.", "L'histoire est vraie."),
]

# the padded batch: whole sentences whose tokenization (</s> included) has exactly LENGTHS[i] ids
BATCH_SOURCES = ["The old river.", "My friend.", "The dog."]
DECODER_TARGETS = ["Le petit chien marche au parc.", "Elle lit un bon livre.", "Bonjour, mon ami."]
TEXT_SOURCES = ["The sun is warm.", "The house is very big.", "The train is late today."]
TOKENIZATION_TEXTS = [
    "The little dog walks to the park.",
    "Zebras eat 42 quick snacks!",  # pieces outside the vocab -> <unk> (id 1)
    "  Hello   world  ",  # extra whitespace (the spm normalizer collapses it)
    "naïve café, ﬁne",  # NFKC (ﬁ -> fi) and accents
    "",
]
TARGET_TOKENIZATION_TEXTS = ["Le petit chien marche au parc.", "J'aime la musique française!"]


# --------------------------------------------------------------------------------------------
# 1. tokenizer
# --------------------------------------------------------------------------------------------
def train_spm(lines):
    spm.set_random_generator_seed(SPM_SEED)
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=buf, vocab_size=SPM_VOCAB_SIZE, model_type="unigram",
        num_threads=1, character_coverage=1.0, input_sentence_size=0, shuffle_input_sentence=False,
        minloglevel=2,
    )
    return buf.getvalue()


def normal_pieces(proto):
    sp = spm.SentencePieceProcessor(model_proto=proto)
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())
            if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_unused(i))]


def build_vocab(source_proto, target_proto):
    """Marian's joint vocab.json: </s> 0, <unk> 1, the source model's pieces in spm id order, then
    the target model's pieces not yet present (in its id order), <pad> last."""
    vocab = {"</s>": 0, "<unk>": 1}
    for piece in normal_pieces(source_proto) + normal_pieces(target_proto):
        if piece not in vocab:
            vocab[piece] = len(vocab)
    vocab["<pad>"] = len(vocab)
    return vocab


def write_tokenizer_files(folder, source_proto, target_proto, vocab):
    os.makedirs(folder, exist_ok=True)
    paths = [os.path.join(folder, n) for n in ("source.spm", "target.spm", "vocab.json")]
    for path, data in zip(paths[:2], (source_proto, target_proto)):
        with open(path, "wb") as f:
            f.write(data)
    with open(paths[2], "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return paths


def load_hf_tokenizer(folder):
    return MarianTokenizer(os.path.join(folder, "source.spm"), os.path.join(folder, "target.spm"),
                           os.path.join(folder, "vocab.json"), source_lang="en", target_lang="fr")


def check_tokenizer(tok, vocab):
    assert tok.eos_token_id == 0 and tok.unk_token_id == 1 and tok.pad_token_id == len(vocab) - 1
    assert len(tok) == len(vocab), (len(tok), len(vocab))
    text = "The little dog walks to the park."
    ids = tok(text)["input_ids"]
    assert ids[-1] == tok.eos_token_id and tok.unk_token_id not in ids, ids
    # the source-side ids are the vocab ids of the source spm's pieces
    pieces = tok.spm_source.encode(text, out_type=str)
    assert ids[:-1] == [vocab[p] for p in pieces], (ids, pieces)
    assert tok.decode(ids, skip_special_tokens=True) == text, tok.decode(ids, skip_special_tokens=True)
    target = tok(text_target="Le petit chien marche au parc.")["input_ids"]
    assert target[-1] == 0 and tok.decode(target, skip_special_tokens=True) == "Le petit chien marche au parc."
    # decode: HF 5.24 decodes with the SOURCE spm by default (use_source_tokenizer defaults to
    # `not separate_vocabs`); both spms give the same text (pieces are only concatenated)
    assert tok.decode(target, skip_special_tokens=True, use_source_tokenizer=False) == \
        tok.decode(target, skip_special_tokens=True)
    return ids


# --------------------------------------------------------------------------------------------
# 2. model
# --------------------------------------------------------------------------------------------
def make_config(vocab_size):
    pad = vocab_size - 1
    return MarianConfig(
        vocab_size=vocab_size, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64,
        activation_function="swish", scale_embedding=True, share_encoder_decoder_embeddings=True,
        pad_token_id=pad, decoder_start_token_id=pad, eos_token_id=0, forced_eos_token_id=0,
        dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
    )


def randomise(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():  # tied lm_head / embed_tokens are listed once
            if "embed_positions" in name:
                continue  # the fixed sinusoidal table: not saved, rebuilt on load
            if ("layer_norm" in name or "layernorm" in name) and name.endswith(".weight"):
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)
        model.final_logits_bias.normal_(0.0, 0.2)


def shape_output(model, tok, source_only):
    """final_logits_bias shaping (the lm_head is tied to model.shared, so the bias is where the
    output distribution is shaped): the source-only pieces (in source.spm, not in target.spm) and
    <unk> get SOURCE_ONLY_SHIFT added (generations made of French pieces), then the EOS entry is set
    to s = the multiple of 0.001 nearest to the bisected value for which a fraction EOS_TARGET_RATE
    of the greedy decodings of the first SHAPE_SOURCES English sentences of PAIRS (batch, right-
    padded, max_new_tokens SHAPE_NEW_TOKENS, pad banned, no forced EOS) end with a generated EOS
    (this fraction only grows with s): EOS likely, not dominant."""
    eos, pad = model.config.eos_token_id, model.config.pad_token_id
    enc = tok([en for en, _ in PAIRS[:SHAPE_SOURCES]], padding=True, return_tensors="pt")
    options = dict(base_options(model.config), forced_eos_token_id=None, max_new_tokens=SHAPE_NEW_TOKENS,
                   output_scores=False, return_dict_in_generate=False)
    with torch.no_grad():
        bias = model.final_logits_bias[0]
        bias[source_only] += SOURCE_ONLY_SHIFT

        def rate(s):
            bias[eos] = s
            seqs = model.generate(enc["input_ids"], attention_mask=enc["attention_mask"], **options)
            return (seqs[:, 1:] == eos).any(-1).float().mean().item()

        lo, hi = -20.0, 20.0
        for _ in range(30):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if rate(mid) < EOS_TARGET_RATE else (lo, mid)
        s = round(hi, 3)
        return s, rate(s), SHAPE_SOURCES


def build_model(tok, vocab, source_only, seed):
    config = make_config(len(vocab))
    config._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = MarianMTModel(config)
    randomise(model, seed + 1000)
    model.eval()
    stats = shape_output(model, tok, source_only)
    assert model.lm_head.weight.data_ptr() == model.model.shared.weight.data_ptr()
    assert model.model.encoder.embed_tokens.weight.data_ptr() == model.model.shared.weight.data_ptr()
    return model, stats


def source_only_ids(source_proto, target_proto, vocab):
    tgt = set(normal_pieces(target_proto))
    return sorted([vocab[p] for p in normal_pieces(source_proto) if p not in tgt] + [vocab["<unk>"]])


# --------------------------------------------------------------------------------------------
# 3. forward fixture
# --------------------------------------------------------------------------------------------
def batch_rows(tok):
    rows = [tok(text)["input_ids"] for text in BATCH_SOURCES]
    assert [len(r) for r in rows] == LENGTHS and all(r[-1] == tok.eos_token_id for r in rows), rows
    return rows


def right_pad(rows, pad, width=None):
    width = width or max(len(r) for r in rows)
    ids = [list(r) + [pad] * (width - len(r)) for r in rows]
    mask = [[1] * len(r) + [0] * (width - len(r)) for r in rows]
    return ids, mask


def sinusoidal_table(n_pos, dim):
    """Recomputed from HF's formula and compared with the module's table."""
    import numpy as np
    enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
    out = torch.empty(n_pos, dim)
    out[:, : dim // 2] = torch.FloatTensor(np.sin(enc[:, 0::2]))
    out[:, dim // 2:] = torch.FloatTensor(np.cos(enc[:, 1::2]))
    return out


def gen_forward(model, tok):
    pad, start = model.config.pad_token_id, model.config.decoder_start_token_id
    rows = batch_rows(tok)
    ids, mask = right_pad(rows, pad, L)
    input_ids, attention_mask = torch.tensor(ids), torch.tensor(mask)
    dec = torch.tensor([[start] + tok(text_target=t)["input_ids"][:4] for t in DECODER_TARGETS])
    res = {"input_ids": input_ids, "attention_mask": attention_mask, "decoder_input_ids": dec}
    table = model.model.encoder.embed_positions.weight.detach().clone()
    assert torch.equal(table, model.model.decoder.embed_positions.weight)
    assert torch.equal(table, sinusoidal_table(*table.shape))
    res["positions"] = table
    with torch.no_grad():
        out = model(input_ids=input_ids, attention_mask=attention_mask, decoder_input_ids=dec,
                    output_hidden_states=True, output_attentions=True, use_cache=False)
        res["logits"] = out.logits
        res["encoder_last_hidden_state"] = out.encoder_last_hidden_state
        for name in ("encoder_hidden_states", "decoder_hidden_states", "encoder_attentions",
                     "decoder_attentions", "cross_attentions"):
            values = getattr(out, name)
            for i, t in enumerate(values):
                res[f"{name}.{i}"] = t
        assert len(out.encoder_hidden_states) == 3 and len(out.cross_attentions) == 2
        assert torch.equal(out.encoder_hidden_states[-1], out.encoder_last_hidden_state)
        # padded keys get exactly 0 attention
        assert (out.encoder_attentions[0][attention_mask[:, None, None, :].expand_as(
            out.encoder_attentions[0]) == 0] == 0).all()
        # incremental decoding with the cache
        encoder_outputs = model.get_encoder()(input_ids=input_ids, attention_mask=attention_mask)
        cache = None
        spans = [(0, 2), (2, 3), (3, 4), (4, 5)]
        for k, (a, b) in enumerate(spans):
            step = model(encoder_outputs=encoder_outputs, attention_mask=attention_mask,
                         decoder_input_ids=dec[:, a:b], cache=cache, use_cache=True)
            cache = step.cache
            res[f"step.{k}.decoder_input_ids"] = dec[:, a:b]
            res[f"step.{k}.logits"] = step.logits
            d = (step.logits - out.logits[:, a:b]).abs().max().item()
            assert d < 1e-5, (k, d)
    gf.save_tensors(os.path.join(OUT, "expected.safetensors"), res)
    return rows, ids, mask


# --------------------------------------------------------------------------------------------
# 4. generate cases
# --------------------------------------------------------------------------------------------
def base_options(config):
    """Every option given explicitly so that no generation_config default leaks in. Marian's own
    defaults are included: forced_eos_token_id = eos (MarianConfig's default, copied into the
    model's generation_config) and bad_words_ids = [[pad]] (what HF's convert_marian_to_pytorch
    writes into every converted opus-mt config: the pad logit is -inf at every step)."""
    pad, eos = config.pad_token_id, config.eos_token_id
    return dict(pad_token_id=pad, eos_token_id=eos, decoder_start_token_id=config.decoder_start_token_id,
                forced_eos_token_id=eos, bad_words_ids=[[pad]], do_sample=False, use_cache=True, num_beams=1,
                length_penalty=1.0, early_stopping=False, no_repeat_ngram_size=0, repetition_penalty=1.0,
                min_length=0, num_return_sequences=1, output_scores=True, return_dict_in_generate=True)


class BeamRecorder:
    """Wraps GenerationMixin._get_top_k_continuations on one model instance to record, at every
    beam step and for every source row, the sorted top (2 * num_beams + 1) accumulated scores (read
    only; the call itself is unchanged)."""

    def __init__(self, model):
        self.model = model
        self.steps = []

    def __enter__(self):
        original = type(self.model)._get_top_k_continuations
        recorder = self

        def wrapped(self_model, accumulated_log_probs, *args, **kwargs):
            k = kwargs["beams_to_keep"] + 1
            recorder.steps.append(torch.topk(accumulated_log_probs, k=k).values.clone())
            return original(self_model, accumulated_log_probs, *args, **kwargs)

        self.model._get_top_k_continuations = wrapped.__get__(self.model)
        return self

    def __exit__(self, *exc):
        del self.model._get_top_k_continuations
        return False

    def min_gap(self):
        gap, boundary = math.inf, math.inf
        for values in self.steps:
            for row in values:
                finite = row[row > -1e8]
                if finite.numel() > 1:
                    gap = min(gap, (finite[:-1] - finite[1:]).min().item())
                if row[-1] > -1e8:
                    boundary = min(boundary, (row[-2] - row[-1]).item())
        return gap, boundary


def greedy_gap(scores, sequences, eos):
    """Smallest top-1 minus top-2 processed score over every step of every row still running
    (the decoder start token is column 0)."""
    gap = math.inf
    for t, s in enumerate(scores):
        for r in range(s.shape[0]):
            if (sequences[r, 1:1 + t] == eos).any():
                continue
            top = torch.topk(s[r], 2).values
            if torch.isfinite(top[1]):
                gap = min(gap, (top[0] - top[1]).item())
    return gap


def run_case(model, name, ids, mask, options):
    eos = options["eos_token_id"]
    input_ids, attention_mask = torch.tensor(ids), torch.tensor(mask)
    beam = options["num_beams"] > 1
    with torch.no_grad(), BeamRecorder(model) as rec:
        out = model.generate(input_ids, attention_mask=attention_mask, **options)
    seqs = out.sequences
    start = options["decoder_start_token_id"]
    assert (seqs[:, 0] == start).all()
    new = seqs[:, 1:]
    steps = len(out.scores)
    if beam:
        token_scores = model.compute_transition_scores(seqs, out.scores, out.beam_indices, normalize_logits=False)
        gen_lens = (out.beam_indices >= 0).sum(-1).tolist()
        lp = options["length_penalty"]
        recon = token_scores.sum(-1) / torch.tensor(gen_lens, dtype=torch.float32) ** lp
        assert torch.allclose(recon, out.sequences_scores, atol=1e-5), (name, recon, out.sequences_scores)
        seq_scores = [float(x) for x in out.sequences_scores]
        gap, boundary = rec.min_gap()
    else:
        token_scores = model.compute_transition_scores(seqs, out.scores, normalize_logits=True)
        gen_lens = []
        for r in range(new.shape[0]):
            hit = (new[r] == eos).nonzero()
            gen_lens.append(int(hit[0, 0]) + 1 if hit.numel() else new.shape[1])
            token_scores[r, gen_lens[-1]:] = 0.0
        seq_scores = None
        gap, boundary = greedy_gap(out.scores, seqs, eos), None
    assert token_scores.shape == new.shape, (name, token_scores.shape, new.shape)
    assert torch.isfinite(token_scores).all(), name
    eos_rows = [bool((new[r, :gen_lens[r]] == eos).any()) for r in range(new.shape[0])]
    pad = options["pad_token_id"]
    for r in range(new.shape[0]):  # the pad token is never generated (bad_words_ids), only filled in
        assert not (new[r, :gen_lens[r]] == pad).any(), (name, r)
    case = {
        "name": name, "input_ids": ids, "attention_mask": mask, "options": dict(options),
        "sequences": seqs.tolist(), "sequences_scores": seq_scores,
        "token_scores": [[float(x) for x in row] for row in token_scores],
        "generated_lengths": gen_lens, "eos_rows": eos_rows, "hits_eos": any(eos_rows), "steps": steps,
    }
    return case, {"gap": gap, "boundary": boundary}


def pick_bad_words(model, ids, mask, options, first_case, pad, eos):
    """[[pad], [a], [b, c]]: a = the first token greedy generates for row 0 of the first case;
    (b, c) = the first adjacent generated pair (start token included) of the run with
    [[pad], [a]] banned that holds neither a nor EOS nor the start token."""
    a = first_case["sequences"][0][1]
    assert a not in (eos, pad)
    probe, _ = run_case(model, "probe", ids, mask, dict(options, bad_words_ids=[[pad], [a]]))
    for seq in probe["sequences"]:
        for b, c in zip(seq[1:], seq[2:]):
            if not {a, eos, pad} & {b, c}:
                return [[pad], [a], [b, c]]
    raise AssertionError("no bigram for bad_words_ids")


def gen_cases(model, ids, mask):
    config = model.config
    pad, eos = config.pad_token_id, config.eos_token_id
    base = base_options(config)
    cases, infos = [], {}

    def add(name, options, rows=(ids, mask)):
        case, info = run_case(model, name, rows[0], rows[1], options)
        cases.append(case)
        infos[name] = info
        return case

    beam = lambda n, **kw: dict(base, num_beams=n, **kw)  # noqa: E731
    c1 = add("greedy_max_new_tokens_10", dict(base, max_new_tokens=10))
    add("greedy_no_forced_eos", dict(base, forced_eos_token_id=None, max_new_tokens=10))
    add("greedy_min_length_10_max_new_tokens_12", dict(base, min_length=10, max_new_tokens=12))
    add("greedy_repetition_penalty_1.3_no_repeat_2", dict(base, repetition_penalty=1.3, no_repeat_ngram_size=2,
                                                         max_new_tokens=12))
    add("beam3_early_stopping_false", beam(3, max_new_tokens=10))
    add("beam4_early_stopping_true_return2", beam(4, early_stopping=True, num_return_sequences=2, max_new_tokens=10))
    add("beam3_no_repeat_2_length_penalty_2.0", beam(3, no_repeat_ngram_size=2, length_penalty=2.0,
                                                     max_new_tokens=12))
    bad = pick_bad_words(model, ids, mask, dict(base, max_new_tokens=10), c1, pad, eos)
    add("beam3_repetition_penalty_1.3_bad_words", beam(3, repetition_penalty=1.3, bad_words_ids=bad,
                                                       max_new_tokens=10))
    add("beam3_forced_eos_max_length_8", beam(3, max_length=8))
    add("beam3_no_forced_eos_max_length_8", beam(3, forced_eos_token_id=None, max_length=8))
    add("beam6_early_stopping_true_max_new_tokens_16", beam(6, early_stopping=True, max_new_tokens=16))
    single = ([ids[1][:sum(mask[1])]], [mask[1][:sum(mask[1])]])
    add("greedy_single_unpadded", dict(base, max_new_tokens=10), rows=single)
    add("beam4_single_unpadded", beam(4, max_new_tokens=10), rows=single)
    by_name = {c["name"]: c for c in cases}
    for name, plain in [("greedy_no_forced_eos", "greedy_max_new_tokens_10"),
                        ("greedy_min_length_10_max_new_tokens_12", "greedy_max_new_tokens_10"),
                        ("greedy_repetition_penalty_1.3_no_repeat_2", "greedy_max_new_tokens_10"),
                        ("beam3_repetition_penalty_1.3_bad_words", "beam3_early_stopping_false"),
                        ("beam3_no_forced_eos_max_length_8", "beam3_forced_eos_max_length_8")]:
        assert by_name[name]["sequences"] != by_name[plain]["sequences"], name
    # the unpadded row gives the batch's row 1
    g1 = by_name["greedy_single_unpadded"]["sequences"][0]
    assert g1 == by_name["greedy_max_new_tokens_10"]["sequences"][1][:len(g1)], "padding changed greedy row 1"
    return cases, infos, bad


# --------------------------------------------------------------------------------------------
# 5. text
# --------------------------------------------------------------------------------------------
def gen_text(model, tok):
    base = base_options(model.config)
    options = dict(base, num_beams=6, early_stopping=True, max_new_tokens=16)
    del options["output_scores"], options["return_dict_in_generate"]
    enc = tok(TEXT_SOURCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        seqs = model.generate(enc["input_ids"], attention_mask=enc["attention_mask"], **options)
    texts = [tok.decode(s, skip_special_tokens=True) for s in seqs.tolist()]
    texts_target = [tok.decode(s, skip_special_tokens=True, use_source_tokenizer=False) for s in seqs.tolist()]
    assert texts == texts_target
    batch = tok.batch_decode(seqs, skip_special_tokens=True)
    assert batch == texts

    def entry(text, ids, pieces):
        return {"text": text, "pieces": pieces, "ids": ids, "tokens": tok.convert_ids_to_tokens(ids)}

    tokenization = [entry(t, tok(t)["input_ids"], tok.spm_source.encode(t, out_type=str)) for t in TOKENIZATION_TEXTS]
    target_tokenization = [entry(t, tok(text_target=t)["input_ids"], tok.spm_target.encode(t, out_type=str))
                           for t in TARGET_TOKENIZATION_TEXTS]
    result = {
        "sources": TEXT_SOURCES,
        "input_ids": enc["input_ids"].tolist(), "attention_mask": enc["attention_mask"].tolist(),
        "options": options, "sequences": seqs.tolist(), "texts": texts,
        "texts_with_special_tokens": [tok.decode(s) for s in seqs.tolist()],
        "tokenization": tokenization, "target_tokenization": target_tokenization,
    }
    gf.save_json(os.path.join(OUT, "text.json"), result)
    return result


# --------------------------------------------------------------------------------------------
def prepare():
    source_proto = train_spm([en for en, _ in PAIRS])
    target_proto = train_spm([fr for _, fr in PAIRS])
    assert source_proto == train_spm([en for en, _ in PAIRS]), "spm training is not deterministic"
    vocab = build_vocab(source_proto, target_proto)
    return source_proto, target_proto, vocab


def scan(n):
    source_proto, target_proto, vocab = prepare()
    with tempfile.TemporaryDirectory() as tmp:
        write_tokenizer_files(tmp, source_proto, target_proto, vocab)
        tok = load_hf_tokenizer(tmp)
    only = source_only_ids(source_proto, target_proto, vocab)
    for seed in range(1, n + 1):
        model, (s, rate, _) = build_model(tok, vocab, only, seed)
        ids, mask = right_pad(batch_rows(tok), model.config.pad_token_id, L)
        try:
            cases, infos, _ = gen_cases(model, ids, mask)
        except AssertionError as e:
            print(f"seed {seed}: assertion {e}")
            continue
        gaps = [i["gap"] for i in infos.values()]
        lens = " ".join(",".join(map(str, c["generated_lengths"])) for c in cases)
        print(f"seed {seed}: shift {s} (rate {rate:.3f}) min gap {min(gaps):.2e} | {lens}", flush=True)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    source_proto, target_proto, vocab = prepare()
    with tempfile.TemporaryDirectory() as tmp:
        write_tokenizer_files(tmp, source_proto, target_proto, vocab)
        tok = load_hf_tokenizer(tmp)
    sample = check_tokenizer(tok, vocab)
    print(f"[tokenizer] source/target spm {SPM_VOCAB_SIZE} pieces each, joint vocab {len(vocab)}: </s> 0, "
          f"<unk> 1, <pad> {len(vocab) - 1}; sample {tok.convert_ids_to_tokens(sample)}")
    only = source_only_ids(source_proto, target_proto, vocab)
    model, (shift, rate, n) = build_model(tok, vocab, only, MODEL_SEED)
    print(f"[model] seed {MODEL_SEED}: {len(only)} source-only ids shifted by {SOURCE_ONLY_SHIFT}; "
          f"final_logits_bias[eos] = {shift}: {rate:.3f} of {n} greedy decodings end with EOS")
    keys = gf.save_model(model, OUT)
    print(f"[model] stored tensors: {keys}")
    with safe_open(os.path.join(OUT, "model.safetensors"), "pt") as f:
        assert torch.equal(f.get_tensor("final_logits_bias"), model.final_logits_bias)
    gf.WRITTEN.extend(write_tokenizer_files(OUT, source_proto, target_proto, vocab))
    tok2 = load_hf_tokenizer(OUT)
    assert tok2.get_vocab() == tok.get_vocab()
    # reload: HF rebuilds the sinusoidal tables, ties the embeddings and gives the same logits
    reloaded = MarianMTModel.from_pretrained(OUT, attn_implementation="eager").eval()
    print(f"[model] generation_config HF builds on reload: {reloaded.generation_config.to_diff_dict()}")

    rows, ids, mask = gen_forward(model, tok)
    print(f"[forward] batch rows {[tok.convert_ids_to_tokens(r) for r in rows]}")
    with torch.no_grad():
        dec = torch.tensor([[model.config.decoder_start_token_id] * 3]).T
        a = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), decoder_input_ids=dec).logits
        b = reloaded(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), decoder_input_ids=dec).logits
        assert torch.equal(a, b), (a - b).abs().max()

    cases, infos, bad = gen_cases(model, ids, mask)
    for case in cases:
        info = infos[case["name"]]
        bnd = "" if info["boundary"] is None else f" (keep boundary {info['boundary']:.2e})"
        print(f"  [case] {case['name']:45s} eos rows {case['eos_rows']} lengths {case['generated_lengths']} "
              f"min gap {info['gap']:.2e}{bnd}")
        assert info["gap"] > 1e-4, (case["name"], info["gap"])
    print(f"  bad_words_ids of beam3_repetition_penalty_1.3_bad_words: {bad}")
    gf.save_json(os.path.join(OUT, "cases.json"), cases)
    text = gen_text(model, tok)
    for src, t in zip(text["sources"], text["texts"]):
        print(f"  [text] {src!r} -> {t!r}")
    total = 0
    for p in sorted(set(gf.WRITTEN)):
        size = os.path.getsize(p)
        total += size
        print(f"{os.path.relpath(p, gf.ROOT)}  {size} bytes  sha256 {sha256(p)}")
    print(f"total {total} bytes")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--scan":
        scan(int(sys.argv[2]) if len(sys.argv) > 2 else 20)
    else:
        main()
