"""The vendor-neutral concentrator driver contract.

A concentrator driver turns what the PPP tasks want (this login's secret, put it on that
profile, drop that session, this pool's ranges) into operations for the vendor's API, and
reads the device's answers. Like the OLT drivers it never talks to a device itself: the
tasks open the Nornir connection the driver names (`connection`) and send the operations
through it (a `ConcentratorSession`), so a dry run is the same code minus the sending. What a
driver reads outside that session (facts, the running configuration) goes through its own
`facts` and `config`.

A vendor's folder under plugins/concentrator/ holds its driver (a `ConcentratorDriver`), its
connection plugin and the `VENDOR` object its entry point registers; its templates are under
templates/<vendor>/. Tasks pick the driver with `concentrator_driver_for(host)`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from nornir.core.inventory import Host
    from nornir.core.task import Task


@dataclass(frozen=True)
class ApiOp:
    """One API sentence: a command word and its attribute/query words, as sent."""

    command: str
    words: tuple[str, ...] = ()

    def text(self) -> str:
        return " ".join((self.command, *self.words))


@dataclass
class ApiAnswer:
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # the device's refusal, as it worded it


class ConcentratorSession(Protocol):
    """What a concentrator's Nornir connection gives the tasks (its `.connection`)."""

    def cannot_carry(self, ops: Sequence[ApiOp]) -> str | None:
        """Why these operations cannot be sent as they are, or None."""
        ...

    def run(self, ops: Sequence[ApiOp]) -> list[ApiAnswer]:
        """Send every op and read every answer, in order; a refusal is an answer."""
        ...

    def close(self) -> None: ...


class ConcentratorDriver(ABC):
    """Base of every concentrator driver; subclasses set the class attributes below."""

    # The inventory's `data.vendor` (the entry point's name).
    vendor: ClassVar[str] = ""
    # The Nornir connection plugin the tasks open; its `.connection` is a ConcentratorSession.
    connection: ClassVar[str] = ""
    # Exceptions from that session that mean it was cut: the tasks reopen it and go on.
    session_lost: ClassVar[tuple[type[BaseException], ...]] = ()
    # Exceptions, raised while opening the session, that mean the device refused the login.
    login_refused: ClassVar[tuple[type[BaseException], ...]] = ()
    # What the configuration is and how it is read, for --dry-run.
    config_source: ClassVar[str] = ""
    # The configuration's layout lines (comments, headers): not configuration.
    config_structure: ClassVar[re.Pattern[str] | None] = None

    # -- reads ----------------------------------------------------------------------------
    @abstractmethod
    def secrets(self, logins: Sequence[str] = ()) -> ApiOp:
        """The PPP secrets (accounts) of these logins; of every login if none given."""

    @abstractmethod
    def sessions(self, logins: Sequence[str] = ()) -> ApiOp:
        """The active PPP sessions of these logins; all of them if none given."""

    @abstractmethod
    def sessions_brief(self, logins: Sequence[str] = ()) -> ApiOp:
        """Just enough of the sessions to see them come back: id, login, address."""

    @abstractmethod
    def pool(self, name: str) -> ApiOp:
        """One IP pool (its `ranges`)."""

    @abstractmethod
    def pools(self) -> ApiOp:
        """Every IP pool: `name`, `ranges`, `next-pool`."""

    @abstractmethod
    def pool_used(self, name: str) -> ApiOp:
        """The addresses of a pool in use, one row each (`address`)."""

    @abstractmethod
    def address_list(self, name: str) -> ApiOp:
        """The entries of a firewall address list: `.id`, `address`, `comment`, `dynamic`."""

    @abstractmethod
    def pppoe_servers(self) -> ApiOp:
        """The PPPoE servers: `interface`, `disabled`."""

    @abstractmethod
    def resource(self) -> ApiOp:
        """What the device is: the answer `identity` reads."""

    @abstractmethod
    def identity(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
        """Vendor, model, software and uptime from `resource`'s answer; None if the device
        is not this vendor's."""

    @abstractmethod
    def identity_mismatch(self) -> str:
        """How a device that is not this vendor's failed `resource`, for the probe's message."""

    # -- changes --------------------------------------------------------------------------
    @abstractmethod
    def pool_add(self, name: str, ranges: str, next_pool: str | None = None) -> ApiOp: ...

    @abstractmethod
    def pool_set(self, name: str, ranges: str, next_pool: str | None = None) -> ApiOp: ...

    @abstractmethod
    def set_profile(self, login: str, profile: str) -> ApiOp: ...

    @abstractmethod
    def list_add(self, name: str, address: str, comment: str) -> ApiOp: ...

    @abstractmethod
    def list_remove(self, entry_id: str) -> ApiOp: ...

    @abstractmethod
    def session_drop(self, session_id: str) -> ApiOp: ...

    @abstractmethod
    def preview(self, operation: str, **placeholders: str) -> str:
        """A change operation (`set_profile`, `list_add`, `list_remove`, `session_drop`) as
        --dry-run shows it, with `<...>` where only the device knows the value."""

    # -- answers --------------------------------------------------------------------------
    @abstractmethod
    def added_id(self, op: ApiOp, rows: Sequence[dict[str, Any]]) -> str | None:
        """The id the device gave the item an adding op created, if it was one."""

    @abstractmethod
    def already_gone(self, op: ApiOp, error: str) -> bool:
        """Does this refusal only say that what the op removes is gone already?"""

    # -- the device itself ----------------------------------------------------------------
    @abstractmethod
    def default_port(self, extras: Mapping[str, Any]) -> int:
        """The port `connection` uses when the inventory gives none (its extras may say TLS)."""

    @abstractmethod
    def facts(self, task: Task) -> dict[str, Any]:
        """NAPALM-shaped `facts`, `interfaces`, `arp` and `users` of the task's host."""

    @abstractmethod
    def would_read(self, host: Host, what: str) -> dict[str, Any]:
        """What `facts` or `config` would read and where, for --dry-run: `would`, `address`,
        `tls`. Connects to nothing."""

    @abstractmethod
    def config(self, task: Task, *, sanitized: bool = True) -> str:
        """The running configuration; sanitized, with every secret left out or masked."""

    @abstractmethod
    def mask_config(self, text: str) -> str:
        """A configuration with every secret value masked."""

    @abstractmethod
    def session_interface(self, name: str) -> bool:
        """Is this interface a subscriber session's own (counted, not listed)?"""
