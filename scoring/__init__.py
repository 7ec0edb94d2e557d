"""Lead scoring: CSV import, LightGBM training with calibration, the model registry, scoring."""
