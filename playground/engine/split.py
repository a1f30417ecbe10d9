"""The train/validation split (nanoGPT's): the last VAL_FRACTION of a corpus's characters
validate. Torch-free, so that scoring can find the held-out text without importing torch."""

VAL_FRACTION = 0.1


def train_size(n: int) -> int:
    """How many of a corpus's ``n`` characters train; the last VAL_FRACTION validate."""
    return n - int(n * VAL_FRACTION)
