// README "Recipes": queue → PostgreSQL in batches (the snippet is verbatim; what it takes as
// given is declared here, examples/batch-to-postgres.ts has the whole of it).
import type { Observable } from 'rxjs';
import { ackAfterBatch, consume, type Channel, type Delivery } from 'rx-amqp';

interface Pool {
  query(sql: string, values?: unknown[]): Promise<unknown>;
}
declare const channel$: Observable<Channel>;
declare const queue: string;
declare const pool: Pool;
declare const table: string;
declare function insertBatch(pool: Pool, table: string, batch: Delivery[]): Promise<{ inserted: number }>;

channel$.pipe(
  consume(queue),
  ackAfterBatch((batch) => insertBatch(pool, table, batch), { size: 50, time: 200 }),
);
