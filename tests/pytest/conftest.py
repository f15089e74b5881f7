"""Fixtures shared by the safe-build, reader and client tests."""

import shutil

import pytest
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
