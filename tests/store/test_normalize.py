"""Canonical customer fields."""

from __future__ import annotations

from ispflow.store.normalize import digits, doc_type, search_key


def test_search_key_drops_case_accents_and_extra_spaces() -> None:
    assert search_key("  João  da CONCEIÇÃO Sá ") == "joao da conceicao sa"
    assert search_key("Müller & Filhos Ltda.") == "muller & filhos ltda."


def test_documents_are_digits_only() -> None:
    assert digits("123.456.789-09") == "12345678909"
    assert doc_type("123.456.789-09") == "cpf"
    assert doc_type("12.345.678/0001-95") == "cnpj"
    assert doc_type("123") is None
