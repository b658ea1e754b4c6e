"""Model-ready datasets with explicit, recorded train/validation/test splits."""
