/**
 * The fake server's automatic answers, what happens to a method no handler took: the
 * handshake (start on the protocol header, secure or tune after start-ok, open-ok or a refusal
 * after open), channel.open-ok, channel.close-ok and connection.close-ok, each switchable off.
 */
import type { MethodInput, MethodName } from '../protocol/method-codec';
import { PROTOCOL_HEADERS, type Protocol } from '../protocol/protocol-version';
import { type HandshakeSettings, loginAccepted, loginRefusal, vhostRefusal } from './fake-handshake';
import type { FakeServerAnswers, ReceivedMethod } from './fake-server-types';
import { typedMethod } from './typed-method';

/** What the automatic answers do through the server (`FakeServer` has all of it). */
export interface AnswerTarget {
  readonly protocol: Protocol;
  send(bytes: Uint8Array): void;
  sendMethod<N extends MethodName>(channel: number, name: N, args?: MethodInput<N> | Record<string, unknown>): void;
  start(): void;
  tune(): void;
  drop(): void;
}

/** The automatic answers of one fake server (see the file's documentation). */
export class AutoAnswer {
  private readonly answers: Required<FakeServerAnswers>;

  constructor(
    private readonly server: AnswerTarget,
    private readonly settings: HandshakeSettings,
    answers: FakeServerAnswers = {},
  ) {
    this.answers = { handshake: true, channelOpen: true, channelClose: true, connectionClose: true, ...answers };
  }

  /** The reaction to the client's protocol header: connection.start, or a refusal of its dialect. */
  header(header: Buffer): void {
    const server = this.server;
    if (!this.answers.handshake) return;
    if (header.equals(PROTOCOL_HEADERS[server.protocol])) return server.start();
    // RabbitMQ's answer to a header it does not accept: its own header, then it hangs up.
    server.send(PROTOCOL_HEADERS[server.protocol]);
    server.drop();
  }

  /** The automatic answer to a method. */
  method(m: ReceivedMethod): void {
    const a = this.answers;
    const server = this.server;
    const t = typedMethod(m, server.protocol);
    switch (t.name) {
      case 'connection.start-ok': {
        if (!a.handshake) return;
        const mechanism = t.args.mechanism;
        if (!loginAccepted(this.settings, mechanism, t.args.response, server.protocol)) {
          // RabbitMQ refuses a login with connection.close in 0-9-1 and simply hangs up in 0-8.
          if (server.protocol === '0-8') return server.drop();
          return server.sendMethod(0, 'connection.close', loginRefusal(mechanism));
        }
        if (this.settings.secure !== undefined)
          return server.sendMethod(0, 'connection.secure', { challenge: this.settings.secure });
        return server.tune();
      }
      case 'connection.secure-ok':
        if (a.handshake) server.tune();
        return;
      case 'connection.open': {
        if (!a.handshake) return;
        const vhost = t.args.virtualHost;
        const vhosts = this.settings.vhosts;
        if (vhosts && !vhosts.includes(vhost)) return server.sendMethod(0, 'connection.close', vhostRefusal(vhost));
        return server.sendMethod(0, 'connection.open-ok', {});
      }
      case 'connection.close':
        if (a.connectionClose) server.sendMethod(0, 'connection.close-ok', {});
        return;
      case 'connection.close-ok':
        // The client answered a server-sent connection.close: the server hangs up.
        return server.drop();
      case 'channel.open':
        if (a.channelOpen) server.sendMethod(m.channel, 'channel.open-ok', {});
        return;
      case 'channel.close':
        if (a.channelClose) server.sendMethod(m.channel, 'channel.close-ok', {});
        return;
    }
  }
}
