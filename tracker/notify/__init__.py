"""The weekly digest e-mail, as one package: choose, compose, render, deliver.

:func:`~tracker.notify.digest.run_digest` runs the steps in order; each
step is a module here (see that function's module docstring).
"""
