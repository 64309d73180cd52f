"""Integer ranges as GBNF: a port of llama.cpp's ``build_min_max_int`` (json-schema-to-grammar.cpp).

llama-cpp-python's converter ignores ``minimum`` and ``maximum`` (a TODO in its code): the grammar
let a model write 0 for a duration of at least 5 minutes, and validation refused it. llama.cpp's own
converter writes the range digit by digit; this is that function, checked against every integer
from -3000 to 20000 for a set of ranges (tests).
"""

from __future__ import annotations

__all__ = ["int_range"]

_DIGITS = 16  # llama.cpp's decimals_left


def int_range(lo: int | None, hi: int | None) -> str:
    """A GBNF expression for the integers from ``lo`` to ``hi`` (None: unbounded that side)."""
    if lo is None and hi is None:
        msg = "At least one of the bounds must be set."
        raise ValueError(msg)
    if lo is not None and hi is not None and lo > hi:
        msg = f"No integer lies between {lo} and {hi}."
        raise ValueError(msg)
    out: list[str] = []
    _build(lo, hi, out, _DIGITS, top_level=True)
    return "".join(out)


def _digit_range(out: list[str], a: str, b: str) -> None:
    out.append(f"[{a}]" if a == b else f"[{a}-{b}]")


def _more_digits(out: list[str], least: int, most: int | None) -> None:
    out.append("[0-9]")
    if least == most == 1:
        return
    if least == most:
        out.append(f"{{{least}}}")
    else:
        out.append(f"{{{least},{'' if most is None else most}}}")


def _uniform_range(out: list[str], start: str, end: str) -> None:
    """Numbers of one length from ``start`` to ``end`` (digit strings of equal length)."""
    i = 0
    while i < len(start) and i < len(end) and start[i] == end[i]:
        i += 1
    if i > 0:
        out.append(f'"{start[:i]}"')
    if i < len(start) and i < len(end):
        if i > 0:
            out.append(" ")
        sub_len = len(start) - i - 1
        if sub_len > 0:
            start_sub, end_sub = start[i + 1 :], end[i + 1 :]
            zeros, nines = "0" * sub_len, "9" * sub_len
            end_reached = False
            out.append("(")
            if start_sub == zeros:
                _digit_range(out, start[i], chr(ord(end[i]) - 1))
                out.append(" ")
                _more_digits(out, sub_len, sub_len)
            else:
                out.append(f"[{start[i]}] (")
                _uniform_range(out, start_sub, nines)
                out.append(")")
                if ord(start[i]) < ord(end[i]) - 1:
                    out.append(" | ")
                    if end_sub == nines:
                        _digit_range(out, chr(ord(start[i]) + 1), end[i])
                        end_reached = True
                    else:
                        _digit_range(out, chr(ord(start[i]) + 1), chr(ord(end[i]) - 1))
                    out.append(" ")
                    _more_digits(out, sub_len, sub_len)
            if not end_reached:
                out.append(" | ")
                _digit_range(out, end[i], end[i])
                out.append(" ")
                _uniform_range(out, zeros, end_sub)
            out.append(")")
        else:
            out.append(f"[{start[i]}-{end[i]}]")


def _build(
    lo: int | None, hi: int | None, out: list[str], decimals: int, *, top_level: bool
) -> None:
    if lo is not None and hi is not None:
        if lo < 0 and hi < 0:
            out.append('"-" (')
            _build(-hi, -lo, out, decimals, top_level=True)
            out.append(")")
            return
        if lo < 0:
            out.append('"-" (')
            _build(0, -lo, out, decimals, top_level=True)
            out.append(") | ")
            lo = 0
        lo_s, hi_s = str(lo), str(hi)
        for digits in range(len(lo_s), len(hi_s)):
            _uniform_range(out, lo_s, "9" * digits)
            lo_s = "1" + "0" * digits
            out.append(" | ")
        _uniform_range(out, lo_s, hi_s)
        return
    fewer = max(decimals - 1, 1)
    if lo is not None:
        if lo < 0:
            out.append('"-" (')
            _build(None, -lo, out, decimals, top_level=False)
            out.append(") | [0] | [1-9] ")
            _more_digits(out, 0, decimals - 1)
        elif lo == 0:
            if top_level:
                out.append("[0] | [1-9] ")
                _more_digits(out, 0, fewer)
            else:
                _more_digits(out, 1, decimals)
        elif lo <= 9:
            c = str(lo)
            start = "1" if top_level else "0"
            if c > start:
                _digit_range(out, start, chr(ord(c) - 1))
                out.append(" ")
                _more_digits(out, 1, fewer)
                out.append(" | ")
            _digit_range(out, c, "9")
            out.append(" ")
            _more_digits(out, 0, fewer)
        else:
            lo_s = str(lo)
            c = lo_s[0]
            if c > "1":
                _digit_range(out, "1" if top_level else "0", chr(ord(c) - 1))
                out.append(" ")
                _more_digits(out, len(lo_s), fewer)
                out.append(" | ")
            _digit_range(out, c, c)
            out.append(" (")
            _build(int(lo_s[1:]), None, out, fewer, top_level=False)
            out.append(")")
            if c < "9":
                out.append(" | ")
                _digit_range(out, chr(ord(c) + 1), "9")
                out.append(" ")
                _more_digits(out, len(lo_s) - 1, fewer)
        return
    if hi is not None:
        if hi >= 0:
            if top_level:
                out.append('"-" [1-9] ')
                _more_digits(out, 0, fewer)
                out.append(" | ")
            _build(0, hi, out, decimals, top_level=True)
        else:
            out.append('"-" (')
            _build(-hi, None, out, decimals, top_level=False)
            out.append(")")
        return
    msg = "At least one of the bounds must be set."
    raise ValueError(msg)
