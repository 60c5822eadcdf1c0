/**
 * `GET /metrics`: the flat Mesos `/metrics/snapshot` map written in the Prometheus text exposition
 * format (version 0.0.4). Names are the Mesos keys under `mesos_`, with `/` and other characters
 * outside `[a-zA-Z0-9_]` as `_` (`master/tasks_running` → `mesos_master_tasks_running`); the
 * per-framework and per-role keys become one family each with `framework_name`/`framework_id`/`role`
 * (and `resource`, `type`) labels; a timer's `/p50` … become a `quantile` label. Counters get Prometheus's
 * `_total` suffix. Every family has `# HELP` and `# TYPE`.
 *
 * A small writer rather than prom-client: these values are computed on demand from the projection
 * (a pull of the snapshot), not instruments updated in place, and the family names and labels are
 * derived from Mesos's keys — with prom-client each scrape would rebuild a registry of gauges only to
 * have it print them.
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Sample {
  /** The label set as written, `{a="x",b="y"}`, or empty. */
  readonly labels: string;
  readonly value: number;
}
interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly samples: Sample[];
}

/** Keys that only go up (Mesos's counters); everything else is a gauge. */
const COUNTER_PATTERNS: readonly RegExp[] = [
  /^master\/tasks_(finished|failed|killed|lost|error|dropped|gone|gone_by_operator)$/,
  /^master\/slave_(registrations|reregistrations|removals)(\/.*)?$/,
  /^master\/slave_(shutdowns|unreachable)_(scheduled|completed|canceled)$/,
  /^master\/messages_/,
  /^master\/(valid|invalid)_/,
  /^master\/dropped_messages$/,
  /^master\/operations\/(.+\/)?(total|finished|failed|error|dropped|gone_by_operator)$/,
  /^master\/frameworks\/[^/]+\/[^/]+\/(calls|events|offers|operations|tasks\/terminal)(\/|$)/,
  /^allocator\/mesos\/allocation_runs$/,
  /^allocator\/standby_warm_runs$/,
  /^slave\/(tasks_(finished|failed|killed|lost|gone|dropped)|executors_terminated|commands_|(valid|invalid)_|recovery_errors|container_launch_errors)/,
  /^containerizer\/(mesos\/)?container_destroy_errors$/,
  /^log\/(events_folded|stale_decisions_ignored|accepts_refused|offers_invalid)$/,
];
export const isCounter = (key: string): boolean => COUNTER_PATTERNS.some((p) => p.test(key));

/** Keys that carry labels: the key pattern, the family's key (with the labelled parts cut out), and the labels. */
const LABELLED: readonly { re: RegExp; family: (m: RegExpMatchArray) => string; labels: (m: RegExpMatchArray) => Record<string, string> }[] = [
  {
    re: /^master\/frameworks\/([^/]+)\/([^/]+)\/roles\/(.+)\/suppressed$/,
    family: () => 'master/frameworks/roles/suppressed',
    labels: (m) => ({ framework_name: safeDecode(m[1]!), framework_id: m[2]!, role: m[3]! }),
  },
  {
    re: /^master\/frameworks\/([^/]+)\/([^/]+)\/(.+)$/,
    family: (m) => `master/frameworks/${m[3]!}`,
    labels: (m) => ({ framework_name: safeDecode(m[1]!), framework_id: m[2]! }),
  },
  { re: /^allocator\/mesos\/roles\/(.+)\/shares\/dominant$/, family: () => 'allocator/mesos/roles/shares/dominant', labels: (m) => ({ role: m[1]! }) },
  { re: /^allocator\/mesos\/offer_filters\/roles\/(.+)\/active$/, family: () => 'allocator/mesos/offer_filters/roles/active', labels: (m) => ({ role: m[1]! }) },
  {
    re: /^allocator\/mesos\/quota\/roles\/(.+)\/resources\/([^/]+)\/([^/]+)$/,
    family: (m) => `allocator/mesos/quota/roles/resources/${m[3]!}`,
    labels: (m) => ({ role: m[1]!, resource: m[2]! }),
  },
  { re: /^allocator\/mesos\/resources\/([^/]+)\/([^/]+)$/, family: (m) => `allocator/mesos/resources/${m[2]!}`, labels: (m) => ({ resource: m[1]! }) },
  { re: /^master\/operations\/([^/]+)\/([^/]+)$/, family: (m) => `master/operations/by_type/${m[2]!}`, labels: (m) => ({ type: m[1]! }) },
];

