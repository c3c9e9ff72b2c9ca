"""Training with the derived gradients: optimisers, init, datasets, checks, oracle, plots."""
