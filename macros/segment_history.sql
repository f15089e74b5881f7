{#- Var segment_history_as_of_dates, checked: `monthly`, or a list of dates written YYYY-MM-DD.
    Returns 'monthly' or the dates, sorted and without repeats; anything else (a date that does
    not exist included) stops the build with a message that names the var and what it accepts. -#}
{% macro segment_history_as_of_dates() %}
    {% set value = var('segment_history_as_of_dates') %}
    {% set expected = "var segment_history_as_of_dates must be 'monthly' or a list of dates"
        ~ " written YYYY-MM-DD (e.g. ['2021-04-01', '2021-07-01']); got '" ~ value ~ "'." %}
    {% if value is string and value | trim == 'monthly' %}
        {{ return('monthly') }}
    {% endif %}
    {% if value is string or value is mapping or value is not iterable or value | length == 0 %}
        {% do exceptions.raise_compiler_error(expected) %}
    {% endif %}
    {% set dates = [] %}
    {% for item in value %}
        {% set text = item | string | trim %}
        {% if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) %}
            {% do exceptions.raise_compiler_error(expected) %}
        {% endif %}
        {% set year, month, day = text[0:4] | int, text[5:7] | int, text[8:10] | int %}
        {% if year < 1 or month < 1 or month > 12 or day < 1 %}
            {% do exceptions.raise_compiler_error(expected) %}
        {% endif %}
        {#- The month's last day: the 28th plus 4 days is always in the next month. -#}
        {% set next_month = (
            modules.datetime.date(year, month, 28) + modules.datetime.timedelta(days=4)
        ).replace(day=1) %}
        {% if day > (next_month - modules.datetime.timedelta(days=1)).day %}
            {% do exceptions.raise_compiler_error(expected) %}
        {% endif %}
        {% if text not in dates %}
            {% do dates.append(text) %}
        {% endif %}
    {% endfor %}
    {{ return(dates | sort) }}
{% endmacro %}

{#- Pre-hook of the incremental history models: deletes each store's latest `date_column`, the
    one scored while its period was still open, so that the run computes it again. -#}
{% macro delete_each_stores_latest(date_column) %}
    {% if is_incremental() %}
        delete from {{ this }}
        where (store_id, {{ date_column }}) in (
            select store_id, max({{ date_column }}) from {{ this }} group by store_id
        )
    {% endif %}
{% endmacro %}

{#- Follows `from <relation>`: on an incremental run, keeps the rows whose `date_column` is after
    their store's latest stored date (`stored_date_column` of the model's own table, by default
    the same name; every row of a store with none stored); after the pre-hook above, that is
    the deleted date and any later one. Nothing on a full build. -#}
{% macro after_each_stores_latest(relation, date_column, stored_date_column=none) %}
    {% if is_incremental() %}
        left join (
            select
                store_id,
                max({{ stored_date_column or date_column }}) as latest_stored
            from {{ this }}
            group by store_id
        ) as stored
            on {{ relation }}.store_id = stored.store_id
        where
            stored.latest_stored is null
            or {{ relation }}.{{ date_column }} > stored.latest_stored
    {% endif %}
{% endmacro %}
