/** The dashboard's pages. Each reads the cluster shown (live or past) from the store. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type J, call, getJson } from './api';
import { Action, Field } from './actions';
import { Masters, VerifyStatus, WhyPending } from './history';
import { type Cluster, RESOURCES, TASK_STATES, type Task, fmtRes, resText, scalar, timeOf, totals } from './model';
import { Table, type Column } from './table';
import { refreshAgents, shown, store, travel, useStore } from './store';
import { Link, navigate } from './router';

export const fwName = (c: Cluster, id: string): string => String((c.frameworks.get(id) ?? c.completedFrameworks.get(id))?.framework_info?.name ?? id);
export const agentHost = (c: Cluster, id: string): string => String(c.agents.get(id)?.agent_info?.hostname ?? id);
export const when = (d: Date | null): string => (d === null ? '' : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
export const short = (id: string): string => (id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id);

export function NoData() {
  const s = useStore();
  return <p role="status">{s.status === 'live' ? 'Loading…' : `The event stream is ${s.status}.`}</p>;
}

export function useCluster(): Cluster | null {
  useStore();
  return shown();
}

/** An operator call's answer, or at a past point the same answer from /replay/state. */
export function useCall(type: string, key: string): { data: J | null; error: string | null } {
  const s = useStore();
  const [live, setLive] = useState<{ data: J | null; error: string | null }>({ data: null, error: null });
  const past = s.past;
  const bucket = Math.floor(s.version / 50); // refresh a live answer now and then as events arrive
  useEffect(() => {
    if (past !== null) return;
    let gone = false;
    call(type)
      .then((r) => !gone && setLive({ data: r[key] as J, error: null }))
      .catch((e: unknown) => !gone && setLive({ data: null, error: (e as Error).message }));
    return () => {
      gone = true;
    };
  }, [type, key, past === null, bucket]);
  if (past !== null) return { data: (past.extra[key] as J | undefined) ?? null, error: null };
  return live;
}

// ---------------------------------------------------------------------------------------------

function Bar(props: { label: string; parts: { name: string; value: number; cls: string }[]; total: number }) {
  return (
    <div class="bar" role="img" aria-label={`${props.label}: ${props.parts.map((p) => `${p.name} ${p.value}`).join(', ')} of ${props.total}`}>
      {props.parts.map((p) => (
        <span key={p.name} class={p.cls} style={{ width: `${props.total > 0 ? (100 * p.value) / props.total : 0}%` }} />
      ))}
    </div>
  );
}

function SeriesChart() {
  const el = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState('');
  useEffect(() => {
    let plot: uPlot | null = null;
    let gone = false;
    getJson('/replay/series?points=200')
      .then((r) => {
        if (gone || el.current === null) return;
        const pts = r.points as J[];
        setInfo(`${pts.length} points over seq 1…${String(r.head)}, every ${String(r.every)} events`);
        const xs = pts.map((p) => (p.storedAt !== null ? Date.parse(String(p.storedAt)) / 1000 : 0));
        const v = (k: string): number[] => pts.map((p) => Number(p.values[k] ?? 0));
        const dark = document.documentElement.dataset.theme === 'dark';
        const axis = { stroke: dark ? '#ccc' : '#333', grid: { stroke: dark ? '#333' : '#ddd' } };
        plot = new uPlot(
          {
            width: Math.min(900, el.current.clientWidth || 600),
            height: 220,
            title: 'Use over the whole log',
            series: [
              {},
              { label: 'cpus total', stroke: '#3b82f6' },
              { label: 'cpus used', stroke: '#ef4444', fill: 'rgba(239,68,68,0.15)' },
              { label: 'tasks running', stroke: '#10b981', scale: 'n' },
            ],
            axes: [axis, axis, { ...axis, scale: 'n', side: 1 }],
            scales: { n: {} },
          },
          [xs, v('cpus_total'), v('cpus_used'), v('tasks_running')],
          el.current,
        );
      })
      .catch((e: unknown) => !gone && setError((e as Error).message));
    return () => {
      gone = true;
      plot?.destroy();
    };
  }, []);
  return (
    <figure class="chart">
      <div ref={el} />
      <figcaption>{error ?? info}</figcaption>
    </figure>
  );
}

