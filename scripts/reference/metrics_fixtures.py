#!/usr/bin/env python3
"""Writes Tests/RetrievalTests/Fixtures/metrics_pytrec_eval.json: a seeded synthetic run and graded
qrels, with the per-query and mean values pytrec_eval (trec_eval 9) computes for them, so that the
Swift IRMetrics test can check its definitions to 1e-6 without Python.

Run:  pip install pytrec-eval-terrier   (or pytrec_eval)
      ${PYTHON:-python3} scripts/reference/metrics_fixtures.py

The run has score ties (scores rounded to 2 decimals; trec_eval breaks ties by document id
descending), unjudged retrieved documents, queries whose qrels are all grade 0, a run query without
qrels, and documents whose id equals their query's id (BEIR drops those before evaluating, as done
here; the Swift side drops them with ignoreIdenticalIDs). mrr@10 is trec_eval's recip_rank over the
top 10, i.e. recip_rank where it is >= 1/10 and 0 otherwise.
"""
import json
import random
from pathlib import Path

import pytrec_eval

SEED = 20240611
N_QUERIES = 50
N_DOCS = 300
RETRIEVED = 150

rng = random.Random(SEED)
docs = [f"d{i:03d}" for i in range(1, N_DOCS + 1)]
# A few queries share ids with documents (BEIR ignores such a document for its own query).
queries = [f"q{i:02d}" for i in range(1, N_QUERIES + 1 - 3)] + ["d007", "d150", "d299"]

qrels, run = {}, {}
for n, q in enumerate(queries):
    judged = rng.sample(docs, rng.randint(1, 25))
    if n % 17 == 5:
        qrels[q] = {d: 0 for d in judged}  # judged, none relevant
    else:
        qrels[q] = {d: rng.choice([0, 1, 1, 2]) for d in judged}
    retrieved = set(rng.sample(docs, RETRIEVED))
    retrieved |= set(rng.sample(judged, min(len(judged), rng.randint(0, 8))))  # push some judged docs in
    if q in docs:
        retrieved.add(q)
    scores = {}
    for d in sorted(retrieved):
        boost = 0.3 * qrels[q].get(d, 0)
        scores[d] = round(rng.random() + boost, 2)  # 2 decimals: many ties
    if q in docs:
        scores[q] = 9.0  # the identical id would rank first if it were not ignored
    run[q] = scores
run["q_no_qrels"] = {d: round(rng.random(), 2) for d in rng.sample(docs, 20)}

# BEIR (EvaluateRetrieval.evaluate, ignore_identical_ids=True) pops doc == query before pytrec_eval.
beir_run = {q: {d: s for d, s in scores.items() if d != q} for q, scores in run.items()}

measures = {"ndcg_cut.10", "recip_rank", "recall.10", "recall.100", "map_cut.100", "P.10"}
evaluated = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(beir_run)
assert set(evaluated) == set(qrels), "pytrec_eval evaluated a different query set"

per_query = {}
for q, v in evaluated.items():
    rr = v["recip_rank"]
    per_query[q] = {
        "ndcg@10": v["ndcg_cut_10"],
        "mrr@10": rr if rr >= 0.1 - 1e-12 else 0.0,
        "recall@10": v["recall_10"],
        "recall@100": v["recall_100"],
        "map@100": v["map_cut_100"],
        "p@10": v["P_10"],
    }
means = {m: sum(pq[m] for pq in per_query.values()) / len(per_query) for m in next(iter(per_query.values()))}

out = Path(__file__).resolve().parents[2] / "Tests/RetrievalTests/Fixtures/metrics_pytrec_eval.json"
out.write_text(json.dumps({
    "generator": "scripts/reference/metrics_fixtures.py",
    "pytrec_eval_measures": sorted(measures),
    "run": run, "qrels": qrels,
    "expected": {"per_query": per_query, "means": means},
}, sort_keys=True) + "\n")
print(f"wrote {out} ({out.stat().st_size} bytes); means: " + ", ".join(f"{k} {v:.4f}" for k, v in sorted(means.items())))
