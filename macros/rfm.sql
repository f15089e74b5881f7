{#- Settings of the RFM marts, checked once so that a wrong value stops the build with a message
    that names the var and what it accepts. -#}

{#- The as-of date as a SQL date literal, or none when the default (per store) applies. -#}
{% macro rfm_as_of_date_literal() %}
    {% set value = var('rfm_as_of_date') %}
    {% if value is none or value | string | trim in ('', 'none', 'null') %}
        {{ return(none) }}
    {% endif %}
    {% set text = value | string | trim %}
    {% if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) %}
        {% do exceptions.raise_compiler_error(
            "var rfm_as_of_date must be a date written YYYY-MM-DD (or null for the day after"
            ~ " each store's last order); got '" ~ text ~ "'."
        ) %}
    {% endif %}
    {% do modules.datetime.datetime.strptime(text, '%Y-%m-%d') %}
    {{ return("cast('" ~ text ~ "' as date)") }}
{% endmacro %}


{#- The scoring methods, in the order docs/predictions.md compares them. -#}
{% macro rfm_scoring_methods() %}
    {{ return(['ntile', 'cut_points', 'percent_rank']) }}
{% endmacro %}


{% macro rfm_scoring_method(method=none) %}
    {% set method = (var('rfm_scoring_method') if method is none else method) | string | trim %}
    {% if method not in rfm_scoring_methods() %}
        {% do exceptions.raise_compiler_error(
            "var rfm_scoring_method must be one of " ~ rfm_scoring_methods() | join(', ')
            ~ "; got '" ~ method ~ "'."
        ) %}
    {% endif %}
    {{ return(method) }}
{% endmacro %}


{#- A 1-5 score from four cut points: one point, plus one for every cut point the value is
    better than (`better` is '>' when higher is better, '<' when lower is). -#}
{% macro score_by_cut_points(value, cut_point_prefix, better) -%}
    cast(
        1
        {%- for percentile in [20, 40, 60, 80] %}
        + case when {{ value }} {{ better }} {{ cut_point_prefix }}_p{{ percentile }} then 1 else 0 end
        {%- endfor %}
        as integer
    )
{%- endmacro %}


{#- A store's as-of date from the time of its last order (`last_ordered_at`, an aggregate such
    as max(ordered_at)): var rfm_as_of_date when set, else the day after that order. -#}
{% macro rfm_store_as_of_date(last_ordered_at) -%}
    {%- set as_of_date = rfm_as_of_date_literal() -%}
    {%- if as_of_date is none -%}
        cast({{ dbt.dateadd('day', 1, 'cast(' ~ last_ordered_at ~ ' as date)') }} as date)
    {%- else -%}
        {{ as_of_date }}
    {%- endif -%}
{%- endmacro %}


{#- Days from the last purchase's date to the as-of date (a purchase the day before is 1). -#}
{% macro rfm_recency_days(last_purchase_at, as_of_date) -%}
    cast({{ dbt.datediff('cast(' ~ last_purchase_at ~ ' as date)', as_of_date, 'day') }} as integer)
{%- endmacro %}


{#- A select of every column of `relation` (one row per customer and scoring, with customer_id,
    recency_days, frequency and monetary) plus r_score, f_score and m_score, 5 = best, by var
    rfm_scoring_method (or `method`, one of rfm_scoring_methods()). Each customer is scored
    against the others of the same scoring: `partition_by` names its columns (a store and as-of
    date, or one key that stands for both, which DuckDB windows partition on much faster than on
    a text and a date). -#}
{% macro rfm_scores(relation, partition_by=['store_id', 'as_of_date'], method=none) %}
    {% set method = rfm_scoring_method(method) %}
    {% if method == 'ntile' %}
        {#- Equal-sized fifths. Ties are split by customer id: when equal values straddle a
            fifth's boundary, lower ids get the lower score. -#}
        select
            *,
            cast(ntile(5) over (
                partition by {{ partition_by | join(', ') }}
                order by recency_days desc, customer_id asc
            ) as integer) as r_score,
            cast(ntile(5) over (
                partition by {{ partition_by | join(', ') }}
                order by frequency asc, customer_id asc
            ) as integer) as f_score,
            cast(ntile(5) over (
                partition by {{ partition_by | join(', ') }}
                order by monetary asc, customer_id asc
            ) as integer) as m_score
        from {{ relation }}
    {% elif method == 'percent_rank' %}
        {#- Tie-aware fifths: each value scores the fifth its rank falls in, and equal values
            share the rank of the first of them (percent_rank), so a tie is never split and
            takes the lowest score it straddles. -#}
        select
            *,
            {%- for score, value, direction in [
                ('r_score', 'recency_days', 'desc'),
                ('f_score', 'frequency', 'asc'),
                ('m_score', 'monetary', 'asc'),
            ] %}
            cast(least(5, 1 + floor(5 * percent_rank() over (
                partition by {{ partition_by | join(', ') }}
                order by {{ value }} {{ direction }}
            ))) as integer) as {{ score }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ relation }}
    {% else %}
        {#- Cut points at the 20th, 40th, 60th and 80th percentiles: a value scores one more for
            every cut point it is better than, so equal values always share a score. -#}
        select
            scored_values.*,
            {{ score_by_cut_points('scored_values.recency_days', 'cut_points.recency', '<') }}
                as r_score,
            {{ score_by_cut_points('scored_values.frequency', 'cut_points.frequency', '>') }}
                as f_score,
            {{ score_by_cut_points('scored_values.monetary', 'cut_points.monetary', '>') }}
                as m_score
        from {{ relation }} as scored_values
        inner join (
            select
                {% for column in partition_by -%}
                    {{ column }},
                {% endfor -%}
                {%- set fractions = [0.2, 0.4, 0.6, 0.8] %}
                {% for fraction in fractions -%}
                    {%- set suffix = '_p' ~ (fraction * 100) | int -%}
                    {{ quantile('recency_days', fraction, fractions) }} as recency{{ suffix }},
                    {{ quantile('frequency', fraction, fractions) }} as frequency{{ suffix }},
                    {{ quantile('monetary', fraction, fractions) }} as monetary{{ suffix }}
                    {{- ',' if not loop.last }}
                {% endfor %}
            from {{ relation }}
            group by {{ partition_by | join(', ') }}
        ) as cut_points
            on
                {% for column in partition_by -%}
                    {{ 'and ' if not loop.first }}scored_values.{{ column }} = cut_points.{{ column }}
                {% endfor %}
    {% endif %}
{% endmacro %}


{#- The RFM cell: the three scores as digits, R then F then M ('545'). -#}
{% macro rfm_cell(r_score, f_score, m_score) -%}
    {{ dbt.concat([
        'cast(' ~ r_score ~ ' as ' ~ dbt.type_string() ~ ')',
        'cast(' ~ f_score ~ ' as ' ~ dbt.type_string() ~ ')',
        'cast(' ~ m_score ~ ' as ' ~ dbt.type_string() ~ ')',
    ]) }}
{%- endmacro %}


{#- The marketing group (the second scheme) from a customer's recency and purchase orders in the
    year before the as-of date. The six groups as worded leave gaps and overlaps; this order
    settles them (docs/rfm-and-segments.md, Marketing groups). -#}
{% macro marketing_group(recency_days, orders_in_last_year) -%}
    case
        when
            {{ recency_days }} <= {{ var('marketing_recent_days') }}
            and {{ orders_in_last_year }} >= {{ var('marketing_vip_min_orders') }}
            then 'VIPs'
        when
            {{ recency_days }} <= {{ var('marketing_recent_days') }}
            and {{ orders_in_last_year }} >= {{ var('marketing_loyal_min_orders') }}
            then 'Potential loyalists'
        when {{ orders_in_last_year }} >= {{ var('marketing_loyal_min_orders') }}
            then 'Good old friends'
        when {{ orders_in_last_year }} = 2
            then 'Need to focus'
        when {{ recency_days }} <= {{ var('marketing_new_days') }}
            then 'New customers'
        else 'Hibernating'
    end
{%- endmacro %}
