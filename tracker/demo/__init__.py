"""``tracker demo``: the whole cycle offline, on bundled fixture sources.

:mod:`tracker.demo.run` runs it; :mod:`tracker.demo.server` is the local HTTP
server that plays the web for it (and for tests and benchmarks).
"""
