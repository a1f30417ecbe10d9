"""The report's neuron view: a passage of validation text coloured by one unit's activation,
as in the post's figures (red for +1, blue for -1), each character's tooltip giving the value
and the model's likeliest next characters.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from playground.domains import Domain
from playground.errors import PlaygroundError

PASSAGE = 800  # characters of validation text


@dataclass(frozen=True)
class Unit:
    layer: int  # 1-based, as the TUI shows it
    unit: int  # 0-based

    @classmethod
    def parse(cls, text: str) -> Unit:
        """``LAYER:UNIT``, e.g. ``2:17``; a PlaygroundError for anything else."""
        layer, colon, unit = text.partition(":")
        if not (colon and layer.isdigit() and unit.isdigit() and int(layer) >= 1):
            raise PlaygroundError(f"--neuron {text!r}: give LAYER:UNIT, e.g. 1:42 (layers count from 1)")
        return cls(int(layer), int(unit))


def shade(value: float) -> str:
    """The colours of an activation in [-1, 1]: a background white at 0, red towards +1, blue
    towards -1, and white text on the deep blues, where black would not read."""
    v = max(-1.0, min(1.0, value))
    fade = int(255 * (1 - abs(v)))
    if v > 0:
        return f"background:rgb(255,{fade},{fade})"
    return f"background:rgb({fade},{fade},255)" + (";color:#fff" if v < -0.65 else "")


def neuron_html(run_dir: Path, domain: Domain | None, wanted: Unit | None) -> str:
    """The coloured passage for ``wanted`` (default: the unit that follows one of the text's
    features most closely), or a line saying why there is none."""
    from playground.run_folder import find_checkpoint

    try:
        checkpoint = find_checkpoint(run_dir, "best", "last")
        if domain is None:
            raise PlaygroundError("the run's domain is not registered here, so there is no validation text")
        trace = _trace(checkpoint, domain)
    except PlaygroundError as exc:
        return f'<p class="note">No neuron view: {html.escape(str(exc))}</p>'
    layers, _, hidden = trace.activations.shape
    unit, why = _chosen(trace, wanted)
    if unit.layer > layers or unit.unit >= hidden:
        raise PlaygroundError(f"--neuron {unit.layer}:{unit.unit}: the model has {layers} layer(s) of {hidden} units")
    values = trace.activations[unit.layer - 1, :, unit.unit].tolist()
    spans = "".join(_span(char, value, top) for char, value, top in zip(trace.text, values, trace.top))
    return (f'<p class="neuron-caption">Layer {unit.layer} unit {unit.unit} of {checkpoint.name} '
            f'({trace.kind} activation), {html.escape(why)}. Hover a character for its value and the '
            f'likeliest next characters.</p><pre class="neuron-text">{spans}</pre>')


def _trace(checkpoint: Path, domain: Domain):
    from playground.corpora import corpus_text
    from playground.engine.split import train_size
    from playground.neurons import passage, trace
    from playground.sampling import load_sampler

    sampler = load_sampler(checkpoint, {}, domain)
    text = corpus_text(domain)
    return trace(sampler.model, sampler.vocab, passage(text[train_size(len(text)):], PASSAGE))


def _chosen(trace, wanted: Unit | None) -> tuple[Unit, str]:
    from playground.neurons import FEATURES, rank_units

    if wanted is not None:
        return wanted, "as asked (--neuron)"
    best = max(((feature, *rank_units(trace, feature, top=1)[0]) for feature in FEATURES), key=lambda r: abs(r[3]))
    feature, layer, unit, r = best
    return Unit(layer + 1, unit), f"the unit that follows “{feature}” most closely in this passage (r = {r:+.2f})"


def _span(char: str, value: float, top: list[tuple[str, float]]) -> str:
    guesses = ", ".join(f"{c!r} {p:.0%}" for c, p in top)
    title = html.escape(f"{value:+.2f} · next: {guesses}", quote=True)
    shown = "↵\n" if char == "\n" else html.escape(char)  # ⏎ is missing from common fonts
    return f'<span style="{shade(value)}" title="{title}">{shown}</span>'
