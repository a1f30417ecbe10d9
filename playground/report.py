"""`playground report`: one self-contained HTML file about one run or several side by side.

It holds the runs' settings, corpus, size, device and time; the loss, validity (with the 95%
interval and the ceiling), verdict and speed charts (report_charts), runs overlaid; the samples
of each validity batch, oldest first, in their verdict's colour with the first error marked;
and the neuron view (report_neurons). No script, no link: a Content-Security-Policy forbids
loading anything, so the file opens offline and a sample's text can only ever be text.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Mapping, Sequence

from playground.domains import Domain
from playground.engine.config import flattened
from playground.report_neurons import Unit, neuron_html
from playground.run_history import RunHistory

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; } h3 { margin-bottom: .3em; }
table { border-collapse: collapse; font-size: 13px; } td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: left; }
tr.differs td { background: #fff6d5; } .note { color: #666; }
.sample { border-left: 4px solid; margin: .6em 0; padding: .2em .8em; background: #fafafa; }
.sample.valid { border-color: #2e7d32; } .sample.invalid { border-color: #c62828; }
.sample.undetermined { border-color: #999; }
.verdict { font-weight: 600; font-size: 12px; } .valid .verdict { color: #2e7d32; } .invalid .verdict { color: #c62828; }
pre { white-space: pre-wrap; word-break: break-word; margin: .3em 0; font-size: 12.5px; }
mark.first-error { background: #ffcdd2; outline: 1px solid #c62828; }
.neuron-text span { border-radius: 2px; }
"""
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def build(runs: Sequence[RunHistory], domains: Mapping[str, Domain], neuron: Unit | None = None,
          per_batch: int = 3) -> str:
    """The report's HTML; ``per_batch`` samples of each validity batch are shown."""
    from playground import report_charts as charts

    names = ", ".join(run.name for run in runs)
    sections = [
        ("settings", "Runs", _settings(runs)),
        ("loss", "Loss", charts.loss_chart(runs)),
        ("validity", "Validity", charts.validity_chart(runs) + _rates(runs)),
        ("categories", "Verdicts over training", "".join(charts.categories_chart(run) for run in runs)),
        ("speed", "Speed", charts.speed_chart(runs)),
        ("samples", "Samples as training went on", "".join(
            _evolution(run, domains.get(run.domain), per_batch) for run in runs)),
        ("neurons", "A neuron", "".join(
            f"<h3>{html.escape(run.name)}</h3>{neuron_html(run.folder, domains.get(run.domain), neuron)}"
            for run in runs)),
    ]
    body = "".join(f'<section id="{key}"><h2>{title}</h2>{content}</section>' for key, title, content in sections)
    snapshot = [run.name for run in runs if run.in_use]
    note = (f'<p class="note" id="snapshot">A snapshot: {html.escape(", ".join(snapshot))} was still training '
            "when this report was made.</p>" if snapshot else "")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
            f"<title>playground report: {html.escape(names)}</title><style>{STYLE}</style></head><body>"
            f"<h1>playground report: {html.escape(names)}</h1>"
            f'<p class="note">Made {time.strftime("%Y-%m-%d %H:%M")} by playground report.</p>{note}{body}</body></html>')


def _facts(run: RunHistory) -> dict[str, str]:
    start = run.starts[-1] if run.starts else None
    status = ("training now" if run.in_use else f"ended: {run.finish.reason}" if run.finish
              else "ended without a last row (killed?)")
    return {
        "domain": run.domain,
        "corpus": f"{run.config.get('corpus', '?')} (sha256 {str(run.config.get('corpus_sha256', '?'))[:16]}…)",
        "parameters": f"{start.n_params:,}" if start else "not logged",
        "device": start.device if start else "not logged",
        "steps": f"{run.last_step:,}",
        "training time": f"{run.elapsed_s / 60:.1f} min",
        "last validation loss": f"{run.evals[-1].val_loss:.4f} nats/char" if run.evals else "none yet",
        "status": status,
    }


def _table(columns: Sequence[str], rows: Mapping[str, Sequence[str]], mark_differences: bool) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ("", *columns))
    body = "".join(
        f'<tr{" class=differs" if mark_differences and len(set(values)) > 1 else ""}><th>{html.escape(key)}</th>'
        + "".join(f"<td>{html.escape(v)}</td>" for v in values) + "</tr>" for key, values in rows.items())
    return f"<table><tr>{head}</tr>{body}</table>"


