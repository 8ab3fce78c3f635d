// The Prometheus text exposition of counters and histograms with labels, as
// nightshift's gateway and the lab's workloads serve them on GET /metrics.
// Pure: no Node, so any floor may count with it.

type Labels = Record<string, string>;

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const labelText = (labels: Labels) => {
  const pairs = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return pairs.length ? `{${pairs.join(',')}}` : '';
};

interface Series {
  labels: Labels;
  value: number;
  buckets?: number[];
  sum?: number;
}

export class Metrics {
  private readonly families = new Map<
    string,
    { help: string; type: 'counter' | 'histogram'; series: Map<string, Series> }
  >();

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    this.series(name, help, 'counter', labels).value += by;
  }

  observe(name: string, help: string, seconds: number, labels: Labels = {}): void {
    const s = this.series(name, help, 'histogram', labels);
    s.buckets ??= BUCKETS.map(() => 0);
    BUCKETS.forEach((le, i) => {
      if (seconds <= le && s.buckets) s.buckets[i] = (s.buckets[i] ?? 0) + 1;
    });
    s.value += 1;
    s.sum = (s.sum ?? 0) + seconds;
  }

  /** The value of a counter (tests and the report). */
  get(name: string, labels: Labels = {}): number {
    return this.families.get(name)?.series.get(labelText(labels))?.value ?? 0;
  }

  text(): string {
    const lines: string[] = [];
    for (const [name, family] of this.families) {
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`);
      for (const s of family.series.values()) {
        if (family.type === 'counter') {
          lines.push(`${name}${labelText(s.labels)} ${s.value}`);
          continue;
        }
        BUCKETS.forEach((le, i) =>
          lines.push(`${name}_bucket${labelText({ ...s.labels, le: String(le) })} ${s.buckets?.[i] ?? 0}`),
        );
        lines.push(`${name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.value}`);
        lines.push(`${name}_sum${labelText(s.labels)} ${s.sum ?? 0}`, `${name}_count${labelText(s.labels)} ${s.value}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  private series(name: string, help: string, type: 'counter' | 'histogram', labels: Labels): Series {
    let family = this.families.get(name);
    if (!family) {
      family = { help, type, series: new Map() };
      this.families.set(name, family);
    }
    const key = labelText(labels);
    let s = family.series.get(key);
    if (!s) {
      s = { labels, value: 0 };
      family.series.set(key, s);
    }
    return s;
  }
}
