"""The base model: a Hugging Face model folder, or a GGUF file dequantized by transformers.

``resolve_base("smollm2-135m-instruct")`` (an embedded model name), a ``.gguf`` path or a folder
with ``config.json``. A GGUF file is dequantized once by transformers (``gguf_file=``) into a
Hugging Face folder in the cache (``$GBA_CACHE_DIR/hf/``): parsing a GGUF's metadata in Python
takes ~25 s per load, a folder loads in ~1 s, and QLoRA needs a folder to quantize from.
Everything that can be checked without the weights is checked first (``inspect_base``: the
architecture from the config, its linear layers on the meta device, the parameter count), so a
wrong target module or a full disk is reported in seconds.

A base model without a chat template (Gemma-3-270M base) gets ``PLAIN_TEMPLATE``, the format
``ChatLlamaCpp`` uses for such models: the tokenizer saved with the adapter carries it, the
merged model and its GGUF too, so training and inference see the same text.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finetune.disk import check_disk
from finetune.errors import BaseModelError, TargetModulesError
from langchain_gba.chat_models._llama import PLAIN_TEMPLATE
from langchain_gba.exceptions import ModelNotFoundError
from langchain_gba.models import EMBEDDED_MODELS, cache_dir, resolve_model_path

__all__ = [
    "ALL_LINEAR",
    "BaseInfo",
    "BaseSource",
    "dequantized_folder",
    "inspect_base",
    "load_model",
    "load_tokenizer",
    "lora_parameter_count",
    "resolve_base",
    "target_module_list",
]

logger = logging.getLogger(__name__)

ALL_LINEAR = "all-linear"
"""peft's name for every linear layer except the output head."""

_HINT = (
    "Pass a Hugging Face model folder (with config.json and the weights), a .gguf file, or an "
    f"embedded model name ({', '.join(EMBEDDED_MODELS)})."
)


@dataclass(frozen=True)
class BaseSource:
    """Where the base model's files are."""

    spec: str
    """What was asked for (a name or a path)."""
    directory: Path
    """A Hugging Face model folder (for a GGUF base: its dequantized copy in the cache)."""
    gguf: Path | None = None
    """The GGUF file the folder was made from, if any."""

    def describe(self) -> str:
        """A short label for logs and tables."""
        return str(self.gguf or self.directory)


@dataclass(frozen=True)
class BaseInfo:
    """What is known of a base model before its weights are loaded."""

    source: BaseSource
    config: Any
    architecture: str
    parameters: int
    linear_names: tuple[str, ...]
    """The distinct last names of its linear layers (``q_proj``...), output head excluded."""
    linear_shapes: dict[str, tuple[int, int]]
    """Full module name → (in_features, out_features) of every linear layer but the head."""


def resolve_base(spec: str | Path, *, on_status: Any = None) -> BaseSource:
    """Find the base model's files; dequantize a GGUF file into the cache on first use.

    Args:
        spec: a Hugging Face model folder, a ``.gguf`` file or an embedded model name.
        on_status: called with a message before a slow step (the first dequantization).

    Raises:
        BaseModelError: nothing at that path, a folder without ``config.json``, a file that is
            not GGUF, an unknown name, or a GGUF that transformers cannot load.
    """
    name = str(spec)
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            adapter = (path / "adapter_config.json").is_file()
            what = (
                "a LoRA adapter, not a full model: merge it first" if adapter else "no config.json"
            )
            raise BaseModelError(f"{path} is not a Hugging Face model folder ({what}). {_HINT}")
        return BaseSource(spec=name, directory=path.resolve())
    try:
        file = resolve_model_path(name)
    except ModelNotFoundError as e:
        raise BaseModelError(f"Base model {name!r} not found: {e} {_HINT}") from e
    with open(file, "rb") as f:
        magic = f.read(4)
    if magic != b"GGUF":
        raise BaseModelError(f"{file} is not a GGUF file (it does not start with 'GGUF'). {_HINT}")
    file = file.resolve()
    return BaseSource(spec=name, directory=dequantized_folder(file, on_status), gguf=file)


