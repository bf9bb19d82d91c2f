"""ONU lifecycle tasks, vendor-neutral: autofind, authorize, deauthorize, status, optical.

Every vendor detail (commands, names, parsing) comes from the host's OLT driver; these
tasks only decide what to do with the answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView
from ispflow.plugins.olt.driver import AuthorizeRequest, CliStep, OltDriver, PonPort
from ispflow.plugins.olt.drivers import driver_for, host_pons
from ispflow.plugins.olt.parsing import UnreadableOutput
from ispflow.plugins.olt.pon_lock import pon_lock
from ispflow.plugins.olt.session import (
    DEFAULT_READ_TIMEOUT,
    CliSession,
    DeviceRefused,
    SessionLost,
)
from ispflow.store import run_context
from ispflow.tasks.provisioning import SECRET_SETTINGS as SECRETS
from ispflow.tasks.provisioning import Secret
from ispflow.tasks.registry import task
from ispflow.tasks.signal import READINGS_VIEW, classify, thresholds_for

CONNECTION = "olt_cli"  # netmiko with a set-up tuned for OLTs (plugins/connections/olt_cli.py)
# What a dry run shows for an ONU id chosen at run time.
FREE_ID = "<free-id>"


def olt_session(task: Task, driver: OltDriver) -> CliSession:
    def reopen() -> Any:
        # The lost connection stays in Nornir's pool until closed; closing a dead one may fail.
        try:
            task.host.close_connection(CONNECTION)
        except Exception:  # noqa: BLE001 - it is gone either way
            task.host.connections.pop(CONNECTION, None)
        return task.host.get_connection(CONNECTION, task.nornir.config)

    return CliSession(
        task.host.get_connection(CONNECTION, task.nornir.config),
        driver,
        read_timeout=command_timeout(task.host),
        reopen=reopen,
        host=task.host.name,
    )


def command_timeout(host: Any) -> float:
    """Seconds to wait for one command's answer: the host's data `command_timeout`, else 60
    (a full PON table on a busy OLT takes seconds; a stuck session should not take minutes)."""
    value = host.get("command_timeout")
    if value is None:
        return DEFAULT_READ_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 < seconds <= 3600:
        raise ValueError(
            f"{host.name}: data command_timeout must be seconds between 0 and 3600, not {value!r}"
        )
    return seconds


def read_records(session: CliSession, lines: list[str]) -> list[dict[str, Any]]:
    """Send lines; parse the answer of the last one (the query; the others change mode)."""
    answers = session.read(lines)
    command, output = answers[-1]
    return session.driver.parse(command, output, session.host)


def _check_vlan(vlan: int) -> int:
    vlan = int(vlan)
    if not 1 <= vlan <= 4094:
        raise ValueError(f"VLAN {vlan} is out of range 1-4094")
    return vlan


@task(
    "onu.autofind",
    view=TaskView(columns=("port", "serial", "model", "software", "found_at")),
    opens=CONNECTION,
)
def autofind(task: Task) -> Result:
    """ONUs waiting on the OLT to be authorized (serial, PON port, model)."""
    driver = driver_for(task.host)
    lines = driver.autofind()
    if task.is_dry_run():
        return Result(host=task.host, result={"commands": lines})
    return Result(host=task.host, result=read_records(olt_session(task, driver), lines))


@task(
    "onu.authorize",
    changes_device=True,
    view=TaskView(
        columns=("port", "onu_id", "serial", "mac", "vlan", "onu_type", "already", "note")
    ),
)
def authorize(
    task: Task,
    port: str,
    vlan: int,
    serial: str | None = None,
    mac: str | None = None,
    onu_id: int | None = None,
    line_profile: int | str = 1,
    service_profile: int | str = 1,
    onu_type: str = "",
    description: str = "",
    settings: Mapping[str, str] | None = None,
) -> Result:
    """Authorize an ONU by serial (GPON) or MAC (EPON-style) on a PON, with its VLAN (and,
    from a provisioning template, the `settings` this OLT can send: secrets never shown).

    The ONU id is the lowest free one on the PON unless given, chosen under a per-PON lock.
    Already authorized on this PON: nothing changed but its description, set when the OLT
    shows another. Refused half-way: the ONU is removed again, so nothing is left
    half-applied.
    """
    if bool(serial) == bool(mac):
        raise ValueError("give exactly one of serial (GPON) or mac (EPON-style)")
    driver = driver_for(task.host)
    pon = PonPort.parse(port)
    chosen_later = onu_id is None and task.is_dry_run()
    request = AuthorizeRequest(
        port=pon,
        onu_id=onu_id if onu_id is not None else (FREE_ID if chosen_later else driver.first_onu_id),
        vlan=_check_vlan(vlan),
        serial=serial,
        mac=mac,
        line_profile=line_profile,
        service_profile=service_profile,
        onu_type=onu_type,
        description=description,
        settings=dict(settings or {}),
    )
    # Rendered before any connection: a value the guard refuses never reaches the device.
    preview = driver.authorize(request)
    hide = secret_hider(request.settings)
    if task.is_dry_run():
        # The id is the PON's lowest free one when the run takes the PON's lock: a dry run
        # that showed one now could show an id another run takes first.
        note = (
            None
            if onu_id is not None
            else f"{FREE_ID}: the lowest free ONU id on PON {pon}, chosen when the run holds "
            "the PON's lock"
        )
        if serial and driver.onu_type_reads(request):
            found = (
                f"type: the one autofind reports for {serial} on PON {pon}, read when the run "
                f"holds the PON's lock ({driver.default_onu_type} if autofind does not list it)"
            )
            note = f"{note}; {found}" if note else found
        shown = onu_id if onu_id is not None else FREE_ID
        return Result(
            host=task.host,
            result={"commands": hide(preview), "onu_id": shown, "port": str(pon), "note": note},
        )

    session = olt_session(task, driver)
    repaired: str | None = None
    with pon_lock(task.host.name, str(pon)):
        if serial:
            found = _find_serial(session, serial)
            if found is not None:
                if found.get("port") not in (None, str(pon), driver.records_port(pon)):
                    raise ValueError(
                        f"serial {serial} is already authorized on PON {found.get('port')}"
                    )
                repaired = _half_configured(session, driver, pon, int(found["onu_id"]), request)
                if repaired is None:
                    relabelled = _relabel(session, pon, int(found["onu_id"]), description)
                    note = {"note": "its description set"} if relabelled else {}
                    return Result(
                        host=task.host,
                        result={**found, "serial": serial, "already": True, **note},
                        changed=relabelled,
                    )
        type_note = _choose_type(session, driver, request)
        taken = {
            int(r["onu_id"])
            for r in read_records(session, driver.list_onus(pon))
            if r.get("onu_id") is not None
        }
        if onu_id is None:
            request.onu_id = _lowest_free(driver, taken, pon)
        elif onu_id in taken:
            raise ValueError(f"ONU id {onu_id} is already used on PON {pon}")
        lines = driver.authorize(request)
        try:
            session.run(lines)
        except DeviceRefused as refused:
            _undo_partial(session, driver, pon, request)
            if hide([refused.line]) != [refused.line]:
                raise DeviceRefused(hide([refused.line])[0], refused.message) from None
            raise
        except SessionLost as lost:
            shown = SessionLost(hide([lost.line])[0], hide(lost.sent), RuntimeError(lost.reason))
            raise _lost_while_authorizing(task, session, pon, request, lines, shown) from None
        # The post-condition, read back: the ONU *and* its service port (and OMCI service).
        missing, _ = _parts(session, driver, pon, int(request.onu_id), request.vlan)
        if missing:
            _undo_partial(session, driver, pon, request)
            raise RuntimeError(
                f"the OLT took the authorize commands but ONU {serial or mac} id "
                f"{request.onu_id} on PON {pon} has no {', '.join(missing)}: removed again"
            )
    result = {
        "port": str(pon),
        "onu_id": request.onu_id,
        "serial": serial,
        "mac": mac,
        "vlan": request.vlan,
        "commands": hide(lines),
    }
    if driver.default_onu_type:
        result["onu_type"] = request.onu_type or driver.default_onu_type
    if type_note:
        result["note"] = type_note
    if repaired:
        result["repaired"] = repaired
    sent = sorted(driver.onu_settings(request.settings))
    if request.settings:
        result |= {
            "settings_sent": sent,
            "settings_not_sent": sorted(set(request.settings) - set(sent)),
        }
    return Result(host=task.host, result=result, changed=True)


def secret_hider(settings: Mapping[str, str]) -> Callable[[list[str]], list[str]]:
    """Command lines as they may be shown: every secret setting's value written as ***."""
    secrets = sorted(
        (str(v) for k, v in settings.items() if v and (isinstance(v, Secret) or k in SECRETS)),
        key=len,
        reverse=True,
    )
    if not secrets:
        return list

    def hide(lines: list[str]) -> list[str]:
        shown = []
        for line in lines:
            for secret in secrets:
                line = line.replace(secret, "***")
            shown.append(line)
        return shown

    return hide


