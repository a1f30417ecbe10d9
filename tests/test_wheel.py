"""A non-editable wheel install brings the five built-in domains, through entry points, and
trains shakespeare offline on the corpus it ships."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, check=True, **kwargs)


@pytest.mark.slow
def test_wheel_install_exposes_the_five_domains(tmp_path, shared_corpora):
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT))
    wheel = next(wheels.glob("playground-*.whl"))
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", str(venv))
    python = venv / "bin" / "python"
    # `domains` needs only the light dependencies; leaving torch out also proves it is not imported.
    run(str(python), "-m", "pip", "install", "-q", "typer", "rich", "pluggy")
    run(str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel))
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "PLAYGROUND_CORPORA": str(shared_corpora),
           "PLAYGROUND_HOME": str(tmp_path)}
    result = run(str(venv / "bin" / "playground"), "domains", "--json", cwd=tmp_path, env=env)
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"shakespeare", "names", "latex", "c", "wikipedia"}
    assert all(row["corpus"]["status"] == "ready" for row in rows.values())
    result = run(str(venv / "bin" / "playground"), "plugins", "--json", cwd=tmp_path, env=env)
    plugins = json.loads(result.stdout)
    assert {p["source"] for p in plugins} == {"builtin"}
    assert all(str(venv) in p["location"] or p["location"].startswith("playground_") for p in plugins)
    located = run(str(python), "-c", "import playground_latex; print(playground_latex.__file__)", cwd=tmp_path)
    assert located.stdout.startswith(str(venv))


@pytest.mark.slow
def test_a_wheel_in_a_fresh_venv_trains_shakespeare_offline_with_no_corpora_anywhere(tmp_path):
    """The README's main command, as a user without ../shared meets it: the wheel (not the clone)
    in a new venv (torch from the system, as the one pip installed here), no PLAYGROUND_CORPORA,
    no corpus folder, and no network at all (a network namespace with no interface)."""
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.fail("unshare -n is needed to run without a network (util-linux, as root)")
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT))
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--system-site-packages", str(venv))
    run(str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
        str(next(wheels.glob("playground-*.whl"))))
    home = tmp_path / "user"  # the user's home and working folder: empty
    home.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "NO_COLOR": "1"}
    result = subprocess.run(["unshare", "-n", str(venv / "bin" / "playground"), "train", "shakespeare",
                             "--max-steps", "3", "--hidden", "32", "--embed", "16", "--seq-len", "32",
                             "--batch-size", "4", "--score-samples", "2", "--out", str(home / "run")],
                            capture_output=True, text=True, cwd=home, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    shipped = str(venv / "lib")
    assert json.loads((home / "run" / "config.json").read_text())["corpus"].startswith(shipped)
    assert not (home / "corpora").exists()  # nothing was fetched or copied
    assert "finished at step 3" in result.stdout + result.stderr
