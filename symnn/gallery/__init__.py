"""The derivations/ gallery: its registry of examples and the writer that checks it."""