def _choose_type(session: CliSession, driver: OltDriver, request: AuthorizeRequest) -> str | None:
    """Where the OLT registers an ONU by its type and none was given: the type its autofind
    reports for the serial on this PON, so a whitelist that checks types takes the ONU. Not
    listed there (not plugged in yet, or waiting on another PON): the driver's default type,
    and the note says so, for the engineer to check before the ONU is plugged in."""
    reads = driver.onu_type_reads(request) if request.serial and not request.onu_type else []
    if not reads:
        return None
    found = driver.discovered_type(request, read_records(session, reads))
    if found is None:
        return (
            f"{request.serial} is not in autofind on PON {request.port}: registered as type "
            f"{driver.default_onu_type} (the default); if it is another model, remove it and "
            "authorize it again with its type"
        )
    request.onu_type = found
    return f"type {found}: as autofind reports it"


def _find_serial(session: CliSession, serial: str) -> dict[str, Any] | None:
    # "The ONT does not exist" is the vendor's empty answer (no record); any other refusal
    # (a busy OLT) is an error, never "not authorized".
    records = read_records(session, session.driver.onu_by_serial(serial))
    return records[0] if records else None


def _relabel(session: CliSession, pon: PonPort, onu_id: int, description: str) -> bool:
    """An ONU found already authorized gets the description asked for when it shows another
    (authorized by hand with a test label, say): the OLT must not name the wrong customer.
    True when it was set."""
    if not description.strip():
        return False
    # Imported here: onu_describe reads PONs through modules that import this one.
    from ispflow.tasks.onu_describe import set_description

    return set_description(session, pon, onu_id, description)


