"""Post-processing of Wikipedia samples: cut to complete lines."""

from __future__ import annotations


def cut_to_last_newline(text: str) -> str:
    """Drop the unfinished line after the last newline (the newline stays).

    A sample without a newline is one line, which in wikitext may be a whole paragraph, so
    it is kept as it is rather than cut to nothing; a blank result becomes "".
    """
    end = text.rfind("\n")
    if end >= 0:
        text = text[: end + 1]
    return text if text.strip() else ""
