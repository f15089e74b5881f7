with

rfm_cells as (

    select * from {{ ref('rpt_rfm_cells') }}

),

-- The 125 cells summed over the M score: 25 R x F cells per store, empty ones included.
grid_cells as (

    select
        store_id,
        r_score,
        f_score,
        segment,
        sum(customers) as customers,
        sum(revenue) as revenue
    from rfm_cells
    group by store_id, r_score, f_score, segment

),

store_totals as (

    select
        store_id,
        sum(customers) as customers,
        sum(revenue) as revenue
    from grid_cells
    group by store_id

),

rf_grid as (

    select
        grid_cells.store_id,
        grid_cells.r_score,
        grid_cells.f_score,
        grid_cells.segment,
        cast(grid_cells.customers as bigint) as customers,
        cast(grid_cells.customers as double) / store_totals.customers as share_of_customers,
        cast(grid_cells.revenue as {{ money_type() }}) as revenue,
        -- Divided as doubles: decimal / decimal is a double on DuckDB but a decimal rounded
        -- to 10 places on Spark.
        cast(grid_cells.revenue as double) / cast(store_totals.revenue as double)
            as share_of_revenue,
        case
            when grid_cells.customers > 0
                then cast(grid_cells.revenue as double) / grid_cells.customers
        end as mean_monetary,
        case
            when grid_cells.customers > 0
                then
                    (cast(grid_cells.revenue as double) / grid_cells.customers)
                    / (cast(store_totals.revenue as double) / store_totals.customers)
        end as spend_index
    from grid_cells
    inner join store_totals
        on grid_cells.store_id = store_totals.store_id

)

select * from rf_grid
