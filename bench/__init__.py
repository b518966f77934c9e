"""Benchmarks (see README.md); a package so that uvicorn can import bench.baseline_app."""
