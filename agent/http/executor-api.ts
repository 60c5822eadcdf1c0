/**
 * The v1 executor HTTP API on the agent (`POST /api/v1/executor`, Mesos's executor.proto in its
 * JSON form): SUBSCRIBE opens the executor's RecordIO stream (SUBSCRIBED first, then LAUNCH, KILL,
 * ACKNOWLEDGED, MESSAGE, SHUTDOWN, HEARTBEAT as they come); UPDATE and MESSAGE are answered 202
 * once the agent has them (a status update in its durable queue, a message in the log). The
 * executors themselves are the manager's (agent/executor/manager.ts); this file only speaks HTTP.
 *
 * Open, as Mesos's agent is without --authenticate_http_executors: the executor proves nothing but
 * its framework and executor ids, and only an executor running on this agent is answered.
 *
 * JSON or protobuf, as Mesos: a Call in `application/x-protobuf` (our proto/mesos/v1/executor/
 * executor.proto, Mesos's field numbers) is decoded to its JSON form and validated as a JSON one is;
 * an executor that accepts only protobuf gets its stream as RecordIO of binary Events
 * (`Content-Type: application/x-protobuf`, as Mesos's agent answers).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Reply, readBody, text } from '../../kernel/shell/http/server.js';
import { acceptsMediaType } from '../../kernel/shell/http/media.js';
import { encodeBinaryRecord, encodeRecord } from '../../kernel/shell/scheduler-api/recordio.js';
import { ProtobufError, decode, encode } from '../../proto/index.js';
import type { ExecutorManager, ExecutorStream } from '../executor/manager.js';
import { ExecutorCall, type ExecutorEvent } from '../executor/wire.js';

const MAX_CALL_BYTES = 8 * 1024 * 1024;

export async function executorApiRoute(req: IncomingMessage, executors: ExecutorManager): Promise<Reply> {
  const media = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (media !== 'application/json' && media !== 'application/x-protobuf') {
    return text(`Expecting 'Content-Type' of application/json or application/x-protobuf (got '${media}')\n`, 415);
  }
  // JSON when the executor takes it (the RecordIO stream of JSON records), else protobuf.
  const accept = req.headers.accept;
  const json = acceptsMediaType(accept, 'application/json') || acceptsMediaType(accept, 'application/recordio');
  if (!json && !acceptsMediaType(accept, 'application/x-protobuf')) {
    return text(`Expecting 'Accept' to allow 'application/json' or 'application/x-protobuf' (got '${String(accept)}')\n`, 406);
  }
  const body = await readBody(req, MAX_CALL_BYTES);
  let raw: unknown;
  if (media === 'application/x-protobuf') {
    try {
      raw = decode('executorCall', body);
    } catch (err) {
      return text(`${err instanceof ProtobufError ? err.message : String(err)}\n`, 400);
    }
  } else {
    try {
      raw = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return text(`Failed to parse the JSON body: ${(err as Error).message}\n`, 400);
    }
  }
  const frame = (e: ExecutorEvent): Buffer => (json ? encodeRecord(e) : encodeBinaryRecord(encode('executorEvent', e)));
  const parsed = ExecutorCall.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => (i.path.length > 0 ? `'${i.path.join('.')}': ${i.message}` : i.message)).join('; ');
    return text(`Failed to validate executor::Call: ${why}\n`, 400);
  }
  const call = parsed.data;
  if (call.type !== 'SUBSCRIBE') {
    const r = await executors.call(call);
    return r.status === 202 ? { status: 202, text: '' } : text(`${r.text}\n`, r.status);
  }
  if (call.subscribe === undefined) return text("Expecting 'subscribe' to be present\n", 400);
  // The stream starts once the manager took the subscription; until then a refusal is a plain reply.
  let res: ServerResponse | undefined;
  const early: ExecutorEvent[] = [];
  let closed = false;
  const stream: ExecutorStream = {
    send(event) {
      if (closed) return;
      if (res === undefined) early.push(event);
      else if (!res.destroyed) res.write(frame(event));
    },
    close() {
      if (closed) return;
      closed = true;
      if (res !== undefined && !res.destroyed) res.end();
    },
  };
  const r = executors.subscribe(call, stream);
  if (r.status !== 202) return text(`${r.text}\n`, r.status);
  return {
    status: 200,
    takeover: (response) => {
      res = response;
      response.writeHead(200, json ? { 'Content-Type': 'application/recordio', 'Message-Content-Type': 'application/json', 'Cache-Control': 'no-cache' } : { 'Content-Type': 'application/x-protobuf', 'Cache-Control': 'no-cache' });
      response.flushHeaders();
      for (const e of early.splice(0)) response.write(frame(e));
      if (closed) response.end();
      response.once('close', () => {
        closed = true;
        executors.unsubscribed(call.framework_id.value, call.executor_id.value, stream);
      });
    },
  };
}
