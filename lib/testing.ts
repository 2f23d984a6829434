/**
 * `rx-amqp/testing`: fakes and frame builders for marble tests.
 * @packageDocumentation
 */
export { encodeFrame } from './protocol/frame';
export {
  protocolHeader,
  methodFrame,
  headerFrame,
  bodyFrame,
  heartbeatFrame,
  contentFrames,
  rawFrame,
  rawMethodPayload,
  concatBytes,
  type ContentProperties,
  type ContentFramesOptions,
  type RawFrameOverrides,
} from './testing/frames';
export {
  fakeServer,
  FakeServer,
  type FakeServerOptions,
  type FakeServerAnswers,
  type FakeServerHandler,
  type FakeTune,
  type FakeLogin,
  type FakeCloseReason,
  type ReceivedMethod,
} from './testing/fake-server';
export {
  fakeChannel,
  FakeChannel,
  type FakeChannelOptions,
  type FakePublish,
  type FakeRejection,
} from './testing/fake-channel';
export { delivery, settles, type DeliveryFields, type SettleRecord } from './testing/delivery';
