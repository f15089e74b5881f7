"""Values the ml_ tables share across packages (the SQL tests and YAML write them as text)."""

# The segment of an evaluation table's whole-store rows (ml_recommendation_eval,
# ml_prediction_eval), next to one row per RFM segment.
ALL_CUSTOMERS = "(all customers)"
