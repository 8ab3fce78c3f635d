// Public face of runbooks/ that workflows may use too: the document schema,
// the catalogue, the compiled form, expressions, parameters, validation and
// compilation of parsed documents. Pure: no files, no YAML (see loader.ts).
export * from './catalogue.ts';
export * from './compiled.ts';
export * from './expressions.ts';
export * from './params.ts';
export * from './problems.ts';
export * from './schema.ts';
export { validateRunbook, type ValidateOptions, type ValidationResult } from './validate.ts';
