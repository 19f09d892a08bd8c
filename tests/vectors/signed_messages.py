#!/usr/bin/env python3
"""Writes signed-messages.json: known answers for the byte strings vigil's
programs sign or hash (proto/README.md), computed here independently of the
C++ code from the documented encodings. Needs the `cryptography` package.

    python3 tests/vectors/signed_messages.py > tests/vectors/signed-messages.json
"""
import hashlib
import json
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization


def field(b: bytes) -> bytes:
    return struct.pack(">I", len(b)) + b


def u32(v: int) -> bytes:
    return struct.pack(">I", v)


def u64(v: int) -> bytes:
    return struct.pack(">Q", v % (1 << 64))


def key_pair(seed: bytes):
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sk, pk


def audit_entry():
    seed = bytes([0x0A] * 32)
    sk, pk = key_pair(seed)
    e = {
        "seq": 7,
        "previous": bytes([0x11] * 32),
        "unix_ms": 1_800_000_000_456,
        "key_id": bytes([0x22] * 32),
        "request_digest": bytes([0x33] * 32),
        "outcome": "enclave_alive",
        "detail": "the enclave sent a heartbeat 4 s ago",
        "signers": [bytes([0x44] * 32), bytes([0x55] * 32)],
    }
    msg = (field(b"vigil/v1/audit-entry") + u64(e["seq"]) + field(e["previous"]) + u64(e["unix_ms"]) +
           field(e["key_id"]) + field(e["request_digest"]) + field(e["outcome"].encode()) +
           field(e["detail"].encode()) + u32(len(e["signers"])) + b"".join(field(k) for k in e["signers"]))
    out = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in e.items()}
    out["signers"] = [k.hex() for k in e["signers"]]
    out.update(node_seed=seed.hex(), node_key=pk.hex(), signing_bytes=msg.hex(),
               hash=hashlib.sha256(msg).hexdigest(), signature=sk.sign(msg).hex())
    return out


def ceremony_plan():
    seed = bytes([0x07] * 32)
    sk, pk = key_pair(seed)
    plan = bytes.fromhex("08011220") + bytes([0xAB] * 32)  # opaque to the signature
    msg = field(b"vigil/v1/ceremony-plan") + field(plan)
    return {"plan": plan.hex(), "operator_seed": seed.hex(), "operator_key": pk.hex(), "signing_bytes": msg.hex(),
            "signature": sk.sign(msg).hex()}


def ceremony_transcript():
    session = bytes([0x11] * 32)
    group_key = bytes([0x22] * 32)
    dealings = {1: bytes([0x31] * 32), 2: bytes([0x32] * 32), 4: bytes([0x34] * 32)}
    msg = field(b"vigil/v1/dkg/transcript") + field(session) + field(b"ristretto255") + u32(2) + field(group_key)
    msg += u32(len(dealings))
    for dealer in sorted(dealings):
        msg += u32(dealer) + field(dealings[dealer])
    transcript = hashlib.sha256(msg).digest()
    return {"session_id": session.hex(), "curve": "ristretto255", "epoch": 2, "group_public_key": group_key.hex(),
            "dealing_digests": {str(d): v.hex() for d, v in dealings.items()}, "transcript_digest": transcript.hex()}


def ceremony_statement():
    seed = bytes([0x09] * 32)
    sk, pk = key_pair(seed)
    session = bytes([0x11] * 32)
    author, kind, subject = 3, 3, 5  # a justification by node 3 answering node 5's complaint
    body = bytes.fromhex("0803100512") + bytes([0x20]) + bytes([0x44] * 32)  # opaque to the signature
    msg = (field(b"vigil/v1/ceremony/statement") + field(session) + u32(author) + u32(kind) + u32(subject) +
           field(hashlib.sha256(body).digest()))
    return {"session_id": session.hex(), "author_seed": seed.hex(), "author_key": pk.hex(), "author": author,
            "kind": kind, "subject": subject, "body": body.hex(), "signing_bytes": msg.hex(),
            "signature": sk.sign(msg).hex()}


def enclave_messages():
    """A registration under the first policy of policies.json and two heartbeats, one replacing the ciphertext."""
    seed = bytes([0x0B] * 32)
    sk, pk = key_pair(seed)
    policy = (field(b"vigil/v1/policy") + u32(1) + field(pk) + u32(1) + u32(2) + u32(1) + u64(30 * 86_400_000) +
              u32(2) + u32(1) + u32(1) + field(bytes([0x42] * 32)))
    policy_digest = hashlib.sha256(policy).digest()
    ciphertext_digest = bytes([0x5C] * 32)
    registered = 1_800_000_000_000
    key_id = hashlib.sha256(field(b"vigil/v1/key-id") + field(policy_digest) + field(ciphertext_digest)).digest()
    registration = field(b"vigil/v1/registration") + field(policy) + field(ciphertext_digest) + u64(registered)
    beats = []
    for counter, unix_ms, replacement in [(1, registered + 5_000, b""), (2, registered + 10_000, bytes([0x5D] * 32))]:
        msg = field(b"vigil/v1/heartbeat") + field(key_id) + u64(counter) + u64(unix_ms) + field(replacement)
        beats.append({"counter": counter, "unix_ms": unix_ms, "replacement_digest": replacement.hex(),
                      "signing_bytes": msg.hex(), "signature": sk.sign(msg).hex()})
    signers = [key_pair(bytes([b] * 32)) for b in (0x0C, 0x0D)]
    response_key, nonce, expires, epoch = bytes([0x6E] * 32), bytes(range(40, 64)), registered + 86_400_000 * 31, 1
    recovery = (field(b"vigil/v1/recovery-request") + field(key_id) + field(response_key) + field(nonce) +
                u64(expires) + u32(epoch))
    request = {"response_key": response_key.hex(), "nonce": nonce.hex(), "expires_at_unix_ms": expires,
               "key_epoch": epoch, "signing_bytes": recovery.hex(),
               "signers": [{"seed": bytes([b] * 32).hex(), "key": spk.hex(), "signature": ssk.sign(recovery).hex()}
                           for b, (ssk, spk) in zip((0x0C, 0x0D), signers)]}
    return {"enclave_seed": seed.hex(), "enclave_key": pk.hex(), "policy": policy.hex(),
            "policy_digest": policy_digest.hex(), "ciphertext_digest": ciphertext_digest.hex(),
            "registered_unix_ms": registered, "key_id": key_id.hex(), "registration_signing_bytes": registration.hex(),
            "registration_signature": sk.sign(registration).hex(), "heartbeats": beats,
            "recovery_request": request}


print(json.dumps({"audit_entry": audit_entry(), "ceremony_plan": ceremony_plan(),
                  "ceremony_transcript": ceremony_transcript(), "ceremony_statement": ceremony_statement(),
                  "enclave_messages": enclave_messages()}, indent=2))
