"""The `routeros_api` Nornir connection: a RouterOS API session (librouteros), pipelined.

One session per concentrator serves every task of a run (Nornir keeps it open). Commands
are sent in batches without waiting for each answer: RouterOS answers sentences in the order
they came, so a batch of a thousand `set`s costs one round trip instead of a thousand.
librouteros connects and logs in; the sentences are encoded here and the replies of a batch
read here, from one buffer, because librouteros reads every word with its own system call.

Inventory: `port` (default 8729, RouterOS `api-ssl`; 8728 with `tls: false`) and, under
`connection_options.routeros_api.extras`: `tls` (default true), `tls_verify` (default true),
`ca_file` (a CA bundle for a self-signed router certificate), `timeout` (seconds, default 10),
`encoding` (default cp1252).

TLS is the default because the API login carries the password itself (`=password=` in the
login sentence): on the plain API port anyone on the management network can read it. A
router that only serves plain `api` is reached with `tls: false`, and every run that logs in
so says so once (plugins/connections/clear_text.py).

RouterOS keeps a name or comment as the bytes it was given and says nothing of their encoding;
what it shows is what Winbox, a Windows program, wrote in the Windows code page of the PC it
ran on: Windows-1252 on a Portuguese or Spanish Windows (Windows-1250 in Central Europe). So
`Conceição` or `inadimplência` travel as Windows-1252 by default, and a text that code page
cannot carry is refused before anything is sent.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import librouteros
from librouteros.connections import SocketTransport
from librouteros.exceptions import ConnectionClosed, FatalError, ProtocolError, TrapError
from librouteros.protocol import encode_length
from nornir.core.configuration import Config

from ispflow.plugins.concentrator.contract import ApiAnswer, ApiOp
from ispflow.plugins.connections.connect_errors import (
    ConnectFailed,
    explain,
    login_refused,
    missing_credentials,
)

CONNECTION_NAME = "routeros_api"
PLAIN_PORT, TLS_PORT = 8728, 8729
DEFAULT_TIMEOUT_S = 10.0
BATCH = 500  # sentences in flight at once; keeps both sides' buffers small
DEFAULT_ENCODING = "cp1252"
RECEIVE_BYTES = 1 << 16


class _PasswordHidden(logging.Filter):
    """librouteros logs each word it sends at debug level, the login's `=password=` too:
    an application that turns debug logging on would write the password to its log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "=password=" in record.msg:
            record.msg = record.msg.split("=password=", 1)[0] + "=password=********'"
            record.args = ()
        return True


logging.getLogger("librouteros").addFilter(_PasswordHidden())


class TextNotCarried(ValueError):
    """A word the concentrator's encoding cannot carry; nothing of its sentence was sent."""


class BufferedTransport(SocketTransport):
    """librouteros's transport reads each length byte and word with its own recv() and sends
    each sentence with its own send(); with thousands of sentences per batch that is most of
    the time (and of the interpreter lock). Reads come from a buffer filled 64 KiB at a time;
    writes wait in a buffer until the next read, or `flush`."""

    def __init__(self, sock: socket.socket, encoding: str = DEFAULT_ENCODING) -> None:
        super().__init__(sock)
        self._in = bytearray()
        self._out = bytearray()
        self.encoding = encoding

    def write(self, data: bytes) -> None:
        self._out += data

    def flush(self) -> None:
        if self._out:
            self.sock.sendall(self._out)
            self._out.clear()

    def read(self, length: int) -> bytes:
        self.flush()
        while len(self._in) < length:
            self._receive()
        data = bytes(self._in[:length])
        del self._in[:length]
        return data

    def _receive(self) -> None:
        got = self.sock.recv(RECEIVE_BYTES)
        if not got:
            raise ConnectionClosed("Connection unexpectedly closed.")
        self._in += got

    def sentences(self) -> list[list[str]]:
        """Every whole sentence now buffered (waiting for at least one), as lists of words.

        librouteros parses word by word through several calls each; a batch of thousands of
        replies is parsed here in one loop over the buffer."""
        self.flush()
        while True:
            found, used = _split_sentences(self._in, self.encoding)
            if found:
                del self._in[:used]
                return found
            self._receive()


