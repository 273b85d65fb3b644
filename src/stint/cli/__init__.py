"""The `stint` command line."""
