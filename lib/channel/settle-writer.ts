import type { MethodDef } from '../protocol/definitions';
import type { MethodTable } from '../protocol/method-table';
import { UnsupportedError } from './errors';
import type { AckPlan } from './unsettled';

/** Writes one method frame of the channel (`ChannelCore.write`). */
export interface MethodWriter {
  write(def: MethodDef, args: object): void;
}

/**
 * Writes the frames that settle deliveries: basic.ack, basic.nack (RabbitMQ's extension, which
 * 0-8 lacks: a nack there is a reject) and basic.reject, one at a time or as an ack plan of
 * {@link Unsettled.takePlan}. Whether settling is still allowed is the channel's decision.
 */
export class SettleWriter {
  private readonly ackDef: MethodDef;
  private readonly rejectDef: MethodDef;
  private readonly nackDef: MethodDef | undefined;

  constructor(
    private readonly channel: MethodWriter,
    private readonly table: MethodTable,
  ) {
    this.ackDef = table.named('basic.ack');
    this.rejectDef = table.named('basic.reject');
    this.nackDef = table.byName.get('basic.nack');
  }

  /** basic.ack, basic.nack or basic.reject of `deliveryTag` (with `multiple`, all up to it). */
  write(deliveryTag: number, kind: 'ack' | 'nack' | 'reject', multiple: boolean, requeue: boolean): void {
    if (kind === 'ack') {
      this.channel.write(this.ackDef, { deliveryTag, multiple });
    } else if (kind === 'nack' && this.nackDef) {
      this.channel.write(this.nackDef, { deliveryTag, multiple, requeue });
    } else {
      if (multiple) throw new UnsupportedError(`AMQP ${this.table.protocol} cannot reject several messages at once`);
      this.channel.write(this.rejectDef, { deliveryTag, requeue });
    }
  }

  /** The acks of a batch: one `multiple` ack and/or single ones. */
  writePlan(plan: AckPlan): void {
    if (plan.multipleUpTo > 0) this.channel.write(this.ackDef, { deliveryTag: plan.multipleUpTo, multiple: true });
    for (const tag of plan.singles) this.channel.write(this.ackDef, { deliveryTag: tag, multiple: false });
  }
}