export function Overview() {
  const c = useCluster();
  const s = store;
  const [master, setMaster] = useState<J | null>(null);
  const [metrics, setMetrics] = useState<J | null>(null);
  useEffect(() => {
    call('GET_MASTER')
      .then((r) => setMaster(r.get_master?.master_info as J))
      .catch(() => setMaster(null));
  }, []);
  // What the event stream does not carry (offers, agents connecting and going): this master's
  // gauges, a small fixed-size read, every 2 s while the page is live.
  useEffect(() => {
    if (s.past !== null) return;
    let gone = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const step = (): void => {
      getJson('/metrics/snapshot')
        .then((m) => !gone && setMetrics(m))
        .catch(() => undefined)
        .finally(() => {
          if (!gone) timer = setTimeout(step, 2000);
        });
    };
    step();
    return () => {
      gone = true;
      clearTimeout(timer);
    };
  }, [s.past === null]);
  const leader = metrics === null ? '' : metrics['master/elected'] === 1 ? 'leader' : 'standby';
  const counts = useMemo(() => {
    const byState = new Map<string, number>();
    if (c !== null) for (const t of c.tasks.values()) byState.set(t.state, (byState.get(t.state) ?? 0) + 1);
    return byState;
  }, [c, c?.version]);
  if (c === null) return <NoData />;
  const tot = totals(c);
  // Allocation from the tasks that hold resources (kept current by task events).
  const used: Record<string, number> = {};
  for (const n of RESOURCES) used[n] = 0;
  for (const t of c.tasks.values()) if (!t.completed) for (const n of RESOURCES) used[n]! += scalar(t.resources, n);
  const agents = [...c.agents.values()];
  const frameworks = [...c.frameworks.values()];
  return (
    <div class="overview">
      <section aria-labelledby="h-res">
        <h2 id="h-res">Resources</h2>
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">resource</th>
              <th scope="col">total</th>
              <th scope="col">allocated</th>
              <th scope="col">offered</th>
              <th scope="col">reserved</th>
              <th scope="col">idle</th>
              <th scope="col">use</th>
            </tr>
          </thead>
          <tbody>
            {RESOURCES.map((n) => {
              const t = { ...tot[n] };
              // Live: offers come and go without a stream event; the master's gauge says what is offered now.
              if (s.past === null && metrics !== null && typeof metrics[`master/${n}_offered`] === 'number') t.offered = Number(metrics[`master/${n}_offered`]);
              const alloc = Math.round(used[n]! * 1000) / 1000;
              const idle = Math.max(0, Math.round((t.total - alloc - t.offered) * 1000) / 1000);
              return (
                <tr key={n} data-resource={n}>
                  <th scope="row">{n}</th>
                  <td>{fmtRes(n, t.total)}</td>
                  <td data-testid={`allocated-${n}`}>{fmtRes(n, alloc)}</td>
                  <td data-testid={`offered-${n}`}>{fmtRes(n, t.offered)}</td>
                  <td>{fmtRes(n, t.reserved)}</td>
                  <td>{fmtRes(n, idle)}</td>
                  <td class="usecell">
                    <Bar label={n} total={t.total} parts={[{ name: 'allocated', value: alloc, cls: 'alloc' }, { name: 'offered', value: t.offered, cls: 'offer' }]} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="h-counts" class="cards">
        <h2 id="h-counts">Counts</h2>
        <dl>
          <dt>agents</dt>
          <dd data-testid="agent-counts">
            {s.past === null && metrics !== null
              ? `${Number(metrics['master/slaves_active'])} active, ${Number(metrics['master/slaves_inactive'])} inactive, ${Number(metrics['master/slaves_disconnected'])} disconnected`
              : `${agents.filter((a) => a.active === true).length} active, ${agents.filter((a) => a.active !== true).length} inactive`}
          </dd>
          <dt>frameworks</dt>
          <dd>
            {frameworks.filter((f) => f.active === true).length} active, {frameworks.filter((f) => f.active !== true).length} inactive, {c.completedFrameworks.size} completed
          </dd>
          <dt>tasks</dt>
          <dd data-testid="task-counts">
            {TASK_STATES.filter((st) => (counts.get(st) ?? 0) > 0)
              .map((st) => `${st.replace('TASK_', '').toLowerCase()} ${counts.get(st)}`)
              .join(', ') || 'none'}
          </dd>
          <dt>log</dt>
          <dd>
            {s.past !== null ? `showing seq ${s.past.seq}; ` : ''}head seq <span data-testid="head">{s.head}</span>
            {s.lastEventAt > 0 ? `, last event ${when(new Date(s.lastEventAt))}` : ''}
          </dd>
          <dt>this master</dt>
          <dd>{master !== null ? `${String(master.hostname)}:${String(master.port)} (${leader || '…'}, version ${String(master.version)})` : '…'}</dd>
        </dl>
      </section>
      {s.past === null ? <Masters /> : null}
      {s.past === null ? <VerifyStatus /> : null}
      <SeriesChart />
    </div>
  );
}

// ---------------------------------------------------------------------------------------------

function frameworkColumns(c: Cluster): Column<J>[] {
  return [
    { key: 'id', title: 'ID', width: '2fr', value: (f) => String(f.framework_info?.id?.value), render: (f) => <Link href={`/ui/frameworks/${String(f.framework_info?.id?.value)}`}>{short(String(f.framework_info?.id?.value))}</Link> },
    { key: 'name', title: 'Name', width: '2fr', value: (f) => String(f.framework_info?.name ?? '') },
    { key: 'roles', title: 'Roles', value: (f) => ((f.framework_info?.roles as string[] | undefined) ?? [String(f.framework_info?.role ?? '*')]).join(', ') },
    { key: 'user', title: 'User', value: (f) => String(f.framework_info?.user ?? '') },
    { key: 'active', title: 'Active', value: (f) => (f.active === true ? 'yes' : 'no') },
    { key: 'tasks', title: 'Tasks', value: (f) => [...c.tasks.values()].filter((t) => !t.completed && t.frameworkId === String(f.framework_info?.id?.value)).length },
    { key: 'cpus', title: 'CPUs', value: (f) => scalar(f.allocated_resources as J[], 'cpus') },
    { key: 'mem', title: 'Mem (MB)', value: (f) => scalar(f.allocated_resources as J[], 'mem') },
    { key: 'registered', title: 'Registered', width: '2fr', value: (f) => when(timeOf(f.registered_time)) },
  ];
}

export function Frameworks() {
  const c = useCluster();
  if (c === null) return <NoData />;
  const cols = frameworkColumns(c);
  return (
    <>
      <Table label="Frameworks" rows={[...c.frameworks.values()]} columns={cols} rowKey={(f) => String(f.framework_info?.id?.value)} height={320} />
      <h2>Completed frameworks</h2>
      <Table label="Completed frameworks" rows={[...c.completedFrameworks.values()]} columns={cols} rowKey={(f) => String(f.framework_info?.id?.value)} height={240} />
    </>
  );
}

export function FrameworkPage(props: { id: string }) {
  const c = useCluster();
  if (c === null) return <NoData />;
  const f = c.frameworks.get(props.id) ?? c.completedFrameworks.get(props.id);
  if (f === undefined) return <p role="alert">No framework {props.id} {store.past !== null ? `at seq ${store.past.seq}` : 'is known to the master'}.</p>;
  const tasks = [...c.tasks.values()].filter((t) => t.frameworkId === props.id);
  const info = f.framework_info as J;
  return (
    <>
      <h2>
        Framework {String(info.name)} <small>{props.id}</small>
      </h2>
      <dl class="kv">
        <dt>user</dt>
        <dd>{String(info.user ?? '')}</dd>
        <dt>roles</dt>
        <dd>{((info.roles as string[] | undefined) ?? [String(info.role ?? '*')]).join(', ')}</dd>
        <dt>principal</dt>
        <dd>{String(info.principal ?? '')}</dd>
        <dt>active</dt>
        <dd>{f.active === true ? 'yes' : 'no'}</dd>
        <dt>allocated</dt>
        <dd>{resText((f.allocated_resources as J[]) ?? []) || 'nothing'}</dd>
        <dt>offered</dt>
        <dd>{resText((f.offered_resources as J[]) ?? []) || 'nothing'}</dd>
        <dt>outstanding offers</dt>
        <dd>{((f.offers as J[] | undefined) ?? []).length}</dd>
      </dl>
      {store.past === null ? (
        <div class="actions">
          <Action
            label="Tear down framework"
            unavailable={c.frameworks.has(props.id) ? null : 'The framework is no longer registered.'}
            check={`teardown_frameworks:${String(info.principal ?? '')}`}
            what={`Tear down framework ${String(info.name)} (${props.id}): its tasks are killed and it cannot subscribe again.`}
            run={() => call('TEARDOWN', { teardown: { framework_id: { value: props.id } } })}
          />
        </div>
      ) : null}
      <WhyPending frameworkId={props.id} />
      <h3>Its tasks</h3>
      <TasksTable c={c} rows={tasks} height={360} />
    </>
  );
}

// ---------------------------------------------------------------------------------------------

export function Agents() {
  const c = useCluster();
  if (c === null) return <NoData />;
  const tasksOn = new Map<string, number>();
  for (const t of c.tasks.values()) if (!t.completed) tasksOn.set(t.agentId, (tasksOn.get(t.agentId) ?? 0) + 1);
  const cols: Column<J>[] = [
    { key: 'id', title: 'ID', width: '2fr', value: (a) => String(a.agent_info?.id?.value), render: (a) => <Link href={`/ui/agents/${encodeURIComponent(String(a.agent_info?.id?.value))}`}>{String(a.agent_info?.id?.value)}</Link> },
    { key: 'host', title: 'Host', width: '2fr', value: (a) => `${String(a.agent_info?.hostname)}:${String(a.agent_info?.port)}` },
    { key: 'state', title: 'State', value: (a) => (a.drain_info !== undefined ? `draining (${String(a.drain_info.state)})` : a.deactivated === true ? 'deactivated' : a.active === true ? 'active' : 'inactive') },
    { key: 'tasks', title: 'Tasks', value: (a) => tasksOn.get(String(a.agent_info?.id?.value)) ?? 0 },
    { key: 'cpus', title: 'CPUs', value: (a) => scalar(a.total_resources as J[], 'cpus') },
    { key: 'mem', title: 'Mem (MB)', value: (a) => scalar(a.total_resources as J[], 'mem') },
    { key: 'disk', title: 'Disk (MB)', value: (a) => scalar(a.total_resources as J[], 'disk') },
    { key: 'gpus', title: 'GPUs', value: (a) => scalar(a.total_resources as J[], 'gpus') },
    { key: 'registered', title: 'Registered', width: '2fr', value: (a) => when(timeOf(a.registered_time)) },
  ];
  return <Table label="Agents" rows={[...c.agents.values()]} columns={cols} rowKey={(a) => String(a.agent_info?.id?.value)} />;
}

export function AgentPage(props: { id: string }) {
  const c = useCluster();
  const schedule = useCall('GET_MAINTENANCE_SCHEDULE', 'get_maintenance_schedule');
  const [grace, setGrace] = useState('');
  if (c === null) return <NoData />;
  const a = c.agents.get(props.id);
  if (a === undefined) return <p role="alert">No agent {props.id} {store.past !== null ? `at seq ${store.past.seq}` : 'is registered with the master'}.</p>;
  const info = a.agent_info as J;
  const tasks = [...c.tasks.values()].filter((t) => t.agentId === props.id);
  const host = `${String(info.hostname)}:${String(info.port)}`;
  return (
    <>
      <h2>
        Agent {host} <small>{props.id}</small>
      </h2>
      <dl class="kv">
        <dt>state</dt>
        <dd data-testid="agent-state">{a.drain_info !== undefined ? `draining (${String(a.drain_info.state)})` : a.deactivated === true ? 'deactivated' : a.active === true ? 'active' : 'inactive'}</dd>
        <dt>resources</dt>
        <dd>{resText((a.total_resources as J[]) ?? [])}</dd>
        <dt>registered</dt>
        <dd>{when(timeOf(a.registered_time))}</dd>
        <dt>version</dt>
        <dd>{String(a.version ?? '')}</dd>
      </dl>
      <div class="actions">
        <Action
          label="Drain agent"
          check="drain_agents"
          what={`Drain ${host}: it gets no new offers, and its tasks are killed (within the grace period, if given).`}
          fields={<Field label="Grace period (seconds, optional)" type="number" step="any" value={grace} onInput={setGrace} />}
          invalid={() => (grace.trim() === '' || Number(grace) >= 0 ? null : `The grace period must be 0 or more seconds (it is "${grace}")`)}
          run={() => call('DRAIN_AGENT', { drain_agent: { agent_id: { value: props.id }, ...(grace.trim() !== '' ? { max_grace_period: { seconds: Math.floor(Number(grace)), nanos: Math.round((Number(grace) % 1) * 1e9) } } : {}) } })}
          done="Draining."
          after={() => void refreshAgents()}
        />
        <Action
          label="Deactivate agent"
          check="deactivate_agents"
          unavailable={a.deactivated === true ? 'It is deactivated.' : null}
          what={`Deactivate ${host}: it gets no new offers; its tasks keep running.`}
          run={() => call('DEACTIVATE_AGENT', { deactivate_agent: { agent_id: { value: props.id } } })}
          after={() => void refreshAgents()}
        />
        <Action
          label="Reactivate agent"
          danger={false}
          check="reactivate_agents"
          unavailable={a.deactivated !== true ? 'It is not deactivated.' : null}
          what={`Reactivate ${host}: it gets offers again.`}
          run={() => call('REACTIVATE_AGENT', { reactivate_agent: { agent_id: { value: props.id } } })}
          after={() => void refreshAgents()}
        />
        <Action
          label="Mark agent gone"
          check="mark_agents_gone"
          what={`Mark ${host} gone: it is removed for good, its tasks become TASK_GONE_BY_OPERATOR, and it may never register again with this id.`}
          run={() => call('MARK_AGENT_GONE', { mark_agent_gone: { agent_id: { value: props.id } } })}
        />
      </div>
      <ScheduleWindow windows={(schedule.data?.schedule?.windows as J[] | undefined) ?? []} agent={a} />
      <h3>Its tasks</h3>
      <TasksTable c={c} rows={tasks} height={320} />
    </>
  );
}

export function TasksTable(props: { c: Cluster; rows: Task[]; height?: number }) {
  const c = props.c;
  const cols = useMemo<Column<Task>[]>(
    () => [
      { key: 'id', title: 'ID', width: '2fr', value: (t) => t.id, render: (t) => <Link href={`/ui/tasks/${encodeURIComponent(t.frameworkId)}/${encodeURIComponent(t.id)}`}>{t.id}</Link> },
      { key: 'name', title: 'Name', width: '2fr', value: (t) => t.name },
      { key: 'state', title: 'State', value: (t) => t.state.replace('TASK_', ''), render: (t) => <span class={`state s-${t.state}`}>{t.state.replace('TASK_', '')}</span> },
      { key: 'framework', title: 'Framework', width: '2fr', value: (t) => fwName(c, t.frameworkId) },
      { key: 'agent', title: 'Agent', width: '2fr', value: (t) => agentHost(c, t.agentId) },
      { key: 'cpus', title: 'CPUs', value: (t) => scalar(t.resources, 'cpus') },
      { key: 'mem', title: 'Mem (MB)', value: (t) => scalar(t.resources, 'mem') },
      { key: 'updated', title: 'Updated', width: '2fr', value: (t) => when(timeOf(t.statuses.at(-1)?.timestamp)) },
    ],
    // Hostnames and framework names come from the maps: new columns (and a fresh cache) when they change.
    [c, c.agents.size, c.frameworks.size, c.completedFrameworks.size],
  );
  return <Table label="Tasks" rows={props.rows} columns={cols} rowKey={(t) => t.key} {...(props.height !== undefined ? { height: props.height } : {})} filterPlaceholder="Filter tasks: id, name, state, framework, agent…" />;
}

export function Tasks() {
  const c = useCluster();
  const rows = useMemo(() => (c === null ? [] : [...c.tasks.values()]), [c, c?.version]);
  if (c === null) return <NoData />;
  return <TasksTable c={c} rows={rows} />;
}

// ---------------------------------------------------------------------------------------------

export function Roles() {
  const roles = useCall('GET_ROLES', 'get_roles');
  const quota = useCall('GET_QUOTA', 'get_quota');
  if (roles.error !== null) return <p role="alert">{roles.error}</p>;
  if (roles.data === null) return <p>Loading…</p>;
  const configs = new Map<string, J>(((quota.data?.status?.configs as J[] | undefined) ?? []).map((q) => [String(q.role), q]));
  const q = (r: J, k: 'guarantees' | 'limits'): string => {
    const m = configs.get(String(r.name))?.[k] as J | undefined;
    return m === undefined ? '' : Object.entries(m).map(([n, v]) => `${n} ${String((v as J).value)}`).join(', ');
  };
  const cols: Column<J>[] = [
    { key: 'name', title: 'Role', value: (r) => String(r.name) },
    { key: 'weight', title: 'Weight', value: (r) => Number(r.weight ?? 1) },
    { key: 'frameworks', title: 'Frameworks', value: (r) => ((r.frameworks as J[] | undefined) ?? []).length },
    { key: 'consumed', title: 'Consumed', width: '2fr', value: (r) => resText((r.resources as J[]) ?? []) },
    { key: 'guarantees', title: 'Quota guarantees', width: '2fr', value: (r) => q(r, 'guarantees') },
    { key: 'limits', title: 'Quota limits', width: '2fr', value: (r) => q(r, 'limits') },
  ];
  const rows = [...((roles.data.roles as J[] | undefined) ?? [])];
  for (const role of configs.keys()) if (!rows.some((r) => r.name === role)) rows.push({ name: role, weight: 1, frameworks: [], resources: [] });
  return (
    <>
      <RoleActions roles={rows.map((r) => String(r.name))} configs={configs} />
      <Table label="Roles" rows={rows} columns={cols} rowKey={(r) => String(r.name)} />
    </>
  );
}

const positive = (v: string, what: string): string | null => (v.trim() === '' ? null : Number.isFinite(Number(v)) && Number(v) >= 0 ? null : `${what} must be a number of at least 0 (it is "${v}")`);

/** Set a role's weight (UPDATE_WEIGHTS) or its quota (UPDATE_QUOTA: guarantees and limits of cpus and mem). */
function RoleActions(props: { roles: string[]; configs: Map<string, J> }) {
  const [role, setRole] = useState(props.roles.find((r) => r !== '*') ?? '');
  const [weight, setWeight] = useState('1');
  const [q, setQ] = useState({ gcpus: '', gmem: '', lcpus: '', lmem: '' });
  const chosen = role.trim();
  const noRole = (): string | null => (chosen === '' || chosen === '*' ? 'Name a role (not *): weights and quota are set per role' : null);
  const scalars = (cpus: string, mem: string): J | undefined => {
    const out: J = {};
    if (cpus.trim() !== '') out.cpus = { value: Number(cpus) };
    if (mem.trim() !== '') out.mem = { value: Number(mem) };
    return Object.keys(out).length > 0 ? out : undefined;
  };
  return (
    <section aria-labelledby="h-role-actions" class="role-actions">
      <h2 id="h-role-actions">Change a role</h2>
      <Field label="Role" value={role} onInput={setRole} list="known-roles" placeholder="e.g. eng" />
      <datalist id="known-roles">
        {props.roles.map((r) => (
          <option key={r} value={r} />
        ))}
      </datalist>
      <div class="actions">
        <Action
          label="Set weight"
          danger={false}
          check={`update_weights:${chosen}`}
          what={`Set the weight of role ${chosen || '(none)'}: its share of the cluster grows with it (DRF).`}
          fields={<Field label="Weight" type="number" step="any" value={weight} onInput={setWeight} />}
          invalid={() => noRole() ?? (Number(weight) > 0 ? null : `The weight must be a number above 0 (it is "${weight}")`)}
          run={() => call('UPDATE_WEIGHTS', { update_weights: { weight_infos: [{ role: chosen, weight: Number(weight) }] } })}
          done={`Weight of ${chosen} set to ${weight}.`}
        />
        <Action
          label="Set quota"
          danger={false}
          check={`update_quotas:${chosen}`}
          what={
            <>
              Set the quota of role {chosen || '(none)'}: guarantees are kept for it, limits cap it. Leave all empty to remove its quota.
              {props.configs.has(chosen) ? <span class="muted"> (It has a quota now.)</span> : null}
            </>
          }
          fields={
            <>
              <Field label="Guaranteed cpus" type="number" step="any" value={q.gcpus} onInput={(v) => setQ({ ...q, gcpus: v })} />
              <Field label="Guaranteed mem (MB)" type="number" step="any" value={q.gmem} onInput={(v) => setQ({ ...q, gmem: v })} />
              <Field label="Limit cpus" type="number" step="any" value={q.lcpus} onInput={(v) => setQ({ ...q, lcpus: v })} />
              <Field label="Limit mem (MB)" type="number" step="any" value={q.lmem} onInput={(v) => setQ({ ...q, lmem: v })} />
            </>
          }
          invalid={() => noRole() ?? positive(q.gcpus, 'Guaranteed cpus') ?? positive(q.gmem, 'Guaranteed mem') ?? positive(q.lcpus, 'Limit cpus') ?? positive(q.lmem, 'Limit mem')}
          run={() => {
            const g = scalars(q.gcpus, q.gmem);
            const l = scalars(q.lcpus, q.lmem);
            return call('UPDATE_QUOTA', { update_quota: { quota_configs: [{ role: chosen, ...(g !== undefined ? { guarantees: g } : {}), ...(l !== undefined ? { limits: l } : {}) }] } });
          }}
          done={`Quota of ${chosen} updated.`}
        />
      </div>
    </section>
  );
}

export function Offers() {
  const c = useCluster();
  const live = useCall('GET_FRAMEWORKS', 'get_frameworks');
  if (c === null) return <NoData />;
  const fws: J[] = store.past !== null ? [...c.frameworks.values()] : ((live.data?.frameworks as J[] | undefined) ?? [...c.frameworks.values()]);
  const offers = fws.flatMap((f) => ((f.offers as J[] | undefined) ?? []).map((o): J => ({ ...o, fw: String(f.framework_info?.name ?? '') })));
  const inverse = fws.flatMap((f) => ((f.inverse_offers as J[] | undefined) ?? []).map((o): J => ({ ...o, fw: String(f.framework_info?.name ?? '') })));
  const cols: Column<J>[] = [
    { key: 'id', title: 'Offer', width: '2fr', value: (o) => String(o.id?.value) },
    { key: 'fw', title: 'Framework', value: (o) => String(o.fw) },
    { key: 'host', title: 'Agent', value: (o) => String(o.hostname ?? o.agent_id?.value) },
    { key: 'res', title: 'Resources', width: '3fr', value: (o) => resText((o.resources as J[]) ?? []) },
  ];
  const icols: Column<J>[] = [
    { key: 'id', title: 'Inverse offer', width: '2fr', value: (o) => String(o.id?.value) },
    { key: 'fw', title: 'Framework', value: (o) => String(o.fw) },
    { key: 'agent', title: 'Agent', value: (o) => agentHost(c, String(o.agent_id?.value)) },
    { key: 'start', title: 'Unavailable from', width: '2fr', value: (o) => when(timeOf(o.unavailability?.start)) },
  ];
  return (
    <>
      <Table label="Outstanding offers" rows={offers} columns={cols} rowKey={(o) => String(o.id?.value)} height={320} />
      <h2>Inverse offers</h2>
      <Table label="Inverse offers" rows={inverse} columns={icols} rowKey={(o) => String(o.id?.value)} height={200} />
    </>
  );
}

export function Maintenance() {
  const schedule = useCall('GET_MAINTENANCE_SCHEDULE', 'get_maintenance_schedule');
  const status = useCall('GET_MAINTENANCE_STATUS', 'get_maintenance_status');
  if (schedule.error !== null) return <p role="alert">{schedule.error}</p>;
  const machine = (m: J): string => [m.hostname, m.ip].filter((x) => x !== undefined).join(' / ');
  const windows = (schedule.data?.schedule?.windows as J[] | undefined) ?? [];
  const draining = (status.data?.status?.draining_machines as J[] | undefined) ?? [];
  const down = (status.data?.status?.down_machines as J[] | undefined) ?? [];
  const modeOf = new Map<string, string>();
  for (const d of draining) modeOf.set(String((d.id as J).hostname ?? (d.id as J).ip).toLowerCase(), 'draining');
  for (const m of down) modeOf.set(String(m.hostname ?? m.ip).toLowerCase(), 'down');
  return (
    <>
      <h2>Schedule</h2>
      {windows.length === 0 ? <p>No maintenance is scheduled.</p> : null}
      <ul>
        {windows.map((w, i) => (
          <li key={i}>
            {((w.machine_ids as J[]) ?? []).map(machine).join(', ')}: from {when(timeOf(w.unavailability?.start))}
            {w.unavailability?.duration !== undefined ? ` for ${Number(w.unavailability.duration.nanoseconds) / 1e9} s` : ''}
            {((w.machine_ids as J[]) ?? []).map((m) => {
              const mode = modeOf.get(String(m.hostname ?? m.ip).toLowerCase());
              return mode === 'down' ? (
                <Action
                  key={machine(m)}
                  label={`Bring ${machine(m)} up`}
                  danger={false}
                  check="stop_maintenances"
                  what={`End the maintenance of ${machine(m)}: its agent may register again and get offers.`}
                  run={() => call('STOP_MAINTENANCE', { stop_maintenance: { machines: [m] } })}
                />
              ) : (
                <Action
                  key={machine(m)}
                  label={`Take ${machine(m)} down`}
                  check="start_maintenances"
                  what={`Start the maintenance of ${machine(m)} now: its agent is removed and its tasks are lost (TASK_GONE_BY_OPERATOR).`}
                  run={() => call('START_MAINTENANCE', { start_maintenance: { machines: [m] } })}
                />
              );
            })}
          </li>
        ))}
      </ul>
      <ScheduleWindow windows={windows} />
      <h2>Draining</h2>
      {draining.length === 0 ? <p>No machine is draining.</p> : null}
      <ul>
        {draining.map((d, i) => (
          <li key={i}>
            {machine(d.id as J)}: {((d.statuses as J[]) ?? []).map((s) => `${String(s.framework_id?.value)} ${String(s.status)}`).join(', ') || 'no answers yet'}
          </li>
        ))}
      </ul>
      <h2>Down</h2>
      {down.length === 0 ? <p>No machine is down.</p> : null}
      <ul>
        {down.map((m, i) => (
          <li key={i}>{machine(m)}</li>
        ))}
      </ul>
    </>
  );
}

/** The machine of an agent, as maintenance names it: its hostname and its IP. */
export function machineOf(a: J): J {
  const ip = String(a.pid ?? '').split('@')[1]?.split(':')[0];
  return { hostname: String(a.agent_info?.hostname ?? ''), ...(ip !== undefined && ip !== '' ? { ip } : {}) };
}

/** Add a maintenance window for an agent's machine (UPDATE_MAINTENANCE_SCHEDULE with the windows there are, plus this one). */
export function ScheduleWindow(props: { windows: J[]; agent?: J }) {
  const c = useCluster();
  const [host, setHost] = useState(String(props.agent?.agent_info?.hostname ?? ''));
  const [inMinutes, setIn] = useState('0');
  const [hours, setHours] = useState('1');
  const agents = c === null ? [] : [...c.agents.values()];
  const agent = props.agent ?? agents.find((a) => String(a.agent_info?.hostname) === host.trim());
  return (
    <section aria-label="Schedule maintenance" class="actions">
      {props.agent === undefined ? (
        <>
          <Field label="Agent host" value={host} onInput={setHost} list="agent-hosts" placeholder="hostname of an agent" />
          <datalist id="agent-hosts">
            {[...new Set(agents.map((a) => String(a.agent_info?.hostname)))].map((h) => (
              <option key={h} value={h} />
            ))}
          </datalist>
        </>
      ) : null}
      <Action
        label="Schedule maintenance"
        danger={false}
        check="update_maintenance_schedules"
        what={`Schedule a maintenance window for ${host || '(no host)'}: its frameworks get inverse offers until it starts.`}
        fields={
          <>
            <Field label="Starts in (minutes)" type="number" step="any" value={inMinutes} onInput={setIn} />
            <Field label="Lasts (hours)" type="number" step="any" value={hours} onInput={setHours} />
          </>
        }
        invalid={() =>
          agent === undefined
            ? `No agent has the host "${host}"`
            : !(Number(inMinutes) >= 0)
              ? `The start must be 0 or more minutes from now (it is "${inMinutes}")`
              : !(Number(hours) > 0)
                ? `The window must last more than 0 hours (it is "${hours}")`
                : null
        }
        run={() => {
          const start = (Date.now() + Number(inMinutes) * 60_000) * 1e6;
          const window = { machine_ids: [machineOf(agent!)], unavailability: { start: { nanoseconds: start }, duration: { nanoseconds: Number(hours) * 3600 * 1e9 } } };
          return call('UPDATE_MAINTENANCE_SCHEDULE', { update_maintenance_schedule: { schedule: { windows: [...props.windows, window] } } });
        }}
        done="Scheduled."
      />
    </section>
  );
}

export function NotFound() {
  return (
    <p role="alert">
      No such page. <a href="/" onClick={(e) => (e.preventDefault(), navigate('/'))}>Overview</a>
    </p>
  );
}

export { travel };
