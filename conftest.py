"""Root pytest configuration: every run the suite simulates, in this process, in worker
processes and in notebook kernels (they inherit the environment), is checked against the
invariants in `workbench.metrics.check_invariants` (Little's law among them)."""

import os

os.environ["WORKBENCH_CHECK_INVARIANTS"] = "1"
