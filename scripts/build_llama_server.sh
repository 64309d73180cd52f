#!/usr/bin/env bash
# Build llama.cpp's C++ server (llama-server: parallel slots, continuous batching) from the source
# vendored in the llama-cpp-python sdist of the installed version (MIT), offline apart from PyPI.
#
#   scripts/build_llama_server.sh [PYTHON]      # → $VENV/bin/llama-server (~6 min on 2 cores)
#
# LlamaServer(binary="llama-server") and `python -m simulation ...` use it; see the README.
set -euo pipefail
PY=${1:-.venv/bin/python}
VENV=$(cd "$(dirname "$PY")/.." && pwd)
SRC=$("$(dirname "$0")/llama_cpp_source.sh" "$PY")
WORK=$(cd "$SRC/../../.." && pwd)
VERSION=$("$PY" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')
# Only the server: no tests, examples, web UI download, HTTPS or curl.
cmake -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
  -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF > "$WORK/configure.log"
cmake --build "$WORK/build" --target llama-server -j "$(nproc)" > "$WORK/build.log"
cp "$WORK/build/bin/llama-server" "$VENV/bin/llama-server"
echo "$VENV/bin/llama-server (llama.cpp from llama-cpp-python $VERSION)"
