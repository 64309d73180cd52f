"""The search tools run on the ``search`` extra alone: no PyTorch, sentence-transformers or ONNX."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import json, sys
    HEAVY = ["torch", "sentence_transformers", "transformers", "onnxruntime", "onnx",
             "langchain_text_splitters"]
    for name in HEAVY:
        sys.modules[name] = None  # `import torch` raises ImportError, find_spec says absent

    from langchain_gba.tools.search import InternetSearchTool, WikipediaSearchTool
    from langchain_gba.tools.search.wikipedia import Embedder, default_index

    index = default_index(show_progress=False)  # the shipped index, assembled into the cache
    tool = WikipediaSearchTool(index=index)
    sources = tool.retrieve("Find out who wrote the novel Nineteen Eighty-Four.")
    internet = InternetSearchTool(searxng_url="http://127.0.0.1:9", max_chars_per_source=40)
    best = internet._best_paragraphs(
        "How tall is the Eiffel Tower?",
        "Paris has many museums.\\n\\nThe Eiffel Tower is 330 metres tall.\\n\\nBread is baked.",
    )
    try:
        Embedder(backend="onnx-int8")
        refusal = ""
    except ImportError as e:
        refusal = str(e)
    print(json.dumps({
        "titles": [s.title for s in sources],
        "backend": index.embedder.backend,
        "best": best,
        "refusal": refusal,
        "loaded": sorted(n for n in HEAVY if sys.modules.get(n) is not None),
    }))
    """
)


def test_search_tools_work_without_pytorch(tmp_path: Path) -> None:
    env = {**os.environ, "GBA_CACHE_DIR": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert "Nineteen Eighty-Four" in result["titles"]
    assert result["backend"] == "numpy"
    assert result["best"] == "The Eiffel Tower is 330 metres tall."  # the best paragraph only
    assert "pip install 'langchain-gba[search]'" in result["refusal"]
    assert result["loaded"] == []
