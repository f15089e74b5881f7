"""Bad input gets a clear answer, and nothing is lost.

Each test writes its own small raw files and runs the real `dbt build` on them.
"""

import pytest
from dbt_project_runner import ECOMMERCE_HEADER, ONLINE_RETAIL_HEADER, run_dbt_build, write_csv

GOOD_ONLINE_RETAIL_ROWS = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,UK",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,UK",
    "C536379,71053,WHITE METAL LANTERN,-1,2010-12-01 09:41:00,3.39,17850,UK",
]
GOOD_ECOMMERCE_ROWS = [
    "104233.0,5000123,Rustic Garden Lantern 5000123,12.99,2,2021-01-04 10:15:00",
    "104233.0,5000124,Amber Candle 5000124,3.5,1,2021-01-04 10:15:00",
]


@pytest.fixture
def online_retail_file(tmp_path):
    return write_csv(
        tmp_path / "online_retail" / "online_retail.csv",
        ONLINE_RETAIL_HEADER,
        GOOD_ONLINE_RETAIL_ROWS,
    )


def test_bad_lines_are_rejected_with_a_reason_and_an_empty_month_is_no_sales(
    tmp_path, online_retail_file
):
    ecommerce_dir = tmp_path / "ecommerce"
    write_csv(
        ecommerce_dir / "sales_2021_01.csv",
        ECOMMERCE_HEADER,
        [
            *GOOD_ECOMMERCE_ROWS,
            "104234.0,5000125,Oak Shelf 5000125,20.00,1,2021-01-45 10:15:00",  # bad date
            "104235.0,5000125,Oak Shelf 5000125,20.00,two,2021-01-05 10:15:00",  # text as number
            "104236.0,5000125,Oak Shelf 5000125,20.00",  # missing fields
            # Two more good lines: a file with most of its lines rejected stops the build.
            "104237.0,5000123,Rustic Garden Lantern 5000123,12.99,1,2021-01-06 09:00:00",
            "104238.0,5000124,Amber Candle 5000124,3.5,1,2021-01-06 09:30:00",
        ],
    )
    write_csv(ecommerce_dir / "sales_2021_02.csv", ECOMMERCE_HEADER, [])  # a month with no sales

    run = run_dbt_build(tmp_path, str(online_retail_file), str(ecommerce_dir / "sales_*.csv"))

    assert run.returncode == 0, run.output
    rejected = run.query(
        "select source_row_number, rejection_reason, ordered_at_text, quantity_text"
        " from intermediate.int_order_lines_rejected"
        " where store_id = 'ecommerce' order by source_row_number"
    )
    assert rejected == [
        (3, "unparseable_value", "2021-01-45 10:15:00", None),  # the quantity 1 was read
        (4, "unparseable_value", None, "two"),  # the time was read
        (5, "malformed_row", None, None),
    ]
    kept = run.query(
        "select order_id, source_row_number, amount from intermediate.int_order_lines_cleaned"
        " where store_id = 'ecommerce' order by source_row_number"
    )
    assert [(order, row, float(amount)) for order, row, amount in kept] == [
        ("104233@2021-01-04 10:15:00", 1, 25.98),
        ("104233@2021-01-04 10:15:00", 2, 3.5),
        ("104237@2021-01-06 09:00:00", 6, 12.99),
        ("104238@2021-01-06 09:30:00", 7, 3.5),
    ]
    # Every raw line reached int_order_lines (the raw views are dropped after the run, and
    # staging is ephemeral).
    assert run.query(
        "select count(*) from intermediate.int_order_lines where store_id = 'ecommerce'"
    ) == [(7,)]


@pytest.mark.parametrize(
    ("case", "expected_message"),
    [
        (
            "wrong_header",
            "has the header 'cust,item,name,price,count,time'. Expected: " + ECOMMERCE_HEADER,
        ),
        ("no_header", "has the header '104233.0,5000123,Rustic Garden Lantern"),
        ("zero_bytes", "is empty (0 bytes). Expected at least a header line: " + ECOMMERCE_HEADER),
        ("missing_file", "(set by var ecommerce_path or env var ECOMMERCE_PATH"),
    ],
)
def test_an_unusable_input_stops_the_build_naming_the_file(
    tmp_path, online_retail_file, case, expected_message
):
    ecommerce_dir = tmp_path / "ecommerce"
    write_csv(ecommerce_dir / "sales_2021_01.csv", ECOMMERCE_HEADER, GOOD_ECOMMERCE_ROWS)
    bad_file = ecommerce_dir / "sales_2021_02.csv"
    pattern = str(ecommerce_dir / "sales_*.csv")
    if case == "wrong_header":
        write_csv(bad_file, "cust,item,name,price,count,time", GOOD_ECOMMERCE_ROWS)
    elif case == "no_header":
        write_csv(bad_file, None, GOOD_ECOMMERCE_ROWS)
    elif case == "zero_bytes":
        bad_file.write_bytes(b"")
    elif case == "missing_file":
        pattern = str(tmp_path / "nowhere" / "sales_*.csv")

    run = run_dbt_build(tmp_path, str(online_retail_file), pattern)

    assert run.returncode != 0
    assert expected_message in run.output
    assert (pattern if case == "missing_file" else str(bad_file)) in run.output


def test_a_second_build_gives_the_same_tables(tmp_path, online_retail_file):
    ecommerce_dir = tmp_path / "ecommerce"
    write_csv(
        ecommerce_dir / "sales_2021_01.csv",
        ECOMMERCE_HEADER,
        [
            *GOOD_ECOMMERCE_ROWS,
            GOOD_ECOMMERCE_ROWS[0],  # an exact repeat
            ",5000123,Rustic Garden Lantern 5000123,0,1,2021-01-06 08:00:00",  # no customer
        ],
    )
    all_lines_sql = (
        "select * from intermediate.int_order_lines_cleaned"
        " union all by name select * from intermediate.int_order_lines_rejected"
        " order by store_id, source_file, source_row_number"
    )

    first = run_dbt_build(tmp_path, str(online_retail_file), str(ecommerce_dir / "sales_*.csv"))
    assert first.returncode == 0, first.output
    first_lines = first.query(all_lines_sql)
    second = run_dbt_build(tmp_path, str(online_retail_file), str(ecommerce_dir / "sales_*.csv"))
    assert second.returncode == 0, second.output

    assert len(first_lines) == len(GOOD_ONLINE_RETAIL_ROWS) + 4
    assert second.query(all_lines_sql) == first_lines
