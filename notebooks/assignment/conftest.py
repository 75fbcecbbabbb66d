"""Keep `make nbval` (pytest --nbval notebooks) off the assignment source: it has no stored outputs, its test cells
belong to otter, and tests/test_assignment.py builds and grades it instead."""
collect_ignore_glob = ["*.ipynb"]
