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


{% macro rfm_scoring_method() %}
    {% set method = var('rfm_scoring_method') | string | trim %}
    {% if method not in ('ntile', 'cut_points') %}
        {% do exceptions.raise_compiler_error(
            "var rfm_scoring_method must be 'ntile' or 'cut_points'; got '" ~ method ~ "'."
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