const FRAMEWORK_COUNTER_PARTS = new Set(['calls', 'events', 'offers', 'operations']);

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** A Prometheus metric name from a Mesos key: `mesos_` + the key with anything outside [a-zA-Z0-9_] as `_`. */
export const promName = (key: string): string => `mesos_${key.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_+/g, '_').replace(/_$/, '')}`;

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const labelText = (labels: Readonly<Record<string, string>>): string => {
  const ls = Object.entries(labels);
  return ls.length === 0 ? '' : `{${ls.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
};
const formatValue = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

/** The bases of timers in the map (a key with a `/count` beside `/p50`-like keys). */
function timerBases(keys: readonly string[]): Set<string> {
  const set = new Set(keys);
  const out = new Set<string>();
  for (const k of keys) if (k.endsWith('/count') && set.has(`${k.slice(0, -'/count'.length)}/p50`)) out.add(k.slice(0, -'/count'.length));
  return out;
}

export function toPrometheus(metrics: Readonly<Record<string, number>>): string {
  const families = new Map<string, Family>();
  /** Family by its Mesos family key and kind (names are computed once per family, not per sample). */
  const byKey = new Map<string, Family>();
  const decoded = new Map<string, string>();
  /** The label text of each framework, written once. */
  const fwLabels = new Map<string, string>();
  const decode = (s: string): string => {
    let d = decoded.get(s);
    if (d === undefined) decoded.set(s, (d = safeDecode(s)));
    return d;
  };
  const add = (familyKey: string, labels: Record<string, string> | string, value: number, type: 'counter' | 'gauge', help: () => string): void => {
    const k = `${type} ${familyKey}`;
    let f = byKey.get(k);
    if (f === undefined) {
      let name = promName(familyKey);
      if (type === 'counter' && !name.endsWith('_total')) name += '_total';
      f = families.get(name);
      if (f === undefined) {
        f = { name, type, help: help(), samples: [] };
        families.set(name, f);
      }
      byKey.set(k, f);
    }
    f.samples.push({ labels: typeof labels === 'string' ? labels : labelText(labels), value });
  };
  const keys = Object.keys(metrics);
  const timers = timerBases(keys);
  for (const key of keys) {
    const value = metrics[key]!;
    if (typeof value !== 'number') continue;
    const slash = key.lastIndexOf('/');
    const base = key.slice(0, slash);
    const last = key.slice(slash + 1);
    if (timers.has(base)) {
      if (/^p\d+$/.test(last)) {
        const q = String(Number(`0.${last.slice(1)}`));
        add(base, { quantile: q }, value, 'gauge', () => `Mesos timer ${base} (ms): percentiles of its recent window`);
      } else add(`${base}_${last}`, '', value, 'gauge', () => `Mesos metric ${key}`);
      continue;
    }
    if (timers.has(key)) {
      add(`${key}_last`, '', value, 'gauge', () => `Mesos timer ${key} (ms): the last value`);
      continue;
    }
    // The per-framework keys (most of a large snapshot) without a regular expression.
    if (key.startsWith('master/frameworks/')) {
      const parts = key.split('/');
      if (parts.length >= 5) {
        const rest = parts.slice(4);
        if (rest[0] === 'roles' && rest[rest.length - 1] === 'suppressed' && rest.length >= 3) {
          const labels = { framework_name: decode(parts[2]!), framework_id: parts[3]!, role: rest.slice(1, -1).join('/') };
          add('master/frameworks/roles/suppressed', labels, value, 'gauge', () => 'Mesos metric master/frameworks/<name>/<id>/roles/<role>/suppressed (one series per framework and role)');
        } else {
          const fwKey = `${parts[2]!}/${parts[3]!}`;
          let labels = fwLabels.get(fwKey);
          if (labels === undefined) fwLabels.set(fwKey, (labels = labelText({ framework_name: decode(parts[2]!), framework_id: parts[3]! })));
          const tail = key.slice(parts[0]!.length + parts[1]!.length + parts[2]!.length + parts[3]!.length + 4);
          const counter = FRAMEWORK_COUNTER_PARTS.has(rest[0]!) || (rest[0] === 'tasks' && rest[1] === 'terminal');
          add(`master/frameworks/${tail}`, labels, value, counter ? 'counter' : 'gauge', () => `Mesos metric master/frameworks/<name>/<id>/${tail} (one series per framework)`);
        }
        continue;
      }
    }
    const rule = LABELLED.find((r) => r.re.test(key));
    if (rule !== undefined) {
      const m = key.match(rule.re)!;
      const fk = rule.family(m);
      const labels = rule.labels(m);
      add(fk, labels, value, isCounter(key) ? 'counter' : 'gauge', () => `Mesos metric ${fk} (one series per ${Object.keys(labels).join(', ')})`);
      continue;
    }
    add(key, '', value, isCounter(key) ? 'counter' : 'gauge', () => `Mesos metric ${key}`);
  }
  const out: string[] = [];
  for (const f of families.values()) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(`${f.name}${s.labels} ${formatValue(s.value)}`);
  }
  return `${out.join('\n')}\n`;
}
