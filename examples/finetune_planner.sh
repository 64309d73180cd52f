#!/usr/bin/env bash
# Fine-tune the embedded SmolLM2-135M as a planner, end to end on this CPU, from the trajectories
# recorded with the simulation pipeline in bench/data/finetune/ (SmolLM2-135M as the teacher,
# judged by the same model), then check the GGUF in the agent and compare tool selection with
# the base model on the held-out trajectories.
#
#   pip install -e '.[finetune]'      # or: make install-dev
#   bash examples/finetune_planner.sh  # ~20 min on 2 cores; STEPS=400 LIMIT= for a longer run
#
# With a real teacher, replace the first command by your own `python -m simulation export`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RUN=${RUN:-runs/smoke}
STEPS=${STEPS:-60}      # optimizer steps (batch 1 x grad-accum 2)
LIMIT=${LIMIT-40}       # held-out steps evaluated per model (empty: all)
BASE=${BASE:-smollm2-135m-instruct}

# every judged trajectory (the 135M teacher rarely finishes one: keep the unfinished ones too)
$PY -m simulation export bench/data/finetune/teacher.jsonl --out "$RUN/data" \
    --threshold 1 --include-incomplete --test-size 0.2
$PY -m finetune train "$RUN/data" --base-model "$BASE" --output-dir "$RUN/lora" \
    --max-steps "$STEPS" --max-length 512 --save-steps 20 --overwrite
$PY -m finetune merge "$RUN/lora" --out "$RUN/merged" --overwrite
$PY -m finetune export "$RUN/merged" --out "$RUN/gguf" --type q8_0
$PY -m finetune evaluate "$RUN/data" --model "$BASE" --model "$RUN/gguf/planner-q8_0.gguf" \
    ${LIMIT:+--limit "$LIMIT"} --out "$RUN/accuracy.json"
