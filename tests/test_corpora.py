"""The corpus store: downloads over HTTP (127.0.0.1), checksums, imports, recipes."""

import bz2
import csv
import dataclasses
import hashlib
import json
import os
import tarfile

import pytest
from typer.testing import CliRunner

from playground import corpora
from playground.cli import app
from playground.domains import Corpus, Domain, Source, text_domain
from playground.errors import PlaygroundError
from playground.plugins import PluginHost


@pytest.fixture(scope="module")
def builtin():
    """The built-in domains without the copies shakespeare and names ship, so that what the
    store holds is what they find (test_the_shipped_copy_comes_first covers those)."""
    return {name: dataclasses.replace(d, corpus=dataclasses.replace(d.corpus, bundled=None))
            for name, d in PluginHost().domains.items()}


def test_the_shipped_copy_comes_first_offline_and_pinned(isolated_home, shared_corpora, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_CORPORA", str(shared_corpora))
    domains = PluginHost().domains
    for name in ("shakespeare", "names"):
        shipped = domains[name].corpus.bundled
        assert corpora.corpus_path(domains[name]) == shipped  # before PLAYGROUND_CORPORA's copy
        assert sha(shipped.read_bytes()) == domains[name].corpus.sha256
        assert shipped.read_bytes() == (shared_corpora / name / "input.txt").read_bytes()
    assert all(d.corpus.bundled is None for name, d in domains.items() if name not in ("shakespeare", "names"))


def test_a_damaged_shipped_copy_says_reinstall(tmp_path):
    shakespeare = PluginHost().domains["shakespeare"]
    damaged = tmp_path / "corpus.txt"
    damaged.write_text("not the plays\n")
    domain = dataclasses.replace(shakespeare, corpus=dataclasses.replace(shakespeare.corpus, bundled=damaged))
    with pytest.raises(PlaygroundError, match="expected 86c4e6aa9db7c042…; reinstall playground$"):
        corpora.corpus_path(domain)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(home):
    """Everything in the store besides finished corpora: temp files must not survive."""
    return [p.name for p in (home / "corpora").rglob("*") if p.name.startswith(".")]


def served(domain, base, names=None):
    """The domain with its sources moved to the local server (same names and checksums)."""
    sources = tuple(dataclasses.replace(s, url=f"{base}/{s.name}") for s in domain.corpus.sources)
    return dataclasses.replace(domain, corpus=dataclasses.replace(domain.corpus, sources=sources))


def test_fetch_names_over_http_verifies_the_pinned_sha(builtin, shared_corpora, http_server, isolated_home):
    folder, base = http_server
    data = (shared_corpora / "names" / "input.txt").read_bytes()
    (folder / "input.txt").write_bytes(data)
    seen = []
    meta = corpora.fetch(served(builtin["names"], base), progress=lambda label, done, total: seen.append(done))
    stored = isolated_home / "corpora" / "names" / "input.txt"
    assert stored.read_bytes() == data
    assert meta["pinned"] and meta["sha256"] == sha(data)
    assert json.loads(stored.with_name("meta.json").read_text())["sha256"] == sha(data)
    assert seen[-1] == len(data)
    assert corpora.corpus_path(builtin["names"]) == stored
    assert leftovers(isolated_home) == []


def test_fetch_with_a_wrong_checksum_keeps_nothing(builtin, http_server, isolated_home):
    folder, base = http_server
    (folder / "input.txt").write_text("emma\nolivia\n")
    with pytest.raises(PlaygroundError, match="checksum mismatch .* nothing was kept"):
        corpora.fetch(served(builtin["names"], base))
    assert not (isolated_home / "corpora" / "names" / "input.txt").exists()
    assert leftovers(isolated_home) == []


def test_fetch_of_a_missing_url_fails_cleanly(builtin, http_server, isolated_home):
    _, base = http_server
    with pytest.raises(PlaygroundError, match=r"download failed: .*/input.txt: HTTP 404"):
        corpora.fetch(served(builtin["names"], base))
    with pytest.raises(PlaygroundError, match="download failed: http://127.0.0.1:9/x.txt"):
        corpora.fetch(builtin["names"], "http://127.0.0.1:9/x.txt")
    assert not (isolated_home / "corpora" / "names").exists()  # not even an empty folder


def test_unpinned_fetch_records_its_sha_and_later_checks_it(http_server, isolated_home):
    folder, base = http_server
    (folder / "poems.txt").write_text("roses are red\n")
    domain = Domain(name="poems", description="", corpus=Corpus(sources=(Source(f"{base}/poems.txt"),)))
    meta = corpora.fetch(domain)
    assert not meta["pinned"] and meta["sha256"] == sha(b"roses are red\n")
    path = corpora.corpus_path(domain)
    path.write_text("roses are blue\n")
    with pytest.raises(PlaygroundError, match="expected .*playground corpus fetch poems --force"):
        corpora.corpus_path(domain)


def test_force_is_needed_to_fetch_again(builtin, shared_corpora, isolated_home):
    names = shared_corpora / "names" / "input.txt"
    corpora.fetch(builtin["names"], str(names))
    with pytest.raises(PlaygroundError, match="already exists; add --force"):
        corpora.fetch(builtin["names"], str(names))
    assert corpora.fetch(builtin["names"], str(names), force=True)["sha256"] == sha(names.read_bytes())


def test_import_from_a_file_a_corpus_folder_and_a_url(builtin, shared_corpora, http_server, isolated_home):
    folder, base = http_server
    shakespeare = shared_corpora / "shakespeare" / "input.txt"
    corpora.fetch(builtin["shakespeare"], str(shakespeare))  # a file
    corpora.fetch(builtin["shakespeare"], str(shakespeare.parent), force=True)  # a folder with input.txt
    (folder / "tiny.txt").write_bytes(shakespeare.read_bytes())
    corpora.fetch(builtin["shakespeare"], f"{base}/tiny.txt", force=True)  # another URL
    assert (isolated_home / "corpora" / "shakespeare" / "input.txt").read_bytes() == shakespeare.read_bytes()
    assert leftovers(isolated_home) == []


def test_an_import_that_fails_the_pin_keeps_the_old_corpus(builtin, shared_corpora, tmp_path, isolated_home):
    names = shared_corpora / "names" / "input.txt"
    corpora.fetch(builtin["names"], str(names))
    other = tmp_path / "other.txt"
    other.write_text("zed\n")
    with pytest.raises(PlaygroundError, match="checksum mismatch"):
        corpora.fetch(builtin["names"], str(other), force=True)
    assert (isolated_home / "corpora" / "names" / "input.txt").read_bytes() == names.read_bytes()


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"\x89PNG\r\n\x1a\n\0\0\0", "looks binary"),
    (b"caf\xe9 au lait", "is not UTF-8 text"),
])
def test_bad_corpus_files_are_refused(tmp_path, isolated_home, content, message):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    domain = Domain(name="poems", description="", corpus=Corpus())
    with pytest.raises(PlaygroundError, match=message):
        corpora.fetch(domain, str(bad))
    with pytest.raises(PlaygroundError, match=message):
        corpora.corpus_path(text_domain(bad))
    assert not (isolated_home / "corpora" / "poems" / "input.txt").exists()


