"""Secret values are masked wherever they sit in a result, whatever characters they hold."""

from __future__ import annotations

import base64

import pytest

from ispflow.engine.secrets import MASK, Secrets


@pytest.mark.parametrize("secret", ["s3cret-pw", "pa'ss\"w\\rd", "tab\tpw", "123456"])
def test_secret_is_masked_deep_in_a_result(secret: str) -> None:
    result = [
        {"onu_id": 1, "rx_dbm": -20.5, "note": "clean"},
        {"onu_id": 2, "nested": {"lines": ["display x", f"login {secret} ok"]}},
    ]
    scrubbed = Secrets([secret]).scrub(result)
    assert secret not in repr(scrubbed) and secret not in str(scrubbed)
    assert scrubbed[1]["nested"]["lines"][1] == f"login {MASK} ok"
    assert scrubbed[0] == {"onu_id": 1, "rx_dbm": -20.5, "note": "clean"}


def test_a_number_equal_to_the_secret_is_masked() -> None:
    assert Secrets([4242]).scrub({"pin": 4242, "other": 7}) == {"pin": MASK, "other": 7}


def test_a_result_without_secrets_comes_back_as_it_is() -> None:
    result = [{"onu_id": i, "rx_dbm": -20.0 - i} for i in range(100)]
    assert Secrets(["hunter2"]).scrub(result) is result


def test_the_forms_a_template_turns_a_secret_into_are_masked_too() -> None:
    secret = "Senha-da-Olt9"
    secrets = Secrets([secret])
    result = {
        "upper": f"key {secret.upper()}",
        "lower": secret.lower(),
        "reversed": f"[{secret[::-1]}]",
        "base64": base64.b64encode(secret.encode()).decode(),
        "hex": secret.encode().hex().upper(),
        "fail_msg": f"login {secret.title()} refused",
    }
    scrubbed = secrets.scrub(result)
    assert scrubbed == {
        "upper": "key ********",
        "lower": "********",
        "reversed": "[********]",
        "base64": "********==",  # 13 bytes: base64 pads with two "="
        "hex": "********",
        "fail_msg": "login ******** refused",
    }
    assert "Olt9" not in repr(scrubbed).replace("********", "")


def test_a_short_secret_is_masked_only_as_given() -> None:
    # "abc" reversed is "cba": masking every "cba" in device output would hide real text.
    assert Secrets(["abc"]).scrub(["ABC cba"]) == ["******** cba"]


@pytest.mark.parametrize(
    "shown",
    [
        "PASSW0RD-LAB",  # upper case
        "pa\u017f\u017fw0rd-lab",  # long s, which a case-insensitive match takes for s
        "\u212aey passw0rd-lab",  # a Kelvin sign before it
        "São João passw0rd-lab inadimplência",  # Portuguese text around it
    ],
)
def test_case_and_unicode_forms_are_masked_among_many_records(shown: str) -> None:
    result = [{"onu_id": i, "rx_dbm": -20.5, "serial": f"HWTC{i:08X}"} for i in range(500)]
    result.append({"onu_id": 500, "description": shown})
    scrubbed = Secrets(["passw0rd-lab"]).scrub(result)
    assert MASK in scrubbed[-1]["description"]
    assert scrubbed[:500] == result[:500]


def test_a_result_that_cannot_be_pickled_is_still_scrubbed() -> None:
    import threading

    lock = threading.Lock()
    scrubbed = Secrets(["passw0rd-lab"]).scrub({"lock": lock, "text": "x passw0rd-lab"})
    assert scrubbed == {"lock": lock, "text": f"x {MASK}"}
