{#- Every customer with a purchase gets var rec_customer_items recommendations, or every item
    of the store they have not bought when the store sells fewer. Fails with the customers who
    get another number. -#}
with

interactions as (

    select * from {{ ref('int_customer_item_interactions') }}

),

recommendations as (

    select * from {{ ref('ml_customer_recommendations') }}

),

store_items as (

    select
        store_id,
        count(distinct item_id) as items
    from interactions
    group by store_id

),

customer_items as (

    select
        store_id,
        customer_id,
        count(*) as items_bought
    from interactions
    group by store_id, customer_id

),

expected as (

    select
        customer_items.store_id,
        customer_items.customer_id,
        case
            when store_items.items - customer_items.items_bought < {{ var('rec_customer_items') }}
                then store_items.items - customer_items.items_bought
            else {{ var('rec_customer_items') }}
        end as expected_recommendations
    from customer_items
    inner join store_items
        on customer_items.store_id = store_items.store_id

),

actual as (

    select
        store_id,
        customer_id,
        count(*) as recommendations
    from recommendations
    group by store_id, customer_id

)

select
    expected.store_id,
    expected.customer_id,
    expected.expected_recommendations,
    coalesce(actual.recommendations, 0) as recommendations
from expected
left join actual
    on
        expected.store_id = actual.store_id
        and expected.customer_id = actual.customer_id
where expected.expected_recommendations <> coalesce(actual.recommendations, 0)
