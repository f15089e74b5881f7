"""Small or odd stores: the build passes and every ML table says why a store is too small.

One real `dbt build` on two stores a model cannot do much with: an Online Retail shop that
sells a single item to four customers, and one valid month of the bundled e-commerce sample.
"""

from dbt_project_runner import ONLINE_RETAIL_HEADER, PROJECT_DIR, run_dbt_build, write_csv

# Four customers buy the one item; one of them returns a unit.
SINGLE_ITEM_ROWS = [
    f"5360{n:02d},85123A,WHITE HANGING HEART T-LIGHT HOLDER,{quantity},2011-0{month}-05 10:00:00,"
    f"2.55,1700{customer},United Kingdom"
    for n, (customer, quantity, month) in enumerate(
        [(1, 6, 1), (1, 2, 3), (2, 12, 2), (3, 1, 5), (4, 24, 6), (4, 6, 7)]
    )
]
RETURN_ROW = (
    "C536099,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,2011-07-09 10:00:00,2.55,17004,"
    "United Kingdom"
)


def test_a_single_item_shop_and_one_month_build_and_say_why(tmp_path):
    online_retail = write_csv(
        tmp_path / "single_item.csv", ONLINE_RETAIL_HEADER, [*SINGLE_ITEM_ROWS, RETURN_ROW]
    )
    one_month = PROJECT_DIR / "data" / "ecommerce" / "sales_2021_01.csv.gz"

    run = run_dbt_build(tmp_path, str(online_retail), str(one_month))

    assert run.returncode == 0, run.output[-6000:]

    def notes(table: str, store: str = "online_retail") -> list[str]:
        return [
            note
            for (note,) in run.query(
                f"select note from ml.{table} where store_id = '{store}' and note is not null"
            )
        ]

    # Recommendations: no model for one item, nothing to recommend to who bought it all.
    (fit_note,) = notes("ml_recommendation_fit")
    assert fit_note.startswith("no model: 1 item(s) bought by at least rec_min_item_customers")
    assert notes("ml_item_similarity") == [fit_note]
    (recs_note,) = notes("ml_customer_recommendations")
    assert "only the fallbacks recommend" in recs_note and "nothing to recommend" in recs_note
    assert run.query(
        "select count(*) from ml.ml_customer_recommendations"
        " where store_id = 'online_retail' and note is null"
    ) == [(0,)]
    (eval_note,) = notes("ml_recommendation_eval")
    assert eval_note.startswith("not evaluated")
    # One month of e-commerce: evaluated, but trained on one day before the cut-off, too little
    # to compare the algorithms; the quality test skips both stores and says so.
    one_month = notes("ml_recommendation_eval", "ecommerce")
    assert one_month and all("1 day(s) of purchases before the cut-off" in n for n in one_month)
    assert "assert_ml_default_algorithm_beats_popularity: store online_retail skipped" in run.output
    assert "assert_ml_default_algorithm_beats_popularity: store ecommerce skipped" in run.output
    # Clustering: four customers are too few for k = 4 and more.
    assert run.query(
        "select list(k order by k) from ml.ml_cluster_k_selection"
        " where store_id = 'online_retail' and note is null"
    ) == [([2, 3],)]
    assert len(notes("ml_cluster_k_selection")) == 7
    assert len(notes("ml_cluster_segment_crosstab")) == 2
    assert "too few for k = 4, 5, 6, 7, 8, 9, 10" in run.output
