"""A shard's task message is checked against the store before the shard is claimed: only
"shard N of run R is ready" passes; another run, runbook, vars, options or unknown fields
are refused, with a reason that names a var and never its value."""

from __future__ import annotations

from typing import Any

import pytest

from ispflow.plugins.runners.shard_message import quoted, run_refusal, shard_refusal
from ispflow.store.shards import Shard
from ispflow.store.worker_runs import WorkerRun

RUN = "20270101T000000-abcd"
SHARD = Shard(
    id=7, run_id=RUN, step_index=0, rollback=False, name="site-poa", queue="site-poa",
    hosts=("olt-1",), status="queued", attempts=0, worker=None, lease_until=None, error=None,
)  # fmt: skip
WORKER_RUN = WorkerRun(
    run_id=RUN,
    status="running",
    runbook="ppp-block",
    runbook_sha256="ab" * 32,
    vars={"contract": "C-1", "password": "s3cret", "onu_id": 5},
    secret_names=frozenset({"password"}),
    options={"dry_run": True, "workers": None, "max_connecting": 10, "connect_rate": None},
)
GENUINE: dict[str, Any] = {"shard_id": 7, "run_id": RUN, "runbook": "ppp-block"}


def test_the_genuine_message_passes() -> None:
    assert shard_refusal(GENUINE, SHARD) is None
    assert run_refusal(GENUINE, WORKER_RUN) is None
    # Without the runbook too: the store says which it is.
    assert run_refusal({"shard_id": 7, "run_id": RUN}, WORKER_RUN) is None


def test_an_older_coordinators_fields_pass_when_they_agree() -> None:
    older = GENUINE | {
        "runbook_sha256": "ab" * 32,
        "given_vars": {"contract": "C-1", "password": "s3cret"},
        "options": {"dry_run": True, "max_connecting": 10},
    }
    assert shard_refusal(older, SHARD) is None
    assert run_refusal(older, WORKER_RUN) is None


@pytest.mark.parametrize(
    ("message", "shard", "reason"),
    [
        (GENUINE | {"task": "x"}, SHARD, "it has fields no coordinator sends: task"),
        (GENUINE | {"shard_id": "7"}, SHARD, "its shard id '7' is not a number"),
        (GENUINE | {"shard_id": True}, SHARD, "its shard id True is not a number"),
        (GENUINE, None, "the store has no such shard"),
        (
            GENUINE | {"run_id": "other"},
            SHARD,
            f"it names run other; the shard is of run {RUN}",
        ),
        (
            GENUINE | {"run_id": "a\nb"},
            SHARD,
            f"it names run 'a\\nb'; the shard is of run {RUN}",
        ),
    ],
)
def test_a_message_for_another_shard_or_run_is_refused(
    message: dict[str, Any], shard: Shard | None, reason: str
) -> None:
    assert shard_refusal(message, shard) == reason


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"runbook": "/tmp/mine.yaml"}, "it names runbook /tmp/mine.yaml; the run's is ppp-block"),
        ({"runbook_sha256": "cd" * 32}, "its runbook SHA-256 is not the run's"),
        ({"given_vars": {"contract": "C-2"}}, "its value of var contract is not the run's"),
        ({"given_vars": {"password": "guess"}}, "its value of var password is not the run's"),
        ({"given_vars": {"onu_id": "5"}}, "its value of var onu_id is not the run's"),
        ({"given_vars": {"extra": 1}}, "it gives var extra, which the run has not"),
        ({"given_vars": ["contract"]}, "its vars are not a mapping"),
        ({"options": {"dry_run": False}}, "its option dry_run is not the run's"),
        ({"options": {"dry_run": 1}}, "its option dry_run is not the run's"),
        ({"options": {"limit": "x"}}, "it gives option limit, which a shard does not take"),
        ({"options": "fast"}, "its options are not a mapping"),
    ],
)
def test_a_message_that_disagrees_with_the_run_is_refused(
    changes: dict[str, Any], reason: str
) -> None:
    assert run_refusal(GENUINE | changes, WORKER_RUN) == reason
    assert "s3cret" not in reason and "guess" not in reason


def test_a_run_that_is_over_takes_no_shard() -> None:
    from dataclasses import replace

    over = replace(WORKER_RUN, status="aborted")
    assert run_refusal(GENUINE, over) == f"run {RUN} is aborted, not running"


def test_quoted_text_is_one_clipped_line() -> None:
    assert quoted("site-poa") == "site-poa"
    assert quoted("x" * 500).endswith("…") and len(quoted("x" * 500)) == 80
    assert "\n" not in quoted("a\nb")
