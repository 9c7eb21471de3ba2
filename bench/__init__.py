"""Benchmarks run by `make bench`: ratios against naive baselines measured in the same run."""
