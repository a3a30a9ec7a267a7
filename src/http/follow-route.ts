// The event-stream routes (X11): `GET /follow/{id}` and `GET /events`, answered as SSE responses.
import type { Ctx } from "../commands/context.ts";
import { waitCommand } from "../commands/wait.ts";
import { AgentExecError } from "../core/errors.ts";
import { successEnvelope } from "../core/output.ts";
import { resolveJob } from "../store/job-store.ts";
import { isViewName, VIEW_NAMES } from "../views/types.ts";
import { eventsStream } from "./events-stream.ts";
import { followStart, followStream, SSE_HEADERS } from "./sse.ts";

/**
 * Follows one job. The job and the cursor are checked before the stream starts, so an unknown
 * job is a 404 and a foreign cursor a 400, both JSON. `Last-Event-ID` (sent by a reconnecting
 * EventSource, whose URL still holds the first `since`) wins over `since`.
 */
export async function followRoute(jobId: string, req: Request, url: URL, ctx: Ctx): Promise<Response> {
  const job = resolveJob(ctx.root, jobId);
  const since = req.headers.get("last-event-id") || url.searchParams.get("since") || undefined;
  const view = url.searchParams.get("view") ?? undefined;
  if (view !== undefined && !isViewName(view)) {
    throw new AgentExecError(
      "invalid_request",
      `invalid request: query view=${JSON.stringify(view)}: expected one of ${VIEW_NAMES.join(", ")}`,
    );
  }
  const start = followStart(job.paths, job.id, since);
  // The end event carries the answer `wait` gives for the ended job (X3): state, cause, tails, in
  // the view asked for (X14); the output events carry the bytes as written, each once.
  const terminal = async () =>
    successEnvelope(
      (await waitCommand({ jobIds: [job.id], timeoutMs: 1, pollMs: 1, ...(view ? { view } : {}) }, ctx)).payload,
    );
  const body = followStream(job.paths, job.id, start, terminal, ctx.interrupt);
  return new Response(body, { status: 200, headers: SSE_HEADERS });
}

/** The root's job events from now on. */
export async function eventsRoute(_req: Request, ctx: Ctx): Promise<Response> {
  return new Response(eventsStream(ctx.root, ctx.interrupt), { status: 200, headers: SSE_HEADERS });
}
