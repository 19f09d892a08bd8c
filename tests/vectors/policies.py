#!/usr/bin/env python3
"""Writes policies.json: release policies as people write them (the JSON of
docs/policies.md), their canonical bytes and their digest (the TDH2 label of
a ciphertext protected under them), computed here independently of the C++
code from the documented encoding; and policies that must be refused, with
the field the error names. Standard library only.

    python3 tests/vectors/policies.py > tests/vectors/policies.json
"""
import calendar
import hashlib
import json
import re
import struct
import time

ENCLAVE_SILENT, REQUESTER, NOT_BEFORE, MAX_RELEASES, ATTESTED = 1, 2, 3, 4, 5
TDX, SGX = 2, 1
STATUSES = ["UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
            "OutOfDate", "OutOfDateConfigurationNeeded"]
UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def field(b: bytes) -> bytes:
    return struct.pack(">I", len(b)) + b


def u32(v: int) -> bytes:
    return struct.pack(">I", v)


def u64(v: int) -> bytes:
    return struct.pack(">Q", v)


def duration_ms(text: str) -> int:
    number, unit = re.fullmatch(r"([0-9]+)(ms|s|m|h|d)", text).groups()
    return int(number) * UNITS_MS[unit]


def unix_ms(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")) * 1000


def condition(kind: str, body: dict) -> tuple:
    """(kind number, encoded body) of one condition."""
    if kind == "enclave_silent":
        return ENCLAVE_SILENT, u64(duration_ms(body["timeout"]))
    if kind == "requester":
        keys = sorted(bytes.fromhex(k) for k in body["keys"])
        return REQUESTER, u32(body["m"]) + u32(len(keys)) + b"".join(field(k) for k in keys)
    if kind == "not_before":
        return NOT_BEFORE, u64(unix_ms(body["time"]))
    if kind == "max_releases":
        return MAX_RELEASES, u32(body["count"])
    if kind == "attested":
        statuses = sum(1 << STATUSES.index(s) for s in body.get("statuses", ["UpToDate"]))
        if body["tee"] == "tdx":
            names = ["mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3"]
            pinned = sum(1 << i for i, n in enumerate(names) if n in body)
            values = b"".join(field(bytes.fromhex(body[n])) for n in names if n in body)
            return ATTESTED, u32(TDX) + u32(statuses) + u32(pinned) + values
        pinned = (1 if "mrenclave" in body else 0) | (2 if "mrsigner" in body else 0)
        values = field(bytes.fromhex(body["mrenclave"])) if "mrenclave" in body else b""
        if "mrsigner" in body:
            values += field(bytes.fromhex(body["mrsigner"])) + u32(body["isv_prod_id"]) + u32(body.get("min_isv_svn", 0))
        return ATTESTED, u32(SGX) + u32(statuses) + u32(pinned) + values
    raise ValueError(kind)


def canonical(policy: dict) -> bytes:
    out = field(b"vigil/v1/policy") + u32(1) + field(bytes.fromhex(policy["enclave_key"]))
    out += u32(len(policy["any_of"]))
    for group in policy["any_of"]:
        conditions = sorted(condition(*next(iter(c.items()))) for c in group["all_of"])
        out += u32(len(conditions))
        for kind, body in conditions:
            out += u32(kind) + body
    return out


ENCLAVE = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
ADMIN = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
ALICE = "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"
BOB = "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e"

GOOD = [
    ("dead-mans-switch", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"enclave_silent": {"timeout": "30d"}}, {"requester": {"keys": [ADMIN], "m": 1}}]}]}),
    ("governance-2-of-3-once-after-a-date", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"max_releases": {"count": 1}}, {"requester": {"keys": [BOB, ALICE, ADMIN], "m": 2}},
                    {"not_before": {"time": "2027-01-01T00:00:00Z"}}]}]}),
    ("admin-early-or-anyone-listed-late", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"requester": {"keys": [ADMIN], "m": 1}}, {"enclave_silent": {"timeout": "4s"}}]},
        {"all_of": [{"requester": {"keys": [ALICE, BOB], "m": 1}}, {"enclave_silent": {"timeout": "90d"}}]}]}),
    ("requester-only", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"requester": {"keys": [ADMIN], "m": 1}}]}]}),
    ("short-timeout-in-ms", {"version": 1, "enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"enclave_silent": {"timeout": "1500ms"}}, {"requester": {"keys": [ADMIN], "m": 1}}]}]}),
]

MRTD = "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7"
RTMR2 = "d833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132"
MRENCLAVE = "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb"

GOOD += [
    ("same-image-td-at-once-or-admin-after-silence", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"attested": {"tee": "tdx", "mrtd": MRTD, "rtmr2": RTMR2}}]},
        {"all_of": [{"enclave_silent": {"timeout": "30d"}}, {"requester": {"keys": [ADMIN], "m": 1}}]}]}),
    ("sgx-signer-with-statuses", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"attested": {"tee": "sgx", "mrsigner": MRENCLAVE, "isv_prod_id": 3, "min_isv_svn": 2,
                                  "statuses": ["SWHardeningNeeded", "UpToDate"]}},
                    {"max_releases": {"count": 1}}]}]}),
    ("sgx-enclave-and-admin", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"requester": {"keys": [ADMIN], "m": 1}}, {"attested": {"tee": "sgx", "mrenclave": MRENCLAVE}}]}]}),
]

