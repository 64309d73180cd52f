#!/usr/bin/env bash
# Distil the 1.5B teacher into SmolLM2-135M and ship the student as a LoRA adapter, on this CPU:
# the trajectories of examples/record_teacher.sh (judged there) → export (answer rated >= 4,
# first tool fits the request's kind, no step whose task is rated below 4, repeats left out and
# final_answer taught where the teacher's repeats began, final tasks written plainly, the rarer
# first tools' first steps repeated up to 3× in the training split, no step that copies the
# planner prompt's field descriptions) → LoRA training → GGUF adapter with its
# card in langchain_gba/planner/adapters/ → the planners side by side on the held-out labelled
# requests (bench/distill.py, max 6 steps as recorded). Each stage resumes or is quick to redo.
#
#   examples/distill_planner.sh          # after examples/record_teacher.sh
#   RUN=runs/distill-2 examples/distill_planner.sh   # a new training (RUN's checkpoints resume)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RUN=${RUN:-runs/distill}
EPOCHS=${EPOCHS:-3}
NAME=${NAME:-smollm2-135m-planner}
rm -rf "$RUN/data"
$PY -m simulation export bench/data/teacher/teacher.jsonl --out "$RUN/data" \
  --match-kinds --min-task-rating 4 --answer-at-loops --plain-final-tasks --drop-echoes \
  --first-step-repeat 3 --test-size 0.1
$PY -m finetune train "$RUN/data" --base-model smollm2-135m-instruct --output-dir "$RUN/lora" \
  --epochs "$EPOCHS" --max-length 1024 --save-steps 50 \
  $(compgen -G "$RUN/lora/checkpoint-*" > /dev/null && echo --resume)
$PY -m finetune export-lora "$RUN/lora" --out "$RUN/$NAME.gguf"
cp "$RUN/$NAME.gguf" "$RUN/$NAME.json" langchain_gba/planner/adapters/
$PY bench/distill.py --split test --max-steps 6 --resume \
  --planners smollm2-zero-shot,smollm2-fine-tuned,qwen-1.5b-zero-shot,baseline
