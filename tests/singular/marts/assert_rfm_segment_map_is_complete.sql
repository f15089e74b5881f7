{#- The segment map (a seed a user may replace) gives every R x F combination exactly one
    segment, and every segment it names has a description and action. Fails with one row per
    combination that is missing or repeated, and per segment without an action. -#}
with

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

segment_actions as (

    select * from {{ ref('segment_actions') }}
    where segmentation = 'rfm_segment'

),

scores as (

    {{ dbt.generate_series(5) }}

),

combinations as (

    select
        r_scores.generated_number as r_score,
        f_scores.generated_number as f_score
    from scores as r_scores
    cross join scores as f_scores

),

combination_counts as (

    select
        combinations.r_score,
        combinations.f_score,
        count(segment_map.segment) as segments
    from combinations
    left join segment_map
        on
            combinations.r_score = segment_map.r_score
            and combinations.f_score = segment_map.f_score
    group by combinations.r_score, combinations.f_score

),

problems as (

    select
        'combination ' || cast(r_score as {{ dbt.type_string() }})
        || cast(f_score as {{ dbt.type_string() }}) || ' has '
        || cast(segments as {{ dbt.type_string() }}) || ' segments' as problem
    from combination_counts
    where segments <> 1
    union all
    select 'segment ' || segment_map.segment || ' has no row in segment_actions' as problem
    from segment_map
    left join segment_actions
        on segment_map.segment = segment_actions.segment
    where segment_actions.segment is null
    union all
    select 'score outside 1-5 in the map: ' || segment as problem
    from segment_map
    where r_score not between 1 and 5 or f_score not between 1 and 5

)

select * from problems
