// Event streams over HTTP (X11): /follow/{id} (every byte once, in order, resumable, end answer)
// and /events (the root's job events), through the in-process fetch handler.
import { afterAll, describe, expect, test } from "bun:test";
import { httpBed } from "../helpers/http-handler.ts";
import { killJobsOf } from "../helpers/kill-jobs.ts";
import { type SseFrame, sseReader } from "../helpers/sse.ts";

const TOKEN = "sse-token";
const { root, handler, track } = httpBed("http-sse-", TOKEN);

// biome-ignore lint/suspicious/noExplicitAny: parsed responses, checked with toEqual/toMatchObject.
type Json = any;

afterAll(() => killJobsOf(root));

const get = (path: string, headers: Record<string, string> = {}) =>
  handler(new Request(`http://127.0.0.1${path}`, { headers: { authorization: `Bearer ${TOKEN}`, ...headers } }));

async function exec(body: Record<string, unknown>): Promise<Json> {
  const res = await handler(
    new Request("http://127.0.0.1/exec", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    }),
  );
  const json = (await res.json()) as Json;
  track(json);
  return json;
}

/** Reads frames until `stop` says so (or the stream ends); returns them all. */
async function readFrames(
  reader: ReturnType<typeof sseReader>,
  stop: (f: SseFrame, all: SseFrame[]) => boolean = () => false,
): Promise<SseFrame[]> {
  const all: SseFrame[] = [];
  for (;;) {
    const f = await reader.next();
    if (!f) return all;
    all.push(f);
    if (stop(f, all)) return all;
  }
}

const text = (frames: SseFrame[], stream: string) =>
  frames
    .filter((f) => f.event === "output" && f.data.stream === stream)
    .map((f) => f.data.text)
    .join("");

const seq = (from: number, to: number) => {
  let s = "";
  for (let i = from; i <= to; i++) s += `${i}\n`;
  return s;
};

describe("/follow", () => {
  test("a job's output, every byte once and in order, then the state and the end with the wait answer", async () => {
    const run = await exec({
      command: ["sh", "-c", "for i in 1 2 3 4 5; do echo line $i; echo err $i >&2; sleep 0.05; done; exit 3"],
    });
    const res = await get(`/follow/${run.job_id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const frames = await readFrames(sseReader(res));
    expect(text(frames, "stdout")).toBe("line 1\nline 2\nline 3\nline 4\nline 5\n");
    expect(text(frames, "stderr")).toBe("err 1\nerr 2\nerr 3\nerr 4\nerr 5\n");
    const end = frames.at(-1) as SseFrame;
    expect(end.event).toBe("end");
    expect(end.data).toMatchObject({
      ok: true,
      type: "wait",
      job_id: run.job_id,
      state: "exited",
      exit_code: 3,
      final_snapshot: { stdout_tail: expect.stringContaining("line 5") },
    });
    expect(frames.filter((f) => f.event === "state").map((f) => f.data.state)).toContain("exited");
    // Every output frame's id is its cursor: the one a reconnecting client sends back.
    for (const f of frames.filter((f) => f.event === "output")) expect(f.id).toBe(f.data.cursor);
  });

  test("a reconnect with Last-Event-ID (or since) misses nothing and repeats nothing", async () => {
    // Over a megabyte: several chunks, so the first connection ends in the middle.
    const run = await exec({ command: ["sh", "-c", "seq 1 200000; seq 1 3000 >&2"] });
    const first = sseReader(await get(`/follow/${run.job_id}`));
    const head = await readFrames(first, (_f, all) => all.filter((x) => x.event === "output").length >= 3);
    await first.close();
    const lastId = head.filter((f) => f.id !== undefined).at(-1)?.id as string;
    expect(lastId).toBeDefined();
    // An EventSource reconnects to the same URL (here with a stale since) plus the header: the header wins.
    const rest = await readFrames(
      sseReader(await get(`/follow/${run.job_id}?since=${head[0]?.id}`, { "last-event-id": lastId })),
    );
    expect(text([...head, ...rest], "stdout")).toBe(seq(1, 200000));
    expect(text([...head, ...rest], "stderr")).toBe(seq(1, 3000));
    expect(rest.at(-1)?.event).toBe("end");
    // since alone resumes the same way.
    const mid = head.find((f) => f.event === "output")?.id as string;
    const resumed = await readFrames(sseReader(await get(`/follow/${run.job_id}?since=${mid}`)));
    const before = head.slice(0, head.findIndex((f) => f.id === mid) + 1);
    expect(text([...before, ...resumed], "stdout")).toBe(seq(1, 200000));
  });

  test("a restart while following: the new run from its start, marked cursor_reset", async () => {
    const run = await exec({ command: ["sh", "-c", "echo run-$AGENT_EXEC_JOB_ID; sleep 30"] });
    const reader = sseReader(await get(`/follow/${run.job_id}`));
    const before = await readFrames(reader, (f) => f.event === "output");
    expect(text(before, "stdout")).toBe(`run-${run.job_id}\n`);
    const restart = await handler(
      new Request(`http://127.0.0.1/restart/${run.job_id}`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ signal: "KILL", until_match: "^run-" }),
      }),
    );
    expect(((await restart.json()) as Json).attempt).toBe(2);
    const after = await readFrames(reader, (f) => f.event === "output");
    await reader.close();
    const out = after.filter((f) => f.event === "output");
    expect(out).toEqual([
      {
        event: "output",
        id: expect.stringMatching(/\.2\./),
        data: { stream: "stdout", text: `run-${run.job_id}\n`, cursor: expect.any(String), cursor_reset: true },
      },
    ]);
    await handler(
      new Request(`http://127.0.0.1/kill/${run.job_id}`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ signal: "KILL" }),
      }),
    );
  });

  test("masked values are *** in the stream", async () => {
    const run = await exec({ command: ["sh", "-c", 'echo "token=$T"'], env: { T: "sse-s3cret" }, mask: ["T"] });
    const frames = await readFrames(sseReader(await get(`/follow/${run.job_id}`)));
    expect(text(frames, "stdout")).toBe("token=***\n");
    expect(JSON.stringify(frames)).not.toContain("sse-s3cret");
  });

  test("an unknown job is a 404 JSON answer; a foreign or garbage cursor a 400; unknown query 400", async () => {
    const missing = await get("/follow/NOSUCHJOB");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ ok: false, error: { code: "job_not_found" } });
    const a = await exec({ command: ["true"], wait: true });
    const b = await exec({ command: ["true"], wait: true });
    for (const [path, headers, needle] of [
      [`/follow/${a.job_id}?since=garbage`, {}, "garbage"],
      [`/follow/${a.job_id}?since=${b.cursor}`, {}, "belongs to job"],
      [`/follow/${a.job_id}`, { "last-event-id": "nope" }, "nope"],
      [`/follow/${a.job_id}?tail=1`, {}, '"tail"'],
    ] as const) {
      const res = await get(path, headers);
      const json = (await res.json()) as Json;
      expect({ status: res.status, code: json.error.code }).toEqual({ status: 400, code: "invalid_request" });
      expect(json.error.message).toContain(needle);
    }
  });

  test("a client that goes away ends its stream; the job runs on", async () => {
    const run = await exec({ command: ["sh", "-c", "while :; do echo tick; sleep 0.01; done"] });
    const reader = sseReader(await get(`/follow/${run.job_id}`));
    await readFrames(reader, (f) => f.event === "output");
    await reader.close();
    const status = (await (await get(`/status/${run.job_id}`)).json()) as Json;
    expect(status.state).toBe("running");
    await handler(
      new Request(`http://127.0.0.1/kill/${run.job_id}`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ signal: "KILL" }),
      }),
    );
  });
});

