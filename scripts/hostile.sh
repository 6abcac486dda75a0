#!/usr/bin/env bash
# Hostile-input probe of the built binary: every case must exit with a clear error (status 1..127, a
# message on stderr, no "Fatal error" or raw Foundation text) — never a signal, never exit 0. The same
# classes are asserted, with their expected messages, by Tests/CLITests/HostileInputTests.swift and
# OutputDirectoryTests.swift; this driver runs a wider net of neighbours quickly against any binary:
#   scripts/hostile.sh [path/to/embedtune]   (default .build/release/embedtune)
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/embedtune}
tiny=Tests/EncoderTests/Fixtures/tiny_bert
adapter=Tests/TrainingTests/Fixtures/tiny_adapter
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '{"anchor": "river water", "positive": "the river runs"}\n{"anchor": "film music", "positive": "music for a film"}\n' > "$work/pairs.jsonl"
printf 'a river\nmusic for a film\n' > "$work/docs.txt"
failures=0 cases=0

# expect_error DESCRIPTION -- ARGS...: the binary must refuse.
expect_error() {
    local what=$1; shift 2
    cases=$((cases + 1))
    "$bin" "$@" < /dev/null > "$work/out" 2> "$work/err"
    local status=$?
    if [ $status -eq 0 ] || [ $status -ge 128 ] || [ ! -s "$work/err" ] \
        || grep -qE 'Fatal error|NSCocoaErrorDomain|error 256' "$work/err"; then
        echo "FAIL ($status) $what: $(head -c 300 "$work/err")"
        failures=$((failures + 1))
    fi
}

train=(train --model "$tiny" --data "$work/pairs.jsonl" --output "$work/run" --threads 1 --batch-size 2 --max-steps 1)
for option in --lr --weight-decay --lora-alpha --lora-dropout --max-grad-norm --warmup-ratio --scale --dropout; do
    for value in nan inf -inf; do
        expect_error "train $option $value" -- "${train[@]}" "$option" "$value"
    done
done
expect_error "train --momentum nan" -- "${train[@]}" --optimizer sgd --momentum nan
expect_error "train --guide-margin inf" -- "${train[@]}" --guide base --guide-margin inf
for value in 0 -1 100000; do expect_error "train --lora-rank $value" -- "${train[@]}" --lora-rank "$value"; done
for value in 0 1 -3; do expect_error "train --max-length $value" -- "${train[@]}" --max-length "$value"; done
expect_error "train --lora-targets bogus" -- "${train[@]}" --lora-targets bogus
expect_error "train --matryoshka-dims 1e3" -- "${train[@]}" --matryoshka-dims 1e3
expect_error "train --output = --model" -- train --model "$tiny" --data "$work/pairs.jsonl" --output "$tiny" --full --threads 1
for option in --scale --threshold --max-step --floor; do
    expect_error "gradcheck $option nan" -- gradcheck --model "$tiny" "$option" nan
done
expect_error "gradcheck --lora-rank 0" -- gradcheck --model "$tiny" --lora-rank 0
for value in 0 1 -1; do expect_error "embed --max-length $value" -- embed --model "$tiny" --max-length "$value"; done
expect_error "embed --model FILE" -- embed --model "$tiny/model.safetensors"
expect_error "encode --input DIR" -- encode --model "$tiny" --db "$work/s.db" --input "$work"
expect_error "merge --output = --model" -- merge --model "$tiny" --adapter "$adapter" --output "$tiny"
expect_error "merge --output = --adapter" -- merge --model "$tiny" --adapter "$adapter" --output "$adapter" --overwrite
expect_error "merge --output contains --model" -- merge --model "$tiny" --adapter "$adapter" --output Tests --overwrite

# Broken copies of the model: one field each.
for edit in 'intermediate_size=10**9' 'intermediate_size=4096' 'vocab_size=10**10' 'num_hidden_layers=10**6' \
            'num_hidden_layers=300' 'hidden_size=10**7' 'max_position_embeddings=1' 'max_position_embeddings=0' \
            'layer_norm_eps=-1.0' 'layer_norm_eps=0.0' 'hidden_dropout_prob=1.5' 'attention_probs_dropout_prob=-0.5' \
            'pad_token_id=-1' 'type_vocab_size=0' 'num_attention_heads=0'; do
    rm -rf "$work/model" && cp -r "$tiny" "$work/model"
    python3 -c "import json,sys; p=sys.argv[1]; c=json.load(open(p)); k,v=sys.argv[2].split('=',1); c[k]=eval(v); json.dump(c,open(p,'w'))" \
        "$work/model/config.json" "$edit"
    expect_error "config.json $edit" -- embed --model "$work/model" --threads 1
done
for edit in 'max_seq_length=1' 'max_seq_length=0' 'max_seq_length=-5'; do
    rm -rf "$work/model" && cp -r "$tiny" "$work/model"
    python3 -c "import json,sys; p=sys.argv[1]; c=json.load(open(p)); k,v=sys.argv[2].split('=',1); c[k]=eval(v); json.dump(c,open(p,'w'))" \
        "$work/model/sentence_bert_config.json" "$edit"
    expect_error "sentence_bert_config.json $edit" -- embed --model "$work/model" --threads 1
done
for edit in 'use_dora=True' 'layers_to_transform=[0]' 'rank_pattern={"query":2}' 'alpha_pattern={"key":1}' \
            'modules_to_save=["pooler"]' 'r=0' 'r=10**6' 'target_modules=["bogus"]' 'exclude_modules="query"'; do
    rm -rf "$work/adapter" && cp -r "$adapter" "$work/adapter"
    python3 -c "import json,sys; p=sys.argv[1]; c=json.load(open(p)); k,v=sys.argv[2].split('=',1); c[k]=eval(v); json.dump(c,open(p,'w'))" \
        "$work/adapter/adapter_config.json" "$edit"
    expect_error "adapter_config.json $edit" -- embed --model "$tiny" --adapter "$work/adapter" --threads 1
done
echo "hostile.sh: $cases cases, $failures failed"
[ $failures -eq 0 ]
