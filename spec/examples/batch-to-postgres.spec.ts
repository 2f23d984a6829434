/**
 * examples/batch-to-postgres.ts's storage half against the real PostgreSQL: a batch written
 * twice (a redelivery after a lost ack) adds no row; a failing batch leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { Message } from 'rx-amqp';
import { delivery } from 'rx-amqp/testing';
import { createTable, insertBatch } from '../../examples/batch-to-postgres';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('examples/batch-to-postgres: insertBatch on PostgreSQL', () => {
  const table = `rx_amqp_spec_${randomBytes(4).toString('hex')}`;
  const pool = new Pool({ connectionString: PG_URL, max: 2 });
  beforeAll(() => createTable(pool, table));
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });
  const rows = async () => (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n;
  const msg = (id: string | undefined, redelivered = false) =>
    delivery(new Message(`body ${id}`, id ? { messageId: id } : {}), { redelivered });

  it('is idempotent on messageId: the same batch again (redelivered) inserts nothing', async () => {
    expect(await insertBatch(pool, table, [msg('a'), msg('b'), msg('c')])).toEqual({
      size: 3,
      inserted: 3,
      redelivered: 0,
    });
    expect(await insertBatch(pool, table, [msg('b', true), msg('c', true), msg('d')])).toEqual({
      size: 3,
      inserted: 1,
      redelivered: 2,
    });
    expect(await rows()).toBe('4');
  });

  it('a batch holding a message without messageId fails whole, before anything is written', async () => {
    await expect(insertBatch(pool, table, [msg('e'), msg(undefined)])).rejects.toThrow(/has no messageId/);
    expect(await rows()).toBe('4');
  });
});
