{#- Every customer with a purchase gets var rec_customer_items recommendations, or every item
    of the store they have neither bought nor returned when the store sells fewer, and nobody
    else gets any: the full join stands for a relationships test of the recommendations'
    customers (int_customer_item_interactions' customers are dim_customers', tested there).
    Fails with the customers who get another number. -#}
with

interactions as (

    select * from {{ ref('int_customer_item_interactions') }}

),

item_returns as (

    select * from {{ ref('int_customer_item_returns') }}

),

recommendations as (

    select * from {{ ref('ml_customer_recommendations') }}
    where note is null

),

catalogue as (

    select distinct
        store_id,
        item_id
    from interactions

),

store_items as (

    select
        store_id,
        count(*) as items
    from catalogue
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

-- Items of the catalogue a customer returned without a purchase in the data: never
-- recommended to them either.
returned_only as (

    select
        item_returns.store_id,
        item_returns.customer_id,
        count(*) as items_returned
    from item_returns
    inner join catalogue
        on
            item_returns.store_id = catalogue.store_id
            and item_returns.item_id = catalogue.item_id
    left join interactions
        on
            item_returns.store_id = interactions.store_id
            and item_returns.customer_id = interactions.customer_id
            and item_returns.item_id = interactions.item_id
    where interactions.item_id is null
    group by item_returns.store_id, item_returns.customer_id

),

available as (

    select
        customer_items.store_id,
        customer_items.customer_id,
        store_items.items
        - customer_items.items_bought
        - coalesce(returned_only.items_returned, 0) as items_available
    from customer_items
    inner join store_items
        on customer_items.store_id = store_items.store_id
    left join returned_only
        on
            customer_items.store_id = returned_only.store_id
            and customer_items.customer_id = returned_only.customer_id

),

expected as (

    select
        store_id,
        customer_id,
        case
            when items_available < {{ var('rec_customer_items') }} then items_available
            else {{ var('rec_customer_items') }}
        end as expected_recommendations
    from available

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
    coalesce(expected.store_id, actual.store_id) as store_id,
    coalesce(expected.customer_id, actual.customer_id) as customer_id,
    coalesce(expected.expected_recommendations, 0) as expected_recommendations,
    coalesce(actual.recommendations, 0) as recommendations
from expected
full outer join actual
    on
        expected.store_id = actual.store_id
        and expected.customer_id = actual.customer_id
where
    expected.customer_id is null
    or expected.expected_recommendations <> coalesce(actual.recommendations, 0)
