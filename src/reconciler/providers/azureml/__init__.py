"""The Azure ML provider: the only package that imports azure.*, and only when it is used."""
