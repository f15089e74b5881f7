"""Python side of the retail warehouse: synthetic data generation."""
