"""Canonical forms of customer fields, so lookups match however the value was typed."""

from __future__ import annotations

import re
import unicodedata


def search_key(name: str) -> str:
    """`customers.name_search`: lowercase, accents removed, spaces collapsed ("João  Sá" → "joao sa")."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def digits(value: str) -> str:
    """Only the digits: CPF/CNPJ and CEP are typed with dots, dashes and slashes."""
    return re.sub(r"\D", "", value)


def doc_type(doc: str) -> str | None:
    """'cpf' for 11 digits, 'cnpj' for 14, None otherwise."""
    return {11: "cpf", 14: "cnpj"}.get(len(digits(doc)))


def phone_key(phones: list[str] | tuple[str, ...] | None) -> str | None:
    """`customers.phone_search`: each phone's digits, space-separated; None without phones."""
    return " ".join(d for d in (digits(str(p)) for p in phones or ()) if d) or None
