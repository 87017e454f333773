/**
 * Runs `work` over `items` with at most `limit` running at once, keeping the answers in the items' order.
 *
 * @example
 * const sizes = await mapConcurrently(records, 10, (record) => process(record));
 */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const answers = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      answers[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return answers;
}
