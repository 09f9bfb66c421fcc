import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** One line of a chart. */
export interface ChartLine {
  label: string;
  color: string;
  values: Array<number | null>;
}

/** A small time chart (uPlot) of one or more lines; it follows its container's width. */
export function TimeChart(props: {
  title: string;
  unit: string;
  time: number[];
  lines: ChartLine[];
}) {
  const holder = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const labels = props.lines.map((line) => line.label).join('|');

  // A new set of lines is a new chart; new values are only new data (the effect below).
  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const plot = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height: 150,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true },
          y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max * 1.1)] },
        },
        axes: [
          { stroke: '#9aa4b2', grid: { stroke: '#2a3140' }, ticks: { stroke: '#2a3140' } },
          {
            stroke: '#9aa4b2',
            grid: { stroke: '#2a3140' },
            ticks: { stroke: '#2a3140' },
            size: 72,
            values: (_u, ticks) => ticks.map((tick) => `${round(tick)}${props.unit}`),
          },
        ],
        series: [
          {},
          ...props.lines.map((line) => ({
            label: line.label,
            stroke: line.color,
            width: 2,
            spanGaps: false,
            value: (_u: uPlot, value: number | null) =>
              value === null || value === undefined ? '–' : `${round(value)}${props.unit}`,
          })),
        ],
      },
      [props.time, ...props.lines.map((line) => line.values)] as uPlot.AlignedData,
      element,
    );
    chart.current = plot;
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(200, element.clientWidth), height: 150 });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [labels, props.unit]);

  useEffect(() => {
    chart.current?.setData([
      props.time,
      ...props.lines.map((line) => line.values),
    ] as uPlot.AlignedData);
  });

  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={holder} />
    </figure>
  );
}

function round(value: number): string {
  if (Math.abs(value) >= 100) return String(Math.round(value));
  return String(Math.round(value * 10) / 10);
}
