// README "Operators": a server-named queue flowing to the operators (the snippet is verbatim;
// the imports are implied by the README).
import { connect, openChannel, declareQueue, bindQueue, consume } from 'rx-amqp';

connect().pipe(
  openChannel(),
  declareQueue('', { exclusive: true }),
  bindQueue('', 'amq.fanout'),
  consume('', { noAck: true }),
);
