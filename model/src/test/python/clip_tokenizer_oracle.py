"""transformers' CLIPTokenizer as the oracle for cnf's ClipTokenizer (ClipTokenizerOracleTest).

Builds SD1.x's tokenizer files (vocab.json, merges.txt) from CLIP's BPE merges the way openai/CLIP's simple_tokenizer
does, then encodes thousands of varied prompts with CLIPTokenizer (the slow one, cleaning text with ftfy as CLIP does)
and CLIPTokenizerFast, padded and truncated to 77 as Stable Diffusion's pipelines call it. Writes the tokenizer folder
and prompts.jsonl (kind, prompt, ids, fast_ids) into OUT. Prompts are drawn from a fixed seed: the same file every run.

Usage: clip_tokenizer_oracle.py OUT [COUNT]
"""
import gzip
import importlib.util
import json
import os
import random
import sys
import unicodedata

from transformers import CLIPTokenizer, CLIPTokenizerFast


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write_tokenizer(out):
    package = importlib.util.find_spec("open_clip").submodule_search_locations[0]  # located, not imported (no torch)
    lines = gzip.open(os.path.join(package, "bpe_simple_vocab_16e6.txt.gz")).read().decode("utf-8").split("\n")
    merges = [tuple(m.split()) for m in lines[1:49152 - 256 - 2 + 1]]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == 49408, len(vocab)
    with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")


WORDS = ("a photo of a red circle on a grey background, highly detailed, 4k, trending on artstation, oil painting of "
         "the old harbour at dawn with fishing boats cinematic lighting portrait of an astronaut riding a horse in "
         "the style of Studio Ghibli watercolor sketch vibrant colors minimalist logo isometric city night neon "
         "rain reflections bokeh macro shot of a dragonfly").split()
ACCENTED = ["café", "naïve", "façade", "crème brûlée", "São Paulo", "Zürich", "mañana", "Ærøskøbing", "Łódź", "İstanbul",
            "résumé", "Ångström", "Dvořák", "smörgåsbord", "jalapeño", "Straße", "ÉCOLE", "Øresund"]
EMOJI = ["🙂", "🔥", "🎨", "👩‍🚀", "👍🏽", "🇯🇵", "❤️", "🐉", "🌈✨", "🧑🏿‍🎨", "🏳️‍🌈", "😂😂😂", "⭐️", "☕"]
SCRIPTS = ["東京の夜景", "一只猫", "서울 야경", "кот в сапогах", "Ελληνικός ναός στο φως", "ΟΔΟΣ", "مدينة قديمة",
           "עיר עתיקה", "नदी किनारे", "ภูเขา", "Հայաստան", "ქართული"]
PUNCTUATION = ["!!!", "...", "?!?!", "—", "–", "…", "“quoted”", "‘single’", "it's", "don't", "they'll", "we've", "I'm",
               "(parenthesised)", "[bracketed]", "{braced}", "a/b", "x*y", "#hashtag", "@mention", "50%", "$100", "€20",
               "¿qué?", "¡olé!", "«guillemets»", "~tilde~", "^caret^", "a_b_c", "--flag", "::", ";;", "&amp;", "&lt;3",
               "<tag>", "| pipe |", "\"double\"", "''", "`tick`"]
NUMBERS = ["1", "42", "1234", "3.14159", "1,000,000", "2024-01-01", "12:30", "½", "²", "Ⅻ", "٣", "１２３", "0.5x", "8k",
           "1080p", "v1.5", "-7", "1e-4", "#1", "№5"]
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2003", "\u200b", "\u2028", " \t \n "]
MOJIBAKE = ["cafÃ©", "naÃ¯ve", "Ã¼ber", "donâ€™t", "â€œquotedâ€\x9d"]


def prompt(rng, kind):
    words = [rng.choice(WORDS) for _ in range(rng.randint(1, 12))]
    if kind == "plain":
        return " ".join(words)
    if kind == "case":
        return " ".join(w.upper() if rng.random() < 0.5 else w.capitalize() for w in words)
    if kind == "accents":
        words += [rng.choice(ACCENTED) for _ in range(rng.randint(1, 3))]
    elif kind == "accents-decomposed":
        words += [unicodedata.normalize("NFD", rng.choice(ACCENTED)) for _ in range(rng.randint(1, 3))]
    elif kind == "emoji":
        words += [rng.choice(EMOJI) for _ in range(rng.randint(1, 4))]
    elif kind == "scripts":
        words += [rng.choice(SCRIPTS) for _ in range(rng.randint(1, 3))]
    elif kind == "punctuation":
        words += [rng.choice(PUNCTUATION) for _ in range(rng.randint(1, 5))]
    elif kind == "numbers":
        words += [rng.choice(NUMBERS) for _ in range(rng.randint(1, 5))]
    elif kind == "whitespace":
        text = ""
        for w in words:
            text += w + rng.choice(SPACES)
        return rng.choice(SPACES) + text
    elif kind == "long":
        words = [rng.choice(WORDS + ACCENTED + PUNCTUATION + NUMBERS) for _ in range(rng.randint(60, 200))]
    elif kind == "mojibake":
        words += [rng.choice(MOJIBAKE)]
    rng.shuffle(words)
    return " ".join(words)


KINDS = ["plain", "case", "accents", "accents-decomposed", "emoji", "scripts", "punctuation", "numbers", "whitespace",
         "long", "mojibake"]


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5500
    os.makedirs(out, exist_ok=True)
    write_tokenizer(out)
    specials = dict(unk_token="<|endoftext|>", bos_token="<|startoftext|>", eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    slow = CLIPTokenizer(os.path.join(out, "vocab.json"), os.path.join(out, "merges.txt"), **specials)
    assert slow.fix_text is not None, "ftfy must be installed: CLIP cleans text with it"
    fast = CLIPTokenizerFast(vocab_file=os.path.join(out, "vocab.json"), merges_file=os.path.join(out, "merges.txt"), **specials)
    rng = random.Random(20261130)
    prompts = [(k, prompt(rng, k)) for i in range(count) for k in [KINDS[i % len(KINDS)]]]
    prompts += [("edge", p) for p in ["", " ", "a", "<|startoftext|>", "<|endoftext|>", "a <|endoftext|> b", "x" * 300,
                                        "word " * 76, "word " * 75, "word " * 74]]
    texts = [p for _, p in prompts]
    ids = slow(texts, padding="max_length", max_length=77, truncation=True)["input_ids"]
    fast_ids = fast(texts, padding="max_length", max_length=77, truncation=True)["input_ids"]
    with open(os.path.join(out, "prompts.jsonl"), "w", encoding="utf-8") as f:
        for (kind, text), a, b in zip(prompts, ids, fast_ids):
            f.write(json.dumps({"kind": kind, "prompt": text, "ids": a, "fast_ids": b}, ensure_ascii=False) + "\n")
    print(json.dumps({"prompts": len(prompts), "slow_fast_disagree": sum(a != b for a, b in zip(ids, fast_ids))}))


if __name__ == "__main__":
    main()
