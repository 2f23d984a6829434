/**
 * Credentials that refresh, against RabbitMQ (the throwaway node): a broker user's password
 * changes, the broker closes the connection (`rabbitmqctl close_connection`), and the pipeline
 * reconnects with the provider's new value, in the function and the Observable forms. The old
 * password is checked to be refused by then, so the reconnect cannot have used it.
 */
import { BehaviorSubject, firstValueFrom, map, Subject, take, toArray, type Subscription } from 'rxjs';
import {
  AuthenticationError,
  connect,
  declareQueue,
  open,
  openChannel,
  type ConnectOptions,
  type CredentialsValue,
} from 'rx-amqp';
import { useBrokerNode, type BrokerNode } from '../support/broker-node';
import { eventually, statusLog, uniqueName } from './helpers';

/** Adds a user with full permissions on the default vhost; returns a function that deletes it. */
async function addUser(node: BrokerNode, username: string, password: string): Promise<() => Promise<void>> {
  await node.ctl('add_user', username, password);
  await node.ctl('set_permissions', '-p', '/', username, '.*', '.*', '.*');
  return async () => {
    await node.ctl('delete_user', username);
  };
}

/** Whether `password` logs `username` in on the node right now. */
async function loginWorks(node: BrokerNode, username: string, password: string): Promise<boolean> {
  try {
    const connection = await open({
      url: `amqp://127.0.0.1:${node.port}`,
      username,
      password,
      connectionTimeout: 10000,
    });
    await connection.close();
    return true;
  } catch (e) {
    if (e instanceof AuthenticationError) return false;
    throw e;
  }
}

describe('credentials that refresh (throwaway node)', () => {
  const held = useBrokerNode();

  async function passwordChangeScenario(form: 'function' | 'Observable'): Promise<void> {
    const { node } = held;
    const username = uniqueName('user');
    const connectionName = uniqueName(`creds-${form}`);
    const queue = uniqueName('creds-q');
    const removeUser = await addUser(node, username, 'first-secret');
    let subscription: Subscription | undefined;
    try {
      // What the provider knows: a vault or a token endpoint in real life.
      let known: CredentialsValue = { username, password: 'first-secret' };
      const asked: string[] = [];
      const tokens = new BehaviorSubject<CredentialsValue>(known);
      const credentials: ConnectOptions['credentials'] =
        form === 'function'
          ? () => {
              asked.push(known.password);
              return known;
            }
          : tokens;
      const status = statusLog();
      const opened = new Subject<string>();
      subscription = connect({
        url: `amqp://127.0.0.1:${node.port}`,
        credentials,
        connectionName,
        reconnect: { initialDelay: 50, maxDelay: 500 },
        status: status.observer,
      })
        .pipe(
          openChannel(),
          declareQueue(queue, { exclusive: true }),
          map(
            (channel) =>
              `open on connection ${status.states().filter((s) => s === 'open').length} (channel ${channel.id})`,
          ),
        )
        .subscribe({ next: (v) => opened.next(v), error: (e) => opened.error(e) });
      const both = firstValueFrom(opened.pipe(take(2), toArray()));
      await eventually(
        async () => (await node.connectionPids(connectionName)).length === 1,
        'the first connection is open',
      );

      await node.ctl('change_password', username, 'second-secret');
      expect(await loginWorks(node, username, 'first-secret')).toBe(false);
      known = { username, password: 'second-secret' };
      tokens.next(known);
      expect(await node.closeConnections(connectionName, 'password rotated')).toBe(1);

      expect(await both).toEqual(['open on connection 1 (channel 1)', 'open on connection 2 (channel 1)']);
      // no login was refused on the way: the reconnect used the new value at once
      const errors = status.entries.map((e) => e.status).filter((s) => s.state === 'disconnected');
      expect(errors.every((s) => s.state === 'disconnected' && !(s.error instanceof AuthenticationError))).toBe(true);
      if (form === 'function') expect(asked).toEqual(['first-secret', 'second-secret']);
      await eventually(
        async () => (await node.connectionPids(connectionName)).length === 1,
        'the reconnected connection is listed',
      );
    } finally {
      subscription?.unsubscribe();
      await eventually(
        async () => (await node.connectionPids(connectionName)).length === 0,
        'the pipeline closed its connection',
      ).catch(() => undefined);
      await removeUser();
    }
  }

  it('a pipeline whose user password changed reconnects with the provider new value (function form)', async () => {
    await passwordChangeScenario('function');
  }, 120000);

  it('a pipeline whose user password changed reconnects with the provider new value (Observable form)', async () => {
    await passwordChangeScenario('Observable');
  }, 120000);
});
