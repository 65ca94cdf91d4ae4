"""Target parsing, port allow-list and the SSRF address guard: pure functions, plain asserts."""

from __future__ import annotations

import ipaddress

import pytest

from bot.errors import InputError, TargetNotAllowed
from bot.probe.targets import address_refusal, check_addresses, check_port, parse_target


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("smtp.gmail.com", "smtp.gmail.com", None),
        ("SMTP.Gmail.COM.:587", "smtp.gmail.com", 587),
        ("smtp://smtp.office365.com:587", "smtp.office365.com", 587),
        ("smtps://smtp.gmail.com", "smtp.gmail.com", 465),
        ("smtp://smtp.gmail.com", "smtp.gmail.com", None),
        ("[2001:4860:4860::8888]:25", "2001:4860:4860::8888", 25),
        ("2001:4860:4860::8888", "2001:4860:4860::8888", None),
        ("8.8.8.8:2525", "8.8.8.8", 2525),
        ("mail.bücher.example", "mail.xn--bcher-kva.example", None),
    ],
)
def test_targets_are_read(text: str, host: str, port: int | None) -> None:
    t = parse_target(text)
    assert (t.host, t.port) == (host, port)


def test_idn_is_shown_in_unicode() -> None:
    assert parse_target("mail.bücher.example:587").display == "mail.bücher.example:587"


@pytest.mark.parametrize(
    "text",
    [
        "smtp://user:hunter2@smtp.example.com:587",
        "smtps://apikey:SG.abc/def?x#y@smtp.sendgrid.net",
        "smtp://user:p@ss:word@smtp.example.com",
    ],
)
def test_url_credentials_are_dropped_and_redacted(text: str) -> None:
    t = parse_target(text)
    assert t.had_credentials
    assert "***@" in t.display
    for secret in ("hunter2", "SG.abc", "p@ss", "word@"):
        assert secret not in t.display


@pytest.mark.parametrize(
    "text",
    [
        "smtp://user:hunter2@smtp.example.com:abc",
        "smtp://user:hunter2@smtp.example.com:70000",
        "smtp://user:hunter2@exa mple.com",
    ],
)
def test_credentials_never_appear_in_errors(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_target(text)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("smtp.gmail.com:abc", "not a number"),
        ("smtp.gmail.com:0", "out of range"),
        ("smtp.gmail.com:70000", "out of range"),
        ("a" * 300 + ".com", "at most 253"),
        ("", "no target"),
        ("user@gmail.com", "e-mail address"),
        ("127.1", "neither"),
        ("2130706433", "neither"),
        ("0x7f.1", "neither"),
        ("http://smtp.gmail.com", "only smtp://"),
        ("exa_mple.com", "not a valid host name"),
        ("smtp.gmail.com\r\nRCPT", "control characters"),
        ("[::1", "unclosed"),
    ],
)
def test_bad_input_is_one_clear_error(text: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_target(text)


@pytest.mark.parametrize(
    "text", ["localhost", "metadata.google.internal", "printer.local", "intranet", "x.localhost"]
)
def test_internal_names_are_refused(text: str) -> None:
    with pytest.raises(TargetNotAllowed):
        parse_target(text)


def test_port_allow_list_is_strict() -> None:
    for port in (25, 465, 587, 2525):
        assert check_port(port) == port
    for port in (22, 80, 6379, 2526):
        with pytest.raises(TargetNotAllowed, match="not an SMTP submission port"):
            check_port(port)


BLOCKED = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.100.100.200",
    "169.254.169.254",
    "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
    "224.0.0.1",
    "255.255.255.255",
    "192.0.0.192",
    "192.88.99.1",
    "198.18.0.1",
    "203.0.113.5",
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "2002:a9fe:a9fe::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "fd00:ec2::254",
    "fec0::1",
    "fe80::1",
    "ff02::1",
    "3fff::1",
    "100::1",
    "2001:db8::1",
]


@pytest.mark.parametrize("address", BLOCKED)
def test_special_addresses_are_refused(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2607:f8b0:4004:c1b::1a", "2a00:1450:400c:c0a::1b"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_allow_list_opens_only_its_own_family_and_range() -> None:
    nets = (ipaddress.ip_network("127.0.0.0/8"),)
    assert address_refusal(ipaddress.ip_address("127.0.0.1"), allow_networks=nets) is None
    assert address_refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allow_networks=nets) is not None
    assert address_refusal(ipaddress.ip_address("10.0.0.1"), allow_networks=nets) is not None


def test_one_private_address_refuses_the_whole_name_without_saying_which() -> None:
    ips = [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("10.0.3.7")]
    with pytest.raises(TargetNotAllowed) as info:
        check_addresses("mixed.example", ips)
    assert "10.0.3.7" not in str(info.value)


@pytest.mark.parametrize("text", ["127.0.0.1", "[::1]:587", "169.254.169.254", "::ffff:169.254.169.254"])
def test_ip_literals_parse_and_are_then_refused_by_the_guard(text: str) -> None:
    t = parse_target(text)
    assert t.ip is not None
    assert address_refusal(t.ip) is not None
