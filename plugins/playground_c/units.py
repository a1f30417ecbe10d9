"""C units: top-level definitions, as tree-sitter finds them."""

from __future__ import annotations

from playground_c.scorer import parse, top_level_units


def units(text: str) -> list[tuple[int, int]]:
    """The (character) spans of the top-level units that a line end closes; a trailing one that
    fails to parse and runs to the end is one the text is still inside of, so it is left out."""
    data = text.encode("utf-8")
    found = top_level_units(parse(text).root_node, within_error=True)
    if found and not found[-1][2] and found[-1][1] >= len(data.rstrip()):
        found.pop()
    spans = _char_spans(text, len(data), found)
    return [(a, b) for a, b in spans if text[b - 1:b] == "\n" or text.find("\n", b) >= 0]


def _char_spans(text: str, size: int, found: list[tuple[int, int, bool]]) -> list[tuple[int, int]]:
    """Byte spans as character spans."""
    if size == len(text):
        return [(a, b) for a, b, _ in found]
    import numpy as np  # only for text beyond ASCII: the plugin loads without it (`playground domains`)

    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    width = 1 + (codes >= 0x80) + (codes >= 0x800) + (codes >= 0x10000)
    starts = np.concatenate(([0], np.cumsum(width)))  # the byte offset of each character, and the end
    bytes_ = np.array([offset for a, b, _ in found for offset in (a, b)], dtype=np.int64)
    chars = np.searchsorted(starts, bytes_).tolist()
    return list(zip(chars[0::2], chars[1::2]))
