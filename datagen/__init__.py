"""Synthetic input data for development, tests and benchmarks (not imported by the warehouse)."""
