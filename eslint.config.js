// Lint rules that guard the architecture (docs/architecture.md): imports go
// down the floors and into another folder only through its face, with no
// cycles; workflow and ground-floor code stays deterministic; promises never
// float.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

/** The floors, top to bottom: a folder imports only from the floors below it. */
const FLOORS = [['bench'], ['cli'], ['lab'], ['worker'], ['workflows', 'activities'], ['runbooks'], ['model', 'bpf']];
const FOLDERS = FLOORS.flat();

/** Each folder's face: the only files another folder may import from it. */
const FACES = {
  model: ['index.ts'],
  bpf: ['index.ts'],
  runbooks: ['index.ts', 'loader.ts'],
  activities: ['index.ts'],
  workflows: ['index.ts'],
  worker: ['index.ts', 'base.ts'],
  lab: ['index.ts'],
  cli: ['index.ts'],
  bench: [],
};

const PLAN = 'bench → cli → lab → worker → workflows, activities → runbooks → model, bpf';

const floorZones = FLOORS.flatMap((floor, level) =>
  floor.map((folder) => {
    // Above: every higher floor. Beside: the other folders of the same floor,
    // except that workflows take activities' types (checked below).
    const above = FLOORS.slice(0, level).flat();
    const beside = floor.filter((f) => f !== folder && !(folder === 'workflows' && f === 'activities'));
    return {
      target: `./${folder}`,
      from: [...above, ...beside].map((f) => `./${f}`),
      message: `${folder}/ may not import from this folder: imports go down the floors (${PLAN}).`,
    };
  }),
).filter((zone) => zone.from.length > 0);

const faceZones = FOLDERS.map((folder) => ({
  target: FOLDERS.filter((f) => f !== folder).map((f) => `./${f}`),
  from: `./${folder}`,
  except: FACES[folder].map((face) => `./${face}`),
  message: `import ${folder}/ through its face (${FACES[folder].map((face) => `${folder}/${face}`).join(' or ') || 'none: nothing imports it'}), not its inner files.`,
}));

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.nightshift/', 'coverage/', 'bpf/build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-duplicates': 'error',
    },
  },
  {
    // The plan of the house. Tests sit outside it: they may test a unit through its own file.
    files: FOLDERS.map((folder) => `${folder}/**/*.ts`),
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        { basePath: import.meta.dirname, zones: [...floorZones, ...faceZones] },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts', 'model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code and the ground floor run in the deterministic sandbox: no Node built-ins.',
          })),
          patterns: [
            {
              group: ['**/activities/*', '**/activities/**', '**/worker/**'],
              allowTypeImports: true,
              message: 'Workflows may import activities and processes as types only.',
            },
          ],
        },
      ],
    },
  },
);
