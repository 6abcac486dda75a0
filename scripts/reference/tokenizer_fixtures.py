#!/usr/bin/env python3
# Run: ${PYTHON:-python3} scripts/reference/tokenizer_fixtures.py [MODEL_DIR]
#   needs `pip install tokenizers transformers`, Debian `manpages` (man, col) and `wamerican` (/usr/share/dict/words);
#   MODEL_DIR defaults to models/all-MiniLM-L6-v2.
#
# Writes Tests/TokenizerTests/Fixtures/:
#   uncased_tokenizer.json  the model's tokenizer.json, truncation 256 (sentence-transformers' max_seq_length), no padding
#   cased_tokenizer.json    the same vocabulary with BertNormalizer(lowercase=False, strip_accents=False)
#   vocab.txt, uncased_tokenizer_config.json, cased_tokenizer_config.json  the slow-tokenizer files
#   cases.json              the texts: singles (with an optional max_length) and pairs (with max_length)
#   golden_uncased.json, golden_cased.json  ids from `tokenizers` for every case, offsets for a subset
# Text sources: lines and paragraphs of Linux manual pages, /usr/share/dict words, strings generated from a seed,
# and hand-made Unicode edge cases. It also checks that transformers' tokenizer built from vocab.txt +
# tokenizer_config.json (AutoTokenizer.from_pretrained) gives the same ids, so one golden set serves both loading paths.
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

from tokenizers import Tokenizer, normalizers
from transformers import AutoTokenizer

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "TokenizerTests", "Fixtures")
MAX_LENGTH = 256
SEED = 20240603


def man_texts(rng):
    pages = sorted(glob.glob("/usr/share/man/man1/*.1.gz")) + sorted(glob.glob("/usr/share/man/man3/*.3.gz"))
    rng.shuffle(pages)
    lines, paragraphs = [], []
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    for page in pages[:60]:
        try:
            raw = subprocess.run(["man", "-l", page], capture_output=True, env=env, timeout=30).stdout
            text = subprocess.run(["col", "-b"], input=raw, capture_output=True, env=env, timeout=30).stdout
        except subprocess.TimeoutExpired:
            continue
        text = text.decode("utf-8", errors="replace")
        page_lines = text.split("\n")
        lines.extend(page_lines)
        paragraphs.extend(" ".join(p.split()) for p in text.split("\n\n") if len(p) > 200)
    rng.shuffle(lines)
    rng.shuffle(paragraphs)
    return lines[:2000], paragraphs[:60]


def dict_words(rng):
    with open("/usr/share/dict/words", encoding="utf-8") as f:
        words = [w.rstrip("\n") for w in f]
    single = rng.sample(words, 1000)
    phrases = [" ".join(rng.sample(words, rng.randint(2, 12))) for _ in range(500)]
    return single + phrases


