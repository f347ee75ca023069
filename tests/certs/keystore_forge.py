"""Build PKCS#12 files and JCEKS keystores with chosen iteration counts, the way an attacker would.

cryptography and the openssl command write only sane files (cryptography's MAC is always 2,048
iterations), so the denial-of-service files are assembled here from their ASN.1 parts (RFC 7292):
a DER writer, the PKCS#12 key derivation of appendix B (to compute a real MAC), and PBES2 with
PBKDF2 and AES-256-CBC (cryptography's primitives) to encrypt real contents.

A file whose MAC count is huge carries a MAC value that is not the right one: computing the right
one would take as long as the attack it describes, and the console refuses the count before any
key is derived, so the value is never looked at. Files with sane counts carry a correct MAC and open
with OpenSSL.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

OID_DATA = "1.2.840.113549.1.7.1"
OID_ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
OID_CERT_BAG = "1.2.840.113549.1.12.10.1.3"
OID_SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
OID_SAFE_CONTENTS_BAG = "1.2.840.113549.1.12.10.1.6"
OID_X509_CERTIFICATE = "1.2.840.113549.1.9.22.1"
OID_PBES2 = "1.2.840.113549.1.5.13"
OID_PBKDF2 = "1.2.840.113549.1.5.12"
OID_PBMAC1 = "1.2.840.113549.1.5.14"
OID_SCRYPT = "1.3.6.1.4.1.11591.4.11"
OID_HMAC_SHA256 = "1.2.840.113549.2.9"
HMAC_OIDS = {"sha256": OID_HMAC_SHA256, "sha512": "1.2.840.113549.2.11"}
OID_AES256_CBC = "2.16.840.1.101.3.4.1.42"
OID_PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3"
HASH_OIDS = {"sha1": "1.3.14.3.2.26", "sha256": "2.16.840.1.101.3.4.2.1", "sha512": "2.16.840.1.101.3.4.2.3"}


# --- DER ---------------------------------------------------------------------------------------


def tlv(tag: int, content: bytes, *, indefinite: bool = False) -> bytes:
    if indefinite:  # BER, as some Java and Windows exports write it (constructed tags only)
        return bytes([tag, 0x80]) + content + b"\x00\x00"
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def seq(*items: bytes, indefinite: bool = False) -> bytes:
    return tlv(0x30, b"".join(items), indefinite=indefinite)


def octets(data: bytes) -> bytes:
    return tlv(0x04, data)


def integer(value: int) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8)
    return tlv(0x02, value.to_bytes(size, "big", signed=True))


def null() -> bytes:
    return b"\x05\x00"


def oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, bytes(body))


def explicit(number: int, inner: bytes, *, indefinite: bool = False) -> bytes:
    return tlv(0xA0 | number, inner, indefinite=indefinite)


# --- algorithms --------------------------------------------------------------------------------


def bmp_password(password: str | None) -> bytes:
    """The password as PKCS#12's key derivation takes it: UTF-16BE with a terminating zero (none: empty)."""
    return b"" if password is None else password.encode("utf-16-be") + b"\x00\x00"


