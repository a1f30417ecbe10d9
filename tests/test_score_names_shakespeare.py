"""The names and shakespeare scorers, on the real corpora and on broken samples."""

import random

import pytest

from playground import plugins
from playground.scoring import judge
from playground_shakespeare.scorer import plausible_speaker, speaker_lines


@pytest.fixture
def domains(with_corpora):
    return plugins.host().domains


@pytest.mark.parametrize("name, category", [
    ("emma", "ok"), ("Zoe", "ok"), ("  liam\n", "ok"), ("al", "ok"), ("a" * 20, "ok"),
    ("a", "too-short"), ("a" * 21, "too-long"), ("", "empty"), ("\n", "empty"),
    ("anna-maria", "not-letters"), ("bob1", "not-letters"), ("zoë", "not-letters"), ("mary ann", "not-letters"),
])
def test_names_rules(name, category, domains):
    [score] = domains["names"].score([name])
    assert score.category == category and score.valid == (category == "ok")
    assert 0 <= score.value <= 1 and (score.value == 1) == score.valid


def test_every_training_name_is_valid_and_none_is_novel(domains, with_corpora):
    names = (with_corpora / "names" / "input.txt").read_text().split()
    j = judge(domains["names"], names)
    assert j.rates.valid.k == len(names) == 32033
    assert j.rates.novel.k == 0 and j.rates.unique.k == len(set(names))


def test_names_novelty_ignores_case(domains):
    j = judge(domains["names"], ["Emma", "EMMA", "zyxwa"])
    assert j.novel == [0.0, 0.0, 1.0]
    assert j.rates.unique.k == 3  # distinct texts; "Emma" and "EMMA" differ as samples


def test_every_corpus_speaker_is_plausible(with_corpora):
    text = (with_corpora / "shakespeare" / "input.txt").read_text()
    speakers = speaker_lines(text)
    assert len(speakers) == 7221
    assert all(plausible_speaker(line) for _, line in speakers)


@pytest.mark.parametrize("line, ok", [
    ("First Citizen:", True), ("KING RICHARD III:", True), ("Ghost of King Henry VI:", True),
    ("ALL SERVING-MEN:", True), ("Senators, &C:", True),
    ("the king is dead:", False), ("And so I say unto you, my lord, hear me:", False), ("ROMEO 2:", False),
    ("A VERY LONG NAME FOR A SPEAKER HERE:", False),
])
def test_plausible_speakers(line, ok):
    assert plausible_speaker(line) is ok


def speeches(text: str, n: int, seed: int = 0) -> list[str]:
    """n passages of the corpus that start at a speaker and hold two or three speeches."""
    blocks = text.split("\n\n")
    rng = random.Random(seed)
    starts = rng.sample(range(len(blocks) - 3), n)
    return ["\n\n".join(blocks[i : i + rng.randint(2, 3)]) + "\n" for i in starts]


def test_real_passages_are_valid_and_scrambled_ones_are_not(domains, with_corpora):
    text = (with_corpora / "shakespeare" / "input.txt").read_text()
    real = speeches(text, 200)
    scores = domains["shakespeare"].score(real)
    assert all(s.valid and s.value == 1.0 for s in scores)

    def scramble(passage: str) -> str:  # reverse the longer words: "king" -> "gnik"
        return " ".join(w[::-1] if len(w) > 3 else w for w in passage.split(" "))

    broken = domains["shakespeare"].score([scramble(p) for p in real[:50]])
    assert all(not s.valid and s.category == "unknown-words" and s.value < 0.9 for s in broken)


def test_a_bad_speaker_line_makes_a_sample_invalid(domains):
    sample = "ROMEO:\nBut soft, what light through yonder window breaks?\n\nthe king is dead and gone:\nIt is the east.\n"
    [score] = domains["shakespeare"].score([sample])
    assert not score.valid and score.category == "bad-speaker" and "line 4" in score.detail
    assert score.value == 1.0  # every word is known; the format is what fails


def test_shakespeare_scores_with_no_corpus_folder_from_the_copy_it_ships():
    [score] = plugins.host().domains["shakespeare"].score(["HAMLET:\nTo be, or not to be, that is the question.\n"])
    assert score.valid and score.value >= 0.9
