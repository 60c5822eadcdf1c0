/**
 * Running a task as another user (Mesos `CommandInfo.user`): resolving the user through NSS
 * (`getent passwd`, falling back to /etc/passwd) and the argv prefix that drops root privileges
 * right before exec (util-linux `setpriv`), after the launch wrapper has joined the cgroups as
 * root.
 */
import { execFile } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import { posix as path } from 'node:path';
import { errnoCode, IsolationError } from './errors.js';

export interface UserInfo {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** One `/etc/passwd` line: `name:password:uid:gid:gecos:home:shell`. */
export function parsePasswdLine(line: string): UserInfo | undefined {
  const f = line.trim().split(':');
  if (f.length < 7) return undefined;
  const [name, , uid, gid, , home] = f;
  if (name === undefined || uid === undefined || gid === undefined || home === undefined) return undefined;
  if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) return undefined;
  return { name, uid: Number(uid), gid: Number(gid), home };
}

/** Finds `user` (a name or a numeric uid) in passwd-format text. */
export function findInPasswd(text: string, user: string): UserInfo | undefined {
  const entries = text.split('\n').map(parsePasswdLine).filter((u): u is UserInfo => u !== undefined);
  return entries.find((u) => u.name === user) ?? entries.find((u) => /^\d+$/.test(user) && u.uid === Number(user));
}

function getent(user: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile('getent', ['passwd', user], { timeout: 5_000 }, (err, stdout) => {
      if (err === null) resolve(stdout);
      else if (errnoCode(err) === 'ENOENT') reject(err);
      else resolve(undefined); // exit 2: no such user
    });
  });
}

export async function resolveUser(user: string): Promise<UserInfo> {
  let found: UserInfo | undefined;
  try {
    const line = await getent(user);
    found = line === undefined ? undefined : parsePasswdLine(line);
  } catch {
    const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
    found = findInPasswd(passwd, user);
  }
  if (found === undefined) {
    throw new IsolationError('USER_NOT_FOUND', `user ${JSON.stringify(user)} does not exist on this agent`);
  }
  return found;
}

/** Directories searched for helper binaries (the agent does not trust its own PATH). */
export const SYSTEM_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export async function findExecutable(name: string, dirs: readonly string[] = SYSTEM_BIN_DIRS): Promise<string | undefined> {
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/** argv prefix that execs the rest as `user` with its groups: `setpriv --reuid --regid --init-groups --`. */
export function dropPrivilegesArgv(setpriv: string, user: UserInfo): string[] {
  return [setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--'];
}

/**
 * What it takes to run a command as `user` from this process: nothing if we already are that
 * user, a setpriv prefix if we are root, an error otherwise.
 */
export async function userSwitch(
  user: UserInfo,
  self: { uid: number } = { uid: process.getuid?.() ?? -1 },
): Promise<readonly string[]> {
  if (self.uid === user.uid) return [];
  if (self.uid !== 0) {
    throw new IsolationError(
      'USER_SWITCH_NOT_PERMITTED',
      `cannot run the task as ${user.name} (uid ${user.uid}): the agent runs as uid ${self.uid}, only root can switch users`,
    );
  }
  const setpriv = await findExecutable('setpriv');
  if (setpriv === undefined) {
    throw new IsolationError(
      'USER_SWITCH_UNAVAILABLE',
      `cannot run the task as ${user.name}: setpriv (util-linux) not found in ${SYSTEM_BIN_DIRS.join(':')}`,
    );
  }
  return dropPrivilegesArgv(setpriv, user);
}
