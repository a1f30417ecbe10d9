"""C units: top-level definitions, as tree-sitter finds them."""

from __future__ import annotations

from playground_c.scorer import parse, top_level_units


def units(text: str) -> list[tuple[int, int]]:
    """The (character) spans of the top-level units that a newline follows; a trailing one
    that fails to parse and runs to the end is one the text is still inside of, so it is left out."""
    data = text.encode("utf-8")
    found = top_level_units(parse(text).root_node)
    if found and not found[-1][2] and found[-1][1] >= len(data.rstrip()):
        found.pop()
    chars = _char_offsets(text, len(data))
    spans = [(chars[start], chars[end]) for start, end, _ in found]
    return [(a, b) for a, b in spans if text.find("\n", b) >= 0]


def _char_offsets(text: str, size: int) -> list[int] | range:
    """For each UTF-8 byte offset into ``text``, the character offset it falls in."""
    if size == len(text):
        return range(size + 1)
    offsets = [i for i, char in enumerate(text) for _ in range(len(char.encode("utf-8")))]
    return offsets + [len(text)]
