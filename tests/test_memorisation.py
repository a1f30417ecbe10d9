"""Memorisation: the longest span a sample copies from the training text, by suffix array."""

import random

from playground import plugins
from playground.memorisation import MIN_COPY, CopyIndex, mostly_copied, suffix_array
from playground.scoring import judge


def brute_longest(sample: str, text: str) -> int:
    return max((j - i for i in range(len(sample)) for j in range(i + 1, len(sample) + 1) if sample[i:j] in text),
               default=0)


def test_the_suffix_array_sorts_every_suffix():
    rng = random.Random(7)
    for text in ["", "a", "banana", "aaaaaaa", "abcabcabc", "é€a😀é€", *("".join(rng.choice("ab\n") for _ in range(200))
                                                                       for _ in range(20))]:
        assert list(suffix_array(text)) == sorted(range(len(text)), key=lambda i: text[i:]), text


def test_the_longest_copy_is_what_a_brute_force_search_finds():
    rng = random.Random(8)
    text = "".join(rng.choice("abc ") for _ in range(400))
    index = CopyIndex(text, suffix_array(text))
    for _ in range(40):
        sample = "".join(rng.choice("abcd ") for _ in range(rng.randrange(0, 40)))
        assert index.longest_copy(sample) == brute_longest(sample, text), sample


def test_a_copied_sample_is_flagged_and_not_counted_valid_and_novel(with_corpora):
    domain = plugins.host().domains["shakespeare"]
    text = (with_corpora / "shakespeare" / "input.txt").read_text()
    copied = text[text.index("First Citizen:"):][:300]
    copied = copied[:copied.rindex("\n\n") + 1]
    made_up = "First Citizen:\nThe king is here, and we are come to speak.\n"
    j = judge(domain, [copied, made_up])
    assert j.copies[0] == len(copied) and j.copies[1] < MIN_COPY
    assert mostly_copied(copied, j.copies[0]) and not mostly_copied(made_up, j.copies[1])
    assert [s.valid for s in j.scores] == [True, True]
    rates = j.rates.to_dict()
    assert rates["mostly_copied"] == 1 and rates["valid_and_novel_rate"] == 0.5
    assert rates["longest_copy_median"] == (j.copies[0] + j.copies[1]) / 2


def test_a_new_name_is_not_mostly_copied_though_made_of_old_parts():
    assert not mostly_copied("emmaly", 5)
    assert mostly_copied("x" * 100, 60) and not mostly_copied("x" * 100, 40)
