"""Benchmarks: each measures the app or a piece of core/ and writes its table to bench/results/.

Nothing here makes a shipped artifact (recipes/ does: ``make zoo``) and nothing imports tests/ (what both
need to start the app or a browser is in harness/). ``make bench`` runs them (bench/run_all.py says which).
"""
