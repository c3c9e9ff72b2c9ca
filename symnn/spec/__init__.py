"""Network specs: frozen dataclasses and TOML spec files."""
