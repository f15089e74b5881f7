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
    write_lines,
    write_online_retail_ii_workbook,
)

# The lines models and the customers' RFM (the as-of date), with their data tests.
LINES_BUILD = [
    "build",
    "--select",
    "+int_order_lines_cleaned",
    "+int_order_lines_rejected",
    "+fct_customer_rfm",
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
        " from raw.raw_files where source_name = 'online_retail' order by 1"
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
