with

customer_rfm as (

    select * from {{ ref('fct_customer_rfm') }}

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

scores as (

    {{ dbt.generate_series(5) }}

),

stores as (

    select distinct store_id from customer_rfm

),

-- Every one of the 125 cells for every store, so that an empty cell shows as empty.
cells as (

    select
        stores.store_id,
        r_scores.generated_number as r_score,
        f_scores.generated_number as f_score,
        m_scores.generated_number as m_score
    from stores
    cross join scores as r_scores
    cross join scores as f_scores
    cross join scores as m_scores

),

cell_customers as (

    select
        store_id,
        r_score,
        f_score,
        m_score,
        count(*) as customers,
        sum(monetary) as revenue,
        avg(recency_days) as mean_recency_days,
        avg(frequency) as mean_frequency,
        {{ decimal_mean('monetary') }} as mean_monetary
    from customer_rfm
    group by store_id, r_score, f_score, m_score

),

store_totals as (

    select
        store_id,
        count(*) as customers,
        sum(monetary) as revenue
    from customer_rfm
    group by store_id

),

cell_report as (

    select
        cells.store_id,
        {{ dbt.concat([
            'cast(cells.r_score as ' ~ dbt.type_string() ~ ')',
            'cast(cells.f_score as ' ~ dbt.type_string() ~ ')',
            'cast(cells.m_score as ' ~ dbt.type_string() ~ ')',
        ]) }} as rfm_cell,
        cast(cells.r_score as integer) as r_score,
        cast(cells.f_score as integer) as f_score,
        cast(cells.m_score as integer) as m_score,
        segment_map.segment,
        coalesce(cell_customers.customers, 0) as customers,
        cast(coalesce(cell_customers.customers, 0) as double) / store_totals.customers
            as share_of_customers,
        cast(coalesce(cell_customers.revenue, 0) as {{ money_type() }}) as revenue,
        -- Divided as doubles: decimal / decimal is a double on DuckDB but a decimal rounded
        -- to 10 places on Spark.
        cast(coalesce(cell_customers.revenue, 0) as double) / cast(store_totals.revenue as double)
            as share_of_revenue,
        cast(cell_customers.mean_recency_days as double) as mean_recency_days,
        cast(cell_customers.mean_frequency as double) as mean_frequency,
        cast(cell_customers.mean_monetary as double) as mean_monetary,
        coalesce(cell_customers.customers, 0) >= {{ var('rfm_min_cell_customers') }}
            as is_large_enough_to_act_on
    from cells
    inner join store_totals
        on cells.store_id = store_totals.store_id
    left join cell_customers
        on
            cells.store_id = cell_customers.store_id
            and cells.r_score = cell_customers.r_score
            and cells.f_score = cell_customers.f_score
            and cells.m_score = cell_customers.m_score
    left join segment_map
        on
            cells.r_score = segment_map.r_score
            and cells.f_score = segment_map.f_score

)

select * from cell_report
