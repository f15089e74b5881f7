"""Real inputs (issue 15): the files people actually have are read, bad lines are rejected
with a reason, and a bad file stops the build with a message naming the file, the problem and
the setting to change. One dbt build reads many kinds of input at once (module fixture); each
stop case is a run of its own, several problems to a run."""

from __future__ import annotations

import datetime as dt

import pytest
from dbt_project_runner import ECOMMERCE_HEADER, ONLINE_RETAIL_HEADER, run_dbt
from real_inputs import (
    excel_style_online_retail_rows,
    flip_a_bit_in_stored_gzip,
    truncated_gzip,
    write_lines,
    write_online_retail_ii_workbook,
)

from retail_warehouse.inputs.profile import report

# The lines models and the customers' RFM (the as-of date), with their data tests.
LINES_BUILD = [
    "build",
    "--select",
    "+int_order_lines_cleaned",
    "+int_order_lines_rejected",
    "+fct_customer_rfm",
    "+path:models/reports/inputs",
    "--exclude",
    "resource_type:unit_test",
    "path:models/ml+",
    "--indirect-selection",
    "cautious",
]
LONG_NAME = "X" * 3_000_000
JANUARY_BAD_LINES = {
    # invoice: (raw line, what it tests)
    "536901": "536901,22752,TOO FEW FIELDS,2,1/5/2011 9:00,7.65,17001",
    "536902": "536902,22752,ONE FIELD TOO MANY,2,1/5/2011 9:00,7.65,17001,United Kingdom,oops",
    "536903": "536903,22633,HAND WARMER\tUNION JACK,3,1/6/2011 10:00,1.85,17002,United Kingdom\x00",
    "536904": '536904,71053,"WHITE\nMETAL LANTERN",6,1/6/2011 10:05,3.39,17003,United Kingdom',
    "536905": "536905,22633,HAND WARMER,1,1/6/2011 11:00,1.85,nan,United Kingdom",
    "536906": "536906,22633,HAND WARMER,1,1/6/2011 11:00,1.85,NaN,United Kingdom",
    "536907": "536907,22633,HAND WARMER,1,1/6/2011 11:00,1.85, NULL ,United Kingdom",
    "536908": "536908,22633,HAND WARMER,1,1/6/2011 11:00,1.85,None,United Kingdom",
    "536909": "536909,ADJUST,Adjustment by john,1,1/7/2011 9:00,32.00,17004,United Kingdom",
    "536910": "536910,ADJUST2,Adjustment by Peter,1,1/7/2011 9:00,10.00,17004,United Kingdom",
    "536911": "536911,TEST001,This is a test product.,1,1/7/2011 9:00,4.50,17004,United Kingdom",
    "536912": "536912,TEST002,This is a test product.,1,1/7/2011 9:00,1.00,17004,United Kingdom",
    "536913": "536913,SP1002,KID'S CHALKBOARD/EASEL,2,1/7/2011 9:00,2.95,17004,United Kingdom",
    "536914": "536914,85123A,FUTURE LINE,1,1/7/2030 9:00,2.55,17005,United Kingdom",
    "536916": "536916,POSTAGE2,POSTAGE TO FRANCE,1,1/8/2011 9:00,18.00,17006,France",
    "536917": "536917,XMAS,CHRISTMAS SPECIAL,1,1/8/2011 9:00,3.00,17006,France",
    "536915": "536915,90210,CAFÉ “DELUXE” – €5 MUG,1,1/8/2011 9:00,5.00,17006,France",  # noqa: RUF001
}


