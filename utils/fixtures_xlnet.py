#!/usr/bin/env python3
"""HF-reference fixtures for XLNet (tests/fixtures/xlnet/).

Run from the repository root:  .venv/bin/python utils/fixtures_xlnet.py
Reference: transformers 5.24 / torch 2.13, CPU, float32, eval, no_grad, eager attention, torch
single-threaded (generate_fixtures sets it). Deterministic: two runs write byte-identical files. Every
expected value comes from HF (forward calls, model.generate, compute_transition_scores, pipeline,
XLNetTokenizer); nothing is hand-computed. The HF reference is
.venv/lib/python3.11/site-packages/transformers/models/xlnet/modeling_xlnet.py (line numbers below).
`--scan FIRST END` prints a per-seed summary of the generate cases (how LM_SEED was picked); writes nothing.

spiece.model
    A byte-for-byte copy of tests/fixtures/tokenizers/spm/xlnet.model (written by fixtures_tokenizers.py:
    unigram, 1000 pieces, trained on tests/fixtures/tokenizers/corpus.txt). Ids: <unk> 0, <s> 1, </s> 2,
    then the control symbols <cls> 3, <sep> 4, <pad> 5, <mask> 6, <eod> 7, <eop> 8 (as xlnet-base-cased),
    ordinary pieces from 9 ("▁" is 9).
    HF tokenizer: XLNetTokenizer.from_pretrained(<folder holding spiece.model>) -> V = len(tokenizer) = 1000
    (no added ids: the specials are spm pieces). unk 0, bos 1, eos 2, cls 3, sep 4, pad 5, mask 6;
    additional special tokens <eop> 8, <eod> 7. (NOTE: in 5.24 `XLNetTokenizer(vocab_file=path)` silently
    ignores the file and builds a 9-token placeholder vocabulary; only from_pretrained converts the spm.
    Asserted.)
    Encoding: `A <sep> <cls>` (single) / `A <sep> B <sep> <cls>` (pair); token_type_ids (only returned
    with return_token_type_ids=True): A and its <sep> 0, B and its <sep> 1, <cls> 2. Padding on the LEFT
    with <pad> 5, attention_mask 0 on pads, and pad token type 0 (NOT 3: XLNetTokenizer.__init__ sets
    _pad_token_type_id = 3 before super().__init__, which resets it to 0; the backend's pad_type_id is 0).
    The normalizer always applies NFKD + StripAccents (keep_accents is ignored) before the spm charsmap;
    every fixture text is plain ASCII, and for each of them HF's ids == sentencepiece's encode(text)
    (+ [4, 3] with special tokens) and contain no <unk> (asserted).
    Special-token strings inside text (text.json's PREFIX): "<eod>" -> 7 and "</s>" -> 2 are matched as
    special tokens (no "▁" piece of their own, and the whitespace-only segments around them produce no
    token: "blessing. <eod> </s> <eos> " -> ... "." 7 2 "▁<" "e" "o" "s" ">"); "<eos>" is not a token of
    this vocabulary and is split into the pieces ▁< e o s >. decode(skip_special_tokens=False) glues
    specials without spaces ("blessing.<eod></s> <eos>").

Models: <name>/{config.json, model.safetensors} (save_pretrained, safetensors; generation_config.json
    removed). XLNetConfig(vocab_size 1000, d_model 32, n_layer 2, n_head 4, d_head 8, d_inner 64,
    ff_activation "gelu" (exact erf gelu), attn_type "bi", layer_norm_eps 1e-5 (non-default: must be read
    from config.json), dropout 0.0, mem_len 512, reuse_len null, bi_data false, clamp_len -1,
    same_length false, use_mems_eval true, summary_type "last", summary_use_proj true,
    summary_activation "tanh", summary_last_dropout 0.0 (no summary_first_dropout key -> identity),
    pad_token_id 5, bos_token_id 1, eos_token_id 2, tie_word_embeddings true).
    Parameters (all in every model.safetensors): transformer.word_embedding.weight [1000, 32],
    transformer.mask_emb [1, 1, 32] (the g-stream query input), per layer i:
    transformer.layer.i.rel_attn.{q,k,v,o,r} [32, 4, 8] (q_head = einsum("ibh,hnd->ibnd", h, q);
    out = einsum("ibnd,hnd->ibh", attn_vec, o)), rel_attn.{r_w_bias, r_r_bias, r_s_bias} [4, 8],
    rel_attn.seg_embed [2, 4, 8], rel_attn.layer_norm.{weight,bias}, ff.layer_1 (32->64), ff.layer_2
    (64->32), ff.layer_norm.{weight,bias}; heads: lm_loss.bias [1000] (lm), sequence_summary.summary
    [32 -> 32] + logits_proj [32 -> 3] (sequence_classification) / [32 -> 1] (multiple_choice), classifier
    [32 -> 5] (token_classification), qa_outputs [32 -> 2] (question_answering); Linear weights [out, in].
    Randomisation after construction (torch.manual_seed(seed + 1000), named_parameters order): every
    parameter normal(0, 0.2), *layer_norm.weight normal(1, 0.2). Seeds: lm LM_SEED = 16,
    sequence_classification 201, token_classification 202, multiple_choice 203, question_answering 204.
    Each model is re-loaded with from_pretrained and checked to hold the same tensors.
  lm/                       XLNetLMHeadModel. lm_loss.weight is TIED to transformer.word_embedding.weight
                            (_tied_weights_keys): model.safetensors stores only transformer.word_embedding.weight
                            (37 tensors, no lm_loss.weight) plus lm_loss.bias [1000] (random); config.json has
                            "tie_word_embeddings": true. logits = lm_loss(last_hidden_state) = h @ E^T + bias.
                            Output shaping through the (tied, so input embeddings change too) rows: d = the unit
                            mean pre-head vector (g stream at the dummy position of HF's first generation step,
                            prepare_inputs_for_generation) over every proper prefix (1 .. n-1 tokens, 724 in all)
                            of the 36 SHAPING LINES (the plain-English lines of tokenizers/corpus.txt: ASCII
                            letters and , . ' ? ! ; : - only, >= 4 words, <= 40 tokens);
                            1. the rows of the 731 ordinary pieces (ids >= 9) never produced by tokenizing those
                               lines get -3.0 * d (generations are made of corpus pieces; an unused id is never
                               the argmax at the shaping contexts). The special ids 0..8 are NOT pushed down:
                               <sep> <cls> <pad> are inputs, and pushing their tied rows made every "... <sep>
                               <cls>" context end at once. No fixture generation emits an id in 0..8 other than
                               EOS (asserted; 5 appears only as fill after EOS).
                            2. the EOS row gets +0.556 * d: the multiple of 0.001 nearest to the bisected shift
                               at which greedy generate (max_new_tokens 10) from the first 5 tokens of each
                               shaping line (36 unpadded rows) emits EOS in 50% of the rows (final: 0.500).
  sequence_classification/ XLNetForSequenceClassification, num_labels 3, id2label {0: negative, 1: neutral,
                            2: positive} (+ label2id): logits = logits_proj(tanh(sequence_summary.summary(
                            h[:, -1]))) - summary_type "last" takes the LAST position (the <cls>: padding is on
                            the left), Linear(32, 32) + tanh, then logits_proj Linear(32, 3).
  token_classification/    XLNetForTokenClassification, num_labels 5, id2label {0: O, 1: B-PER, 2: I-PER,
                            3: B-LOC, 4: I-LOC}: classifier Linear(32, 5) on every position.
  multiple_choice/          XLNetForMultipleChoice: inputs [B, C, L] flattened to [B * C, L] (row q * C + c),
                            summary as above, logits_proj Linear(32, 1), logits viewed [B, C].
  question_answering/       XLNetForQuestionAnsweringSimple, num_labels 2: qa_outputs Linear(32, 2) per position,
                            split into start_logits / end_logits (no masking of pads or special tokens).
  uni/config.json           Config only: lm's config with attn_type "uni", clamp_len 3, same_length true (the Rust
                            test loads lm/model.safetensors with it).

HF XLNet semantics these fixtures pin (modeling_xlnet.py):
  * No absolute positions, no embedding scaling; h0 = word_embedding(ids) (= hidden_states[0] and
    mems[0]). Per layer: rel_attn (+ residual, layer_norm) then ff: layer_norm(x + layer_2(gelu(layer_1(x)))).
    No final norm: last_hidden_state = the last layer's output (the g stream's when target_mapping is given).
  * Scores (rel_attn_core, 96-140): (ac + bd + ef) * d_head ** -0.5 with ac = (q + r_w_bias) . k,
    bd = (q + r_r_bias) . k_r rel-shifted, ef = (q + r_s_bias) . seg_embed[s], s = 1 where the key's token
    type differs from the query's, 0 where equal (seg_mat; mems positions count as type 0; no
    token_type_ids -> ef = 0). Masked keys: score - 1e30 (exact 0 after softmax).
  * Relative positions (relative_positional_encoding / positional_embedding / rel_shift_bnij, 928-968,
    82-94): inv_freq = 1 / 10000 ** (arange(0, 32, 2) / 32);
    pos_seq = klen, klen-1, ..., -qlen+1 ("bi", klen + qlen values) or klen, ..., 0 ("uni", klen + 1 values),
    clamped to [-clamp_len, clamp_len] when clamp_len > 0; pos_emb = cat(sin(pos * inv_freq), cos(pos *
    inv_freq)) (halves, not interleaved), k_r = pos_emb @ r. After rel_shift_bnij, score (i, j) uses the
    embedding of distance (mlen + i) - j (query i sits at absolute position mlen + i). "uni": that holds for
    j <= mlen + i; the (causally masked) future keys get wrapped-around distances, irrelevant.
  * Masks (create_mask 878, forward 1064-1111): data_mask = (1 - attention_mask)[key] + perm_mask[b, i, j]
    (mems keys never masked); "uni" adds create_mask(qlen, mlen): future keys masked, and with
    same_length also key j < i for j in the first qlen key columns (so with mems each query sees the
    window [i, mlen + i]; WITHOUT mems each token sees only itself). g stream mask = (that > 0); h stream mask = non_tgt_mask =
    (mask - eye on the current block) > 0: a query always sees itself (also a pad query). "bi" with
    neither attention_mask nor perm_mask: no mask at all.
  * mems (cache_mem, 906-926): use_mems=True returns per layer the layer's INPUT states cat(mems_in, h)
    [-mem_len:] as [len, B, d] (mems.0 = word embeddings), pads included; passing mems prepends them as
    keys/values (klen = mlen + qlen).

expected.safetensors (float32 / int64; lm's weights unless stated; B = batch, L = length, V = 1000)
  inputs   `input_ids`, `attention_mask`, `token_type_ids` int64 [3, 16]: tokenizer(FORWARD_TEXTS,
           padding=True, return_token_type_ids=True) - "All that glitters is not gold.", "The cat sits on the
           mat.", "May the Force": real lengths 16 / 13 / 8 (incl. <sep> <cls>), LEFT-padded with 5 (mask 0,
           type 0), types 0 then 2 for the final <cls>.
           `pair.input_ids` / `pair.attention_mask` / `pair.token_type_ids` int64 [3, 27]: tokenizer(PAIRS_A,
           PAIRS_B, padding=True): ("The cat sits on the mat.", "A kitten is resting on a rug."), ("Stock
           markets fell", "Shares dropped"), ("Hello", "May the Force be with you."), real lengths 27 / 21 /
           15; types 0 (pads, A, first <sep>), 1 (B, second <sep>), 2 (<cls>).
           `multiple_choice.input_ids` / `.attention_mask` / `.token_type_ids` int64 [2, 3, 15]:
           tokenizer([q] * 3 per question, choices, padding=True) over the 6 pairs, viewed [2, 3, 15]:
           "The cat sits on the" x ("mat.", "rug.", "boat."), "A man is" x ("eating food.", "riding a
           horse.", "a puppeteer.").
  base.*   lm.transformer (XLNetModel) on (input_ids, attention_mask, token_type_ids) with
           output_hidden_states, output_attentions, use_mems=True:
           `base.last_hidden_state` [3, 16, 32]; `base.hidden_states.i` i = 0..2 [3, 16, 32] (0 = word
           embeddings, 1 = layer 0 output, 2 = layer 1 output = last_hidden_state);
           `base.attentions.i` i = 0, 1 [3, 4, 16, 16] (softmax probabilities, query rows, key columns): padded
           keys get exactly 0 except on a pad query's own diagonal (asserted);
           `base.mems.i` i = 0, 1 [16, 3, 32] (= base.hidden_states.i transposed, asserted).
           `base.no_token_type_ids.last_hidden_state` [3, 16, 32]: same without token_type_ids (ef = 0).
  heads    on the same padded batch (all three inputs): `lm.logits` [3, 16, 1000],
           `sequence_classification.logits` [3, 3], `token_classification.logits` [3, 16, 5],
           `question_answering.start_logits` / `.end_logits` [3, 16] (pad positions included),
           `multiple_choice.logits` [2, 3] (on multiple_choice.*), `pair.sequence_classification.logits`
           [3, 3] (on pair.*).
  two_stream.* lm with perm_mask + target_mapping (the two-stream path), use_mems=False:
           `two_stream.input_ids`, `two_stream.token_type_ids` int64 [2, 12] = tokenizer(["Hasta la vista,
           baby.", "May the Force be with you."]) (both 12 tokens with <sep> <cls>: unpadded, no
           attention_mask passed; types 0 ... 0 2). `two_stream.perm_mask` float [2, 12, 12] (1 = query i may
           NOT see key j): row 0 random 0/1 (torch.Generator seed 900, randint), then perm[0, t, t] = 1 for its
           targets t = 3, 6; row 1 the generation pattern (all 0, last column 1: nobody sees position 11); then
           any all-ones row gets perm[b, i, (i + 1) % 12] = 0. `two_stream.target_mapping` float [2, 2, 12]
           one-hot: batch 0 predicts positions (3, 6), batch 1 (11, 2) (num_predict 2, in that order).
           -> `two_stream.logits` [2, 2, 1000] (= lm_loss(g stream output), one row per prediction);
           `two_stream.hidden_states.k` k = 0..5 - HF flattens the (h, g) pairs: k = 2 * layer is the h stream
           [2, 12, 32], k = 2 * layer + 1 the g stream [2, 2, 32] (layer = 0 input, 1, 2 = after layer 0, 1;
           g stream 0 = mask_emb broadcast to [2, 2, 32], asserted);
           `two_stream.attentions.i.h` [2, 4, 12, 12] (h stream, non_tgt mask) and `two_stream.attentions.i.g`
           [2, 4, 12, 12] (g stream, perm mask) for layers i = 0, 1. The g stream attention is computed at
           all 12 query positions: the query at position l is sum_m target_mapping[b, m, l] * q(g_m) (HF
           einsum "mbnd,mlb->lbnd"), so rows of non-target positions come from a ZERO query (bias terms only);
           only target rows (3, 6 / 11, 2) feed the output - compare just those rows if the Rust side skips
           the others. g output = einsum("lbnd,mlb->mbnd") of the attention vectors back to predictions.
  mems.*   two consecutive segments through lm, use_mems=True, no attention_mask: the first 18 tokens
           (no special tokens) of "Paris is the capital and most populous city of France." and "The
           mitochondria is the powerhouse of the cell."; step 0 = tokens [0, 11) `mems.step0.input_ids` [2, 11]
           with `mems.step0.token_type_ids` all 0, step 1 = tokens [11, 18) `mems.step1.input_ids` [2, 7] with
           `mems.step1.token_type_ids` all 1 (the mems count as type 0, so ef differs) and mems = step 0's
           (no attention_mask, no perm_mask: "bi" attends everything, mems included).
           -> `mems.step0.logits` [2, 11, 1000], `mems.step0.mems.i` [11, 2, 32], `mems.step1.logits` [2, 7,
           1000], `mems.step1.mems.i` [18, 2, 32] (= cat(step0 mems, step 1 layer inputs)). Not equal to one
           pass over the 18 tokens ("bi": there step-0 tokens also see step-1 tokens; max diff ~1.7).
  mems3.*  the same with lm's config copied and mem_len = 3 (no folder: set mem_len 3 on lm's config):
           cache_mem keeps only the LAST 3 positions: `mems3.step0.mems.i` [3, 2, 32] (= mems.step0.mems.i[-3:]),
           step 1 attends to those 3 mems only -> `mems3.step1.logits` [2, 7, 1000], `mems3.step1.mems.i`
           [3, 2, 32] (last 3 of cat(3 mems, 7 new)). mems3.step0.logits is not stored: it equals
           mems.step0.logits (asserted; mem_len only cuts the returned cache).
  uni.*    lm/model.safetensors loaded with uni/config.json (attn_type "uni", clamp_len 3, same_length true).
           HF CANNOT run "uni" with an attention_mask on a batch > 1 (modeling_xlnet.py:1098 `attn_mask +=
           data_mask[:, :, :, None]` is in place on a [q, k, 1, 1] tensor -> RuntimeError "output with shape
           ... doesn't match the broadcast shape"; asserted), so these are per-row (batch 1) results on each
           row of the padded batch (input_ids, attention_mask, token_type_ids), concatenated: `uni.logits`
           [3, 16, 1000], `uni.last_hidden_state` [3, 16, 32]. same_length without mems: every token sees only
           itself. Second step: `uni.step1.input_ids` int64 [3, 4] ("be with you." = ▁be ▁with ▁you . for every
           row), no attention_mask / token types, mems = the per-row step-0 mems concatenated on the batch axis
           ([16, 3, 32] per layer, pads included and never masked) -> `uni.step1.logits` [3, 4, 1000],
           `uni.step1.last_hidden_state` [3, 4, 32] (query i sees mems/keys i .. 16 + i).
           `uni.same_length_false.last_hidden_state` [3, 16, 32]: per row again, with same_length false
           (plain causal mask: token i sees real tokens <= i and itself).

cases.json
    Generate cases in the format of tests/fixtures/generation/cases.json: {"name", "input_ids",
    "attention_mask" ([B, 7]: CASE_TEXTS "This is an example" (7 tokens), "A man is" (3), "All" (2), no
    special tokens, LEFT-padded with <pad> 5, mask 0 on pads), "options", "sequences", "sequences_scores",
    "token_scores", "generated_lengths", "eos_rows", "hits_eos", "steps"}. The call is exactly
        lm.generate(torch.tensor(input_ids), attention_mask=torch.tensor(attention_mask), **options,
                    return_dict_in_generate=True, output_scores=True)
    options always hold pad_token_id 5, eos_token_id 2, do_sample False, use_cache, num_beams,
    length_penalty, early_stopping, no_repeat_ngram_size, repetition_penalty, min_length,
    num_return_sequences and max_new_tokens.
    XLNet generation (XLNetLMHeadModel.prepare_inputs_for_generation, 1248-1296, offset = 2):
      step 0 (no mems yet): input_ids = the whole row (pads included) + a dummy token 0 -> [B, n + 1];
        perm_mask [B, n + 1, n + 1] zeros with the LAST COLUMN 1 (no position sees the dummy's content; the
        dummy's h stream still sees itself); target_mapping [B, 1, n + 1] one-hot on the last position; no
        token_type_ids; use_mems None -> config.use_mems_eval (true). The next-token logits are lm_loss of the
        g stream at the dummy (the query starts from mask_emb). Returned mems per layer: [n + 1, B, 32].
      step s >= 1: input_ids = the last 2 tokens of the current row + dummy 0 -> [B, 3]; mems = each layer's
        returned mems[:-2] (drops the previous step's last real token and dummy, so the mems always cover
        exactly the row minus its last 2 tokens; the state of a token in the mems is the one computed at the
        step where it was the first of the 3 inputs); perm_mask [B, 3, 3] with column 2 = 1; target_mapping
        [B, 1, 3] = [0, 0, 1]. Returned mems = cat(mems_in, the 3 new layer inputs)[-512:] (one longer per
        step: n + 1 + s).
      attention_mask: generate accepts it and keeps it up to date, but prepare_inputs_for_generation DROPS
        it: the model never sees it, the left pads (id 5) are ATTENDED like tokens (at step 0 and through the
        mems). It is used only by the logits processors (repetition_penalty's prompt_ignore_length = the
        index of the first 1). use_cache is popped too: mems are always used (use_mems_eval), so
        use_cache=False is the SAME computation (case greedy_max_new_tokens_10_use_cache_false: identical
        sequences and scores, asserted). Beam search reorders the mems with XLNetLMHeadModel._reorder_cache
        (1457, index_select on dim 1) after every step. generate passes logits_to_keep 1 (no effect: 1 prediction).
      A whole-row recompute without mems (row + dummy each step) is NOT equivalent ("bi": mems states were
        computed before later tokens existed): it agrees with HF on row 2 only of greedy_max_new_tokens_10.
    Other semantics as in generation/cases.json: min_length counts the whole padded row (7 + new tokens);
    no_repeat_ngram over the whole row, pads included; greedy / beam processors on raw logits / log_softmax;
    finished rows are filled with pad 5 (greedy and beam: pad_token_id 5 is truthy, generation/utils.py:3680).
    token_scores: greedy: compute_transition_scores(normalize_logits=True), 0.0 after the row's first EOS;
    beam: compute_transition_scores(..., beam_indices, normalize_logits=False), 0.0 after the hypothesis'
    end; generated_lengths: up to and including the first EOS (greedy) / (beam_indices >= 0).sum() (beam).
    Cases (this run: eos_rows / generated_lengths; gaps printed by the script):
      greedy_max_new_tokens_10                  F T T   10 4 6
      greedy_min_length                         F T T   12 7 7   (min_length 13 = 7 + 4 + 2, max_new_tokens 12:
                                                                  row 1's EOS at 4 is suppressed)
      greedy_repetition_penalty_no_repeat       F T T   12 3 3   (penalty 1.3, no_repeat_ngram_size 2, 12)
      beam3_early_stopping_false                F T T   10 4 5   (max_new_tokens 10)
      beam4_early_stopping_true_return2         F F T T T T   10 10 4 5 5 4
      beam3_no_repeat_2_length_penalty_2.0      F T T   12 10 7  (max_new_tokens 12)
      greedy_single_unpadded                    F       10       (prompt 0 alone; equals batched row 0)
      greedy_max_new_tokens_10_use_cache_false  F T T   10 4 6   (= the first case)
    EOS ends 14 of the 22 rows (use_cache_false duplicate excluded). Near-ties: the script fails unless
    every greedy best-minus-second processed score and every beam gap between consecutive sorted top
    (2 * num_beams + 1) accumulated scores is > 1e-4 (fixtures_generation.BeamRecorder / greedy_gap);
    min 4.35e-4 here.

text.json (text-generation pipeline on lm)
    "tokenizer": {vocab_size, spm_pieces, unk/bos/eos/cls/sep/pad/mask/eod/eop ids, padding_side "left",
    pad_token_type_id 0, constructor_vocab_file_len 9}; "tokenization": [{"text" (+ "text_pair"), "ids" and
    "tokens" (with <sep> <cls>), "token_type_ids", "decoded" (skip_special_tokens=True)}] for FORWARD_TEXTS,
    CASE_TEXTS, TEXT_PROMPTS and the 3 pairs; "prefix" = PREFIX (the single-line XL_PREFIX text ending in
    "<eod> </s> <eos> " with ONE trailing space); "prefix_ids" / "prefix_tokens" = tokenizer(PREFIX,
    add_special_tokens=False) (382 ids, ending ... 10 7 2 136 11 50 12 165 = "." <eod> </s> ▁< e o s >);
    "prompts" = TEXT_PROMPTS ("The cat sits on the", "Peter Piper picked"); "prompt_ids" / "prompt_tokens" =
    tokenizer(prompt, add_special_tokens=False).
    "generations": [{"name": "greedy" | "beam3", "pipeline_options" (the pipe() kwargs besides prefix and
    add_special_tokens=False: do_sample False, num_beams 1 | 3, max_new_tokens 8), "generate_kwargs" (what
    the pipeline passed to
    generate besides input_ids / attention_mask: exactly the same three; the model's generation config
    supplies pad 5 / eos 2), "results": [{"prompt", "input_ids" (the pipeline's model input), "sequence"
    (generate's row), "new_ids", "new_tokens", "generated_text" (return_full_text default True),
    "new_text" (a second call with return_full_text=False)}]}]. The call is
        pipeline("text-generation", model=lm, tokenizer=tok)(prompt, prefix=PREFIX,
                                                               add_special_tokens=False, **pipeline_options)
    What HF does (pipelines/text_generation.py): preprocess tokenizes PREFIX + prompt as ONE string; without
    add_special_tokens=False HF 5.24 uses the tokenizer's default add_special_tokens=True and appends
    "<sep> <cls>" to the prompt (HF 4.x's pipeline did not: it continued the text, as rust-bert does and
    as the Rust pipeline does), so the call passes it; input_ids = prefix_ids + prompt_ids (asserted: the
    joint tokenization splits exactly there), batch 1, attention_mask all ones (dropped by XLNet anyway);
    the prefix alone is tokenized WITHOUT special tokens, only to shift max_length/min_length (not used:
    max_new_tokens). Generation then continues the prompt with the mems scheme above (mems stay < 512
    long: no cut). generated_text = prompt (WITHOUT the prefix) + decode(new_ids,
    skip_special_tokens=True); the Metaspace decoder drops the first new piece's leading "▁", so there is
    NO space between prompt and continuation ("The cat sits on theMa Ma Ma Mandayndayndaynday").
    new_text = generated_text[len(prompt):] (asserted). The long prefix dominates this tiny random model:
    both prompts produce repetitions of "▁Ma" / "nday", but different ones (greedy and beam). Near-ties
    checked as for cases.json (min 1.83e-4).
"""
import copy
import json
import os
import re
import shutil
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_fixtures as gf  # noqa: E402  (sets torch threads / determinism, FIX, save helpers)
import fixtures_generation as fgen  # noqa: E402  (left_pad, BeamRecorder, greedy_gap)
import sentencepiece as spm  # noqa: E402
from transformers import (  # noqa: E402
    XLNetConfig,
    XLNetForMultipleChoice,
    XLNetForQuestionAnsweringSimple,
    XLNetForSequenceClassification,
    XLNetForTokenClassification,
    XLNetLMHeadModel,
    XLNetTokenizer,
    pipeline,
)

