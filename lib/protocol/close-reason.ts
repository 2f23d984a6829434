/** Details of a `connection.close` or `channel.close` sent by the server. */
export interface CloseReason {
  replyCode: number;
  replyText: string;
  /** Class and method that caused it (0 when none). */
  classId: number;
  methodId: number;
}

/** The " (caused by method c/m)" suffix of a close message; empty when no method caused it. */
export function describeCloseCause(r: CloseReason): string {
  return r.classId ? ` (caused by method ${r.classId}/${r.methodId})` : '';
}
