"""Hostile LaTeX through `playground score latex`, with the real pdflatex, bwrap and strace.

Each sample tries to read a file outside its folder (a secret file, /etc/passwd, the
environment of the process running playground) and bring it back in its verdict's detail.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from playground.sandbox import jail_problem
from playground_latex import scorer

PASSWD_LINE = "root:x:0:0"
# Full documents compile as they are (no wrapper), bodies are wrapped: both must hold.
DOCUMENT = "\\documentclass{article}\n\\pdfcompresslevel=0 \\pdfobjcompresslevel=0\n\\begin{document}\n"
# Reads the sample's own (uncompressed) PDF back and stops on the first line that looks like
# a secret, so that the line becomes the verdict's detail.
READ_BACK = r"""
x\newpage x\newpage x\newpage
\newread\r \openin\r=sample.pdf \endlinechar=-1
\loop \readline\r to\l \ifnum\pdfmatch{SECRET|root:}{\l}=1 \errmessage{\l}\fi \ifeof\r\else\repeat
"""
UP = "../" * 24  # from any folder, up to /


def attacks(secret: Path) -> dict[str, str]:
    """Name -> sample; @PARENT@ becomes the pid of the process that runs playground."""
    reads = {
        "pdfobj-absolute": f"\\immediate\\pdfobj file {{{secret}}}",
        "pdfobj-relative": f"\\immediate\\pdfobj file {{{UP}{str(secret).lstrip('/')}}}",
        "pdfobj-passwd": "\\immediate\\pdfobj file {/etc/passwd}",
        "pdfobj-passwd-up": "\\immediate\\pdfobj file {../../etc/passwd}",
        "pdfobj-passwd-far-up": f"\\immediate\\pdfobj file {{{UP}etc/passwd}}",
        "self-environ": "\\immediate\\pdfobj file {/proc/self/environ}",
        "parent-environ": "\\immediate\\pdfobj file {/proc/@PARENT@/environ}",
        "pdfprimitive": f"\\let\\pdfobj\\relax \\pdfprimitive\\pdfobj file {{{secret}}}\\pdfrefobj\\pdflastobj",
        "expl3-copy": f"\\ExplSyntaxOn \\immediate\\tex_pdfobj:D file {{{secret}}} \\ExplSyntaxOff",
        "pdfximage": f"\\pdfximage{{{secret}}}\\pdfrefximage\\pdflastximage",
    }
    errors = {
        "pdffiledump": f"\\errmessage{{\\pdffiledump length 64{{{secret}}}}}",
        "pdffiledump-environ": "\\errmessage{\\pdffiledump length 64{/proc/@PARENT@/environ}}",
        "pdfmdfivesum": f"\\errmessage{{\\pdfmdfivesum file{{{secret}}}}}",
        "pdffilesize": f"\\errmessage{{\\pdffilesize{{{secret}}}}}",
        "pdffilemoddate": f"\\errmessage{{\\pdffilemoddate{{{secret}}}}}",
        "pdfmapfile": f"\\pdfmapfile{{={secret}}} x",
        "pdfmapfile-up": f"\\pdfmapfile{{+{UP}etc/passwd}} x",
        "font": f"\\font\\x={secret} \\x x",
        "input-pipe": f"\\input|\"cat {secret}\" ",
        "openin-passwd": "\\newread\\r \\openin\\r=/etc/passwd \\read\\r to\\x \\errmessage{\\x}",
        "mktexpk": "\\textbullet\\ x",  # a bitmap font to make: pdflatex starts mktexpk and mf
    }
    samples = {name: DOCUMENT + body + READ_BACK + "\\end{document}\n" for name, body in reads.items()}
    samples |= {name: body + "\n" for name, body in errors.items()}  # bodies, wrapped
    return samples


@pytest.fixture
def world(tmp_path):
    """A secret file outside the samples' folders, a marker in playground's environment, and
    the attack files; samples compile under ``tmp/`` here."""
    marker = f"SECRET-{uuid.uuid4().hex}"
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(marker + "\n")
    (tmp_path / "tmp").mkdir()
    cases = tmp_path / "cases"
    cases.mkdir()
    for name, sample in attacks(secret).items():
        (cases / f"{name}.tex").write_text(sample)
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "PLAYGROUND_SECRET": marker}
    return tmp_path, marker, env


@pytest.fixture(autouse=True)
def tools():
    for tool in ("pdflatex", "strace"):
        if shutil.which(tool) is None:
            pytest.fail(f"these tests need the real {tool}")
    if jail_problem():
        pytest.fail(f"these tests need a working bubblewrap: {jail_problem()}")


def cases(root: Path) -> list[Path]:
    return sorted((root / "cases").glob("*.tex"))


def run_traced(root: Path, env: dict, runner: list[str]) -> tuple[str, Path]:
    """Run ``runner`` on every case under strace (a log per process); its output and the logs.

    The shell fills in @PARENT@ with its own pid, which the exec'd runner keeps.
    """
    logs = root / "strace"
    logs.mkdir()
    fill = "for f in cases/*.tex; do sed -i \"s/@PARENT@/$$/g\" \"$f\"; done; exec \"$@\""
    traced = ["strace", "--pidns-translation", "-ff", "-z", "-y", "-o", str(logs / "log"), "-e",
              "trace=open,openat,openat2,stat,newfstatat,access,execve,clone,clone3,fork,vfork,chdir,fchdir",
              "sh", "-c", fill, "sh", *runner, *map(str, cases(root))]
    done = subprocess.run(traced, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    return done.stdout + done.stderr, logs


# A child's pid as the jail numbers it, then as strace's namespace does.
FORK = re.compile(r"(?:clone3?|v?fork)\(.*\) = (\d+)(?: /\* (\d+) in strace's PID NS \*/)?")
CALL = re.compile(r'^(\w+)\((?:(?:AT_FDCWD|\d+)<([^>]*)>, )?"((?:[^"\\]|\\.)*)"(.*) = (\d+)')


def checker_events(logs: Path):
    """(call, absolute path, rest of the line) for each successful file call (or chdir) of
    pdflatex and anything it started, from its exec on; relative paths are made absolute."""
    files = {int(p.suffix[1:]): p.read_text().splitlines() for p in logs.glob("log.*")}
    checkers = {pid: i for pid, lines in files.items()
                for i, line in enumerate(lines) if re.match(r'execve\("[^"]*/pdflatex"', line)}
    assert checkers, "strace saw no pdflatex: the check would prove nothing"
    grew = True
    while grew:  # children of a checker are checkers from their first line
        children = {int(m.group(2) or m.group(1)) for pid in checkers for line in files[pid][checkers[pid]:]
                    if (m := FORK.match(line))}
        grew = bool(children - checkers.keys())
        checkers |= {pid: 0 for pid in children if pid not in checkers and pid in files}
    for pid, start in checkers.items():
        cwd = ""  # known from the first call with AT_FDCWD, then followed through chdir
        for line in files[pid][start:]:
            if m := re.match(r"fchdir\(\d+<([^>]*)>\)", line):
                cwd = m.group(1)
                yield "chdir", cwd, ""
            elif (m := CALL.match(line)) and m.group(3):
                call, base, path, rest = m.group(1), m.group(2), m.group(3), m.group(4)
                if base and line.startswith(f"{call}(AT_FDCWD"):
                    cwd = base
                path = os.path.normpath(os.path.join(base or cwd, path))
                cwd = path if call == "chdir" else cwd
                yield call, path, rest


def outside(logs: Path, folders: Path) -> list[str]:
    """Successful file calls of the checker outside its folder and TeX's read-only tree."""
    allowed = (str(folders), "/usr", "/etc/texmf", "/var/lib/texmf", "/etc/ld.so.cache", "/etc/alternatives",
               "/lib", "/lib64", "/dev/null")
    bad = []
    for call, path, rest in checker_events(logs):
        inside = any(path == a or path.startswith(a.rstrip("/") + "/") for a in allowed)
        on_the_way = any(a.startswith(path.rstrip("/") + "/") for a in allowed)  # "/", "/tmp", ...
        if not (inside or on_the_way and (not call.startswith("open") or "O_DIRECTORY" in rest)):
            bad.append(f"{call} {path}")
    return bad


