"""The faces: the `workbench` command line, the what-if explorer, JupyterLab, Dask clusters and the
scenario-reference generator."""
