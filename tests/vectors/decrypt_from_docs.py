#!/usr/bin/env python3
"""Decrypts the published TDH2 vectors from docs/cryptography.md alone.

A requester written only from the document, with Python's standard library.
For each tdh2-<curve>.json it derives G_bar, checks the public shares against
the commitments and, for every case, the ciphertext digest, the validity
proof and every share's proof, then decrypts from every t-subset of shares.

    python3 tests/vectors/decrypt_from_docs.py [VECTOR_DIR]

Prints one line per vector; exits 1 naming the first mismatch. The vectors
hold no sealed shares; to exercise the sealed box too, recover from a running
cluster (writes the secret to stdout):

    python3 tests/vectors/decrypt_from_docs.py --recover CLUSTER_DIR REQUEST.json RESPONSE_KEY

Section names in comments ("doc: ...") are those of docs/cryptography.md.
"""
import hashlib
import hmac
import itertools
import json
import os
import struct
import sys


class Mismatch(Exception):
    pass


def check(ok, what):
    if not ok:
        raise Mismatch(what)


# --- Notation -----------------------------------------------------------------

def u32(v):
    return struct.pack(">I", v)


def field(b):
    return u32(len(b)) + b


# --- Hashing: expand_message_xmd (RFC 9380 5.3.1) and HKDF-SHA256 -------------

