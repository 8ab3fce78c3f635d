// The ranked hypotheses, each with its confidence, evidence and fitting fixes.
import type { Diagnosis } from '../../../model/index.ts';
import { bar, clip, context, esc, FALLBACK, PIECE, section, type Draft } from './blocks.ts';

const MAX_HYPOTHESES = 5;

export function renderDiagnosis(key: string, diagnosis: Diagnosis | undefined): Draft | undefined {
  if (!diagnosis) return undefined;
  const ranked = [...diagnosis.hypotheses].sort((a, b) => b.confidence - a.confidence).slice(0, MAX_HYPOTHESES);
  const blocks = ranked.map((h, i) => {
    const evidence = h.evidence.slice(0, 3).map((e) => `   • ${esc(clip(e, PIECE))}`);
    const fixes = h.remediations.map((r) => `${esc(r.title)}${r.destructive ? ' ⚠️' : ''}`).join(', ');
    return section(
      [
        `*${i + 1}. ${esc(clip(h.title, PIECE))}* \`${esc(h.id)}\`  ${bar(h.confidence)}`,
        esc(clip(h.explanation, 2 * PIECE)),
        ...evidence,
        ...(fixes ? [`_fits:_ ${fixes}`] : []),
      ].join('\n'),
    );
  });
  const top = ranked[0];
  const headline =
    diagnosis.headline ?? (top ? `Most likely: ${top.title} (${Math.round(top.confidence * 100)}%)` : '');
  const title = diagnosis.outcome === 'cannot-tell' ? '*Diagnosis — cannot tell*' : '*Diagnosis — ranked hypotheses*';
  return {
    key: `${key}#diagnosis`,
    text: headline ? clip(`Diagnosis: ${esc(headline)}`, FALLBACK) : 'Diagnosis: no hypotheses',
    blocks: [
      section(title),
      ...(diagnosis.headline ? [section(`*${esc(clip(diagnosis.headline, 2 * PIECE))}*`)] : []),
      ...(blocks.length ? blocks : [section('No hypothesis fits the evidence.')]),
      context('⚠️ marks a destructive remediation; it is never offered below 50% confidence'),
    ],
  };
}
