"""What the command line leaves at ``-o`` when things go wrong: nothing but a whole file.

A device, a pipe or a symbolic link at ``-o`` is refused (``--force`` or not); a command
writing two files (``-o`` and ``--plot``) leaves both or neither; a run killed with
SIGTERM leaves nothing; one killed with SIGKILL leaves a temporary file that the next
run removes; two runs writing the same file at once leave one whole file.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_python

import careprofiles.outputs.charts
import careprofiles.outputs.files as output
from careprofiles.cli import main
from careprofiles.errors import CareProfilesError

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals, pipes and links")
PLOT = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="needs matplotlib")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(argv)
    return status, capsys.readouterr().err


# ---------------------------------------------------------------- what is at -o


@POSIX
def test_a_pipe_or_a_link_at_o_is_refused_force_or_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo("pipe.csv")
    os.symlink("nowhere.csv", "dangling.csv")
    for target, words in (
        ("pipe.csv", "pipe.csv: is a named pipe (FIFO), not a file"),
        ("dangling.csv", "dangling.csv: is a symbolic link (to nowhere.csv)"),
    ):
        for force in ([], ["--force"]):
            status, err = _run(["cost", "--format", "csv", "-o", target, *force], capsys)
            assert status == 1
            assert err.startswith(words), err
            assert "Traceback" not in err
    assert stat.S_ISFIFO(os.lstat("pipe.csv").st_mode)
    assert os.readlink("dangling.csv") == "nowhere.csv"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.csv", "pipe.csv"]


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_cost_o_dev_null_force_is_refused_and_dev_null_stays(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # nothing may be written or renamed: even a broken check cannot touch /dev/null
    def never(*args: object, **kwargs: object) -> Any:
        raise AssertionError("a file was about to be written")

    monkeypatch.setattr(output.tempfile, "mkstemp", never)
    monkeypatch.setattr(output.os, "replace", never)
    status, err = _run(["cost", "-o", "/dev/null", "--force", "--format", "csv"], capsys)
    assert status == 1
    assert err.startswith("/dev/null: is a character device, not a file;"), err
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


@PLOT
def test_a_failure_in_the_chart_leaves_neither_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    def broken(*args: object, **kwargs: object) -> Any:
        raise CareProfilesError("the chart broke")

    monkeypatch.setattr(careprofiles.outputs.charts, "cost_plot", broken)
    status, err = _run(["cost", "-o", "c.json", "--plot", "c.png"], capsys)
    assert (status, err) == (1, "the chart broke\n")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    status, err = _run(["cost", "-o", "c.json", "--plot", "c.png"], capsys)
    # said once all are there: the chart's manifest beside it (the JSON holds its own)
    assert (status, err) == (0, "wrote c.json\nwrote c.png\nwrote c.png.manifest.json\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "c.png", "c.png.manifest.json"]


# ---------------------------------------------------------------- killed runs


def _start(cwd: Path, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "careprofiles", *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Wait for ``process``: its exit status and standard error."""
    _, err = process.communicate(timeout=300)
    return process.returncode, err


def _temporaries(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f".{name}.careprofiles-*.tmp"))


def _kill_while_writing(
    folder: Path, sig: signal.Signals, argv: list[str], writing: str
) -> subprocess.CompletedProcess[str]:
    """Start careprofiles with ``argv`` in ``folder``; send ``sig`` once the temporary
    file of ``writing`` has something in it (so the run is mid-write)."""
    process = _start(folder, *argv)
    deadline = time.monotonic() + 120
    try:
        while not any(p.stat().st_size > 0 for p in _temporaries(folder, writing)):
            assert process.poll() is None, f"ended before it wrote: {process.communicate()}"
            assert time.monotonic() < deadline, "never started writing"
            time.sleep(0.005)
        process.send_signal(sig)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # pragma: no cover - only when the test fails
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


SIMULATE = ["simulate", "--draws", "200000", "--seed", "1", "-o", "out.csv"]
SMALL = ["simulate", "--draws", "100", "--seed", "1", "-o"]


