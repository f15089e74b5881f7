-- Each customer's RFM scores and segment at the holdout cut-off under every scoring method
-- (macro rfm_scores), so that what each method's segments do next can be compared
-- (rpt_segment_validity). Recency, frequency and monetary are as in fct_customer_rfm.
with

histories as (

    select * from {{ ref('int_customer_histories_split') }}

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

rfm_values as (

    select
        store_id,
        customer_id,
        cutoff_date,
        days_since_last_purchase as recency_days,
        orders as frequency,
        spend as monetary
    from histories

),

{% for method in rfm_scoring_methods() %}
    scored_{{ method }} as (

        {{ rfm_scores('rfm_values', partition_by=['store_id'], method=method) }}

    ),

{% endfor %}
scored as (

    {% for method in rfm_scoring_methods() %}
        select
            '{{ method }}' as scoring_method,
            *
        from scored_{{ method }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

segmented as (

    select
        scored.store_id,
        scored.scoring_method,
        scored.customer_id,
        scored.cutoff_date,
        scored.recency_days,
        scored.frequency,
        scored.monetary,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        segment_map.segment
    from scored
    left join segment_map
        on
            scored.r_score = segment_map.r_score
            and scored.f_score = segment_map.f_score

)

select * from segmented
