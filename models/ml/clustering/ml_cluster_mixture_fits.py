"""Gaussian mixtures fitted once per store and k: the parameters every mixture model applies."""

from retail_warehouse.clustering import ClusteringSettings, mixture_fits, read_ordered


def model(dbt, session):
    settings = ClusteringSettings.from_config(dbt.config.get("clustering"))
    return mixture_fits(read_ordered(dbt.ref("ml_cluster_features")), settings)
