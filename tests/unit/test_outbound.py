"""The outbound policy's address rules (no network: literal addresses only)."""

from __future__ import annotations

import ipaddress

import pytest

from warroom.platform.outbound import DestinationRefused, Policy, literal_ip, refusal

REFUSED = {"127.0.0.1": "loopback", "127.255.0.9": "loopback", "::1": "loopback", "169.254.169.254": "cloud metadata",
           "fd00:ec2::254": "cloud metadata", "169.254.1.1": "link-local", "fe80::1": "link-local",
           "10.0.0.1": "private", "172.16.5.4": "private", "192.168.0.1": "private", "fc00::1": "unique-local",
           "fd12:3456::1": "unique-local", "0.0.0.0": "unspecified", "::": "unspecified", "224.0.0.1": "multicast",
           "ff02::1": "multicast", "100.64.0.1": "non-public", "::ffff:127.0.0.1": "loopback",
           "::ffff:10.0.0.1": "private", "2002:7f00:1::": "loopback", "64:ff9b::a9fe:a9fe": "cloud metadata",
           # IPv4 inside IPv6 in the other ways a stack or a translator may still honour: IPv4-compatible,
           # local-use NAT64 (RFC 8215), SIIT IPv4-translated; and deprecated site-local
           "::7f00:1": "loopback", "::a9fe:a9fe": "cloud metadata", "64:ff9b:1::7f00:1": "loopback",
           "::ffff:0:7f00:1": "loopback", "fec0::1": "site-local"}


@pytest.mark.parametrize(("ip", "why"), REFUSED.items())
def test_internal_addresses_are_refused(ip, why):
    assert refusal(ipaddress.ip_address(ip)) == why


@pytest.mark.parametrize("ip", ["93.184.216.34", "1.1.1.1", "2606:4700::1111", "52.95.110.1"])
def test_public_addresses_pass(ip):
    assert refusal(ipaddress.ip_address(ip)) is None


def test_literal_forms_a_resolver_accepts():
    assert literal_ip("127.1") == ipaddress.ip_address("127.0.0.1")
    assert literal_ip("0x7f000001") == ipaddress.ip_address("127.0.0.1")
    assert literal_ip("2130706433") == ipaddress.ip_address("127.0.0.1")
    assert literal_ip("[::1]") == ipaddress.ip_address("::1")
    assert literal_ip("hooks.slack.com") is None and literal_ip("deadbeef.example") is None


def test_allow_list_entries():
    p = Policy.parse("10.0.0.0/8, 127.0.0.1:8025, hooks.internal, [::1]:9000, 169.254.0.0/16", "slack")
    assert p.check_host("10.2.3.4", 443) is None
    assert p.check_host("127.0.0.1", 8025) is None and p.check_host("127.0.0.1", 8026)
    assert p.check_host("::1", 9000) is None and p.check_host("::1", 9001)
    assert p.check_host("HOOKS.internal.", 443) is None
    assert "cloud metadata" in p.check_host("169.254.169.254", 80)  # a wide range never covers metadata
    assert Policy.parse("169.254.169.254", "").check_host("169.254.169.254", 80) is None  # named exactly
    assert "loopback" in Policy().check_host("localhost", 80)
    assert "metadata" in Policy().check_host("metadata.google.internal", 80)
    assert Policy().check_host("hooks.slack.com", 443) is None
    with pytest.raises(ValueError):
        Policy.parse("10.0.0.0/33", "")


def test_connecting_resolves_and_checks_every_address():
    with pytest.raises(DestinationRefused, match="localhost resolves to a loopback address,"):
        Policy().resolve("localhost", 80)
    with pytest.raises(DestinationRefused, match="^loopback address 127.0.0.1 is not allowed"):
        Policy().resolve("127.0.0.1", 80)
    assert Policy.parse("127.0.0.1", "").resolve("127.0.0.1", 80)
