// R3: `kill` and `--timeout` on a 3-generation tree and on jobs that ignore SIGTERM. Must hold: no
// process of the job's group survives; `--kill-after` escalates to KILL only when something is
// still alive after TERM (D11, D12).
import { join } from "node:path";
import { BUN } from "../../test/helpers/bin.ts";
import { fixture, fx } from "../../test/helpers/fixtures.ts";
import { livePidsWithCmdline, pidAlive } from "../../test/helpers/pid-alive.ts";
import { GROWING_TIMEOUTS } from "../../test/helpers/ready-before-timeout.ts";
import { Sandbox } from "../../test/helpers/sandbox.ts";
import { type AttackResult, call, describeCall, Findings, groupMembers, pause, readJsonFile } from "./common.ts";

export type R3Case =
  | "kill-tree"
  | "timeout-tree"
  | "kill-ignoring"
  | "timeout-ignoring"
  | "timeout-obeying-no-escalation"
  | "timeout-ignoring-grandchild"
  | "kill-right-after-launch";

export const R3_CASES: readonly R3Case[] = [
  "kill-tree",
  "timeout-tree",
  "kill-ignoring",
  "timeout-ignoring",
  "timeout-obeying-no-escalation",
  "timeout-ignoring-grandchild",
  "kill-right-after-launch",
];

/** Polls `check` every 10 ms until it holds or `ms` passes; returns whether it held. */
async function within(ms: number, check: () => boolean): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (check()) return true;
    if (performance.now() > deadline) return false;
    await Bun.sleep(10);
  }
}

/** Generous deadlines: the suite must hold on a loaded 2-core machine, and passing checks stop early. */
const READY_MS = 60_000;
const GONE_MS = 20_000;

/** The pids a job printed as `<word> <pid>` lines, once `count` of them are there (or the job ended). */
async function printedPids(sb: Sandbox, id: string, re: RegExp, count: number): Promise<number[] | undefined> {
  let pids: number[] = [];
  await within(READY_MS, () => {
    const text = sb.file(id, "stdout.log").toString();
    pids = [...text.matchAll(re)].map((m) => Number(m[1]));
    if (pids.length >= count) return true;
    const status = readJsonFile(join(sb.root, id, "state.json"))?.job?.status;
    return status !== undefined && status !== "running";
  });
  return pids.length >= count ? pids : undefined;
}

/**
 * Starts a job whose `--timeout` must fire only once it printed `count` pids: a timeout starts at
 * spawn, and on a loaded machine a login shell and three Bun generations may need longer than a
 * short one gives. An attempt that ended before it was ready proves nothing; once its group is
 * gone it is repeated with the next, longer timeout (GROWING_TIMEOUTS).
 */
async function startReady(
  sb: Sandbox,
  command: string[],
  flags: (timeoutMs: number) => string[],
  re: RegExp,
  count: number,
): Promise<{ id: string; pids: number[]; timeoutMs: number } | undefined> {
  for (const timeoutMs of GROWING_TIMEOUTS) {
    const id = await sb.start(command, flags(timeoutMs));
    const pids = await printedPids(sb, id, re, count);
    if (pids) return { id, pids, timeoutMs };
    const st = await terminal(sb, id);
    const pgid = st?.pgid as number | undefined;
    await within(GONE_MS, () => pgid === undefined || groupMembers(pgid).length === 0);
  }
  return undefined;
}

/** Waits for the state the supervisor records. */
async function terminal(sb: Sandbox, id: string, ms = READY_MS) {
  let st = readJsonFile(join(sb.root, id, "state.json"));
  await within(ms, () => {
    st = readJsonFile(join(sb.root, id, "state.json"));
    return ["exited", "killed", "failed"].includes(st?.job?.status);
  });
  return st;
}