def pkcs12_kdf(password: bytes, salt: bytes, purpose: int, iterations: int, size: int, hash_name: str) -> bytes:
    """RFC 7292 appendix B.2 (purpose 1: key, 2: IV, 3: MAC key)."""
    u, v = hashlib.new(hash_name).digest_size, hashlib.new(hash_name).block_size

    def fill(data: bytes) -> bytes:  # repeated to a whole number of v-byte blocks
        length = v * -(-len(data) // v)
        return (data * (length // len(data) + 1))[:length] if data else b""

    block = fill(salt) + fill(password)
    derived = b""
    while len(derived) < size:
        a = bytes([purpose]) * v + block
        for _ in range(iterations):
            a = hashlib.new(hash_name, a).digest()
        derived += a
        b = int.from_bytes((a * (v // u + 1))[:v], "big") + 1
        block = b"".join(
            ((int.from_bytes(block[j : j + v], "big") + b) % (1 << (8 * v))).to_bytes(v, "big")
            for j in range(0, len(block), v)
        )
    return derived[:size]


def pbkdf2_parameters(salt: bytes, iterations: int, *, prf: str = "sha256") -> bytes:
    return seq(octets(salt), integer(iterations), seq(oid(HMAC_OIDS[prf]), null()))


def pbes2_algorithm(salt: bytes, iterations: int, iv: bytes, *, kdf: bytes | None = None, prf: str = "sha256") -> bytes:
    kdf = kdf if kdf is not None else seq(oid(OID_PBKDF2), pbkdf2_parameters(salt, iterations, prf=prf))
    return seq(oid(OID_PBES2), seq(kdf, seq(oid(OID_AES256_CBC), octets(iv))))


def scrypt_kdf(salt: bytes, cost: int, block_size: int, parallelization: int) -> bytes:
    return seq(oid(OID_SCRYPT), seq(octets(salt), integer(cost), integer(block_size), integer(parallelization)))


def pbes2_encrypt(plaintext: bytes, password: str, iterations: int, *, prf: str = "sha256") -> tuple[bytes, bytes]:
    """``(AlgorithmIdentifier, ciphertext)``: PBKDF2 (HMAC-SHA256 as OpenSSL 3 writes, or ``prf``) and
    AES-256-CBC."""
    salt, iv = os.urandom(16), os.urandom(16)
    algorithm = {"sha256": hashes.SHA256(), "sha512": hashes.SHA512()}[prf]
    key = PBKDF2HMAC(algorithm, 32, salt, iterations).derive(password.encode())
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padder.update(plaintext) + padder.finalize()) + encryptor.finalize()
    return pbes2_algorithm(salt, iterations, iv, prf=prf), ciphertext


# --- PKCS#12 structures ------------------------------------------------------------------------


def cert_bag(cert_der: bytes) -> bytes:
    return seq(oid(OID_CERT_BAG), explicit(0, seq(oid(OID_X509_CERTIFICATE), explicit(0, octets(cert_der)))))


def shrouded_key_bag(algorithm: bytes, ciphertext: bytes) -> bytes:
    return seq(oid(OID_SHROUDED_KEY_BAG), explicit(0, seq(algorithm, octets(ciphertext))))


def encrypted_key_bag(private_key, password: str, iterations: int) -> bytes:
    pkcs8 = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return shrouded_key_bag(*pbes2_encrypt(pkcs8, password, iterations))


def safe_contents_bag(*bags: bytes) -> bytes:
    return seq(oid(OID_SAFE_CONTENTS_BAG), explicit(0, seq(*bags)))


def data_content(*bags: bytes, indefinite: bool = False) -> bytes:
    return seq(oid(OID_DATA), explicit(0, octets(seq(*bags)), indefinite=indefinite), indefinite=indefinite)


def encrypted_content(
    *bags: bytes, password: str, iterations: int, algorithm: bytes | None = None, prf: str = "sha256"
) -> bytes:
    """An EncryptedData ContentInfo; ``algorithm`` replaces the real one (then the content is noise)."""
    if algorithm is None:
        algorithm, ciphertext = pbes2_encrypt(seq(*bags), password, iterations, prf=prf)
    else:
        ciphertext = os.urandom(64)
    info = seq(oid(OID_DATA), algorithm, tlv(0x80, ciphertext))
    return seq(oid(OID_ENCRYPTED_DATA), explicit(0, seq(integer(0), info)))


def mac_data(
    authenticated_safe: bytes,
    password: str | None,
    iterations: int,
    *,
    hash_name: str = "sha256",
    compute: bool = True,
) -> bytes:
    salt = os.urandom(8)
    size = hashlib.new(hash_name).digest_size
    if compute:
        key = pkcs12_kdf(bmp_password(password), salt, 3, iterations, size, hash_name)
        mac = hmac.new(key, authenticated_safe, hash_name).digest()
    else:
        mac = os.urandom(size)
    return seq(seq(seq(oid(HASH_OIDS[hash_name]), null()), octets(mac)), octets(salt), integer(iterations))


def pbmac1_mac_data(authenticated_safe: bytes, password: str, iterations: int, *, compute: bool = True) -> bytes:
    """RFC 9579: the MAC key from PBKDF2-HMAC-SHA256, the MAC HMAC-SHA256."""
    salt = os.urandom(16)
    if compute:
        key = PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(password.encode())
        mac = hmac.new(key, authenticated_safe, "sha256").digest()
    else:
        mac = os.urandom(32)
    kdf = seq(oid(OID_PBKDF2), seq(octets(salt), integer(iterations), integer(32), seq(oid(OID_HMAC_SHA256), null())))
    algorithm = seq(oid(OID_PBMAC1), seq(kdf, seq(oid(OID_HMAC_SHA256), null())))
    return seq(seq(algorithm, octets(mac)), octets(os.urandom(8)), integer(1))


def pfx(
    contents: Sequence[bytes],
    *,
    password: str | None,
    mac_iterations: int | None = 2048,
    mac_hash: str = "sha256",
    compute_mac: bool = True,
    pbmac1: bool = False,
    indefinite: bool = False,
) -> bytes:
    """A PFX around the ContentInfos ``contents``; ``mac_iterations=None`` leaves the MAC out."""
    authenticated_safe = seq(*contents, indefinite=indefinite)
    parts = [integer(3), seq(oid(OID_DATA), explicit(0, octets(authenticated_safe), indefinite=indefinite),
                             indefinite=indefinite)]
    if mac_iterations is not None:
        if pbmac1:
            assert password is not None
            parts.append(pbmac1_mac_data(authenticated_safe, password, mac_iterations, compute=compute_mac))
        else:
            parts.append(mac_data(authenticated_safe, password, mac_iterations, hash_name=mac_hash,
                                  compute=compute_mac))
    return seq(*parts, indefinite=indefinite)


def ordinary_pfx(
    cert_der: bytes,
    private_key,
    *,
    password: str,
    iterations: int = 2048,
    mac_iterations: int | None = None,
    compute_mac: bool = True,
    indefinite: bool = False,
) -> bytes:
    """What OpenSSL 3 writes: the certificate in an encrypted part, the key in a shrouded bag."""
    return pfx(
        [
            encrypted_content(cert_bag(cert_der), password=password, iterations=iterations),
            data_content(encrypted_key_bag(private_key, password, iterations), indefinite=indefinite),
        ],
        password=password,
        mac_iterations=iterations if mac_iterations is None else mac_iterations,
        compute_mac=compute_mac,
        indefinite=indefinite,
    )


# --- JCEKS -------------------------------------------------------------------------------------

OID_JCEKS_KEY_PROTECTION = "1.3.6.1.4.1.42.2.19.1"  # Sun's PBEWithMD5AndTripleDES


def jceks_encrypted_key(iterations: int) -> bytes:
    """A JCEKS key entry's EncryptedPrivateKeyInfo; the ciphertext is noise (the console never decrypts)."""
    algorithm = seq(oid(OID_JCEKS_KEY_PROTECTION), seq(octets(os.urandom(8)), integer(iterations)))
    return seq(algorithm, octets(os.urandom(1232)))


def jceks(entries: Sequence[tuple[str, bytes, Sequence[bytes]]], password: str) -> bytes:
    """A JCEKS keystore of private key entries ``(alias, EncryptedPrivateKeyInfo, chain DER)``, with
    the keystore's integrity hash, as Java's JceKeyStore writes it."""

    def utf(text: str) -> bytes:
        data = text.encode()
        return struct.pack(">H", len(data)) + data

    out = b"\xce\xce\xce\xce" + struct.pack(">II", 2, len(entries))
    for alias, encrypted_key, chain in entries:
        out += struct.pack(">I", 1) + utf(alias) + struct.pack(">Q", 1_780_000_000_000)
        out += struct.pack(">I", len(encrypted_key)) + encrypted_key + struct.pack(">I", len(chain))
        for der in chain:
            out += utf("X.509") + struct.pack(">I", len(der)) + der
    return out + hashlib.sha1(password.encode("utf-16-be") + b"Mighty Aphrodite" + out).digest()
