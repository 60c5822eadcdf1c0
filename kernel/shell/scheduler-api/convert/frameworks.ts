/** The Mesos scheduler API's JSON and ours: frameworkInfo (see index.ts). */
import { roleError } from '../../../core/roles.js';
import { z } from 'zod';
import { type FrameworkCapability, FrameworkId, FrameworkInfo } from '../../../../events/index.js';
import { type MesosFrameworkInfo, type MesosSubscribe } from '../wire.js';
import { id, issuesText, labelsFromMesos, labelsToMesos } from './common.js';
import { MesosFrameworkInfoJson } from './json.js';
import { offerConstraintsFromMesos } from './offer-constraints.js';

export type FrameworkInfoResult =
  | { readonly ok: true; readonly info: FrameworkInfo; readonly id?: FrameworkId }
  | { readonly ok: false; readonly error: string };

/** Largest failover_timeout Mesos accepts: its Duration is int64 nanoseconds. */
const MAX_FAILOVER_TIMEOUT_SECONDS = 9_223_372_036;

/**
 * Mesos FrameworkInfo → ours (and the framework id it carries, when resubscribing). Applies the
 * master's checks: `role` only without MULTI_ROLE, `roles` only with it, no duplicate or invalid
 * roles, a failover_timeout that fits a Duration and is not negative. An
 * empty role list counts as ["*"]. `offer_filters` are ignored.
 */
export function frameworkInfoFromMesos(fi: MesosFrameworkInfo): FrameworkInfoResult {
  const fail = (error: string): FrameworkInfoResult => ({ ok: false, error });

  const capabilities = [
    ...new Set(fi.capabilities.map((c) => c.type).filter((t): t is FrameworkCapability => t !== 'UNKNOWN')),
  ];
  const multiRole = capabilities.includes('MULTI_ROLE');
  let roles: string[];
  if (multiRole) {
    if (fi.role !== undefined) return fail("'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable");
    const dup = fi.roles.find((r, i) => fi.roles.indexOf(r) !== i);
    if (dup !== undefined) return fail(`'FrameworkInfo.roles' contains duplicate items: ${dup}`);
    for (const r of fi.roles) {
      const bad = roleError(r);
      if (bad !== undefined) return fail(`'FrameworkInfo.roles' contains invalid role: ${bad}`);
    }
    roles = fi.roles.length > 0 ? [...fi.roles] : ['*'];
  } else {
    if (fi.roles.length > 0) return fail("'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable");
    const role = fi.role ?? '*';
    const bad = roleError(role);
    if (bad !== undefined) return fail(`'FrameworkInfo.role' is not a valid role: ${bad}`);
    roles = [role];
  }

  const seconds = fi.failover_timeout ?? 0;
  if (!Number.isFinite(seconds) || Math.abs(seconds) > MAX_FAILOVER_TIMEOUT_SECONDS) {
    return fail(`The framework failover_timeout (${seconds}) is invalid`);
  }
  // Mesos lets a negative one through and treats it as 0; it is always a mistake, so say so.
  if (seconds < 0) return fail(`The framework failover_timeout (${seconds}) is invalid: it must not be negative (0 means no failover)`);

  let frameworkId: FrameworkId | undefined;
  if (fi.id !== undefined && fi.id.value !== '') {
    const parsed = FrameworkId.safeParse(fi.id.value);
    if (!parsed.success) return fail(`'FrameworkInfo.id' ('${fi.id.value}') is not a framework id this master issues`);
    frameworkId = parsed.data;
  }

  const labels = labelsFromMesos(fi.labels);
  const candidate: z.input<typeof FrameworkInfo> = {
    name: fi.name,
    user: fi.user,
    roles,
    failoverTimeoutMs: Math.round(seconds * 1000),
    checkpoint: fi.checkpoint ?? false,
    capabilities,
    ...(fi.hostname !== undefined ? { hostname: fi.hostname } : {}),
    ...(fi.principal !== undefined ? { principal: fi.principal } : {}),
    ...(fi.webui_url !== undefined ? { webuiUrl: fi.webui_url } : {}),
    ...(labels !== undefined ? { labels } : {}),
  };
  const checked = FrameworkInfo.safeParse(candidate);
  if (!checked.success) {
    return fail(`invalid FrameworkInfo: ${issuesText(checked.error, { webuiUrl: 'webui_url', failoverTimeoutMs: 'failover_timeout' })}`);
  }
  return frameworkId === undefined ? { ok: true, info: checked.data } : { ok: true, info: checked.data, id: frameworkId };
}

export type SubscribeResult =
  | {
      readonly ok: true;
      readonly info: FrameworkInfo;
      readonly id?: FrameworkId;
      readonly suppressedRoles: readonly string[];
    }
  | { readonly ok: false; readonly error: string };

/**
 * A SUBSCRIBE (or UPDATE_FRAMEWORK) body: the FrameworkInfo, plus the suppressed roles, which must
 * be among the framework's roles.
 */
export function subscribeFromMesos(sub: Pick<MesosSubscribe, 'framework_info' | 'suppressed_roles'> & Partial<Pick<MesosSubscribe, 'offer_constraints'>>): SubscribeResult {
  const fi = frameworkInfoFromMesos(sub.framework_info);
  if (!fi.ok) return fi;
  const stray = [...new Set(sub.suppressed_roles)].filter((r) => !fi.info.roles.includes(r));
  if (stray.length > 0) {
    return { ok: false, error: `Suppressed roles { ${stray.join(', ')} } are not contained in the set of roles` };
  }
  const oc = offerConstraintsFromMesos(sub.offer_constraints, fi.info.roles);
  if (!oc.ok) return oc;
  const info = oc.constraints === undefined ? fi.info : { ...fi.info, offerConstraints: oc.constraints };
  return { ...fi, info, suppressedRoles: [...new Set(sub.suppressed_roles)] };
}

/** Ours → Mesos FrameworkInfo: `roles` for MULTI_ROLE frameworks, the single `role` otherwise. */
export function frameworkInfoToMesos(ours: FrameworkInfo, frameworkId: string): MesosFrameworkInfoJson {
  const multiRole = ours.capabilities.includes('MULTI_ROLE');
  const labels = labelsToMesos(ours.labels);
  return {
    user: ours.user,
    name: ours.name,
    id: id(frameworkId),
    failover_timeout: ours.failoverTimeoutMs / 1000,
    checkpoint: ours.checkpoint,
    ...(multiRole ? { roles: [...ours.roles] } : { role: ours.roles[0] ?? '*' }),
    ...(ours.hostname !== undefined ? { hostname: ours.hostname } : {}),
    ...(ours.principal !== undefined ? { principal: ours.principal } : {}),
    ...(ours.webuiUrl !== undefined ? { webui_url: ours.webuiUrl } : {}),
    ...(ours.capabilities.length > 0 ? { capabilities: ours.capabilities.map((type) => ({ type })) } : {}),
    ...(labels !== undefined ? { labels } : {}),
  };
}