class ApiSession:
    def __init__(self, api: librouteros.api.Api, encoding: str = DEFAULT_ENCODING) -> None:
        self.api = api
        self.encoding = encoding
        # After login (which librouteros does on its own transport): the buffered one.
        api.protocol.transport = BufferedTransport(api.protocol.transport.sock, encoding)

    def cannot_carry(self, ops: Sequence[ApiOp]) -> str | None:
        """Why these sentences cannot be sent as they are (a character the concentrator's
        encoding has no byte for), or None."""
        for op in ops:
            for word in (op.command, *op.words):
                if word.isascii():
                    continue  # every encoding a session accepts writes ASCII as ASCII
                try:
                    word.encode(self.encoding)
                except UnicodeEncodeError as exc:
                    bad = word[exc.start : exc.end]
                    return (
                        f"{word!r} has {bad!r}, which the concentrator's text encoding "
                        f"({self.encoding}) cannot carry; set the host's routeros_api extras "
                        "`encoding`, or leave that character out"
                    )
        return None

    def run(self, ops: Sequence[ApiOp]) -> list[ApiAnswer]:
        """Send every op (in batches) and read every answer, in order; a trap is an answer.
        A word the encoding cannot carry is refused before anything is sent."""
        sentences = []
        for op in ops:
            try:
                sentences.append(_sentence(op, self.encoding))
            except UnicodeEncodeError:
                raise TextNotCarried(self.cannot_carry([op])) from None
        transport: BufferedTransport = self.api.protocol.transport
        answers: list[ApiAnswer] = []
        for start in range(0, len(sentences), BATCH):
            batch = sentences[start : start + BATCH]
            for sentence in batch:
                transport.write(sentence)
            answers += self._answers(len(batch))
        return answers

    def _answers(self, count: int) -> list[ApiAnswer]:
        transport: BufferedTransport = self.api.protocol.transport
        answers: list[ApiAnswer] = []
        current = ApiAnswer()
        while len(answers) < count:
            for words in transport.sentences():
                reply = words[0]
                if reply == "!re":
                    current.rows.append(_attributes(words))
                elif reply == "!done":
                    if len(words) > 1:
                        current.rows.append(_attributes(words))
                    answers.append(current)
                    current = ApiAnswer()
                elif reply == "!trap":
                    if current.error is None:
                        current.error = str(_attributes(words).get("message", ""))
                elif reply == "!fatal":
                    transport.close()
                    raise FatalError(words[1] if len(words) > 1 else "")
        return answers

    def close(self) -> None:
        self.api.close()


def _sentence(op: ApiOp, encoding: str) -> bytes:
    """One sentence on the wire. librouteros's own writer also logs every word (the
    login's password among them) at debug level, building the text even when nothing
    logs it."""
    out = bytearray()
    for word in (op.command, *op.words):
        data = word.encode("ascii") if word.isascii() else word.encode(encoding)
        out += encode_length(len(data))
        out += data
    out.append(0)
    return bytes(out)


