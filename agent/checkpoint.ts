/**
 * The agent's own durable facts, in its work dir (`meta/agent.json`): its id, and how far it has
 * carried out its command stream (the last agentSeq, and the stream sequence a catch-up read may
 * start from). Written atomically (temp file + fsync + rename + fsync of the directory).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentId } from '../events/index.js';
import { writeFileDurably } from './durable-file.js';

export const AgentCheckpoint = z.object({
  agentId: AgentId,
  /** The last command sequence carried out. */
  lastCommandSeq: z.number().int().nonnegative(),
  /** Stream sequence a catch-up read may start from (every command before it was carried out). */
  catchupFromSeq: z.number().int().positive(),
  resources: z.string(),
});
export type AgentCheckpoint = z.infer<typeof AgentCheckpoint>;

const file = (workDir: string): string => join(workDir, 'meta', 'agent.json');

export async function loadCheckpoint(workDir: string): Promise<AgentCheckpoint | null> {
  let raw: string;
  try {
    raw = await readFile(file(workDir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const parsed = AgentCheckpoint.safeParse(JSON.parse(raw));
  if (!parsed.success) {
    throw new Error(`the agent checkpoint ${file(workDir)} is corrupt (${parsed.error.issues[0]?.message}); move it away to start as a new agent`);
  }
  return parsed.data;
}

/** Atomically and durably (fsync of the file and of the directory). */
export async function saveCheckpoint(workDir: string, c: AgentCheckpoint): Promise<void> {
  await mkdir(join(workDir, 'meta'), { recursive: true });
  await writeFileDurably(file(workDir), JSON.stringify(c));
}
