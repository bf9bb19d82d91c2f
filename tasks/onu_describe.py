"""`onu.describe`: give an authorized ONU its description on the OLT, and keep it in the store."""

from __future__ import annotations

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView
from ispflow.plugins.olt.driver import PonPort
from ispflow.plugins.olt.drivers import driver_for
from ispflow.plugins.olt.session import CliSession
from ispflow.store import run_context
from ispflow.store.contracts import record_description
from ispflow.tasks.compliance import add_services, pon_onus
from ispflow.tasks.onu import olt_session
from ispflow.tasks.registry import task


@task("onu.describe", changes_device=True, view=TaskView(columns=("port", "onu_id")))
def describe(task: Task, port: str, onu_id: int, description: str, store: bool = True) -> Result:
    """Set the description of ONU `onu_id` on PON `port`, read it back, record it."""
    driver = driver_for(task.host)
    pon = PonPort.parse(port)
    if not str(description).strip():
        raise ValueError("the description is empty: give one (or a contract)")
    lines = driver.describe(pon, int(onu_id), description)  # refuses unsafe text first
    # What the OLT will show: some vendors write blanks in names as "_".
    description = driver.onu_description(description)
    if task.is_dry_run():
        return Result(host=task.host, result={"commands": lines})
    session = olt_session(task, driver)
    if not set_description(session, pon, int(onu_id), description):
        return Result(host=task.host, result={"port": str(pon), "onu_id": int(onu_id)})
    context = run_context.current()
    if store and context is not None and not context.dry_run:
        record_description(
            context.database,
            olt=task.host.name,
            port=str(pon),
            onu_id=int(onu_id),
            description=description,
        )
    return Result(
        host=task.host,
        result={"port": str(pon), "onu_id": int(onu_id), "description": description},
        changed=True,
    )


def set_description(session: CliSession, pon: PonPort, onu_id: int, description: str) -> bool:
    """Give an authorized ONU this description unless the OLT already shows it, and read it
    back; True when it was set."""
    driver = session.driver
    lines = driver.describe(pon, onu_id, description)  # refuses unsafe text first
    description = driver.onu_description(description)
    if (_shown(session, pon, onu_id) or "") == description:
        return False
    session.run(lines)
    after = _shown(session, pon, onu_id)
    if (after or "") != description:
        raise RuntimeError(
            f"the OLT accepted the description but shows {after!r} for ONU id {onu_id} on PON {pon}"
        )
    return True


def _shown(session: CliSession, pon: PonPort, onu_id: int) -> str | None:
    """The description the OLT shows for the ONU: from the PON's ONU list, or, where the list
    has none, from that ONU's own settings (one more read, of that ONU only)."""
    driver = session.driver
    onus = pon_onus(session, driver, pon)
    key = (str(pon), onu_id)
    if key not in onus:
        raise ValueError(f"no ONU id {onu_id} on PON {pon} of {session.host}")
    if "description" not in onus[key]:
        add_services(session, driver, pon, onus, only=onu_id)
    description: str | None = onus[key].get("description")
    return description
