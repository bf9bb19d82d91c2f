"""CPF and CNPJ: parsed with or without punctuation, check digits verified.

A CPF is 11 digits. A CNPJ is 14 characters: since July 2026 the first 12 may be letters
(A-Z) as well as digits, the last 2 are always digits. Both check digits use the modulo-11
rule; a character counts as its code point minus 48, so digits keep their value and letters
count 17 (A) to 42 (Z).
"""

from __future__ import annotations

import re

CPF_LENGTH = 11
CNPJ_LENGTH = 14

_CPF_WEIGHTS = ((10, 9, 8, 7, 6, 5, 4, 3, 2), (11, 10, 9, 8, 7, 6, 5, 4, 3, 2))
_CNPJ_WEIGHTS = (
    (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2),
    (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2),
)
_PUNCTUATION = re.compile(r"[\s./-]")
_CNPJ_SHAPE = re.compile(r"[0-9A-Z]{12}[0-9]{2}")
# Typed the way the documents are printed: a dash before the two check digits, dots and the
# CNPJ's slash optional. Phone numbers never end in a dash and two digits.
_FORMATTED_CPF = re.compile(r"\d{3}\.?\d{3}\.?\d{3}-\d{2}")
_FORMATTED_CNPJ = re.compile(
    r"[0-9A-Z]{2}\.?[0-9A-Z]{3}\.?[0-9A-Z]{3}/?[0-9A-Z]{4}-\d{2}"
    r"|[0-9A-Z]{2}\.?[0-9A-Z]{3}\.?[0-9A-Z]{3}/[0-9A-Z]{4}-?\d{2}",
    re.IGNORECASE,
)


class DocumentError(ValueError):
    """Not a valid CPF or CNPJ; the message says what is wrong with it."""


def _check_digits(base: str, weights: tuple[tuple[int, ...], ...]) -> str:
    values = [ord(c) - 48 for c in base]
    for weight in weights:
        total = sum(v * w for v, w in zip(values, weight, strict=False))
        remainder = total % 11
        values.append(0 if remainder < 2 else 11 - remainder)
    return "".join(str(v) for v in values[-2:])


def cpf_check_digits(base: str) -> str:
    """The two check digits of a CPF's first 9 digits."""
    return _check_digits(base, _CPF_WEIGHTS)


def cnpj_check_digits(base: str) -> str:
    """The two check digits of a CNPJ's first 12 characters (digits or A-Z)."""
    return _check_digits(base.upper(), _CNPJ_WEIGHTS)


def format_document(doc: str) -> str:
    """A canonical CPF/CNPJ as printed: 123.456.789-09, 12.345.678/0001-95 (else unchanged)."""
    if len(doc) == CPF_LENGTH:
        return f"{doc[:3]}.{doc[3:6]}.{doc[6:9]}-{doc[9:]}"
    if len(doc) == CNPJ_LENGTH:
        return f"{doc[:2]}.{doc[2:5]}.{doc[5:8]}/{doc[8:12]}-{doc[12:]}"
    return doc


def looks_like_document(text: str) -> bool:
    """Whether `text` is punctuated like a CPF or CNPJ (123.456.789-09, 12.345.678/0001-95)."""
    text = text.strip()
    return bool(_FORMATTED_CPF.fullmatch(text) or _FORMATTED_CNPJ.fullmatch(text))


def parse_document(text: str) -> tuple[str, str]:
    """The canonical document (11 or 14 characters, uppercase, no punctuation) and its type,
    "cpf" or "cnpj"; DocumentError saying what is wrong otherwise."""
    shown = text.strip()
    compact = _PUNCTUATION.sub("", shown).upper()
    if not compact:
        raise DocumentError("empty CPF/CNPJ")
    stray = sorted({c for c in compact if not c.isascii() or not c.isalnum()})
    if stray:
        listed = " ".join(repr(c) for c in stray)
        raise DocumentError(f"CPF/CNPJ {shown!r}: unexpected character(s) {listed}")
    if len(compact) == CPF_LENGTH and compact.isdigit():
        kind, expected = "cpf", cpf_check_digits(compact[:9])
    elif len(compact) == CNPJ_LENGTH:
        if not _CNPJ_SHAPE.fullmatch(compact):
            raise DocumentError(
                f"CNPJ {shown!r}: the last two characters (check digits) must be digits"
            )
        kind, expected = "cnpj", cnpj_check_digits(compact[:12])
    elif len(compact) == CPF_LENGTH:
        raise DocumentError(f"CPF {shown!r}: a CPF has digits only")
    else:
        raise DocumentError(
            f"CPF/CNPJ {shown!r}: {len(compact)} characters; a CPF has {CPF_LENGTH} digits, "
            f"a CNPJ {CNPJ_LENGTH} characters"
        )
    label = kind.upper()
    if len(set(compact)) == 1:
        raise DocumentError(f"{label} {format_document(compact)}: all digits the same")
    if compact[-2:] != expected:
        raise DocumentError(
            f"{label} {format_document(compact)}: check digits do not match (expected -{expected})"
        )
    return compact, kind


def is_valid_document(text: str) -> bool:
    try:
        parse_document(text)
    except DocumentError:
        return False
    return True
