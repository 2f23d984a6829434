/** Kinds of entity the registry tracks. */
export type EntityKind = 'queue' | 'exchange' | 'queue-binding' | 'exchange-binding';

/**
 * What the application deleted on the connections of one `connect()` subscription (they
 * share one registry across reconnects). The topology operators consult it before they
 * re-declare on a new channel, so that recovery brings back what the pipeline declared but
 * not what the application has since deleted or unbound. Declaring an entity again
 * (explicitly, through a Channel method) takes it off the list.
 */
export class TopologyRegistry {
  private readonly deleted = new Set<string>();

  /** Records a successful delete / unbind. */
  noteDeleted(kind: EntityKind, ...name: string[]): void {
    this.deleted.add(key(kind, name));
  }

  /** Records a successful declare / bind. */
  noteDeclared(kind: EntityKind, ...name: string[]): void {
    this.deleted.delete(key(kind, name));
  }

  /** Whether the application deleted it (and has not declared it since). */
  isDeleted(kind: EntityKind, ...name: string[]): boolean {
    return this.deleted.has(key(kind, name));
  }
}

function key(kind: EntityKind, name: string[]): string {
  return JSON.stringify([kind, ...name]);
}
