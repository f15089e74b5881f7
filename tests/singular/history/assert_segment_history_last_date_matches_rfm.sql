{#- At fct_customer_rfm's as-of date, the history holds exactly fct_customer_rfm's customers
    with the same values, scores and segments: the two score the same way. With monthly as-of
    dates that date is always in the history (each store's last); with a list of dates it is
    compared only where the list holds it. Fails with every row found on one side only. -#}
{%- set monthly = segment_history_as_of_dates() == 'monthly' -%}

with

customer_rfm as (

    select
        store_id,
        customer_id,
        as_of_date,
        recency_days,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        rfm_cell,
        segment
    from {{ ref('fct_customer_rfm') }}

),

segment_history as (

    select * from {{ ref('fct_customer_segment_history') }}

),

rfm_as_of_dates as (

    select distinct
        store_id,
        as_of_date
    from customer_rfm

),

history_at_rfm_date as (

    select
        segment_history.store_id,
        segment_history.customer_id,
        segment_history.as_of_date,
        segment_history.recency_days,
        segment_history.frequency,
        segment_history.monetary,
        segment_history.r_score,
        segment_history.f_score,
        segment_history.m_score,
        segment_history.rfm_cell,
        segment_history.segment
    from segment_history
    inner join rfm_as_of_dates
        on
            segment_history.store_id = rfm_as_of_dates.store_id
            and segment_history.as_of_date = rfm_as_of_dates.as_of_date

),

compared_rfm as (

    select customer_rfm.*
    from customer_rfm
    {% if not monthly %}
        inner join (select distinct store_id, as_of_date from segment_history) as history_dates
            on
                customer_rfm.store_id = history_dates.store_id
                and customer_rfm.as_of_date = history_dates.as_of_date
    {% endif %}

),

only_in_rfm as (

    select * from compared_rfm
    except
    select * from history_at_rfm_date

),

only_in_history as (

    select * from history_at_rfm_date
    except
    select * from compared_rfm

)

select
    'only in fct_customer_rfm' as problem,
    only_in_rfm.*
from only_in_rfm
union all
select
    'only in fct_customer_segment_history' as problem,
    only_in_history.*
from only_in_history
