"""Command-line words with their columns, keyword abbreviations, and syntax errors.

Both CLIs point at the offending word with a caret under the echoed line, so every word
keeps the column it started at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ErrorKind = Literal["unknown", "parameter", "incomplete", "too-many"]


@dataclass(frozen=True)
class Token:
    text: str
    col: int
    quoted: bool = False


class CliSyntaxError(Exception):
    def __init__(self, kind: ErrorKind, col: int) -> None:
        super().__init__(f"{kind} at column {col}")
        self.kind = kind
        self.col = col


def tokenize(line: str) -> list[Token]:
    """Whitespace-separated words; a double-quoted string is one word (quotes removed)."""
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        start = i
        if line[i] == '"':
            end = line.find('"', i + 1)
            end = n if end < 0 else end
            tokens.append(Token(line[i + 1 : end], start, quoted=True))
            i = end + 1
            continue
        while i < n and not line[i].isspace():
            i += 1
        tokens.append(Token(line[start:i], start))
    return tokens


def abbreviates(text: str, word: str) -> bool:
    """Both CLIs accept any unambiguous prefix of a keyword; two letters at least."""
    text = text.lower()
    return text == word or (len(text) >= 2 and word.startswith(text))


class Words:
    """A cursor over one command's tokens."""

    def __init__(self, line: str, tokens: list[Token] | None = None) -> None:
        self.line = line
        self.tokens = tokenize(line) if tokens is None else tokens
        self.pos = 0

    @property
    def end_col(self) -> int:
        return len(self.line.rstrip())

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def next(self, kind: ErrorKind = "incomplete") -> Token:
        token = self.peek()
        if token is None:
            raise CliSyntaxError(kind, self.end_col)
        self.pos += 1
        return token

    def keyword(self, *words: str, kind: ErrorKind = "unknown") -> str:
        """The next token must abbreviate exactly one of `words`; returns that word."""
        token = self.next()
        matches = [word for word in words if abbreviates(token.text, word)]
        exact = [word for word in matches if word == token.text.lower()]
        if exact:
            return exact[0]
        if len(matches) != 1 or token.quoted:
            raise CliSyntaxError(kind, token.col)
        return matches[0]

    def maybe(self, *words: str) -> str | None:
        token = self.peek()
        if token is None or token.quoted:
            return None
        matches = [word for word in words if abbreviates(token.text, word)]
        exact = [word for word in matches if word == token.text.lower()]
        chosen = exact[0] if exact else matches[0] if len(matches) == 1 else None
        if chosen:
            self.pos += 1
        return chosen

    def integer(self, low: int, high: int) -> int:
        token = self.next()
        if not token.text.isdigit() or not low <= int(token.text) <= high:
            raise CliSyntaxError("parameter", token.col)
        return int(token.text)

    def text(self) -> str:
        return self.next().text

    def done(self) -> None:
        token = self.peek()
        if token is not None:
            raise CliSyntaxError("too-many", token.col)

    def fail(self, kind: ErrorKind = "parameter", back: int = 1) -> CliSyntaxError:
        """An error pointing at a token already consumed (`back` tokens ago)."""
        index = max(0, self.pos - back)
        col = self.tokens[index].col if index < len(self.tokens) else self.end_col
        return CliSyntaxError(kind, col)
