with

transitions as (

    select * from {{ ref('rpt_segment_transitions') }}

),

summary as (

    select
        store_id,
        from_as_of_date,
        to_as_of_date,
        cast(sum(case when movement <> 'entered' then customers else 0 end) as bigint)
            as customers,
        cast(sum(case when movement = 'entered' then customers else 0 end) as bigint)
            as entered_customers,
        sum(case when movement = 'stayed' then customers else 0 end) as stayed_customers,
        sum(case when movement = 'improved' then customers else 0 end) as improved_customers,
        sum(case when movement = 'declined' then customers else 0 end) as declined_customers
    from transitions
    group by store_id, from_as_of_date, to_as_of_date

),

-- Shares of the customers scored at both dates; customers never leave the history, so every
-- pair has some (those of its earlier date).
shares as (

    select
        store_id,
        from_as_of_date,
        to_as_of_date,
        customers,
        entered_customers,
        cast(stayed_customers as double) / customers as stayed_share,
        cast(improved_customers as double) / customers as improved_share,
        cast(declined_customers as double) / customers as declined_share
    from summary

)

select * from shares
