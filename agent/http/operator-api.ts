/**
 * The agent's v1 operator API (`POST /api/v1`, Mesos's agent.proto Call/Response, JSON or protobuf):
 * GET_HEALTH, GET_FLAGS, GET_VERSION, GET_METRICS, GET_STATE, GET_CONTAINERS, GET_FRAMEWORKS,
 * GET_EXECUTORS, GET_TASKS, LIST_FILES and READ_FILE, and the nested container sessions of `mesos
 * task exec` (LAUNCH_NESTED_CONTAINER_SESSION, ATTACH_CONTAINER_INPUT, ATTACH_CONTAINER_OUTPUT,
 * WAIT_NESTED_CONTAINER, WAIT_CONTAINER). Every other call of Mesos's agent API is answered 501
 * naming the calls served (docs/api.md lists them). A call is validated with zod; a malformed one
 * is a 400 saying what is wrong.
 *
 * ATTACH_CONTAINER_INPUT is the one streaming request, as in Mesos: `Content-Type:
 * application/recordio` with `Message-Content-Type` JSON or protobuf, a RecordIO body of agent
 * `Call`s whose first is ATTACH_CONTAINER_INPUT of type CONTAINER_ID (the session's container id);
 * the rest of the body is handed to the session (nested-sessions.ts).
 *
 * JSON or protobuf, as Mesos's agent: a body in `application/x-protobuf` is a binary agent.proto
 * `Call` (our proto/mesos/v1/agent/agent.proto), decoded to its JSON form and validated as JSON is;
 * the answer is protobuf when `Accept` allows it and not JSON; a session's stream is RecordIO of
 * ProcessIO records in the form `Message-Accept` asks for (input: `Message-Content-Type`).
 */
import { z } from 'zod';
import { isTerminal } from '../../events/index.js';
import * as R from '../../kernel/core/resources.js';
import { type HttpError, type Reply, json, readBody, text } from '../../kernel/shell/http/server.js';
import { APPLICATION_JSON, APPLICATION_PROTOBUF, NOT_ACCEPTABLE, acceptsMediaType } from '../../kernel/shell/http/media.js';
import { ProtobufError, decode as decodeProtobuf, encode as encodeProtobuf } from '../../proto/index.js';
import { nanos, resourcesToMesos } from '../../kernel/shell/scheduler-api/convert/index.js';
import { sandboxPath } from '../sandbox.js';
import type { RunningTask } from '../task-runner.js';
import { MAX_INPUT_RECORD_BYTES, type NestedSessions, type RecordMedia } from './nested-sessions.js';
import { RecordIoDecoder } from '../../kernel/shell/scheduler-api/recordio.js';
import { type Attached, MAX_READ_BYTES, ST_MODE, browse, openConfined, resolvePath } from './sandbox-files.js';
import { type AgentIdentity, commandExecutorName } from './state-json.js';
import type { HistoryExecutor, HistoryFramework, HistoryTask, TaskHistory } from './task-history.js';
import type { IncomingMessage } from 'node:http';

export const AGENT_CALLS_SERVED = [
  'GET_HEALTH', 'GET_FLAGS', 'GET_VERSION', 'GET_METRICS', 'GET_STATE', 'GET_CONTAINERS', 'GET_FRAMEWORKS', 'GET_EXECUTORS', 'GET_TASKS', 'LIST_FILES', 'READ_FILE',
  'LAUNCH_NESTED_CONTAINER_SESSION', 'ATTACH_CONTAINER_INPUT', 'ATTACH_CONTAINER_OUTPUT', 'WAIT_NESTED_CONTAINER', 'WAIT_CONTAINER', 'PRUNE_IMAGES',
] as const;
/** Mesos's other agent calls: answered 501. */
export const AGENT_CALLS_NOT_SERVED = [
  'GET_LOGGING_LEVEL', 'SET_LOGGING_LEVEL', 'GET_RESOURCE_PROVIDERS', 'GET_OPERATIONS', 'GET_AGENT', 'LAUNCH_NESTED_CONTAINER',
  'KILL_NESTED_CONTAINER', 'REMOVE_NESTED_CONTAINER', 'LAUNCH_CONTAINER', 'KILL_CONTAINER', 'REMOVE_CONTAINER', 'ADD_RESOURCE_PROVIDER_CONFIG', 'UPDATE_RESOURCE_PROVIDER_CONFIG', 'REMOVE_RESOURCE_PROVIDER_CONFIG',
  'MARK_RESOURCE_PROVIDER_GONE',
] as const;

