"""Kinecolor's Python tooling: the PyTorch reference of BigColor, the converter of the official
checkpoint, training, export, evaluation and the video metrics (Training/README.md).

Every tool is a module run as `python3 -m kinecolor_training.NAME`; `--help` shows its options.
"""
