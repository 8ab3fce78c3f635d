// The Block Kit shapes the stand-in accepts, checked like Slack checks them:
// known block types, text limits, button limits, unique action ids.
import { z } from 'zod';

const plain = (max: number) =>
  z.strictObject({ type: z.literal('plain_text'), text: z.string().min(1).max(max), emoji: z.boolean().optional() });
const text = (max: number) =>
  z.union([
    plain(max),
    z.strictObject({ type: z.literal('mrkdwn'), text: z.string().min(1).max(max), verbatim: z.boolean().optional() }),
  ]);

const button = z.strictObject({
  type: z.literal('button'),
  text: plain(75),
  action_id: z.string().min(1).max(255),
  value: z.string().max(2000).optional(),
  url: z.string().max(3000).optional(),
  style: z.enum(['primary', 'danger']).optional(),
});

const blockId = z.string().min(1).max(255).optional();

const blockSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('header'), text: plain(150), block_id: blockId }),
  z.strictObject({ type: z.literal('divider'), block_id: blockId }),
  z
    .strictObject({
      type: z.literal('section'),
      text: text(3000).optional(),
      fields: z.array(text(2000)).max(10).optional(),
      accessory: button.optional(),
      block_id: blockId,
    })
    .refine((b) => b.text !== undefined || (b.fields?.length ?? 0) > 0, { error: 'a section needs text or fields' }),
  z.strictObject({ type: z.literal('context'), elements: z.array(text(2000)).min(1).max(10), block_id: blockId }),
  z.strictObject({ type: z.literal('actions'), elements: z.array(button).min(1).max(25), block_id: blockId }),
]);

export const blocksSchema = z
  .array(blockSchema)
  .max(50)
  .superRefine((blocks, ctx) => {
    const ids = blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => e.action_id) : []));
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) ctx.addIssue({ code: 'custom', message: `duplicate action_id "${dup}"` });
  });

export type StandinBlock = z.infer<typeof blockSchema>;
