with

orders as (

    select * from {{ ref('fct_orders') }}

),

customer_orders as (

    select
        store_id,
        customer_id,
        min(case when not is_return then ordered_at end) as first_order_at,
        max(case when not is_return then ordered_at end) as last_order_at,
        count(case when not is_return then 1 end) as orders,
        cast(coalesce(sum(case when not is_return then amount end), 0) as {{ money_type() }})
            as lifetime_spend,
        count(case when is_return then 1 end) as return_orders,
        cast(coalesce(-sum(case when is_return then amount end), 0) as {{ money_type() }})
            as returned_amount
    from orders
    group by store_id, customer_id

),

-- The country a customer orders from most often; ties go to the first name alphabetically.
customer_countries as (

    select
        store_id,
        customer_id,
        country
    from (
        select
            store_id,
            customer_id,
            country,
            row_number() over (
                partition by store_id, customer_id
                order by count(*) desc, country
            ) as country_rank
        from orders
        where country is not null
        group by store_id, customer_id, country
    ) as ranked_countries
    where country_rank = 1

),

customers as (

    select
        customer_orders.store_id,
        customer_orders.customer_id,
        customer_orders.first_order_at,
        customer_orders.last_order_at,
        customer_orders.orders,
        customer_orders.lifetime_spend,
        customer_orders.return_orders,
        customer_orders.returned_amount,
        cast(customer_orders.lifetime_spend - customer_orders.returned_amount as {{ money_type() }})
            as net_spend,
        cast(
            case
                when customer_orders.orders > 0
                    then customer_orders.lifetime_spend / customer_orders.orders
            end as {{ money_type() }}
        ) as average_order_value,
        customer_countries.country
    from customer_orders
    left join customer_countries
        on
            customer_orders.store_id = customer_countries.store_id
            and customer_orders.customer_id = customer_countries.customer_id

)

select * from customers
