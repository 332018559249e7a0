"""TPM Workbench: when will a program land, with what confidence, at what cost."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tpm-workbench")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
