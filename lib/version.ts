/** rx-amqp's version, advertised in the client properties (kept equal to package.json by a test). */
export const VERSION = '0.1.0';
