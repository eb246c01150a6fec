"""Benchmarks: latency budgets with p50/p95/max and a correctness check beside each timing."""
