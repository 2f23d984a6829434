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
  },
  testTimeout: 30000,
};
