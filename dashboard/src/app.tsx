import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { type Api, ApiError } from './api.js';
import { describeEvent, eventSubject, isBadEvent } from './describe-event.js';
import { type ConnectionState, EventStream } from './event-stream.js';
import { formatClock } from './format.js';
import { SampleHistory } from './history.js';
import { ProgramPanel } from './program-panel.js';
import { ProgramTable } from './program-table.js';
import { Refresher } from './refresher.js';
import { forgetToken } from './token.js';
import type { ProgramDetail, TendEvent } from './wire.js';

/** How often the programs are read while events flow (for CPU, memory and the charts). */
const SAMPLE_INTERVAL_MS = 2_000;
/** How often they are read when the daemon has no event stream. */
const POLL_INTERVAL_MS = 1_000;
/** Events kept in the feed. */
const FEED_LENGTH = 40;

/** The whole page: status bar, live table, the selected program, the event feed. */
export function App(props: { api: Api }) {
  const { api } = props;
  const [programs, setPrograms] = useState<ProgramDetail[] | null>(null);
  const [connection, setConnection] = useState<ConnectionState>({ kind: 'connecting' });
  const [readProblem, setReadProblem] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [feed, setFeed] = useState<TendEvent[]>([]);
  const history = useMemo(() => new SampleHistory(), []);

  const refresher = useMemo(
    () =>
      new Refresher(async () => {
        try {
          const list = await api.request<ProgramDetail[]>('GET', '/v1/programs');
          history.record(Date.now(), list);
          setPrograms(list);
          setReadProblem(null);
        } catch (error) {
          if (error instanceof ApiError && error.isUnauthorized) {
            forgetToken();
            setRefusal(error.message);
            return;
          }
          setReadProblem(error instanceof Error ? error.message : String(error));
        }
      }),
    [api, history],
  );
  const refresh = useCallback(() => refresher.request(), [refresher]);

  useEffect(() => {
    const stream = new EventStream(api, {
      onEvent: (event) => {
        setFeed((old) => [event, ...old].slice(0, FEED_LENGTH));
        refresh();
      },
      onResync: refresh,
      onState: (state) => {
        setConnection(state);
        if (state.kind === 'refused') {
          forgetToken();
          setRefusal(state.message);
        }
      },
    });
    stream.start();
    return () => stream.stop();
  }, [api, refresh]);

  const pollMs = connection.kind === 'polling' ? POLL_INTERVAL_MS : SAMPLE_INTERVAL_MS;
  useEffect(() => {
    if (refusal !== null) return;
    refresh();
    const timer = setInterval(refresh, pollMs);
    return () => clearInterval(timer);
  }, [refresh, pollMs, refusal]);

  useEffect(() => {
    if (!programs || programs.length === 0) return;
    if (selected === null || !programs.some((program) => program.name === selected)) {
      setSelected(programs[0]?.name ?? null);
    }
  }, [programs, selected]);

  if (refusal !== null) return <Refused message={refusal} />;
  const program = programs?.find((candidate) => candidate.name === selected);
  return (
    <>
      <header class="top">
        <h1>tend</h1>
        <ConnectionBadge state={connection} readProblem={readProblem} />
      </header>
      <main>
        {programs === null ? (
          <p class="muted">{readProblem ?? 'Reading the programs…'}</p>
        ) : (
          <ProgramTable programs={programs} selected={selected} onSelect={setSelected} />
        )}
        {program ? (
          <ProgramPanel
            key={program.name}
            api={api}
            program={program}
            series={history.series(program.name)}
            onChanged={refresh}
            onDeleted={() => setSelected(null)}
          />
        ) : null}
        <EventFeed events={feed} />
      </main>
    </>
  );
}

function ConnectionBadge(props: { state: ConnectionState; readProblem: string | null }) {
  const { state } = props;
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (state.kind !== 'retrying') return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [state]);
  let text: string;
  let tone: string;
  switch (state.kind) {
    case 'live':
      [text, tone] = ['live', 'ok'];
      break;
    case 'connecting':
      [text, tone] = ['connecting…', 'warn'];
      break;
    case 'polling':
      [text, tone] = ['no event stream on this daemon: refreshing every second', 'warn'];
      break;
    case 'retrying': {
      const seconds = Math.max(0, Math.ceil((state.retryAt - now) / 1000));
      text = `connection lost (${state.reason}); retrying in ${seconds} s, attempt ${state.attempt}`;
      tone = 'bad';
      break;
    }
    case 'refused':
      [text, tone] = [state.message, 'bad'];
      break;
  }
  if (props.readProblem && state.kind !== 'retrying') {
    text = `${text}; ${props.readProblem}`;
    tone = 'bad';
  }
  return (
    <p class={`connection ${tone}`} role="status" data-state={state.kind}>
      <span class="dot" aria-hidden="true" /> {text}
    </p>
  );
}

function EventFeed(props: { events: TendEvent[] }) {
  return (
    <section class="feed" aria-label="Recent events">
      <h3>Events</h3>
      {props.events.length === 0 ? (
        <p class="muted">Nothing has happened since the page opened.</p>
      ) : (
        <ol>
          {props.events.map((event) => (
            <li key={event.seq} class={isBadEvent(event) ? 'bad' : undefined}>
              <span class="muted">{formatClock(event.time)}</span>{' '}
              <strong>{eventSubject(event)}</strong> {describeEvent(event)}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Refused(props: { message: string }) {
  return (
    <main class="refused">
      <div role="alert">
        <h1>tend refused this page's token</h1>
        <p>{props.message}</p>
        <p>
          Run <code>tend dashboard</code> and open the URL it prints: the token travels in the part
          after <code>#</code>, which never leaves your browser.
        </p>
      </div>
    </main>
  );
}