describe("/events", () => {
  test("sees job.started and job.finished of jobs run after it opened", async () => {
    const reader = sseReader(await get("/events"));
    const quick = await exec({ command: ["sh", "-c", "exit 5"], wait: true });
    const slow = await exec({ command: ["sh", "-c", "sleep 0.5"] });
    const frames = await readFrames(reader, (_f, all) =>
      [quick.job_id, slow.job_id].every((id) => all.some((x) => x.event === "job.finished" && x.data.job_id === id)),
    );
    await reader.close();
    for (const id of [quick.job_id, slow.job_id]) {
      const mine = frames.filter((f) => f.data.job_id === id).map((f) => f.event);
      expect(mine).toEqual(["job.started", "job.finished"]);
    }
    expect(frames.find((f) => f.event === "job.finished" && f.data.job_id === quick.job_id)?.data).toMatchObject({
      event_type: "job.finished",
      state: "exited",
      exit_code: 5,
    });
  });

  test("reports output matches", async () => {
    const reader = sseReader(await get("/events"));
    const run = await exec({ command: ["sh", "-c", "echo BUILD OK"], output_pattern: "OK" });
    const frames = await readFrames(reader, (f) => f.event === "job.output.matched" && f.data.job_id === run.job_id);
    await reader.close();
    expect(frames.at(-1)?.data).toMatchObject({ event_type: "job.output.matched", job_id: run.job_id });
  });
});

describe("/follow with a view (X14)", () => {
  test("the end answer comes in the view asked for; a bad view is 400 before any stream", async () => {
    const run = await exec({ command: ["sh", "-c", 'printf "\\033[32mok\\033[0m\\n"'], wait: true });
    const frames = await readFrames(sseReader(await get(`/follow/${run.job_id}?view=clean`)));
    const end = frames.at(-1) as SseFrame;
    expect(end.event).toBe("end");
    expect(end.data.final_snapshot).toMatchObject({ view: "clean", stdout_tail: "ok" });
    const bad = await get(`/follow/${run.job_id}?view=fancy`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).error.message).toContain("view");
  });
});
