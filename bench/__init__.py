"""Load benchmarks for Stint's hot paths: ``python -m bench.run`` (see bench/README.md)."""
