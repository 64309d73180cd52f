"""Quantize a GGUF file with llama.cpp's ``llama_model_quantize`` (llama-cpp-python's binding).

Run as a script by ``finetune.export`` (llama.cpp logs every tensor to stderr, which a
subprocess keeps out of the terminal)::

    python _quantize.py SOURCE.gguf TARGET.gguf q4_k_m [THREADS]
"""

from __future__ import annotations

import ctypes
import sys

QUANT_TYPES = {
    "q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0",
    "q6_k": "LLAMA_FTYPE_MOSTLY_Q6_K",
    "q5_k_m": "LLAMA_FTYPE_MOSTLY_Q5_K_M",
    "q4_k_m": "LLAMA_FTYPE_MOSTLY_Q4_K_M",
    "q4_0": "LLAMA_FTYPE_MOSTLY_Q4_0",
}


def quantize(source: str, target: str, kind: str, threads: int = 0) -> int:
    """Write ``target`` as ``kind``; returns llama.cpp's status (0: success)."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, QUANT_TYPES[kind])
    params.nthread = threads
    return int(
        llama_cpp.llama_model_quantize(source.encode(), target.encode(), ctypes.byref(params))
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) not in (3, 4) or args[2] not in QUANT_TYPES:
        sys.exit(f"usage: _quantize.py SOURCE TARGET {{{','.join(QUANT_TYPES)}}} [THREADS]")
    sys.exit(quantize(args[0], args[1], args[2], int(args[3]) if len(args) == 4 else 0))
