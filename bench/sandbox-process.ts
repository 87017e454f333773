import { startAtlasSandbox } from '../sandbox';

/**
 * The Atlas sandbox in a process of its own, for benchmarks that measure the CPU of their own process only: forked
 * with IPC, it sends `{ url }` once listening, answers `reset`, and exits when its parent disconnects.
 */
const atlas = await startAtlasSandbox({ clients: { bench: 'bench-secret-value' }, maxLiveTokens: 100 });
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'reset') atlas.reset();
  process.send!({ done: message.cmd });
});
process.on('disconnect', () => void atlas.close().then(() => process.exit(0)));
process.send!({ url: atlas.url });
