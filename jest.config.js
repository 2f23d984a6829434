/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec', '<rootDir>/marbles'],
  testMatch: ['**/*.spec.ts', '**/*.marble.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
  moduleNameMapper: {
    '^rx-amqp$': '<rootDir>/lib/index.ts',
    '^rx-amqp/protocol$': '<rootDir>/lib/protocol.ts',
    '^rx-amqp/testing$': '<rootDir>/lib/testing.ts',
    '^rx-amqp/otel$': '<rootDir>/lib/otel.ts',
  },
  testTimeout: 30000,
  // One throwaway RabbitMQ node for the fault-tolerance specs (spec/faults), launched once per run.
  globalSetup: '<rootDir>/spec/faults/global-setup.ts',
  globalTeardown: '<rootDir>/spec/faults/global-teardown.ts',
};