@pytest.fixture(scope="module")
def real_inputs(tmp_path_factory):
    """One build of files as people have them: Online Retail as a cp1252 CSV export with Excel
    dates, a second month that repeats three lines of the first with prices written 2.550, and
    an Online Retail II workbook of two sheets; the e-commerce feed as a gzip file with dates
    but no times of day, exact repeats, a 3 MB name and a line dated 2030."""
    root = tmp_path_factory.mktemp("real_inputs")
    online_retail = root / "online_retail"
    january = excel_style_online_retail_rows(40, 1, 536500)
    write_lines(
        online_retail / "export_2011_01.csv",
        ONLINE_RETAIL_HEADER,
        january + list(JANUARY_BAD_LINES.values()),
        encoding="cp1252",
    )
    repeated = [line.replace(",2.55,", ",2.550,") for line in january[:3]]
    write_lines(
        online_retail / "export_2011_02.csv",
        ONLINE_RETAIL_HEADER,
        excel_style_online_retail_rows(20, 2, 536600) + repeated,
        encoding="cp1252",
    )
    write_online_retail_ii_workbook(online_retail / "online_retail_II.xlsx")
    ecommerce_rows = [
        f"1042{i:02d}.0,5000{i:03d},Item {i},12.99,1,2021-01-{1 + i % 28:02d}" for i in range(30)
    ]
    ecommerce_rows += [
        ecommerce_rows[0],  # bought again the same day: a purchase in a day-level feed
        f"104299.0,5000999,{LONG_NAME},1.00,1,2021-01-15",
        "nan,5000001,Item 1,12.99,1,2021-01-16",
        "NULL,5000001,Item 1,12.99,1,2021-01-16",
        "104201.0,5000001,Item 1,12.99,1,2030-01-01",
    ]
    write_lines(
        root / "ecommerce" / "sales_2021_01.csv.gz", ECOMMERCE_HEADER, ecommerce_rows, gzipped=True
    )
    variables = {
        "online_retail_path": str(online_retail / "*"),
        "ecommerce_path": str(root / "ecommerce" / "sales_*"),
        "online_retail_options": {"encoding": "cp1252"},
        "ecommerce_options": {"max_line_size": 4_000_000},
        "allow_overlapping_files": True,
    }
    run = run_dbt(root / "build", *LINES_BUILD, variables=variables)
    assert run.returncode == 0, run.output[-6000:]
    return run


def reasons(run, store: str, where: str) -> list[tuple]:
    return run.query(
        "select order_id, customer_id, rejection_reason from intermediate.int_order_lines"
        f" where store_id = '{store}' and {where} order by source_file, source_row_number"
    )


def test_excel_style_dates_are_detected_and_read(real_inputs):
    formats = real_inputs.query(
        "select regexp_extract(source_file, '[^/]+$'), timestamp_format, timestamp_format_origin"
        " from marts.rpt_input_files where store_id = 'online_retail' order by 1"
    )
    assert formats == [
        ("export_2011_01.csv", "%m/%d/%Y %H:%M", "detected"),
        ("export_2011_02.csv", "%m/%d/%Y %H:%M", "detected"),
        ("online_retail_II.xlsx#April", "iso", "detected"),
        ("online_retail_II.xlsx#Year 2011 March", "iso", "detected"),
    ]
    assert "timestamps read as %m/%d/%Y %H:%M in 2 files, iso in 2 files" in real_inputs.output
    # 1/12/2011 is 12 January (month first), not 1 December.
    written = [
        dt.datetime.strptime(line.split(",")[4], "%m/%d/%Y %H:%M")
        for line in excel_style_online_retail_rows(40, 1, 536500)
    ]
    assert real_inputs.query(
        "select min(ordered_at), max(ordered_at), count(*) from"
        " intermediate.int_order_lines_cleaned where order_id between '536500' and '536539'"
    ) == [(min(written), max(written), 40)]


def test_lines_dated_after_the_run_are_rejected_and_move_no_as_of_date(real_inputs):
    assert reasons(real_inputs, "online_retail", "year(ordered_at) = 2030") == [
        ("536914", "17005", "future_timestamp")
    ]
    assert reasons(real_inputs, "ecommerce", "year(ordered_at) = 2030") == [
        ("104201@2030-01-01 00:00:00", "104201", "future_timestamp")
    ]
    assert real_inputs.query(
        "select store_id, max(as_of_date)::varchar from marts.fct_customer_rfm"
        " group by 1 order by 1"
    ) == [("ecommerce", "2021-01-29"), ("online_retail", "2011-04-12")]


def test_null_like_customer_ids_are_missing_customers(real_inputs):
    assert reasons(real_inputs, "online_retail", "order_id between '536905' and '536908'") == [
        (invoice, None, "missing_customer") for invoice in ("536905", "536906", "536907", "536908")
    ]
    assert reasons(real_inputs, "ecommerce", "item_id = '5000001' and day(ordered_at) = 16") == [
        (None, None, "missing_customer"),
        (None, None, "missing_customer"),
    ]


