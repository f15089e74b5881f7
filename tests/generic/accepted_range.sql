{#- Fails with every non-null value outside [min_value, max_value] (or the open interval when
    inclusive is false). Either bound may be left out. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {% if min_value is none and max_value is none %}
        {{ exceptions.raise_compiler_error(
            "accepted_range on " ~ model ~ "." ~ column_name ~ ": give min_value, max_value or both."
        ) }}
    {% endif %}
    {% set lower_op = '<' if inclusive else '<=' %}
    {% set upper_op = '>' if inclusive else '>=' %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
        and (
            {% if min_value is not none %}{{ column_name }} {{ lower_op }} {{ min_value }}{% else %}false{% endif %}
            or {% if max_value is not none %}{{ column_name }} {{ upper_op }} {{ max_value }}{% else %}false{% endif %}
        )
{% endtest %}
