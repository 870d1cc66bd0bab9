"""Exam-day benchmarks (issue 7): ``make bench`` runs ``python -m bench.run``.

Every figure is a ratio against a bare baseline measured in the same run on the same
server; see bench/README.md.
"""
