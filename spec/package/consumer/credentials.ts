// README "Credentials that refresh" (verbatim), with the application's secret sources declared.
declare const vault: { read(path: string): Promise<string> };
declare function fetchToken(): Promise<string>;

import { map, switchMap, timer } from 'rxjs';
import { connect } from 'rx-amqp';

// A function (or async function): called before each connection attempt.
export const fromVault$ = connect({
  url: 'amqp://rabbit.internal',
  credentials: async () => ({ username: 'svc', password: await vault.read('rabbit/svc') }),
  reconnect: true,
});

// An Observable: its latest value logs in; a new value while connected is sent as
// connection.update-secret, so the open connection outlives the old token.
const tokens$ = timer(0, 50 * 60_000).pipe(
  switchMap(() => fetchToken()),
  map((token) => ({ username: 'svc', password: token })),
);
export const withTokens$ = connect({ url: 'amqp://rabbit.internal', credentials: tokens$, reconnect: true });
