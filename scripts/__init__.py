"""Multipoint's scripts: the demo data (scripts/demo), the benchmarks and the
fault checks. Run the package ones from the root of the checkout, e.g.
``python -m scripts.demo --help``; the others as files."""
