{#- The customer summary the buy-till-you-die models read (docs/predictions.md). A purchase is a
    purchase order (returns are not purchases), worth its gross amount. -#}

{#- One row per purchase order of each store's customers before the store's `date_column` in
    `dates` (a relation with store_id and that column), with its date and whether it is the
    customer's first (the earliest, ties by order id). -#}
{% macro clv_purchases(orders, dates, date_column) %}
    select
        {{ orders }}.store_id,
        {{ orders }}.customer_id,
        {{ dates }}.{{ date_column }},
        cast({{ orders }}.ordered_at as date) as purchase_date,
        {{ orders }}.amount,
        row_number() over (
            partition by {{ orders }}.store_id, {{ orders }}.customer_id
            order by {{ orders }}.ordered_at, {{ orders }}.order_id
        ) = 1 as is_first_purchase
    from {{ orders }}
    inner join {{ dates }}
        on {{ orders }}.store_id = {{ dates }}.store_id
    where
        not {{ orders }}.is_return
        and {{ orders }}.ordered_at
        < cast({{ dates }}.{{ date_column }} as {{ api.Column.translate_type('timestamp') }})
{% endmacro %}


{#- One row per store and customer of `purchases` (clv_purchases): the BG/NBD inputs (repeat
    purchase orders x, days from the first to the last purchase t_x, days from the first
    purchase to the date T) and the Gamma-Gamma input (mean value of the repeat purchases: the
    first is left out, as the model expects; null without repeats). -#}
{% macro clv_customer_summary(purchases, date_column) %}
    select
        store_id,
        customer_id,
        {{ date_column }},
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        cast(count(distinct purchase_date) as integer) as purchase_days,
        cast(count(*) as integer) as orders,
        cast(sum(amount) as {{ money_type() }}) as spend,
        cast(count(*) - 1 as integer) as repeat_orders,
        cast({{ dbt.datediff('min(purchase_date)', 'max(purchase_date)', 'day') }} as integer)
            as days_first_to_last,
        cast({{ dbt.datediff('min(purchase_date)', date_column, 'day') }} as integer)
            as tenure_days,
        cast({{ dbt.datediff('max(purchase_date)', date_column, 'day') }} as integer)
            as days_since_last_purchase,
        cast(
            case
                when count(*) > 1
                    then (sum(amount) - sum(case when is_first_purchase then amount else 0 end))
                    / (count(*) - 1)
            end as double
        ) as mean_repeat_value
    from {{ purchases }}
    group by store_id, customer_id, {{ date_column }}
{% endmacro %}


{#- The label of a count capped at `cap` (least(count, cap)), as the reports show it: the
    number, or `cap+` for the last row, which holds every count from the cap up. -#}
{% macro capped_count_label(column, cap) -%}
    case
        when {{ column }} >= {{ cap }} then '{{ cap }}+'
        else cast({{ column }} as {{ dbt.type_string() }})
    end
{%- endmacro %}
