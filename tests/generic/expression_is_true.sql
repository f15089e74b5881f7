{#- Fails with every row for which the boolean expression is false or null. When applied to a
    column, the expression is appended to it: `column_name` + ` >= 0`. -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce({{ column_name ~ ' ' if column_name is not none else '' }}{{ expression }}, false)
{% endtest %}
