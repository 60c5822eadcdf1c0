/** The dashboard's pages. Each reads the cluster shown (live or past) from the store. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type J, call, getJson, jsonp, principal } from './api';
import { type Cluster, RESOURCES, TASK_STATES, type Task, fmtRes, resText, scalar, timeOf, totals } from './model';
import { Table, type Column } from './table';
import { shown, store, travel, useStore } from './store';
import { Link, navigate } from './router';

const fwName = (c: Cluster, id: string): string => String((c.frameworks.get(id) ?? c.completedFrameworks.get(id))?.framework_info?.name ?? id);
const agentHost = (c: Cluster, id: string): string => String(c.agents.get(id)?.agent_info?.hostname ?? id);
const when = (d: Date | null): string => (d === null ? '' : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
const short = (id: string): string => (id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id);

function NoData() {
  const s = useStore();
  return <p role="status">{s.status === 'live' ? 'Loading…' : `The event stream is ${s.status}.`}</p>;
}

function useCluster(): Cluster | null {
  useStore();
  return shown();
}

/** An operator call's answer, or at a past point the same answer from /replay/state. */
function useCall(type: string, key: string): { data: J | null; error: string | null } {
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
  const [leader, setLeader] = useState<string>('');
  useEffect(() => {
    call('GET_MASTER')
      .then((r) => setMaster(r.get_master?.master_info as J))
      .catch(() => setMaster(null));
    getJson('/metrics/snapshot')
      .then((m) => setLeader(m['master/elected'] === 1 ? 'leader' : 'standby'))
      .catch(() => setLeader(''));
  }, []);
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
              const t = tot[n];
              const alloc = Math.round(used[n]! * 1000) / 1000;
              const idle = Math.max(0, Math.round((t.total - alloc - t.offered) * 1000) / 1000);
              return (
                <tr key={n} data-resource={n}>
                  <th scope="row">{n}</th>
                  <td>{fmtRes(n, t.total)}</td>
                  <td data-testid={`allocated-${n}`}>{fmtRes(n, alloc)}</td>
                  <td>{fmtRes(n, t.offered)}</td>
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
          <dd>
            {agents.filter((a) => a.active === true).length} active, {agents.filter((a) => a.active !== true).length} inactive
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

function Confirm(props: { what: string; action: () => Promise<unknown>; label: string; disabled?: boolean }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [result, setResult] = useState<string | null>(null);
  return (
    <>
      <button type="button" class="danger" disabled={props.disabled} onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} aria-labelledby="confirm-title">
        <form method="dialog">
          <h2 id="confirm-title">{props.label}?</h2>
          <p>{props.what}</p>
          <p class="muted">As {principal() ?? 'no principal (anonymous)'}.</p>
          <div class="menu">
            <button value="cancel" autofocus>
              Cancel
            </button>
            <button
              value="ok"
              class="danger"
              onClick={(e) => {
                e.preventDefault();
                dialog.current?.close();
                props
                  .action()
                  .then(() => setResult('Done.'))
                  .catch((err: unknown) => setResult((err as Error).message));
              }}
            >
              {props.label}
            </button>
          </div>
        </form>
      </dialog>
      {result !== null ? <span role="status" class="result">{result}</span> : null}
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
        <dt>why pending</dt>
        <dd class="muted">no master endpoint serves the allocator's recorded reasons yet: run `mesos replay why-pending --framework {props.id}`</dd>
      </dl>
      {store.past === null && c.frameworks.has(props.id) ? (
        <Confirm
          label="Tear down framework"
          what={`Tear down framework ${String(info.name)} (${props.id}): its tasks are killed and it cannot subscribe again.`}
          action={() => call('TEARDOWN', { teardown: { framework_id: { value: props.id } } })}
        />
      ) : null}
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
    { key: 'id', title: 'ID', width: '2fr', value: (a) => String(a.agent_info?.id?.value) },
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

function TasksTable(props: { c: Cluster; rows: Task[]; height?: number }) {
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
    [c],
  );
  return <Table label="Tasks" rows={props.rows} columns={cols} rowKey={(t) => t.key} {...(props.height !== undefined ? { height: props.height } : {})} filterPlaceholder="Filter tasks: id, name, state, framework, agent…" />;
}

export function Tasks() {
  const c = useCluster();
  const rows = useMemo(() => (c === null ? [] : [...c.tasks.values()]), [c, c?.version]);
  if (c === null) return <NoData />;
  return <TasksTable c={c} rows={rows} />;
}

function SandboxTail(props: { agent: J; task: Task }) {
  const [file, setFile] = useState<'stdout' | 'stderr'>('stdout');
  const [follow, setFollow] = useState(true);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    let offset = -1;
    let gone = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setText('');
    setError(null);
    const ip = String(props.agent.pid ?? '').split('@')[1] ?? `${String(props.agent.agent_info.hostname)}:${String(props.agent.agent_info.port)}`;
    const base = `${location.protocol}//${ip}/files/read?path=${encodeURIComponent(`/frameworks/${props.task.frameworkId}/executors/${props.task.executorId}/runs/latest/${file}`)}`;
    const step = async (): Promise<void> => {
      try {
        if (offset < 0) {
          const size = Number((await jsonp(base)).offset ?? 0);
          offset = Math.max(0, size - 16 * 1024);
        }
        for (;;) {
          const r = await jsonp(`${base}&offset=${offset}&length=65536`);
          const data = String(r.data ?? '');
          if (gone) return;
          if (data === '') break;
          offset += new TextEncoder().encode(data).length;
          setText((t) => (t + data).slice(-64 * 1024));
        }
        setError(null);
      } catch (e) {
        if (!gone) setError((e as Error).message);
      }
      if (!gone && follow) timer = setTimeout(() => void step(), 500);
    };
    void step();
    return () => {
      gone = true;
      clearTimeout(timer);
    };
  }, [props.agent, props.task.key, file, follow]);
  useEffect(() => {
    if (follow && pre.current !== null) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);
  return (
    <section aria-labelledby="h-sandbox">
      <h3 id="h-sandbox">Sandbox</h3>
      <div class="tools" role="group" aria-label="Sandbox file">
        <label>
          <input type="radio" name="file" checked={file === 'stdout'} onChange={() => setFile('stdout')} /> stdout
        </label>
        <label>
          <input type="radio" name="file" checked={file === 'stderr'} onChange={() => setFile('stderr')} /> stderr
        </label>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> follow
        </label>
      </div>
      {error !== null ? <p class="muted">{error}</p> : null}
      <pre ref={pre} class="tail" tabIndex={0} aria-label={`${file} of the task`} data-testid="sandbox">
        {text}
      </pre>
    </section>
  );
}

export function TaskPage(props: { frameworkId: string; taskId: string }) {
  const c = useCluster();
  if (c === null) return <NoData />;
  const t = c.tasks.get(`${props.frameworkId}/${props.taskId}`);
  if (t === undefined) return <p role="alert">No task {props.taskId} of framework {props.frameworkId} {store.past !== null ? `at seq ${store.past.seq}` : 'is known to the master'}.</p>;
  const agent = c.agents.get(t.agentId);
  return (
    <>
      <h2>
        Task {t.id} <span class={`state s-${t.state}`} data-testid="task-state">{t.state}</span>
      </h2>
      <dl class="kv">
        <dt>name</dt>
        <dd>{t.name}</dd>
        <dt>framework</dt>
        <dd>
          <Link href={`/ui/frameworks/${t.frameworkId}`}>{fwName(c, t.frameworkId)}</Link>
        </dd>
        <dt>agent</dt>
        <dd>{agentHost(c, t.agentId)}</dd>
        <dt>resources</dt>
        <dd>{resText(t.resources)}</dd>
      </dl>
      <section aria-labelledby="h-timeline">
        <h3 id="h-timeline">Timeline</h3>
        <ol class="timeline" data-testid="timeline">
          {t.statuses.map((st, i) => (
            <li key={i}>
              <time>{when(timeOf(st.timestamp))}</time> <span class={`state s-${String(st.state)}`}>{String(st.state)}</span> {st.source !== undefined ? <small>{String(st.source).replace('SOURCE_', '').toLowerCase()}</small> : null}
              {st.reason !== undefined ? <small> · {String(st.reason)}</small> : null}
              {st.healthy !== undefined ? <small> · {st.healthy === true ? 'healthy' : 'unhealthy'}</small> : null}
              {st.message !== undefined ? <div class="muted">{String(st.message)}</div> : null}
            </li>
          ))}
        </ol>
      </section>
      {agent !== undefined && store.past === null ? <SandboxTail agent={agent} task={t} /> : <p class="muted">The sandbox is read from its agent while live.</p>}
    </>
  );
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
  return <Table label="Roles" rows={rows} columns={cols} rowKey={(r) => String(r.name)} />;
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
  return (
    <>
      <h2>Schedule</h2>
      {windows.length === 0 ? <p>No maintenance is scheduled.</p> : null}
      <ul>
        {windows.map((w, i) => (
          <li key={i}>
            {((w.machine_ids as J[]) ?? []).map(machine).join(', ')}: from {when(timeOf(w.unavailability?.start))}
            {w.unavailability?.duration !== undefined ? ` for ${Number(w.unavailability.duration.nanoseconds) / 1e9} s` : ''}
          </li>
        ))}
      </ul>
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

export function NotFound() {
  return (
    <p role="alert">
      No such page. <a href="/" onClick={(e) => (e.preventDefault(), navigate('/'))}>Overview</a>
    </p>
  );
}

export { travel };