def assert_nothing_leaked(output: str, marker: str) -> None:
    for secret in (marker, marker.encode().hex(), marker.encode().hex().upper(), PASSWD_LINE,
                   PASSWD_LINE.encode().hex().upper()):
        assert secret not in output


def test_hostile_samples_read_nothing_outside_their_folder(world):
    """No sample brings a secret back, and strace sees pdflatex open or stat nothing outside
    its folder and TeX's read-only tree.

    What the strace check proves: strace records each path as pdflatex names it, in its own
    mount namespace (the jail), and only calls that succeeded. Every such path lay under the
    sample's folder, /usr (programs, libraries, TeX), /etc/texmf, /var/lib/texmf, the loader's
    cache, /etc/alternatives (links) or /dev/null, or was a directory on the way down to one.
    The jail binds those host paths at the same names, so the files read were those host
    files; a secret outside them was never opened. It does not prove the jail holds against a
    kernel exploit, nor covers calls not traced (none that pdfTeX uses to reach a file by
    name). The same check fails when the jail is off: see the next test.
    """
    root, marker, env = world
    output, logs = run_traced(root, env, [sys.executable, "-m", "playground", "score", "latex", "--json"])
    rows = json.loads(output[: output.rindex("}") + 1])["samples"]
    assert len(rows) == len(cases(root)) == len(attacks(root))
    assert all(row["category"] != "undetermined" for row in rows), rows
    assert_nothing_leaked(output, marker)
    assert outside(logs, root / "tmp") == []


