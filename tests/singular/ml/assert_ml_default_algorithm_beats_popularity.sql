{#- On every store whose evaluation is large enough to tell (ml_recommendation_eval has no
    note: at least var rec_eval_min_customers customers evaluated, and at least
    rec_holdout_days of history before the cut-off), the default algorithm (var
    rec_algorithm) has a higher NDCG@k overall than the popularity baseline. The stores it
    skips are named in the log with the reason. Fails with the store where the default does
    not beat popularity. -#}
{#- Only when the test runs: compiling (the linter, `dbt compile`) must not need the table. -#}
{%- set eval_table = load_relation(ref('ml_recommendation_eval')) if execute else none %}
{%- if eval_table is not none %}
    {%- set skipped = run_query(
        "select store_id, coalesce(max(note), 'no default algorithm row') from " ~ eval_table
        ~ " group by store_id having count(*) filter (where note is null and is_default) = 0"
        ~ " order by store_id"
    ) %}
    {%- for store_id, reason in skipped.rows %}
        {{- log(
            "assert_ml_default_algorithm_beats_popularity: store " ~ store_id
            ~ " skipped (" ~ reason ~ ")",
            info=true
        ) }}
    {%- endfor %}
{%- endif %}
with

overall as (

    select * from {{ ref('ml_recommendation_eval') }}
    where segment = '(all customers)' and note is null

),

default_algorithm as (

    select
        store_id,
        customers,
        ndcg_at_k
    from overall
    where is_default

),

popularity as (

    select
        store_id,
        ndcg_at_k
    from overall
    where algorithm = 'popularity'

)

select
    default_algorithm.store_id,
    default_algorithm.customers,
    default_algorithm.ndcg_at_k as default_ndcg_at_k,
    popularity.ndcg_at_k as popularity_ndcg_at_k
from default_algorithm
inner join popularity
    on default_algorithm.store_id = popularity.store_id
where default_algorithm.ndcg_at_k <= popularity.ndcg_at_k
