"""Documents: Jinja rendering, layout, LaTeX compilation. Lays out data; computes nothing."""
