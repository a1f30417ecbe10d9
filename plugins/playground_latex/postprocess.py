"""LaTeX units (paragraphs and environments), and the repair of what a sample left open."""

from __future__ import annotations

import re

from playground.units import blocks

# Group 1: an environment's opening or closing; 2: its name; 3: a brace. Comments and
# escaped braces are matched first so that they are skipped.
TOKENS = re.compile(r"%[^\n]*|\\[{}%\\]|\\(begin|end)\s*\{([^{}\n]*)\}|([{}])")


def uncommented(text: str) -> str:
    """``text`` with its comments removed (``\\%`` is not one; line ends stay)."""
    return re.sub(r"\\[\\%]|%[^\n]*", lambda m: m.group(0) if m.group(0)[0] == "\\" else "", text)


def environments(text: str):
    """(start, "begin" | "end", name) for each \\begin and \\end outside comments."""
    for m in TOKENS.finditer(text):
        if m.group(1):
            yield m.start(), m.group(1), m.group(2)


def units(text: str) -> list[tuple[int, int]]:
    """Complete paragraphs and environments at depth 0: blank-line blocks, joined while an
    environment opened in one is still open (a block is complete once a blank line follows).
    ``document`` does not count: inside a whole chapter, its paragraphs are the units."""
    spans, start, depth = [], None, 0
    for a, b in blocks(text):
        start = a if start is None else start
        for _, kind, name in environments(text[a:b]):
            if name.strip() != "document":
                depth = depth + 1 if kind == "begin" else max(depth - 1, 0)
        if depth == 0:
            spans.append((start, b))
            start = None
    return spans


def repair(text: str) -> str:
    """Close open braces and environments; drop closings that match nothing.

    An ``\\end{x}`` that closes an environment further down the stack first closes the
    ones opened inside it.
    """
    out: list[str] = []
    stack: list[str] = []  # "{" or an environment name
    pos = 0
    for m in TOKENS.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        token = m.group(0)
        if m.group(3) == "{" or m.group(1) == "begin":
            stack.append("{" if m.group(3) else m.group(2))
        elif m.group(3) == "}" or m.group(1) == "end":
            want = "{" if m.group(3) else m.group(2)
            if want not in stack:
                continue  # a closing with no opening: drop it
            while stack[-1] != want:
                out.append(_closer(stack.pop()))
            stack.pop()
        out.append(token)
    out.append(text[pos:])
    tail = "".join(_closer(item) for item in reversed(stack))
    return "".join(out) + ("\n" + tail + "\n" if tail else "")


def _closer(item: str) -> str:
    return "}" if item == "{" else f"\\end{{{item}}}"
