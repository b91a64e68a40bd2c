"""Jobs from the command line: `oneplan job submit|list|show|cancel|log` and `oneplan worker`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oneplan.cli.common import console, database, errors, handle_errors, local_actor, say, settings
from oneplan.cli.render import table, when
from oneplan.errors import Problem, ValidationFailed

if TYPE_CHECKING:
    from oneplan.services.jobs.schemas import JobOut


def _parameters(pairs: list[str], text: str | None) -> dict[str, Any]:
    """``--json`` as the base, then each ``--set a.b=value`` (value read as JSON when it is)."""
    try:
        found: dict[str, Any] = json.loads(text) if text else {}
    except json.JSONDecodeError as error:
        raise ValidationFailed([Problem("--json", None, None, f"is not JSON: {error}")]) from None
    if not isinstance(found, dict):
        raise ValidationFailed([Problem("--json", None, None, "must be a JSON object")])
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ValidationFailed([Problem("--set", None, None, f"{pair!r} is not KEY=VALUE")])
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        *path, last = key.split(".")
        node = found
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return found


def _progress(job: JobOut) -> str:
    return f"{job.progress:.0%}"


def _show(job: JobOut) -> None:
    say(f"{job.kind} for {job.owner}: {job.state.value}", f"Job #{job.id}:", "title")
    say(f"{_progress(job)}: {job.message}")
    if job.parameters:
        say(f"parameters: {json.dumps(job.parameters)}")
    say(
        f"queued {when(job.created_at)}, started {when(job.started_at) or '-'}, "
        f"finished {when(job.finished_at) or '-'}"
    )
    if job.worker:
        say(f"worker {job.worker}, attempt {job.attempts}, heartbeat {when(job.heartbeat_at)}")
    for step in (job.result or {}).get("steps", []):
        figures = ", ".join(f"{f['label']} {f['value']}" for f in step["figures"])
        say(f"  {step['name']} ({step['seconds']:.1f} s): {figures}")
    if job.error:
        for problem in job.error["problems"]:
            place = [problem["file"]]
            place += [f"row {problem['row']}"] if problem["row"] is not None else []
            place += [f"column {problem['column']}"] if problem["column"] is not None else []
            say(f"  - {', '.join(place)}: {problem['message']}", to=errors)


@handle_errors
def submit(
    kind: Annotated[
        str, typer.Argument(help="demand, supply, finance, scenario, report, cycle, ping")
    ],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="A parameter, KEY=VALUE (repeatable); a.b sets a nested one."),
    ] = None,
    json_text: Annotated[
        str | None, typer.Option("--json", help="All parameters as one JSON object.")
    ] = None,
) -> None:
    """Queue a long run as a job; a worker (`oneplan worker`) runs it."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.jobs.service import submit_job

    parameters = _parameters(set_ or [], json_text)
    with unit_of_work(database()) as session:
        job = submit_job(session, local_actor(), kind, parameters, settings=settings())
    say(f"job #{job.id} ({job.kind}); follow it with `oneplan job show {job.id}`", "queued")


