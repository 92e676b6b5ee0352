/**
 * A bar chart in plain SVG (no library, no inline style): one bar per value,
 * each with a <title> and the value printed under the chart's table, so the
 * figures are readable without colour and by screen readers.
 */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly text: string;
}

export function BarChart({ title, bars }: { title: string; bars: readonly Bar[] }) {
  const W = 600;
  const H = 160;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const w = bars.length === 0 ? 0 : W / bars.length;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H + 20}`} role="img" aria-label={title} preserveAspectRatio="none">
        <title>{title}</title>
        <line x1="0" y1={H} x2={W} y2={H} class="axis" />
        {bars.map((b, i) => {
          const h = Math.max(1, (b.value / max) * (H - 10));
          return (
            <rect key={i} x={i * w + w * 0.1} y={H - h} width={w * 0.8} height={h} class="bar">
              <title>{`${b.label}: ${b.text}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}
