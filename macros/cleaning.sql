{#- Small cleaning rules shared by the staging models and int_order_lines. Each is plain portable SQL; a dialect
    that needs something else gets a dispatched version. -#}

{#- Trimmed text, with an empty field read as missing. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}


{#- Customer ids arrive as `17850` (Online Retail) or float-style `104233.0` (e-commerce feed):
    both become `17850` / `104233`. A bracket instead of a backslash keeps the pattern the same
    in every dialect's string literals. -#}
{% macro normalize_customer_id(column) -%}
    nullif(regexp_replace(trim({{ column }}), '[.]0+$', ''), '')
{%- endmacro %}


{#- Exact decimal for money: sums of prices must not drift between engines. -#}
{% macro money_type() -%}
    decimal(18, 4)
{%- endmacro %}


{#- Staging keeps a value's text only where it could not be read as its type: the text when
    it is present and the typed value is null, else null. -#}
{% macro unparsed_text(text_column, typed_column) -%}
    case when {{ typed_column }} is null then {{ text_column }} end
{%- endmacro %}


{#- A value the file leaves empty: neither read nor kept as unreadable text. -#}
{% macro is_missing(typed_column, unparsed_text_column) -%}
    ({{ typed_column }} is null and {{ unparsed_text_column }} is null)
{%- endmacro %}


{#- The staging models whose lines int_order_lines judges: one per source, each in the shared
    vocabulary (docs/sources-and-cleaning.md, Adding a source). -#}
{% macro order_line_staging_models() %}
    {{ return(['stg_online_retail__order_lines', 'stg_ecommerce__order_lines']) }}
{% endmacro %}


{#- Whole numbers only: a plain cast would round `1.5` to 2 without a word. -#}
{% macro parse_integer(column) -%}
    {{ return(adapter.dispatch('parse_integer')(column)) }}
{%- endmacro %}

{% macro default__parse_integer(column) -%}
    case
        when trim({{ column }}) similar to '-?[0-9]+'
            then {{ dbt.safe_cast('trim(' ~ column ~ ')', api.Column.translate_type('integer')) }}
    end
{%- endmacro %}

{% macro duckdb__parse_integer(column) -%}
    case
        when regexp_full_match(trim({{ column }}), '-?[0-9]+')
            then try_cast(trim({{ column }}) as integer)
    end
{%- endmacro %}


{#- Spark has no `similar to`; rlike is a Java regex, anchored here. A value out of the integer
    range casts to null (dbt-spark runs with spark.sql.ansi.enabled=false). -#}
{% macro spark__parse_integer(column) -%}
    case
        when trim({{ column }}) rlike '^-?[0-9]+$'
            then cast(trim({{ column }}) as integer)
    end
{%- endmacro %}


{#- dbt-duckdb has no safe_cast of its own, so dbt.safe_cast would fall back to a plain cast and
    fail the whole model on one bad value. This implementation is picked up by dbt's dispatch. -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
