/**
 * Persistent volumes on the agent. A volume's data lives outside any sandbox, at
 * `<work-dir>/volumes/roles/<role>/<persistence id>` (as in Mesos), so it outlives the tasks that
 * use it; a task whose resources include a volume finds it at `<sandbox>/<container path>`, a
 * symbolic link to that directory, made before the task starts.
 */
import { lstat, mkdir, readlink, symlink } from 'node:fs/promises';
import { posix as path } from 'node:path';
import type { Resources } from '../events/index.js';
import { reservedRole } from '../kernel/core/resources.js';
import { SandboxError } from './sandbox.js';

/** Where a volume's data lives. */
export function volumePath(workDir: string, role: string, persistenceId: string): string {
  const parts = role.split('/');
  if (persistenceId === '' || persistenceId === '.' || persistenceId === '..' || persistenceId.includes('/') || persistenceId.includes('\0')) {
    throw new SandboxError('INVALID_PATH_COMPONENT', `volume id ${JSON.stringify(persistenceId)} cannot be used as a directory name`);
  }
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) {
    throw new SandboxError('INVALID_PATH_COMPONENT', `role ${JSON.stringify(role)} cannot be used as a path`);
  }
  return path.join(workDir, 'volumes', 'roles', ...parts, persistenceId);
}

/**
 * Make each volume in a task's resources available in its sandbox (creating the volume's directory
 * the first time). Returns the links made. Throws SandboxError with what is wrong.
 */
export async function prepareVolumes(workDir: string, sandbox: string, resources: Resources): Promise<string[]> {
  const links: string[] = [];
  for (const r of resources) {
    if (r.type !== 'SCALAR' || r.disk?.persistence === undefined || r.disk.volume === undefined) continue;
    const containerPath = r.disk.volume.containerPath;
    if (containerPath.startsWith('/') || containerPath.split('/').includes('..')) {
      throw new SandboxError('INVALID_PATH_COMPONENT', `volume container path ${JSON.stringify(containerPath)} must be relative and stay in the sandbox`);
    }
    const source = volumePath(workDir, reservedRole(r), r.disk.persistence.id);
    const target = path.join(sandbox, containerPath);
    try {
      await mkdir(source, { recursive: true, mode: 0o755 });
      await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
      const existing = await lstat(target).catch(() => null);
      if (existing === null) await symlink(source, target, 'dir');
      else if (!existing.isSymbolicLink() || (await readlink(target)) !== source) {
        throw new Error(`${target} exists and is not this volume's link`);
      }
    } catch (err) {
      throw new SandboxError('SANDBOX_CREATE_FAILED', `cannot mount volume ${r.disk.persistence.id} at ${containerPath}: ${(err as Error).message}`, { cause: err });
    }
    links.push(target);
  }
  return links;
}
