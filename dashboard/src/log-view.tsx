import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { type Api, ApiError, backoffMs, sleep } from './api.js';
import { formatClock } from './format.js';
import { NdjsonParser } from './sse.js';
import type { LogLine } from './wire.js';

/** Lines kept in the page; older ones are dropped as new ones arrive. */
const MAX_LINES = 2_000;
/** Past lines asked for when the view (re)connects. */
const TAIL_LINES = 200;

/** Follows one program's output like `tend logs -f`, with a filter by instance, stream and text. */
export function LogView(props: { api: Api; program: string; instances: number[] }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [stream, setStream] = useState<'both' | 'out' | 'err'>('both');
  const [instance, setInstance] = useState('all');
  const [filter, setFilter] = useState('');
  const [isFollowing, setIsFollowing] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    let pending: LogLine[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const arrived = pending;
      pending = [];
      setLines((old) => [...old, ...arrived].slice(-MAX_LINES));
    };
    const follow = async () => {
      for (let attempt = 0; !abort.signal.aborted; attempt++) {
        try {
          const parser = new NdjsonParser<LogLine>((line) => {
            pending.push(line);
            if (frame === 0) frame = requestAnimationFrame(flush);
          });
          const query = new URLSearchParams({
            name: props.program,
            lines: String(TAIL_LINES),
            stream,
            follow: 'true',
          });
          await props.api.stream(
            `/v1/logs?${query}`,
            {
              onOpen: () => {
                attempt = 0;
                setProblem(null);
                setLines([]);
              },
              onText: (text) => parser.push(text),
            },
            abort.signal,
          );
          setProblem('The daemon ended the log stream; reconnecting…');
        } catch (error) {
          if (abort.signal.aborted) return;
          setProblem(error instanceof Error ? error.message : String(error));
          if (error instanceof ApiError && error.status >= 400 && error.status < 500) return;
        }
        await sleep(backoffMs(attempt + 1), abort.signal);
      }
    };
    void follow();
    return () => {
      abort.abort();
      if (frame !== 0) cancelAnimationFrame(frame);
    };
  }, [props.api, props.program, stream]);

  const needle = filter.toLowerCase();
  const shown = lines.filter(
    (line) =>
      (instance === 'all' || String(line.instance) === instance) &&
      (needle === '' || line.line.toLowerCase().includes(needle)),
  );

  useLayoutEffect(() => {
    const element = box.current;
    if (isFollowing && element) element.scrollTop = element.scrollHeight;
  });

  return (
    <section class="logs" aria-label={`Logs of ${props.program}`}>
      <div class="row">
        <h3>Logs</h3>
        <label>
          instance{' '}
          <select value={instance} onChange={(event) => setInstance(event.currentTarget.value)}>
            <option value="all">all</option>
            {props.instances.map((index) => (
              <option key={index} value={String(index)}>
                {index}
              </option>
            ))}
          </select>
        </label>
        <label>
          stream{' '}
          <select
            value={stream}
            onChange={(event) => setStream(event.currentTarget.value as typeof stream)}
          >
            <option value="both">out + err</option>
            <option value="out">out</option>
            <option value="err">err</option>
          </select>
        </label>
        <label>
          filter{' '}
          <input
            type="search"
            value={filter}
            placeholder="text in the line"
            onInput={(event) => setFilter(event.currentTarget.value)}
          />
        </label>
        <label>
          <input
            type="checkbox"
            checked={isFollowing}
            onChange={(event) => setIsFollowing(event.currentTarget.checked)}
          />{' '}
          follow
        </label>
      </div>
      {problem ? (
        <p class="notice error" role="alert">
          {problem}
        </p>
      ) : null}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to be scrolled (WCAG 2.1.1) */}
      <pre ref={box} class="log-lines" tabIndex={0}>
        {shown.length === 0 ? (
          <span class="muted">{lines.length === 0 ? 'No output yet.' : 'No line matches.'}</span>
        ) : (
          shown.slice(-500).map((line, index) => (
            <div key={`${line.time}-${index}`} class={line.stream === 'err' ? 'err' : undefined}>
              <span class="muted">
                {formatClock(line.time)} [{line.instance}]
              </span>{' '}
              {line.line}
            </div>
          ))
        )}
      </pre>
    </section>
  );
}
