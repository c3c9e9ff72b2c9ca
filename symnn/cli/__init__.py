"""The ``symnn`` command line."""