UNJAILED = """
import json, sys
from playground import sandbox
from playground_latex import scorer
scorer.run_limited = lambda *args, read_only=None, **kw: sandbox.run_limited(*args, **kw)
print(json.dumps([s.detail for s in scorer.score([open(f).read() for f in sys.argv[1:]])]))
"""


def test_without_the_jail_the_attacks_work_and_the_checks_fail(world):
    """With the jail turned off (TeX's own guards still on), the same samples read the secrets
    back and the strace check reports it: neither assertion above holds by construction."""
    root, marker, env = world
    output, logs = run_traced(root, env, [sys.executable, "-c", UNJAILED])
    details = dict(zip((p.stem for p in cases(root)), json.loads(output.strip().splitlines()[-1])))
    for name in ("pdfobj-absolute", "pdfobj-relative", "pdfprimitive", "expl3-copy"):
        assert details[name] == f"! {marker}. l.7 ...}}=1 \\errmessage{{\\l}}\\fi \\ifeof\\r\\else\\repeat"
    for name in ("pdfobj-passwd", "pdfobj-passwd-far-up"):
        assert details[name].startswith(f"! {PASSWD_LINE}")
    bad = outside(logs, root / "tmp")
    assert f"openat {root / 'outside' / 'secret.txt'}" in bad
    assert "openat /etc/passwd" in bad
    assert any(re.fullmatch(r"openat /proc/\d+/environ", call) for call in bad)  # the runner's environment


def test_without_a_working_jail_pdflatex_is_not_run(monkeypatch):
    """Where bwrap is missing or cannot start, the structural check stands in, and says why."""
    monkeypatch.setattr(scorer, "jail_problem", lambda: "bwrap cannot start (no namespaces)")
    [score] = scorer.score(["\\immediate\\pdfobj file {/etc/passwd} x"])
    assert score.valid and score.detail == "structural check (bwrap cannot start (no namespaces))"
