/**
 * NATS nkeys (ed25519 keys in NATS's text form) signed and verified with Node's own crypto.
 *
 * `@nats-io/nkeys` does ed25519 in pure JavaScript (tweetnacl): every `sign`, `verify` and
 * `getPublicKey` re-derives the key pair, 10–50 ms of CPU each. A secured connect signs the
 * server's nonce (and derives the public key) and reading a `.creds` file verifies its JWT, so every
 * process, test and benchmark paid ~80 ms of CPU per connection. OpenSSL does the same in ~50 µs.
 * Signatures are identical (ed25519 is deterministic): the unit test checks both ways against
 * `@nats-io/nkeys`.
 *
 * The text form: base32 (no padding) of prefix byte(s) ‖ 32-byte key ‖ CRC-16/XMODEM (little
 * endian) of what precedes it. A public key has one prefix byte (the role); a seed two (the seed
 * marker 'S' and the role packed into them).
 */
import { type KeyObject, createPrivateKey, createPublicKey, randomBytes, sign as edSign, verify as edVerify } from 'node:crypto';

/** The roles of nkeys we use, with their prefix bytes (base32 letter << 3). */
export const ROLES = { operator: 14 << 3, account: 0, user: 20 << 3, server: 13 << 3 } as const;
export type Role = keyof typeof ROLES;

const SEED_PREFIX = 18 << 3;
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

export class NKeyError extends Error {
  override readonly name = 'NKeyError';
}

function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** RFC 4648 base32, no padding. */
export function base32(data: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new NKeyError(`not an nkey: ${JSON.stringify(ch)} is not a base32 character`);
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

function encode(prefix: Uint8Array, key: Uint8Array): string {
  const body = Buffer.concat([prefix, key]);
  const crc = crc16(body);
  return base32(Buffer.concat([body, Buffer.from([crc & 0xff, crc >>> 8])]));
}

/** Decode an nkey's text (checking its checksum) into its prefix bytes and its 32-byte key. */
function decode(text: string, prefixLength: 1 | 2): { prefix: Uint8Array; key: Uint8Array } {
  const raw = unbase32(text.trim());
  if (raw.length !== prefixLength + 32 + 2) throw new NKeyError(`not an nkey: ${raw.length} bytes decoded, expected ${prefixLength + 34}`);
  const body = raw.subarray(0, raw.length - 2);
  const crc = raw[raw.length - 2]! | (raw[raw.length - 1]! << 8);
  if (crc16(body) !== crc) throw new NKeyError('not an nkey: its checksum does not match');
  return { prefix: body.subarray(0, prefixLength), key: body.subarray(prefixLength) };
}

function roleOf(prefixByte: number): Role {
  const role = (Object.keys(ROLES) as Role[]).find((r) => ROLES[r] === prefixByte);
  if (role === undefined) throw new NKeyError(`an nkey of an unknown role (prefix byte ${prefixByte})`);
  return role;
}

/** The public key of `publicKey` (an nkey's public text, e.g. a JWT's `iss`) as a key object. */
function publicKeyObject(publicKey: string): KeyObject {
  const { prefix, key } = decode(publicKey, 1);
  roleOf(prefix[0]!);
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, key]), format: 'der', type: 'spki' });
}

/** Whether `signature` is `publicKey`'s ed25519 signature of `data`. False for a malformed key. */
export function verifyNKey(publicKey: string, data: Uint8Array, signature: Uint8Array): boolean {
  let key: KeyObject;
  try {
    key = publicKeyObject(publicKey);
  } catch {
    return false;
  }
  return signature.length === 64 && edVerify(null, data, key, signature);
}

/** A key pair held as its seed: signs with OpenSSL's ed25519. */
export class NKey {
  readonly role: Role;
  /** The public key's text (what JWTs name as `iss` and `sub`). */
  readonly publicKey: string;
  private readonly privateKey: KeyObject;

  private constructor(readonly seed: string) {
    const { prefix, key } = decode(seed, 2);
    if ((prefix[0]! & 0xf8) !== SEED_PREFIX) throw new NKeyError('not an nkey seed: it does not start with S');
    this.role = roleOf(((prefix[0]! & 7) << 5) | ((prefix[1]! & 0xf8) >> 3));
    this.privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, key]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(this.privateKey).export({ format: 'der', type: 'spki' });
    this.publicKey = encode(Uint8Array.of(ROLES[this.role]), spki.subarray(spki.length - 32));
  }

  /** The key of a seed's text (`S…`, as in a `.seed` or `.creds` file). */
  static fromSeed(seed: string | Uint8Array): NKey {
    return new NKey(typeof seed === 'string' ? seed.trim() : new TextDecoder().decode(seed).trim());
  }

  /** A new random key of a role. */
  static create(role: Role): NKey {
    const r = ROLES[role];
    const prefix = Uint8Array.of(SEED_PREFIX | (r >> 5), (r & 31) << 3);
    return new NKey(encode(prefix, randomBytes(32)));
  }

  sign(data: Uint8Array): Uint8Array {
    return edSign(null, data, this.privateKey);
  }

  verify(data: Uint8Array, signature: Uint8Array): boolean {
    return verifyNKey(this.publicKey, data, signature);
  }
}

/**
 * A NATS client authenticator for a `.creds` text (user JWT and seed): the same answer as
 * `credsAuthenticator` of the NATS client (the JWT, the public key, the nonce's signature), signed
 * natively. The seed is parsed once.
 */
export function credsAuthenticatorOf(jwt: string, seed: string): (nonce?: string) => { jwt: string; nkey: string; sig: string } {
  const key = NKey.fromSeed(seed);
  return (nonce?: string) => ({
    jwt,
    nkey: key.publicKey,
    // Standard base64, padded, as the NATS client sends it.
    sig: nonce ? Buffer.from(key.sign(new TextEncoder().encode(nonce))).toString('base64') : '',
  });
}
