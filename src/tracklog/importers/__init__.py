"""Importers: runs of other trackers (MLflow, W&B offline folders) read into a tracklog store.

Each importer reads with the other tracker's own package, imported only when used.
"""
