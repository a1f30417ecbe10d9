"""A command that needs a corpus that is not here fetches it first (saying so in one line),
from a server on 127.0.0.1; --offline and PLAYGROUND_OFFLINE=1 make it the one-line error."""

import hashlib
import json

import pytest
from engine_support import TINY_RUN, playground

POEMS = "".join(f"roses are red, violets are blue, poem {i} is short and so are you\n" for i in range(300))
PLUGIN = '''
from playground import Corpus, Domain, Score, Source, hookimpl


def score(texts):
    return [Score(valid=bool(text.strip()), value=float(bool(text.strip()))) for text in texts]


@hookimpl
def register_domains(register):
    register(Domain(name="poems", description="short poems", score=score,
                    corpus=Corpus(sources=(Source("{url}", sha256="{sha256}"),), sha256="{sha256}")))
'''


@pytest.fixture
def poems_upstream(http_server, tmp_path, monkeypatch):
    """A plugin folder with a domain whose one upstream file is served on 127.0.0.1, online."""
    folder, base = http_server
    (folder / "poems.txt").write_text(POEMS)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    sha256 = hashlib.sha256(POEMS.encode()).hexdigest()
    (plugins / "poems.py").write_text(PLUGIN.format(url=f"{base}/poems.txt", sha256=sha256))
    monkeypatch.setenv("PLAYGROUND_PLUGINS_DIR", str(plugins))
    monkeypatch.delenv("PLAYGROUND_OFFLINE")
    return folder


def stored(home):
    return home / "corpora" / "poems" / "input.txt"


def test_train_fetches_a_missing_corpus_first_and_says_so(poems_upstream, isolated_home, tmp_path):
    result = playground("train", "poems", *TINY_RUN, "--max-steps", "3", "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    said = result.stderr.splitlines()
    assert said[0] == "the poems corpus is not here yet: fetching it from upstream (1 file; --offline stops this)"
    assert said[1].startswith(f"✓ poems: {len(POEMS):,} bytes in ") and "verified against the pinned sha256" in said[1]
    assert stored(isolated_home).read_text() == POEMS
    assert (tmp_path / "run" / "checkpoints").is_dir()
    again = playground("train", "poems", *TINY_RUN, "--max-steps", "1", "--out", tmp_path / "again")
    assert again.returncode == 0 and "fetching" not in again.stderr  # once there, it is used


def test_score_fetches_the_corpus_its_novelty_reads(poems_upstream, isolated_home, tmp_path):
    (sample := tmp_path / "sample.txt").write_text("a brand new poem\n")
    result = playground("score", "poems", sample, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("the poems corpus is not here yet: fetching it from upstream")
    assert stored(isolated_home).is_file()


@pytest.mark.parametrize("how", ["--offline", "PLAYGROUND_OFFLINE=1"])
def test_offline_a_missing_corpus_is_one_line_and_nothing_is_fetched(poems_upstream, isolated_home, monkeypatch,
                                                                      tmp_path, how):
    flag = []
    if how == "--offline":
        flag = ["--offline"]
    else:
        monkeypatch.setenv("PLAYGROUND_OFFLINE", "1")
    result = playground("train", "poems", *TINY_RUN, *flag, "--out", tmp_path / "run")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: the poems corpus is missing; get it with `playground corpus fetch poems` "
        "(or point PLAYGROUND_CORPORA at a folder holding poems/input.txt)"]
    assert not stored(isolated_home).exists() and not (tmp_path / "run").exists()


def test_a_failed_first_fetch_is_one_line_before_any_training(poems_upstream, isolated_home, tmp_path):
    (poems_upstream / "poems.txt").write_text("not the pinned poems\n")
    result = playground("train", "poems", *TINY_RUN, "--out", tmp_path / "run")
    assert result.returncode == 2
    said = result.stderr.strip().splitlines()
    assert said[0].startswith("the poems corpus is not here yet")
    assert said[1].startswith("error: checksum mismatch for ") and said[1].endswith("; nothing was kept")
    assert len(said) == 2
    assert not (isolated_home / "corpora" / "poems").exists() and not (tmp_path / "run").exists()



def test_offline_score_goes_on_without_the_corpus_and_says_novelty_is_unknown(poems_upstream, isolated_home,
                                                                             tmp_path):
    (sample := tmp_path / "sample.txt").write_text("a brand new poem\n")
    result = playground("score", "poems", sample, "--json", "--offline")
    assert result.returncode == 0, result.stderr
    assert "fetching" not in result.stderr and not stored(isolated_home).exists()
    summary = json.loads(result.stdout)["summary"]
    assert summary["valid_rate"] == 1.0 and summary["novel_rate"] is None
