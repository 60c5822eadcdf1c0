/**
 * How a container's root is made from the cached image rootfs: `overlay` (the cache is the lower
 * layer, the container writes into its own upper directory; nothing copied) when this host can
 * mount overlayfs on the agent's work dir (probed once, in a throw-away mount namespace), else
 * `copy` (the image rootfs copied for each container: slower, more disk; said in the log).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { posix as path } from 'node:path';

export type Backend = 'overlay' | 'copy';

function run(file: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 20_000 }, (err, _out, stderr) => resolve(err === null ? undefined : (stderr || err.message).trim()));
  });
}

/** Resolves with the backend and, for `copy`, why overlay cannot be used. */
export async function probeBackend(dir: string, tools: { unshare?: string; mount?: string }): Promise<{ backend: Backend; why?: string }> {
  if (tools.unshare === undefined || tools.mount === undefined) return { backend: 'copy', why: 'unshare or mount (util-linux) is not installed' };
  const probe = path.join(dir, `overlay-probe-${process.pid}`);
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(path.join(probe, d), { recursive: true });
    await writeFile(path.join(probe, 'lower', 'probe'), 'x');
    const opts = `lowerdir=${probe}/lower,upperdir=${probe}/upper,workdir=${probe}/work`;
    const why = await run(tools.unshare, ['--mount', '--', tools.mount, '-t', 'overlay', 'overlay', '-o', opts, path.join(probe, 'merged')]);
    return why === undefined ? { backend: 'overlay' } : { backend: 'copy', why: `overlayfs cannot be mounted here: ${why}` };
  } catch (err) {
    return { backend: 'copy', why: `overlayfs probe failed: ${(err as Error).message}` };
  } finally {
    await rm(probe, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Copy the image rootfs for one container (cp -a keeps owners, modes, links; reflinks where the filesystem can). */
export async function copyRootfs(cp: string, from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const why = await run(cp, ['-a', '--reflink=auto', `${from}/.`, `${to}/`]);
  if (why !== undefined) throw new Error(`copying the image rootfs failed: ${why}`);
}
