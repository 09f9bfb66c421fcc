import { useRef, useState } from 'preact/hooks';
import { type Api, ApiError } from './api.js';
import type { ProgramDetail, SignalReply } from './wire.js';

/** What the last action did: shown until the next one. */
type Notice = { kind: 'ok' | 'error'; text: string } | null;

const SIGNALS = ['HUP', 'INT', 'TERM', 'USR1', 'USR2', 'QUIT', 'KILL', 'STOP', 'CONT'];

/** Start, stop, restart, scale, signal and delete one program; the daemon's refusals are shown as they are. */
export function ProgramActions(props: {
  api: Api;
  program: ProgramDetail;
  onChanged: () => void;
  onDeleted: () => void;
}) {
  const { api, program } = props;
  const path = `/v1/programs/${encodeURIComponent(program.name)}`;
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [size, setSize] = useState('');
  const [signal, setSignal] = useState('HUP');
  const [signalTarget, setSignalTarget] = useState('all');
  const dialog = useRef<HTMLDialogElement>(null);
  const { min, max } = program.spec;
  const current = program.instances.length;
  const isBusy = busy !== null;

  const act = async (label: string, work: () => Promise<string>) => {
    setBusy(label);
    setNotice(null);
    try {
      setNotice({ kind: 'ok', text: await work() });
    } catch (error) {
      const text = error instanceof ApiError ? `${error.message} (${error.code})` : String(error);
      setNotice({ kind: 'error', text });
    } finally {
      setBusy(null);
      props.onChanged();
    }
  };
  const post = <T,>(suffix: string, body?: unknown) =>
    api.request<T>('POST', `${path}${suffix}`, body);
  const simple = (verb: 'start' | 'stop' | 'restart', done: string) => () =>
    act(verb, async () => {
      await post(`/${verb}`);
      return `${done} ${program.name}`;
    });
  const scaleTo = (to: number) =>
    act('scale', async () => {
      const result = await post<ProgramDetail>('/scale', { to });
      return `Scaled ${program.name} to ${result.instances.length}`;
    });

  return (
    <section class="actions" aria-label={`Actions on ${program.name}`}>
      <div class="row">
        <button type="button" disabled={isBusy} onClick={simple('start', 'Started')}>
          Start
        </button>
        <button type="button" disabled={isBusy} onClick={simple('stop', 'Stopped')}>
          Stop
        </button>
        <button type="button" disabled={isBusy} onClick={simple('restart', 'Restarted')}>
          Restart
        </button>
        <button
          type="button"
          class="danger"
          disabled={isBusy}
          onClick={() => dialog.current?.showModal()}
        >
          Delete…
        </button>
      </div>
      <div class="row">
        <span class="label" id="scale-label">
          Pool: {current} (min {min}, max {max})
        </span>
        <button
          type="button"
          aria-label="Scale down by one"
          disabled={isBusy}
          onClick={() => scaleTo(current - 1)}
        >
          −1
        </button>
        <button
          type="button"
          aria-label="Scale up by one"
          disabled={isBusy}
          onClick={() => scaleTo(current + 1)}
        >
          +1
        </button>
        <form
          class="inline"
          onSubmit={(event) => {
            event.preventDefault();
            const to = Number(size);
            if (size.trim() === '' || !Number.isInteger(to) || to < 0) {
              setNotice({
                kind: 'error',
                text: `Expected a whole number of instances, got "${size}"`,
              });
              return;
            }
            void scaleTo(to);
          }}
        >
          <input
            type="text"
            inputMode="numeric"
            size={4}
            aria-labelledby="scale-label"
            placeholder={String(current)}
            value={size}
            onInput={(event) => setSize(event.currentTarget.value)}
          />
          <button type="submit" disabled={isBusy}>
            Scale
          </button>
        </form>
      </div>
      <form
        class="row"
        onSubmit={(event) => {
          event.preventDefault();
          void act('signal', async () => {
            const body =
              signalTarget === 'all' ? { signal } : { signal, instance: Number(signalTarget) };
            const reply = await post<SignalReply>('/signal', body);
            const targets = reply.delivered.map((entry) => `${entry.name}:${entry.instance}`);
            return `Sent SIG${signal} to ${targets.join(', ')}`;
          });
        }}
      >
        <label>
          Signal{' '}
          <select
            aria-label="Signal to send"
            value={signal}
            onChange={(event) => setSignal(event.currentTarget.value)}
          >
            {SIGNALS.map((name) => (
              <option key={name} value={name}>
                SIG{name}
              </option>
            ))}
          </select>
        </label>
        <label>
          to{' '}
          <select
            aria-label="Instances to signal"
            value={signalTarget}
            onChange={(event) => setSignalTarget(event.currentTarget.value)}
          >
            <option value="all">every instance</option>
            {program.instances.map((instance) => (
              <option key={instance.instance} value={String(instance.instance)}>
                instance {instance.instance}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={isBusy}>
          Send
        </button>
      </form>
      <p
        class={`notice ${notice?.kind ?? ''}`}
        role={notice?.kind === 'error' ? 'alert' : 'status'}
      >
        {busy ? `${busy}…` : (notice?.text ?? '')}
      </p>
      <dialog ref={dialog} aria-labelledby="delete-title">
        <form method="dialog">
          <h3 id="delete-title">Delete {program.name}?</h3>
          <p>Every instance is stopped and tend forgets the program. Its logs stay on disk.</p>
          <div class="row">
            <button type="submit" value="cancel" autofocus>
              Cancel
            </button>
            <button
              type="button"
              class="danger"
              onClick={() => {
                dialog.current?.close();
                void act('delete', async () => {
                  await api.request('DELETE', path);
                  props.onDeleted();
                  return `Deleted ${program.name}`;
                });
              }}
            >
              Delete {program.name}
            </button>
          </div>
        </form>
      </dialog>
    </section>
  );
}