/** Runs one case; `repeat` > 1 runs it again in fresh sandboxes. */
export async function r3(cases: readonly R3Case[], seed: number, repeat = 1): Promise<AttackResult> {
  const f = new Findings("R3", seed);
  const work: Promise<void>[] = [];
  for (let k = 0; k < repeat; k++) for (const c of cases) work.push(oneCase(f, c));
  await Promise.all(work);
  f.runs = work.length;
  f.fig(`${cases.length} cases × ${repeat}`);
  return f.result();
}

async function oneCase(f: Findings, c: R3Case): Promise<void> {
  await using sb = Sandbox.create();
  const mark = `r3-${c}-${crypto.randomUUID()}`;
  const gone = async (pids: number[], pgid: number | undefined, ms: number) => {
    const ok = await within(
      ms,
      () => pids.every((p) => !pidAlive(p)) && (pgid === undefined || groupMembers(pgid).length === 0),
    );
    f.check(ok, () => {
      const alive = pids.filter(pidAlive);
      const members = pgid === undefined ? [] : groupMembers(pgid);
      return `${c}: processes survived: pids ${alive.join(",") || "-"}, group ${pgid} members ${members.join(",") || "-"}`;
    });
    f.check(livePidsWithCmdline(mark).length === 0, () => `${c}: stray processes carrying the marker`);
  };

  switch (c) {
    case "kill-tree":
    case "timeout-tree": {
      const flags = (t: number) => (c === "timeout-tree" ? ["--timeout", String(t)] : []);
      const ready = await startReady(sb, fx.spawnGrandchild(mark), flags, /gen\d (\d+)/g, 3);
      if (!f.check(ready !== undefined, () => `${c}: the tree never printed 3 pids`) || !ready) return;
      const { id, pids } = ready;
      const pgid = sb.state(id).pgid as number;
      if (c === "kill-tree") {
        const k = await call(sb, ["kill", id]);
        f.check(k.json?.ok === true && k.json.state === "killed", () => `${c}: ${describeCall(k)}`);
      }
      const st = await terminal(sb, id);
      f.check(st?.job?.status === "killed", () => `${c}: state ${JSON.stringify(st)}`);
      if (c === "timeout-tree")
        f.check(st?.result?.timed_out === true, () => `${c}: no timed_out: ${JSON.stringify(st)}`);
      await gone(pids, pgid, GONE_MS);
      return;
    }
    case "kill-ignoring": {
      // TERM is ignored: a manual kill never escalates; the job keeps running until KILL.
      const id = await sb.start(fx.ignoreSigterm());
      const pids = await printedPids(sb, id, /ready (\d+)/g, 2);
      if (!f.check(pids !== undefined, () => `${c}: not ready`) || !pids) return;
      const pgid = sb.state(id).pgid as number;
      const k = await call(sb, ["kill", id]);
      f.check(k.json?.ok === true && k.json.state === "running", () => `${c}: TERM: ${describeCall(k)}`);
      f.check(pids.every(pidAlive), () => `${c}: a manual TERM escalated (the job was ended)`);
      const k9 = await call(sb, ["kill", "--signal", "KILL", id]);
      f.check(k9.json?.ok === true && k9.json.state === "killed", () => `${c}: KILL: ${describeCall(k9)}`);
      const st = await terminal(sb, id);
      f.check(st?.job?.status === "killed" && st.result.signal === "KILL", () => `${c}: state ${JSON.stringify(st)}`);
      await gone(pids, pgid, GONE_MS);
      return;
    }
    case "timeout-ignoring": {
      const killAfter = 500;
      const flags = (t: number) => ["--timeout", String(t), "--kill-after", String(killAfter)];
      const ready = await startReady(sb, fx.ignoreSigterm(), flags, /ready (\d+)/g, 2);
      if (!f.check(ready !== undefined, () => `${c}: not ready`) || !ready) return;
      const { id, pids, timeoutMs } = ready;
      const pgid = sb.state(id).pgid as number;
      const st = await terminal(sb, id);
      f.check(
        st?.job?.status === "killed" && st.result.signal === "KILL" && st.result.timed_out === true,
        () => `${c}: expected killed by KILL after the grace: ${JSON.stringify(st)}`,
      );
      f.check(
        typeof st?.result?.duration_ms === "number" && st.result.duration_ms >= timeoutMs + killAfter - 50,
        () => `${c}: KILL came before --kill-after elapsed: duration ${st?.result?.duration_ms} ms`,
      );
      await gone(pids, pgid, GONE_MS);
      return;
    }
    case "timeout-obeying-no-escalation": {
      // The tree obeys TERM: it must end by TERM, long before a 3 s grace would have escalated.
      const flags = (t: number) => ["--timeout", String(t), "--kill-after", "3000"];
      const ready = await startReady(sb, fx.spawnGrandchild(mark), flags, /gen\d (\d+)/g, 3);
      if (!f.check(ready !== undefined, () => `${c}: not ready`) || !ready) return;
      const { id, pids } = ready;
      const pgid = sb.state(id).pgid as number;
      const st = await terminal(sb, id);
      f.check(
        st?.job?.status === "killed" && st.result.signal === "TERM" && st.result.timed_out === true,
        () => `${c}: expected killed by TERM: ${JSON.stringify(st)}`,
      );
      await gone(pids, pgid, GONE_MS);
      // The supervisor waits out the grace before it exits: only then is "no KILL" established.
      const sup = st?.supervisor_pid as number | undefined;
      const exited = await within(3000 + GONE_MS, () => sup === undefined || !pidAlive(sup));
      f.check(exited, () => `${c}: the supervisor did not exit after the grace`);
      const after = readJsonFile(join(sb.root, id, "state.json"));
      f.check(after?.result?.signal === "TERM", () => `${c}: the recorded end changed: ${JSON.stringify(after)}`);
      const log = sb.file(id, "supervisor.log").toString();
      f.check(!/KILL/.test(log), () => `${c}: the supervisor escalated although the group was gone: ${log}`);
      return;
    }
    case "timeout-ignoring-grandchild": {
      // The root obeys TERM, a background child ignores it: the group must still be emptied.
      const script = `sh '${fixture("ignore-sigterm.sh")}' '${BUN}' '${fixture("sleep-forever.ts")}' ${mark} & exec '${BUN}' '${fixture("sleep-forever.ts")}' ${mark}`;
      const flags = (t: number) => ["--timeout", String(t), "--kill-after", "400"];
      const ready = await startReady(sb, ["/bin/sh", "-c", script], flags, /ready (\d+)/g, 3);
      if (!f.check(ready !== undefined, () => `${c}: not ready`) || !ready) return;
      const { id, pids } = ready;
      const pgid = sb.state(id).pgid as number;
      const st = await terminal(sb, id);
      f.check(
        st?.job?.status === "killed" && st.result.timed_out === true,
        () => `${c}: expected killed with timed_out: ${JSON.stringify(st)}`,
      );
      await gone(pids, pgid, GONE_MS);
      return;
    }
    case "kill-right-after-launch": {
      // D11: a kill in the instant after launch leaves no orphan (random delays of 0..5 ms).
      for (let k = 0; k < 3; k++) {
        const r = await call(sb, ["run", "--snapshot-after", "0", "--", ...fx.spawnGrandchild(mark)]);
        if (!f.check(r.json?.ok === true, () => `${c}: ${describeCall(r)}`)) return;
        const id = r.json.job_id as string;
        await pause(k);
        const kr = await call(sb, ["kill", "--signal", "KILL", id]);
        f.check(kr.json?.ok === true, () => `${c}: ${describeCall(kr)}`);
        const st = await terminal(sb, id);
        f.check(
          ["killed", "failed"].includes(st?.job?.status),
          () => `${c}: expected killed after an early kill: ${JSON.stringify(st)}`,
        );
        const ok = await within(GONE_MS, () => livePidsWithCmdline(mark).length === 0);
        f.check(ok, () => `${c}: orphans after an early kill: ${livePidsWithCmdline(mark).join(",")}`);
      }
      return;
    }
  }
}
