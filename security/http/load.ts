/**
 * Reading the files behind `--credentials` and `--acls` (the only I/O of this room). Errors say
 * which file and why; a credentials file others can read is refused, as it holds secrets.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseAcls, type Acls, AclsError } from './acls.js';
import { type Credential, CredentialsError, parseCredentials, pickCredential } from './credentials.js';

function read(path: string, flag: string, ErrorType: new (m: string) => Error): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ErrorType(`${flag} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

/** `--credentials FILE`. Refuses a file that group or others may read (chmod 600 it). */
export function loadCredentials(path: string, flag = '--credentials'): readonly Credential[] {
  const text = read(path, flag, CredentialsError);
  const mode = statSync(path).mode & 0o077;
  if (mode !== 0) throw new CredentialsError(`${flag} ${path} can be read by others (mode ${(statSync(path).mode & 0o777).toString(8)}); it holds secrets: chmod 600 ${path}`);
  return parseCredentials(text, `${flag} ${path}`);
}

export function loadAcls(path: string, flag = '--acls'): Acls {
  return parseAcls(read(path, flag, AclsError), `${flag} ${path}`);
}

/** A client's credential file (one credential, or a list and the principal to pick). */
export function loadClientCredential(path: string, principal: string | undefined, flag: string): Credential {
  return pickCredential(read(path, flag, CredentialsError), `${flag} ${path}`, principal);
}
