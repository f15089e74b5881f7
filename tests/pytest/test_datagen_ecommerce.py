"""Tests of the synthetic e-commerce sales feed generator (datagen.ecommerce).

One small feed is generated per module and read back from the CSV files, so every check
looks at what downstream code will see.
"""

from __future__ import annotations

import collections
import gzip
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from datagen import ecommerce as gen

SMALL = {"rows": 120_000, "customers": 20_000, "items": 25_000, "seed": 7}
TINY = {"rows": 20_000, "customers": 3_000, "items": 4_000}
YEAR = 2021
SECONDS_PER_DAY = 86_400
YEAR_END = np.datetime64("2022-01-01T00:00:00", "s").astype(np.int64)

COLUMN_PATTERNS = {
    "customer_id": re.compile(r"(\d+\.0)?"),
    "item_id": re.compile(r"\d+"),
    "item_name": re.compile(r"[A-Z][a-z]+ [A-Z][a-z]+ [A-Z][a-z]+ \d+"),
    "unit_price": re.compile(r"\d+(\.\d{1,2})?"),
    "item_count": re.compile(r"[1-9]\d*"),
    "purchase_time": re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"),
}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("small_feed")
    summary = gen.generate(out_dir=out_dir, **SMALL)
    return summary, out_dir


@pytest.fixture(scope="module")
def feed(small):
    """All sales lines of the small feed as numpy arrays (customer -1 when missing)."""
    _, out_dir = small
    return read_feed(out_dir)


@pytest.fixture(scope="module")
def truth(small):
    _, out_dir = small
    table = pacsv.read_csv(out_dir / "customer_types.csv")
    return {
        "customer": table["customer_id"].to_numpy(),
        "type": np.array(table["customer_type"].to_pylist()),
    }


@pytest.fixture(scope="module")
def rfm(feed, truth):
    """Recency (days before year end), frequency (orders) and monetary per ground-truth row."""
    known = feed["customer"] >= 0
    customer = np.searchsorted(truth["customer"], feed["customer"][known])
    n = truth["customer"].size
    orders = np.unique(np.column_stack([customer, feed["time"][known]]), axis=0)
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, customer, feed["time"][known])
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, customer, feed["time"][known])
    spend = feed["price"][known] * feed["count"][known]
    return {
        "frequency": np.bincount(orders[:, 0], minlength=n),
        "recency": (YEAR_END - last) / SECONDS_PER_DAY,
        "first_day": (first - (YEAR_END - 365 * SECONDS_PER_DAY)) / SECONDS_PER_DAY,
        "monetary": np.bincount(customer, weights=spend, minlength=n),
    }


def read_feed(out_dir: Path) -> dict[str, np.ndarray]:
    as_text = pacsv.ConvertOptions(column_types=dict.fromkeys(gen.HEADER, pa.string()))
    tables = [
        pacsv.read_csv(path, convert_options=as_text)
        for path in sorted(out_dir.glob("sales_*.csv*"))
    ]
    table = pa.concat_tables(tables)
    customer_text = table["customer_id"]
    customer = pc.if_else(pc.equal(customer_text, ""), "-1", customer_text)
    names = pc.split_pattern(table["item_name"], " ")
    category = pc.binary_join_element_wise(
        pc.list_element(names, 1), pc.list_element(names, 2), " "
    )
    return {
        "customer": pc.cast(pc.cast(customer, pa.float64()), pa.int64()).to_numpy(),
        "item": pc.cast(table["item_id"], pa.int64()).to_numpy(),
        "category": pc.dictionary_encode(category).combine_chunks().indices.to_numpy(),
        "price": pc.cast(table["unit_price"], pa.float64()).to_numpy(),
        "count": pc.cast(table["item_count"], pa.int64()).to_numpy(),
        "time": pc.strptime(table["purchase_time"], "%Y-%m-%d %H:%M:%S", "s")
        .cast(pa.int64())
        .to_numpy(),
    }


