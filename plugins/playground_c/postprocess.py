"""Post-processing of C samples: cut to complete top-level definitions."""

from __future__ import annotations

from playground_c.scorer import parse, top_level_units


def complete(text: str) -> str:
    """Drop a trailing definition that the sample ends inside of (it fails to parse and runs
    to the end of the sample); everything before it is kept as it is."""
    data = text.encode("utf-8")
    units = top_level_units(parse(text).root_node)
    if units and not units[-1][2] and units[-1][1] >= len(data.rstrip()):
        data = data[: units[-1][0]]
    return data.decode("utf-8", "replace").rstrip() + "\n" if data.strip() else ""
