"""Objects named on a command line: ``module:attribute`` or ``path/to/file.py:attribute``."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

from langchain_gba.exceptions import AgentConfigError

__all__ = ["import_object"]


def import_object(spec: str, *, what: str) -> Any:
    """The attribute ``spec`` names; a function of no arguments is called for its result.

    An object that is merely callable (a tool) is returned as it is.

    ``what`` names what the attribute should give, for the error messages ("a list of tools").

    Raises:
        AgentConfigError: the module or file cannot be imported, has no such attribute, or its
            function needs arguments.
    """
    where, _, attribute = spec.rpartition(":")
    if not where or not attribute:
        msg = f"{spec!r}: write module:attribute or path/to/file.py:attribute."
        raise AgentConfigError(msg)
    try:
        if where.endswith(".py"):
            path = Path(where)
            if not path.is_file():
                msg = f"{spec!r}: no file {where}."
                raise AgentConfigError(msg)
            name = f"_gba_import_{path.stem}"
            module_spec = importlib.util.spec_from_file_location(name, path)
            if module_spec is None or module_spec.loader is None:
                msg = f"{spec!r}: {where} cannot be imported."
                raise AgentConfigError(msg)
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module  # pydantic models of the file resolve their annotations
            module_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(where)
    except ImportError as e:
        msg = f"{spec!r}: cannot import {where} ({e})."
        raise AgentConfigError(msg) from e
    found = getattr(module, attribute, None)
    if found is None:
        msg = f"{spec!r}: {where} has no {attribute!r}."
        raise AgentConfigError(msg)
    if inspect.isfunction(found) or inspect.ismethod(found) or inspect.isbuiltin(found):
        try:
            found = found()
        except TypeError as e:
            msg = f"{spec!r}: {attribute}() with no arguments failed ({e}); name {what}, or a "
            msg += "function of no arguments that returns it."
            raise AgentConfigError(msg) from e
    return found
