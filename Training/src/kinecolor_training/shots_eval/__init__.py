"""Shot-detection evaluation clips and the numpy mirror of the detector (Training/shots_eval/README.md)."""
