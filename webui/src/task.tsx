/**
 * A task's page: what it is and where it runs, its whole timeline from the log (GET
 * /replay/timeline: every event that touched it, with what each did), its cgroup usage (its
 * agent's /monitor/statistics), and its sandbox: a file browser (/files/browse), a tail of any file
 * that follows it as it grows (/files/read), downloads (/files/download). The agent is another
 * origin: its JSON is read by JSONP, as Mesos's own web UI does.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type J, agentBase, call, getJson, jsonp } from './api';
import { Action } from './actions';
import { type Task, resText, timeOf } from './model';
import { NoData, agentHost, fwName, useCluster, when } from './pages';
import { Link } from './router';
import { store, useStore } from './store';

const sandboxOf = (t: Task): string => `/frameworks/${t.frameworkId}/executors/${t.executorId}/runs/latest`;

const bytes = (n: number): string => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

function Usage(props: { agent: J; task: Task }) {
  const [stats, setStats] = useState<J | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState<Date | null>(null);
  useEffect(() => {
    let gone = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const step = async (): Promise<void> => {
      try {
        const all = (await jsonp(`${agentBase(props.agent)}/monitor/statistics`)) as unknown as J[];
        if (gone) return;
        const mine = all.find((e) => e.executor_id === props.task.executorId && e.framework_id === props.task.frameworkId);
        setStats(mine?.statistics ?? null);
        setAt(new Date());
        setError(null);
      } catch (e) {
        if (!gone) setError((e as Error).message);
      }
      if (!gone) timer = setTimeout(() => void step(), 2000);
    };
    void step();
    return () => {
      gone = true;
      clearTimeout(timer);
    };
  }, [props.agent, props.task.key]);
  const rows: [string, string][] = [];
  if (stats !== null) {
    for (const [k, v] of Object.entries(stats)) {
      if (typeof v !== 'number' || k === 'timestamp') continue;
      rows.push([k, k.endsWith('_bytes') ? bytes(v) : k.endsWith('_secs') ? `${v.toFixed(2)} s` : String(Math.round(v * 1000) / 1000)]);
    }
  }
  return (
    <section aria-labelledby="h-usage">
      <h3 id="h-usage">Usage (cgroup)</h3>
      {error !== null ? <p class="muted">{error}</p> : null}
      {stats === null && error === null ? <p class="muted">{at === null ? 'Reading its agent’s /monitor/statistics…' : 'Its agent reports no container for it (it is not running there).'}</p> : null}
      {rows.length > 0 ? (
        <>
          <dl class="kv" data-testid="usage">
            {rows.map(([k, v]) => (
              <>
                <dt key={`${k}-t`}>{k}</dt>
                <dd key={`${k}-d`}>{v}</dd>
              </>
            ))}
          </dl>
          <p class="muted">As of {at !== null ? when(at) : ''}, every 2 s.</p>
        </>
      ) : null}
    </section>
  );
}

function Timeline(props: { task: Task }) {
  const t = props.task;
  const [lines, setLines] = useState<J[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const past = store.past?.seq ?? null;
  useEffect(() => {
    let gone = false;
    getJson(`/replay/timeline?task=${encodeURIComponent(t.id)}&framework=${encodeURIComponent(t.frameworkId)}`)
      .then((r) => !gone && (setLines(r.lines as J[]), setError(null)))
      .catch((e: unknown) => !gone && setError((e as Error).message));
    return () => {
      gone = true;
    };
  }, [t.key, t.state, t.statuses.length]);
  // While time travelling: the lines up to that point.
  const shownLines = lines === null ? null : past === null ? lines : lines.filter((l) => Number(l.seq) <= past);
  return (
    <section aria-labelledby="h-timeline">
      <h3 id="h-timeline">Timeline (from the log)</h3>
      {error !== null ? <p class="muted">The log’s timeline cannot be read ({error}); the statuses the master holds:</p> : null}
      {shownLines === null ? (
        <ol class="timeline" data-testid="timeline">
          {t.statuses.map((st, i) => (
            <li key={i}>
              <time>{when(timeOf(st.timestamp))}</time> <span class={`state s-${String(st.state)}`}>{String(st.state)}</span>
              {st.reason !== undefined ? <small> · {String(st.reason)}</small> : null}
              {st.healthy !== undefined ? <small> · {st.healthy === true ? 'healthy' : 'unhealthy'}</small> : null}
              {st.message !== undefined ? <div class="muted">{String(st.message)}</div> : null}
            </li>
          ))}
        </ol>
      ) : (
        <ol class="timeline" data-testid="timeline">
          {shownLines.map((l) => {
            const st = (l.event as J).type === 'TaskStatusUpdated' ? ((l.event as J).status as J) : null;
            return (
              <li key={`${String(l.seq)}-${String(l.task ?? '')}`} data-seq={String(l.seq)}>
                <span class="muted">seq {String(l.seq)}</span> <time>{String(l.storedAt ?? '').replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time> <strong>{String(l.type)}</strong>
                {st !== null ? (
                  <>
                    {' '}
                    <span class={`state s-${String(st.state)}`}>{String(st.state)}</span>
                    {st.reason !== undefined ? <small> · {String(st.reason)}</small> : null}
                    {st.source !== undefined ? <small> · {String(st.source).replace('SOURCE_', '').toLowerCase()}</small> : null}
                    {st.healthy !== undefined ? <small> · {st.healthy === true ? 'healthy' : 'unhealthy'}</small> : null}
                    <small> · agent {String(st.agentId)}</small>
                  </>
                ) : null}
                {l.direct === false ? <small class="muted"> (via the state)</small> : null}
                <div class="muted">{String(l.summary)}</div>
                {(l.effects as string[]).length > 0 ? <div>→ {(l.effects as string[]).join('; ')}</div> : l.ignored !== undefined && l.ignored !== 'no effect' ? <div class="muted">→ {String(l.ignored)}</div> : null}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

/** Follows one sandbox file: its last 16 KiB, then what is appended, every half second. */
function Tail(props: { base: string; path: string }) {
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
    const url = `${props.base}/files/read?path=${encodeURIComponent(props.path)}`;
    const step = async (): Promise<void> => {
      try {
        if (offset < 0) {
          const size = Number((await jsonp(url)).offset ?? 0);
          offset = Math.max(0, size - 16 * 1024);
        }
        for (;;) {
          const r = await jsonp(`${url}&offset=${offset}&length=65536`);
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
  }, [props.base, props.path, follow]);
  useEffect(() => {
    if (follow && pre.current !== null) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);
  const name = props.path.split('/').at(-1) ?? props.path;
  return (
    <div>
      <div class="tools">
        <strong>{name}</strong>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> follow
        </label>
        <a href={`${props.base}/files/download?path=${encodeURIComponent(props.path)}`} download={name}>
          Download {name}
        </a>
      </div>
      {error !== null ? <p class="muted">{error}</p> : null}
      <pre ref={pre} class="tail" tabIndex={0} aria-label={`${name} of the task`} data-testid="sandbox">
        {text}
      </pre>
    </div>
  );
}

function Sandbox(props: { agent: J; task: Task }) {
  const base = agentBase(props.agent);
  const root = sandboxOf(props.task);
  const [dir, setDir] = useState(root);
  const [file, setFile] = useState(`${root}/stdout`);
  const [entries, setEntries] = useState<J[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    setDir(root);
    setFile(`${root}/stdout`);
  }, [root]);
  useEffect(() => {
    let gone = false;
    jsonp(`${base}/files/browse?path=${encodeURIComponent(dir)}`)
      .then((r) => !gone && (setEntries(r as unknown as J[]), setError(null)))
      .catch((e: unknown) => !gone && (setEntries(null), setError((e as Error).message)));
    return () => {
      gone = true;
    };
  }, [base, dir, reload]);
  const rel = dir === root ? '' : dir.slice(root.length);
  return (
    <section aria-labelledby="h-sandbox">
      <h3 id="h-sandbox">Sandbox</h3>
      <nav aria-label="Sandbox folder" class="tools">
        <span>
          sandbox{rel}
        </span>
        {dir !== root ? (
          <button type="button" onClick={() => setDir(dir.slice(0, dir.lastIndexOf('/')))}>
            Up
          </button>
        ) : null}
        <button type="button" onClick={() => setReload((n) => n + 1)}>
          Refresh
        </button>
      </nav>
      {error !== null ? <p class="muted">{error}</p> : null}
      {entries !== null ? (
        <table class="grid files" data-testid="files">
          <thead>
            <tr>
              <th scope="col">name</th>
              <th scope="col">size</th>
              <th scope="col">mode</th>
              <th scope="col">modified</th>
              <th scope="col">
                <span class="sr">download</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.length === 0 ? (
              <tr>
                <td colSpan={5}>Empty.</td>
              </tr>
            ) : null}
            {entries.map((e) => {
              const path = String(e.path);
              const name = path.split('/').at(-1)!;
              const isDir = String(e.mode ?? '').startsWith('d');
              return (
                <tr key={path}>
                  <td>
                    <button type="button" class="link" aria-pressed={!isDir && path === file} onClick={() => (isDir ? setDir(path) : setFile(path))}>
                      {name}
                      {isDir ? '/' : ''}
                    </button>
                  </td>
                  <td>{isDir ? '' : bytes(Number(e.size ?? 0))}</td>
                  <td>
                    <code>{String(e.mode ?? '')}</code>
                  </td>
                  <td>{when(timeOf(Number(e.mtime)))}</td>
                  <td>
                    {isDir ? null : (
                      <a href={`${base}/files/download?path=${encodeURIComponent(path)}`} download={name} aria-label={`Download ${name}`}>
                        download
                      </a>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      <Tail base={base} path={file} />
    </section>
  );
}

export function TaskPage(props: { frameworkId: string; taskId: string }) {
  const c = useCluster();
  useStore();
  if (c === null) return <NoData />;
  const t = c.tasks.get(`${props.frameworkId}/${props.taskId}`);
  if (t === undefined) return <p role="alert">No task {props.taskId} of framework {props.frameworkId} {store.past !== null ? `at seq ${store.past.seq}` : 'is known to the master'}.</p>;
  const agent = c.agents.get(t.agentId);
  const fw = c.frameworks.get(t.frameworkId) ?? c.completedFrameworks.get(t.frameworkId);
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
        <dd>
          <Link href={`/ui/agents/${encodeURIComponent(t.agentId)}`}>{agentHost(c, t.agentId)}</Link>
        </dd>
        <dt>executor</dt>
        <dd>{t.executorId}</dd>
        <dt>resources</dt>
        <dd data-testid="task-resources">{resText(t.resources)}</dd>
      </dl>
      {store.past === null ? (
        <div class="actions">
          <Action
            label="Kill task"
            unavailable={t.completed ? `The task is ${t.state}.` : !c.frameworks.has(t.frameworkId) ? 'Its framework is no longer registered.' : null}
            check={`teardown_frameworks:${String(fw?.framework_info?.principal ?? '')}`}
            what={`Kill task ${t.id} of ${fwName(c, t.frameworkId)}: its agent stops it and the framework is told TASK_KILLED.`}
            run={() => call('KILL_TASK', { kill_task: { framework_id: { value: t.frameworkId }, task_id: { value: t.id }, agent_id: { value: t.agentId } } })}
            done="Kill requested."
          />
        </div>
      ) : null}
      <Timeline task={t} />
      {agent !== undefined && store.past === null ? (
        <>
          <Usage agent={agent} task={t} />
          <Sandbox agent={agent} task={t} />
        </>
      ) : (
        <p class="muted">{store.past !== null ? 'Its usage and sandbox are read from its agent, live only.' : 'Its agent is not registered: no usage or sandbox to read.'}</p>
      )}
    </>
  );
}