def test_lines_with_too_few_or_too_many_fields_are_malformed(real_inputs):
    assert reasons(real_inputs, "online_retail", "order_id in ('536901', '536902')") == [
        ("536901", "17001", "malformed_row"),
        ("536902", "17001", "malformed_row"),
    ]


def test_control_characters_are_stripped_and_counted(real_inputs):
    assert real_inputs.query(
        "select item_name, country, control_characters, rejection_reason"
        " from intermediate.int_order_lines where order_id in ('536903', '536904')"
        " order by order_id"
    ) == [
        ("HAND WARMER UNION JACK", "United Kingdom", 2, None),
        ("WHITE METAL LANTERN", "United Kingdom", 1, None),
    ]
    assert real_inputs.query(
        "select distinct country from intermediate.int_order_lines_cleaned"
        " where store_id = 'online_retail' order by 1"
    ) == [("France",), ("United Kingdom",)]


def test_a_quoted_line_break_is_one_line(real_inputs):
    rows = real_inputs.query(
        "select order_id, source_row_number from intermediate.int_order_lines"
        " where order_id in ('536903', '536904', '536905') order by source_row_number"
    )
    assert [row for row, _ in zip(rows, range(3), strict=False)] == [
        ("536903", 43),
        ("536904", 44),
        ("536905", 45),
    ]


def test_the_sister_files_non_product_codes_are_rejected(real_inputs):
    invoices = ("536909", "536910", "536911", "536912", "536913")
    assert reasons(real_inputs, "online_retail", "order_id between '536909' and '536913'") == [
        (invoice, "17004", "non_product") for invoice in invoices
    ]


def test_a_cp1252_file_is_decoded(real_inputs):
    assert real_inputs.query(
        "select item_name from intermediate.int_order_lines_cleaned where order_id = '536915'"
    ) == [("CAFÉ “DELUXE” – €5 MUG",)]  # noqa: RUF001


def test_every_sheet_of_an_online_retail_ii_workbook_is_read(real_inputs):
    sheets = real_inputs.query(
        "select regexp_extract(source_file, '#(.*)$', 1) as sheet, count(*),"
        " min(order_id), min(item_id), min(customer_id), min(ordered_at)::varchar,"
        " sum(quantity * unit_price)::double from intermediate.int_order_lines_cleaned"
        " where source_file like '%.xlsx#%' group by 1 order by 1"
    )
    assert sheets == [
        ("April", 10, "537400", "85123A", "17850", "2011-04-02 14:30:00", 67.8),
        ("Year 2011 March", 10, "537300", "71053", "17850", "2011-03-02 14:30:00", 67.8),
    ]


def test_lines_repeated_with_prices_written_otherwise_are_duplicates(real_inputs):
    repeats = "source_file like '%export_2011_02.csv' and month(ordered_at) = 1"
    assert reasons(real_inputs, "online_retail", repeats) == [
        (str(536500 + i), str(17800 + i), "duplicate") for i in range(3)
    ]


def test_a_day_level_feed_keeps_exact_repeats_as_purchases(real_inputs):
    assert "ecommerce: timestamps read as iso in 1 file" in real_inputs.output
    assert "no times of day, so exact repeat lines are purchases" in real_inputs.output
    assert real_inputs.query(
        "select count(*), count(rejection_reason) from intermediate.int_order_lines"
        " where store_id = 'ecommerce' and customer_id = '104200'"
    ) == [(2, 0)]


def test_a_3_mb_field_is_read_with_max_line_size(real_inputs):
    assert real_inputs.query(
        "select length(item_name), rejection_reason from intermediate.int_order_lines"
        " where item_id = '5000999'"
    ) == [(3_000_000, None)]


GOOD_ECOMMERCE_ROWS = [
    f"1043{i:02d}.0,5000{i:03d},Lantern {i},5.99,1,2021-01-{1 + i % 28:02d} 10:{i % 60:02d}:00"
    for i in range(30)
]


def stopped(run) -> str:
    assert run.returncode != 0, run.output[-3000:]
    return run.output


