"""`playground --help` must stay instant, and only playground.tui may import textual."""

import subprocess
import sys

PROBE = """
import importlib, pkgutil, sys
import playground
{imports}
print(",".join(sorted(m for m in ("torch", "textual") if m in sys.modules)))
"""


def loaded_after(imports: str) -> str:
    result = subprocess.run([sys.executable, "-c", PROBE.format(imports=imports)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_cli_imports_neither_torch_nor_textual():
    assert loaded_after("import playground.cli") == ""


def test_core_engine_and_plugins_never_import_textual():
    imports = """
for mod in pkgutil.walk_packages(playground.__path__, "playground."):
    if not mod.name.startswith(("playground.tui", "playground.__main__")):
        importlib.import_module(mod.name)
from playground.plugins import PluginHost
assert len(PluginHost().domains) >= 5
"""
    assert "textual" not in loaded_after(imports).split(",")


def test_help_runs_without_torch():
    probe = "import sys, runpy; sys.argv = ['playground', '--help']\n" \
            "try:\n    runpy.run_module('playground', run_name='__main__')\nexcept SystemExit:\n    pass\n" \
            "assert 'torch' not in sys.modules, 'torch was imported'"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "corpus" in result.stdout and "domains" in result.stdout
