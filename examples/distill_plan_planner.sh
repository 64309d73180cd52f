#!/usr/bin/env bash
# Distil the 1.5B teacher's plans into SmolLM2-135M (a plan-ahead student), on this CPU: the
# plans of examples/record_teacher_plans.sh → export → LoRA training with a checkpoint per epoch
# → each checkpoint as a GGUF adapter with its card ("format": "ahead"), measured on the dev
# requests written apart (bench/data/apart/dev, dev2 and dev3.jsonl, 158 requests) → the one with
# the most correct answers (then first tools right) beside the teacher on the held-out test
# requests written apart. BASE picks the student's base model (any embedded model name).
# Each stage resumes or is quick.
#
# The export keeps: answered runs rated >= 4 (--unjudged: a run the judge has not rated passes);
# runs whose first tool fits the kind the request was written for (--match-kinds: the writer and
# the teacher agree; a lookup's first plan is the one after a refused answer from memory); that
# plan taught where the refused one was written (--hoist-refused: the student searches at once);
# no run that needed more than 3 plans; the rarer first tools' first plans repeated up to 3×; the
# tools in an order of each example's own; no request that nearly copies one written apart (the
# generator wrote "How many days are in a week?" twice: word overlap >= 0.8, --exclude).
#
#   examples/distill_plan_planner.sh          # after examples/record_teacher_plans.sh
#   RUN=runs/plans-2 EPOCHS=2 examples/distill_plan_planner.sh
#   RUN=runs/plans-05b BASE=qwen2.5-coder-0.5b-instruct NAME=qwen-0.5b-plans EPOCHS=2 \
#     examples/distill_plan_planner.sh   # the 0.5B of round 19 (from runs/plans-2/data)
#   # the 0.5B taught on: round 19's adapter, one more epoch at half the rate on the plans of
#   # both recordings (teacher-plans-2: questions back and everyday knowledge)
#   RUN=runs/plans-05b-2 BASE=qwen2.5-coder-0.5b-instruct NAME=qwen-0.5b-plans EPOCHS=1 \
#     LR=1e-4 INIT=runs/plans-05b/lora TEACHER="bench/data/teacher-plans/teacher.jsonl \
#     bench/data/teacher-plans-2/teacher.jsonl" examples/distill_plan_planner.sh
#   # the 135M taught without thoughts (steps only: ~40% fewer tokens per plan), on both
#   RUN=runs/plans-135-3 THOUGHTS=0 TEACHER="bench/data/teacher-plans/teacher.jsonl \
#     bench/data/teacher-plans-2/teacher.jsonl" examples/distill_plan_planner.sh
#   # the same on all three recordings (round 22: no held-out gain, not shipped)
#   RUN=runs/plans-135-4 THOUGHTS=0 EPOCHS=2 TEACHER="bench/data/teacher-plans/teacher.jsonl \
#     bench/data/teacher-plans-2/teacher.jsonl bench/data/teacher-plans-3/teacher.jsonl" \
#     examples/distill_plan_planner.sh
#   # the same data and recipe with another seed (round 29: how far a retraining moves the figures)
#   SEED=1 RUN=runs/plans-135-6s1 THOUGHTS=0 EPOCHS=1 LR=1e-4 INIT=runs/plans-135-3/lora \
#     examples/distill_plan_planner.sh   # with runs/plans-135-6/data copied into RUN first
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RUN=${RUN:-runs/distill-plans}
EPOCHS=${EPOCHS:-3}
NAME=${NAME:-smollm2-135m-plans}
BASE=${BASE:-smollm2-135m-instruct}
TEACHER=${TEACHER:-bench/data/teacher-plans/teacher.jsonl}  # one or more run files
LR=${LR:-2e-4}
INIT=${INIT:-}  # an adapter folder to train on from (finetune train --init-adapter)
THOUGHTS=${THOUGHTS:-1}  # 0: the plans' thoughts taught empty (export --no-thoughts)
SEED=${SEED:-0}  # the training's seed (the data order): another seed measures how much it moves
# the rows of the held-out run (the teacher's row is the same for every student: drop it to
# compare with an earlier run's)
TEST_PLANNERS=${TEST_PLANNERS:-smollm2-candidate,qwen-1.5b-zero-shot}
if [ ! -f "$RUN/data/train.jsonl" ]; then
  # shellcheck disable=SC2086  # TEACHER may name several files
  $PY -m simulation export $TEACHER --out "$RUN/data" --plans --unjudged --match-kinds \
    --hoist-refused --max-plans 3 --first-step-repeat 3 --test-size 0.1 \
    --exclude bench/data/apart/test.jsonl --exclude bench/data/apart/dev.jsonl \
    --exclude bench/data/apart/dev2.jsonl --exclude bench/data/apart/dev3.jsonl \
    $([ "$THOUGHTS" = 0 ] && echo --no-thoughts)
fi
ROWS=$(wc -l < "$RUN/data/train.jsonl")
PER_EPOCH=$(( (ROWS + 1) / 2 ))  # optimizer steps per epoch: batch 1, gradient accumulation 2
$PY -m finetune train "$RUN/data" --base-model "$BASE" --output-dir "$RUN/lora" \
  --epochs "$EPOCHS" --lr "$LR" --max-length 1024 --save-steps "$PER_EPOCH" --seed "$SEED" \
  --save-total-limit "$EPOCHS" ${INIT:+--init-adapter "$INIT"} \
  $(compgen -G "$RUN/lora/checkpoint-*" > /dev/null && echo --resume)
# every epoch's checkpoint on the dev requests written apart (the student's row only)
DEV="$RUN/dev-requests.jsonl"
cat bench/data/apart/dev.jsonl bench/data/apart/dev2.jsonl bench/data/apart/dev3.jsonl > "$DEV"
for CKPT in "$RUN"/lora/checkpoint-*; do
  STEP=${CKPT##*-}
  [ -f "$RUN/$NAME-$STEP.gguf" ] || $PY -m finetune export-lora "$CKPT" --out "$RUN/$NAME-$STEP.gguf"
  $PY bench/distill.py --requests "$DEV" --split dev --internet \
    --out "$RUN/dev-$STEP" --resume --candidate "$RUN/$NAME-$STEP.gguf" --planners smollm2-candidate
done
BEST=$($PY - "$RUN" <<'EOF'
import json, sys
from pathlib import Path
scores = {}
for report in Path(sys.argv[1]).glob("dev-*/distill-dev.json"):
    s = json.loads(report.read_text())["summary"]["smollm2-candidate"]
    scores[report.parent.name[4:]] = (s["answer_ok"], s["first_tool_ok"])
print(max(scores, key=lambda k: (*scores[k], -int(k))))
EOF
)
echo "dev's choice: checkpoint-$BEST"
[ -f "$RUN/$NAME.gguf" ] || $PY -m finetune export-lora "$RUN/lora/checkpoint-$BEST" --out "$RUN/$NAME.gguf"
$PY bench/distill.py --requests bench/data/apart/test.jsonl --split test --internet \
  --out "$RUN/test" --resume --candidate "$RUN/$NAME.gguf" \
  --planners "$TEST_PLANNERS"
