#!/usr/bin/env bash
# Distil the 1.5B teacher's plans into SmolLM2-135M (a plan-ahead student), on this CPU: the
# plans of examples/record_teacher_plans.sh (judged there) → export (answer rated >= 4; not an
# empty plan whose answer the agent refused, i.e. a lookup answered from memory, whose next plan
# is kept; no run that needed more than 3 plans; the rarer first tools' first plans repeated up
# to 3×; the tools in an order of each example's own) → LoRA
# training → GGUF adapter with its card ("format": "ahead") → the planners side by side on the
# held-out requests written apart (bench/data/apart, five tools). Each stage resumes or is quick.
#
#   examples/distill_plan_planner.sh          # after examples/record_teacher_plans.sh
#   RUN=runs/plans-2 EPOCHS=2 examples/distill_plan_planner.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RUN=${RUN:-runs/distill-plans}
EPOCHS=${EPOCHS:-2}
NAME=${NAME:-smollm2-135m-plans}
SPLIT=${SPLIT:-dev}
rm -rf "$RUN/data"
# --unjudged: the shipped run's judge was stopped after 44 of the 226 trajectories to leave time
# to train (its ratings apply where they exist; every other answered run passes)
$PY -m simulation export bench/data/teacher-plans/teacher.jsonl --out "$RUN/data" --plans \
  --unjudged --drop-refused --max-plans 3 --first-step-repeat 3 --test-size 0.1
$PY -m finetune train "$RUN/data" --base-model smollm2-135m-instruct --output-dir "$RUN/lora" \
  --epochs "$EPOCHS" --max-length 1024 --save-steps 50 \
  $(compgen -G "$RUN/lora/checkpoint-*" > /dev/null && echo --resume)
$PY -m finetune export-lora "$RUN/lora" --out "$RUN/$NAME.gguf"
$PY bench/distill.py --requests bench/data/apart/$SPLIT.jsonl --split "$SPLIT" --internet \
  --out "$RUN/bench" --resume --candidate "$RUN/$NAME.gguf" \
  --planners smollm2-candidate,qwen-1.5b-zero-shot