def test_search_path_finds_read_only_roots(builtin, with_corpora, tmp_path, monkeypatch, isolated_home):
    assert corpora.corpus_path(builtin["latex"]) == with_corpora / "latex" / "input.txt"
    extra = tmp_path / "extra"
    (extra / "poems").mkdir(parents=True)
    (extra / "poems" / "input.txt").write_text("a poem\n")
    monkeypatch.setenv("PLAYGROUND_CORPORA", f"{tmp_path / 'nowhere'}:{extra}")
    poems = Domain(name="poems", description="", corpus=Corpus())
    assert corpora.corpus_path(poems) == extra / "poems" / "input.txt"
    with pytest.raises(PlaygroundError, match="the latex corpus is missing; get it with `playground corpus fetch latex`"):
        corpora.corpus_path(builtin["latex"])


# -- the recipes rebuild the real corpora byte for byte --------------------------------

def manifest(root, domain):
    with open(root / domain / "files.tsv") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def split_into_files(root, domain, dest):
    data = (root / domain / "input.txt").read_bytes()
    for row in manifest(root, domain):
        offset, size = int(row["offset"]), int(row["bytes"])
        chunk = data[offset: offset + size]
        if row.get("note") == "latin1->utf8":  # upstream has these in Latin-1
            chunk = chunk.decode("utf-8").encode("latin-1")
        path = dest / row["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(chunk)
    return data


def test_latex_fetch_downloads_31_chapters_and_assembles_them(builtin, shared_corpora, http_server, isolated_home):
    folder, base = http_server
    data = split_into_files(shared_corpora, "latex", folder)
    corpora.fetch(served(builtin["latex"], base))
    assert (isolated_home / "corpora" / "latex" / "input.txt").read_bytes() == data


def test_latex_import_from_a_stacks_checkout(builtin, shared_corpora, tmp_path, isolated_home):
    checkout = tmp_path / "stacks-project"
    data = split_into_files(shared_corpora, "latex", checkout)
    (checkout / "Makefile").write_text("LIJST = introduction ...\n")
    (checkout / "bibliography.tex").write_text("not in the book order\n")
    corpora.fetch(builtin["latex"], str(checkout))
    assert (isolated_home / "corpora" / "latex" / "input.txt").read_bytes() == data


def test_a_changed_chapter_fails_its_own_checksum(builtin, shared_corpora, http_server, isolated_home):
    folder, base = http_server
    split_into_files(shared_corpora, "latex", folder)
    with open(folder / "topology.tex", "a") as handle:
        handle.write("% edited\n")
    with pytest.raises(PlaygroundError, match=r"checksum mismatch for .*/topology.tex"):
        corpora.fetch(served(builtin["latex"], base))
    assert not (isolated_home / "corpora" / "latex").joinpath("input.txt").exists()


def test_c_fetch_unpacks_a_kernel_tarball_and_selects_sources(builtin, shared_corpora, http_server, tmp_path,
                                                              isolated_home):
    folder, base = http_server
    tree = tmp_path / "linux-2.6.20-5759bb8"
    data = split_into_files(shared_corpora, "c", tree)
    for extra in ("drivers/net/e1000.c", "fs/xfs/xfs_inode.c", "kernel/Makefile", "include/linux/fs.h"):
        (tree / extra).parent.mkdir(parents=True, exist_ok=True)
        (tree / extra).write_text("/* not in the corpus */\n")
    domain = served(builtin["c"], base)
    with tarfile.open(folder / domain.corpus.sources[0].name, "w:gz", compresslevel=1) as tar:
        tar.add(tree, arcname=tree.name)
    corpora.fetch(domain)
    assert (isolated_home / "corpora" / "c" / "input.txt").read_bytes() == data


def test_wikipedia_recipe_cuts_enwik8_and_appends_the_2016_excerpt(builtin, shared_corpora, tmp_path):
    data = (shared_corpora / "wikipedia" / "input.txt").read_bytes()
    from playground_wikipedia import ENWIK8, ENWIKI_2016, assemble

    cut = 4_154_064
    (tmp_path / ENWIK8.name).write_bytes(data[:cut] + b"Hol Hol Hol " * 10)
    (tmp_path / ENWIKI_2016.name).write_bytes(bz2.compress(data[cut:]))
    assert sha(assemble(tmp_path)) == builtin["wikipedia"].corpus.sha256 == sha(data)


def test_recipe_on_the_wrong_folder_is_a_clear_error(builtin, tmp_path):
    with pytest.raises(PlaygroundError, match="cannot build the c corpus .*not a Linux source tree"):
        corpora.fetch(builtin["c"], str(tmp_path))
    with pytest.raises(PlaygroundError, match="cannot build the latex corpus .*introduction.tex"):
        corpora.fetch(builtin["latex"], str(tmp_path))


def test_pinned_hashes_match_the_shared_corpora(builtin, shared_corpora):
    for name, domain in builtin.items():
        assert corpora.check_text(shared_corpora / name / "input.txt") == domain.corpus.sha256, name


# -- the CLI ---------------------------------------------------------------------------

def test_cli_fetch_from_and_info(shared_corpora, isolated_home):
    runner = CliRunner()
    names = shared_corpora / "names" / "input.txt"
    result = runner.invoke(app, ["corpus", "fetch", "names", "--from", str(names)])
    assert result.exit_code == 0, result.output
    assert "verified against the pinned sha256" in result.stdout
    result = runner.invoke(app, ["corpus", "info", "names", "--json"])
    facts = json.loads(result.stdout)
    assert (isolated_home / "corpora" / "names" / "input.txt").read_bytes() == names.read_bytes()
    assert facts["path"] == str(PluginHost().domains["names"].corpus.bundled)  # the shipped copy comes first
    # 32,032 newlines, and a last name (zzyzx) without one: 32,033 lines
    assert (facts["bytes"], facts["lines"], facts["alphabet"]) == (228_145, 32_033, 27)
    assert facts["kind"] == "lines" and "MIT" in facts["license"]


@pytest.mark.parametrize("args, message", [
    (["corpus", "info", "shakspeare"], "unknown domain 'shakspeare' (did you mean 'shakespeare'?)"),
    (["corpus", "fetch", "names", "--from", "/no/such/file"], "no such file, folder or URL: /no/such/file"),
    (["corpus", "info", "latex"], "the latex corpus is missing; get it with `playground corpus fetch latex`"),
])
def test_cli_errors_are_one_line_with_exit_2(args, message):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_ad_hoc_text_file_is_a_domain(tmp_path):
    post = tmp_path / "blog.txt"
    post.write_text("The unreasonable effectiveness of recurrent neural networks.\n")
    result = CliRunner().invoke(app, ["corpus", "info", str(post), "--json"])
    assert result.exit_code == 0
    facts = json.loads(result.stdout)
    assert facts["domain"] == "text" and facts["path"] == str(post)
    result = CliRunner().invoke(app, ["corpus", "fetch", str(post)])
    assert result.exit_code == 2 and "nothing to fetch" in result.stderr


def test_domains_lists_five_with_status(with_corpora, tmp_path, monkeypatch):
    result = CliRunner().invoke(app, ["domains", "--json"])
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"shakespeare", "names", "latex", "c", "wikipedia"}
    assert all(row["corpus"]["status"] == "ready" for row in rows.values())
    assert rows["latex"]["requires"] == {"pdflatex": True, "bwrap": True}
    assert all(row["scorer"] for row in rows.values())
    assert [name for name, row in rows.items() if row["strict"]] == ["c"]
    assert [name for name, row in rows.items() if row["repair"]] == ["latex"]
    monkeypatch.setenv("PLAYGROUND_CORPORA", str(tmp_path))
    result = CliRunner().invoke(app, ["domains"])
    assert "missing" in result.stdout and "playground corpus fetch latex" in result.stdout
    rows = {row["name"]: row for row in json.loads(CliRunner().invoke(app, ["domains", "--json"]).stdout)}
    assert {name for name, row in rows.items() if row["corpus"]["status"] == "ready"} == {"shakespeare", "names"}


def corpus_info_latex(**env_changes):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    result = subprocess.run([sys.executable, "-m", "playground", "corpus", "info", "latex"], capture_output=True,
                            text=True, env={**env, **env_changes}, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_output_piped_to_a_file_is_not_hard_wrapped(with_corpora):
    """A pipe is not an 80-column terminal: the sources' folder and the sha256 stay whole on their lines."""
    latex = PluginHost().domains["latex"]
    lines = corpus_info_latex()
    folder = latex.corpus.sources[0].url.rpartition("/")[0] + "/"
    assert any(line.rstrip().endswith(f"31 files in {folder}") for line in lines)
    assert all(source.name in " ".join(lines) for source in latex.corpus.sources)
    assert any(latex.corpus.sha256 in line for line in lines)


def test_corpus_info_fits_80_columns(with_corpora):
    """At 80 columns the sha256 stays whole and the 31 sources take a few lines, not 62."""
    lines = corpus_info_latex(COLUMNS="80")
    assert all(len(line) <= 80 for line in lines)
    assert any(PluginHost().domains["latex"].corpus.sha256 in line for line in lines)
    assert len(lines) < 25
