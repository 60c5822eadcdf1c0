/** The dashboard's shell: navigation, sign-in, theme, the time-travel bar, and the page of the path. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './style.css';
import { forgetPermissions, principal, setCredentials } from './api';
import { DiffPage } from './history';
import { AgentPage, Agents, FrameworkPage, Frameworks, Maintenance, NotFound, Offers, Overview, Roles, Tasks } from './pages';
import { TaskPage } from './task';
import { Link, usePath } from './router';
import { connect, store, travel, useStore } from './store';

const NAV = [
  ['/', 'Overview'],
  ['/ui/frameworks', 'Frameworks'],
  ['/ui/agents', 'Agents'],
  ['/ui/tasks', 'Tasks'],
  ['/ui/roles', 'Roles'],
  ['/ui/offers', 'Offers'],
  ['/ui/maintenance', 'Maintenance'],
  ['/ui/diff', 'Diff'],
] as const;

function page(path: string) {
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/' || p === '/ui' || p === '/index.html') return <Overview />;
  const m = /^\/ui\/(\w+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(p);
  if (m === null) return <NotFound />;
  const [, section, a, b] = m;
  const d = (s: string | undefined): string => decodeURIComponent(s ?? '');
  switch (section) {
    case 'frameworks':
      return a === undefined ? <Frameworks /> : <FrameworkPage id={d(a)} />;
    case 'agents':
      return a === undefined ? <Agents /> : <AgentPage id={d(a)} />;
    case 'diff':
      return <DiffPage />;
    case 'tasks':
      return a === undefined ? <Tasks /> : b === undefined ? <NotFound /> : <TaskPage frameworkId={d(a)} taskId={d(b)} />;
    case 'roles':
      return <Roles />;
    case 'offers':
      return <Offers />;
    case 'maintenance':
      return <Maintenance />;
    default:
      return <NotFound />;
  }
}

function Theme() {
  const [theme, setTheme] = useState<string>(() => localStorage.getItem('mesos-theme') ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  // The choice is stored when it is made, not after the next render: a page left at once keeps it.
  const choose = (next: string): void => {
    localStorage.setItem('mesos-theme', next);
    setTheme(next);
  };
  return (
    <button type="button" aria-pressed={theme === 'dark'} onClick={() => choose(theme === 'dark' ? 'light' : 'dark')}>
      {theme === 'dark' ? 'Light theme' : 'Dark theme'}
    </button>
  );
}

function SignIn() {
  const [open, setOpen] = useState(false);
  const [who, setWho] = useState(principal() ?? '');
  const [secret, setSecret] = useState('');
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        {principal() !== null ? `Signed in as ${principal()}` : 'Sign in'}
      </button>
    );
  return (
    <form
      class="signin"
      onSubmit={(e) => {
        e.preventDefault();
        setCredentials(who === '' ? null : { principal: who, secret });
        forgetPermissions();
        setOpen(false);
        connect(true);
      }}
    >
      <label>
        Principal <input value={who} autoComplete="username" onInput={(e) => setWho((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        Secret <input type="password" value={secret} autoComplete="current-password" onInput={(e) => setSecret((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">{who === '' ? 'Sign out' : 'Sign in'}</button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
}

function TimeTravel() {
  const s = useStore();
  const [value, setValue] = useState<number | null>(null);
  const max = Math.max(s.head, 1);
  const current = value ?? s.past?.seq ?? s.head;
  useEffect(() => {
    if (value === null) return;
    const t = setTimeout(() => void travel(value >= s.head && s.past === null ? null : value), 150);
    return () => clearTimeout(t);
  }, [value]);
  return (
    <section class="travel" aria-label="Time travel">
      <label for="seq-range">History (log sequence)</label>
      <input
        id="seq-range"
        type="range"
        min={Math.max(0, s.first)}
        max={max}
        value={current}
        aria-valuetext={`seq ${current} of ${max}`}
        onInput={(e) => setValue(Number((e.target as HTMLInputElement).value))}
      />
      <label>
        <span class="sr">Sequence</span>
        <input
          type="number"
          min={0}
          max={max}
          value={current}
          aria-label="Sequence"
          data-testid="seq-input"
          onChange={(e) => setValue(Number((e.target as HTMLInputElement).value))}
        />
      </label>
      <span class="muted">of {s.head}</span>
      {s.past !== null || s.travelling ? (
        <button
          type="button"
          onClick={() => {
            setValue(null);
            void travel(null);
          }}
        >
          Back to live
        </button>
      ) : null}
    </section>
  );
}

function Banner() {
  const s = useStore();
  if (s.travelError !== null) return <div role="alert" class="banner error">History: {s.travelError}</div>;
  if (s.past === null) return s.status === 'live' ? null : <div role="status" class="banner warn">Event stream: {s.status}</div>;
  return (
    <div role="status" class="banner past" data-testid="past-banner">
      This is the past: the cluster as of seq {s.past.seq}
      {s.past.storedAt !== null ? ` (stored ${s.past.storedAt})` : ''}. Nothing here is live.{' '}
      <button type="button" onClick={() => void travel(null)}>
        Back to live
      </button>
    </div>
  );
}

function App() {
  const path = usePath();
  const s = useStore();
  useEffect(() => {
    const title = NAV.find(([p]) => p === path)?.[1] ?? 'mesos-ts';
    document.title = `${title} · mesos-ts${s.past !== null ? ` (seq ${s.past.seq})` : ''}`;
  }, [path, s.past]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <h1>mesos-ts</h1>
        <nav aria-label="Pages">
          <ul>
            {NAV.map(([p, name]) => (
              <li key={p}>
                <Link href={p} current={path === p || (p !== '/' && path.startsWith(`${p}/`))}>
                  {name}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="right">
          <span class={`live ${s.past === null && s.status === 'live' ? 'on' : ''}`} data-testid="live-status">
            {s.past !== null ? 'past' : s.status}
          </span>
          <SignIn />
          <Theme />
        </div>
      </header>
      <TimeTravel />
      <Banner />
      <main id="main" tabIndex={-1}>
        {page(path)}
      </main>
    </>
  );
}

connect();
render(<App />, document.getElementById('app')!);
void store;
