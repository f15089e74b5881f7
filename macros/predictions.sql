{#- The customer summary the buy-till-you-die models read (docs/predictions.md). A purchase is a
    day with at least one purchase order (returns are not purchases), worth the gross amount of
    that day's purchase orders. -#}

{#- One row per store, customer and purchase day before each store's `date_column` in
    `dates` (a relation with store_id and that column). -#}
{% macro clv_purchase_days(orders, dates, date_column) %}
    select
        {{ orders }}.store_id,
        {{ orders }}.customer_id,
        {{ dates }}.{{ date_column }},
        cast({{ orders }}.ordered_at as date) as purchase_date,
        count(*) as orders,
        cast(sum({{ orders }}.amount) as {{ money_type() }}) as amount
    from {{ orders }}
    inner join {{ dates }}
        on {{ orders }}.store_id = {{ dates }}.store_id
    where
        not {{ orders }}.is_return
        and {{ orders }}.ordered_at
        < cast({{ dates }}.{{ date_column }} as {{ api.Column.translate_type('timestamp') }})
    group by
        {{ orders }}.store_id,
        {{ orders }}.customer_id,
        {{ dates }}.{{ date_column }},
        cast({{ orders }}.ordered_at as date)
{% endmacro %}


{#- One row per store and customer of `purchase_days` (clv_purchase_days): the BG/NBD inputs
    (repeat purchase days x, days from the first to the last purchase day t_x, days from the
    first purchase day to the date T) and the Gamma-Gamma input (mean value of the repeat
    purchase days: the first day is left out, as the model expects; null without repeats). -#}
{% macro clv_customer_summary(purchase_days, date_column) %}
    select
        store_id,
        customer_id,
        {{ date_column }},
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        cast(count(*) as integer) as purchase_days,
        cast(sum(orders) as integer) as orders,
        cast(sum(amount) as {{ money_type() }}) as spend,
        cast(count(*) - 1 as integer) as repeat_purchase_days,
        cast({{ dbt.datediff('min(purchase_date)', 'max(purchase_date)', 'day') }} as integer)
            as days_first_to_last,
        cast({{ dbt.datediff('min(purchase_date)', date_column, 'day') }} as integer)
            as tenure_days,
        cast({{ dbt.datediff('max(purchase_date)', date_column, 'day') }} as integer)
            as days_since_last_purchase,
        cast(
            case
                when count(*) > 1
                    then (sum(amount) - sum(case when is_first_day then amount else 0 end))
                    / (count(*) - 1)
            end as double
        ) as mean_repeat_value
    from (
        select
            *,
            purchase_date = min(purchase_date) over (
                partition by store_id, customer_id
            ) as is_first_day
        from {{ purchase_days }}
    ) as days_with_first
    group by store_id, customer_id, {{ date_column }}
{% endmacro %}