/** A uint64 in Mesos's JSON may be a number or a decimal string. */
const U64 = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);

/** A nested container's id: its own value under its parent's (the task's container). */
const NestedId = z.object({ value: z.string().min(1), parent: z.object({ value: z.string().min(1) }, { error: 'a nested container id needs its parent (the task\'s container id)' }) });
/** Any container id: a task's (no parent) or a nested one. */
const AnyContainerId = z.object({ value: z.string().min(1), parent: z.object({ value: z.string().min(1) }).optional() });
const U32 = z.number().int().nonnegative().max(0xffffffff);

export const AgentCall = z.discriminatedUnion('type', [
  z.object({ type: z.enum(['GET_HEALTH', 'GET_FLAGS', 'GET_VERSION', 'GET_STATE', 'GET_CONTAINERS', 'GET_FRAMEWORKS', 'GET_EXECUTORS', 'GET_TASKS']) }).passthrough(),
  z.object({ type: z.literal('GET_METRICS'), get_metrics: z.object({ timeout: z.object({ nanoseconds: z.number() }).optional() }).optional() }),
  z.object({ type: z.literal('LIST_FILES'), list_files: z.object({ path: z.string().min(1) }) }),
  z.object({ type: z.literal('READ_FILE'), read_file: z.object({ path: z.string().min(1), offset: U64, length: U64.optional() }) }),
  z.object({
    type: z.literal('LAUNCH_NESTED_CONTAINER_SESSION'),
    launch_nested_container_session: z.object({
      container_id: NestedId,
      command: z.object({
        value: z.string().optional(),
        shell: z.boolean().optional(),
        arguments: z.array(z.string()).optional(),
        environment: z.object({ variables: z.array(z.object({ name: z.string().min(1), value: z.string() })) }).optional(),
      }),
      // Mesos's ContainerInfo: only its tty_info applies to a session (a pseudo-terminal).
      container: z
        .object({
          type: z.enum(['MESOS'], { error: "a session's container.type can only be MESOS (it runs in the task's container)" }).optional(),
          tty_info: z.object({ window_size: z.object({ rows: U32, columns: U32 }).optional() }).optional(),
        })
        .optional(),
    }),
  }),
  z.object({ type: z.literal('WAIT_NESTED_CONTAINER'), wait_nested_container: z.object({ container_id: NestedId }) }),
  z.object({
    type: z.literal('PRUNE_IMAGES'),
    prune_images: z
      .object({
        /** Mesos's Image messages; only DOCKER images are cached here. */
        excluded_images: z
          .array(
            z.discriminatedUnion('type', [
              z.object({ type: z.literal('DOCKER'), docker: z.object({ name: z.string().min(1) }) }),
              z.object({ type: z.literal('APPC'), appc: z.object({ name: z.string().min(1), labels: z.object({ labels: z.array(z.object({ key: z.string(), value: z.string().optional() })) }).optional() }) }),
            ]),
          )
          .optional(),
      })
      .optional(),
  }),
  z.object({ type: z.literal('WAIT_CONTAINER'), wait_container: z.object({ container_id: AnyContainerId }) }),
  z.object({ type: z.literal('ATTACH_CONTAINER_OUTPUT'), attach_container_output: z.object({ container_id: AnyContainerId }) }),
]);
export type AgentCall = z.infer<typeof AgentCall>;

export interface AgentApiContext {
  readonly me: () => AgentIdentity;
  readonly history: TaskHistory;
  readonly running: () => readonly RunningTask[];
  readonly metrics: () => Record<string, number>;
  readonly sandboxes: () => Attached;
  readonly version: () => Record<string, unknown>;
  readonly sessions: NestedSessions;
  /** PRUNE_IMAGES: the image cache's prune (absent: the call is answered 503). */
  readonly pruneImages?: (excluded: readonly string[]) => Promise<readonly string[]>;
}

const id = (value: string) => ({ value });