def expand_message_xmd(h, msg, dst, length):
    b_len, s_len = h().digest_size, h().block_size
    dst_prime = dst + bytes([len(dst)])
    b0 = h(bytes(s_len) + msg + struct.pack(">H", length) + b"\x00" + dst_prime).digest()
    bi = h(b0 + b"\x01" + dst_prime).digest()
    out = bi
    for i in range(2, -(-length // b_len) + 1):
        bi = h(bytes(x ^ y for x, y in zip(b0, bi)) + bytes([i]) + dst_prime).digest()
        out += bi
    return out[:length]


def hkdf_sha256(ikm, salt, info, length):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block = b"", b""
    for i in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
    return out[:length]


# --- Groups and encodings: ristretto255 (RFC 9496) ----------------------------

P25519 = 2**255 - 19
D = -121665 * pow(121666, -1, P25519) % P25519
SQRT_M1 = pow(2, (P25519 - 1) // 4, P25519)


def fe_neg(x):  # IS_NEGATIVE: the low bit of the canonical value
    return x % P25519 & 1


def fe_abs(x):
    return (-x) % P25519 if fe_neg(x) else x % P25519


def sqrt_ratio_m1(u, v):
    """RFC 9496 section 4.2: (was_square, nonnegative sqrt(u/v) or sqrt(i*u/v))."""
    p = P25519
    r = (u * pow(v, 3, p)) * pow(u * pow(v, 7, p), (p - 5) // 8, p) % p
    c = v * r * r % p
    correct, flipped, flipped_i = c == u % p, c == -u % p, c == -u * SQRT_M1 % p
    if flipped or flipped_i:
        r = r * SQRT_M1 % p
    return correct or flipped, fe_abs(r)


# RFC 9496 section 4.1 (the square roots are not both the non-negative ones).
SQRT_AD_MINUS_ONE = 25063068953384623474111414158702152701244531502492656460079210482610430750235
INVSQRT_A_MINUS_D = 54469307008909316920995813868745141605393597292927456921205312896311721017578
ONE_MINUS_D_SQ = 1159843021668779879193775521855586647937357759715417654439879720876111806838
D_MINUS_ONE_SQ = 40440834346308536858101042469323190826248399146238708352240133220865137265952


class Ristretto255:
    """Points in extended coordinates (X, Y, Z, T); the identity is (0, 1, 1, 0)."""
    name = b"ristretto255"
    order = 2**252 + 27742317777372353535851937790883648493
    element_bytes, scalar_order = 32, "little"
    identity = (0, 1, 1, 0)
    xmd, xmd_scalar_len = hashlib.sha512, 64

    @staticmethod
    def add(a, b):
        p = P25519
        (x1, y1, z1, t1), (x2, y2, z2, t2) = a, b
        aa, bb = (y1 - x1) * (y2 - x2) % p, (y1 + x1) * (y2 + x2) % p
        cc, dd = 2 * D * t1 * t2 % p, 2 * z1 * z2 % p
        e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
        return (e * f % p, g * h % p, f * g % p, e * h % p)

    @staticmethod
    def eq(a, b):
        p = P25519
        return (a[0] * b[1] - a[1] * b[0]) % p == 0 or (a[1] * b[1] - a[0] * b[0]) % p == 0

    @classmethod
    def decode(cls, b):
        """RFC 9496 4.3.1; the identity (all zero) is refused (doc: Groups and encodings)."""
        p = P25519
        check(len(b) == 32, "ristretto255 element must be 32 bytes")
        s = int.from_bytes(b, "little")
        check(s < p and not fe_neg(s), "non-canonical ristretto255 encoding")
        ss = s * s % p
        u1, u2 = (1 - ss) % p, (1 + ss) % p
        u2_sqr = u2 * u2 % p
        v = (-(D * u1 * u1) - u2_sqr) % p
        was_square, invsqrt = sqrt_ratio_m1(1, v * u2_sqr % p)
        den_x = invsqrt * u2 % p
        den_y = invsqrt * den_x * v % p
        x, y = fe_abs(2 * s * den_x), u1 * den_y % p
        t = x * y % p
        check(was_square and not fe_neg(t) and y != 0, "not a ristretto255 encoding")
        check(s != 0, "ristretto255 element is the identity")
        return (x, y, 1, t)

    @staticmethod
    def encode(pt):
        p = P25519
        x0, y0, z0, t0 = pt
        u1 = (z0 + y0) * (z0 - y0) % p
        u2 = x0 * y0 % p
        _, invsqrt = sqrt_ratio_m1(1, u1 * u2 * u2 % p)
        den1, den2 = invsqrt * u1 % p, invsqrt * u2 % p
        z_inv = den1 * den2 * t0 % p
        if fe_neg(t0 * z_inv):
            x, y, den_inv = y0 * SQRT_M1 % p, x0 * SQRT_M1 % p, den1 * INVSQRT_A_MINUS_D % p
        else:
            x, y, den_inv = x0, y0, den2
        if fe_neg(x * z_inv):
            y = (-y) % p
        return fe_abs(den_inv * (z0 - y)).to_bytes(32, "little")

    @staticmethod
    def _map(t):
        """RFC 9496 4.3.4 MAP."""
        p = P25519
        r = SQRT_M1 * t * t % p
        u = (r + 1) * ONE_MINUS_D_SQ % p
        v = (-1 - r * D) * (r + D) % p
        was_square, s = sqrt_ratio_m1(u, v)
        c = p - 1
        if not was_square:
            s, c = (-fe_abs(s * t)) % p, r
        n = (c * (r - 1) * D_MINUS_ONE_SQ - v) % p
        w0, w1 = 2 * s * v % p, n * SQRT_AD_MINUS_ONE % p
        w2, w3 = (1 - s * s) % p, (1 + s * s) % p
        return (w0 * w3 % p, w2 * w1 % p, w1 * w3 % p, w0 * w2 % p)

    @classmethod
    def hash_to_element(cls, msg, dst):
        """doc: Hashing, hash_to_element (RFC 9496 one-way map of 64 XMD bytes)."""
        b = expand_message_xmd(hashlib.sha512, msg, dst, 64)
        r0 = int.from_bytes(b[:32], "little") & (2**255 - 1)
        r1 = int.from_bytes(b[32:], "little") & (2**255 - 1)
        return cls.add(cls._map(r0 % P25519), cls._map(r1 % P25519))


# --- Groups and encodings: secp256k1 (SEC 2; RFC 9380 suite for hashing) ------

PK = 2**256 - 2**32 - 977


def sqrt_k(x):  # p = 3 mod 4
    r = pow(x, (PK + 1) // 4, PK)
    return r if r * r % PK == x % PK else None


class Secp256k1:
    """Affine points (x, y); None is the identity."""
    name = b"secp256k1"
    order = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    element_bytes, scalar_order = 33, "big"
    identity = None
    xmd, xmd_scalar_len = hashlib.sha256, 48

    @staticmethod
    def add(a, b):
        if a is None or b is None:
            return b if a is None else a
        (x1, y1), (x2, y2) = a, b
        if x1 == x2:
            if (y1 + y2) % PK == 0:
                return None
            lam = 3 * x1 * x1 * pow(2 * y1, -1, PK) % PK
        else:
            lam = (y2 - y1) * pow(x2 - x1, -1, PK) % PK
        x3 = (lam * lam - x1 - x2) % PK
        return (x3, (lam * (x1 - x3) - y1) % PK)

    eq = staticmethod(lambda a, b: a == b)

    @staticmethod
    def decode(b):
        check(len(b) == 33 and b[0] in (2, 3), "secp256k1 element must be 33 bytes starting 02 or 03")
        x = int.from_bytes(b[1:], "big")
        check(x < PK, "secp256k1 x is not below p")
        y = sqrt_k(x**3 + 7)
        check(y is not None, "not a point on secp256k1")
        return (x, y if y % 2 == b[0] % 2 else PK - y)

    @staticmethod
    def encode(pt):
        x, y = pt
        return bytes([2 + (y & 1)]) + x.to_bytes(32, "big")

    # RFC 9380 8.7 and Appendix E.1: the isogenous curve E' and the 3-isogeny.
    A_ISO = 0x3F8731ABDD661ADCA08A5558F0F5D272E953D363CB6F0E5D405447C01A444533
    B_ISO, Z_ISO = 1771, PK - 11
    K = [[0x8E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38DAAAAA8C7,
          0x07D3D4C80BC321D5B9F315CEA7FD44C5D595D2FC0BF63B92DFFF1044F17C6581,
          0x534C328D23F234E6E2A413DECA25CAECE4506144037C40314ECBD0B53D9DD262,
          0x8E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38E38DAAAAA88C],
         [0xD35771193D94918A9CA34CCBB7B640DD86CD409542F8487D9FE6B745781EB49B,
          0xEDADC6F64383DC1DF7C4B2D51B54225406D36B641F5E41BBC52A56612A8C6D14, 1],
         [0x4BDA12F684BDA12F684BDA12F684BDA12F684BDA12F684BDA12F684B8E38E23C,
          0xC75E0C32D5CB7C0FA9D0A54B12A0A6D5647AB046D686DA6FDFFC90FC201D71A3,
          0x29A6194691F91A73715209EF6512E576722830A201BE2018A765E85A9ECEE931,
          0x2F684BDA12F684BDA12F684BDA12F684BDA12F684BDA12F684BDA12F38E38D84],
         [0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFF93B,
          0x7A06534BB8BDB49FD5E9E6632722C2989467C1BFC8E8D978DFB425D2685C2573,
          0x6484AA716545CA2CF3A70C3FA8FE337E0A3D21162F0D6299A7BF8192BFD2A76F, 1]]

    @classmethod
    def _map(cls, u):
        """Simplified SWU to E' (RFC 9380 6.6.2/6.6.3), then the 3-isogeny (Appendix E.1)."""
        a, b, z, p = cls.A_ISO, cls.B_ISO, cls.Z_ISO, PK
        zu2 = z * u * u % p
        den = (zu2 * zu2 + zu2) % p
        x1 = b * pow(z * a, -1, p) % p if den == 0 else (-b * pow(a, -1, p)) * (1 + pow(den, -1, p)) % p
        x, y = x1, sqrt_k(x1**3 + a * x1 + b)
        if y is None:
            x = zu2 * x1 % p
            y = sqrt_k(x**3 + a * x + b)
        if u % 2 != y % 2:
            y = p - y
        xn, xd, yn, yd = (sum(k * pow(x, i, p) for i, k in enumerate(c)) % p for c in cls.K)
        return (xn * pow(xd, -1, p) % p, y * yn * pow(yd, -1, p) % p)

    @classmethod
    def hash_to_element(cls, msg, dst):
        """doc: Hashing, hash_to_element (secp256k1_XMD:SHA-256_SSWU_RO_)."""
        b = expand_message_xmd(hashlib.sha256, msg, dst, 96)
        u0, u1 = (int.from_bytes(b[48 * i:48 * i + 48], "big") % PK for i in range(2))
        return cls.add(cls._map(u0), cls._map(u1))


# The generators (doc: Groups and encodings).
Ristretto255.G = Ristretto255.decode(bytes.fromhex(
    "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"))
Secp256k1.G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
               0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)
CURVES = {"ristretto255": Ristretto255, "secp256k1": Secp256k1}


def mul(C, k, pt):
    """k·P by double-and-add (public values only: variable time)."""
    k %= C.order
    acc = C.identity
    for bit in bin(k)[2:] if k else "":
        acc = C.add(acc, acc)
        if bit == "1":
            acc = C.add(acc, pt)
    return acc


def decode_scalar(C, b):
    check(len(b) == 32, "scalar must be 32 bytes")
    k = int.from_bytes(b, C.scalar_order)
    check(k < C.order, "scalar is not reduced")
    return k


def hash_to_scalar(C, msg, dst):
    """doc: Hashing, hash_to_scalar."""
    return int.from_bytes(expand_message_xmd(C.xmd, msg, dst, C.xmd_scalar_len), C.scalar_order) % C.order


# --- XChaCha20-Poly1305 (RFC 8439 + HChaCha20), doc: Opening a sealed share ---

def _rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def _rounds(state):
    x = list(state)
    for _ in range(10):
        for a, b, c, d in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                           (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)):
            x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = _rotl(x[d] ^ x[a], 16)
            x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = _rotl(x[b] ^ x[c], 12)
            x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = _rotl(x[d] ^ x[a], 8)
            x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = _rotl(x[b] ^ x[c], 7)
    return x


SIGMA = struct.unpack("<4I", b"expand 32-byte k")


def chacha20_block(key, counter, nonce12):
    state = SIGMA + struct.unpack("<8I", key) + (counter,) + struct.unpack("<3I", nonce12)
    return struct.pack("<16I", *((a + b) & 0xFFFFFFFF for a, b in zip(_rounds(state), state)))


def hchacha20(key, nonce16):
    x = _rounds(SIGMA + struct.unpack("<8I", key) + struct.unpack("<4I", nonce16))
    return struct.pack("<8I", *(x[0:4] + x[12:16]))


def chacha20_xor(key, nonce12, counter, data):
    out = bytearray()
    for i in range(0, len(data), 64):
        block = chacha20_block(key, counter + i // 64, nonce12)
        out += bytes(a ^ b for a, b in zip(data[i:i + 64], block))
    return bytes(out)


def poly1305(key, msg):
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s, acc, p = int.from_bytes(key[16:], "little"), 0, 2**130 - 5
    for i in range(0, len(msg), 16):
        acc = (acc + int.from_bytes(msg[i:i + 16] + b"\x01", "little")) * r % p
    return ((acc + s) % 2**128).to_bytes(16, "little")


def xchacha20poly1305_decrypt(key, nonce24, ct_tag, ad):
    """libsodium's crypto_aead_xchacha20poly1305_ietf; None when the tag fails."""
    if len(ct_tag) < 16:
        return None
    subkey, nonce12 = hchacha20(key, nonce24[:16]), b"\x00" * 4 + nonce24[16:]
    ct, tag = ct_tag[:-16], ct_tag[-16:]
    pad = lambda b: b"\x00" * (-len(b) % 16)
    mac_data = ad + pad(ad) + ct + pad(ct) + struct.pack("<QQ", len(ad), len(ct))
    otk = chacha20_block(subkey, 0, nonce12)[:32]
    if not hmac.compare_digest(poly1305(otk, mac_data), tag):
        return None
    return chacha20_xor(subkey, nonce12, 1, ct)


# --- X25519 (RFC 7748) and the sealed box, doc: Opening a sealed share --------

def x25519(k, u):
    p, a24 = P25519, 121665
    k = bytearray(k)
    k[0] &= 248; k[31] &= 127; k[31] |= 64
    k = int.from_bytes(k, "little")
    x1 = int.from_bytes(u, "little") & (2**255 - 1)
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    for t in reversed(range(255)):
        bit = (k >> t) & 1
        if swap ^ bit:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b, c, d = x2 + z2, x2 - z2, x3 + z3, x3 - z3
        aa, bb, da, cb = a * a, b * b, d * a, c * b
        e = aa - bb
        x3, z3 = (da + cb) ** 2 % p, x1 * (da - cb) ** 2 % p
        x2, z2 = aa * bb % p, e * (aa + a24 * e) % p
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, p - 2, p) % p).to_bytes(32, "little")


X25519_BASE = (9).to_bytes(32, "little")


def open_decryption_share(C, sk, sealed, request_id, digest, index):
    """doc: Opening a sealed share, then The decryption share's binary form."""
    check(len(sealed) >= 48, "sealed box is shorter than 48 bytes")
    eph_pk, pk = sealed[:32], x25519(sk, X25519_BASE)
    ss = x25519(sk, eph_pk)
    check(ss != bytes(32), "low-order ephemeral key")
    okm = hkdf_sha256(ss, eph_pk + pk, b"vigil/v1/seal", 56)
    ad = (field(b"vigil/v1/tdh2/sealed-decryption-share") + field(C.name) + field(request_id) +
          field(digest) + u32(index))
    plain = xchacha20poly1305_decrypt(okm[:32], okm[32:], sealed[32:], ad)
    check(plain is not None, "sealed share does not open in this context")
    share = decode_decryption_share(C, plain)
    check(share["index"] == index, "sealed share holds another index")
    return share


# --- The protocol -------------------------------------------------------------

def second_generator(C, h):
    """doc: The cluster's key."""
    return C.hash_to_element(field(C.name) + field(C.encode(h)), b"vigil/v1/tdh2/second-generator")


def parse_ciphertext(C, c, unwrap, label):
    """A ciphertext's fields (hex in the vectors, base64 in the API) as bytes, elements, scalar."""
    ct = {"label": label, "payload": unwrap(c["payload"]), "f": decode_scalar(C, unwrap(c["f"]))}
    ct.update({k: C.decode(unwrap(c[k])) for k in ("u", "u_bar", "w", "w_bar")})
    return ct


def ciphertext_digest(C, ct):
    """doc: The ciphertext and its digest."""
    enc = C.encode
    return hashlib.sha256(
        field(b"vigil/v1/tdh2/ciphertext") + field(C.name) + field(ct["label"]) + field(enc(ct["u"])) +
        field(enc(ct["u_bar"])) + field(enc(ct["w"])) + field(enc(ct["w_bar"])) +
        field(ct["f"].to_bytes(32, C.scalar_order)) + field(ct["payload"])).digest()


def verify_ciphertext(C, h, g_bar, ct):
    """doc: The ciphertext's validity proof."""
    enc = C.encode
    e = hash_to_scalar(C, field(C.name) + field(enc(h)) + field(ct["label"]) +
                       field(hashlib.sha256(ct["payload"]).digest()) + field(enc(ct["u"])) +
                       field(enc(ct["w"])) + field(enc(ct["u_bar"])) + field(enc(ct["w_bar"])),
                       b"vigil/v1/tdh2/validity")
    g = C.G
    return (C.eq(mul(C, ct["f"], g), C.add(ct["w"], mul(C, e, ct["u"]))) and
            C.eq(mul(C, ct["f"], g_bar), C.add(ct["w_bar"], mul(C, e, ct["u_bar"]))))


def decode_decryption_share(C, b):
    """doc: The decryption share's binary form."""
    n = C.element_bytes
    check(len(b) == 4 + 3 * n + 32, "decryption share has the wrong size")
    els = [C.decode(b[4 + i * n:4 + (i + 1) * n]) for i in range(3)]
    return {"index": struct.unpack(">I", b[:4])[0], "value": els[0], "a1": els[1], "a2": els[2],
            "z": decode_scalar(C, b[4 + 3 * n:])}


def verify_share(C, ct, digest, public_share, s):
    """doc: Verifying a decryption share."""
    enc, g = C.encode, C.G
    context = field(b"vigil/v1/tdh2/decryption-share") + field(digest) + field(ct["label"]) + u32(s["index"])
    c = hash_to_scalar(C, field(C.name) + field(context) +
                       b"".join(field(enc(e)) for e in (g, public_share, ct["u"], s["value"], s["a1"], s["a2"])),
                       b"vigil/v1/dleq/challenge")
    minus_c = C.order - c
    return (C.eq(C.add(mul(C, s["z"], g), mul(C, minus_c, public_share)), s["a1"]) and
            C.eq(C.add(mul(C, s["z"], ct["u"]), mul(C, minus_c, s["value"])), s["a2"]))


def combine(C, shares):
    """doc: Combining t shares: r·H = sum of lambda_j · value_j."""
    q, idx = C.order, [s["index"] for s in shares]
    check(len(set(idx)) == len(idx) and 0 not in idx, "indices must be distinct and non-zero")
    acc = C.identity
    for s in shares:
        num = den = 1
        for k in idx:
            if k != s["index"]:
                num, den = num * k % q, den * (k - s["index"]) % q
        acc = C.add(acc, mul(C, num * pow(den, -1, q) % q, s["value"]))
    return acc


def payload_key_and_ad(C, h, shared, ct):
    """doc: The payload key and associated data."""
    enc = C.encode
    salt = field(C.name) + field(enc(h)) + field(enc(ct["u"])) + field(enc(ct["u_bar"]))
    key = hkdf_sha256(enc(shared), salt, b"vigil/v1/tdh2/payload-key", 32)
    ad = field(b"vigil/v1/tdh2/payload") + field(C.name) + field(ct["label"]) + field(enc(ct["u"])) + \
        field(enc(ct["u_bar"]))
    return key, ad


SEALED_CHUNK = 65536 + 16  # a full chunk and its tag


def stream_decrypt(key, ad, payload):
    """doc: The STREAM payload. None when it does not authenticate."""
    if len(payload) < 16:
        return None
    chunks = -(-len(payload) // SEALED_CHUNK)
    out = b""
    for k in range(chunks):
        last = k == chunks - 1
        chunk = payload[k * SEALED_CHUNK:] if last else payload[k * SEALED_CHUNK:(k + 1) * SEALED_CHUNK]
        if last and len(chunk) == 16 and k > 0:
            return None  # an empty final chunk after a full one: a truncated stream
        nonce = bytes(15) + struct.pack(">Q", k) + (b"\x01" if last else b"\x00")
        plain = xchacha20poly1305_decrypt(key, nonce, chunk, ad)
        if plain is None:
            return None
        out += plain
    return out


# --- A self-check of X25519 on a published answer -----------------------------

def self_check():
    """X25519 is not exercised by the vectors: RFC 7748 section 5.2's first answer."""
    check(x25519(bytes.fromhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                 bytes.fromhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")).hex() ==
          "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552", "X25519 (RFC 7748 5.2)")


# --- The vectors --------------------------------------------------------------

def run_vector(path):
    v = json.load(open(path))
    C = CURVES[v["curve"]]
    name, t, n = v["curve"], v["threshold"], v["parties"]
    dec = lambda hx: C.decode(bytes.fromhex(hx))
    h = dec(v["group_public_key"])

    # doc: The cluster's key: G_bar from H; X_i on the Feldman commitments.
    g_bar = second_generator(C, h)
    check(C.encode(g_bar).hex() == v["second_generator"], f"{name}: second generator G_bar")
    commitments = [dec(c) for c in v["commitments"]]
    check(C.eq(commitments[0], h), f"{name}: C_0 is not the group key")
    public = {}
    for s in v["shares"]:
        i = s["index"]
        public[i] = dec(s["public_share"])
        on_commitments = C.identity
        for k, c in enumerate(commitments):
            on_commitments = C.add(on_commitments, mul(C, i**k, c))
        check(C.eq(on_commitments, public[i]),
              f"{name}: public share {i} is not on the commitments")
    check(sorted(public) == list(range(1, n + 1)), f"{name}: public shares are not X_1..X_n")

    n_proofs = n_decrypts = 0
    for case_no, case in enumerate(v["cases"]):
        where = f"{name} case {case_no} (label {case['label']!r})"
        ct = parse_ciphertext(C, case["ciphertext"], bytes.fromhex, case["label"].encode())
        digest = ciphertext_digest(C, ct)
        check(digest.hex() == case["ciphertext_digest"], f"{where}: ciphertext digest")
        check(verify_ciphertext(C, h, g_bar, ct), f"{where}: validity proof does not verify")
        bad = dict(ct, label=ct["label"] + b"!")
        check(not verify_ciphertext(C, h, g_bar, bad), f"{where}: validity proof verifies under another label")

        shares = []
        for s in case["decryption_shares"]:
            share = {"index": s["index"], "value": dec(s["value"]), "a1": dec(s["proof"]["a1"]),
                     "a2": dec(s["proof"]["a2"]), "z": decode_scalar(C, bytes.fromhex(s["proof"]["z"]))}
            check(verify_share(C, ct, digest, public[share["index"]], share),
                  f"{where}: proof of decryption share {share['index']} does not verify")
            other = (share["index"] % n) + 1  # the same proof must fail for another holder
            check(not verify_share(C, ct, digest, public[other], share),
                  f"{where}: share {share['index']} verifies against X_{other}")
            shares.append(share)
            n_proofs += 1

        plaintext = bytes.fromhex(case["plaintext"])
        for subset in itertools.combinations(shares, t):
            key, ad = payload_key_and_ad(C, h, combine(C, list(subset)), ct)
            got = stream_decrypt(key, ad, ct["payload"])
            idx = [s["index"] for s in subset]
            check(got is not None, f"{where}: payload does not authenticate with shares {idx}")
            check(got == plaintext, f"{where}: shares {idx} decrypt to {got.hex()}, not {case['plaintext']}")
            n_decrypts += 1
        key, ad = payload_key_and_ad(C, h, combine(C, shares[:t - 1]), ct)
        check(stream_decrypt(key, ad, ct["payload"]) is None, f"{where}: t-1 shares decrypt")
    print(f"ok {os.path.basename(path)}: G_bar, {n} public shares on {t} commitments, "
          f"{len(v['cases'])} ciphertexts (digest, validity proof), {n_proofs} share proofs, "
          f"{n_decrypts} {t}-of-{n} decryptions")


# --- A live recovery (optional): the doc's whole Overview against a cluster ---

def recover(cluster_dir, request_path, key_path):
    """POSTs a signed request (vigil recover prepare, then sign) to every node of
    a local cluster (vigil cluster up), opens and checks each sealed share, and
    writes the secret to stdout once t shares of one ciphertext verify."""
    import base64
    import urllib.request
    b64 = base64.b64decode
    cl = json.load(open(os.path.join(cluster_dir, "cluster.json")))
    C, t = CURVES[cl["curve"]], cl["threshold"]
    body = open(request_path, "rb").read()
    req = json.loads(body)
    sk = bytes.fromhex(open(key_path).read().strip())
    check(x25519(sk, X25519_BASE) == b64(req["response_key"]), "the response key is not the request's")
    request_id = hashlib.sha256(  # computed here, never taken from an answer (proto/README.md)
        field(b"vigil/v1/recovery-request") + field(b64(req["key_id"])) + field(b64(req["response_key"])) +
        field(b64(req["nonce"])) + struct.pack(">Q", int(req["expires_at_unix_ms"])) +
        u32(req.get("key_epoch", 0))).digest()
    h = C.decode(bytes.fromhex(cl["group_public_key"]))
    g_bar = second_generator(C, h)  # cluster.json's public shares: X_1 .. X_n in order
    public = {i + 1: C.decode(bytes.fromhex(x)) for i, x in enumerate(cl["public_shares"])}
    groups = {}  # ciphertext digest -> (ciphertext, verified shares)
    for node in cl["nodes"]:
        i = node["index"]
        post = urllib.request.Request(node["api"] + "/v1/recoveries", data=body, method="POST")
        with urllib.request.urlopen(post, timeout=10) as answer:
            answer = json.load(answer)
        c = answer["ciphertext"]
        check(c["version"] == 1 and c["curve"] == "CURVE_" + cl["curve"].upper(), f"node {i}: ciphertext header")
        ct = parse_ciphertext(C, c, b64, b64(c.get("label", "")))  # proto3 JSON omits an empty label
        digest = ciphertext_digest(C, ct)
        check(verify_ciphertext(C, h, g_bar, ct), f"node {i}: its ciphertext is not valid under the group key")
        share = open_decryption_share(C, sk, b64(answer["share"]["sealed"]), request_id, digest, i)
        check(verify_share(C, ct, digest, public[i], share), f"node {i}: its share's proof does not verify")
        ct, shares = groups.setdefault(digest, (ct, []))
        shares.append(share)
        if len(shares) == t:
            key, ad = payload_key_and_ad(C, h, combine(C, shares), ct)
            secret = stream_decrypt(key, ad, ct["payload"])
            check(secret is not None, "the payload does not authenticate")
            print(f"ok recovered {len(secret)} bytes from nodes {[s['index'] for s in shares]}", file=sys.stderr)
            sys.stdout.buffer.write(secret)
            return
    raise Mismatch(f"fewer than {t} shares of one ciphertext")


def main():
    args = sys.argv[1:]
    here = args[0] if len(args) == 1 else os.path.dirname(os.path.abspath(__file__))
    try:
        self_check()
        if args[:1] == ["--recover"]:
            recover(*args[1:4])
            return 0
        for curve in ("ristretto255", "secp256k1"):
            run_vector(os.path.join(here, f"tdh2-{curve}.json"))
    except Mismatch as e:
        print(f"MISMATCH: {e}")
        return 1
    print("note: the vectors hold no sealed shares; --recover opens real ones from a cluster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
