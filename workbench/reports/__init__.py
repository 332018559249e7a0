"""Reports and sweeps: the papermill runner, the report kernels the notebooks call, and the
notebooks and HTML template themselves (package data)."""
