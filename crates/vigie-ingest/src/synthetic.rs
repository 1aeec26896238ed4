//! Synthetic ACLED-format data for tests, demos and benchmarks.