OUT = os.path.join(gf.FIX, "xlnet")
SPM_SRC = os.path.join(gf.FIX, "tokenizers", "spm", "xlnet.model")
CORPUS_PATH = os.path.join(gf.FIX, "tokenizers", "corpus.txt")
V = 1000
UNK, BOS, EOS, CLS, SEP, PAD, MASK, EOD, EOP = 0, 1, 2, 3, 4, 5, 6, 7, 8
D_MODEL = 32

# model seeds (parameters are drawn from torch.manual_seed(seed + 1000) after construction); LM_SEED
# picked with `utils/fixtures_xlnet.py --scan FIRST END` (every greedy / beam gap > 1e-4, rows ending and
# not ending with EOS)
LM_SEED = 16
SEQ_SEED = 201
TOK_SEED = 202
MC_SEED = 203
QA_SEED = 204
PERM_SEED = 900
EOS_TARGET_RATE = 0.5
UNUSED_SHIFT = 3.0

SEQ_LABELS = ["negative", "neutral", "positive"]
TOK_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]

FORWARD_TEXTS = ["All that glitters is not gold.", "The cat sits on the mat.", "May the Force"]
PAIRS_A = ["The cat sits on the mat.", "Stock markets fell", "Hello"]
PAIRS_B = ["A kitten is resting on a rug.", "Shares dropped", "May the Force be with you."]
MC_QUESTIONS = ["The cat sits on the", "A man is"]
MC_CHOICES = [["mat.", "rug.", "boat."], ["eating food.", "riding a horse.", "a puppeteer."]]
TWO_STREAM_TEXTS = ["Hasta la vista, baby.", "May the Force be with you."]
MEMS_TEXTS = ["Paris is the capital and most populous city of France.",
              "The mitochondria is the powerhouse of the cell."]
