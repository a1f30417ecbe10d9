"""Hostile samples, with the real pdflatex and gcc: nothing leaks, hangs or escapes its folder."""

import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from playground_c.scorer import score_strict
from playground_latex import scorer as latex

PASSWD_LINE = "root:x:0:0"


@pytest.fixture(autouse=True)
def tools():
    for tool in ("pdflatex", "gcc"):
        if shutil.which(tool) is None:
            pytest.fail(f"these tests need the real {tool}")
    assert PASSWD_LINE in Path("/etc/passwd").read_text()


@pytest.fixture
def watched(tmp_path, monkeypatch):
    """A working directory and a temporary-files root that must both end up empty."""
    cwd, scratch = tmp_path / "cwd", tmp_path / "scratch"
    cwd.mkdir()
    scratch.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    yield tmp_path
    assert list(cwd.iterdir()) == []
    assert list(scratch.iterdir()) == []


def assert_no_leak(scores):
    for s in scores:
        assert PASSWD_LINE not in repr(s)
        assert s.category


def test_latex_cannot_read_write_run_or_hang(watched):
    outside = Path(f"/tmp/pwned-{uuid.uuid4().hex}")
    samples = {
        "input": "\\input{/etc/passwd}",
        "input-relative": "\\input{../../../../../../etc/passwd}",
        "openin": (
            "\\newread\\r \\openin\\r=/etc/passwd \\ifeof\\r closed\\else"
            " \\read\\r to\\x \\message{\\x} \\x\\fi"
        ),
        "shell-escape": f"\\immediate\\write18{{touch {outside}-shell}} \\write18{{cat /etc/passwd}} x",
        "openout": (
            f"\\newwrite\\f \\immediate\\openout\\f={outside}.tex \\immediate\\write\\f{{x}}"
            " \\immediate\\closeout\\f \\immediate\\openout\\f=../escape.tex \\immediate\\closeout\\f x"
        ),
        "recursion": "\\def\\x{\\x}\\x",
        "page-loop": "\\loop\\null\\newpage\\iftrue\\repeat",
    }
    scores = dict(zip(samples, latex.score(list(samples.values()))))
    assert_no_leak(scores.values())
    assert scores["input"].category == scores["input-relative"].category == "missing-file"
    assert scores["openin"].valid  # \openin was refused: the stream reads as closed
    assert not Path(f"{outside}-shell").exists()
    assert not Path(f"{outside}.tex").exists()
    assert not (watched / "escape.tex").exists()
    assert scores["recursion"].category == "timeout"
    assert scores["page-loop"].category in ("timeout", "resource-limit")


@pytest.mark.parametrize(
    "include",
    [
        '#include "/etc/passwd"',
        '#include "/dev/zero"',
        '??=include "/etc/passwd"',
        '%:include "/etc/passwd"',
        '%:include "/dev/zero"',
        '#\\\ninclude "/etc/passwd"',
        '#inc\\\nlude "/dev/zero"',
        '#/**/include "/etc/passwd"',
        '/* a\n */ # include "/dev/zero"',
    ],
)
def test_gcc_strict_mode_opens_no_included_file(include, watched):
    sample = f"{include}\nint main(void) {{ return 0; }}\n"
    [score] = score_strict([sample])
    assert_no_leak([score])
    assert score.valid, score  # the directive was blanked (gcc read no /dev/zero: no timeout); the rest is fine


def test_gcc_strict_mode_keeps_a_hash_that_is_no_directive(watched):
    """A # after code on its logical line is no directive: gcc sees a stray '#', reads nothing."""
    [score] = score_strict(['int a; /* x\n */ #include "/etc/passwd"\nint b;\n'])
    assert_no_leak([score])
    assert score.category == "stray-token"
