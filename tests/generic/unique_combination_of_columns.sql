{#- Fails with one row per combination of the columns that occurs more than once. The rows are
    first grouped by a hash of the columns (one 64-bit number, much cheaper to group than text
    columns at 16M rows); only rows whose hash repeats are compared on the columns themselves. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
    with

    hashed as (

        select
            {{ columns }},
            {{ row_hash(combination_of_columns) }} as row_hash
        from {{ model }}

    ),

    repeated_hashes as (

        select row_hash
        from hashed
        group by row_hash
        having count(*) > 1

    )

    select
        {{ columns }},
        count(*) as occurrences
    from hashed
    where row_hash in (select row_hash from repeated_hashes)
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
