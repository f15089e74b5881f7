{#- rpt_rf_grid lists every one of the 25 R x F cells for every store of rpt_rfm_cells, empty
    ones included. Fails with the stores that have another number of cells. -#}
with

rfm_cells as (

    select distinct store_id from {{ ref('rpt_rfm_cells') }}

),

grid_cells as (

    select
        store_id,
        count(*) as cells
    from {{ ref('rpt_rf_grid') }}
    group by store_id

)

select
    rfm_cells.store_id,
    coalesce(grid_cells.cells, 0) as cells
from rfm_cells
left join grid_cells
    on rfm_cells.store_id = grid_cells.store_id
where coalesce(grid_cells.cells, 0) <> 25
