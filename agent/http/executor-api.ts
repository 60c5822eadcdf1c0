/**
 * The v1 executor HTTP API on the agent (`POST /api/v1/executor`, Mesos's executor.proto, in JSON
 * or protobuf: the call as its Content-Type says, the stream's records as Accept allows, both
 * from one schema, proto/mesos/v1/executor/executor.proto): SUBSCRIBE opens the executor's RecordIO stream (SUBSCRIBED first, then LAUNCH, KILL,
 * ACKNOWLEDGED, MESSAGE, SHUTDOWN, HEARTBEAT as they come); UPDATE and MESSAGE are answered 202
 * once the agent has them (a status update in its durable queue, a message in the log). The
 * executors themselves are the manager's (agent/executor/manager.ts); this file only speaks HTTP.
 *
 * Authenticated by default, as Mesos's agent with --authenticate_http_executors: every call carries
 * the executor's token (agent/executor/token.ts) as `Authorization: Bearer …`; without a valid one
 * it is 401, for another executor than the token's 403. With --no-authenticate-http-executors the
 * executor proves nothing but its framework and executor ids (the agent warns at start).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Reply, readBody, text } from '../../kernel/shell/http/server.js';
import { APPLICATION_JSON, APPLICATION_PROTOBUF, type Media, NOT_ACCEPTABLE, acceptsMediaType, requestMedia, responseMedia } from '../../kernel/shell/http/media.js';
import { encodeBinaryRecord, encodeRecord } from '../../kernel/shell/scheduler-api/recordio.js';
import { decode as decodeProtobuf, encode as encodeProtobuf } from '../../proto/index.js';
import type { ExecutorManager, ExecutorStream } from '../executor/manager.js';
import { ExecutorCall, type ExecutorEvent, errorEvent } from '../executor/wire.js';

const MAX_CALL_BYTES = 8 * 1024 * 1024;

/**
 * The media type of the SUBSCRIBE stream's records: the one the Accept header allows, the call's
 * own when it allows both or says nothing (`application/recordio` alone, as some executor
 * libraries send, also means the call's own).
 */
function streamMedia(accept: string | string[] | undefined, own: Media): Media | null {
  const text = (Array.isArray(accept) ? accept.join(',') : (accept ?? '')).toLowerCase();
  if (text.trim() === '' || acceptsMediaType(accept, own)) return own;
  if (/application\/recordio/.test(text) && !acceptsMediaType(accept, own === APPLICATION_JSON ? APPLICATION_PROTOBUF : APPLICATION_JSON)) return own;
  return responseMedia(accept);
}

export async function executorApiRoute(req: IncomingMessage, executors: ExecutorManager): Promise<Reply> {
  const media = requestMedia(req.headers['content-type']);
  if (!media.ok) return text(`${media.text}\n`, media.status);
  const out = streamMedia(req.headers.accept, media.media);
  if (out === null) return text(`${NOT_ACCEPTABLE}\n`, 406);
  const body = await readBody(req, MAX_CALL_BYTES);
  let raw: unknown;
  if (media.media === APPLICATION_PROTOBUF) {
    try {
      raw = decodeProtobuf('executorCall', body);
    } catch (err) {
      return text(`${(err as Error).message}\n`, 400);
    }
  } else {
    try {
      raw = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return text(`Failed to parse the JSON body: ${(err as Error).message}\n`, 400);
    }
  }
  const parsed = ExecutorCall.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => (i.path.length > 0 ? `'${i.path.join('.')}': ${i.message}` : i.message)).join('; ');
    return text(`Failed to validate executor::Call: ${why}\n`, 400);
  }
  const call = parsed.data;
  const auth = executors.authenticate(req.headers.authorization, call);
  if (auth !== undefined && !auth.ok) {
    const r = text(`${auth.why}\n`, auth.status);
    return auth.status === 401 ? { ...r, headers: { ...(r.headers ?? {}), 'WWW-Authenticate': 'Bearer realm="mesos-agent-executor"' } } : r;
  }
  if (call.type !== 'SUBSCRIBE') {
    const r = await executors.call(call);
    return r.status === 202 ? { status: 202, text: '' } : text(`${r.text}\n`, r.status);
  }
  if (call.subscribe === undefined) return text("Expecting 'subscribe' to be present\n", 400);
  // The stream starts once the manager took the subscription; until then a refusal is a plain reply.
  let res: ServerResponse | undefined;
  const early: ExecutorEvent[] = [];
  const frame = (e: ExecutorEvent): Buffer => {
    if (out !== APPLICATION_PROTOBUF) return encodeRecord(e);
    try {
      return encodeBinaryRecord(encodeProtobuf('executorEvent', e));
    } catch (err) {
      // Not expected (every event we send round-trips, test/unit/executor-protobuf.test.ts): say so on the stream rather than throw into the agent.
      return encodeBinaryRecord(encodeProtobuf('executorEvent', errorEvent(`the agent could not encode a ${e.type} event in protobuf: ${(err as Error).message}`)));
    }
  };
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
  const r = await executors.subscribe(call, stream);
  if (r.status !== 202) return text(`${r.text}\n`, r.status);
  return {
    status: 200,
    takeover: (response) => {
      res = response;
      // As Mesos's agent: the records' own media type (RecordIO-framed); `application/recordio` with
      // Message-Content-Type only for an executor that asked for it by name.
      const named = /application\/recordio/i.test(String(req.headers.accept ?? ''));
      response.writeHead(200, named ? { 'Content-Type': 'application/recordio', 'Message-Content-Type': out, 'Cache-Control': 'no-cache' } : { 'Content-Type': out, 'Cache-Control': 'no-cache' });
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
