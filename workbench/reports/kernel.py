"""The kernel reports run in: ipykernel on this very interpreter.

Jupyter picks a ``python3`` kernel by searching its data folders, the user's
(~/.local/share/jupyter) before the environment's, so a kernelspec left there by another
installation would run the report in another Python, with another (or no) workbench. Reports
use this manager instead, so the kernel is always the Python that runs `workbench report`.
Imported only when a notebook is executed (it needs jupyter_client and ipykernel).
"""

from __future__ import annotations

from ipykernel.kernelspec import RESOURCES, get_kernel_dict
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager


class ThisPythonKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, with the kernelspec ipykernel writes for this interpreter
    (``sys.executable -m ipykernel_launcher``) whatever kernel name is asked for."""

    @property
    def kernel_spec(self) -> KernelSpec:
        if self._kernel_spec is None:
            self._kernel_spec = KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())
        return self._kernel_spec
