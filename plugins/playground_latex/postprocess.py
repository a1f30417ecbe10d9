"""Post-processing of LaTeX samples: cut to complete units, or repair what is left open."""

from __future__ import annotations

import re

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


def complete(text: str) -> str:
    """Cut a sample to complete paragraphs and environments.

    A sample that does not end in a blank line loses its last (unfinished) paragraph;
    then everything from the outermost ``\\begin`` left open is dropped.
    """
    if not re.search(r"\n[ \t]*\n\s*$", text):
        blank = [m.start() for m in re.finditer(r"\n[ \t]*\n", text)]
        if blank:
            text = text[: blank[-1] + 1]
    stack: list[tuple[int, str]] = []
    for start, kind, name in environments(text):
        if kind == "begin":
            stack.append((start, name))
        elif stack and stack[-1][1] == name:
            stack.pop()
    if stack:
        text = text[: stack[0][0]]
    return text.rstrip() + "\n" if text.strip() else ""


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
