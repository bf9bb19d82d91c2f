"""CPF and CNPJ check digits, numeric and alphanumeric."""

from __future__ import annotations

import random

import pytest

from ispflow.lab.seed_store import cnpj, cpf
from ispflow.store.documents import (
    DocumentError,
    cnpj_check_digits,
    format_document,
    is_valid_document,
    looks_like_document,
    parse_document,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123.456.789-09", ("12345678909", "cpf")),
        ("12345678909", ("12345678909", "cpf")),
        (" 529.982.247-25 ", ("52998224725", "cpf")),
        ("12.345.678/0001-95", ("12345678000195", "cnpj")),
        ("12345678000195", ("12345678000195", "cnpj")),
        # Alphanumeric CNPJ (issued from July 2026): the Receita Federal's own example.
        ("12.ABC.345/01DE-35", ("12ABC34501DE35", "cnpj")),
        ("12abc34501de35", ("12ABC34501DE35", "cnpj")),
    ],
)
def test_valid_documents_in_any_punctuation(text: str, expected: tuple[str, str]) -> None:
    assert parse_document(text) == expected
    assert is_valid_document(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("123.456.789-00", "CPF 123.456.789-00: check digits do not match (expected -09)"),
        ("12.345.678/0001-00", "CNPJ 12.345.678/0001-00: check digits do not match (expected -95)"),
        ("12.ABC.345/01DE-53", "CNPJ 12.ABC.345/01DE-53: check digits do not match (expected -35)"),
        ("111.111.111-11", "CPF 111.111.111-11: all digits the same"),
        ("00.000.000/0000-00", "CNPJ 00.000.000/0000-00: all digits the same"),
        ("1234567890", "10 characters; a CPF has 11 digits, a CNPJ 14 characters"),
        ("123456789012", "12 characters"),
        ("12.ABC.345/01DE-3A", "the last two characters (check digits) must be digits"),
        ("1234567890A", "a CPF has digits only"),
        ("123,456,789-09", "unexpected character(s) ','"),
        ("", "empty CPF/CNPJ"),
    ],
)
def test_invalid_documents_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(text)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert not is_valid_document(text)


def test_the_lab_generators_agree_with_the_checker() -> None:
    rng = random.Random(3)
    for _ in range(500):
        assert parse_document(cpf(rng))[1] == "cpf"
        assert parse_document(cnpj(rng))[1] == "cnpj"


def test_letters_count_as_code_point_minus_48() -> None:
    # A = 17 ... Z = 42: a base of letters only still has numeric check digits.
    digits = cnpj_check_digits("ABCDEFGHIJKL")
    assert digits.isdigit() and len(digits) == 2
    assert parse_document("ABCDEFGHIJKL" + digits) == ("ABCDEFGHIJKL" + digits, "cnpj")


def test_formatting_and_document_shapes() -> None:
    assert format_document("12345678909") == "123.456.789-09"
    assert format_document("12ABC34501DE35") == "12.ABC.345/01DE-35"
    for text in ("123.456.789-09", "123456789-09", "12.345.678/0001-95", "12.abc.345/01de-35"):
        assert looks_like_document(text), text
    for text in ("12345678909", "(51) 99123-4567", "99123-4567", "joao", "CLI-00001"):
        assert not looks_like_document(text), text
