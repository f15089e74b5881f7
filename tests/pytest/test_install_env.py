"""scripts/install_env.py: the install says what it is doing and how long it takes.

pip is a stand-in script in a fake environment that prints what pip prints, so the test needs
no network and takes a second."""

import subprocess
import sys
from pathlib import Path

from dbt_project_runner import PROJECT_DIR

INSTALL_ENV = [sys.executable, str(PROJECT_DIR / "scripts" / "install_env.py")]
PIP_OUTPUT = [
    "Collecting agate==1.9.1 (from -r requirements.txt (line 1))",
    "  Using cached agate-1.9.1-py2.py3-none-any.whl.metadata (3.2 kB)",
    "Processing /srv/wheels/babel-2.18.0-py3-none-any.whl (from -r requirements.txt (line 2))",
    "Requirement already satisfied: six==1.17.0 in ./venv/lib (from -r requirements.txt (line 3))",
    "Installing collected packages: agate, babel",
    "Successfully installed agate-1.9.1 babel-2.18.0",
]


def fake_venv(tmp_path: Path, exit_code: int) -> Path:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    pip = venv / "bin" / "pip"
    lines = "".join(f"echo '{line}'\n" for line in PIP_OUTPUT)
    pip.write_text(f"#!/bin/sh\n{lines}exit {exit_code}\n")
    pip.chmod(0o755)
    return venv


def install(tmp_path: Path, exit_code: int) -> subprocess.CompletedProcess:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# pins\nagate==1.9.1\nbabel==2.18.0\nsix==1.17.0\n")
    venv = fake_venv(tmp_path, exit_code)
    command = [*INSTALL_ENV, "--venv", str(venv), "--requirements", str(requirements)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_the_install_reports_each_step_and_its_duration(tmp_path):
    completed = install(tmp_path, exit_code=0)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("install: fetching 3 pinned packages (")
    assert "install:   3/3 packages resolved (" in lines[3]
    assert lines[4] == "install: installing 2 packages"
    assert lines[-1].startswith(f"install: {tmp_path / 'venv'} ready in ")
    assert "resolve and fetch " in lines[-1] and "install " in lines[-1]
    assert "Collecting" not in completed.stdout  # pip's own lines only when it fails


def test_a_failed_pip_shows_its_output_and_fails(tmp_path):
    completed = install(tmp_path, exit_code=1)
    assert completed.returncode == 1
    assert "install: pip failed (exit 1); its output is above" in completed.stderr
    assert "Collecting agate==1.9.1" in completed.stderr
