/**
 * Writing the agent's own files so that a crash (of the agent or of the machine) leaves either the
 * old content or the new one, never a mix: write a temp file, fsync it, rename it over the file,
 * fsync the directory.
 */
import { open, rename } from 'node:fs/promises';
import { posix as path } from 'node:path';

export async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

export async function writeFileDurably(file: string, content: string, mode = 0o600): Promise<void> {
  const tmp = `${file}.tmp`;
  const h = await open(tmp, 'w', mode);
  try {
    await h.write(content);
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, file);
  await syncDir(path.dirname(file));
}
