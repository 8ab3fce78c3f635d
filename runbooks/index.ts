// Public face of runbooks/: schema, validation, compiled form, expressions.
export * from './catalogue.ts';
export * from './compiled.ts';
export * from './duration.ts';
export * from './expressions.ts';
export * from './params.ts';
export * from './schema.ts';
export * from './validate.ts';
export { loadRunbookFile, findRunbook, RUNBOOK_DIR } from './files.ts';
