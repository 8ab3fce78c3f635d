// The report's timeline chart as inline SVG: probe success rate (left axis)
// and p95 latency (right axis) per second, fault windows shaded, decisions
// and actions marked. No scripts, no external assets.
import { markers, type ReportInput } from './model.ts';

const W = 900;
const H = 260;
const PAD = { left: 48, right: 56, top: 16, bottom: 36 };

export function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

export function renderChart(input: ReportInput): string {
  const rows = input.series.filter((r) => r.requests > 0);
  const start = Math.min(Date.parse(input.status.startedAt) / 1000, rows[0]?.t ?? Number.POSITIVE_INFINITY);
  const end = Math.max(Date.parse(input.status.endedAt ?? input.generatedAt) / 1000, rows.at(-1)?.t ?? 0, start + 1);
  const x = (t: number) => PAD.left + ((t - start) / (end - start)) * (W - PAD.left - PAD.right);
  const maxP95 = Math.max(100, ...rows.map((r) => r.p95Ms));
  const ySuccess = (v: number) => PAD.top + (1 - v) * (H - PAD.top - PAD.bottom);
  const yLatency = (ms: number) => PAD.top + (1 - ms / maxP95) * (H - PAD.top - PAD.bottom);
  const line = (points: [number, number][]) =>
    points.map(([px, py], i) => `${i ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`).join(' ');

  const shade = input.faults
    .map((f) => {
      const from = Math.max(start, Date.parse(f.from) / 1000);
      const to = Math.min(end, f.to ? Date.parse(f.to) / 1000 : end);
      return to > from
        ? `<rect x="${x(from).toFixed(1)}" y="${PAD.top}" width="${(x(to) - x(from)).toFixed(1)}" height="${H - PAD.top - PAD.bottom}" class="fault"><title>${esc(f.label)}</title></rect>`
        : '';
    })
    .join('');
  const marks = markers(input.status)
    .map((m, i) => {
      const mx = x(Date.parse(m.at) / 1000).toFixed(1);
      // Labels step down so marks close in time stay readable.
      const ly = PAD.top + 12 + (i % 4) * 13;
      return `<line x1="${mx}" x2="${mx}" y1="${PAD.top}" y2="${H - PAD.bottom}" class="mark"/><text x="${Number(mx) + 3}" y="${ly}" class="mark-label">${esc(m.label)}</text>`;
    })
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (v) =>
        `<text x="${PAD.left - 6}" y="${ySuccess(v) + 4}" class="axis" text-anchor="end">${v * 100}%</text><text x="${W - PAD.right + 6}" y="${yLatency(v * maxP95) + 4}" class="axis">${Math.round(v * maxP95)} ms</text>`,
    )
    .join('');
  const timeTicks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const t = start + f * (end - start);
      return `<text x="${x(t)}" y="${H - PAD.bottom + 16}" class="axis" text-anchor="middle">${new Date(t * 1000).toISOString().slice(11, 19)}</text>`;
    })
    .join('');
  const success = rows.length
    ? `<path d="${line(rows.map((r) => [x(r.t), ySuccess(r.successRate)]))}" class="success"/>`
    : '';
  const latency = rows.length
    ? `<path d="${line(rows.map((r) => [x(r.t), yLatency(r.p95Ms)]))}" class="latency"/>`
    : '';
  const empty = rows.length
    ? ''
    : `<text x="${W / 2}" y="${H / 2}" class="axis" text-anchor="middle">no probe data for this run</text>`;
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="probe success rate and p95 latency over the run">
<rect x="${PAD.left}" y="${PAD.top}" width="${W - PAD.left - PAD.right}" height="${H - PAD.top - PAD.bottom}" class="plot"/>
${shade}${success}${latency}${marks}${ticks}${timeTicks}${empty}
</svg>
<p class="legend"><span class="key success-key"></span> success rate <span class="key latency-key"></span> p95 latency <span class="key fault-key"></span> fault active <span class="key mark-key"></span> decision / action</p>`;
}
