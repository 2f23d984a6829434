// What the README's snippets take as given: the application's own `handle` and `orders`, and
// the test framework's `it` / `expect` (any jest-like runner).
declare function handle(payload: unknown): Promise<void>;
interface Order {
  id: string;
  region: string;
}
declare const orders: Order[];
declare function it(name: string, fn: () => void): void;
declare function expect(actual: unknown): { toEqual(expected: unknown): void };
declare function currentRequestId(): string;