function taskV1(t: HistoryTask, agentId: string): Record<string, unknown> {
  return {
    name: t.name,
    task_id: id(t.taskId),
    framework_id: id(t.frameworkId),
    ...(t.inGroup ? { executor_id: id(t.executorId) } : {}),
    agent_id: id(agentId),
    state: t.state,
    resources: resourcesToMesos(t.resources, t.role),
    statuses: t.statuses.map((s) => ({
      task_id: id(t.taskId),
      state: s.state,
      source: 'SOURCE_EXECUTOR',
      agent_id: id(agentId),
      timestamp: s.timestamp / 1000,
      ...(s.containerId !== undefined ? { container_status: { container_id: id(s.containerId) } } : {}),
      ...(s.healthy !== undefined ? { healthy: s.healthy } : {}),
    })),
    ...(t.statuses.length > 0 ? { status_update_state: t.statuses[t.statuses.length - 1]!.state } : {}),
    ...(t.labels !== undefined ? { labels: { labels: Object.entries(t.labels).map(([key, value]) => ({ key, value })) } } : {}),
  };
}

function executorInfoV1(e: HistoryExecutor): Record<string, unknown> {
  const first = e.tasks.values().next().value ?? e.completedTasks[0];
  return {
    type: e.group === undefined ? 'CUSTOM' : 'DEFAULT',
    executor_id: id(e.executorId),
    framework_id: id(e.frameworkId),
    name: e.group === undefined && first !== undefined ? commandExecutorName(first) : '',
    resources: resourcesToMesos(R.add(e.group?.resources ?? [], ...[...e.tasks.values()].map((t) => t.resources)), e.role),
    ...(e.group === undefined && first?.command !== undefined ? { command: { value: first.command.value, shell: first.command.shell ?? true } } : {}),
  };
}

const frameworkInfoV1 = (f: HistoryFramework) => ({ framework_info: { id: id(f.id), name: f.name, user: f.user, checkpoint: f.checkpoint, roles: [f.role] } });

function tasksV1(c: AgentApiContext) {
  const me = c.me();
  const launched: unknown[] = [];
  const terminated: unknown[] = [];
  const completed: unknown[] = [];
  const all = [...c.history.frameworks(), ...c.history.completedFrameworks()];
  for (const f of all) {
    for (const e of f.executors.values()) for (const t of e.tasks.values()) (isTerminal(t.state) ? terminated : launched).push(taskV1(t, me.id));
    for (const e of [...f.executors.values(), ...f.completedExecutors]) for (const t of e.completedTasks) completed.push(taskV1(t, me.id));
    for (const e of f.completedExecutors) for (const t of e.tasks.values()) completed.push(taskV1(t, me.id));
  }
  return { pending_tasks: [], queued_tasks: [], launched_tasks: launched, terminated_tasks: terminated, completed_tasks: completed };
}

function executorsV1(c: AgentApiContext) {
  const executors: unknown[] = [];
  const completed: unknown[] = [];
  for (const f of c.history.frameworks()) {
    for (const e of f.executors.values()) executors.push({ executor_info: executorInfoV1(e) });
    for (const e of f.completedExecutors) completed.push({ executor_info: executorInfoV1(e) });
  }
  for (const f of c.history.completedFrameworks()) for (const e of [...f.executors.values(), ...f.completedExecutors]) completed.push({ executor_info: executorInfoV1(e) });
  return { executors, completed_executors: completed };
}

const frameworksV1 = (c: AgentApiContext) => ({
  frameworks: c.history.frameworks().map(frameworkInfoV1),
  completed_frameworks: c.history.completedFrameworks().map(frameworkInfoV1),
});

function containersV1(c: AgentApiContext) {
  const me = c.me();
  const names = new Map<string, string>();
  for (const f of c.history.frameworks()) for (const e of f.executors.values()) names.set(`${f.id} ${e.executorId}`, String(executorInfoV1(e)['name'] ?? ''));
  const seen = new Set<string>();
  const containers: unknown[] = [];
  for (const t of c.running()) {
    if (seen.has(t.containerId)) continue;
    seen.add(t.containerId);
    containers.push({
      framework_id: id(t.frameworkId),
      executor_id: id(t.executorId),
      executor_name: names.get(`${t.frameworkId} ${t.executorId}`) ?? '',
      container_id: id(t.containerId),
      container_status: {
        container_id: id(t.containerId),
        ...(t.container?.pid !== undefined ? { executor_pid: t.container.pid } : {}),
      },
      sandbox: sandboxPath(me.workDir, me.id, t.frameworkId, t.executorId, t.containerId),
    });
  }
  return { containers };
}

