-- The default RFM scoring method calls no one-order customer Loyal or a Champion, and its
-- segments rank next-period buying at least as well as NTILE's, in every store
-- (docs/predictions.md, "Segments that mean what they say").
with

comparison as (

    select * from {{ ref('rpt_scoring_method_comparison') }}

),

default_method as (

    select * from comparison
    where is_default_method

),

ntile as (

    select * from comparison
    where scoring_method = 'ntile'

),

checked as (

    select
        default_method.store_id,
        default_method.scoring_method,
        default_method.one_order_loyal_or_champions,
        default_method.buying_auc,
        ntile.buying_auc as ntile_buying_auc
    from default_method
    inner join ntile
        on default_method.store_id = ntile.store_id

)

select * from checked
where one_order_loyal_or_champions > 0 or buying_auc < ntile_buying_auc