@POSIX
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_run_killed_mid_write_leaves_no_output(tmp_path: Path, sig: signal.Signals) -> None:
    done = _kill_while_writing(tmp_path, sig, SIMULATE, writing="out.csv")
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "out.csv.manifest.json").exists()  # written after the file
    if sig == signal.SIGTERM:  # cleaned up on the way out, as for Ctrl-C
        assert done.returncode == 128 + signal.SIGTERM
        assert done.stderr == "terminated\n"
        assert list(tmp_path.iterdir()) == []
    else:  # no chance to clean up: the temporary file is left, and the next run sweeps it
        assert done.returncode == -signal.SIGKILL
        assert len(_temporaries(tmp_path, "out.csv")) == 1
    again = run_python("-m", "careprofiles", *SMALL, "out.csv", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.csv.manifest.json"]


@POSIX
@PLOT
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_run_killed_during_its_chart_leaves_neither_file(
    tmp_path: Path, sig: signal.Signals
) -> None:
    argv = [*SIMULATE[:-2], "--draws", "20000", "-o", "c.csv", "--plot", "c.png"]
    process = _start(tmp_path, *argv)
    try:  # the chart's temporary file appears once the CSV is written, before the chart is
        # (with the CSV's: not the probe made and removed at once as the run starts)
        while not (_temporaries(tmp_path, "c.csv") and _temporaries(tmp_path, "c.png")):
            assert process.poll() is None, f"ended before the chart: {process.communicate()}"
            time.sleep(0.002)
        process.send_signal(sig)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # pragma: no cover - only when the test fails
            process.kill()
            process.wait()
    assert not (tmp_path / "c.csv").exists()
    assert not (tmp_path / "c.png").exists()
    assert not list(tmp_path.glob("*.manifest.json"))
    if sig == signal.SIGTERM:
        assert list(tmp_path.iterdir()) == [], (process.returncode, err, sorted(tmp_path.iterdir()))
    again = run_python("-m", "careprofiles", *SMALL, "x.csv", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    # the sweep took both temporary files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv", "x.csv.manifest.json"]


# ---------------------------------------------------------------- two runs at once


@POSIX
def test_two_runs_writing_the_same_file_at_once_leave_one_whole_file(tmp_path: Path) -> None:
    def draws(seed: int, target: str, *more: str) -> list[str]:
        return ["simulate", "--draws", "10000", "--seed", str(seed), "-o", target, *more]

    runs = [
        _start(tmp_path, *draws(1, "one.csv")),
        _start(tmp_path, *draws(2, "two.csv")),
        _start(tmp_path, *draws(1, "same.csv", "--force")),
        _start(tmp_path, *draws(2, "same.csv", "--force")),
    ]
    results = [_finish(run) for run in runs]
    assert [status for status, _ in results] == [0, 0, 0, 0], results
    whole = {(tmp_path / name).read_bytes() for name in ("one.csv", "two.csv")}
    assert len(whole) == 2
    assert (tmp_path / "same.csv").read_bytes() in whole
    # without --force: one run writes the file; the other writes it too if it got past
    # the check in time, or is refused; never a mixture, never a half file
    runs = [_start(tmp_path, *draws(1, "new.csv")), _start(tmp_path, *draws(2, "new.csv"))]
    results = [_finish(run) for run in runs]
    assert 0 in [status for status, _ in results], results
    for status, err in results:
        assert status == 0 or (status == 1 and "exists already" in err), err
    assert (tmp_path / "new.csv").read_bytes() in whole
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".manifest.json"))
    assert names == ["new.csv", "one.csv", "same.csv", "two.csv"]
    manifests = sorted(p.name for p in tmp_path.glob("*.manifest.json"))
    assert manifests == [f"{name}.manifest.json" for name in names]


def test_simulate_writes_the_same_draws_to_a_file_as_to_the_screen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # to a file, the draws are written as they are made (sheets.csv_writer), not held whole
    monkeypatch.chdir(tmp_path)
    draws = ["simulate", "--draws", "500", "--seed", "3", "--format", "csv"]
    assert main(draws) == 0
    screen = capsys.readouterr().out
    assert main([*draws, "-o", "draws.csv"]) == 0
    assert (tmp_path / "draws.csv").read_bytes() == screen.encode("utf-8")


@POSIX
def test_a_sigterm_whose_exception_was_swallowed_still_stops_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python ignores an exception raised in a __del__ or a callback: the SIGTERM that
    # came there must still stop the command before its files are put in place
    import careprofiles.cli.cost

    real = careprofiles.cli.cost.cost

    def swallowing(*args: Any, **kwargs: Any) -> Any:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler runs here, and its exception is caught below
        except BaseException:  # what a __del__ does, in effect
            pass
        return real(*args, **kwargs)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(careprofiles.cli.cost, "cost", swallowing)
    before = signal.getsignal(signal.SIGTERM)
    status, err = _run(["cost", "-o", "c.json"], capsys)
    assert (status, err) == (128 + signal.SIGTERM, "terminated\n")
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is before  # put back as it was
