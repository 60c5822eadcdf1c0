/**
 * What the log can tell that the live state cannot: why a framework's demand waits (GET
 * /replay/why-pending, as `mesos replay why-pending`), what changed between two moments (GET
 * /replay/diff, as `mesos replay diff`), the last `replay verify` over the whole history (GET
 * /replay/verify, kept up to date by the master in the background), and the masters with how far
 * each has folded the log (GET /master/masters).
 */
import { useEffect, useState } from 'preact/hooks';
import { type J, getJson } from './api';
import { store, useStore } from './store';
import { Link } from './router';

const iso = (ms: unknown): string => (typeof ms === 'number' && ms > 0 ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');

function useJson(path: string | null, deps: unknown[]): { data: J | null; error: string | null; loading: boolean } {
  const [r, setR] = useState<{ data: J | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: path !== null });
  useEffect(() => {
    if (path === null) return;
    let gone = false;
    setR((x) => ({ ...x, loading: true }));
    getJson(path)
      .then((data) => !gone && setR({ data, error: null, loading: false }))
      .catch((e: unknown) => !gone && setR({ data: null, error: (e as Error).message, loading: false }));
    return () => {
      gone = true;
    };
  }, [path, ...deps]);
  return r;
}

// ---------------------------------------------------------------------------------------------