def _split_sentences(
    buffer: bytearray, encoding: str = DEFAULT_ENCODING
) -> tuple[list[list[str]], int]:
    """Whole sentences at the start of `buffer`, and how many bytes they took.

    The buffer is decoded once as Latin-1, one character per byte, so a word is a slice of
    that text at its byte offsets; only a word with a byte past ASCII is decoded again in the
    concentrator's encoding. Decoding each word through its codec was most of a bulk read's
    parsing time (Windows-1252 has no fast path in CPython)."""
    found: list[list[str]] = []
    text = buffer.decode("latin-1")
    size = len(buffer)
    pos = done = 0
    words: list[str] = []
    while pos < size:
        first = buffer[pos]
        if first < 0x80:
            length, pos = first, pos + 1
        elif first < 0xC0:
            length, pos = int.from_bytes(buffer[pos : pos + 2], "big") & 0x3FFF, pos + 2
        elif first < 0xE0:
            length, pos = int.from_bytes(buffer[pos : pos + 3], "big") & 0x1FFFFF, pos + 3
        elif first < 0xF0:
            length, pos = int.from_bytes(buffer[pos : pos + 4], "big") & 0xFFFFFFF, pos + 4
        else:
            raise ProtocolError(f"control byte {first:#x} where a word length was expected")
        end = pos + length
        if end > size:
            break  # the rest of this sentence has not arrived yet
        if length == 0:
            if words:
                found.append(words)
            words = []
            done = pos
            continue
        word = text[pos:end]
        if not word.isascii():
            word = word.encode("latin-1").decode(encoding, "replace")
        words.append(word)
        pos = end
    return found, done


_BOOLEANS = {"yes": True, "true": True, "no": False, "false": False}
_NOT_BOOLEAN = object()


def _attributes(words: list[str]) -> dict[str, Any]:
    """`=name=value` words as librouteros types them: ints, yes/true/no/false as bools."""
    found: dict[str, Any] = {}
    for word in words[1:]:
        if word[:1] == "=":
            name, _, value = word[1:].partition("=")
            found[name] = _typed(value)
    return found


def _typed(value: str) -> Any:
    """A number only where it reads back the same (`007`, `-0` and `1_000` stay text)."""
    known = _BOOLEANS.get(value, _NOT_BOOLEAN)
    if known is not _NOT_BOOLEAN:
        return known
    if value.isdigit():
        if value.isascii() and (value[0] != "0" or len(value) == 1):
            return int(value)
        return value
    if value[:1] == "-" and value[1:].isdigit() and value.isascii() and value[1] != "0":
        return int(value)
    return value


_ASCII = bytes(range(0x80))


def check_encoding(encoding: str) -> None:
    """ValueError unless `encoding` is a known code page that writes ASCII as ASCII, as
    RouterOS's command and attribute names are (UTF-16 or EBCDIC would garble them)."""
    text = _ASCII.decode("ascii")
    try:
        ascii_compatible = _ASCII.decode(encoding) == text and text.encode(encoding) == _ASCII
    except LookupError:
        raise ValueError(f"{CONNECTION_NAME} extras: unknown encoding {encoding!r}") from None
    except UnicodeError:
        ascii_compatible = False
    if not ascii_compatible:
        raise ValueError(
            f"{CONNECTION_NAME} extras: encoding {encoding!r} does not write ASCII as ASCII, "
            "as RouterOS's API words are; use the Windows code page the router's names were "
            "written in (cp1252, cp1250, ...) or utf-8"
        )


def uses_tls(extras: Mapping[str, Any] | None) -> bool:
    """Does the session run over TLS? Yes unless the host's extras say `tls: false`.

    Only a YAML boolean counts: `tls: "no"` (a string) would otherwise read as true, or a
    typo as false, and the password's safety should not hang on either."""
    value = (extras or {}).get("tls", True)
    if not isinstance(value, bool):
        raise ValueError(
            f"{CONNECTION_NAME} extras: tls is true or false (a YAML boolean), not {value!r}"
        )
    return value


def default_port(extras: Mapping[str, Any] | None) -> int:
    """The API port when the inventory gives none: api-ssl's with TLS, plain api's without."""
    return TLS_PORT if uses_tls(extras) else PLAIN_PORT


