{#- rpt_rfm_cells lists every one of the 125 cells for every scored store, empty ones included.
    Fails with the stores that have another number of cells. -#}
select
    store_id,
    count(*) as cells
from {{ ref('rpt_rfm_cells') }}
group by store_id
having count(*) <> 125
