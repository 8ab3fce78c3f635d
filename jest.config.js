// Jest in ESM mode (node --experimental-vm-modules); swc strips types, tsc checks them.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  // Every skip names its reason; with NIGHTSHIFT_SKIP_GATE=1 (.ci/run) a skip this machine could run fails the run.
  reporters: ['default', '<rootDir>/test/setup/skip-gate.ts'],
  testTimeout: 180_000,
  verbose: true,
};
