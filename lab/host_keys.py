"""The lab enrols its own SSH host key: `lab up` records it, for every OLT's port, in the
known_hosts file that runs check (ISPFLOW_KNOWN_HOSTS, ssh.known_hosts, else
~/.config/ispflow/known_hosts), so runs against the lab check host keys like any other.

The lab's ports are its own while it runs, so a key recorded there by an earlier lab (another
state folder, another key) is replaced, and one recorded on a port where this lab serves no
SSH (a concentrator's API) is removed: nothing there would ever match it.
"""

from __future__ import annotations

import base64
from pathlib import Path

import asyncssh
import paramiko

from ispflow.lab.statefiles import StatePaths, read_server_info
from ispflow.plugins.connections.known_hosts import host_key_settings, known_name, record


def public_key(paths: StatePaths) -> paramiko.PKey:
    """The lab's host key as paramiko reads it (its OpenSSH public line)."""
    line = asyncssh.read_private_key(str(paths.host_key)).export_public_key("openssh").split()
    return paramiko.PKey.from_type_string(line[0].decode("ascii"), base64.b64decode(line[1]))


def enrol(paths: StatePaths) -> Path:
    """Record the running lab's host key for each of its SSH ports, and forget any key recorded
    for its other ports; the file it went to."""
    info = read_server_info(paths) or {}
    host = str(info.get("host", "127.0.0.1"))
    ports = sorted(int(port) for port in (info.get("ssh_ports") or {}).values())
    others = sorted({int(port) for port in (info.get("ports") or {}).values()} - set(ports))
    path = host_key_settings().path
    key = public_key(paths)
    record(
        path,
        [(known_name(host, port), key) for port in ports],
        replace=True,
        forget=[known_name(host, port) for port in others],
    )
    return path