def _settings(runs: Sequence[RunHistory]) -> str:
    names = [run.name for run in runs]
    facts = [_facts(run) for run in runs]
    flat = [{key: "" if value is None else str(value)
             for key, value in flattened({k: v for k, v in run.config.items() if isinstance(v, Mapping)}).items()}
            for run in runs]
    keys = list(dict.fromkeys(key for rows in flat for key in rows))
    settings = {key: [rows.get(key, "") for rows in flat] for key in keys}
    return (_table(names, {key: [f[key] for f in facts] for key in facts[0]}, False)
            + '<details><summary>Every setting (rows that differ between runs are marked)</summary>'
            + _table(names, settings, len(runs) > 1) + "</details>")


def _rates(runs: Sequence[RunHistory]) -> str:
    rows = {}
    for run in runs:
        last = next((v for v in reversed(run.validity) if v.valid_rate is not None), None)
        if last is None:
            rows[run.name] = ["no validity batch scored yet", "", ""]
            continue
        low, high = last.valid_ci or (0.0, 0.0)
        ceiling = "unknown" if last.ceiling is None else f"{last.ceiling:.0%}"
        rows[run.name] = [f"{last.valid_rate:.0%} ({low:.0%}–{high:.0%}) of {last.n} at step {last.step:,}",
                          ceiling, "" if not last.ceiling else f"{last.valid_rate / last.ceiling:.2f}"]
    return _table(["last valid rate (95% interval)", "ceiling: real text", "valid / ceiling"],
                  rows, False).replace("<th></th>", "<th>run</th>", 1)


def _evolution(run: RunHistory, domain: Domain | None, per_batch: int) -> str:
    """The first ``per_batch`` scored samples of each raw validity batch, oldest batch first."""
    refusal = _refusal_finder(domain, run.config)
    batches = sorted((step, samples) for (step, guided), samples in run.scored.items() if not guided)
    if not batches:
        return f"<h3>{html.escape(run.name)}</h3><p class=note>No scored samples yet.</p>"
    parts = [f"<h3>{html.escape(run.name)}</h3>"]
    for step, samples in batches:
        valid = sum(bool(s.score.get("valid")) for s in samples)
        parts.append(f'<h4 id="{html.escape(run.name, quote=True)}-step-{step}">Step {step:,}: '
                     f"{valid} of {len(samples)} valid</h4>")
        parts.extend(_sample(s.text, s.score, refusal) for s in samples[:per_batch])
    return "".join(parts)


def _sample(text: str, score: Mapping, refusal: Callable[[str], int | None] | None) -> str:
    valid, category = bool(score.get("valid")), str(score.get("category", ""))
    kind = "valid" if valid else "undetermined" if category == "undetermined" else "invalid"
    verdict = ("✓ valid" if valid else f"? no verdict: {score.get('detail', '')}" if kind == "undetermined"
               else f"✗ {category}: {score.get('detail', '')}")
    shown = html.escape(text)
    if kind == "invalid" and text and refusal is not None:
        at = refusal(text)
        where = len(text) if at is None else at
        tip = ("the domain's guide first refuses this character" if at is not None
               else "the guide allows every character: what is wrong is left open at the end")
        shown = (html.escape(text[:where]) + f'<mark class="first-error" title="{tip}">'
                 + (html.escape(text[where]) if at is not None else "⟂") + "</mark>" + html.escape(text[where + 1:]))
    return (f'<div class="sample {kind}"><span class="verdict">{html.escape(verdict)}</span>'
            f"<pre>{shown or '<i>(empty)</i>'}</pre></div>")


def _refusal_finder(domain: Domain | None, config: Mapping) -> Callable[[str], int | None] | None:
    """Where ``domain``'s guide first refuses a text (run as plugin code; None where it refuses
    none of it); no finder for a domain without a guide."""
    import inspect

    from playground.guide import walk
    from playground.scoring import plugin_call

    if domain is None or domain.guide is None:
        return None
    factory, length = domain.guide, int(config.get("sample", {}).get("length", 2000))
    told = "length" in inspect.signature(factory).parameters
    guide = plugin_call(domain.name, "guide", lambda: factory(length=length) if told else factory())
    return lambda text: plugin_call(domain.name, "guide", lambda: walk(guide, text)[1], n=1)