def _parts(
    session: CliSession, driver: OltDriver, pon: PonPort, onu_id: int, vlan: int
) -> tuple[list[str], list[str]]:
    """The parts an authorized ONU lacks, and those it has with another VLAN."""
    records = []
    for command, output in session.read(driver.authorize_check(pon, onu_id)):
        records += driver.parse(command, output, session.host)
    return driver.authorize_missing(vlan, records)


def _half_configured(
    session: CliSession, driver: OltDriver, pon: PonPort, onu_id: int, request: AuthorizeRequest
) -> str | None:
    """None for an ONU that is whole; for one a run cut between two commands left without
    its service port (or OMCI service), it is removed so it can be authorized afresh."""
    missing, other = _parts(session, driver, pon, onu_id, request.vlan)
    if not missing:
        return None
    if other:
        raise ValueError(
            f"ONU {request.serial} is already authorized on PON {pon} as id {onu_id} with "
            f"{', '.join(other)}, not VLAN {request.vlan}: change it by hand, or remove it first"
        )
    session.run(driver.deauthorize(pon, onu_id), tolerate=driver.nothing_to_remove)
    return (
        f"found half-configured as id {onu_id} (no {', '.join(missing)}): removed and "
        "authorized again"
    )


def _lowest_free(driver: OltDriver, taken: set[int], pon: PonPort) -> int:
    for candidate in range(driver.first_onu_id, driver.first_onu_id + driver.max_onus):
        if candidate not in taken:
            return candidate
    raise ValueError(f"PON {pon} is full ({driver.max_onus} ONUs)")


def _undo_partial(
    session: CliSession, driver: OltDriver, pon: PonPort, request: AuthorizeRequest
) -> None:
    """After a refusal: back to base mode, and remove the ONU if its add went through."""
    for line in driver.leave_config():
        session.send(line)
    if request.serial and _find_serial(session, request.serial) is None:
        return
    for line in driver.deauthorize(pon, request.onu_id):
        session.send(line)  # best effort: a missing service port must not stop the delete


def _lost_while_authorizing(
    task: Task,
    session: CliSession,
    pon: PonPort,
    request: AuthorizeRequest,
    lines: list[str],
    lost: SessionLost,
) -> RuntimeError:
    """Clean up on a new session what the cut one may have left; say exactly what happened."""
    who = request.serial or request.mac
    what = f"{task.host.name}: {lost} ({len(lost.sent)} of {len(lines)} authorize lines answered)"
    try:
        session.reconnect()
        _undo_partial(session, session.driver, pon, request)
    except Exception as exc:  # noqa: BLE001 - reported with what to do next
        return RuntimeError(
            f"{what}; cleaning up on a new session failed too ({exc}): ONU {who} may be "
            f"half-configured as id {request.onu_id} on PON {pon}. Check it with onu-signal "
            f"and remove it with onu-deauthorize -e olt={task.host.name} -e port={pon} "
            f"-e serial={who}"
        )
    return RuntimeError(
        f"{what}; on a new session ONU {who} (id {request.onu_id}) was removed again: "
        "nothing is left on the OLT, run it again"
    )


