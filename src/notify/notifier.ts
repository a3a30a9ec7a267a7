// The supervisor's side of notifications: output matching and the job.finished event, delivered
// from a queue off the capture path (D14), so a slow or hanging sink never stalls the logs.
import { appendFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { log } from "../core/log.ts";
import { omittedFields } from "../logs/cap-record.ts";
import { redactText } from "../logs/redact.ts";
import { atomicWrite, prettyJson } from "../store/atomic-write.ts";
import { tryReadMeta } from "../store/job-store.ts";
import { readMasks } from "../store/masks.ts";
import type { JobPaths } from "../store/paths.ts";
import type { MetaRecord, OutputMatchConfig, StateRecord } from "../store/records.ts";
import { compileMatcher, type LineMatcher } from "./config.ts";
import { commandSink, type DeliveryResult, fileSink } from "./sinks.ts";

type Event = Record<string, unknown>;

/** The file that holds the output-match event being delivered (AGENT_EXEC_EVENT_PATH for those). */
export const outputEventPath = (p: JobPaths) => join(p.dir, "output_event.json");

/** Watches the job's notification settings and delivers its events, one at a time, in order. */
export class Notifier {
  private readonly paths: JobPaths;
  private readonly jobId: string;
  private readonly wrapper: readonly string[];
  private readonly env: Record<string, string | undefined>;
  private meta: MetaRecord;
  private signature = "";
  private match: OutputMatchConfig | undefined;
  private matcher: LineMatcher | undefined;
  private since = { stdout: 0, stderr: 0 };
  private readonly queue: { event: Event; match: OutputMatchConfig }[] = [];
  private head = 0;
  private draining: Promise<void> | undefined;
  /** Masked values (D28): events show `***` in their place; matching still sees the raw line. */
  private readonly masks: Buffer[];

  constructor(
    paths: JobPaths,
    jobId: string,
    meta: MetaRecord,
    wrapper: readonly string[],
    env: Record<string, string | undefined>,
  ) {
    this.paths = paths;
    this.jobId = jobId;
    this.meta = meta;
    this.wrapper = wrapper;
    this.env = env;
    this.masks = readMasks(paths);
    this.refresh();
  }

  /** True while output matching is configured (the capture then hands us every line). */
  get matching(): boolean {
    return this.matcher !== undefined;
  }

  /**
   * Re-reads meta.json when it changed (a `notify set` replaced it): a cheap stat per read of
   * the logs, never a read per line (D14). A failed re-read keeps the previous settings.
   */
  refresh(): void {
    let sig: string;
    try {
      const st = statSync(this.paths.meta);
      sig = `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch {
      return;
    }
    if (sig === this.signature) return;
    this.signature = sig;
    const meta = tryReadMeta(this.paths);
    if (!meta) return;
    this.meta = meta;
    const match = meta.notification?.on_output_match;
    if (JSON.stringify(match) === JSON.stringify(this.match)) return;
    this.match = match;
    this.matcher = match && match.pattern !== "" ? compileMatcher(match) : undefined;
    this.since = meta.output_match_since ?? { stdout: 0, stderr: 0 };
  }

  /** One line of output: queues a job.output.matched event when it matches (never a replay of old lines). */
  onLine(line: string, stream: "stdout" | "stderr", offset: number): void {
    const match = this.match;
    if (!match || !this.matcher || offset < this.since[stream] || !this.matcher(line, stream)) return;
    this.enqueue(match, {
      schema_version: "0.1",
      event_type: "job.output.matched",
      job_id: this.jobId,
      pattern: redactText(match.pattern, this.masks),
      match_type: match.match_type ?? "contains",
      stream,
      line: redactText(line, this.masks),
      stdout_log_path: this.paths.stdout,
      stderr_log_path: this.paths.stderr,
    });
  }

  /** Queues an event with the sinks configured when its line was seen. */
  private enqueue(match: OutputMatchConfig, event: Event): void {
    this.queue.push({ event, match });
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (this.head < this.queue.length) {
      const item = this.queue[this.head] as { event: Event; match: OutputMatchConfig };
      this.queue[this.head++] = { event: {}, match: item.match }; // let delivered events be collected
      await this.deliverMatch(item.event, item.match).catch((err) =>
        log("warn", `output event delivery failed: ${String(err)}`),
      );
      if (this.head > 4096 && this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
    }
  }

  private async deliverMatch(event: Event, match: OutputMatchConfig): Promise<void> {
    const json = JSON.stringify(event);
    const results: DeliveryResult[] = [];
    if (match.command !== undefined) {
      // The sink's AGENT_EXEC_EVENT_PATH already holds this event when it starts (D14), as one
      // line of JSON (D27), so `tail -n1 "$AGENT_EXEC_EVENT_PATH" | jq` and NDJSON readers work.
      const eventPath = outputEventPath(this.paths);
      atomicWrite(eventPath, `${json}\n`);
      const vars = { eventPath, jobId: this.jobId, eventType: "job.output.matched" };
      results.push(await commandSink(match.command, this.wrapper, json, vars, this.env));
    }
    if (match.file !== undefined) results.push(fileSink(match.file, json));
    try {
      appendFileSync(this.paths.notificationEvents, `${JSON.stringify({ ...event, delivery_results: results })}\n`, {
        mode: 0o600,
      });
    } catch (err) {
      log("warn", `cannot record an output event: ${String(err)}`);
    }
  }

  /**
   * After the end is recorded: waits for queued output events, re-reads the settings, writes
   * completion_event.json (always, D14), runs the command sink then the file sink, and rewrites
   * the file with every delivery result.
   */
  async finish(state: StateRecord): Promise<void> {
    while (this.draining) await this.draining;
    this.signature = "";
    this.refresh();
    const meta = this.meta;
    const r = state.result;
    const event: Event = {
      schema_version: "0.1",
      event_type: "job.finished",
      job_id: this.jobId,
      state: state.job.status,
      command: meta.command.map((word) => redactText(word, this.masks)),
      ...(meta.cwd === undefined ? {} : { cwd: meta.cwd }),
      ...(state.job.started_at === undefined ? {} : { started_at: state.job.started_at }),
      ...(state.finished_at === undefined ? {} : { finished_at: state.finished_at }),
      ...(r.duration_ms === null ? {} : { duration_ms: r.duration_ms }),
      ...(r.exit_code === null ? {} : { exit_code: r.exit_code }),
      ...(r.signal === null ? {} : { signal: r.signal }),
      ...(r.timed_out ? { timed_out: true } : {}),
      ...(r.killed_by === undefined ? {} : { killed_by: r.killed_by }),
      ...(r.resources === undefined ? {} : { resources: r.resources }),
      ...(state.job.status === "failed" ? { reason: state.reason ?? "unknown" } : {}),
      ...omittedFields(this.paths.logCap),
      stdout_log_path: this.paths.stdout,
      stderr_log_path: this.paths.stderr,
    };
    // A failure to write the file (job deleted meanwhile, full disk) is logged; sinks still run (§6.3).
    const write = (results: DeliveryResult[]) => {
      try {
        atomicWrite(this.paths.completionEvent, prettyJson({ ...event, delivery_results: results }));
      } catch (err) {
        log("warn", `cannot write ${this.paths.completionEvent}: ${String(err)}`);
      }
    };
    write([]);
    const results: DeliveryResult[] = [];
    const n = meta.notification;
    const json = JSON.stringify(event);
    if (n?.notify_command !== undefined) {
      const vars = { eventPath: this.paths.completionEvent, jobId: this.jobId, eventType: "job.finished" };
      results.push(await commandSink(n.notify_command, this.wrapper, json, vars, this.env));
    }
    if (n?.notify_file !== undefined) results.push(fileSink(n.notify_file, json));
    if (results.length > 0) write(results);
  }
}
