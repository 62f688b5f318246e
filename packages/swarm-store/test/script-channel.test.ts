import { it } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '@oncilla/testkit';
import { ChannelDown, channelTarget, ScriptChannel } from '../src/script-channel.js';

it('fails fast while Redis is away or silent, and works again once it is back', async () => {
  const server = await startRedis({ appendonly: true });
  const states: boolean[] = [];
  let upAgain: () => void = () => undefined;
  const ch = new ScriptChannel(channelTarget(server.url), 300, 'test-channel', (up) => {
    states.push(up);
    if (up) upAgain();
  });
  try {
    await ch.connect();
    assert.deepEqual(await ch.call(['SET', 'k', 'v']), Buffer.from('OK'));
    const [a, b] = ch.pipeline([['GET', 'k'], ['INCR', 'n']]);
    assert.deepEqual([await a, await b], [Buffer.from('v'), 1]);

    // a Redis that stops answering: the call fails after the timeout, not later
    server.pause();
    const t0 = Date.now();
    await assert.rejects(ch.call(['GET', 'k']), ChannelDown);
    assert.ok(Date.now() - t0 < 1500, `failed after ${Date.now() - t0} ms`);
    server.resume();

    // killed: calls fail at once while it is down (no queue), and the channel reconnects by itself
    const reconnected = new Promise<void>((r) => (upAgain = r));
    await server.kill();
    await assert.rejects(ch.call(['GET', 'k']), ChannelDown);
    await server.restart();
    await reconnected;
    assert.equal(ch.ready, true);
    assert.deepEqual(await ch.call(['GET', 'k']), Buffer.from('v'), 'AOF kept the value');
    assert.ok(states.includes(false) && states[states.length - 1] === true);
  } finally {
    await ch.close();
    await server.cleanup();
  }
});
