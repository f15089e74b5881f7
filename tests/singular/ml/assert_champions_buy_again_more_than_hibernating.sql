-- Under the default scoring method, Champions at the cut-off must buy in the holdout more
-- often than Hibernating customers, in every store where both segments have at least 30
-- customers: with fewer, who happens to come back is chance (a toy shop has one of each).
with

validity as (

    select * from {{ ref('rpt_segment_validity') }}
    where is_default_method

),

champions as (

    select * from validity
    where segment = 'Champions'

),

hibernating as (

    select * from validity
    where segment = 'Hibernating'

),

compared as (

    select
        champions.store_id,
        champions.holdout_buying_share as champions_share,
        hibernating.holdout_buying_share as hibernating_share
    from champions
    inner join hibernating
        on champions.store_id = hibernating.store_id
    where champions.customers >= 30 and hibernating.customers >= 30

)

select * from compared
where champions_share <= hibernating_share
