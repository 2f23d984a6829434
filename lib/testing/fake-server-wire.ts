/**
 * The wire half of the fake server: the transport factory, what the client writes (parsed and
 * recorded), what goes back to the client, and the state the server keeps whoever answers
 * (frame_max, open channels, how the last connection ended). `FakeServer` adds the script on
 * top: handlers, automatic answers, silence.
 */
import type { Observable } from 'rxjs';
import type { Endpoint, Transport, TransportEvents, TransportFactory } from '../connection/transport';
import { DEFAULT_FRAME_MAX, type Frame } from '../protocol/frame';
import type { MethodInput, MethodName } from '../protocol/method-codec';
import type { Protocol } from '../protocol/protocol-version';
import { ClientLink, type ConnectMode } from './client-link';
import { ClientStream, type ClientStreamEvents } from './client-stream';
import type { FakeCloseReason, FakeTune, ReceivedMethod } from './fake-server-types';
import { contentFrames, heartbeatFrame, methodFrame, type ContentProperties } from './frames';
import { ReceivedLog } from './received-log';
import { typedMethod } from './typed-method';

/**
 * The wire half of {@link FakeServer}: its connections, what it received and the primitives
 * that send to the client. See {@link FakeServer} for the timing rules.
 */
export abstract class FakeServerWire {
  /** The dialect the server speaks. */
  readonly protocol: Protocol;
  /**
   * Every method received from the client, in order, over all connections made through this
   * server (content methods once their body is complete, with `properties` and `body`).
   */
  readonly received: ReceivedMethod[];
  /** Every frame received from the client, heartbeats included (payloads copied). */
  readonly frames: Frame[];
  /** Problems noticed; see the class documentation of {@link FakeServer}. */
  readonly errors: Error[] = [];
  /** Channels the client opened and has not closed (by the server's bookkeeping). */
  readonly openChannels = new Set<number>();
  /** Number of times the transport factory was called (connection attempts). */
  connections = 0;
  /** The endpoint the client asked for on the last attempt. */
  endpoint: Endpoint | undefined;
  /** The protocol header the client sent on the last connection. */
  header: Uint8Array | undefined;
  /** How the last connection ended; undefined while it lives. */
  closedBy: FakeCloseReason | undefined;
  /**
   * frame_max as proposed in tune, then as agreed in tune-ok: {@link sendContent} splits
   * bodies to it, and once agreed a larger frame from the client is recorded in {@link errors}.
   */
  frameMax: number;

  /** The `TransportFactory` to pass as `connect({ transport })`. */
  readonly transport: TransportFactory = (endpoint, events) => this.accept(endpoint, events);

  private readonly log = new ReceivedLog();
  private readonly link = new ClientLink(this.errors, (reason) => {
    this.closedBy = reason;
    this.openChannels.clear();
  });
  private readonly streamEvents: ClientStreamEvents = {
    header: (header) => {
      this.header = Uint8Array.from(header);
      this.onHeader(header);
    },
    frame: (frame) => this.log.frame(frame),
    method: (m) => {
      this.bookkeeping(m);
      this.log.method(m);
      this.onMethod(m);
    },
    broken: (error) => this.errors.push(error),
  };

  /**
   * @param protocol the dialect
   * @param tune what connection.tune proposes (its frame_max is the first {@link frameMax})
   * @param connectMode how each connection attempt comes up
   */
  constructor(
    protocol: Protocol,
    private readonly tuning: FakeTune | undefined,
    private readonly connectMode: ConnectMode,
  ) {
    this.protocol = protocol;
    this.frameMax = tuning?.frameMax ?? DEFAULT_FRAME_MAX;
    this.received = this.log.methods;
    this.frames = this.log.frames;
  }

  /** Methods received, as a hot Observable (no replay: subscribe before they arrive). */
  get received$(): Observable<ReceivedMethod> {
    return this.log.methods$;
  }

  /** Frames received (heartbeats included), as a hot Observable (no replay). */
  get frames$(): Observable<Frame> {
    return this.log.frames$;
  }

