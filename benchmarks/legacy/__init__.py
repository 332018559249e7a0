"""The simulation core as it was before replications were made faster (2026-12-01): kept
only so that `bench_model.py` can time one replication of the old and new side by side."""
