#!/usr/bin/env bash
# Record the 1.5B teacher's trajectories for distillation, offline, on llama.cpp's llama-server
# (4 slots: the fastest recording measured on 2 cores; see the README's simulation section).
# Every step appends and resumes: run it again to continue where a stopped run left off.
#
#   examples/record_teacher.sh [N_REQUESTS]      # default 320
#
# Needs: make install-dev, scripts/build_llama_server.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-320}
PY=.venv/bin/python
OUT=bench/data/teacher
PORT=${PORT:-8091}
URL=http://127.0.0.1:$PORT/v1
TOOLS=calculator,wikipedia  # the default agent's tools (gba ask, the labelled benchmark)
mkdir -p "$OUT"
MODEL=$($PY -c 'from langchain_gba.models import resolve_model_path as r; print(r("qwen2.5-coder-1.5b-instruct"))')
# --no-repack where this llama.cpp build crashes repacking weights on this CPU (checked once)
NO_REPACK=$($PY -c 'import sys; from pathlib import Path; from langchain_gba.chat_models._repack import repack_works; print("" if repack_works(Path(sys.argv[1])) else "--no-repack")' "$MODEL")
.venv/bin/llama-server --model "$MODEL" --host 127.0.0.1 --port "$PORT" \
  --ctx-size 16384 --parallel 4 $NO_REPACK > "$OUT/llama-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
until curl -sf "$URL/models" > /dev/null; do sleep 1; done
# requests: written by the teacher, each batch of every labelled kind (direct ×2, single-step ×2,
# multi-step, calculation, ask_user ×2: the filters drop more of the direct and ask_user ones;
# the first 78 were written with one of each but single-step ×2), the single- and multi-step ones
# about random articles of the offline Wikipedia corpus; never the benchmark's requests or articles
$PY -m simulation requests "$OUT/requests.jsonl" -n "$N" --base-url "$URL" \
  --model qwen2.5-coder-1.5b-instruct --exclude bench/data/requests.jsonl --concurrency 4 \
  --max-request-steps 0 --ground-in wiki-offline-en --tools "$TOOLS" \
  --mix direct,direct,single_step,single_step,multi_step,calculation,ask_user,ask_user
# trajectories: the teacher planner (with the teacher fields; on its first step a hint from the
# request's generated kind and only the tools that fit it), twins and user on the same model
$PY -m simulation run "$OUT/requests.jsonl" --out "$OUT/teacher.jsonl" --planner teacher \
  --kind-hints --planner-model qwen2.5-coder-1.5b-instruct --base-url "$URL" --concurrency 4 \
  --tools "$TOOLS" --max-steps 6 --timeout 600  # slots share 2 cores: a call can wait minutes
# ratings: the 1.5B judges every trajectory (pass / bad-task / completion rates, with intervals)
$PY -m simulation evaluate "$OUT/teacher.jsonl" --judge-model qwen2.5-coder-1.5b-instruct \
  --base-url "$URL" --concurrency 4 --explanation-length 60 --report "$OUT/teacher-report.md" \
  --chart "$OUT/teacher-report.png"