def order_keys(feed: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Unique (customer, purchase_time) orders and, per line, the index of its order."""
    known = feed["customer"] >= 0
    pairs = np.column_stack([feed["customer"][known], feed["time"][known]])
    return np.unique(pairs, axis=0, return_inverse=True)


def data_lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as handle:
        return handle.read().splitlines()


def file_bytes(out_dir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out_dir.iterdir())}


# --- exact counts ------------------------------------------------------------------------


def test_row_count_is_exact(small, feed):
    summary, out_dir = small
    per_file = {path.name: len(data_lines(path)) - 1 for path in out_dir.glob("sales_*.csv")}
    assert sum(per_file.values()) == SMALL["rows"]
    assert per_file == summary.rows_per_file
    assert summary.total_rows == SMALL["rows"] == feed["item"].size


def test_every_customer_appears_and_no_other(small, feed, truth):
    ids = np.unique(feed["customer"][feed["customer"] >= 0])
    assert ids.size == SMALL["customers"]
    np.testing.assert_array_equal(ids, truth["customer"])
    assert ids.min() >= gen.CUSTOMER_ID_OFFSET


def test_orders_are_distinct_customer_and_time_pairs(small, feed):
    """Lines of an order share customer and second; orders of a customer never do."""
    summary, _ = small
    orders, _ = order_keys(feed)
    assert len(orders) == summary.orders


def test_orders_of_a_customer_never_share_a_second(tmp_path, monkeypatch):
    """Even when every order is drawn on the first day of its window at noon."""

    def window_start(self, lo, hi, rng, cdf=None):
        return np.asarray(lo, dtype=np.int64)

    def noon(self, day, rng):
        return day.astype(np.int64) * SECONDS_PER_DAY + 12 * 3600

    monkeypatch.setattr(gen._Calendar, "sample_days", window_start)
    monkeypatch.setattr(gen._Calendar, "sample_seconds", noon)
    summary = gen.generate(**TINY, seed=1, out_dir=tmp_path)
    orders, _ = order_keys(read_feed(tmp_path))
    assert len(orders) == summary.orders


def test_every_item_is_sold_when_rows_allow(small, feed):
    summary, _ = small
    items = np.unique(feed["item"])
    assert items.size == SMALL["items"] == summary.items_sold
    assert items.min() >= gen.ITEM_ID_OFFSET
    assert items.max() < gen.ITEM_ID_OFFSET + SMALL["items"]


def test_fewer_rows_than_items_never_invents_items(tmp_path):
    summary = gen.generate(rows=2_000, customers=300, items=5_000, seed=3, out_dir=tmp_path)
    items = np.unique(read_feed(tmp_path)["item"])
    assert items.size == summary.items_sold <= 5_000
    # Every clean line still sells a different item when the catalogue is that large.
    assert items.size >= 0.95 * 2_000


# --- formats -----------------------------------------------------------------------------


def test_header_and_field_formats(small):
    _, out_dir = small
    files = sorted(out_dir.glob("sales_*.csv"))
    assert [path.name for path in files] == [f"sales_{YEAR}_{m:02d}.csv" for m in range(1, 13)]
    for month, path in enumerate(files, start=1):
        header, *lines = data_lines(path)
        assert header == "customer_id,item_id,item_name,unit_price,item_count,purchase_time"
        for line in lines:
            fields = line.split(",")
            assert len(fields) == 6, line
            for (column, pattern), field in zip(COLUMN_PATTERNS.items(), fields, strict=True):
                assert pattern.fullmatch(field), f"{path.name}: bad {column} in {line!r}"
            _, item_id, item_name, *_, purchase_time = fields
            assert item_name.endswith(" " + item_id), line
            assert purchase_time.startswith(f"{YEAR}-{month:02d}-"), line


def test_item_names_are_stable_per_item(small):
    _, out_dir = small
    table = pa.concat_tables(
        pacsv.read_csv(
            path, convert_options=pacsv.ConvertOptions(include_columns=["item_id", "item_name"])
        )
        for path in sorted(out_dir.glob("sales_*.csv"))
    )
    distinct = table.group_by(["item_id", "item_name"]).aggregate([])
    assert distinct.num_rows == SMALL["items"]


def test_prices_are_per_item_and_long_tailed(feed):
    paid = feed["price"] > 0
    prices = feed["price"][paid]
    median = np.median(prices)
    assert 2 <= median <= 20
    assert np.percentile(prices, 99.9) > 10 * median
    per_item = collections.defaultdict(set)
    for item, price in zip(feed["item"][paid][:20_000], prices[:20_000], strict=True):
        per_item[item].add(price)
    assert max(len(seen) for seen in per_item.values()) == 1


def test_item_count_is_mostly_one(feed):
    share_of_ones = np.mean(feed["count"] == 1)
    assert 0.65 <= share_of_ones <= 0.85
    assert feed["count"].max() >= 4


def test_ground_truth_file(small, truth):
    summary, out_dir = small
    lines = data_lines(out_dir / "customer_types.csv")
    assert lines[0] == "customer_id,customer_type"
    assert all(re.fullmatch(r"\d+,[a-z_]+", line) for line in lines[1:])
    assert len(lines) - 1 == SMALL["customers"] == np.unique(truth["customer"]).size
    assert set(truth["type"]) == set(gen.TYPE_NAMES)
    counts = collections.Counter(truth["type"].tolist())
    assert counts == summary.customers_per_type
    for name, share in zip(gen.TYPE_NAMES, gen.TYPE_SHARES, strict=True):
        assert counts[name] == pytest.approx(share * SMALL["customers"], abs=5)


# --- determinism -------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, compress):
    first = gen.generate(**TINY, seed=11, out_dir=tmp_path / "a", gzip=compress)
    gen.generate(**TINY, seed=11, out_dir=tmp_path / "b", gzip=compress)
    gen.generate(**TINY, seed=12, out_dir=tmp_path / "c", gzip=compress)
    a, b, c = (file_bytes(tmp_path / name) for name in "abc")
    assert len(a) == 13 and set(first.rows_per_file) <= set(a)
    assert a == b
    assert all(a[name] != c[name] for name in a)


def test_gzip_output_is_readable_and_matches_plain(tmp_path):
    gen.generate(**TINY, seed=5, out_dir=tmp_path / "plain")
    gen.generate(**TINY, seed=5, out_dir=tmp_path / "gz", gzip=True)
    for month in range(1, 13):
        name = f"sales_{YEAR}_{month:02d}.csv"
        packed = (tmp_path / "gz" / f"{name}.gz").read_bytes()
        assert packed[:2] == b"\x1f\x8b"
        assert packed[3] & 0x08 == 0, "no file name in the gzip header"
        assert packed[4:8] == b"\0\0\0\0", "mtime 0"
        assert gzip.decompress(packed) == (tmp_path / "plain" / name).read_bytes()
    assert read_feed(tmp_path / "gz")["item"].size == TINY["rows"]


# --- realism -----------------------------------------------------------------------------


def test_order_frequency_is_heavy_tailed(rfm):
    frequency = rfm["frequency"]
    assert np.mean(frequency == 1) > 0.5
    top = np.sort(frequency)[::-1][: frequency.size // 100]
    assert top.sum() / frequency.sum() > 0.10  # 10x a uniform share
    assert frequency.max() >= 100


def test_item_popularity_is_zipf_like(feed):
    lines_per_item = np.sort(np.unique(feed["item"], return_counts=True)[1])[::-1]
    top = lines_per_item[: lines_per_item.size // 100]
    assert top.sum() / lines_per_item.sum() > 0.25  # 25x a uniform share
    assert np.median(lines_per_item) < 0.5 * lines_per_item.mean()


def test_customers_stick_to_their_categories(feed):
    known = feed["customer"] >= 0
    customer = np.unique(feed["customer"][known], return_inverse=True)[1]
    category = feed["category"][known]

    def mean_top_category_share(category):
        pairs, per_pair = np.unique(
            np.column_stack([customer, category]), axis=0, return_counts=True
        )
        top = np.zeros(customer.max() + 1)
        np.maximum.at(top, pairs[:, 0], per_pair)
        lines = np.bincount(customer)
        busy = lines >= 5
        return np.mean(top[busy] / lines[busy])

    observed = mean_top_category_share(category)
    shuffled = mean_top_category_share(np.random.default_rng(0).permutation(category))
    assert observed > 0.6
    assert observed > 2 * shuffled


def test_baskets_mostly_share_a_category(feed):
    known = feed["customer"] >= 0
    _, order = order_keys(feed)
    category = feed["category"][known]
    multi_line = np.bincount(order)[order] >= 2
    assert multi_line.mean() > 0.2

    def share_in_basket_majority(category):
        pairs, per_pair = np.unique(
            np.column_stack([order[multi_line], category[multi_line]]),
            axis=0,
            return_counts=True,
        )
        majority = np.zeros(order.max() + 1)
        np.maximum.at(majority, pairs[:, 0], per_pair)
        return majority.sum() / multi_line.sum()

    observed = share_in_basket_majority(category)
    shuffled = share_in_basket_majority(np.random.default_rng(0).permutation(category))
    assert observed > 0.8
    assert observed > shuffled + 0.25


def test_q4_peak_and_daily_pattern(feed):
    orders, _ = order_keys(feed)
    times = orders[:, 1].astype("datetime64[s]")
    month = times.astype("datetime64[M]").astype(int) % 12 + 1
    per_month = np.bincount(month, minlength=13)
    assert per_month[11] + per_month[12] > 3 * per_month[2]
    assert per_month[11] > 1.3 * per_month[2] and per_month[12] > 1.3 * per_month[2]
    hour = (orders[:, 1] % SECONDS_PER_DAY) // 3600
    per_hour = np.bincount(hour, minlength=24)
    assert per_hour[18:22].mean() > 4 * per_hour[2:5].mean()


def test_types_follow_their_documented_rules(truth, rfm):
    kind = truth["type"]
    frequency, recency, first_day = rfm["frequency"], rfm["recency"], rfm["first_day"]
    september_end, may_end = 273, 151  # days since January 1st, 2021
    one_off, new = kind == "one_off", kind == "new"
    lapsed, regular, loyal = kind == "lapsed", kind == "regular", kind == "loyal"
    assert np.all(frequency[one_off] == 1) and np.all(first_day[one_off] < september_end)
    assert np.all(frequency[new] <= 2) and np.all(recency[new] <= 45)
    assert np.all((frequency[lapsed] >= 3) & (frequency[lapsed] <= 6))
    assert np.all(recency[lapsed] >= 365 - may_end)
    assert np.all((frequency[regular] >= 4) & (frequency[regular] <= 10))
    assert np.all(recency[regular] <= 60)
    assert np.all(frequency[loyal] >= 15) and np.all(recency[loyal] <= 14)


def test_types_are_separated_in_rfm_space(truth, rfm):
    def median(metric, name):
        return np.median(rfm[metric][truth["type"] == name])

    assert median("recency", "loyal") < median("recency", "new")
    assert median("recency", "new") < median("recency", "regular")
    assert median("recency", "regular") < median("recency", "one_off")
    assert median("recency", "one_off") < median("recency", "lapsed")
    frequencies = {name: median("frequency", name) for name in gen.TYPE_NAMES}
    assert max(frequencies, key=frequencies.get) == "loyal"
    assert frequencies["loyal"] >= 15 > frequencies["regular"] > frequencies["new"]
    spend = {name: median("monetary", name) for name in gen.TYPE_NAMES}
    assert spend["loyal"] > spend["regular"] > spend["lapsed"] > spend["one_off"]


# --- dirty rows --------------------------------------------------------------------------


def test_exact_duplicates_are_the_planted_ones(small):
    summary, out_dir = small
    duplicates = 0
    for path in sorted(out_dir.glob("sales_*.csv")):
        lines = data_lines(path)[1:]
        duplicates += len(lines) - len(set(lines))
    assert duplicates == summary.duplicate_rows
    expected = gen.DUPLICATE_RATE * SMALL["rows"]
    assert 0.9 * expected <= duplicates <= 1.1 * expected


def test_duplicates_are_copies_of_earlier_lines_out_of_place(small):
    """Duplicates land later in the file, mostly not right after their source."""
    _, out_dir = small
    lines = data_lines(out_dir / f"sales_{YEAR}_06.csv")[1:]
    first_seen: dict[str, int] = {}
    gaps = []
    for position, line in enumerate(lines):
        if line in first_seen:
            gaps.append(position - first_seen[line])
        else:
            first_seen[line] = position
    assert gaps and min(gaps) >= 1
    assert np.median(gaps) > 10


def test_missing_customer_ids_and_zero_prices_at_documented_rates(small, feed):
    summary, _ = small
    missing = np.sum(feed["customer"] < 0)
    zero_price = np.sum(feed["price"] == 0)
    # Duplicates may copy a dirty line, hence the small upward slack.
    assert summary.missing_customer_rows <= missing <= 1.05 * summary.missing_customer_rows
    assert summary.zero_price_rows <= zero_price <= 1.05 * summary.zero_price_rows
    rows = SMALL["rows"]
    assert missing == pytest.approx(gen.MISSING_CUSTOMER_RATE * rows, rel=0.1)
    assert zero_price == pytest.approx(gen.ZERO_PRICE_RATE * rows, rel=0.1)


# --- argument handling -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--rows", "10", "--customers", "20"], "--rows"),
        (["--rows", "10", "--customers", "20"], "--customers"),
        (["--rows", "0"], "--rows"),
        (["--customers", "-5"], "--customers"),
        (["--items", "many"], "--items"),
        (["--seed", "-1"], "--seed"),
        (["--year", "10000"], "--year"),
    ],
)
def test_bad_arguments_exit_with_a_message_naming_the_option(tmp_path, capsys, arguments, named):
    with pytest.raises(SystemExit) as stopped:
        gen.main([*arguments, "--out", str(tmp_path / "out")])
    assert stopped.value.code != 0
    assert named in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_missing_out_is_an_error(capsys):
    with pytest.raises(SystemExit) as stopped:
        gen.main(["--rows", "100"])
    assert stopped.value.code != 0
    assert "--out" in capsys.readouterr().err


def test_out_must_be_a_directory(tmp_path, capsys):
    (tmp_path / "taken").write_text("not a directory")
    with pytest.raises(SystemExit) as stopped:
        gen.main(["--rows", "100", "--customers", "10", "--out", str(tmp_path / "taken")])
    assert stopped.value.code != 0
    assert "--out" in capsys.readouterr().err


def test_generate_rejects_impossible_sizes(tmp_path):
    with pytest.raises(ValueError, match="customers"):
        gen.generate(rows=5, customers=6, items=10, seed=1, out_dir=tmp_path)
    with pytest.raises(ValueError, match="items"):
        gen.generate(rows=5, customers=5, items=0, seed=1, out_dir=tmp_path)


def test_cli_writes_files_and_reports_progress(tmp_path, capsys):
    arguments = ["--rows", "3000", "--customers", "500", "--items", "800", "--seed", "1"]
    assert gen.main([*arguments, "--out", str(tmp_path), "--gzip"]) == 0
    err = capsys.readouterr().err
    assert re.search(rf"sales_{YEAR}_03\.csv\.gz: [\d,]+ rows", err)
    assert "3,000 rows" in err
    assert len(list(tmp_path.glob("sales_*.csv.gz"))) == 12
    assert (tmp_path / "customer_types.csv").exists()


def test_degenerate_sizes_still_add_up(tmp_path):
    """One line per customer leaves no room for dirty rows or second orders."""
    summary = gen.generate(rows=50, customers=50, items=3, seed=2, out_dir=tmp_path)
    feed = read_feed(tmp_path)
    assert summary.total_rows == feed["item"].size == 50
    assert np.unique(feed["customer"]).size == 50
    assert np.unique(feed["item"]).size == 3


def test_module_runs_as_a_script_with_help():
    done = subprocess.run(
        [sys.executable, "-m", "datagen.ecommerce", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    for option in ("--rows", "--customers", "--items", "--seed", "--out", "--year", "--gzip"):
        assert option in done.stdout
