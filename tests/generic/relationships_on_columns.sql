{#- Every row's key (one or more columns, named the same in both models) exists in `to`.
    Fails with the keys that do not. The built-in relationships test takes one column only,
    and every customer-level key here is (store_id, customer_id). -#}
{% test relationships_on_columns(model, to, columns) %}
    select distinct
        {% for column in columns %}child.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
    from {{ model }} as child
    left join {{ to }} as parent
        on {% for column in columns %}child.{{ column }} = parent.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
    where parent.{{ columns[0] }} is null
        and {% for column in columns %}child.{{ column }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
{% endtest %}
