// The incident report as one self-contained HTML page: the chart, then the
// same sections as the Markdown report.
import { esc, renderChart } from './chart.ts';
import { renderMarkdown } from './markdown.ts';
import type { ReportInput } from './model.ts';

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d2430}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #dde}
code{background:#f2f3f7;padding:0 .25em;border-radius:3px}table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left}
svg{width:100%;height:auto}.plot{fill:#fafbfd;stroke:#ccd}.fault{fill:#f5b7b1;opacity:.45}.success{fill:none;stroke:#1f8a4c;stroke-width:2}
.latency{fill:none;stroke:#2b6cb0;stroke-width:1.5;stroke-dasharray:4 3}.mark{stroke:#6b46c1;stroke-width:1}.mark-label{font-size:10px;fill:#6b46c1}
.axis{font-size:11px;fill:#667}.legend{font-size:13px;color:#445}.key{display:inline-block;width:14px;height:10px;margin:0 4px 0 12px;vertical-align:middle}
.success-key{background:#1f8a4c}.latency-key{background:#2b6cb0}.fault-key{background:#f5b7b1}.mark-key{background:#6b46c1}`;

/** A small Markdown subset (headings, lists, tables, bold, code) is enough for our own report. */
function markdownToHtml(md: string): string {
  const out: string[] = [];
  let list: 'ul' | 'ol' | undefined;
  let table = false;
  const inline = (t: string) =>
    esc(t)
      .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
      .replace(/`(.+?)`/g, '<code>$1</code>')
      .replace(/_(Generated .+)_/g, '<em>$1</em>');
  const close = () => {
    if (list) out.push(`</${list}>`);
    if (table) out.push('</table>');
    list = undefined;
    table = false;
  };
  for (const line of md.split('\n')) {
    const heading = /^(#+) (.*)$/.exec(line);
    const bullet = /^\s*- (.*)$/.exec(line);
    const numbered = /^\d+\. (.*)$/.exec(line);
    if (heading) {
      close();
      out.push(`<h${heading[1]?.length}>${inline(heading[2] ?? '')}</h${heading[1]?.length}>`);
    } else if (line.startsWith('|')) {
      if (/^\|\s*-/.test(line)) continue;
      if (!table) {
        close();
        table = true;
        out.push('<table>');
      }
      const cells = line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => inline(c.trim().replace(/\\\|/g, '|')));
      out.push(`<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`);
    } else if (numbered || (bullet && !line.startsWith('   '))) {
      const kind = numbered ? 'ol' : 'ul';
      if (list !== kind) {
        close();
        list = kind;
        out.push(`<${kind}>`);
      }
      out.push(`<li>${inline((numbered ?? bullet)?.[1] ?? '')}</li>`);
    } else if (bullet) {
      out.push(`<div style="margin-left:1.5rem">• ${inline(bullet[1] ?? '')}</div>`);
    } else if (line.trim()) {
      close();
      out.push(`<p>${inline(line)}</p>`);
    }
  }
  close();
  return out.join('\n');
}

export function renderHtml(input: ReportInput): string {
  const body = markdownToHtml(renderMarkdown(input));
  const [title, ...rest] = body.split('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.status.title)} — ${esc(input.runId)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body>
${title}
${renderChart(input)}
${rest.join('\n')}
</body></html>
`;
}
