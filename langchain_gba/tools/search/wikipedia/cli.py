"""``gba index ...``: build, inspect and query Wikipedia indexes from the command line.

Runs on its own too: ``python -m langchain_gba.tools.search.wikipedia.cli build --help``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from langchain_gba.tools.search.exceptions import SearchIndexError
from langchain_gba.tools.search.wikipedia.builder import build_index, default_index_path
from langchain_gba.tools.search.wikipedia.corpus import BUILTIN_CORPORA, DEFAULT_CORPUS, load_corpus
from langchain_gba.tools.search.wikipedia.embedding import DEFAULT_EMBEDDING_MODEL, Embedder
from langchain_gba.tools.search.wikipedia.index import WikipediaIndex

__all__ = ["index_app"]

index_app = typer.Typer(
    name="index",
    help="Build, inspect and query local Wikipedia indexes (quantized FAISS).",
    no_args_is_help=True,
)
console = Console()


def _folder(folder: Path | None) -> Path:
    return folder if folder is not None else default_index_path()


@index_app.command()
def build(
    corpus: Annotated[
        str,
        typer.Argument(
            help=f"A JSONL file (title, text, url per line) or one of: {', '.join(BUILTIN_CORPORA)}"
        ),
    ] = DEFAULT_CORPUS,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Index folder (default for a built-in corpus: the demo index)."
        ),
    ] = None,
    model: Annotated[
        str, typer.Option(help="Embedding model: a name or sentence-transformers folder.")
    ] = DEFAULT_EMBEDDING_MODEL,
    backend: Annotated[
        str, typer.Option(help="Embedding backend: onnx-int8, onnx or torch.")
    ] = "onnx-int8",
    max_tokens: Annotated[int, typer.Option(help="Tokens per passage (model window).")] = 128,
    batch_size: Annotated[int, typer.Option(help="Passages per embedding batch.")] = 16,
    limit: Annotated[int | None, typer.Option(help="Index only the first N documents.")] = None,
) -> None:
    """Chunk, embed and quantize a corpus into an index folder."""
    if backend not in ("onnx-int8", "onnx", "torch"):
        raise typer.BadParameter("use onnx-int8, onnx or torch", param_hint="--backend")
    try:
        docs = load_corpus(corpus)
    except (ImportError, ValueError) as e:
        console.print(f"[red]{e}")
        raise typer.Exit(1) from e
    docs = docs[:limit] if limit else docs
    if out is None and corpus not in BUILTIN_CORPORA:
        console.print("[red]Say where to write the index of a corpus file: --out FOLDER")
        raise typer.Exit(2)
    folder = out if out is not None else default_index_path(corpus, backend=backend)  # type: ignore[arg-type]
    embedder = Embedder(model, backend=backend, max_seq_length=max_tokens)  # type: ignore[arg-type]
    start = time.perf_counter()
    index = build_index(docs, embedder=embedder, batch_size=batch_size, corpus=corpus)
    index.save(folder)
    seconds = time.perf_counter() - start
    console.print(
        f"Indexed {len(docs):,} documents as {len(index):,} passages in {seconds:.0f} s "
        f"({len(index) / seconds:.0f} passages/s) → {folder}"
    )


@index_app.command()
def info(
    folder: Annotated[
        Path | None, typer.Argument(help="Index folder (default: the demo index).")
    ] = None,
) -> None:
    """Show an index's metadata and check its files."""
    folder = _folder(folder)
    try:
        index = WikipediaIndex.load(folder, verify_checksums=True)
    except SearchIndexError as e:
        console.print(f"[red]{e}")
        raise typer.Exit(1) from e
    m = index.metadata
    table = Table(title=str(folder), show_header=False)
    rows = {
        "corpus": m.corpus or "?",
        "documents": f"{m.documents:,}",
        "passages": f"{m.count:,}",
        "embedding model": m.embedding_model,
        "embedding backend": f"{m.embedding_backend}, {m.max_seq_length} tokens",
        "dimension": str(m.dimension),
        "in memory": f"{m.quantization['bytes_per_vector_in_memory']} B/vector (binary)",
        "memory-mapped": f"{m.quantization['bytes_per_vector_mapped']} B/vector (int8)",
        "float32 flat": f"{4 * m.dimension} B/vector",
        "corpus sha256": m.corpus_checksum[:16] + "…",
        "format": str(m.format_version),
        "created": m.created,
    }
    for key, value in rows.items():
        table.add_row(key, value)
    console.print(table)


@index_app.command()
def query(
    text: Annotated[str, typer.Argument(help="What to search for.")],
    folder: Annotated[
        Path | None, typer.Option("--index", "-i", help="Index folder (default: the demo index).")
    ] = None,
    k: Annotated[int, typer.Option("-k", help="Passages to show.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """Search an index and print the best passages (no LLM)."""
    folder = _folder(folder)
    try:
        index = WikipediaIndex.load(folder)
    except SearchIndexError as e:
        console.print(f"[red]{e}")
        raise typer.Exit(1) from e
    for hit in index.search(text, k):
        p = hit.passage
        if as_json:
            record = {"score": round(hit.score, 4), "title": p.title, "url": p.url, "text": p.text}
            typer.echo(json.dumps(record, ensure_ascii=False))
        else:
            console.print(f"[bold]{hit.score:.3f}  {p.title}[/bold]  {p.url}")
            console.print(f"  {p.text[:300]}")


if __name__ == "__main__":
    index_app()
