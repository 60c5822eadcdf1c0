/**
 * TLS material given as files (`--tls-cert`, `--tls-key`, `--tls-ca`), read once at start and
 * checked there, so that a wrong path or a key that is not the certificate's is a clear error at
 * start, not a failed handshake later.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { z } from 'zod';

export class TlsError extends Error {
  override readonly name = 'TlsError';
  constructor(
    readonly code: 'TLS_FILE_UNREADABLE' | 'TLS_FILE_INVALID' | 'TLS_KEY_MISMATCH' | 'TLS_INCOMPLETE' | 'TLS_CA_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The three paths; a server needs cert and key, a client only the CA. */
export const TlsFiles = z.object({
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
});
export type TlsFiles = z.infer<typeof TlsFiles>;

/** What node:tls / node:https servers take. */
export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Client certificates signed by it are accepted (not required). */
  readonly ca?: Buffer;
}

function read(path: string, what: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new TlsError('TLS_FILE_UNREADABLE', `cannot read the ${what} ${path} (${flag}): ${(cause as Error).message}`, { cause });
  }
}

function certificate(pem: Buffer, path: string, flag: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (cause) {
    throw new TlsError('TLS_FILE_INVALID', `${path} (${flag}) is not a PEM certificate: ${(cause as Error).message}`, { cause });
  }
}

/** The CA's PEM, checked, for a client that verifies its servers against it. */
export function loadCa(path: string): Buffer {
  const pem = read(path, 'CA certificate', '--tls-ca');
  certificate(pem, path, '--tls-ca');
  return pem;
}

/**
 * A server's certificate and key (and the CA, when given). Undefined when no file is given (plain
 * TCP); an error when only some are, or the key does not belong to the certificate.
 */
export function loadServerTls(files: TlsFiles): ServerTls | undefined {
  // No certificate: plain HTTP (a CA alone is for the process's own client connections).
  if (files.cert === undefined && files.key === undefined) return undefined;
  if (files.cert === undefined || files.key === undefined) {
    throw new TlsError('TLS_INCOMPLETE', `give both --tls-cert and --tls-key (got only ${files.cert !== undefined ? '--tls-cert' : '--tls-key'})`);
  }
  const cert = read(files.cert, 'certificate', '--tls-cert');
  const key = read(files.key, 'private key', '--tls-key');
  const x509 = certificate(cert, files.cert, '--tls-cert');
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (cause) {
    throw new TlsError('TLS_FILE_INVALID', `${files.key} (--tls-key) is not a PEM private key: ${(cause as Error).message}`, { cause });
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsError('TLS_KEY_MISMATCH', `the key ${files.key} (--tls-key) does not belong to the certificate ${files.cert} (--tls-cert)`);
  }
  return files.ca !== undefined ? { cert, key, ca: loadCa(files.ca) } : { cert, key };
}
