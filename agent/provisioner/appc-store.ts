/**
 * APPC images (`mesos.image.type: APPC`) from a local store directory (`--appc-store DIR`), found
 * by name and labels as App Container's simple discovery names them: `DIR/<name>-<version>-<os>-
 * <arch>.aci` (labels `version`, default `latest`; `os`, default `linux`; `arch`, default
 * `amd64`). An ACI is a tar (plain or gzip) of a `manifest` (JSON, `acKind: ImageManifest`) and the
 * root under `rootfs/`. The manifest must name the image and agree with every label asked for; an
 * image with dependencies is refused (this store does not resolve them). Its content address is the
 * sha256 of the file, so it is cached like a one-layer image; the manifest's `app` gives the exec,
 * environment and working directory (as a Docker config's Entrypoint, Env and WorkingDir).
 */
import { stat } from 'node:fs/promises';
import { posix as path } from 'node:path';
import * as tar from 'tar';
import { z } from 'zod';
import { ProvisionError } from './errors.js';
import type { ImageRuntimeConfig } from './image-config.js';
import { digestOfFile, type ResolvedImage } from './image-store.js';

/** App Container names: lower case letters, digits and `-._~/`, no empty or dot-only segment. */
const ACNAME = /^[a-z0-9]+(?:[-._~/][a-z0-9]+)*$/;

const AciManifest = z.object({
  acKind: z.literal('ImageManifest'),
  name: z.string(),
  labels: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
  app: z
    .object({
      exec: z.array(z.string()).optional(),
      workingDirectory: z.string().optional(),
      environment: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
      user: z.string().optional(),
    })
    .optional(),
  dependencies: z.array(z.unknown()).optional(),
});

export const APPC_DEFAULT_LABELS = { version: 'latest', os: 'linux', arch: 'amd64' } as const;

/** The file simple discovery names for `name` with `labels` (relative to the store). */
export function aciFileName(name: string, labels: Readonly<Record<string, string>> = {}): string {
  const l: Record<string, string> = { ...APPC_DEFAULT_LABELS, ...labels };
  return `${name}-${l.version!}-${l.os!}-${l.arch!}.aci`;
}

export async function resolveAppcImage(store: string, name: string, labels: Readonly<Record<string, string>> = {}): Promise<ResolvedImage> {
  const l: Record<string, string> = { ...APPC_DEFAULT_LABELS, ...labels };
  const text = `${name}:${l.version!}`;
  const bad = (code: 'IMAGE_NAME_INVALID' | 'IMAGE_NOT_FOUND' | 'IMAGE_INVALID', why: string): never => {
    throw new ProvisionError(code, `appc image ${text}: ${why}`);
  };
  if (!ACNAME.test(name) || name.split('/').some((x) => x === '.' || x === '..')) bad('IMAGE_NAME_INVALID', 'not a valid App Container name (lower case letters, digits, - . _ ~ /)');
  for (const [k, v] of Object.entries(l)) if (v.includes('/') || v === '..' || v === '') bad('IMAGE_NAME_INVALID', `label ${k}=${JSON.stringify(v)} cannot name a file`);
  const file = path.join(store, aciFileName(name, labels));
  const st = await stat(file).catch(() => undefined);
  if (st === undefined || !st.isFile()) bad('IMAGE_NOT_FOUND', `not in the APPC store ${store} (looked for ${path.relative(store, file)}: simple discovery's <name>-<version>-<os>-<arch>.aci)`);
  let manifestText: string | undefined;
  try {
    await tar.t({
      file,
      onReadEntry: (e) => {
        if (e.path.replace(/^\.\//, '') === 'manifest' && e.type === 'File' && (e.size ?? 0) < 1024 * 1024) {
          const chunks: Buffer[] = [];
          e.on('data', (c: Buffer) => chunks.push(c));
          e.on('end', () => (manifestText = Buffer.concat(chunks).toString('utf8')));
        } else e.resume();
      },
    });
  } catch (err) {
    bad('IMAGE_INVALID', `${file} is not a readable tar archive: ${(err as Error).message}`);
  }
  if (manifestText === undefined) bad('IMAGE_INVALID', `${file} has no manifest`);
  let json: unknown;
  try {
    json = JSON.parse(manifestText!);
  } catch {
    bad('IMAGE_INVALID', 'its manifest is not JSON');
  }
  const parsed = AciManifest.safeParse(json);
  if (!parsed.success) bad('IMAGE_INVALID', `its manifest is not an ImageManifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const m = parsed.data!;
  if (m.name !== name) bad('IMAGE_INVALID', `${file} holds the image ${JSON.stringify(m.name)}, not ${JSON.stringify(name)}`);
  for (const [k, v] of Object.entries(labels)) {
    const has = m.labels?.find((x) => x.name === k)?.value;
    if (has !== undefined && has !== v) bad('IMAGE_INVALID', `its manifest says ${k}=${has}, not ${v}`);
  }
  if ((m.dependencies ?? []).length > 0) bad('IMAGE_INVALID', 'it has dependencies, which this agent does not resolve (flatten the image into one ACI)');
  const id = await digestOfFile(file, false);
  const config: ImageRuntimeConfig = {
    ...(m.app?.exec !== undefined && m.app.exec.length > 0 ? { Entrypoint: m.app.exec } : {}),
    ...(m.app?.environment !== undefined ? { Env: m.app.environment.map((e) => `${e.name}=${e.value}`) } : {}),
    ...(m.app?.workingDirectory !== undefined ? { WorkingDir: m.app.workingDirectory } : {}),
  };
  return {
    ref: { repository: name, tag: l.version!, text },
    format: 'appc',
    config,
    layerCount: 1,
    chainId: id,
    layers: async () => [{ file, id, digestOf: 'blob', prefix: 'rootfs' }],
    release: async () => undefined,
  };
}
