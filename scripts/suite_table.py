"""Print the offline suite's size per family x question type x split, and the train/test overlap.

Run: python scripts/suite_table.py [N_PER_FAMILY]
"""
import sys
import time

from gtalign_lite.suite import suite_table

if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    start = time.perf_counter()
    table, overlap = suite_table(n)
    print(table.to_string())
    print(f"\ntest questions also in train: {overlap}")
    print(f"generated {int(table.values.sum())} items in {time.perf_counter() - start:.2f} s")
