"""The training and sampling engine: pure torch, no front-end imports.

config (no torch) -> data -> model -> train / sample, with checkpoint for the one-file state.
"""