@task(
    "onu.deauthorize",
    changes_device=True,
    view=TaskView(columns=("port", "onu_id", "serial", "absent")),
)
def deauthorize(
    task: Task,
    port: str,
    onu_id: int | None = None,
    serial: str | None = None,
    store: bool = True,
) -> Result:
    """Remove an ONU (by id, or found by serial) and its service ports; mark it in the store."""
    driver = driver_for(task.host)
    pon = PonPort.parse(port)
    if onu_id is None and not serial:
        raise ValueError("give onu_id or serial")
    if task.is_dry_run():
        shown = onu_id if onu_id is not None else f"<id of {serial}>"
        return Result(host=task.host, result={"commands": driver.deauthorize(pon, shown)})  # type: ignore[arg-type]
    session = olt_session(task, driver)
    if onu_id is None:
        found = _find_serial(session, serial or "")
        if found is None:
            _forget(task, store, pon, None, serial)
            return Result(host=task.host, result={"serial": serial, "absent": True})
        onu_id = int(found["onu_id"])
    lines = driver.deauthorize(pon, onu_id)
    with pon_lock(task.host.name, str(pon)):
        try:
            session.run(lines, tolerate=driver.nothing_to_remove)
        except SessionLost as lost:
            _finish_removal(task, session, pon, onu_id, lines, lost)
        # The post-condition, read back, before the store is told: the ONU is gone.
        left = {
            int(r["onu_id"])
            for r in read_records(session, driver.list_onus(pon))
            if r.get("onu_id") is not None
        }
        if onu_id in left:
            raise RuntimeError(
                f"ONU id {onu_id} is still on PON {pon} after the removal commands; "
                "the store is left as it was"
            )
    _forget(task, store, pon, onu_id, serial)
    return Result(
        host=task.host, result={"port": str(pon), "onu_id": onu_id, "commands": lines}, changed=True
    )


def _finish_removal(
    task: Task, session: CliSession, pon: PonPort, onu_id: int, lines: list[str], lost: SessionLost
) -> None:
    """A removal cut short is finished on a new session; the ONU must be gone afterwards."""
    driver = session.driver
    try:
        session.reconnect()
        for line in lines:
            session.send(line)  # parts already removed are refused: that is fine here
        for line in driver.leave_config():
            session.send(line)
        left = {int(r["onu_id"]) for r in read_records(session, driver.list_onus(pon))}
    except Exception as exc:  # noqa: BLE001 - reported with what to do next
        raise RuntimeError(
            f"{task.host.name}: {lost}; finishing the removal on a new session failed too "
            f"({exc}): ONU id {onu_id} on PON {pon} may be half-removed, run onu-deauthorize again"
        ) from lost
    if onu_id in left:
        raise RuntimeError(
            f"{task.host.name}: {lost}; ONU id {onu_id} is still on PON {pon} after a retry "
            "on a new session"
        ) from lost


def _forget(task: Task, store: bool, pon: PonPort, onu_id: int | None, serial: str | None) -> None:
    context = run_context.current()
    if store and context is not None:
        from ispflow.store.contracts import forget_onu

        forget_onu(
            context.database, olt=task.host.name, port=str(pon), onu_id=onu_id, serial=serial
        )


@task(
    "onu.status",
    view=TaskView(
        columns=(
            "port",
            "onu_id",
            "serial",
            "run_state",
            "phase_state",
            "config_state",
            "match_state",
            "description",
        )
    ),
)
def status(task: Task, port: str) -> Result:
    """ONUs authorized on a PON with their run state."""
    driver = driver_for(task.host)
    lines = driver.list_onus(PonPort.parse(port))
    if task.is_dry_run():
        return Result(host=task.host, result={"commands": lines})
    return Result(host=task.host, result=read_records(olt_session(task, driver), lines))


def offline_reading(port: str, onu_id: int) -> dict[str, Any]:
    """The reading of an ONU the OLT says is down: no light, class offline."""
    return {
        "port": port,
        "onu_id": onu_id,
        "rx_dbm": None,
        "tx_dbm": None,
        "olt_rx_dbm": None,
        "run_state": "offline",
        "signal": classify(None),
    }


