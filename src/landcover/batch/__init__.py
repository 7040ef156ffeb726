"""Large jobs: resumable batch prediction, Dask execution, and outputs for large areas."""
