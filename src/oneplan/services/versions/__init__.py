"""Plan versions: the immutable result of every run, its frames, its life from draft to
released, and comparisons between versions."""
