"""The application core: one folder per domain, the same files in each.

Every service function takes a ``Session`` and an ``Actor``, only flushes, and returns data;
the caller (a command, a request, a page, a job worker) owns the transaction. Long runs are
`PhasedRun` objects (load, compute, store) that the caller runs with
`oneplan.runner.run_phased`. See docs/architecture.md.
"""
