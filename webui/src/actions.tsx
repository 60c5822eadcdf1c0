/**
 * Operator actions: a button that asks for confirmation in a dialog, runs one operator call, and
 * shows its result or the API's error text. Before offering it, the master is asked whether the
 * signed-in principal may do it (GET /master/permissions, by Mesos's ACL action and object): when
 * not, the button is disabled and the reason is shown beside it. While time travelling there are
 * no actions (they act on the live cluster).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { type Permission, permission, principal } from './api';
import { useStore } from './store';

/** What the master says of `check` for the signed-in principal (null: not known yet). */
export function usePermission(check: string): Permission | null {
  const [p, setP] = useState<Permission | null>(null);
  const who = principal();
  useEffect(() => {
    let gone = false;
    setP(null);
    void permission(check).then((r) => !gone && setP(r));
    return () => {
      gone = true;
    };
  }, [check, who]);
  return p;
}

export interface ActionProps {
  readonly label: string;
  /** Mesos's ACL action, optionally `:object` (e.g. `teardown_frameworks:ops`). */
  readonly check: string;
  /** What will happen, said in the dialog. */
  readonly what: ComponentChildren;
  /** The inputs of the call, shown in the dialog (their state is the caller's). */
  readonly fields?: ComponentChildren;
  /** A reason the inputs cannot be sent (null: they can). */
  readonly invalid?: () => string | null;
  readonly run: () => Promise<unknown>;
  /** The text shown on success (default "Done."). */
  readonly done?: string;
  readonly danger?: boolean;
  /** Why it cannot be done now, whatever the ACLs say (e.g. the task has ended). */
  readonly unavailable?: string | null;
  /** Called after a success (e.g. to read again what the event stream does not carry). */
  readonly after?: () => void;
}

export function Action(props: ActionProps) {
  const s = useStore();
  const allowed = usePermission(props.check);
  const dialog = useRef<HTMLDialogElement>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  if (s.past !== null) return null;
  const slug = props.label.toLowerCase().replace(/\W+/g, '-');
  const why = props.unavailable ?? (allowed !== null && !allowed.allowed ? allowed.why : null);
  const disabled = allowed === null || why !== null || busy;
  return (
    <span class="action" data-action={slug}>
      <button
        type="button"
        class={props.danger === false ? '' : 'danger'}
        disabled={disabled}
        aria-describedby={why !== null ? `${id}-why` : undefined}
        onClick={() => {
          setResult(null);
          setProblem(null);
          dialog.current?.showModal();
        }}
      >
        {props.label}
      </button>
      {why !== null ? (
        <small id={`${id}-why`} class="why" data-testid="not-allowed">
          {why}
        </small>
      ) : null}
      <dialog ref={dialog} aria-labelledby={`${id}-title`} data-testid={`dialog-${slug}`}>
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            const bad = props.invalid?.() ?? null;
            if (bad !== null) {
              setProblem(bad);
              return;
            }
            dialog.current?.close();
            setBusy(true);
            props
              .run()
              .then(() => {
                setResult({ ok: true, text: props.done ?? 'Done.' });
                props.after?.();
              })
              .catch((err: unknown) => setResult({ ok: false, text: (err as Error).message }))
              .finally(() => setBusy(false));
          }}
        >
          <h2 id={`${id}-title`}>{props.label}?</h2>
          <div>{props.what}</div>
          {props.fields !== undefined ? <div class="fields">{props.fields}</div> : null}
          {problem !== null ? (
            <p role="alert" class="bad">
              {problem}
            </p>
          ) : null}
          <p class="muted">As {principal() ?? 'no principal (not signed in)'}.</p>
          <div class="menu">
            <button type="button" autofocus onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" class={props.danger === false ? '' : 'danger'}>
              {props.label}
            </button>
          </div>
        </form>
      </dialog>
      {busy ? <span role="status" class="result muted">Working…</span> : null}
      {result !== null ? (
        <span role={result.ok ? 'status' : 'alert'} class={`result ${result.ok ? 'good' : 'bad'}`} data-testid="action-result">
          {result.text}
        </span>
      ) : null}
    </span>
  );
}

/** A labelled input for an action's dialog. */
export function Field(props: { label: string; value: string; onInput: (v: string) => void; type?: 'text' | 'number'; placeholder?: string; list?: string; step?: string }) {
  return (
    <label class="field">
      <span>{props.label}</span>
      <input
        type={props.type ?? 'text'}
        value={props.value}
        placeholder={props.placeholder}
        list={props.list}
        step={props.step}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}
