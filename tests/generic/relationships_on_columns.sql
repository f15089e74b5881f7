{#- Every row's key (one or more columns) exists in `to`, under the same names or under
    `to_columns` (in the same order). Fails with the keys that do not. The built-in
    relationships test takes one column only, and every customer-level key here is
    (store_id, customer_id). `not exists` is an anti join on both engines; Spark keeps a left
    join filtered on a missing parent as a join, which on a key of few values (store_id alone)
    pairs every child row with a store's every parent row. -#}
{% test relationships_on_columns(model, to, columns, to_columns=none) %}
    {%- set parent_columns = to_columns or columns -%}
    select distinct
        {% for column in columns %}child.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
    from {{ model }} as child
    where {% for column in columns %}child.{{ column }} is not null and {% endfor %}not exists (
        select 1
        from {{ to }} as parent
        where {% for column in columns %}parent.{{ parent_columns[loop.index0] }} = child.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
    )
{% endtest %}
