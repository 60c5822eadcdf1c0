/**
 * A local certificate authority for `mesos dev --tls`, made with openssl(1): a CA key and
 * self-signed certificate, and one server certificate it signs for this machine (localhost,
 * 127.0.0.1, ::1 and the host name), used by nats-server, the masters and the agents. Keys are
 * 0600. Re-run on the same directory, it keeps what is there (so clients keep trusting the CA).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TlsError } from './files.js';

export interface LocalCa {
  readonly dir: string;
  /** The CA certificate clients verify with (`--tls-ca`). */
  readonly ca: string;
  /** The server certificate and its key (`--tls-cert`, `--tls-key`). */
  readonly cert: string;
  readonly key: string;
}

function openssl(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', [...args], { cwd, timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err === null) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new TlsError(
          'TLS_CA_FAILED',
          missing ? 'openssl is not installed: `mesos dev --tls` needs it to make a local CA (apt-get install openssl)' : `openssl ${args[0]} failed: ${stderr.trim() || err.message}`,
          { cause: err },
        ),
      );
    });
  });
}

/** Subject alternative names of the server certificate: this machine by every local name. */
export function localNames(host = hostname()): string[] {
  const names = ['DNS:localhost', 'IP:127.0.0.1', 'IP:0:0:0:0:0:0:0:1'];
  if (host !== '' && host !== 'localhost') names.push(/^[\d.]+$/.test(host) ? `IP:${host}` : `DNS:${host}`);
  return names;
}

export async function makeLocalCa(dir: string, o: { days?: number; names?: readonly string[] } = {}): Promise<LocalCa> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const out: LocalCa = { dir, ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server-key.pem') };
  if ([out.ca, out.cert, out.key].every((f) => existsSync(f))) return out;
  const days = String(o.days ?? 825);
  const caKey = join(dir, 'ca-key.pem');
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', out.ca, '-days', days, '-subj', '/CN=mesos-ts local CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const csr = join(dir, 'server.csr');
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', out.key, '-out', csr, '-subj', '/CN=localhost'], dir);
  const ext = join(dir, 'server.ext');
  await writeFile(ext, `subjectAltName=${(o.names ?? localNames()).join(',')}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
  await openssl(['x509', '-req', '-in', csr, '-CA', out.ca, '-CAkey', caKey, '-CAcreateserial', '-out', out.cert, '-days', days, '-sha256', '-extfile', ext], dir);
  await Promise.all([chmod(caKey, 0o600), chmod(out.key, 0o600)]);
  return out;
}
