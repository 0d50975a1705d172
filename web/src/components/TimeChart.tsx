import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** A uPlot line chart of one or more series over time (seconds since the epoch); redraws when the data change. */
export function TimeChart({ title, times, series, height = 220 }: { title: string; times: number[]; series: { label: string; values: (number | null)[] }[]; height?: number }) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const shape = series.map((entry) => entry.label).join('|');
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];
    chart.current = new uPlot(
      {
        title,
        width: Math.max(320, element.clientWidth),
        height,
        series: [{}, ...series.map((entry, index) => ({ label: entry.label, stroke: colors[index % colors.length], width: 2 }))],
        axes: [{ stroke: 'currentColor' }, { stroke: 'currentColor' }],
      },
      [times, ...series.map((entry) => entry.values)],
      element,
    );
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
    // Rebuilt only when the set of series changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [title, height, shape]);
  useEffect(() => {
    chart.current?.setData([times, ...series.map((entry) => entry.values)]);
  }, [times, series]);
  return <div ref={container} className="chart" role="img" aria-label={`${title}: ${times.length} points`} data-points={times.length} />;
}
