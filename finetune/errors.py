"""Errors of the fine-tuning pipeline: each says what is wrong and what to do about it."""

from __future__ import annotations

from langchain_gba.exceptions import GBAError

__all__ = [
    "BaseModelError",
    "DatasetError",
    "DiskSpaceError",
    "ExportError",
    "FinetuneError",
    "TargetModulesError",
]


class FinetuneError(GBAError):
    """Base class of the fine-tuning pipeline's errors."""


class DatasetError(FinetuneError, ValueError):
    """The training data is missing, empty or not in the exported format."""


class BaseModelError(FinetuneError, LookupError):
    """The base model cannot be found or loaded."""


class TargetModulesError(FinetuneError, ValueError):
    """LoRA target module names that the model does not have."""


class DiskSpaceError(FinetuneError, OSError):
    """Not enough free disk space for what a command will write."""


class ExportError(FinetuneError, RuntimeError):
    """The GGUF conversion, quantization or the check of its result failed."""
