"""A non-editable wheel install brings the five built-in domains, through entry points."""

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
