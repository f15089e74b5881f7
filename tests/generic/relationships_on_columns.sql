{#- Every row's key (one or more columns) exists in `to`, under the same names or under
    `to_columns` (in the same order). Fails with the keys that do not. The built-in
    relationships test takes one column only, and every customer-level key here is
    (store_id, customer_id). -#}
{% test relationships_on_columns(model, to, columns, to_columns=none) %}
    {%- set parent_columns = to_columns or columns -%}
    select distinct
        {% for column in columns %}child.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
    from {{ model }} as child
    left join {{ to }} as parent
        on {% for column in columns %}child.{{ column }} = parent.{{ parent_columns[loop.index0] }}{% if not loop.last %} and {% endif %}{% endfor %}
    where parent.{{ parent_columns[0] }} is null
        and {% for column in columns %}child.{{ column }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
{% endtest %}
