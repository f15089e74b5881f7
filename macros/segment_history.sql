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
