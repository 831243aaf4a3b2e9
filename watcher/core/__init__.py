"""The pure core: the record model, IDs, normalization, hashing, diff, red flags, timeline.

Nothing here does I/O or imports an I/O library (tests/test_purity.py keeps it so): it takes
data and returns data.
"""
