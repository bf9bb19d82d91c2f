"""Reading the device list from NetBox with pynetbox, fast, and saying clearly what went wrong.

Only the fields the inventory uses are asked for (`?fields=`), every filter is applied by
NetBox, and pynetbox's threaded pagination fetches the first page (which gives the count)
and then every other page at once. Errors become UsageError with NetBox's own message; the
token never appears in one (it travels in a header, never in a URL).
"""

from __future__ import annotations

import re
from typing import Any

import pynetbox
import requests
from requests.adapters import HTTPAdapter

from ispflow.core.errors import UsageError
from ispflow.plugins.inventory.netbox_settings import TOKEN_ENV, NetBoxSettings

FIELDS = (
    "id",
    "name",
    "role",
    "platform",
    "site",
    "tenant",
    "device_type",
    "primary_ip4",
    "primary_ip",
    "custom_fields",
)
_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")]+")


class _Session(requests.Session):
    """requests waits forever by default; a NetBox that stopped answering must not hang a run."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def open_api(settings: NetBoxSettings) -> pynetbox.api:
    api = pynetbox.api(
        settings.url,
        token=settings.token,
        threading=settings.workers > 1,
        max_workers=settings.workers,
    )
    session = _Session(settings.timeout)
    session.verify = settings.verify_tls
    # One pooled connection per page fetcher, so parallel pages do not queue for a socket.
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(settings.workers, 2))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    api.http_session = session
    return api


def device_query(settings: NetBoxSettings) -> dict[str, Any]:
    """Everything the device list request asks NetBox for, but the page size."""
    return {**settings.query(), "fields": ",".join(FIELDS)}


def fetch_devices(settings: NetBoxSettings) -> list[dict[str, Any]]:
    """The devices of the configured roles that pass the filters, as NetBox's JSON."""
    query = device_query(settings)
    api = open_api(settings)
    try:
        records = api.dcim.devices.filter(**query, limit=settings.page_size)
        # The raw JSON, not pynetbox Records: it is what gets cached, and turning thousands
        # of devices into Records only to read them back costs more than the fetch.
        return list(records.response)
    except Exception as exc:
        raise netbox_error(exc, settings, query) from None
    finally:
        api.http_session.close()


def netbox_error(exc: Exception, settings: NetBoxSettings, query: dict[str, Any]) -> Exception:
    """The exception to raise for a failed NetBox request: a UsageError when it is one."""
    where = f"NetBox at {settings.url}"
    if isinstance(exc, requests.exceptions.SSLError):
        return UsageError(
            f"{where}: the TLS check failed ({_reason(exc)}); give netbox.verify_tls a CA "
            "bundle, or set it to false for a test server"
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return UsageError(f"{where} did not answer within {settings.timeout:g} s")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return UsageError(f"cannot reach {where}: {_reason(exc)}")
    if isinstance(exc, pynetbox.ContentError):
        return UsageError(f"{where} did not answer with NetBox's API (not JSON); check the URL")
    if isinstance(exc, pynetbox.RequestError):
        return _request_error(exc, where, settings, query)
    return exc


def _request_error(
    exc: pynetbox.RequestError, where: str, settings: NetBoxSettings, query: dict[str, Any]
) -> Exception:
    status = exc.req.status_code
    body = _json(exc.req)
    detail = body.get("detail") if isinstance(body, dict) else None
    if status in (401, 403):
        if not settings.token:
            return UsageError(
                f"{where} needs an API token ({status}: {detail or exc.req.reason}); set "
                f"{TOKEN_ENV}, or netbox.token_env / netbox.token_file in {settings.where}"
            )
        return UsageError(
            f"{where} refused the API token ({status}: {detail or exc.req.reason}); check the "
            "token and that its user may read devices"
        )
    if status == 400 and isinstance(body, dict):
        rejected = [
            f"{key}={_shown(query[key])}: {' '.join(map(str, _listed(messages)))}"
            for key, messages in body.items()
            if key in query
        ]
        if rejected:
            return UsageError(
                f"{where} rejected the device filter {'; '.join(rejected)} "
                f"(netbox.filters / netbox.roles in {settings.where})"
            )
        return UsageError(f"{where} rejected the device list request: {body}")
    if status == 404:
        return UsageError(
            f"{where} has no device API at {settings.url}/api/dcim/devices/ (404); netbox.url "
            "is NetBox's base address"
        )
    if not detail and isinstance(body, dict):
        detail = body.get("error")  # NetBox's 500 page says what broke under "error"
    return UsageError(f"{where} answered {status} {exc.req.reason}: {detail or exc.req.text[:200]}")


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _shown(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _reason(exc: Exception) -> str:
    """The useful end of a requests/urllib3 error ("[Errno 111] Connection refused")."""
    text = str(exc)
    found = _ERRNO.search(text)
    if found:
        return found.group().strip()
    if "timed out" in text:
        return "timed out"
    return text.splitlines()[0][:200] if text else type(exc).__name__
