/** A uPlot line chart of daily figures, with its numbers also in words (aria-label) for screen readers. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: readonly number[];
}

export function DailyChart(props: { id: string; caption: string; days: readonly string[]; series: readonly Series[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const x = props.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const plot = new uPlot(
      {
        width: Math.max(320, el.clientWidth - 8),
        height: 240,
        scales: { x: { time: true } },
        axes: [{}, { size: 56 }],
        series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2 }))],
      },
      [x, ...props.series.map((s) => [...s.values])],
      el,
    );
    return () => plot.destroy();
  }, [props.days, props.series]);
  const words = props.series.map((s) => `${s.label} ${s.values.reduce((a, b) => a + b, 0)}`).join(', ');
  return (
    <figure>
      <figcaption id={`${props.id}-caption`}>{props.caption}</figcaption>
      <div id={props.id} ref={box} role="img" aria-label={`${props.caption}, totals of the range: ${words}`} />
    </figure>
  );
}
