"""The segment dashboard in a real Apache Superset, started locally on the built warehouse.

    make superset-check    # import, check the charts' numbers and a screenshot, then stop
    make superset          # the same, then serve http://127.0.0.1:8088 until Ctrl-C

runs `python scripts/superset_dashboard.py [--serve] [--screenshot PNG]`, which

1. prepares a Superset home in target/superset (a metadata database, an admin user with a
   password of its own, `superset init`; done once, then reused),
2. imports the dashboard export in bi/superset/segment_dashboard (the exposure
   `segment_dashboard`), pointing its database at the warehouse file, opened read-only,
3. starts Superset on 127.0.0.1 only, asks it for the dataset columns' descriptions (the
   warehouse's column comments, dbt persist_docs) and for the numbers of the customers-by-
   segment chart, and checks both against the warehouse itself,
4. opens the dashboard in headless Chromium (retail_warehouse.report.browser), waits for every
   chart and saves a screenshot (target/superset/dashboard.png, or --screenshot),
5. stops Superset, or keeps it serving with --serve.

Superset lives in its own environment (`make superset-install`, requirements-superset.txt);
SUPERSET_BIN names another `superset` executable.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import duckdb
import requests
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))
from retail_warehouse.report.browser import chromium_page  # noqa: E402

EXPORT_DIR = PROJECT_DIR / "bi" / "superset" / "segment_dashboard"
CONFIG = PROJECT_DIR / "bi" / "superset" / "superset_config.py"
DASHBOARD_SLUG = "segments"
# The chart whose numbers are checked, and the store the dashboard opens on (its filter).
CHECKED_CHART = "Customers by RFM segment"
DEFAULT_STORE = "online_retail"
ADMIN = "admin"
CHARTS_TIMEOUT_S = 120


def log(message: str) -> None:
    print(f"superset_dashboard: {message}", flush=True)


def superset_bin() -> Path:
    default = PROJECT_DIR / ".venv" / "superset" / "bin" / "superset"
    path = Path(os.environ.get("SUPERSET_BIN", default))
    if not path.exists():
        raise SystemExit(f"superset_dashboard: {path} not found; run `make superset-install`.")
    return path


class Home:
    """target/superset: the metadata database, its secret key and the admin's password."""

    def __init__(self, path: Path, superset: Path):
        self.path = path
        self.superset = superset
        path.mkdir(parents=True, exist_ok=True)
        self.secret = self._kept_secret("secret_key")
        self.password = self._kept_secret("admin_password")

    def _kept_secret(self, name: str) -> str:
        file = self.path / name
        if not file.exists():
            file.write_text(secrets.token_urlsafe(32))
            file.chmod(0o600)
        return file.read_text().strip()

    @property
    def env(self) -> dict:
        return {
            **os.environ,
            "SUPERSET_HOME": str(self.path),
            "SUPERSET_CONFIG_PATH": str(CONFIG),
            "SUPERSET_SECRET_KEY": self.secret,
            "FLASK_APP": "superset",
        }

    def run(self, *args: str) -> None:
        completed = subprocess.run(
            [str(self.superset), *args], env=self.env, capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            raise SystemExit(
                f"superset_dashboard: `superset {' '.join(args)}` failed:\n"
                f"{(completed.stdout + completed.stderr)[-4000:]}"
            )

    def prepare(self) -> None:
        """A metadata database with the admin and nothing else: made once per home (about two
        minutes) and kept as prepared.db; every run starts from a copy, so the import always
        installs the export as it is (importing over an earlier import keeps the old charts)."""
        database = self.path / "superset.db"
        prepared = self.path / "prepared.db"
        if not prepared.exists():
            started = time.monotonic()
            log(f"preparing {self.path} (superset db upgrade, admin user, init; once)")
            database.unlink(missing_ok=True)
            self.run("db", "upgrade")
            self.run(
                "fab", "create-admin", "--username", ADMIN, "--firstname", "Segment",
                "--lastname", "Dashboard", "--email", "admin@localhost", "--password",
                self.password,
            )  # fmt: skip
            self.run("init")
            shutil.copyfile(database, prepared)
            log(f"prepared in {time.monotonic() - started:.0f} s")
        shutil.copyfile(prepared, database)


def export_zip(warehouse: Path, out: Path) -> Path:
    """The export as Superset imports it (a ZIP with one top folder), with the database's URI
    pointing at `warehouse`, read-only."""
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(EXPORT_DIR.rglob("*.yaml")):
            relative = path.relative_to(EXPORT_DIR)
            text = path.read_text()
            if relative.parts[0] == "databases":
                database = yaml.safe_load(text)
                database["sqlalchemy_uri"] = f"duckdb:///{warehouse}?access_mode=read_only"
                text = yaml.safe_dump(database, sort_keys=False)
            archive.writestr(f"segment_dashboard/{relative.as_posix()}", text)
    return out


class Server:
    """`superset run` on 127.0.0.1, and a logged-in API session."""

    def __init__(self, home: Home, port: int):
        self.url = f"http://127.0.0.1:{port}"
        self.home = home
        self.log_file = home.path / "server.log"
        with self.log_file.open("w") as output:
            self.process = subprocess.Popen(
                [str(home.superset), "run", "-h", "127.0.0.1", "-p", str(port), "--with-threads"],
                env=home.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.session = requests.Session()

    def wait_until_up(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if self.session.get(f"{self.url}/health", timeout=2).text == "OK":
                    return self._log_in()
            except requests.ConnectionError:
                pass
            time.sleep(1)
        self.stop()
        raise SystemExit(
            f"superset_dashboard: Superset did not answer on {self.url} within {timeout_s:.0f} s;"
            f" its log:\n{self.log_file.read_text()[-4000:]}"
        )

    def _log_in(self) -> None:
        login = {"username": ADMIN, "password": self.home.password, "provider": "db"}
        token = self.post("/api/v1/security/login", login)["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers["X-CSRFToken"] = self.get("/api/v1/security/csrf_token/")["result"]
        self.session.headers["Referer"] = self.url

    def get(self, path: str) -> dict:
        return self._checked(self.session.get(f"{self.url}{path}", timeout=60), path)

    def post(self, path: str, body: dict) -> dict:
        return self._checked(self.session.post(f"{self.url}{path}", json=body, timeout=60), path)

    def put(self, path: str) -> dict:
        return self._checked(self.session.put(f"{self.url}{path}", timeout=60), path)

    @staticmethod
    def _checked(response: requests.Response, path: str) -> dict:
        if response.status_code >= 300:
            raise SystemExit(
                f"superset_dashboard: {path} answered {response.status_code}:"
                f" {response.text[:2000]}"
            )
        return response.json()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            self.process.wait(timeout=30)


def by_name(column: str, value: str) -> str:
    """`?q=` of a list request for the objects whose `column` is `value` (rison)."""
    return f"(filters:!((col:{column},opr:eq,value:'{value}')))"


def check_descriptions(server: Server, warehouse: Path) -> None:
    """Superset reads the datasets' columns again (their comments are dbt's descriptions) and
    shows the same text as the warehouse."""
    datasets = server.get(f"/api/v1/dataset/?q={by_name('table_name', 'rpt_segment_summary')}")
    (dataset,) = datasets["result"]
    server.put(f"/api/v1/dataset/{dataset['id']}/refresh")
    columns = server.get(f"/api/v1/dataset/{dataset['id']}")["result"]["columns"]
    shown = {column["column_name"]: column["description"] for column in columns}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        stored = dict(
            connection.execute(
                "select column_name, comment from duckdb_columns()"
                " where schema_name = 'marts' and table_name = 'rpt_segment_summary'"
            ).fetchall()
        )
    if not stored.get("recommended_action") or shown != stored:
        raise SystemExit(
            "superset_dashboard: column descriptions in Superset differ from the warehouse's"
            f" comments: {shown} vs {stored}"
        )
    log(f"rpt_segment_summary: Superset shows the {len(shown)} column descriptions")


def check_chart_numbers(server: Server, warehouse: Path) -> None:
    """The customers-by-segment chart's query, run by Superset, gives the mart's numbers."""
    charts = server.get(f"/api/v1/chart/?q={by_name('slice_name', CHECKED_CHART)}")["result"]
    (chart,) = charts
    params = json.loads(server.get(f"/api/v1/chart/{chart['id']}")["result"]["params"])
    filters = [
        {"col": f["subject"], "op": f["operator"], "val": f["comparator"]}
        for f in params["adhoc_filters"]
    ] + [{"col": "store_id", "op": "IN", "val": [DEFAULT_STORE]}]
    dataset_id = int(params["datasource"].split("__")[0])
    body = {
        "datasource": {"id": dataset_id, "type": "table"},
        "queries": [
            {
                "columns": [params["x_axis"]],
                "metrics": params["metrics"],
                "filters": filters,
                "row_limit": 1000,
            }
        ],
        "result_format": "json",
        "result_type": "full",
    }
    (result,) = server.post("/api/v1/chart/data", body)["result"]
    label = params["metrics"][0]["label"]
    charted = {row[params["x_axis"]]: row[label] for row in result["data"]}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        expected = dict(
            connection.execute(
                "select segment, customers from marts.rpt_segment_summary"
                " where segmentation = 'rfm_segment' and store_id = ?",
                [DEFAULT_STORE],
            ).fetchall()
        )
    if charted != expected:
        raise SystemExit(
            f"superset_dashboard: '{CHECKED_CHART}' charts {charted}, the mart has {expected}"
        )
    log(
        f"'{CHECKED_CHART}': {len(charted)} segments, {sum(charted.values()):,} customers,"
        " as in the mart"
    )


def screenshot(server: Server, out: Path) -> None:
    """Logs in through the form, opens the dashboard and waits until every chart has drawn."""
    charts = len(server.get(f"/api/v1/dashboard/{DASHBOARD_SLUG}/charts")["result"])
    with chromium_page({"width": 1400, "height": 1800}) as page:
        page.goto(f"{server.url}/login/")
        page.wait_for_selector("input[type=password]", timeout=60_000)
        page.fill("input[name=username], input[id=username]", ADMIN)
        page.fill("input[type=password]", server.home.password)
        page.keyboard.press("Enter")
        page.wait_for_url("**/superset/welcome/**", timeout=60_000)
        page.goto(f"{server.url}/superset/dashboard/{DASHBOARD_SLUG}/")
        # Every chart holder has drawn something (a canvas, an svg or a table) and none loads.
        page.wait_for_function(
            """count => {
                const holders = document.querySelectorAll('.dashboard-chart');
                const drawn = Array.from(holders).filter(
                    holder => holder.querySelector('canvas, svg, table'));
                return drawn.length === count && !document.querySelector('.loading');
            }""",
            arg=charts,
            timeout=CHARTS_TIMEOUT_S * 1000,
        )
        page.wait_for_timeout(2_000)  # the charts' entry animations
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
    log(f"{charts} charts drawn; screenshot {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--warehouse", default=os.environ.get("WAREHOUSE_DUCKDB_PATH", "warehouse.duckdb")
    )
    parser.add_argument("--home", default="target/superset", help="Superset's own files")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--screenshot", help="PNG to write (default: <home>/dashboard.png)")
    parser.add_argument("--serve", action="store_true", help="keep serving until Ctrl-C")
    args = parser.parse_args(argv)
    warehouse = Path(args.warehouse).resolve()
    if not warehouse.exists():
        raise SystemExit(f"superset_dashboard: {warehouse} does not exist; run `make build`.")

    home = Home(Path(args.home).resolve(), superset_bin())
    home.prepare()
    with tempfile.TemporaryDirectory(prefix="superset-import-") as work:
        bundle = export_zip(warehouse, Path(work) / "segment_dashboard.zip")
        home.run("import-dashboards", "--path", str(bundle), "--username", ADMIN)
    log(f"imported {EXPORT_DIR.relative_to(PROJECT_DIR)} on {warehouse}")

    # Ctrl-C, and a plain kill, stop Superset too (it runs in a session of its own). SIGINT is
    # set again because a shell starts background jobs with it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    server = Server(home, args.port)
    try:
        server.wait_until_up()
        log(f"Superset is up on {server.url} ({time.monotonic() - started:.0f} s)")
        check_descriptions(server, warehouse)
        check_chart_numbers(server, warehouse)
        screenshot(server, Path(args.screenshot or home.path / "dashboard.png"))
        if args.serve:
            log(
                f"serving {server.url}/superset/dashboard/{DASHBOARD_SLUG}/ (user {ADMIN},"
                f" password in {home.path / 'admin_password'}); Ctrl-C stops it"
            )
            server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
