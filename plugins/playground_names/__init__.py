"""Baby names (makemore): 32,033 names, one per line."""

from pathlib import Path

from playground import Corpus, Domain, Source, hookimpl, lines
from playground_names.guide import NameGuide
from playground_names.scorer import score

SHA256 = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"
URL = "https://raw.githubusercontent.com/karpathy/makemore/988aa59e4d8fefa526d06f3b453ad116258398d4/names.txt"


@hookimpl
def register_domains(register):
    register(Domain(
        name="names",
        description="US baby names of 2018 (makemore), one name per line",
        corpus=Corpus(
            sources=(Source(URL, sha256=SHA256, filename="input.txt"),),
            sha256=SHA256,
            bundled=Path(__file__).with_name("corpus.txt"),  # public domain, 228 KB: shipped, pinned
            kind="lines",
            license="public domain data (SSA); makemore repository: MIT",
            homepage="https://github.com/karpathy/makemore",
        ),
        score=score,
        units=lines,  # a unit is a name
        fold=str.lower,  # a name is new when no name in the list is it, in any case
        stop="\n",
        guide=NameGuide,
        # a small corpus: evaluate (and score 32 names) every 100 steps, so the first verdicts
        # arrive within half a minute on a CPU
        # (bench/validity.py: a zero state gives 92% valid and new names, a warm one, which follows
        # the names just before it, 80%)
        defaults={"eval_every": 100, "warm": False},
    ))
