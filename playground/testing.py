"""Helpers for testing a domain plugin: ``check_domain`` is the contract every domain meets.

    from playground.testing import check_domain

    def test_my_domain():
        check_domain(my_domain, valid=["a known-good sample"], invalid=["an obviously broken one"])

It raises AssertionError, saying which part of the contract failed.
"""

from __future__ import annotations

from collections.abc import Sequence

from playground.domains import Corpus, Domain, Score
from playground.engine.config import SampleConfig
from playground.errors import PlaygroundError
from playground.guide import CharSet, first_refusal
from playground.held_out import held_out_text, held_out_units


def check_corpus(corpus: Corpus) -> None:
    """The corpus spec: sources to fetch or a local path, a known kind, a license."""
    assert isinstance(corpus, Corpus), f"corpus must be a playground.Corpus, not {type(corpus).__name__}"
    assert corpus.kind in ("stream", "lines"), f"corpus kind must be 'stream' or 'lines', not {corpus.kind!r}"
    assert corpus.sources or corpus.path is not None, "the corpus needs sources to fetch (or a local path)"
    assert corpus.bundled is None or corpus.sha256, "a bundled corpus must be pinned by sha256"
    assert len(corpus.sources) == 1 or corpus.assemble is not None, \
        "several sources need an assemble(folder) -> bytes recipe"
    for source in corpus.sources:
        assert "://" in source.url, f"source {source.url!r} is not a URL"
        assert source.sha256 is None or len(source.sha256) == 64, f"source {source.url}: sha256 must be 64 hex digits"
    assert corpus.sha256 is None or len(corpus.sha256) == 64, "the corpus sha256 must be 64 hex digits"
    assert corpus.license and corpus.license != "unknown", "say the corpus's license"


def check_units(domain: Domain, valid: Sequence[str], invalid: Sequence[str]) -> None:
    """Units are (start, end) spans within the text, in order; a finished known-good sample
    holds at least one (its end ends its last unit)."""
    for sample in [*valid, *invalid, ""]:
        try:
            spans = domain.unit_spans(sample)
        except ValueError as exc:
            raise AssertionError(f"{sample[:40]!r}: {exc}") from None
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), f"{sample[:40]!r}: units overlap or are out of order"
    for sample in valid:
        assert domain.unit_texts(sample), f"the known-good sample {sample[:60]!r} holds no complete unit"


def check_guide(domain: Domain, valid: Sequence[str]) -> None:
    """A guide answers with CharSets and allows every known-good sample, walked from its start,
    and (when the corpus is at hand) every held-out unit that could be a valid sample: one the
    scorer accepts, within 95% of the domain's sample length (a guide may close what is open in
    time, and a longer unit could not be a sample anyway)."""
    guide = domain.guide()
    assert isinstance(guide.allowed(guide.start()), CharSet), "a guide's allowed() must return a playground.CharSet"
    for sample in valid:
        refused = first_refusal(guide, sample)
        assert refused is None, f"the guide refuses the known-good sample {sample[:60]!r} at {refused}"
    try:
        units = held_out_units(domain)
    except PlaygroundError:  # no corpus here: the known-good samples are all there is to walk
        return
    length = domain.defaults.get("length", SampleConfig().length)
    refused = [unit for unit in units if len(unit) <= 0.95 * length and first_refusal(guide, unit)]
    for unit, score in zip(refused, domain.score(refused) if refused else []):
        assert not score.valid, f"the guide refuses the corpus's own unit {unit[:60]!r} at {first_refusal(guide, unit)}"


def check_guide_allows_held_out(domain: Domain, guide) -> int:
    """``guide`` allows the whole validation split of the domain's corpus, walked from its second
    unit's start (the split may begin inside the first) to its end; the characters walked."""
    text = held_out_text(domain)
    text = text[domain.unit_spans(text)[1][0]:]
    refused = first_refusal(guide, text)
    assert refused is None, f"the guide refuses the validation split at {refused}"
    return len(text)


def check_domain(domain: Domain, valid: Sequence[str] | str, invalid: Sequence[str] | str) -> None:
    """Check ``domain`` against the contract: a valid corpus spec; post-processing maps str to
    str; its units are spans within the text, and each known-good sample holds one; its guide,
    if it has one, allows each known-good sample and each held-out unit of its corpus (when at
    hand); its scorer accepts the known-good ``valid`` samples and rejects the ``invalid`` ones,
    calls an empty sample invalid with the category "empty", returns one Score per sample
    with a bool verdict, a number in [0, 1] and a category, and is deterministic."""
    valid = [valid] if isinstance(valid, str) else list(valid)
    invalid = [invalid] if isinstance(invalid, str) else list(invalid)
    assert isinstance(domain, Domain), f"expected a playground.Domain, not {type(domain).__name__}"
    check_corpus(domain.corpus)
    for step in domain.postprocess:
        for sample in [*valid, *invalid, ""]:
            out = step(sample)
            assert isinstance(out, str), f"post-processing step {step.__name__} returned {type(out).__name__}, not str"
    check_units(domain, valid, invalid)
    if domain.guide is not None:
        check_guide(domain, valid)
    assert domain.score is not None, f"domain {domain.name!r} has no scorer"
    samples = [*valid, *invalid]
    scores = list(domain.score(samples))
    assert len(scores) == len(samples), f"the scorer returned {len(scores)} scores for {len(samples)} samples"
    for sample, score in zip(samples, scores):
        assert isinstance(score, Score), f"the scorer returned {score!r}, not a playground.Score"
        assert isinstance(score.valid, bool), f"{sample[:40]!r}: valid must be a bool, not {score.valid!r}"
        assert isinstance(score.value, (int, float)) and not isinstance(score.value, bool), \
            f"{sample[:40]!r}: value must be a number, not {score.value!r}"
        assert 0.0 <= score.value <= 1.0, f"value {score.value} of {sample[:40]!r} is outside [0, 1]"
        assert score.category, f"{sample[:40]!r} got an empty category"
        assert score.valid == (score.category == "ok"), f"{sample[:40]!r}: only valid samples are 'ok' ({score})"
    for sample, score in zip(valid, scores):
        assert score.valid, f"the scorer rejects the known-good sample {sample[:60]!r}: {score.detail}"
    for sample, score in zip(invalid, scores[len(valid):]):
        assert not score.valid, f"the scorer accepts the broken sample {sample[:60]!r}"
    again = list(domain.score(samples))
    assert again == scores, "the scorer is not deterministic: two runs on the same samples differ"
    empty = list(domain.score(["", " \n"]))  # playground.scoring never asks; the plugin must agree
    assert len(empty) == 2 and all(isinstance(s, Score) and not s.valid and s.category == "empty" for s in empty), \
        f"the scorer must call an empty sample invalid, with the category 'empty' (it says {empty})"