def test_damaged_files_stop_the_build_before_anything_runs(tmp_path):
    """Four files, four problems, one message: a gzip file with a flipped bit (DuckDB would
    read it, with garbled ids), a truncated one, a cp1252 file read as UTF-8, a 3 MB line."""
    rows = excel_style_online_retail_rows(30, 1, 536500)
    flipped = flip_a_bit_in_stored_gzip(
        tmp_path / "or" / "online_retail.csv.gz", ONLINE_RETAIL_HEADER, rows
    )
    feed = tmp_path / "ecommerce"
    truncated = truncated_gzip(feed / "sales_2021_01.csv.gz", ECOMMERCE_HEADER, GOOD_ECOMMERCE_ROWS)
    cafe = "104201.0,5000001,Caf\u00e9 mug,5.99,1,2021-02-01 10:00:00"
    cp1252 = write_lines(feed / "sales_2021_02.csv", ECOMMERCE_HEADER, [cafe], encoding="cp1252")
    long = f"104201.0,5000001,{LONG_NAME},5.99,1,2021-03-01 10:00:00"
    long_line = write_lines(feed / "sales_2021_03.csv", ECOMMERCE_HEADER, [long])
    variables = {"online_retail_path": str(flipped), "ecommerce_path": str(feed / "sales_*")}

    output = stopped(run_dbt(tmp_path / "build", *LINES_BUILD, variables=variables))

    assert "Input check: 4 problem(s) with the raw files; nothing was built." in output
    assert f"file '{flipped}' cannot be read: it is a damaged gzip file (CRC check failed" in output
    assert f"file '{truncated}' cannot be read: it is a truncated gzip file" in output
    bad_byte = len(ECOMMERCE_HEADER) + 1 + cafe.index("é")
    assert (
        f"file '{cp1252}' cannot be read: line 2 (byte {bad_byte:,}) holds b'\\xe9', which is"
        " not utf-8 text. Set the file's encoding in var ecommerce_options (e.g. {encoding: cp1252}"
    ) in output
    assert (
        f"file '{long_line}' cannot be read: line 2 (counting the header) is {len(long):,} bytes,"
        " longer than max_line_size (2,097,152). Raise max_line_size in var ecommerce_options"
    ) in output
    assert "leave it out of var online_retail_path" in output
    assert "START sql" not in output


def test_lines_and_files_that_would_make_a_wrong_build_stop_it(tmp_path):
    """A store none of whose lines can be read (its dates in another format than the var
    says), and a month delivered twice under two names, its prices written 5.990 the second
    time (every line a duplicate): one run, every problem named with the setting to change."""
    online_retail = write_lines(
        tmp_path / "online_retail.csv",
        ONLINE_RETAIL_HEADER,
        excel_style_online_retail_rows(30, 1, 536500),
    )
    feed = tmp_path / "ecommerce"
    first = write_lines(feed / "sales_2021_01.csv", ECOMMERCE_HEADER, GOOD_ECOMMERCE_ROWS)
    again = write_lines(
        feed / "sales_2021_01_resent.csv",
        ECOMMERCE_HEADER,
        [row.replace(",5.99,", ",5.990,") for row in GOOD_ECOMMERCE_ROWS],
    )
    variables = {
        "online_retail_path": str(online_retail),
        "ecommerce_path": str(feed / "sales_*"),
        "online_retail_options": {"timestamp_format": "%Y-%m-%d %H:%M:%S"},
    }

    output = stopped(run_dbt(tmp_path / "build", *LINES_BUILD, variables=variables))

    assert "Input check: 3 problem(s) with the judged lines; the load is rolled back" in output
    assert (
        f"store 'online_retail': file '{online_retail}': none of its 30 lines is kept, so the"
        " store would vanish from every mart. Top reasons: unparseable_value 30 (100.0%), e.g."
        " row 1 (order 536500, customer 17800, item 85123A, quantity 6, price 2.5500,"
        " at 1/3/2011 8:26)"
    ) in output
    assert "timestamp_format, encoding, delimiter in var online_retail_options" in output
    assert (
        f"store 'ecommerce': files '{first}', '{again}' have lines in the same month: 2021-01"
        " (30 / 30 lines)"
    ) in output
    assert "set var allow_overlapping_files: true" in output
    assert (
        f"store 'ecommerce': file '{again}': 30 of 30 lines (100.0%) are rejected, above var"
        " rejected_share_error (50.0%). Top reasons: duplicate 30 (100.0%)"
    ) in output
    assert "int_order_lines_cleaned" not in output.split("Input check:")[-1].split("Done.")[0]
    assert "OK created sql view model intermediate.int_order_lines_cleaned" not in output


