#!/usr/bin/env bash
# Unpack llama.cpp's source as vendored in the installed llama-cpp-python's sdist (MIT), from PyPI:
# its converters (convert_lora_to_gguf.py for `python -m finetune export-lora`) and the server's
# source (scripts/build_llama_server.sh). Prints the llama.cpp folder.
#
#   scripts/llama_cpp_source.sh [PYTHON]      # → $VENV/llama-server-build/llama_cpp_python-V/vendor/llama.cpp
set -euo pipefail
PY=${1:-.venv/bin/python}
VENV=$(cd "$(dirname "$PY")/.." && pwd)
VERSION=$("$PY" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')
WORK="$VENV/llama-server-build"
mkdir -p "$WORK"
if [ ! -d "$WORK/llama_cpp_python-$VERSION" ]; then
  "$PY" -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$WORK" >&2
  tar -xzf "$WORK/llama_cpp_python-$VERSION.tar.gz" -C "$WORK"
fi
echo "$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
