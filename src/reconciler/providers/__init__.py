"""Workspaces we reconcile: the embedded local one and Azure ML."""