/** The allocator's recorded reasons for a framework, and the reasons it would give now. */
export function WhyPending(props: { frameworkId: string }) {
  const s = useStore();
  const at = s.past?.seq ?? null;
  // Each read folds the log from its start: read when the page opens, and again when asked.
  const [again, setAgain] = useState(0);
  const r = useJson(`/replay/why-pending?framework=${encodeURIComponent(props.frameworkId)}${at !== null ? `&at=${at}` : ''}`, [again]);
  const f = ((r.data?.frameworks as J[] | undefined) ?? [])[0];
  return (
    <section aria-labelledby="h-why" data-testid="why-pending">
      <h3 id="h-why">
        Why pending{' '}
        <button type="button" onClick={() => setAgain((n) => n + 1)} disabled={r.loading}>
          {r.loading ? 'Folding the log…' : 'Read again'}
        </button>
      </h3>
      {r.error !== null ? <p class="muted">{r.error}</p> : null}
      {r.data === null && r.error === null ? <p class="muted">Folding the log…</p> : null}
      {f !== undefined ? (
        <>
          <h4>Demand</h4>
          {(f.demand as J[]).length === 0 ? <p>None stated (no REQUEST); it holds offers or has declined some.</p> : null}
          <ul>
            {(f.demand as J[]).map((d, i) => (
              <li key={i}>
                {d.name !== undefined ? `${String(d.name)} = ` : ''}
                {String(d.resources)} for role {String(d.role)}
                {d.agentId !== undefined ? ` on agent ${String(d.agentId)}` : ''}
              </li>
            ))}
          </ul>
          <h4>Recorded by the allocator</h4>
          {(f.recorded as J[]).length === 0 ? <p>No reasons recorded in the log.</p> : null}
          <ol class="timeline">
            {(f.recorded as J[]).map((rec) => (
              <li key={String(rec.seq)}>
                <span class="muted">seq {String(rec.seq)}</span> <time>{iso(rec.time)}</time>
                {(rec.reasons as J[]).length === 0 ? ' demand met or withdrawn' : null}
                <ul>
                  {(rec.reasons as J[]).map((x, i) => (
                    <li key={i}>
                      <code>{String(x.code)}</code>: {String(x.message)}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
          <h4>
            Now (seq {String(r.data!.seq)}, {iso(r.data!.time)})
          </h4>
          {(f.now as J[]).length === 0 ? <p>Nothing in the way.</p> : null}
          <ul>
            {(f.now as J[]).map((x, i) => (
              <li key={i}>
                <code>{String(x.code)}</code>: {String(x.message)}
              </li>
            ))}
          </ul>
          <details>
            <summary>As `mesos replay why-pending` prints it</summary>
            <pre class="tail">{String(r.data!.text)}</pre>
          </details>
        </>
      ) : null}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------

function Changed(props: { c: J | undefined; name: string }) {
  if (props.c === undefined) return null;
  const v = (x: unknown): string => (Array.isArray(x) ? x.join(',') : x === '' ? '(none)' : String(x));
  return (
    <span class="chg">
      {props.name} {v(props.c.from)} → {v(props.c.to)}
    </span>
  );
}

function DiffView(props: { d: J }) {
  const d = props.d;
  const agents = d.agents as J;
  const fws = d.frameworks as J;
  const tasks = d.tasks as J;
  const offers = d.offers as J;
  const LIMIT = 200;
  const more = (n: number): string | null => (n > LIMIT ? `… and ${n - LIMIT} more` : null);
  return (
    <div class="diff" data-testid="diff">
      <p>
        From <strong>{String(d.from.label)}</strong> to <strong>{String(d.to.label)}</strong>: {String(d.events.total)} events
        {Number(d.events.malformed) > 0 ? `, ${String(d.events.malformed)} malformed` : ''}.
      </p>
      <section aria-labelledby="h-d-tasks">
        <h3 id="h-d-tasks">
          Tasks: {(tasks.launched as J[]).length} launched, {(tasks.changed as J[]).length} changed
        </h3>
        <ul data-testid="diff-tasks">
          {[...(tasks.launched as J[]).map((t): J => ({ ...t, launched: true })), ...(tasks.changed as J[])].slice(0, LIMIT).map((t) => (
            <li key={`${String(t.frameworkId)}/${String(t.taskId)}`}>
              <Link href={`/ui/tasks/${encodeURIComponent(String(t.frameworkId))}/${encodeURIComponent(String(t.taskId))}`}>{String(t.taskId)}</Link> {t.launched === true ? 'launched: ' : ''}
              {(t.states as string[]).map((x) => x.replace('TASK_', '')).join(' → ')}
              {t.resources !== undefined && t.resources !== '' ? <small class="muted"> ({String(t.resources)})</small> : null}
            </li>
          ))}
        </ul>
        {more((tasks.launched as J[]).length + (tasks.changed as J[]).length)}
      </section>
      <section aria-labelledby="h-d-agents">
        <h3 id="h-d-agents">
          Agents: {(agents.added as J[]).length} added, {(agents.changed as J[]).length} changed
        </h3>
        <ul>
          {(agents.added as J[]).slice(0, LIMIT).map((a) => (
            <li key={String(a.id)}>
              {String(a.hostname)} added ({String(a.status)}, {String(a.resources)})
            </li>
          ))}
          {(agents.changed as J[]).slice(0, LIMIT).map((a) => (
            <li key={String(a.id)}>
              {String(a.hostname)}: <Changed name="status" c={a.status as J} /> <Changed name="resources" c={a.resources as J} /> <Changed name="used" c={a.used as J} /> <Changed name="offered" c={a.offered as J} />
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="h-d-fws">
        <h3 id="h-d-fws">
          Frameworks: {(fws.added as J[]).length} added, {(fws.removed as J[]).length} removed, {(fws.changed as J[]).length} changed
        </h3>
        <ul>
          {(fws.added as J[]).map((f) => (
            <li key={String(f.id)}>
              {String(f.name)} added ({String(f.status)}, roles {(f.roles as string[]).join(', ')})
            </li>
          ))}
          {(fws.removed as J[]).map((f) => (
            <li key={String(f.id)}>{String(f.name)} removed</li>
          ))}
          {(fws.changed as J[]).map((f) => (
            <li key={String(f.id)}>
              {String(f.name)}: <Changed name="status" c={f.status as J} /> <Changed name="suppressed" c={f.suppressed as J} /> <Changed name="roles" c={f.roles as J} /> <Changed name="used" c={f.used as J} />{' '}
              <Changed name="offered" c={f.offered as J} />
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="h-d-res">
        <h3 id="h-d-res">Resources by role, and offers</h3>
        <ul>
          {(d.roles as J[]).map((r) => (
            <li key={String(r.role)}>
              {String(r.role)}: <Changed name="used" c={r.used as J} /> <Changed name="offered" c={r.offered as J} />
            </li>
          ))}
          <li>
            offers outstanding {String(offers.outstanding.from)} → {String(offers.outstanding.to)}; {String(offers.created)} made, {String(offers.accepted)} accepted, {String(offers.declined)} declined, {String(offers.rescinded)} rescinded
          </li>
        </ul>
      </section>
      <details>
        <summary>Events by type</summary>
        <ul>
          {Object.entries(d.events.byType as Record<string, number>)
            .sort((a, b) => b[1] - a[1])
            .map(([k, n]) => (
              <li key={k}>
                {k} {n}
              </li>
            ))}
        </ul>
      </details>
    </div>
  );
}

/** Two moments (a sequence, a time with a zone, ms:…, or head) and what changed between them. */
export function DiffPage() {
  const s = useStore();
  const q = new URLSearchParams(location.search);
  const [from, setFrom] = useState(q.get('from') ?? String(s.past?.seq ?? Math.max(0, s.head - 100)));
  const [to, setTo] = useState(q.get('to') ?? 'head');
  const [asked, setAsked] = useState<string | null>(q.has('from') ? `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}` : null);
  const r = useJson(asked === null ? null : `/replay/diff?${asked}`, []);
  return (
    <>
      <h2>What changed between two moments</h2>
      <form
        class="tools"
        onSubmit={(e) => {
          e.preventDefault();
          const query = `from=${encodeURIComponent(from.trim())}&to=${encodeURIComponent(to.trim() || 'head')}`;
          history.replaceState(null, '', `/ui/diff?${query}`);
          setAsked(query);
        }}
      >
        <label>
          From <input value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} data-testid="diff-from" aria-describedby="diff-help" />
        </label>
        <label>
          To <input value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} data-testid="diff-to" aria-describedby="diff-help" />
        </label>
        <button type="submit">Compare</button>
        {store.past !== null ? (
          <button type="button" onClick={() => (setFrom(String(store.past!.seq)), setTo('head'))}>
            From the moment shown to now
          </button>
        ) : null}
      </form>
      <p id="diff-help" class="muted">
        A moment is a log sequence (1234), a time with a zone (2026-12-01T08:00:00Z), ms:&lt;ms since the epoch&gt;, or head.
      </p>
      {r.loading ? <p role="status">Folding the log…</p> : null}
      {r.error !== null ? <p role="alert">{r.error}</p> : null}
      {r.data !== null && !r.loading ? <DiffView d={r.data} /> : null}
    </>
  );
}

// ---------------------------------------------------------------------------------------------

/** The newest `replay verify` result over the whole log; asks again while the master is checking. */
export function VerifyStatus() {
  const [r, setR] = useState<J | null>(null);
  const [error, setError] = useState<string | null>(null);
  const s = useStore();
  const bucket = Math.floor(s.head / 100);
  useEffect(() => {
    let gone = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const step = (): void => {
      getJson('/replay/verify')
        .then((x) => {
          if (gone) return;
          setR(x);
          setError(null);
          if (x.running === true || x.report === null) timer = setTimeout(step, 1000);
        })
        .catch((e: unknown) => !gone && setError((e as Error).message));
    };
    step();
    return () => {
      gone = true;
      clearTimeout(timer);
    };
  }, [bucket]);
  const rep = r?.report as J | null | undefined;
  const violations = (rep?.violations as J[] | undefined) ?? [];
  return (
    <section aria-labelledby="h-verify" data-testid="verify">
      <h2 id="h-verify">Log verify</h2>
      {error !== null ? <p class="muted">{error}</p> : null}
      {r !== null ? (
        <>
          <p data-testid="verify-summary">
            {rep === null || rep === undefined ? (
              'Checking the log…'
            ) : (
              <>
                <strong class={violations.length === 0 ? 'good' : 'bad'}>{violations.length === 0 ? 'No findings' : `${violations.length} finding${violations.length === 1 ? '' : 's'}`}</strong> over seq 1…{String(r.checked_seq)} ({String(rep.events)} events, {String(rep.tasksSeen)} tasks, {String(rep.staleDecisionsIgnored)} stale decisions ignored
                {Number(r.malformed) > 0 ? `, ${String(r.malformed)} malformed` : ''}); {String(rep.pendingAcknowledgements)} updates await acknowledgement, {String(rep.launchesInFlight)} launches in flight.
              </>
            )}{' '}
            <span class="muted">
              {r.running === true ? 'Checking…' : `Checked ${String(r.finished_at ?? '').replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`}
              {Number(r.head) > Number(r.checked_seq) ? `; the log has ${Number(r.head) - Number(r.checked_seq)} more events` : ''}.
            </span>
          </p>
          {r.error !== null ? <p class="bad">The last pass failed: {String(r.error)}</p> : null}
          {violations.length > 0 ? (
            <ol data-testid="verify-findings">
              {violations.slice(0, 100).map((v, i) => (
                <li key={i}>
                  <code>{String(v.invariant)}</code> at seq {String(v.seq)}: {String(v.message)}
                  {(v.related as number[]).length > 0 ? <small class="muted"> (see seq {(v.related as number[]).join(', ')})</small> : null}
                </li>
              ))}
            </ol>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

/** The leader and the standbys, and how far behind the log's head each one's fold is. */
export function Masters() {
  const s = useStore();
  const bucket = Math.floor(Date.now() / 5000) + Math.floor(s.head / 50);
  const r = useJson('/master/masters', [bucket]);
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 5000);
    return () => clearInterval(t);
  }, []);
  const list = (r.data?.masters as J[] | undefined) ?? [];
  return (
    <section aria-labelledby="h-masters">
      <h2 id="h-masters">Masters</h2>
      {r.error !== null ? <p class="muted">{r.error}</p> : null}
      {r.data !== null ? (
        <>
          <p>
            The log’s head: seq <span data-testid="log-head">{String(r.data.head)}</span>
            {r.data.leader !== null ? (
              <>
                ; leader since {String(r.data.leader.elected_at).replace('T', ' ').replace(/\.\d+Z$/, 'Z')} (epoch {String(r.data.leader.epoch)})
              </>
            ) : (
              '; no leader elected'
            )}
            .
          </p>
          <table class="grid" data-testid="masters">
            <thead>
              <tr>
                <th scope="col">master</th>
                <th scope="col">role</th>
                <th scope="col">folded to</th>
                <th scope="col">lag (events)</th>
              </tr>
            </thead>
            <tbody>
              {list.map((m) => (
                <tr key={String(m.master_id)}>
                  <td>
                    <a href={String(m.url)}>
                      {String(m.hostname)}:{String(m.port)}
                    </a>
                  </td>
                  <td>{m.leader === true ? 'leader' : 'standby'}</td>
                  <td>seq {String(m.seq)}</td>
                  <td>
                    {String(m.lag)}
                    {m.caught_up !== true ? ' (catching up)' : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