POOLS = {
    "ascii": [chr(c) for c in range(0x20, 0x7F)],
    "letters": list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    "digits": list("0123456789"),
    "space": [" ", " ", " ", "\t", "\n", "\r", "\u00a0", "\u3000", "\u2028", "\u2009", "\u000b", "\u000c", "\u0085"],
    "latin1": [chr(c) for c in range(0xC0, 0x180)],
    "combining": [chr(c) for c in range(0x300, 0x370)] + ["\u1ab0", "\u20d7", "\ufe20"],
    "greek": [chr(c) for c in range(0x391, 0x3CF) if c != 0x3A2] + ["\u1f00", "\u1f71", "\u1fbe"],
    "cyrillic": [chr(c) for c in range(0x400, 0x460)],
    "hebrew": [chr(c) for c in range(0x5D0, 0x5EB)] + ["\u05b0", "\u05bc", "\u05c1"],
    "arabic": [chr(c) for c in range(0x621, 0x64B)] + ["\u064b", "\u0651", "\u0670", "\u0660", "\u061f"],
    "thai": [chr(c) for c in range(0xE01, 0xE3A)],
    "devanagari": [chr(c) for c in range(0x905, 0x939)] + ["\u093f", "\u094d", "\u0964"],
    "cjk": [chr(c) for c in range(0x4E00, 0x4E80)] + ["\u3400", "\uf900", "\U00020000", "\U0002b820", "\U0002b920"],
    "kana_hangul": [chr(c) for c in range(0x3041, 0x3097)] + [chr(c) for c in range(0xAC00, 0xAC40)] + ["\u30fc"],
    "punct": list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["\u2014", "\u2013", "\u201c", "\u201d", "\u00bf", "\u00a1",
                                                          "\u3001", "\u3002", "\u2e43", "\u2e52", "\u00a7", "\u2026"],
    "symbols": ["\u00a9", "\u00ae", "\u2122", "\u20ac", "\u00a3", "\u00b0", "\u00b1", "\u2192", "\u2264", "\u221e"],
    "emoji": ["\U0001f600", "\U0001f44d\U0001f3fd", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\u2764\ufe0f",
              "\U0001f1eb\U0001f1f7", "\U0001f979", "\U0001faf6"],
    "invisible": ["\u200b", "\u200c", "\u200d", "\u00ad", "\ufeff", "\u2060", "\u0000", "\u0001", "\u001f", "\u007f",
                  "\ufffd", "\ue000", "\U000f0000", "\u0890", "\U00013430"],
    "fullwidth": [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\ufb01", "\ufb02", "\u2160", "\u00bd", "\u2460"],
}


def random_codepoint(rng):
    while True:
        c = rng.randrange(0x110000) if rng.random() < 0.3 else rng.randrange(0x30000)
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def generated(rng, count):
    names = sorted(POOLS)
    out = []
    for _ in range(count):
        mix = rng.sample(names, rng.randint(1, 4))
        n = rng.randint(0, 60)
        parts = []
        for _ in range(n):
            if rng.random() < 0.05:
                parts.append(random_codepoint(rng))
            else:
                parts.append(rng.choice(POOLS[rng.choice(mix)]))
            if rng.random() < 0.15:
                parts.append(" ")
        out.append("".join(parts))
    return out


def edge_cases():
    cases = [
        "", " ", "   ", "\t\n", "\u00a0\u3000", "\n", "\r\n",
        "café", "cafe\u0301", "naïve résumé", "Ångström", "Crème Brûlée", "ÀÉÎÕÜ àéîõü", "İstanbul", "ǅ ǈ ǋ",
        "ß STRASSE ẞ", "ﬁnance ﬂow ﬀ", "Ⅻ ½ ① ㎏", "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ１２３！", "ﾊﾝｶｸ ｶﾀｶﾅ",
        "北京大学", "我爱自然语言处理。", "日本語のテキストです", "한국어 텍스트입니다", "中文English混合",
        "\U00020000\U0002a6d6\U0002b820\U0002b920", "豈 更 車", "㐀㐁",
        "Ελληνικά κείμενα ΣΊΣΥΦΟΣ", "ὅτι ἐν ᾅδου", "Русский текст, Ёлка", "Українська ґанок", "עברית עם ניקוד: שָׁלוֹם",
        "العربية: مَرْحَبًا بِكُم؟", "ภาษาไทยไม่มีช่องว่าง", "हिन्दी भाषा में पाठ।", "বাংলা", "தமிழ்", "ქართული", "Հայերեն",
        "a\u0301\u0316b", "e\u0308\u0301\u0323", "o\u031b\u0323", "\u1ec7", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319algo",
        "😀😃😄", "👍🏻👍🏿", "👨‍👩‍👧‍👦 family", "🏳️‍🌈", "🇫🇷🇯🇵", "❤️", "🥹 🫶 🪿", "I ❤ NY",
        "zero\u200bwidth", "join\u200dner", "non\u200cjoiner", "soft\u00adhyphen", "\ufeffbom", "word\u2060joiner",
        "nul\u0000byte", "bell\u0007char", "del\u007fete", "esc\u001b[31mred", "tab\tand\vvt\fff", "nel\u0085next",
        "line\u2028sep\u2029para", "replacement\ufffdchar", "private\ue000use", "\U000f0000plane15",
        "Supercalifragilisticexpialidocious" * 3, "a" * 100, "a" * 101, "b" * 99 + "é", "é" * 101, "日" * 150,
        "pneumonoultramicroscopicsilicovolcanoconiosis", "x" * 500 + " end",
        "[CLS]", "[SEP]", "[CLS] hello [SEP] world", "[cls] lower", "[PAD][MASK][UNK]", "[[CLS]]", "a[SEP]b",
        "[ CLS ]", "[CLS", "##ing", "##", "#hashtag", "email@example.com", "https://example.com/path?q=1&b=2#frag",
        "C++ and C# and F#", "3.14159", "1,000,000", "$100.00 €50 £20", "50% off!!!", "e=mc^2", "x_1 + y_2",
        "don't won't can't", "U.S.A.", "Mr. Smith's", "\"quoted\" 'single'", "«guillemets»", "„low‑9“",
        "—em‑dash–en", "…ellipsis", "¿Qué? ¡Sí!", "semi;colon:colon", "(paren) [bracket] {brace} <angle>",
        "tab\tseparated\tvalues", "multiple     spaces", "  leading and trailing  ", "new\nline", "carriage\rreturn",
        "MiXeD CaSe WoRdS", "ALL CAPS SENTENCE", "ǈubljana", "ﬀ ﬃ ﬄ", "Ǆ", "ΐ", "İİİ", "ΆΈΉ",
    ]
    long_text = " ".join(f"word{i} and some more text, with punctuation!" for i in range(200))
    cases.append(long_text)
    cases.append("unbelievably " * 400)
    return cases


def encodings(tok, texts, max_lengths):
    out = []
    for text, n in zip(texts, max_lengths):
        tok.enable_truncation(n if n else MAX_LENGTH)
        out.append(tok.encode(text))
    return out


def main():
    model_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "models", "all-MiniLM-L6-v2")
    rng = random.Random(SEED)
    man_lines, man_paragraphs = man_texts(rng)
    singles = edge_cases() + man_lines + man_paragraphs + dict_words(rng) + generated(rng, 1800)
    single_max = [0] * len(singles)
    # A few singles with short max lengths.
    for _ in range(60):
        singles.append(rng.choice(man_paragraphs))
        single_max.append(rng.randint(3, 40))
    pool = singles[:]
    pairs, pair_max = [], []
    for _ in range(400):
        pairs.append([rng.choice(pool), rng.choice(pool)])
        pair_max.append(rng.choice([0, 0, 8, 9, 16, 17, 32, 64]))

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(model_dir, "tokenizer.json"), encoding="utf-8") as f:
        spec = json.load(f)
    spec["truncation"] = {"max_length": MAX_LENGTH, "strategy": "LongestFirst", "stride": 0, "direction": "Right"}
    spec["padding"] = None
    variants = {}
    for name, lowercase in (("uncased", True), ("cased", False)):
        s = json.loads(json.dumps(spec))
        s["normalizer"] = {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                           "strip_accents": None if lowercase else False, "lowercase": lowercase}
        path = os.path.join(OUT, f"{name}_tokenizer.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(s, f, ensure_ascii=False, separators=(",", ":"))
        variants[name] = (Tokenizer.from_file(path), lowercase)
    shutil.copy(os.path.join(model_dir, "vocab.txt"), os.path.join(OUT, "vocab.txt"))

    offsets_subset = list(range(len(edge_cases()))) + list(range(len(singles) - 1860, len(singles) - 1560))
    for name, (tok, lowercase) in variants.items():
        config = {"do_lower_case": lowercase, "strip_accents": None if lowercase else False,
                  "tokenize_chinese_chars": True, "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                  "cls_token": "[CLS]", "mask_token": "[MASK]", "model_max_length": 512,
                  "tokenizer_class": "BertTokenizer"}
        with open(os.path.join(OUT, f"{name}_tokenizer_config.json"), "w") as f:
            json.dump(config, f, indent=1)
        single_enc = encodings(tok, singles, single_max)
        pair_enc = []
        for (a, b), n in zip(pairs, pair_max):
            tok.enable_truncation(n if n else MAX_LENGTH)
            pair_enc.append(tok.encode(a, b))
        # The slow-tokenizer files must give the same ids through transformers.
        with tempfile.TemporaryDirectory() as slow_dir:
            shutil.copy(os.path.join(OUT, "vocab.txt"), slow_dir)
            shutil.copy(os.path.join(OUT, f"{name}_tokenizer_config.json"), os.path.join(slow_dir, "tokenizer_config.json"))
            fast = AutoTokenizer.from_pretrained(slow_dir)
        for text, n, enc in zip(singles, single_max, single_enc):
            ids = fast(text, truncation=True, max_length=n if n else MAX_LENGTH)["input_ids"]
            if ids != enc.ids:
                raise SystemExit(f"{name}: BertTokenizerFast from vocab.txt differs on {text!r}")
        golden = {
            "ids": [e.ids for e in single_enc],
            "offsets": {str(i): [list(o) for o in single_enc[i].offsets] for i in offsets_subset},
            "pair_ids": [e.ids for e in pair_enc],
            "pair_type_ids": [e.type_ids for e in pair_enc],
            "pair_offsets": [[list(o) for o in e.offsets] for e in pair_enc[:100]],
        }
        with open(os.path.join(OUT, f"golden_{name}.json"), "w", encoding="utf-8") as f:
            json.dump(golden, f, separators=(",", ":"))
    with open(os.path.join(OUT, "cases.json"), "w", encoding="utf-8") as f:
        json.dump({"singles": singles, "single_max_length": single_max, "pairs": pairs, "pair_max_length": pair_max,
                   "default_max_length": MAX_LENGTH}, f, ensure_ascii=False, separators=(",", ":"))
    print(f"{len(singles)} singles, {len(pairs)} pairs, offsets for {len(offsets_subset)}; written to {OUT}")


if __name__ == "__main__":
    main()
