{#- Each scheme of rpt_segment_summary, the 125 cells of rpt_rfm_cells and the 25 of
    rpt_rf_grid hold every scored customer and all their revenue exactly once. Fails with the
    store and report that differ. -#}
with

customer_rfm as (

    select
        store_id,
        count(*) as customers,
        sum(monetary) as revenue
    from {{ ref('fct_customer_rfm') }}
    group by store_id

),

report_totals as (

    select
        store_id,
        segmentation as report,
        sum(customers) as customers,
        sum(revenue) as revenue
    from {{ ref('rpt_segment_summary') }}
    group by store_id, segmentation
    union all
    select
        store_id,
        'rfm_cells' as report,
        sum(customers) as customers,
        sum(revenue) as revenue
    from {{ ref('rpt_rfm_cells') }}
    group by store_id
    union all
    select
        store_id,
        'rf_grid' as report,
        sum(customers) as customers,
        sum(revenue) as revenue
    from {{ ref('rpt_rf_grid') }}
    group by store_id

)

select
    report_totals.store_id,
    report_totals.report,
    report_totals.customers as report_customers,
    customer_rfm.customers as scored_customers,
    report_totals.revenue as report_revenue,
    customer_rfm.revenue as scored_revenue
from report_totals
inner join customer_rfm
    on report_totals.store_id = customer_rfm.store_id
where
    report_totals.customers <> customer_rfm.customers
    or report_totals.revenue <> customer_rfm.revenue