BAD = [
    ("no-groups", {"enclave_key": ENCLAVE, "any_of": []}, "any_of"),
    ("empty-group", {"enclave_key": ENCLAVE, "any_of": [{"all_of": []}]}, "any_of[0].all_of"),
    ("short-enclave-key", {"enclave_key": ENCLAVE[:62], "any_of": [
        {"all_of": [{"requester": {"keys": [ADMIN], "m": 1}}]}]}, "enclave_key"),
    ("m-above-k", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"requester": {"keys": [ADMIN], "m": 2}}]}]}, "any_of[0].all_of[0].requester.m"),
    ("m-zero", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"requester": {"keys": [ADMIN], "m": 0}}]}]}, "any_of[0].all_of[0].requester.m"),
    ("repeated-key", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"requester": {"keys": [ADMIN, ADMIN], "m": 1}}]}]}, "any_of[0].all_of[0].requester.keys[1]"),
    ("bad-duration", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"enclave_silent": {"timeout": "30 days"}}, {"requester": {"keys": [ADMIN], "m": 1}}]}]},
     "any_of[0].all_of[0].enclave_silent.timeout"),
    ("timeout-too-short", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"enclave_silent": {"timeout": "999ms"}}, {"requester": {"keys": [ADMIN], "m": 1}}]}]},
     "any_of[0].all_of[0].enclave_silent.timeout"),
    ("kind-twice-in-a-group", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"max_releases": {"count": 1}}, {"max_releases": {"count": 2}},
                    {"requester": {"keys": [ADMIN], "m": 1}}]}]}, "any_of[0].all_of[1]"),
    ("unknown-condition", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"enclave_asleep": {"timeout": "4s"}}, {"requester": {"keys": [ADMIN], "m": 1}}]}]},
     "any_of[0].all_of[0]"),
    ("no-requester", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"enclave_silent": {"timeout": "4s"}}]}]}, "any_of[0].all_of"),
    ("bad-time", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"not_before": {"time": "2027-01-01 00:00"}}, {"requester": {"keys": [ADMIN], "m": 1}}]}]},
     "any_of[0].all_of[0].not_before.time"),
    ("time-after-9999", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"not_before": {"time": "10000-01-01T00:00:00Z"}}, {"requester": {"keys": [ADMIN], "m": 1}}]}]},
     "any_of[0].all_of[0].not_before.time"),
    ("zero-releases", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"max_releases": {"count": 0}}, {"requester": {"keys": [ADMIN], "m": 1}}]}]},
     "any_of[0].all_of[0].max_releases.count"),
    ("unknown-version", {"version": 2, "enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"requester": {"keys": [ADMIN], "m": 1}}]}]}, "version"),
    ("attested-pins-nothing", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"attested": {"tee": "tdx"}}]}]}, "any_of[0].all_of[0].attested.tdx"),
    ("attested-rtmrs-without-mrtd", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"attested": {"tee": "tdx", "rtmr1": RTMR2, "rtmr2": RTMR2}}]}]}, "any_of[0].all_of[0].attested.tdx"),
    ("attested-revoked-status", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"attested": {"tee": "tdx", "mrtd": MRTD, "statuses": ["Revoked"]}}]}]},
     "any_of[0].all_of[0].attested.statuses[0]"),
    ("attested-short-mrtd", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"attested": {"tee": "tdx", "mrtd": MRTD[:94]}}]}]}, "any_of[0].all_of[0].attested.mrtd"),
    ("attested-unknown-tee", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"attested": {"tee": "sev", "mrtd": MRTD}}]}]}, "any_of[0].all_of[0].attested.tee"),
    ("attested-sgx-with-tdx-field", {"enclave_key": ENCLAVE, "any_of": [
        {"all_of": [{"attested": {"tee": "sgx", "mrenclave": MRENCLAVE, "mrtd": MRTD}}]}]},
     "any_of[0].all_of[0].attested.sgx"),
    ("unknown-top-level-field", {"enclave_key": ENCLAVE, "anyof": [], "any_of": [
        {"all_of": [{"requester": {"keys": [ADMIN], "m": 1}}]}]}, "anyof"),
]


def main():
    good = []
    for name, policy in GOOD:
        c = canonical(policy)
        good.append({"name": name, "policy": policy, "canonical": c.hex(), "digest": hashlib.sha256(c).hexdigest()})
    bad = [{"name": name, "policy": policy, "field": where} for name, policy, where in BAD]
    print(json.dumps({"good": good, "bad": bad}, indent=2))


if __name__ == "__main__":
    main()
