"""Benchmarks of what readers feel: `make bench` (or `python -m bench --help`)."""
