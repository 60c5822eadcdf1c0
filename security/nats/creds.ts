/** Reading a `.creds` file: who it makes the holder (name, party) and its inbox prefix. */
import { readFileSync } from 'node:fs';
import { inboxPrefix } from '../../events/index.js';
import { JwtError, type UserNats, decodeJwt, parseCreds } from './jwt.js';
import { credsAuthenticatorOf } from './nkey.js';
import { PARTIES, type Party } from './permissions.js';

export interface CredsIdentity {
  /** The user's name: an agent's or framework's id for those parties. */
  name: string;
  /** Our party, from the `party:` tag (undefined for creds made elsewhere, e.g. by nsc). */
  party: Party | undefined;
  /** The inbox prefix this user may subscribe to (ours: `_INBOX_<name>`; else NATS's default). */
  inboxPrefix: string | undefined;
  /** The file's text, for the client's authenticator. */
  text: string;
}

export function credsIdentity(text: string, source = 'the credentials'): CredsIdentity {
  let claims;
  try {
    claims = decodeJwt<UserNats>(parseCreds(text).jwt);
  } catch (err) {
    throw new JwtError(`${source}: ${(err as Error).message}`);
  }
  if (claims.nats?.type !== 'user') throw new JwtError(`${source}: not a user's credentials (its JWT is a ${String(claims.nats?.type)})`);
  const tag = (claims.nats.tags ?? []).find((t) => t.startsWith('party:'))?.slice('party:'.length);
  const party = PARTIES.find((p) => p === tag);
  return { name: claims.name, party, inboxPrefix: party !== undefined ? inboxPrefix(claims.name) : undefined, text };
}

export function readCredsFile(file: string): CredsIdentity {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new JwtError(`cannot read the credentials file ${file}: ${(err as Error).message}`);
  }
  return credsIdentity(text, file);
}

/**
 * The NATS client authenticator of a `.creds` text (use it for `connect({ authenticator })`): what
 * the client's own `credsAuthenticator` answers, signed with Node's ed25519 rather than JavaScript's
 * (see nkey.ts: ~50 µs rather than tens of milliseconds per connect).
 */
export function authenticatorOf(text: string): ReturnType<typeof credsAuthenticatorOf> {
  const { jwt, seed } = parseCreds(text);
  return credsAuthenticatorOf(jwt, seed);
}
