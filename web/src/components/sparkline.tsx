// A small line chart of a few counts (the stats' seven days). A picture to a screen reader is
// nothing: its accessible name says what it shows and gives every number.
import { count } from '../format';

const WIDTH = 100;
const HEIGHT = 30;
// Room for the stroke at the top and bottom, so that a peak or a flat zero is not cut in half.
const PAD = 2;

export function Sparkline({ values, label, large = false }: { values: number[]; label: string; large?: boolean }) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? WIDTH / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(HEIGHT - PAD - (v / max) * (HEIGHT - 2 * PAD)).toFixed(1)}`);
  return (
    <svg
      class={large ? 'spark large' : 'spark'}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="img"
      // Semicolons between the numbers: "1,234" has a comma of its own.
      aria-label={`${label}: ${values.map(count).join('; ')}`}
    >
      <polygon class="area" points={`0,${HEIGHT} ${points.join(' ')} ${WIDTH},${HEIGHT}`} />
      <polyline points={points.join(' ')} />
    </svg>
  );
}
