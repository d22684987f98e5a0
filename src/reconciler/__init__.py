"""reconciler: declarative GitOps for Azure Machine Learning workspaces."""

__version__ = "0.1.0"
