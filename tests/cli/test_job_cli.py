"""Jobs from the command line: queue one, list it, run it with `oneplan worker --once`."""

from __future__ import annotations

from typer.testing import CliRunner

from oneplan.cli.main import app

runner = CliRunner()


def test_a_job_is_queued_listed_and_run_by_one_worker_pass() -> None:
    queued = runner.invoke(app, ["job", "submit", "ping"])
    assert queued.exit_code == 0, queued.output
    assert "job #1 (ping)" in queued.output
    listed = runner.invoke(app, ["job", "list"])
    assert listed.exit_code == 0, listed.output
    assert "ping" in listed.output and "queued" in listed.output and "planner" in listed.output
    ran = runner.invoke(app, ["worker", "--once"])
    assert ran.exit_code == 0, ran.output
    assert "job #1: succeeded" in ran.output
    assert "succeeded" in runner.invoke(app, ["job", "list", "--state", "succeeded"]).output
    idle = runner.invoke(app, ["worker", "--once"])
    assert "no job was queued" in idle.output
    shown = runner.invoke(app, ["job", "show", "1"])
    assert "Job #1: ping for planner: succeeded" in shown.output and "100%" in shown.output
    log = runner.invoke(app, ["job", "log", "1"])
    assert "queued by planner" in log.output and "started by worker" in log.output


def test_a_failed_job_shows_its_problem_and_a_finished_one_cannot_be_cancelled() -> None:
    runner.invoke(app, ["job", "submit", "supply", "--set", "options.objective=margin"])
    runner.invoke(app, ["worker", "--once"])
    shown = runner.invoke(app, ["job", "show", "1"])
    assert "failed" in shown.output
    assert "job 1, step supply: there is no demand to plan for" in shown.output
    refused = runner.invoke(app, ["job", "cancel", "1"])
    assert refused.exit_code == 4
    assert "has already failed" in refused.output


def test_bad_parameters_are_refused_by_name_and_nothing_is_queued() -> None:
    bad = runner.invoke(app, ["job", "submit", "supply", "--set", "options.objective=luck"])
    assert bad.exit_code == 2
    assert "job supply, column options.objective" in bad.output
    unknown = runner.invoke(app, ["job", "submit", "solve-everything"])
    assert unknown.exit_code == 3 and "the kinds are" in unknown.output
    assert "0 of 0" in runner.invoke(app, ["job", "list"]).output
    state = runner.invoke(app, ["job", "list", "--state", "sleeping"])
    assert state.exit_code == 2 and "sleeping: not a state" in state.output


def test_a_queued_job_is_cancelled_and_never_runs() -> None:
    runner.invoke(app, ["job", "submit", "ping"])
    cancelled = runner.invoke(app, ["job", "cancel", "1"])
    assert cancelled.exit_code == 0, cancelled.output
    assert "cancelled:" in cancelled.output
    assert "no job was queued" in runner.invoke(app, ["worker", "--once"]).output
