import type { Api } from './api.js';
import {
  formatClock,
  formatDuration,
  formatElapsed,
  formatExit,
  formatLatency,
  orDash,
  plural,
} from './format.js';
import type { ProgramSeries } from './history.js';
import { LogView } from './log-view.js';
import { ProgramActions } from './program-actions.js';
import { StateBadge } from './program-table.js';
import { TimeChart } from './time-chart.js';
import type { ProgramDetail, ProxyDetail } from './wire.js';

/** How many exits the history lists (newest first, every instance). */
const EXIT_ROWS = 15;

/** Everything about one program: bounds, actions, health statistics, exits, charts, logs. */
export function ProgramPanel(props: {
  api: Api;
  program: ProgramDetail;
  series: ProgramSeries | undefined;
  onChanged: () => void;
  onDeleted: () => void;
}) {
  const { program } = props;
  const { spec } = program;
  const command = [spec.command, ...spec.args].join(' ');
  return (
    <section class="panel" aria-labelledby="panel-title">
      <header class="panel-head">
        <h2 id="panel-title">{program.name}</h2>
        <span class={program.desired === 'running' ? 'ok' : 'muted'}>wanted {program.desired}</span>
        <code class="command" title={spec.cwd}>
          {command}
        </code>
      </header>
      <div class="columns">
        <div>
          <ProgramActions {...props} />
          <Definition program={program} />
          <HealthTable program={program} />
          <ExitHistory program={program} />
          {program.proxy ? <ProxyTable proxy={program.proxy} /> : null}
        </div>
        <div>
          <Charts series={props.series} hasProxy={program.proxy !== null} />
        </div>
      </div>
      <LogView
        api={props.api}
        program={program.name}
        instances={program.instances.map((instance) => instance.instance)}
      />
    </section>
  );
}

function Definition(props: { program: ProgramDetail }) {
  const { spec } = props.program;
  return (
    <dl class="fields">
      <dt>pool</dt>
      <dd>
        {plural(props.program.instances.length, 'instance')}, min {spec.min}, max {spec.max}
      </dd>
      <dt>restart</dt>
      <dd>
        {spec.restart}; errored after {spec.maxRestarts} quick restarts in{' '}
        {formatDuration(spec.restartWindowMs)}
      </dd>
      <dt>stop</dt>
      <dd>
        {spec.stopSignal}, then SIGKILL after {formatDuration(spec.stopTimeoutMs)}
      </dd>
      {spec.port === undefined ? null : (
        <>
          <dt>port</dt>
          <dd>{spec.port} + instance</dd>
        </>
      )}
    </dl>
  );
}

