/**
 * TLS against the throwaway node's amqps listener (verify_peer, client certificate optional,
 * EXTERNAL login by the certificate's common name), with a PKI the global setup made with
 * openssl: a trusted chain connects; an untrusted chain and a wrong host name fail with a
 * typed ConnectionLostError whose cause is Node's TLS error; EXTERNAL logs in as the
 * certificate's CN.
 */
import * as fs from 'node:fs';
import { AuthenticationError, ConnectionLostError, open, type ConnectOptions } from 'rx-amqp';
import { useBrokerNode, type NodeCertificates } from '../support/broker-node';
import { once, uniqueName } from './helpers';

describe('TLS (throwaway node)', () => {
  const held = useBrokerNode();
  let certs: NodeCertificates;
  let ca: Buffer;
  let port: number;

  beforeAll(async () => {
    const { node } = held;
    expect(node.info.tlsPort).toBeGreaterThan(0);
    certs = node.info.certs!;
    ca = fs.readFileSync(certs.ca);
    port = node.info.tlsPort;
    // The user EXTERNAL logs in as: the client certificate's common name.
    const users = await node.ctl('list_users', '--no-table-headers');
    if (!users.split('\n').some((l) => l.split('\t')[0] === node.info.clientCn)) {
      await node.ctl('add_user', node.info.clientCn, `unused-${uniqueName('pw')}`);
    }
    await node.ctl('set_permissions', node.info.clientCn, '.*', '.*', '.*');
  }, 60000);

  /** Opens, checks that the connection works, closes; resolves with the broker's view of the user. */
  async function roundTrip(options: ConnectOptions): Promise<string> {
    const name = uniqueName('tls');
    const connection = await open({ connectionTimeout: 10000, connectionName: name, ...options });
    try {
      expect(connection.endpoint.tls).toBe(true);
      const channel = await connection.openChannel();
      const { queue } = await once(channel.queueDeclare('', { exclusive: true }));
      expect(queue).toMatch(/^amq\.gen-/);
      const out = await held.node.ctl('list_connections', '--no-table-headers', 'user', 'ssl', 'client_properties');
      const line = out.split('\n').find((l) => l.includes(`{"connection_name","${name}"}`));
      expect(line).toBeDefined();
      const [user, ssl] = line!.split('\t');
      expect(ssl).toBe('true');
      return user;
    } finally {
      await connection.close();
    }
  }

  /** The error open() fails with. */
  function failure(options: ConnectOptions): Promise<unknown> {
    return open({ connectionTimeout: 10000, ...options }).then(
      async (c) => {
        await c.close();
        throw new Error('connected, but should not have');
      },
      (e: unknown) => e,
    );
  }

  it('connects with a trusted chain (amqps://localhost with the CA)', async () => {
    await expect(roundTrip({ url: `amqps://localhost:${port}`, tls: { ca } })).resolves.toBe('guest');
  });

  it('fails to connect to an untrusted chain with a ConnectionLostError caused by the TLS error', async () => {
    const error = await failure({ url: `amqps://localhost:${port}`, tls: { ca: fs.readFileSync(certs.otherCa) } });
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect((error as Error).message).toBe(
      `could not connect to localhost:${port}: self-signed certificate in certificate chain`,
    );
    expect((error as Error).cause).toMatchObject({ code: 'SELF_SIGNED_CERT_IN_CHAIN' });
  });

  it('fails when the certificate is not for the host name, with a ConnectionLostError caused by the TLS error', async () => {
    const byIp = await failure({ url: `amqps://127.0.0.1:${port}`, tls: { ca } });
    expect(byIp).toBeInstanceOf(ConnectionLostError);
    expect((byIp as Error).message).toMatch(
      new RegExp(
        `^could not connect to 127\\.0\\.0\\.1:${port}: Hostname/IP does not match certificate's altnames: IP: 127\\.0\\.0\\.1 is not in the cert's list`,
      ),
    );
    expect((byIp as Error).cause).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });

    const byName = await failure({ url: `amqps://localhost:${port}`, tls: { ca, servername: 'broker.example.com' } });
    expect(byName).toBeInstanceOf(ConnectionLostError);
    expect((byName as Error).message).toMatch(
      /Host: broker\.example\.com\. is not in the cert's altnames: DNS:localhost/,
    );
    expect((byName as Error).cause).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('logs in with EXTERNAL as the client certificate’s common name', async () => {
    const tls = { ca, cert: fs.readFileSync(certs.clientCert), key: fs.readFileSync(certs.clientKey) };
    await expect(roundTrip({ url: `amqps://localhost:${port}`, mechanism: 'EXTERNAL', tls })).resolves.toBe(
      held.node.info.clientCn,
    );
    // The certificate, not a password, is what logs in: the URL's credentials play no part.
    await expect(
      roundTrip({ url: `amqps://nobody:wrong@localhost:${port}`, mechanism: 'EXTERNAL', tls }),
    ).resolves.toBe(held.node.info.clientCn);
  });

  it('refuses EXTERNAL without a client certificate with an AuthenticationError', async () => {
    const error = await failure({ url: `amqps://localhost:${port}`, mechanism: 'EXTERNAL', tls: { ca } });
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ code: 403 });
    expect((error as Error).message).toMatch(/EXTERNAL/);
  });
});