  /** Whether a connection is up (the transport accepted and not yet closed). */
  get isConnected(): boolean {
    return this.link.isConnected;
  }

  /** Heartbeat frames received from the client so far. */
  get heartbeats(): number {
    return this.log.heartbeats;
  }

  /**
   * The methods received with a name (all of them without one), typed by that name.
   * @param name e.g. `'basic.publish'`
   */
  methods<N extends MethodName>(name?: N): ReceivedMethod<N>[] {
    return this.log.named(name);
  }

  /**
   * Resolves with the first received method (already received, or still to come) with this
   * name and, optionally, matching `where`.
   */
  waitFor<N extends MethodName>(name: N, where?: (m: ReceivedMethod<N>) => boolean): Promise<ReceivedMethod<N>> {
    return this.log.waitFor(name, where);
  }

  /** Hands bytes to the client as one chunk (queued, see the class documentation of {@link FakeServer}). */
  send(bytes: Uint8Array): void {
    this.link.send(Buffer.from(bytes));
  }

  /** Hands each chunk to the client as a separate `data` event (split frames). */
  sendChunks(chunks: Uint8Array[]): void {
    for (const c of chunks) this.send(c);
  }

  /** Sends one method frame. */
  sendMethod<N extends MethodName>(
    channel: number,
    name: N,
    args: MethodInput<N> | Record<string, unknown> = {},
  ): void {
    this.send(methodFrame(channel, name, args, this.protocol));
  }

  /**
   * Sends a content method (basic.deliver, basic.get-ok, basic.return) with its header and
   * body frames, bodies split at the negotiated frame_max, all in one chunk.
   */
  sendContent<N extends MethodName>(
    channel: number,
    name: N,
    args: MethodInput<N> | Record<string, unknown>,
    body: Uint8Array | string = new Uint8Array(0),
    properties: ContentProperties = {},
  ): void {
    this.send(
      contentFrames(channel, name, args, body, properties, { frameMax: this.frameMax, protocol: this.protocol }),
    );
  }

  /** Sends a heartbeat frame. */
  heartbeat(): void {
    this.send(heartbeatFrame());
  }

  /** Closes the connection from the server's side: `closed(error)` reaches the client (no error: a clean end of stream). */
  drop(error?: Error): void {
    this.link.drop(error);
  }

  /** Makes `write` report a full buffer (true), or reports `drain` and accepts writes again (false). */
  backpressure(full: boolean): void {
    this.link.backpressure(full);
  }

  /**
   * Resolves once everything queued for the client has been delivered and both sides have run
   * out of microtask work (for plain, non-marble tests).
   */
  async idle(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!this.link.busy) return;
    }
    throw new Error('fake server: still busy after 1000 turns');
  }

  /** @internal The reaction to the client's protocol header (the script's). */
  protected abstract onHeader(header: Buffer): void;

  /** @internal The reaction to a method from the client, once recorded (the script's). */
  protected abstract onMethod(m: ReceivedMethod): void;

  private accept(endpoint: Endpoint, events: TransportEvents): Transport {
    this.connections++;
    this.endpoint = endpoint;
    this.header = undefined;
    this.closedBy = undefined;
    this.openChannels.clear();
    this.frameMax = this.tuning?.frameMax ?? DEFAULT_FRAME_MAX;
    return this.link.open(endpoint, events, new ClientStream(this.protocol, this.streamEvents), this.connectMode);
  }

  /** State the server keeps whoever answers. */
  private bookkeeping(m: ReceivedMethod): void {
    const t = typedMethod(m, this.protocol);
    switch (t.name) {
      case 'connection.tune-ok': {
        const frameMax = t.args.frameMax;
        this.frameMax = frameMax;
        if (this.link.session) this.link.session.stream.frameMax = frameMax;
        return;
      }
      case 'channel.open':
        this.openChannels.add(m.channel);
        return;
      case 'channel.close':
      case 'channel.close-ok':
        this.openChannels.delete(m.channel);
        return;
    }
  }
}