MEMS_SPLIT = (11, 18)  # step 0 = tokens [0, 11), step 1 = tokens [11, 18)
UNI_STEP1_TEXT = "be with you."
CASE_TEXTS = ["This is an example", "A man is", "All"]
TEXT_PROMPTS = ["The cat sits on the", "Peter Piper picked"]
PREFIX = (
    "In 1991, the remains of Russian Tsar Nicholas II and his family (except for Alexei and Maria) are "
    "discovered. The voice of Nicholas's young son, Tsarevich Alexei Nikolaevich, narrates the remainder of "
    "the story. 1883 Western Siberia, a young Grigori Rasputin is asked by his father and a group of men to "
    "perform magic. Rasputin has a vision and denounces one of the men as a horse thief. Although his father "
    "initially slaps him for making such an accusation, Rasputin watches as the man is chased outside and "
    "beaten. Twenty years later, Rasputin sees a vision of the Virgin Mary, prompting him to become a priest. "
    "Rasputin quickly becomes famous, with people, even a bishop, begging for his blessing. <eod> </s> <eos> "
)


# --------------------------------------------------------------------------------------------
# 1. tokenizer
# --------------------------------------------------------------------------------------------
def shape_lines(tok):
    """The plain English lines of tests/fixtures/tokenizers/corpus.txt: ASCII letters and , . ' ? ! ; : -
    only, >= 4 words, <= 40 tokens (37 candidates minus 'The The ...' = 36 lines)."""
    with open(CORPUS_PATH, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    for line in lines:
        if re.fullmatch(r"[A-Za-z][A-Za-z ,.'?!;:-]+", line) and len(line.split()) >= 4:
            if len(tok(line, add_special_tokens=False)["input_ids"]) <= 40:
                out.append(line)
    return out


def load_tokenizer():
    shutil.copyfile(SPM_SRC, os.path.join(OUT, "spiece.model"))
    gf.WRITTEN.append(os.path.join(OUT, "spiece.model"))
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copyfile(SPM_SRC, os.path.join(tmp, "spiece.model"))
        tok = XLNetTokenizer.from_pretrained(tmp)
        ctor_len = len(XLNetTokenizer(vocab_file=os.path.join(tmp, "spiece.model")))
    sp = spm.SentencePieceProcessor(model_file=SPM_SRC)
    assert sp.get_piece_size() == V and len(tok) == V, (sp.get_piece_size(), len(tok))
    assert ctor_len != V, "XLNetTokenizer(vocab_file=...) now reads the file: update the docstring"
    assert (sp.unk_id(), sp.bos_id(), sp.eos_id(), sp.pad_id()) == (UNK, BOS, EOS, PAD)
    specials = dict(unk=tok.unk_token_id, bos=tok.bos_token_id, eos=tok.eos_token_id, cls=tok.cls_token_id,
                    sep=tok.sep_token_id, pad=tok.pad_token_id, mask=tok.mask_token_id)
    assert specials == dict(unk=UNK, bos=BOS, eos=EOS, cls=CLS, sep=SEP, pad=PAD, mask=MASK), specials
    assert tok.convert_tokens_to_ids(["<eod>", "<eop>"]) == [EOD, EOP]
    assert tok.padding_side == "left" and tok.pad_token_type_id == 0, (tok.padding_side, tok.pad_token_type_id)
    for i in range(V):
        assert tok.convert_ids_to_tokens(i) == sp.id_to_piece(i), i
    texts = (shape_lines(tok) + FORWARD_TEXTS + PAIRS_A + PAIRS_B + TWO_STREAM_TEXTS + MEMS_TEXTS + CASE_TEXTS
             + TEXT_PROMPTS + [UNI_STEP1_TEXT] + sum(MC_CHOICES, []))
    for text in texts:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert ids == sp.encode(text), (text, ids, sp.encode(text))
        assert UNK not in ids, text
        assert tok(text)["input_ids"] == ids + [SEP, CLS]
    return tok, ctor_len


# --------------------------------------------------------------------------------------------
# 2. models
# --------------------------------------------------------------------------------------------
def xlnet_config(**kw):
    cfg = dict(vocab_size=V, d_model=D_MODEL, n_layer=2, n_head=4, d_inner=64, ff_activation="gelu",
               attn_type="bi", layer_norm_eps=1e-5, dropout=0.0, mem_len=512, summary_type="last",
               summary_use_proj=True, summary_activation="tanh", summary_last_dropout=0.0,
               pad_token_id=PAD, bos_token_id=BOS, eos_token_id=EOS)
    cfg.update(kw)
    config = XLNetConfig(**cfg)
    config._attn_implementation = "eager"
    return config


def randomise(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():  # the tied lm_loss.weight is not listed
            if name.endswith("layer_norm.weight"):
                p.normal_(1.0, 0.2)
            else:
                p.normal_(0.0, 0.2)


def build(cls, seed, **kw):
    torch.manual_seed(seed)
    model = cls(xlnet_config(**kw))
    randomise(model, seed + 1000)
    return model.eval()


def gen_inputs(model, rows):
    """HF's own first generation step for equal-length rows: row + dummy 0, perm_mask, target_mapping."""
    inputs = model.prepare_inputs_for_generation(torch.tensor(rows))
    return {k: inputs[k] for k in ("input_ids", "perm_mask", "target_mapping")}


def shape_contexts(tok):
    """Every prefix (1 .. n-1 tokens) of every shaping line, grouped by length."""
    by_len = {}
    for line in shape_lines(tok):
        ids = tok(line, add_special_tokens=False)["input_ids"]
        for k in range(1, len(ids)):
            by_len.setdefault(k, []).append(ids[:k])
    return [by_len[k] for k in sorted(by_len)]


def unused_tokens(tok):
    used = {t for line in shape_lines(tok) for t in tok(line, add_special_tokens=False)["input_ids"]}
    return [t for t in range(V) if t not in used and t > EOP]  # the special ids 0..8 are kept


def base_options():
    return dict(pad_token_id=PAD, eos_token_id=EOS, do_sample=False, use_cache=True, num_beams=1,
                length_penalty=1.0, early_stopping=False, no_repeat_ngram_size=0, repetition_penalty=1.0,
                min_length=0, num_return_sequences=1)


def shape_output(model, tok):
    """d = the unit mean pre-head vector (g stream at the dummy position) of HF's first generation step
    over the shaping contexts; unused rows -= UNUSED_SHIFT * d; EOS row += s * d (bisected on generate)."""
    emb = model.transformer.word_embedding
    with torch.no_grad():
        h = torch.cat([model.transformer(**gen_inputs(model, rows)).last_hidden_state[:, 0]
                       for rows in shape_contexts(tok)])
        direction = h.mean(0)
        direction = direction / direction.norm()
        unused = unused_tokens(tok)
        emb.weight[unused] -= UNUSED_SHIFT * direction
        base = emb.weight[EOS].clone()
        prompts = torch.tensor([tok(line, add_special_tokens=False)["input_ids"][:5] for line in shape_lines(tok)])

        def rate(s):
            emb.weight[EOS] = base + s * direction
            seqs = model.generate(prompts, attention_mask=torch.ones_like(prompts), **base_options(),
                                  max_new_tokens=10)
            return (seqs[:, prompts.shape[1]:] == EOS).any(-1).float().mean().item()

        lo, hi = -10.0, 10.0
        for _ in range(30):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if rate(mid) < EOS_TARGET_RATE else (lo, mid)
        shift = round(hi, 3)
        final = rate(shift)
        logits = model.lm_loss(torch.cat([model.transformer(**gen_inputs(model, rows)).last_hidden_state[:, 0]
                                          for rows in shape_contexts(tok)]))
        unused_rate = torch.isin(logits.argmax(-1), torch.tensor(unused)).float().mean().item()
    return shift, final, unused_rate, len(unused), h.shape[0]


def build_lm(tok, seed=LM_SEED):
    model = build(XLNetLMHeadModel, seed)
    stats = shape_output(model, tok)
    assert model.lm_loss.weight.data_ptr() == model.transformer.word_embedding.weight.data_ptr()
    return model, stats


def save_and_reload(model, name, cls):
    folder = os.path.join(OUT, name)
    keys = gf.save_model(model, folder)
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    assert cfg["layer_norm_eps"] == 1e-5 and cfg["pad_token_id"] == PAD and cfg["eos_token_id"] == EOS, cfg
    reloaded = cls.from_pretrained(folder, attn_implementation="eager").eval()
    original = dict(model.state_dict())
    for k, v in reloaded.state_dict().items():
        assert torch.equal(v, original[k]), k
    return reloaded, keys, cfg


def build_heads():
    heads = {}
    specs = [("sequence_classification", XLNetForSequenceClassification, SEQ_SEED,
              dict(num_labels=3, id2label=dict(enumerate(SEQ_LABELS)),
                   label2id={v: i for i, v in enumerate(SEQ_LABELS)})),
             ("token_classification", XLNetForTokenClassification, TOK_SEED,
              dict(num_labels=5, id2label=dict(enumerate(TOK_LABELS)),
                   label2id={v: i for i, v in enumerate(TOK_LABELS)})),
             ("multiple_choice", XLNetForMultipleChoice, MC_SEED, {}),
             ("question_answering", XLNetForQuestionAnsweringSimple, QA_SEED, dict(num_labels=2))]
    for name, cls, seed, kw in specs:
        model = build(cls, seed, **kw)
        heads[name] = save_and_reload(model, name, cls)
    return heads


# --------------------------------------------------------------------------------------------
# 3. forward fixtures
# --------------------------------------------------------------------------------------------
def uni_model(lm, **kw):
    config = copy.deepcopy(lm.config)
    for k, v in kw.items():
        setattr(config, k, v)
    model = XLNetLMHeadModel(config)
    model.load_state_dict(lm.state_dict())
    return model.eval()


def make_perm(L, gen_row):
    g = torch.Generator().manual_seed(PERM_SEED)
    perm = torch.randint(0, 2, (2, L, L), generator=g).float()
    targets = [[3, 6], [L - 1, 2]]
    perm[gen_row] = 0.0
    perm[gen_row, :, -1] = 1.0  # the generation pattern: nobody sees the last token
    for b, ts in enumerate(targets):
        if b != gen_row:
            for t in ts:
                perm[b, t, t] = 1.0  # a target does not see its own content in the g stream
    for b in range(2):
        for i in range(L):
            if perm[b, i].min() > 0:  # keep every g-stream row attendable
                perm[b, i, (i + 1) % L] = 0.0
    tm = torch.zeros(2, 2, L)
    for b, ts in enumerate(targets):
        for m, t in enumerate(ts):
            tm[b, m, t] = 1.0
    return perm, tm, targets


def gen_expected(lm, uni_folder, heads, tok):
    res = {}
    enc = tok(FORWARD_TEXTS, padding=True, return_token_type_ids=True, return_tensors="pt")
    ids, mask, tt = enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]
    res.update({"input_ids": ids, "attention_mask": mask, "token_type_ids": tt})
    pair = tok(PAIRS_A, PAIRS_B, padding=True, return_token_type_ids=True, return_tensors="pt")
    res.update({"pair.input_ids": pair["input_ids"], "pair.attention_mask": pair["attention_mask"],
                "pair.token_type_ids": pair["token_type_ids"]})
    mc = tok([q for q, cs in zip(MC_QUESTIONS, MC_CHOICES) for _ in cs], sum(MC_CHOICES, []), padding=True,
             return_token_type_ids=True, return_tensors="pt")
    mc = {k: v.view(len(MC_QUESTIONS), 3, -1) for k, v in mc.items()}
    res.update({f"multiple_choice.{k}": mc[k] for k in ("input_ids", "attention_mask", "token_type_ids")})
    batch = dict(input_ids=ids, attention_mask=mask, token_type_ids=tt)
    info = {"forward_lengths": mask.sum(-1).tolist(), "pair_lengths": pair["attention_mask"].sum(-1).tolist()}
    with torch.no_grad():
        out = lm.transformer(**batch, output_hidden_states=True, output_attentions=True, use_mems=True)
        res["base.last_hidden_state"] = out.last_hidden_state
        assert len(out.hidden_states) == 3 and len(out.attentions) == 2 and len(out.mems) == 2
        assert torch.equal(out.hidden_states[-1], out.last_hidden_state)
        assert torch.equal(out.hidden_states[0], lm.transformer.word_embedding(ids))
        for i, t in enumerate(out.hidden_states):
            res[f"base.hidden_states.{i}"] = t
        # padded keys get exactly 0, except a pad query's own position (non_tgt_mask lets it see itself)
        eye = torch.eye(ids.shape[1], dtype=torch.bool)
        masked = ((mask == 0)[:, None, None, :] & ~eye).expand(-1, 4, -1, -1)
        for i, t in enumerate(out.attentions):
            res[f"base.attentions.{i}"] = t
            assert t[masked].abs().max() == 0 and t[~masked].min() > 0
        for i, m in enumerate(out.mems):
            res[f"base.mems.{i}"] = m
            assert torch.equal(m, out.hidden_states[i].transpose(0, 1))
        nt = lm.transformer(input_ids=ids, attention_mask=mask)
        res["base.no_token_type_ids.last_hidden_state"] = nt.last_hidden_state
        res["lm.logits"] = lm(**batch).logits
        assert (res["lm.logits"] - lm.lm_loss(out.last_hidden_state)).abs().max() < 1e-6
        for name in ("sequence_classification", "token_classification"):
            res[f"{name}.logits"] = heads[name][0](**batch).logits
        qa = heads["question_answering"][0](**batch)
        res["question_answering.start_logits"] = qa.start_logits
        res["question_answering.end_logits"] = qa.end_logits
        res["multiple_choice.logits"] = heads["multiple_choice"][0](
            **{k: mc[k] for k in ("input_ids", "attention_mask", "token_type_ids")}).logits
        res["pair.sequence_classification.logits"] = heads["sequence_classification"][0](
            input_ids=pair["input_ids"], attention_mask=pair["attention_mask"],
            token_type_ids=pair["token_type_ids"]).logits

        # two-stream attention
        ts = tok(TWO_STREAM_TEXTS, return_token_type_ids=True)
        assert len(ts["input_ids"][0]) == len(ts["input_ids"][1])
        ts_ids, ts_tt = torch.tensor(ts["input_ids"]), torch.tensor(ts["token_type_ids"])
        L = ts_ids.shape[1]
        perm, tm, targets = make_perm(L, gen_row=1)
        two = lm(input_ids=ts_ids, token_type_ids=ts_tt, perm_mask=perm, target_mapping=tm,
                 output_hidden_states=True, output_attentions=True, use_mems=False)
        res.update({"two_stream.input_ids": ts_ids, "two_stream.token_type_ids": ts_tt,
                    "two_stream.perm_mask": perm, "two_stream.target_mapping": tm, "two_stream.logits": two.logits})
        assert len(two.hidden_states) == 6 and len(two.attentions) == 2
        for i, t in enumerate(two.hidden_states):
            res[f"two_stream.hidden_states.{i}"] = t
        for i, (ah, ag) in enumerate(two.attentions):
            res[f"two_stream.attentions.{i}.h"] = ah
            res[f"two_stream.attentions.{i}.g"] = ag
        assert torch.equal(two.hidden_states[1][0, 0], lm.transformer.mask_emb[0, 0])
        assert (two.logits - lm.lm_loss(two.hidden_states[-1])).abs().max() < 1e-6
        info["two_stream"] = {"length": L, "targets": targets}

        # mems: two consecutive segments
        rows = [tok(t, add_special_tokens=False)["input_ids"] for t in MEMS_TEXTS]
        a, b = MEMS_SPLIT
        ids0 = torch.tensor([r[:a] for r in rows])
        ids1 = torch.tensor([r[a:b] for r in rows])
        tt0, tt1 = torch.zeros_like(ids0), torch.ones_like(ids1)
        res.update({"mems.step0.input_ids": ids0, "mems.step1.input_ids": ids1,
                    "mems.step0.token_type_ids": tt0, "mems.step1.token_type_ids": tt1})
        for prefix, model in (("mems", lm), ("mems3", uni_model(lm, mem_len=3))):
            s0 = model(input_ids=ids0, token_type_ids=tt0, use_mems=True)
            s1 = model(input_ids=ids1, token_type_ids=tt1, mems=s0.mems, use_mems=True)
            if prefix == "mems":
                res["mems.step0.logits"] = s0.logits
            else:
                assert torch.equal(s0.logits, res["mems.step0.logits"])
            res[f"{prefix}.step1.logits"] = s1.logits
            for i in range(2):
                res[f"{prefix}.step0.mems.{i}"] = s0.mems[i]
                res[f"{prefix}.step1.mems.{i}"] = s1.mems[i]
            if prefix == "mems3":
                assert s0.mems[0].shape[0] == 3 and s1.mems[0].shape[0] == 3
                assert torch.equal(s0.mems[1], res["mems.step0.mems.1"][-3:])
        full = lm(input_ids=torch.cat([ids0, ids1], 1), token_type_ids=torch.cat([tt0, tt1], 1)).logits
        info["mems_vs_full_max_diff"] = (full[:, a:] - res["mems.step1.logits"]).abs().max().item()

        # uni (causal, same_length, clamp_len 3) with lm's weights
        uni = XLNetLMHeadModel.from_pretrained(OUT + "/lm", config=XLNetConfig.from_pretrained(uni_folder),
                                               attn_implementation="eager").eval()
        assert uni.config.attn_type == "uni" and uni.config.same_length and uni.config.clamp_len == 3
        # HF cannot run "uni" with an attention_mask on a batch > 1: modeling_xlnet.py:1098
        # `attn_mask += data_mask[:, :, :, None]` is in place on a [q, k, 1, 1] tensor and cannot broadcast
        # to the batch -> RuntimeError. The expected values are the per-row (batch 1) results, concatenated.
        try:
            uni(**batch)
            raise AssertionError("HF now runs uni + attention_mask batched: update the docstring")
        except RuntimeError as e:
            assert "doesn't match the broadcast shape" in str(e), e
        rows = [{k: v[r:r + 1] for k, v in batch.items()} for r in range(3)]
        u0 = [uni(**row, use_mems=True, output_hidden_states=True) for row in rows]
        res["uni.logits"] = torch.cat([u.logits for u in u0])
        res["uni.last_hidden_state"] = torch.cat([u.hidden_states[-1] for u in u0])
        assert torch.equal(uni.transformer(**rows[0]).last_hidden_state, u0[0].hidden_states[-1])
        mems0 = [torch.cat([u.mems[i] for u in u0], 1) for i in range(2)]
        step_ids = torch.tensor([tok(UNI_STEP1_TEXT, add_special_tokens=False)["input_ids"]] * 3)
        u1 = uni(input_ids=step_ids, mems=mems0, use_mems=True, output_hidden_states=True)
        res["uni.step1.input_ids"] = step_ids
        res["uni.step1.logits"] = u1.logits
        res["uni.step1.last_hidden_state"] = u1.hidden_states[-1]
        causal = uni_model(lm, attn_type="uni", clamp_len=3, same_length=False)
        res["uni.same_length_false.last_hidden_state"] = torch.cat(
            [causal.transformer(**row).last_hidden_state for row in rows])
    gf.save_tensors(os.path.join(OUT, "expected.safetensors"), res)
    return res, info


# --------------------------------------------------------------------------------------------
# 4. generate cases
# --------------------------------------------------------------------------------------------
def case_rows(tok):
    return [tok(t, add_special_tokens=False)["input_ids"] for t in CASE_TEXTS]


def run_case(model, name, rows, options):
    ids, mask = fgen.left_pad(rows, PAD)
    input_ids, attention_mask = torch.tensor(ids), torch.tensor(mask)
    beam = options["num_beams"] > 1
    with torch.no_grad(), fgen.BeamRecorder(model) as rec:
        out = model.generate(input_ids, attention_mask=attention_mask, **options,
                             return_dict_in_generate=True, output_scores=True)
    seqs = out.sequences
    prompt_len = input_ids.shape[1]
    new = seqs[:, prompt_len:]
    if beam:
        token_scores = model.compute_transition_scores(seqs, out.scores, out.beam_indices, normalize_logits=False)
        gen_lens = (out.beam_indices >= 0).sum(-1).tolist()
        recon = token_scores.sum(-1) / torch.tensor(gen_lens, dtype=torch.float32) ** options["length_penalty"]
        assert torch.allclose(recon, out.sequences_scores, atol=1e-5), (name, recon, out.sequences_scores)
        seq_scores = [float(x) for x in out.sequences_scores]
        gap, boundary = rec.min_gap()
    else:
        token_scores = model.compute_transition_scores(seqs, out.scores, normalize_logits=True)
        gen_lens = []
        for r in range(new.shape[0]):
            hit = (new[r] == EOS).nonzero()
            gen_lens.append(int(hit[0, 0]) + 1 if hit.numel() else new.shape[1])
            token_scores[r, gen_lens[-1]:] = 0.0
        seq_scores = None
        gap, boundary = fgen.greedy_gap(out.scores, seqs, prompt_len, EOS), None
    assert token_scores.shape == new.shape and torch.isfinite(token_scores).all(), name
    eos_rows = [bool((new[r, :gen_lens[r]] == EOS).any()) for r in range(new.shape[0])]
    for r in range(new.shape[0]):  # no special id (they are not pushed down) is ever generated
        assert not set(new[r, :gen_lens[r]].tolist()) & {UNK, BOS, CLS, SEP, PAD, MASK, EOD, EOP}, (name, r)
    case = {
        "name": name, "input_ids": ids, "attention_mask": mask, "options": dict(options),
        "sequences": seqs.tolist(), "sequences_scores": seq_scores,
        "token_scores": [[float(x) for x in row] for row in token_scores],
        "generated_lengths": gen_lens, "eos_rows": eos_rows, "hits_eos": any(eos_rows), "steps": len(out.scores),
    }
    return case, {"gap": gap, "boundary": boundary}


def gen_cases(model, tok):
    rows = case_rows(tok)
    base = base_options()
    cases, infos = [], {}

    def add(name, options, rows=rows):
        case, info = run_case(model, name, rows, options)
        cases.append(case)
        infos[name] = info
        return case

    beam = lambda n, **kw: dict(base, num_beams=n, **kw)  # noqa: E731
    c1 = add("greedy_max_new_tokens_10", dict(base, max_new_tokens=10))
    width = len(c1["input_ids"][0])
    ended = [n for n, e in zip(c1["generated_lengths"], c1["eos_rows"]) if e]
    min_length = width + (min(ended) if ended else 4) + 2
    c2 = add("greedy_min_length", dict(base, min_length=min_length, max_new_tokens=12))
    c3 = add("greedy_repetition_penalty_no_repeat", dict(base, repetition_penalty=1.3, no_repeat_ngram_size=2,
                                                           max_new_tokens=12))
    add("beam3_early_stopping_false", beam(3, max_new_tokens=10))
    add("beam4_early_stopping_true_return2", beam(4, early_stopping=True, num_return_sequences=2,
                                                  max_new_tokens=10))
    add("beam3_no_repeat_2_length_penalty_2.0", beam(3, no_repeat_ngram_size=2, length_penalty=2.0,
                                                     max_new_tokens=12))
    single = add("greedy_single_unpadded", dict(base, max_new_tokens=10), rows=rows[:1])
    nocache = add("greedy_max_new_tokens_10_use_cache_false", dict(base, max_new_tokens=10, use_cache=False))
    # checks: the options under test change the output; use_cache=False is the same computation
    assert ended, "no row of greedy_max_new_tokens_10 ends with EOS"
    early = c1["generated_lengths"].index(min(ended))
    assert c2["sequences"] != c1["sequences"] and c2["generated_lengths"][early] >= min_length - width, "min_length"
    assert c3["sequences"] != c1["sequences"], "repetition penalty / no_repeat change nothing"
    assert nocache["sequences"] == c1["sequences"] and nocache["token_scores"] == c1["token_scores"], "use_cache"
    assert single["sequences"][0] == c1["sequences"][0][:len(single["sequences"][0])], "single != batched row 0"
    return cases, infos


def recompute_agrees(model, case):
    """For information: greedy decoding that re-runs the whole row + dummy at every step (no mems)."""
    ids = torch.tensor(case["input_ids"])
    steps = case["steps"]
    with torch.no_grad():
        for _ in range(steps):
            logits = model(**gen_inputs(model, ids.tolist()), use_mems=False).logits[:, 0]
            ids = torch.cat([ids, logits.argmax(-1, keepdim=True)], 1)
    width = len(case["input_ids"][0])
    agree = []
    for r, seq in enumerate(case["sequences"]):
        n = case["generated_lengths"][r]
        agree.append(ids[r, width:width + n].tolist() == seq[width:width + n])
    return agree


def report_cases(cases, infos):
    for case in cases:
        info = infos[case["name"]]
        bnd = "" if info["boundary"] is None else f" (keep boundary {info['boundary']:.2e})"
        print(f"  [case] {case['name']:42s} eos rows {case['eos_rows']} lengths {case['generated_lengths']}"
              f" steps {case['steps']} min gap {info['gap']:.2e}{bnd}")
    return min(infos[c["name"]]["gap"] for c in cases)


# --------------------------------------------------------------------------------------------
# 5. text-generation pipeline
# --------------------------------------------------------------------------------------------
def gen_text(model, tok, ctor_len):
    calls = []
    original = model.generate

    def recording_generate(*args, **kwargs):
        out = original(*args, **kwargs)
        seqs = out.sequences if hasattr(out, "sequences") else out
        calls.append({"input_ids": kwargs["input_ids"].tolist(),
                      "kwargs": {k: v for k, v in kwargs.items() if k not in ("input_ids", "attention_mask")},
                      "attention_mask": kwargs["attention_mask"].tolist(), "sequences": seqs.tolist()})
        return out

    model.generate = recording_generate
    pipe = pipeline("text-generation", model=model, tokenizer=tok)
    prefix_ids = tok(PREFIX, add_special_tokens=False)["input_ids"]
    settings = [("greedy", dict(do_sample=False, num_beams=1, max_new_tokens=8)),
                ("beam3", dict(do_sample=False, num_beams=3, max_new_tokens=8))]
    generations, gaps = [], []
    try:
        for name, options in settings:
            results = []
            for prompt in TEXT_PROMPTS:
                calls.clear()
                full = pipe(prompt, prefix=PREFIX, add_special_tokens=False, **options)
                new = pipe(prompt, prefix=PREFIX, return_full_text=False, add_special_tokens=False,
                           **options)
                assert len(calls) == 2 and calls[0]["sequences"] == calls[1]["sequences"]
                call = calls[0]
                assert len(call["input_ids"]) == 1 and len(call["sequences"]) == 1
                input_ids, seq = call["input_ids"][0], call["sequences"][0]
                assert input_ids == tok(PREFIX + prompt, add_special_tokens=False)["input_ids"], \
                    "pipeline input != tokenizer(prefix + prompt)"
                assert input_ids == prefix_ids + tok(prompt, add_special_tokens=False)["input_ids"]
                assert call["attention_mask"] == [[1] * len(input_ids)]
                new_ids = seq[len(input_ids):]
                assert not set(new_ids) & {UNK, BOS, CLS, SEP, PAD, MASK, EOD, EOP}, new_ids
                with torch.no_grad(), fgen.BeamRecorder(model) as rec:  # near-ties of this generation
                    again = original(torch.tensor(call["input_ids"]),
                                     attention_mask=torch.tensor(call["attention_mask"]), **call["kwargs"],
                                     return_dict_in_generate=True, output_scores=True)
                assert again.sequences.tolist() == call["sequences"]
                gap = (rec.min_gap()[0] if options["num_beams"] > 1
                       else fgen.greedy_gap(again.scores, again.sequences, len(input_ids), EOS))
                assert gap > 1e-4, (name, prompt, gap)
                gaps.append(gap)
                text, new_text = full[0]["generated_text"], new[0]["generated_text"]
                assert text == prompt + new_text and new_text == tok.decode(new_ids, skip_special_tokens=True)
                results.append({"prompt": prompt, "input_ids": input_ids, "sequence": seq, "new_ids": new_ids,
                                "new_tokens": tok.convert_ids_to_tokens(new_ids), "generated_text": text,
                                "new_text": new_text})
            generations.append({"name": name, "pipeline_options": options,
                                "generate_kwargs": {k: (v.to_dict() if hasattr(v, "to_dict") else v)
                                                    for k, v in calls[0]["kwargs"].items()},
                                "results": results})
    finally:
        del model.generate
    prompt_ids = [tok(p, add_special_tokens=False)["input_ids"] for p in TEXT_PROMPTS]
    tokenization = []
    for text in FORWARD_TEXTS + CASE_TEXTS + TEXT_PROMPTS:
        enc = tok(text, return_token_type_ids=True)
        tokenization.append({"text": text, "ids": enc["input_ids"],
                             "tokens": tok.convert_ids_to_tokens(enc["input_ids"]),
                             "token_type_ids": enc["token_type_ids"],
                             "decoded": tok.decode(enc["input_ids"], skip_special_tokens=True)})
    for a, b in zip(PAIRS_A, PAIRS_B):
        enc = tok(a, b, return_token_type_ids=True)
        tokenization.append({"text": a, "text_pair": b, "ids": enc["input_ids"],
                             "tokens": tok.convert_ids_to_tokens(enc["input_ids"]),
                             "token_type_ids": enc["token_type_ids"],
                             "decoded": tok.decode(enc["input_ids"], skip_special_tokens=True)})
    result = {
        "tokenizer": {"vocab_size": len(tok), "spm_pieces": V, "unk_token_id": UNK, "bos_token_id": BOS,
                      "eos_token_id": EOS, "cls_token_id": CLS, "sep_token_id": SEP, "pad_token_id": PAD,
                      "mask_token_id": MASK, "eod_token_id": EOD, "eop_token_id": EOP,
                      "padding_side": tok.padding_side, "pad_token_type_id": tok.pad_token_type_id,
                      "constructor_vocab_file_len": ctor_len},
        "tokenization": tokenization,
        "prefix": PREFIX,
        "prefix_ids": prefix_ids,
        "prefix_tokens": tok.convert_ids_to_tokens(prefix_ids),
        "prompts": TEXT_PROMPTS,
        "prompt_ids": prompt_ids,
        "prompt_tokens": [tok.convert_ids_to_tokens(p) for p in prompt_ids],
        "generations": generations,
    }
    gf.save_json(os.path.join(OUT, "text.json"), result)
    return result, min(gaps)


# --------------------------------------------------------------------------------------------
def scan(tok, seeds):
    """Print, per seed, the case summary (used to pick LM_SEED); writes nothing."""
    for seed in seeds:
        model, stats = build_lm(tok, seed)
        try:
            cases, infos = gen_cases(model, tok)
        except AssertionError as e:
            print(f"seed {seed}: shift {stats[0]} assertion {str(e)[:80]}", flush=True)
            continue
        gaps = min(i["gap"] for i in infos.values())
        c1 = cases[0]
        print(f"seed {seed}: shift {stats[0]} rate {stats[1]:.3f} unused {stats[2]:.3f} min gap {gaps:.2e} "
              f"greedy lens {c1['generated_lengths']} eos {[c['eos_rows'] for c in cases]}", flush=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    tok, ctor_len = load_tokenizer()
    print(f"[tokenizer] V = {len(tok)}, unk {UNK} bos {BOS} eos {EOS} cls {CLS} sep {SEP} pad {PAD} mask {MASK} "
          f"eod {EOD} eop {EOP}; XLNetTokenizer(vocab_file=...) has {ctor_len} tokens; "
          f"{len(shape_lines(tok))} shaping lines")
    if len(sys.argv) > 1 and sys.argv[1] == "--scan":
        scan(tok, range(int(sys.argv[2]), int(sys.argv[3])))
        return
    lm, stats = build_lm(tok)
    print(f"[lm] seed {LM_SEED}: EOS shift {stats[0]}: EOS in {stats[1]:.3f} of the shaping generations, "
          f"an unused token argmax at {stats[2]:.3f} of {stats[4]} contexts ({stats[3]} unused ids)")
    lm, keys, _ = save_and_reload(lm, "lm", XLNetLMHeadModel)
    assert lm.lm_loss.weight.data_ptr() == lm.transformer.word_embedding.weight.data_ptr()
    print(f"  stored tensors: {len(keys)} ({', '.join(k for k in keys if '.layer.' not in k)})")
    uni_folder = os.path.join(OUT, "uni")
    uni_cfg = copy.deepcopy(lm.config)
    uni_cfg.attn_type, uni_cfg.clamp_len, uni_cfg.same_length = "uni", 3, True
    uni_cfg.save_pretrained(uni_folder)
    gf.WRITTEN.append(os.path.join(uni_folder, "config.json"))
    heads = build_heads()
    for name, (_, keys, _) in heads.items():
        print(f"[{name}] stored: {', '.join(k for k in keys if not k.startswith('transformer.'))}")
    res, info = gen_expected(lm, uni_folder, heads, tok)
    print(f"  [expected] {len(res)} tensors; forward lengths {info['forward_lengths']}, pair lengths "
          f"{info['pair_lengths']}, two-stream {info['two_stream']}, mems vs one-pass max diff "
          f"{info['mems_vs_full_max_diff']:.3e}")
    cases, infos = gen_cases(lm, tok)
    gap = report_cases(cases, infos)
    assert gap > 1e-4, gap
    print(f"  [cases] min gap {gap:.2e}; whole-row recompute (no mems) agrees with HF's greedy rows: "
          f"{recompute_agrees(lm, cases[0])}")
    gf.save_json(os.path.join(OUT, "cases.json"), cases)
    text, text_gap = gen_text(lm, tok, ctor_len)
    print(f"  [text] min gap {text_gap:.2e}")
    for g in text["generations"]:
        for r in g["results"]:
            print(f"  [text] {g['name']}: {r['prompt']!r} + {r['new_text']!r} ({len(r['input_ids'])} input ids)")
    total = 0
    for p in sorted(set(gf.WRITTEN)):
        size = os.path.getsize(p)
        total += size
        print(f"{os.path.relpath(p, gf.ROOT)}  {size}")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
