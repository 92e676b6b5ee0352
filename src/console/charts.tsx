/**
 * A bar chart in plain SVG (no library, no inline style): one bar per value,
 * each with a <title>, and its value printed under it (up to 20 bars; the
 * table beside the chart has every figure), readable without colour.
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
            <g key={i}>
              <rect x={i * w + w * 0.1} y={H - h} width={w * 0.8} height={h} class="bar">
                <title>{`${b.label}: ${b.text}`}</title>
              </rect>
              {bars.length <= 20 && (
                <text x={i * w + w / 2} y={H + 15} text-anchor="middle" class="bar-label">
                  {b.text}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}