def tls_wrapper(
    hostname: str | None, extras: Mapping[str, Any] | None
) -> Callable[[socket.socket], ssl.SSLSocket] | None:
    """What wraps the API socket in TLS (librouteros's and napalm-ros's `ssl_wrapper`), or
    None when the host says `tls: false`. The router's certificate is verified, against
    `ca_file` if given, unless `tls_verify: false`."""
    extras = extras or {}
    if not uses_tls(extras):
        return None
    ca_file = extras.get("ca_file")
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except ssl.SSLError as exc:
        raise ValueError(
            f"{CONNECTION_NAME} extras: ca_file {ca_file} holds no usable certificate "
            f"({exc.reason or exc})"
        ) from None
    except OSError as exc:
        raise ValueError(
            f"{CONNECTION_NAME} extras: ca_file {ca_file}: {exc.strerror or exc}"
        ) from None
    if not extras.get("tls_verify", True):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE

    def wrap(sock: socket.socket) -> ssl.SSLSocket:
        try:
            return context.wrap_socket(sock, server_hostname=hostname)
        except TimeoutError as exc:
            raise HandshakeUnanswered(sock.gettimeout()) from exc

    return wrap


class HandshakeUnanswered(TimeoutError):
    """The TCP connection was made but the TLS handshake got no answer: what a port that
    serves only the plain API does (it waits for a login sentence)."""

    def __init__(self, seconds: float | None) -> None:
        super().__init__(f"no answer to the TLS handshake in {seconds or 0:g} s")
        self.seconds = seconds


def tls_failure(exc: BaseException) -> str | None:
    """Why the TLS handshake failed, as the operator can act on it; None if it was no TLS
    error. A router that serves only the plain API answers a handshake with nothing useful,
    so that is the first thing to check."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"the router's TLS certificate is not trusted ({exc.verify_message}); name the CA "
            f"that signed it as `ca_file` in the host's {CONNECTION_NAME} extras"
        )
    if isinstance(exc, ssl.SSLError | HandshakeUnanswered):
        reason = exc.reason if isinstance(exc, ssl.SSLError) else str(exc)
        return (
            f"TLS handshake failed ({reason or exc}); is the router's api-ssl service on at "
            "that port (`/ip service print`)? The plain api port (8728) does not answer it"
        )
    return None


class RouterOsApi:
    """Nornir connection plugin (entry point name `routeros_api`)."""

    # Said once per run for the hosts reached without TLS (plugins/connections/clear_text.py).
    clear_text_notice = (
        "login without TLS (`tls: false`): the password travels in clear text, readable by "
        "anyone on the management network; turn on the device's TLS service and drop "
        "`tls: false` (docs/ppp.md, Connection)"
    )

    @staticmethod
    def sends_password_in_clear(extras: Mapping[str, Any]) -> bool:
        """Would a login with these extras send the password unencrypted (`tls: false`)?"""
        return not uses_tls(extras)

    def open(
        self,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str | None,
        extras: dict[str, Any] | None = None,
        configuration: Config | None = None,
    ) -> None:
        extras = dict(extras or {})
        encoding = str(extras.get("encoding") or DEFAULT_ENCODING)
        check_encoding(encoding)
        wrapper = tls_wrapper(hostname, extras)
        api_port = int(port or default_port(extras))
        timeout = float(extras.get("timeout", DEFAULT_TIMEOUT_S))
        unusable = missing_credentials(
            hostname, api_port, username, password, password_required=False
        )
        if unusable is not None:
            raise unusable
        try:
            api = librouteros.connect(
                str(hostname),
                str(username or ""),
                str(password or ""),
                port=api_port,
                timeout=timeout,
                ssl_wrapper=wrapper,
                encoding=encoding,
            )
        except TrapError as exc:  # the one trap a login can get: wrong user or password
            raise login_refused(hostname, api_port, username, str(exc)) from exc
        except OSError as exc:
            problem = tls_failure(exc)
            if problem is not None:
                raise ConnectFailed(f"{hostname}:{api_port}: {problem}") from exc
            raise explain(exc, hostname, api_port, username, timeout) or exc from exc
        self.connection = ApiSession(api, encoding)

    def close(self) -> None:
        self.connection.close()