def _add_down_causes(
    session: CliSession,
    dark: dict[PonPort, dict[int, dict[str, Any]]],
    per_pon: dict[PonPort, list[dict[str, Any]]],
    olt_pons: int = 0,
) -> None:
    """Why each offline ONU is down, as its OLT says it (`down_cause`) and as a class
    (`down_class`: power, fibre, other; None where the OLT does not say).

    From the PON's ONU list where it says it (no command), else one bulk read per PON that
    has offline ONUs, so a PON whose ONUs are all up costs no command; or, when every PON of
    the OLT was read (`olt_pons` of them) and the driver has one, a single OLT-wide read. An
    OLT that refuses the OLT-wide read is asked per PON; one that refuses those leaves the
    causes unknown, never the readings lost.
    """
    driver = session.driver
    for readings in dark.values():
        for reading in readings.values():
            reading["down_cause"] = reading["down_class"] = None
    unread = []
    for pon, readings in dark.items():
        listed = driver.listed_down_causes(pon, per_pon.get(pon, []))
        if listed is None:
            unread.append(pon)
        else:
            _take_causes(readings, listed)
    steps = driver.down_cause_ports(unread, olt_pons)
    if not steps:
        return
    try:
        answers = session.read([step.line for step in steps])
    except DeviceRefused:
        if not any(step.every_pon for step in steps):
            return
        steps = driver.down_cause_ports(unread)
        try:
            answers = session.read([step.line for step in steps])
        except DeviceRefused:
            return
    for step, (line, output) in zip(steps, answers, strict=True):
        if step.pon is not None:
            records = driver.parse(line, output, session.host)
            _take_causes(
                dark[step.pon], driver.down_causes(step.pon, _records_of(dark[step.pon], records))
            )
        elif step.every_pon:
            by_pon: dict[str, list[dict[str, Any]]] = {}
            for record in driver.parse(line, output, session.host):
                by_pon.setdefault(str(record.get("port")), []).append(record)
            for pon in unread:
                records = _records_of(dark[pon], by_pon.get(str(pon), []))
                _take_causes(dark[pon], driver.down_causes(pon, records))


