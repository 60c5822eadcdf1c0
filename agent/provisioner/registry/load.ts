/** The agent's registry files, read once at start: the CA (`--docker-registry-ca`) and Docker's config.json (`--docker-config`). */
import { readFile } from 'node:fs/promises';
import { ProvisionError } from '../errors.js';
import { DockerConfig } from './auth.js';

export async function loadRegistryCa(file: string): Promise<string> {
  const pem = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new ProvisionError('REGISTRY_FAILED', `--docker-registry-ca ${file}: cannot be read: ${(err as Error).message}`, { cause: err });
  });
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ProvisionError('REGISTRY_FAILED', `--docker-registry-ca ${file}: holds no PEM certificate`);
  return pem;
}

export async function loadDockerConfig(file: string): Promise<DockerConfig> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new ProvisionError('REGISTRY_FAILED', `--docker-config ${file}: cannot be read: ${(err as Error).message}`, { cause: err });
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProvisionError('REGISTRY_FAILED', `--docker-config ${file}: is not JSON (Docker's config.json shape: {"auths": {"host:port": {"auth": base64("user:password")}}})`, { cause: err });
  }
  const parsed = DockerConfig.safeParse(json);
  if (!parsed.success) throw new ProvisionError('REGISTRY_FAILED', `--docker-config ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
