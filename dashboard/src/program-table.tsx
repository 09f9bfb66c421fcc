import { formatBytes, formatCpu, formatElapsed, orDash } from './format.js';
import type { InstanceDetail, ProgramDetail } from './wire.js';

interface SelectionProps {
  selected: string | null;
  onSelect: (name: string) => void;
}

/** The live table: one row per instance, grouped by program; a program's name selects it. */
export function ProgramTable(props: SelectionProps & { programs: ProgramDetail[] }) {
  if (props.programs.length === 0) {
    return (
      <p class="empty">
        No programs yet. Start one with <code>tend start -- node server.js</code>.
      </p>
    );
  }
  return (
    <table class="programs" aria-label="Programs and instances">
      <thead>
        <tr>
          <th scope="col">program</th>
          <th scope="col" class="num">
            #
          </th>
          <th scope="col">state</th>
          <th scope="col">ready</th>
          <th scope="col" class="num">
            pid
          </th>
          <th scope="col" class="num">
            CPU
          </th>
          <th scope="col" class="num">
            memory
          </th>
          <th scope="col" class="num">
            restarts
          </th>
          <th scope="col" class="num">
            uptime
          </th>
          <th scope="col" class="num">
            port
          </th>
        </tr>
      </thead>
      {props.programs.map((program) => (
        <tbody
          key={program.name}
          class={program.name === props.selected ? 'selected' : undefined}
          data-program={program.name}
        >
          {program.instances.length === 0 ? (
            <tr>
              <td>
                <ProgramButton {...props} program={program} />
              </td>
              <td colSpan={9} class="muted">
                no instances
              </td>
            </tr>
          ) : (
            program.instances.map((instance, row) => (
              <InstanceRow
                key={instance.instance}
                {...props}
                program={program}
                instance={instance}
                isFirst={row === 0}
              />
            ))
          )}
        </tbody>
      ))}
    </table>
  );
}

function InstanceRow(
  props: SelectionProps & { program: ProgramDetail; instance: InstanceDetail; isFirst: boolean },
) {
  const { instance } = props;
  return (
    <tr data-instance={instance.instance}>
      <td>{props.isFirst ? <ProgramButton {...props} /> : null}</td>
      <td class="num">{instance.instance}</td>
      <td>
        <StateBadge state={instance.status} reason={instance.reason} />
      </td>
      <td>{instance.pid === null ? '–' : instance.status === 'online' ? 'yes' : 'no'}</td>
      <td class="num" data-cell="pid">
        {orDash(instance.pid, String)}
      </td>
      <td class="num">{orDash(instance.cpu, formatCpu)}</td>
      <td class="num">{orDash(instance.memoryBytes, formatBytes)}</td>
      <td class="num" data-cell="restarts">
        {instance.restarts}
      </td>
      <td class="num">{orDash(instance.uptimeMs, formatElapsed)}</td>
      <td class="num">{orDash(instance.port, String)}</td>
    </tr>
  );
}

function ProgramButton(props: SelectionProps & { program: ProgramDetail }) {
  const { program } = props;
  return (
    <button
      type="button"
      class="link"
      aria-pressed={program.name === props.selected}
      onClick={() => props.onSelect(program.name)}
      title={`Show ${program.name}`}
    >
      {program.name}
      {program.desired === 'stopped' ? <span class="muted"> (stopped)</span> : null}
    </button>
  );
}

/** An instance's state as a coloured label, with the reason on hover. */
export function StateBadge(props: { state: string; reason?: string | null }) {
  return (
    <span class={`state state-${props.state}`} title={props.reason ?? undefined}>
      {props.state}
    </span>
  );
}
