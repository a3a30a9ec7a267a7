// The local backend: today's behaviour, a detached supervisor on this machine (D7, D8).
import { launchSupervisor } from "../supervisor/launch.ts";
import type { Backend, BackendHandle, RemoteStatus, SubmitSpec } from "./types.ts";

export const localBackend: Backend = {
  kind: "local",
  capabilities: { liveness: "pid", resources: true, inputProbe: true, nativeDependencies: false },
  submit(spec: SubmitSpec): BackendHandle {
    launchSupervisor(spec.root, spec.id, spec.paths, spec.runtimeEnv, spec.env, spec.fullLogPath);
    return { kind: "local" };
  },
  // Liveness of a local job is its supervisor's pid, judged in store/observe.ts (D8).
  poll(): Map<string, RemoteStatus> {
    return new Map();
  },
  signal(_handle: BackendHandle, _signal: string): boolean {
    return false; // kill.ts signals the recorded process group itself (D10)
  },
  cancel(): void {},
};