def dequantized_folder(gguf: Path, on_status: Any = None) -> Path:
    """The Hugging Face folder of a GGUF file's dequantized weights (made once, then reused).

    The folder is keyed by the file's path, size and modification time, and written under a
    temporary name first: a killed run leaves no half-written folder behind.
    """
    import torch

    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()
    target = cache_dir() / "hf" / f"{gguf.stem}-{key[:12]}"
    if (target / "config.json").is_file():
        return target
    if on_status is not None:
        on_status(f"dequantizing {gguf.name} into {target} (once)")
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    kwargs: dict[str, Any] = {"gguf_file": gguf.name}
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), **kwargs)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent),
            dtype=torch.float32,
            quantization_config=GgufConfig(dequantize=True),
            **kwargs,
        )
    except Exception as e:
        raise BaseModelError(
            f"transformers cannot load {gguf} ({type(e).__name__}: {e}). Its architecture may "
            "not be supported by transformers' GGUF loading: use a Hugging Face folder instead."
        ) from e
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:  # plain tensors now: drop the GGUF marker so that it saves
        quantizer.remove_quantization_config(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    check_disk(target.parent, model.num_parameters() * 4, "the dequantized base model")
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        try:
            os.replace(tmp, target)
        except OSError:  # another process made it meanwhile
            if not (target / "config.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def inspect_base(source: BaseSource) -> BaseInfo:
    """The config and layer layout, from the config alone (the model is built on ``meta``).

    Raises:
        BaseModelError: the config cannot be read, or transformers cannot build this
            architecture as a causal language model.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    try:
        config = AutoConfig.from_pretrained(str(source.directory))
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(config)
    except Exception as e:
        raise BaseModelError(
            f"Cannot load the base model {source.describe()} as a causal language model: "
            f"{type(e).__name__}: {e}"
        ) from e
    head = model.get_output_embeddings()
    shapes = {
        name: (module.in_features, module.out_features)
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and module is not head
    }
    architecture = (getattr(config, "architectures", None) or [type(model).__name__])[0]
    return BaseInfo(
        source=source,
        config=config,
        architecture=architecture,
        parameters=sum(p.numel() for p in model.parameters()),
        linear_names=tuple(sorted({n.rsplit(".", 1)[-1] for n in shapes})),
        linear_shapes=shapes,
    )


def target_module_list(info: BaseInfo, targets: str) -> list[str] | str:
    """Check LoRA target modules against the model: ``all-linear`` or comma-separated names.

    Returns:
        ``"all-linear"``, or the list of names (each matches the end of a module name).

    Raises:
        TargetModulesError: a name that matches no linear layer (the message lists them).
    """
    names = [t.strip() for t in targets.split(",") if t.strip()]
    if names == [ALL_LINEAR]:
        return ALL_LINEAR
    if not names:
        raise TargetModulesError(
            f"No target modules given. Use {ALL_LINEAR!r} or some of: "
            f"{', '.join(info.linear_names)}."
        )
    unknown = [
        n
        for n in names
        if not any(full == n or full.endswith(f".{n}") for full in info.linear_shapes)
    ]
    if unknown:
        raise TargetModulesError(
            f"{info.architecture} has no linear layer named {', '.join(map(repr, unknown))}. "
            f"Its linear layers: {', '.join(info.linear_names)} (or {ALL_LINEAR!r} for all)."
        )
    return names


def lora_parameter_count(info: BaseInfo, targets: list[str] | str, rank: int) -> int:
    """Trainable LoRA parameters: ``rank * (in + out)`` per targeted layer."""
    total = 0
    for full, (n_in, n_out) in info.linear_shapes.items():
        if targets == ALL_LINEAR or any(full == t or full.endswith(f".{t}") for t in targets):
            total += rank * (n_in + n_out)
    return total


def load_tokenizer(source: BaseSource) -> Any:
    """The base model's tokenizer, with a chat template (``PLAIN_TEMPLATE`` if it has none).

    Raises:
        BaseModelError: the tokenizer cannot be loaded.
    """
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source.directory))
    except Exception as e:
        raise BaseModelError(
            f"Cannot load the tokenizer of {source.describe()}: {type(e).__name__}: {e}"
        ) from e
    if not getattr(tokenizer, "chat_template", None):
        logger.info("%s has no chat template: using the plain template", source.describe())
        tokenizer.chat_template = PLAIN_TEMPLATE
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(source: BaseSource, *, dtype: Any = None, quantization_config: Any = None) -> Any:
    """The base model's weights.

    Args:
        source: from ``resolve_base``.
        dtype: a torch dtype (default float32).
        quantization_config: a ``BitsAndBytesConfig`` for QLoRA (the model goes to GPU 0).

    Raises:
        BaseModelError: the weights cannot be loaded.
    """
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": dtype or torch.float32}
    if quantization_config is not None:
        kwargs.update(quantization_config=quantization_config, device_map={"": 0})
    try:
        return AutoModelForCausalLM.from_pretrained(str(source.directory), **kwargs)
    except Exception as e:
        raise BaseModelError(
            f"Cannot load the weights of {source.describe()}: {type(e).__name__}: {e}"
        ) from e