/** Handle one call (already validated); a Reply in Mesos's Response JSON or an error. */
export async function handleAgentCall(call: AgentCall, c: AgentApiContext, streamMedia: RecordMedia = 'json'): Promise<Reply> {
  switch (call.type) {
    case 'GET_HEALTH':
      return json({ type: 'GET_HEALTH', get_health: { healthy: true } });
    case 'GET_FLAGS':
      return json({ type: 'GET_FLAGS', get_flags: { flags: Object.entries(c.me().flags).map(([name, value]) => ({ name, value })) } });
    case 'GET_VERSION':
      return json({ type: 'GET_VERSION', get_version: { version_info: c.version() } });
    case 'GET_METRICS':
      return json({ type: 'GET_METRICS', get_metrics: { metrics: Object.entries(c.metrics()).map(([name, value]) => ({ name, value })) } });
    case 'GET_STATE':
      return json({ type: 'GET_STATE', get_state: { get_tasks: tasksV1(c), get_executors: executorsV1(c), get_frameworks: frameworksV1(c) } });
    case 'GET_CONTAINERS':
      return json({ type: 'GET_CONTAINERS', get_containers: containersV1(c) });
    case 'GET_FRAMEWORKS':
      return json({ type: 'GET_FRAMEWORKS', get_frameworks: frameworksV1(c) });
    case 'GET_EXECUTORS':
      return json({ type: 'GET_EXECUTORS', get_executors: executorsV1(c) });
    case 'GET_TASKS':
      return json({ type: 'GET_TASKS', get_tasks: tasksV1(c) });
    case 'LIST_FILES': {
      const r = await browse(call.list_files.path, c.sandboxes());
      if (!r.ok) return text(r.message, r.status);
      return json({
        type: 'LIST_FILES',
        list_files: { file_infos: r.value.map((f) => ({ path: f.path, nlink: f.nlink, size: f.size, mtime: nanos(f.mtime * 1000), mode: f[ST_MODE] ?? 0, uid: f.uid, gid: f.gid })) },
      });
    }
    case 'LAUNCH_NESTED_CONTAINER_SESSION': {
      const { container_id: cid, command, container } = call.launch_nested_container_session;
      const env = command.environment === undefined ? undefined : Object.fromEntries(command.environment.variables.map((v) => [v.name, v.value]));
      const tty = container?.tty_info === undefined ? undefined : { rows: container.tty_info.window_size?.rows, columns: container.tty_info.window_size?.columns };
      return c.sessions.launch(cid.parent.value, cid.value, { value: command.value, shell: command.shell, arguments: command.arguments, environment: env }, c.running(), tty, streamMedia);
    }
    case 'PRUNE_IMAGES': {
      if (c.pruneImages === undefined) return text('this agent has no image provisioner to prune', 503);
      try {
        // An APPC image is cached under `name:version` (version `latest` when not labelled).
        const names = (call.prune_images?.excluded_images ?? []).map((i) =>
          i.type === 'DOCKER' ? i.docker.name : `appc:${i.appc.name}:${i.appc.labels?.labels.find((l) => l.key === 'version')?.value ?? 'latest'}`,
        );
        await c.pruneImages(names);
      } catch (err) {
        return text(`PRUNE_IMAGES failed: ${(err as Error).message}`, 400);
      }
      return { status: 200, text: '' };
    }
    case 'WAIT_NESTED_CONTAINER': {
      const cid = call.wait_nested_container.container_id;
      return c.sessions.wait(cid.parent.value, cid.value);
    }
    case 'WAIT_CONTAINER': {
      const cid = call.wait_container.container_id;
      if (cid.parent === undefined) return text(`Container ${cid.value} is not a nested container session: this agent answers WAIT_CONTAINER only for those (a task's end is its status update)\n`, 400);
      return c.sessions.wait(cid.parent.value, cid.value, 'WAIT_CONTAINER');
    }
    case 'ATTACH_CONTAINER_OUTPUT': {
      const cid = call.attach_container_output.container_id;
      if (cid.parent === undefined) {
        // A task's own output goes to its sandbox (read it with READ_FILE or `mesos task log`). The
        // text is Mesos's for a container without an I/O switchboard: the Mesos CLI looks for it.
        if (c.running().some((t) => t.containerId === cid.value)) return text('I/O switchboard server was disabled for this container', 500);
        return text(`Container ${cid.value} is not a running container of this agent\n`, 404);
      }
      return c.sessions.attachOutput(cid.parent.value, cid.value, streamMedia);
    }
    case 'READ_FILE': {
      const { path, offset, length } = call.read_file;
      const r = await resolvePath(path, c.sandboxes());
      if (!r.ok) return text(r.message, r.status);
      const opened = await openConfined(r.value);
      if (!opened.ok) return text(opened.message, opened.status);
      const fh = opened.value;
      try {
        const st = await fh.stat();
        if (st.isDirectory()) return text('Cannot read a directory.\n', 400);
        // The file's bytes as they are (Mesos's JSON form of `bytes` is base64), at most MAX_READ_BYTES.
        const want = Math.max(0, Math.min(length ?? st.size, st.size - offset, MAX_READ_BYTES));
        const buf = Buffer.alloc(want);
        const { bytesRead } = want === 0 ? { bytesRead: 0 } : await fh.read(buf, 0, want, offset);
        return json({ type: 'READ_FILE', read_file: { size: st.size, data: buf.subarray(0, bytesRead).toString('base64') } });
      } finally {
        await fh.close();
      }
    }
  }
}

