import { type ProbeSpec, probePath } from '../config/probe-spec.js';
import { runExecProbe } from './exec-probe.js';
import { runHttpProbe } from './http-probe.js';
import type { ProbeCheck } from './probe-result.js';
import { runTcpProbe } from './tcp-check.js';

/** The instance a probe checks: its port (null without one), and where and with what its command runs. */
export interface ProbedInstance {
  port: number | null;
  cwd: string;
  /** The instance's environment (instanceEnv), so that an exec check sees TEND_INSTANCE and PORT. */
  env: Readonly<Record<string, string>>;
}

/** The check of `probe` against one instance, ready for a ProbeScheduler. */
export function probeCheckFor(probe: ProbeSpec, instance: ProbedInstance): ProbeCheck {
  const { timeoutMs } = probe;
  if (probe.kind === 'exec') {
    const target = {
      command: probe.command ?? '',
      args: probe.args ?? [],
      shell: probe.shell ?? false,
      cwd: instance.cwd,
      env: instance.env,
      timeoutMs,
    };
    return (signal) => runExecProbe(target, signal);
  }
  const port = probe.port ?? instance.port;
  // The schema refuses an http or tcp probe with no port anywhere.
  if (port === null) throw new Error(`A ${probe.kind} probe needs a port`);
  if (probe.kind === 'tcp') return (signal) => runTcpProbe({ port, timeoutMs }, signal);
  const path = probePath(probe);
  return (signal) => runHttpProbe({ port, path, timeoutMs }, signal);
}
