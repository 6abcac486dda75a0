#!/usr/bin/env python3
"""Writes Tests/EncoderTests/Fixtures/prompt_embeddings.json: sentence-transformers' embeddings with prompts.

Two copies of the tiny fixture BERT (Tests/EncoderTests/Fixtures/tiny_bert) get prompts in their
config_sentence_transformers.json and are loaded from disk as users load them:
  "passage" model: {"query": "city people: ", "passage": "university film: "} (e5's naming), no default;
  "default" model: {"query": "city people: ", "document": "national team: ", "classify": "american state: "}
                   with default_prompt_name "classify".
For each: `encode_query`, `encode_document`, plain `encode` and `encode(prompt="...")`; for the first also
`encode(prompt_name="passage")`. (sentence-transformers adds {"query": "", "document": ""} to every model's
prompts, so the "passage" model embeds documents without a prompt unless asked by name.) The prompts use
words of the tiny vocabulary so that each prompt changes the tokens. Run from the repository root with the
real packages installed:
    pip install torch==2.13.0 sentence-transformers
    python3 scripts/reference/prompt_fixtures.py
"""
import json
import shutil
import tempfile
from pathlib import Path

from sentence_transformers import SentenceTransformer

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "EncoderTests" / "Fixtures"
TEXTS = ["how do I create a directory", "the river runs north to the sea", "music for a film",
         "mkdir creates a directory named pathname", "Grüße aus Köln"]
MODELS = {
    "passage": {"prompts": {"query": "city people: ", "passage": "university film: "}, "default_prompt_name": None},
    "default": {"prompts": {"query": "city people: ", "document": "national team: ", "classify": "american state: "},
                "default_prompt_name": "classify"},
}
PROMPT_TEXT = "between three: "


def rows(array):
    return [[float(x) for x in row] for row in array]


fixture = {"texts": TEXTS, "prompt_text": PROMPT_TEXT, "models": {}}
with tempfile.TemporaryDirectory() as scratch:
    for name, config in MODELS.items():
        directory = Path(scratch) / name
        shutil.copytree(FIXTURES / "tiny_bert", directory)
        (directory / "config_sentence_transformers.json").write_text(json.dumps(config))
        model = SentenceTransformer(str(directory), device="cpu")
        entry = {
            "config": config,
            "encode_query": rows(model.encode_query(TEXTS)),
            "encode_document": rows(model.encode_document(TEXTS)),
            "encode": rows(model.encode(TEXTS)),
            "encode_prompt": rows(model.encode(TEXTS, prompt=PROMPT_TEXT)),
            "no_prompt": rows(model.encode(TEXTS, prompt="")),
        }
        if name == "passage":
            entry["encode_prompt_name_passage"] = rows(model.encode(TEXTS, prompt_name="passage"))
        fixture["models"][name] = entry
(FIXTURES / "prompt_embeddings.json").write_text(json.dumps(fixture, indent=1) + "\n")
print("wrote", FIXTURES / "prompt_embeddings.json")
