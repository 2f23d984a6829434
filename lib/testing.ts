/**
 * `rx-amqp/testing`: fakes and frame builders for marble tests.
 * @packageDocumentation
 */
export { encodeFrame } from './protocol/frame';
