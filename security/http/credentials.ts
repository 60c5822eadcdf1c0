/**
 * Mesos's HTTP credentials file (`--credentials FILE`): `{"credentials":[{"principal":…,"secret":…}]}`,
 * checked with zod. Pure: the caller reads the file and passes its text and name. A bad file is a
 * CredentialsError that says where it is wrong and what the file should look like.
 */
import { z } from 'zod';

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

export const Credential = z
  .object({
    principal: z
      .string()
      .min(1, 'a principal must not be empty')
      .refine((p) => !p.includes(':'), 'a principal must not contain ":" (HTTP Basic splits principal and secret at the first ":")'),
    secret: z.string().min(1, 'a secret must not be empty'),
  })
  .strict();
export type Credential = z.infer<typeof Credential>;

export const CredentialsFile = z.object({ credentials: z.array(Credential) }).strict();

const SHAPE = '{"credentials":[{"principal":"…","secret":"…"}]}';

function issues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`).join('; ');
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CredentialsError(`${source} is not JSON (${(e as Error).message}); it should look like ${SHAPE}`);
  }
}

/** The credentials a server accepts. Each principal appears once. */
export function parseCredentials(text: string, source: string): readonly Credential[] {
  const parsed = CredentialsFile.safeParse(parseJson(text, source));
  if (!parsed.success) throw new CredentialsError(`${source} is not a Mesos credentials file: ${issues(parsed.error)}; it should look like ${SHAPE}`);
  const seen = new Set<string>();
  for (const c of parsed.data.credentials) {
    if (seen.has(c.principal)) throw new CredentialsError(`${source}: principal '${c.principal}' is listed more than once; give each principal one secret`);
    seen.add(c.principal);
  }
  if (parsed.data.credentials.length === 0) throw new CredentialsError(`${source} lists no credentials; add at least one, e.g. ${SHAPE}`);
  return parsed.data.credentials;
}

/**
 * The credential a client presents, from a file in either of Mesos's forms: one credential
 * (`{"principal":…,"secret":…}`, as Mesos's `--credential`) or a credentials list (then the one
 * of `principal`; without it, the only one, else the one named `operator`).
 */
export function pickCredential(text: string, source: string, principal: string | undefined): Credential {
  const raw = parseJson(text, source);
  const single = Credential.safeParse(raw);
  if (single.success) {
    if (principal !== undefined && principal !== single.data.principal) {
      throw new CredentialsError(`${source} holds the credential of '${single.data.principal}', not of '${principal}'`);
    }
    return single.data;
  }
  const list = parseCredentials(text, source);
  if (principal !== undefined) {
    const c = list.find((x) => x.principal === principal);
    if (c === undefined) throw new CredentialsError(`${source} has no credential for principal '${principal}' (it has ${list.map((x) => `'${x.principal}'`).join(', ')})`);
    return c;
  }
  if (list.length === 1) return list[0]!;
  const op = list.find((x) => x.principal === 'operator');
  if (op !== undefined) return op;
  throw new CredentialsError(`${source} holds several credentials (${list.map((x) => `'${x.principal}'`).join(', ')}); say which with --principal`);
}
