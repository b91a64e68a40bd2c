"""The job worker: claims queued jobs and runs them, in a process of its own (`oneplan
worker`) or in threads of the server (`start_in_process_workers`). docs/jobs.md."""

from oneplan.worker.loop import Worker, WorkerPool, start_in_process_workers

__all__ = ["Worker", "WorkerPool", "start_in_process_workers"]