/** The first record of ATTACH_CONTAINER_INPUT: which container's input the rest of the body is. */
const AttachInputFirst = z.object({
  type: z.literal('ATTACH_CONTAINER_INPUT'),
  attach_container_input: z.object(
    {
      type: z.literal('CONTAINER_ID', { error: "expected 'attach_container_input.type' to be CONTAINER_ID in the first record" }),
      container_id: NestedId,
    },
    { error: "expected 'attach_container_input' with the container id" },
  ),
});

const issuesText = (e: z.ZodError): string => e.issues.map((i) => `${i.path.join('.') || '(call)'}: ${i.message}`).join('; ');

/** ATTACH_CONTAINER_INPUT: read the body's first record, then hand the stream to the session. */
function attachInputRoute(req: IncomingMessage, c: AgentApiContext): Promise<Reply> {
  const mct = (req.headers['message-content-type'] ?? '').toString().split(';')[0]!.trim();
  const refuse = (r: Reply): Promise<Reply> => {
    req.resume();
    return Promise.resolve({ ...r, headers: { Connection: 'close' } });
  };
  if (mct === '') return refuse(text("Expecting 'Message-Content-Type' to be set for streaming requests (application/json or application/x-protobuf)", 400));
  if (mct !== APPLICATION_JSON && mct !== APPLICATION_PROTOBUF) return refuse(text(`Expecting 'Message-Content-Type' of application/json or application/x-protobuf, got '${mct}'`, 415));
  const binary = mct === APPLICATION_PROTOBUF;
  /** A record as decoded → the JSON form of the Call (throws on bad protobuf, with the reason). */
  const toJson = (r: unknown): unknown => (binary ? decodeProtobuf('agentCall', r as Buffer) : r);
  const decoder = new RecordIoDecoder({ maxRecordBytes: MAX_INPUT_RECORD_BYTES, binary });
  return new Promise<Reply>((resolve) => {
    let done = false;
    const stop = (r: Reply | Promise<Reply>): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      let records: unknown[];
      try {
        records = decoder.push(chunk);
      } catch (e) {
        stop(refuse(text(`Failed to read the request body as RecordIO: ${(e as Error).message}`, 400)));
        return;
      }
      if (records.length === 0) return;
      req.pause();
      const [firstRecord, ...rest] = records;
      let first: unknown;
      try {
        first = toJson(firstRecord);
      } catch (e) {
        stop(refuse(text(`${e instanceof ProtobufError ? e.message : String(e)}`, 400)));
        return;
      }
      const type = (first as { type?: unknown } | null)?.type;
      if (type !== 'ATTACH_CONTAINER_INPUT') {
        stop(refuse(text(`Streaming 'Content-Type' application/recordio is not supported for ${typeof type === 'string' ? type : 'a call without a type'}: only ATTACH_CONTAINER_INPUT streams its body`, 415)));
        return;
      }
      const call = AttachInputFirst.safeParse(first);
      if (!call.success) {
        stop(refuse(text(`Invalid ATTACH_CONTAINER_INPUT call (${issuesText(call.error)}); the first record is {"type":"ATTACH_CONTAINER_INPUT","attach_container_input":{"type":"CONTAINER_ID","container_id":{…}}}`, 400)));
        return;
      }
      const cid = call.data.attach_container_input.container_id;
      const r = c.sessions.attachInput(cid.parent.value, cid.value, req, decoder, rest, toJson);
      req.resume();
      stop(r);
    };
    const onEnd = (): void => stop(refuse(text('Received EOF while reading the request body: ATTACH_CONTAINER_INPUT needs its first record (the container id)', 400)));
    req.on('data', onData);
    req.on('end', onEnd);
  });
}