/** The health statistics `tend status` shows, one row per instance. */
function HealthTable(props: { program: ProgramDetail }) {
  return (
    <table class="compact" aria-label="Health statistics">
      <caption>Health</caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">state</th>
          <th scope="col" class="num">
            runs
          </th>
          <th scope="col" class="num">
            restarts
          </th>
          <th scope="col" class="num">
            after failure
          </th>
          <th scope="col" class="num">
            average run
          </th>
          <th scope="col" class="num">
            up / down for
          </th>
          <th scope="col">reason</th>
        </tr>
      </thead>
      <tbody>
        {props.program.instances.map((instance) => (
          <tr key={instance.instance}>
            <td>{instance.instance}</td>
            <td>
              <StateBadge state={instance.status} reason={instance.reason} />
            </td>
            <td class="num">{instance.runs}</td>
            <td class="num">{instance.restarts}</td>
            <td class="num">{instance.failureRestarts}</td>
            <td class="num">{orDash(instance.averageRunMs, formatElapsed)}</td>
            <td class="num">
              {instance.upForMs !== null
                ? `up ${formatElapsed(instance.upForMs)}`
                : orDash(instance.downForMs, (ms) => `down ${formatElapsed(ms)}`)}
            </td>
            <td class="reason">
              {instance.reason ?? ''}
              {instance.nextRestartAt ? ` (next try ${formatClock(instance.nextRestartAt)})` : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ExitHistory(props: { program: ProgramDetail }) {
  const exits = props.program.instances
    .flatMap((instance) => instance.exits.map((exit) => ({ ...exit, instance: instance.instance })))
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, EXIT_ROWS);
  return (
    <table class="compact exits" aria-label="Exit history">
      <caption>Recent exits</caption>
      <thead>
        <tr>
          <th scope="col">time</th>
          <th scope="col">#</th>
          <th scope="col">ended with</th>
          <th scope="col" class="num">
            after
          </th>
        </tr>
      </thead>
      <tbody>
        {exits.length === 0 ? (
          <tr>
            <td colSpan={4} class="muted">
              none yet
            </td>
          </tr>
        ) : (
          exits.map((exit) => (
            <tr key={`${exit.at}-${exit.instance}`} class={exit.isFailure ? 'bad' : undefined}>
              <td>{formatClock(exit.at)}</td>
              <td>{exit.instance}</td>
              <td>{formatExit(exit.code, exit.signal)}</td>
              <td class="num">{formatElapsed(exit.uptimeMs)}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

function ProxyTable(props: { proxy: ProxyDetail }) {
  const { proxy } = props;
  return (
    <table class="compact" aria-label="Proxy">
      <caption>
        Proxy {proxy.mode} on {proxy.host}:{proxy.port} ({proxy.balance}), {proxy.status}
        {proxy.problem ? ` — ${proxy.problem}` : ''}
      </caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">member</th>
          <th scope="col" class="num">
            requests
          </th>
          <th scope="col" class="num">
            retries
          </th>
          <th scope="col" class="num">
            failures
          </th>
          <th scope="col" class="num">
            p50
          </th>
          <th scope="col" class="num">
            p99
          </th>
        </tr>
      </thead>
      <tbody>
        {proxy.instances.map((counters) => (
          <tr key={counters.instance}>
            <td>{counters.instance}</td>
            <td>{counters.isSuspended ? 'suspended' : counters.isReady ? 'ready' : 'not ready'}</td>
            <td class="num">{counters.requests}</td>
            <td class="num">{counters.retries}</td>
            <td class="num">{counters.failures}</td>
            <td class="num">{orDash(counters.latencyMs.p50, formatLatency)}</td>
            <td class="num">{orDash(counters.latencyMs.p99, formatLatency)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Charts(props: { series: ProgramSeries | undefined; hasProxy: boolean }) {
  const { series } = props;
  if (!series || series.time.length < 2) {
    return <p class="muted">Charts appear after a few seconds of samples.</p>;
  }
  const time = series.time;
  return (
    <div class="charts">
      <TimeChart
        title="CPU (all instances)"
        unit="%"
        time={time}
        lines={[{ label: 'CPU', color: '#5aa9ff', values: series.cpu }]}
      />
      <TimeChart
        title="Memory (resident, all instances)"
        unit=" MiB"
        time={time}
        lines={[{ label: 'memory', color: '#b48cff', values: series.memoryMiB }]}
      />
      <TimeChart
        title="Restarts (total)"
        unit=""
        time={time}
        lines={[{ label: 'restarts', color: '#ff8a5c', values: series.restarts }]}
      />
      {props.hasProxy ? (
        <>
          <TimeChart
            title="Requests per second (proxy)"
            unit="/s"
            time={time}
            lines={[{ label: 'requests', color: '#4fd18b', values: series.requestsPerSecond }]}
          />
          <TimeChart
            title="Latency (proxy)"
            unit=" ms"
            time={time}
            lines={[
              { label: 'p50 (mean)', color: '#4fd18b', values: series.latencyP50 },
              { label: 'p99 (worst)', color: '#ffd25c', values: series.latencyP99 },
            ]}
          />
        </>
      ) : null}
    </div>
  );
}
