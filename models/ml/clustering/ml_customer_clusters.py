"""Each customer's K-Means cluster at the chosen k, at k = 4 and at k = 5."""

from retail_warehouse.clustering import customer_clusters, read_ordered


def model(dbt, session):
    return customer_clusters(
        read_ordered(dbt.ref("ml_cluster_features")),
        dbt.ref("ml_cluster_feature_transform").to_arrow_table(),
        dbt.ref("ml_cluster_kmeans_fits").to_arrow_table(),
        dbt.ref("ml_cluster_k_selection").to_arrow_table(),
    )