def month_rows(month: int, count: int, first_customer: int) -> list[str]:
    return [
        f"{first_customer + i}.0,5000{i:03d},Lantern {i},5.99,1,2021-{month:02d}-"
        f"{1 + i % 28:02d} {10 + i % 8}:{i % 60:02d}:00"
        for i in range(count)
    ]


def test_a_new_file_with_lines_of_months_already_scored_stops_the_monthly_load(tmp_path):
    """January and February are loaded; March's file also holds 50 lines of January. In place,
    the January scores would stay as they were: the load stops, by default because the files
    share a month, and when that is allowed because January is scored already; a build from
    every file takes them."""
    online_retail = write_lines(
        tmp_path / "online_retail.csv",
        ONLINE_RETAIL_HEADER,
        excel_style_online_retail_rows(30, 1, 536500),
    )
    feed = tmp_path / "ecommerce"
    write_lines(feed / "sales_2021_01.csv", ECOMMERCE_HEADER, month_rows(1, 60, 104000))
    write_lines(feed / "sales_2021_02.csv", ECOMMERCE_HEADER, month_rows(2, 60, 104000))
    variables = {"online_retail_path": str(online_retail), "ecommerce_path": str(feed / "sales_*")}
    lines_only = [*LINES_BUILD[:2], "+int_order_lines", *LINES_BUILD[5:]]
    work = tmp_path / "build"
    assert run_dbt(work, *lines_only, variables=variables).returncode == 0
    march = write_lines(
        feed / "sales_2021_03.csv",
        ECOMMERCE_HEADER,
        month_rows(3, 60, 104000) + month_rows(1, 50, 105000),
    )

    overlapping = stopped(run_dbt(work, *lines_only, variables=variables))
    assert f"'{feed / 'sales_2021_01.csv'}', '{march}' have lines in the same month" in overlapping
    allowed = {**variables, "allow_overlapping_files": True}
    late_run = run_dbt(work, *lines_only, variables=allowed)
    late = stopped(late_run)
    assert (
        f"store 'ecommerce': the new file '{march}' has 50 kept lines dated before 2021-02-01"
        " (the first from 2021-01-01), in months that earlier loads have scored"
    ) in late
    assert "Build from every file instead: `make build`, or `dbt build --full-refresh`." in late
    files = "select count(distinct source_file) from intermediate.int_order_lines"
    assert late_run.query(files) == [(3,)]  # rolled back: Online Retail's and two months

    full = run_dbt(work, *lines_only, "--full-refresh", variables=allowed)
    assert full.returncode == 0, full.output[-3000:]
    assert full.query(
        "select count(*) from intermediate.int_order_lines where rejection_reason is null"
        f" and source_file = '{march}' and month(ordered_at) = 1"
    ) == [(50,)]


def test_the_input_profile_reports_every_file(real_inputs):
    """What `make profile` prints, from the models it builds (here those of the build above)."""
    text = report(real_inputs.warehouse)
    january = next(block for block in text.split("\n\n") if "export_2011_01.csv" in block)
    # 40 good lines and 17 others: 2 malformed, 4 without a customer, 5 non-products, 1 future.
    assert "57 lines: 45 kept, 12 rejected (21.1%); 2011-01-03 08:26 to 2030-01-07 09:00" in january
    assert "read as cp1252, timestamps %m/%d/%Y %H:%M (detected)" in january
    assert "per month: 2011-01 56 (also in 1 other file(s)); 2030-01 1" in january
    assert "malformed_row: 2 (3.5%), e.g. row 41 (order 536901, customer 17001" in january
    assert "future_timestamp: 1 (1.8%), e.g. row 54 (order 536914" in january
    assert "2 with control characters (3 taken out)" in january
    february = next(block for block in text.split("\n\n") if "export_2011_02.csv" in block)
    assert "2011-01 3 (also in 1 other file(s)); 2011-02 20" in february
    assert "duplicate: 3 (13.0%)" in february
    assert "online_retail: POSTAGE2 (word): 1 lines, 1 customers" in text
    assert "online_retail: XMAS (unusual_code): 1 lines" in text
