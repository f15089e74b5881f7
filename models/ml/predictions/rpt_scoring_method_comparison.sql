-- The RFM scoring methods side by side on what their segments say about the holdout: how many
-- one-order customers they call Loyal or Champions, and how well the segments rank who buys
-- next (the AUC of ranking customers by their segment's holdout buying share: 0.5 is no
-- better than chance, 1 a perfect split).
with

validity as (

    select * from {{ ref('rpt_segment_validity') }}

),

segment_pairs as (

    select
        higher.store_id,
        higher.scoring_method,
        sum(
            cast(higher.holdout_buyers as double)
            * (lower.customers - lower.holdout_buyers)
            * case
                when higher.holdout_buying_share > lower.holdout_buying_share then 1.0
                when higher.holdout_buying_share = lower.holdout_buying_share then 0.5
                else 0.0
            end
        ) as ordered_pairs
    from validity as higher
    inner join validity as lower
        on
            higher.store_id = lower.store_id
            and higher.scoring_method = lower.scoring_method
    group by higher.store_id, higher.scoring_method

),

methods as (

    select
        store_id,
        scoring_method,
        max(case when is_default_method then 1 else 0 end) = 1 as is_default_method,
        count(*) as segments,
        sum(customers) as customers,
        sum(holdout_buyers) as holdout_buyers,
        sum(
            case
                when segment in ('Loyal Customers', 'Champions') then one_order_customers else 0
            end
        ) as one_order_loyal_or_champions,
        max(case when segment = 'Champions' then holdout_buying_share end)
            as champions_buying_share,
        max(case when segment = 'Hibernating' then holdout_buying_share end)
            as hibernating_buying_share
    from validity
    group by store_id, scoring_method

),

compared as (

    select
        methods.*,
        cast(
            segment_pairs.ordered_pairs
            / nullif(
                cast(methods.holdout_buyers as double)
                * (methods.customers - methods.holdout_buyers),
                0
            ) as double
        ) as buying_auc
    from methods
    inner join segment_pairs
        on
            methods.store_id = segment_pairs.store_id
            and methods.scoring_method = segment_pairs.scoring_method

)

select * from compared
