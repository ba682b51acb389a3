"""Claim checks: does each cited report sentence still say what its source says?

A claim is a report sentence, list item or table row that cites a reference
(``index``). For each claim, the passage of its cited page that supports it
is found (``support``: cross-lingual, on the matcher's embeddings plus name
and number agreement) and kept as a quote anchor: the passage with a prefix,
a suffix and its position (``anchor``). When the page changes, each anchor
is found again and given a verdict: unchanged, moved, changed or orphaned
(``verdict``). Pure: pages and reports in, plain data out; the refresh stores
what this package decides.
"""
