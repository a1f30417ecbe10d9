"""Tiny Shakespeare: 1.1 MB of plays, the char-rnn classic."""

from pathlib import Path

from playground import Corpus, Domain, Score, Source, blocks, hookimpl
from playground_shakespeare import scorer
from playground_shakespeare.guide import ShakespeareGuide

SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
URL = ("https://raw.githubusercontent.com/karpathy/char-rnn/"
       "6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data/tinyshakespeare/input.txt")


def score(samples: list[str]) -> list[Score]:
    """Known words and speaker format, against the training corpus's vocabulary."""
    from playground.corpora import corpus_text  # urllib and friends: only once scoring starts

    return scorer.score(samples, scorer.vocabulary(corpus_text(SHAKESPEARE)))


SHAKESPEARE = Domain(
    name="shakespeare",
    description="Tiny Shakespeare (char-rnn): speakers and verse from the plays",
    corpus=Corpus(
        sources=(Source(URL, sha256=SHA256),),
        sha256=SHA256,
        bundled=Path(__file__).with_name("corpus.txt"),  # public domain, 1.1 MB: shipped, pinned
        license="public domain text (char-rnn repository: MIT)",
        homepage="https://github.com/karpathy/char-rnn",
    ),
    # Chosen by bench/quality.py: 2x512 with dropout 0.25 reaches 1.42 nats/char of full
    # validation in 2,000 steps (about 9 minutes on 2 CPU cores); 2x768, more dropout or
    # longer windows did worse in the same time.
    # Sampling by bench/validity.py: one speech at T = 0.5, warm, is valid 94% of the time (T = 1.0: 9%).
    defaults={"hidden": 512, "dropout": 0.25, "temperature": 0.5, "units": 1, "length": 2000},
    score=score,
    units=blocks,  # a unit is a speech: its speaker's line and verse, up to a blank line
    guide=ShakespeareGuide,
)


@hookimpl
def register_domains(register):
    register(SHAKESPEARE)