/** The `POST /api/v1` handler: JSON body → call → Response (RecordIO body: ATTACH_CONTAINER_INPUT). */
export async function agentApiRoute(req: IncomingMessage, c: AgentApiContext, maxBodyBytes = 1 << 20): Promise<Reply> {
  const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (ct === 'application/recordio') return attachInputRoute(req, c);
  if (ct !== APPLICATION_JSON && ct !== APPLICATION_PROTOBUF) {
    req.resume();
    return text(`Expecting 'Content-Type' of application/json or application/x-protobuf (application/recordio for ATTACH_CONTAINER_INPUT), got '${ct || '(none)'}'`, 415);
  }
  if (req.headers['message-content-type'] !== undefined) {
    req.resume();
    return text("Expecting 'Message-Content-Type' to be not set for non-streaming requests", 415);
  }
  // The answer: JSON when Accept allows it (or a stream, application/recordio), else protobuf.
  const accept = req.headers.accept;
  const answer = acceptsMediaType(accept, APPLICATION_JSON) || acceptsMediaType(accept, 'application/recordio') ? APPLICATION_JSON : acceptsMediaType(accept, APPLICATION_PROTOBUF) ? APPLICATION_PROTOBUF : null;
  if (answer === null) {
    req.resume();
    return text(NOT_ACCEPTABLE, 406);
  }
  // A stream's records: as Message-Accept asks (absent: as the answer would be).
  const messageAccept = req.headers['message-accept'];
  const streamMedia: RecordMedia | null =
    messageAccept === undefined ? (answer === APPLICATION_PROTOBUF ? 'protobuf' : 'json') : acceptsMediaType(messageAccept, APPLICATION_JSON) ? 'json' : acceptsMediaType(messageAccept, APPLICATION_PROTOBUF) ? 'protobuf' : null;
  if (streamMedia === null) {
    req.resume();
    return text(`Expecting 'Message-Accept' to allow '${APPLICATION_PROTOBUF}' or '${APPLICATION_JSON}'`, 406);
  }
  let body: Buffer;
  try {
    body = await readBody(req, maxBodyBytes);
  } catch (err) {
    const e = err as HttpError;
    return text(e.message, typeof e.status === 'number' ? e.status : 400);
  }
  let raw: unknown;
  if (ct === APPLICATION_PROTOBUF) {
    try {
      raw = decodeProtobuf('agentCall', body);
    } catch (err) {
      return text(err instanceof ProtobufError ? err.message : String(err), 400);
    }
  } else {
    try {
      raw = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return text(`Failed to parse the body as JSON: ${(err as Error).message}`, 400);
    }
  }
  const type = (raw as { type?: unknown } | null)?.type;
  if (type === 'ATTACH_CONTAINER_INPUT') return text("Expecting 'Content-Type' to be application/recordio for ATTACH_CONTAINER_INPUT call (with Message-Content-Type: application/json)", 415);
  if (typeof type === 'string' && (AGENT_CALLS_NOT_SERVED as readonly string[]).includes(type)) {
    return text(`${type} is not implemented by this agent; it serves ${AGENT_CALLS_SERVED.join(', ')}`, 501);
  }
  const call = AgentCall.safeParse(raw);
  if (!call.success) {
    return text(`Invalid agent call (${issuesText(call.error)}); expected {"type": one of ${AGENT_CALLS_SERVED.join(', ')}, …}`, 400);
  }
  const reply = await handleAgentCall(call.data, c, streamMedia);
  if (answer !== APPLICATION_PROTOBUF || reply.body === undefined || reply.status !== 200) return reply;
  try {
    return { status: 200, raw: Buffer.from(encodeProtobuf('agentResponse', reply.body)), headers: { 'Content-Type': APPLICATION_PROTOBUF } };
  } catch (err) {
    return text(`Cannot answer in protobuf: ${(err as Error).message}`, 500);
  }
}
