"""Fixtures shared by the safe-build, reader and client tests, and the check that the test run
leaves no process listening on the network."""

import os
import shutil

import pytest
from listening_sockets import descendants, listeners
from small_warehouse import run, write_inputs
from warehouse_commands import build_swap_command, command_env


@pytest.fixture(scope="session")
def swapped_build(tmp_path_factory):
    """One quick build of the small input made by build_swap.py, as `make build` makes it; tests
    copy it (warehouse_copy) instead of building again. Returns (warehouse, work_dir, variables)."""
    work_dir = tmp_path_factory.mktemp("swapped_build")
    variables = write_inputs(work_dir / "input")
    warehouse = work_dir / "warehouse.duckdb"
    completed = run(build_swap_command(work_dir, variables), command_env(warehouse, work_dir))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return warehouse, work_dir, variables


@pytest.fixture
def warehouse_copy(swapped_build, tmp_path):
    """A copy of the shared build in the test's own directory."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(swapped_build[0], warehouse)
    return warehouse


@pytest.fixture(scope="session", autouse=True)
def no_listener_left():
    """Nothing a test started may still listen on a port when the run ends."""
    yield
    left = [str(listener) for listener in listeners(descendants(os.getpid()))]
    assert not left, f"processes started by the tests still listen on: {', '.join(left)}"
