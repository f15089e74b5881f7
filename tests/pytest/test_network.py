"""Nothing the project starts listens on the network beyond this machine: Spark (the `spark`
target's local session) binds to 127.0.0.1 only, and a dbt build opens no port at all. The
end of the test run checks that no process it started is still listening (conftest.py).
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import time

import pytest
from dbt_project_runner import PROJECT_DIR
from listening_sockets import descendants, listeners
from small_warehouse import write_inputs
from warehouse_commands import build_swap_command, command_env

# Starts the spark target's session the way dbt does (dbt debug connects), then waits on stdin.
SPARK_SESSION = """
import sys
from dbt.cli.main import dbtRunner
result = dbtRunner().invoke(["debug", "--target", "spark"])
print("SESSION UP" if result.success else "SESSION FAILED", flush=True)
sys.stdin.readline()
"""


@pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
    reason="PySpark or Java missing; run `make install-spark` (Java 17 on PATH)",
)
def test_the_spark_session_listens_on_the_loopback_address_only(tmp_path):
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "SPARK_WAREHOUSE_DIR": str(tmp_path / "spark" / "warehouse"),
        "SPARK_METASTORE_DIR": str(tmp_path / "spark" / "metastore"),
    }
    session = subprocess.Popen(
        [sys.executable, "-c", SPARK_SESSION],
        cwd=PROJECT_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = []
        for line in session.stdout:
            output.append(line)
            if line.startswith("SESSION"):
                break
        assert output and output[-1].startswith("SESSION UP"), "".join(output)
        found = listeners(descendants(session.pid))
    finally:
        session.communicate(input="\n", timeout=120)
    assert found, "the check saw no Spark port at all"
    assert [str(listener) for listener in found if not listener.is_loopback] == []


def test_a_dbt_build_opens_no_port(tmp_path):
    variables = write_inputs(tmp_path / "input")
    build = subprocess.Popen(
        build_swap_command(tmp_path, variables),
        cwd=PROJECT_DIR,
        env=command_env(tmp_path / "warehouse.duckdb", tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen, samples = set(), 0
    while build.poll() is None:
        seen.update(str(listener) for listener in listeners(descendants(build.pid)))
        samples += 1
        time.sleep(0.05)
    assert build.returncode == 0
    assert samples > 20
    assert seen == set()