def _records_of(
    readings: dict[int, dict[str, Any]], records: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The records of these ONUs: a state table lists every ONU of its PON or OLT, most up."""
    return [r for r in records if r.get("onu_id") is not None and int(r["onu_id"]) in readings]


def _take_causes(readings: dict[int, dict[str, Any]], causes: list[dict[str, Any]]) -> None:
    for record in causes:
        reading = readings.get(record["onu_id"])
        if reading is not None:
            reading["down_cause"] = record["down_cause"]
            reading["down_class"] = record["down_class"]


def _read_follow_up(
    session: CliSession, per_pon: dict[PonPort, list[dict[str, Any]]], host: str
) -> None:
    """The per-ONU reads a driver asks for after the PONs' answers (OLTs with no per-PON
    optical table); an ONU gone offline in between is refused, and read as offline."""
    driver = session.driver
    steps = [step for pon, got in per_pon.items() for step in driver.optical_follow_up(pon, got)]
    if not steps:
        return
    answers = session.read([step.line for step in steps], tolerate=driver.onu_offline)
    for step, (line, output) in zip(steps, answers, strict=True):
        if step.pon is not None and not driver.refused(output, line):
            per_pon[step.pon].extend(driver.parse(line, output, host))


@task("onu.optical", view=READINGS_VIEW, opens=CONNECTION)
def optical(
    task: Task,
    port: str | None = None,
    onu_id: int | None = None,
    ports: list[str] | None = None,
    store: bool = True,
    serial: str | None = None,
) -> Result:
    """Optical signal of one ONU, one PON, several PONs or (nothing given) all; with classes.

    All PONs are the inventory's data `pons` list, else `pon_ports` PONs on the first board.
    PONs are read with one bulk command each, over one session. With `store` (default) the
    readings join the history in the store, one transaction per OLT, with their contract.
    `serial` names the one ONU read when the OLT's answer to a one-ONU read does not, so its
    history finds it before the store records the ONU (right after authorizing it).
    Offline ONUs of PONs read in bulk carry `down_cause` and `down_class` (why they are
    down), at one more command per PON with offline ONUs. An answer to that read in a layout
    not known leaves the causes unknown and fails the host when the step ends, its readings
    kept and stored.
    """
    driver = driver_for(task.host)
    limits = thresholds_for(task.host)
    olt_pons = 0  # how many PONs the OLT has, when all of them are read
    if onu_id is not None:
        if port is None:
            raise ValueError("onu_id needs its port")
        pon = PonPort.parse(port)
        # Mode changes around the query answer with no records, so every line may be read.
        steps = [CliStep(line, pon) for line in driver.optical_onu(pon, int(onu_id))]
    else:
        wanted = ports or ([port] if port else None)
        pons = [PonPort.parse(p) for p in wanted] if wanted else host_pons(task.host, driver)
        steps = driver.optical_ports(pons)
        if not wanted:
            olt_pons = len(pons)
    if task.is_dry_run():
        return Result(host=task.host, result={"commands": [step.line for step in steps]})
    session = olt_session(task, driver)
    # Asked for one ONU, some OLTs refuse instead of printing an empty reading when it is down.
    tolerate = driver.onu_offline if onu_id is not None else None
    per_pon: dict[PonPort, list[dict[str, Any]]] = {}
    parsed = _AnswersParsed(driver, steps, tolerate, task.host.name)
    answers = session.read([s.line for s in steps], tolerate=tolerate, on_answer=parsed.take)
    refused_offline = False
    for index, (step, (line, output)) in enumerate(zip(steps, answers, strict=True)):
        if tolerate is not None and driver.refused(output, line):
            refused_offline = True
        elif step.pon is not None:
            per_pon.setdefault(step.pon, []).extend(parsed.records(index))
    if onu_id is None:
        _read_follow_up(session, per_pon, task.host.name)
    readings = []
    dark: dict[PonPort, dict[int, dict[str, Any]]] = {}
    for pon, records in per_pon.items():
        for reading in driver.readings(pon, records):
            reading["signal"] = classify(reading.get("rx_dbm"), limits)
            readings.append(reading)
            if reading["signal"] == "offline" and onu_id is None:
                dark.setdefault(pon, {})[int(reading["onu_id"])] = reading
    unreadable: UnreadableOutput | None = None
    if dark:
        try:
            _add_down_causes(session, dark, per_pon, olt_pons)
        except UnreadableOutput as exc:
            # Only why some ONUs are down is not known: every reading is good and kept (and
            # stored); the host still fails, naming the answer it could not read.
            unreadable = exc
    if refused_offline and not readings:
        readings = [offline_reading(str(PonPort.parse(str(port))), int(onu_id))]  # type: ignore[arg-type]
    if onu_id is not None and serial:
        for reading in readings:
            reading["serial"] = reading.get("serial") or serial
    context = run_context.current()
    if store and context is not None:
        # Imported here: the store's modules are not needed before a run's first login.
        from ispflow.store.readings import ReadingsWriter

        # The worker goes on to its next OLT while one thread writes; the step does not end
        # before these readings are committed, and this host fails it if they could not be.
        writer = context.share(
            "readings",
            lambda: ReadingsWriter(context.database, prune=context.prunes_history),
        )
        ticket = writer.submit(
            task.host.name, readings, context.run_id, step_index=run_context.current_step()
        )
        context.defer(task.host.name, lambda: writer.wait(ticket))
    if unreadable is not None:
        if context is None:
            raise unreadable
        context.defer(task.host.name, _raising(unreadable))
    return Result(host=task.host, result=readings)


class _AnswersParsed:
    """The records of each bulk answer, parsed as the answer arrives (while the OLT prepares
    the next one): a fleet audit's parsing is spread over its reads instead of piling up
    when OLTs finish together. An answer that cannot be parsed raises when its records are
    asked for, after every line was read, as when parsing followed the reads."""

    def __init__(
        self, driver: OltDriver, steps: list[CliStep], tolerate: re.Pattern[str] | None, host: str
    ) -> None:
        self._driver = driver
        self._steps = steps
        self._tolerate = tolerate
        self._host = host
        self._parsed: dict[int, list[dict[str, Any]] | Exception] = {}

    def take(self, index: int, line: str, output: str) -> None:
        if self._steps[index].pon is None:
            return
        if self._tolerate is not None and self._driver.refused(output, line):
            return
        try:
            self._parsed[index] = self._driver.parse(line, output, self._host)
        except Exception as exc:  # raised where the records are asked for, as before
            self._parsed[index] = exc

    def records(self, index: int) -> list[dict[str, Any]]:
        parsed = self._parsed[index]
        if isinstance(parsed, Exception):
            raise parsed
        return parsed


def _raising(error: Exception) -> Callable[[], None]:
    def check() -> None:
        raise error

    return check
