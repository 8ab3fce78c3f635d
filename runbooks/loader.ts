// Node-side face of runbooks/: YAML text and files. The CLI, the gateway and
// the worker load runbooks and experiments through it; workflows never do.
export { loadRunbookFile, findRunbook, RUNBOOK_DIR } from './files.ts';
export { parseYamlWithLines, validateRunbookText, type ParsedYaml } from './yaml.ts';
