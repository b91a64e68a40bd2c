"""Jobs: long runs asked for now and run by a worker, followed, cancellable and never lost."""
