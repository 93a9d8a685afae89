"""Every example script runs, from a scratch folder, without errors or warnings.

Scripts are discovered (``examples/**/*.py``), so new examples are tested as they are
added. A script that needs the network says so in its first lines with a comment
``# needs: network``; it is skipped here. Scripts run in a fresh interpreter with
warnings as errors, a non-interactive matplotlib backend, and a scratch working folder,
so that any file an example writes lands outside the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").rglob("*.py"))


def _needs_network(script: Path) -> bool:
    head = script.read_text(encoding="utf-8").splitlines()[:15]
    return any(line.strip().lower() == "# needs: network" for line in head)


def test_there_are_examples() -> None:
    assert REPO / "examples" / "notebook_costing.py" in EXAMPLES


@pytest.mark.slow
@pytest.mark.parametrize(
    "script", EXAMPLES, ids=[str(p.relative_to(REPO / "examples")) for p in EXAMPLES]
)
def test_example_runs(script: Path, tmp_path: Path) -> None:
    if _needs_network(script):
        pytest.skip("needs the network")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "MPLBACKEND": "Agg",
        "PYTHONWARNINGS": "error",
    }
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, (
        f"{script.name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    )
    assert "Traceback" not in done.stderr