@handle_errors
def list_command(
    state: Annotated[
        list[str] | None, typer.Option("--state", help="Only jobs in this state (repeatable).")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only jobs of this person.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Jobs per page.")] = 20,
    page: Annotated[int, typer.Option(min=1, help="Page, newest first.")] = 1,
) -> None:
    """List jobs, newest first."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.jobs.schemas import JobQuery, JobState
    from oneplan.services.jobs.service import list_jobs

    known = [s.value for s in JobState]
    unknown = [s for s in state or [] if s not in known]
    if unknown:
        message = f"{', '.join(unknown)}: not a state; the states are {', '.join(known)}"
        raise ValidationFailed([Problem("--state", None, None, message)])
    query = JobQuery.model_validate(
        {
            "states": state,
            "kind": kind,
            "owner": owner,
            "offset": (page - 1) * limit,
            "limit": limit,
        }
    )
    with unit_of_work(database(), write=False) as session:
        found = list_jobs(session, local_actor(), query)
    rows = [
        (str(j.id), j.kind, j.owner, j.state.value, _progress(j), when(j.created_at), j.message)
        for j in found.items
    ]
    title = f"Jobs ({len(found.items)} of {found.total}, page {page})"
    columns = ["job", "kind", "owner", "state", "done", "queued", "message"]
    console.print(table(title, columns, rows, right=["job", "done"]))


@handle_errors
def show(job_id: Annotated[int, typer.Argument(help="The job's number.")]) -> None:
    """Show a job: its state, progress, result or located problems."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.jobs.service import show_job

    with unit_of_work(database(), write=False) as session:
        _show(show_job(session, local_actor(), job_id))


@handle_errors
def cancel(job_id: Annotated[int, typer.Argument(help="The job's number.")]) -> None:
    """Cancel a job: a queued one at once, a running one at its next phase boundary."""
    from oneplan.db.session import unit_of_work
    from oneplan.services.jobs.service import cancel_job

    with unit_of_work(database()) as session:
        job = cancel_job(session, local_actor(), job_id)
    say(f"job #{job.id}: {job.message}", f"{job.state.value}:")


@handle_errors
def log_command(
    job_id: Annotated[int, typer.Argument(help="The job's number.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until it ends.")
    ] = False,
) -> None:
    """Print a job's log."""
    import time

    from oneplan.db.session import unit_of_work
    from oneplan.services.jobs.schemas import FINISHED
    from oneplan.services.jobs.service import job_log, show_job

    db, actor, last = database(), local_actor(), 0
    while True:
        with unit_of_work(db, write=False) as session:
            lines = job_log(session, actor, job_id, after=last)
            state = show_job(session, actor, job_id).state
        for line in lines:
            say(line.line, f"{line.at:%Y-%m-%d %H:%M:%S}", "note")
            last = line.id
        if not follow or (state in FINISHED and not lines):
            return
        time.sleep(1.0)


@handle_errors
def worker_command(
    once: Annotated[
        bool, typer.Option("--once", help="Run at most one queued job, then stop.")
    ] = False,
    poll: Annotated[
        float, typer.Option(min=0.05, help="Seconds to wait when no job is queued.")
    ] = 1.0,
    stale_after: Annotated[
        float,
        typer.Option(
            min=1.0, help="Seconds without a heartbeat before a job's worker is taken for stopped."
        ),
    ] = 120.0,
) -> None:
    """Run queued jobs until stopped (Ctrl-C or SIGTERM: after the current job)."""
    import logging
    import signal
    import threading

    from oneplan.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    worker = Worker(database(), settings(), stale_after=stale_after)
    if once:
        ran = worker.run_once()
        if ran is None:
            say("no job was queued")
            return
        job_id, state = ran
        say(f"job #{job_id}: {state.value if state else 'taken over by another worker'}", "ran")
        return
    say(f"worker {worker.name} waiting for jobs (Ctrl-C stops it after the current job)")
    stop = threading.Event()
    # the loop runs in a thread so that Ctrl-C or a service manager's SIGTERM only asks it to
    # stop: the job it is running ends normally instead of waiting for its recovery
    loop = threading.Thread(
        target=worker.run, args=(stop, poll), name="oneplan-worker", daemon=True
    )
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    loop.start()
    try:
        while loop.is_alive():
            loop.join(0.5)
            if stop.is_set():
                break
    except KeyboardInterrupt:
        stop.set()
    if loop.is_alive():
        say("stopping after the current job; Ctrl-C again stops at once", to=errors)
        try:
            while loop.is_alive():
                loop.join(0.5)
        except KeyboardInterrupt:
            say("stopped at once: the next worker queues its job again or fails it", to=errors)
            raise typer.Exit(130) from None
    say("worker stopped")


def register(app: typer.Typer) -> None:
    """Add ``job ...`` and ``worker`` to the ``oneplan`` command."""
    job_app = typer.Typer(
        help="Long runs as jobs: queue, follow, cancel.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    job_app.command("submit")(submit)
    job_app.command("list")(list_command)
    job_app.command("show")(show)
    job_app.command("cancel")(cancel)
    job_app.command("log")(log_command)
    app.add_typer(job_app, name="job")
    app.command("worker")(worker_command)
