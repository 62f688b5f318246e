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

it('commands issued in one event-loop pass go out together, each reply to its own caller, in order', async () => {
  const server = await startRedis({ appendonly: false });
  const ch = new ScriptChannel(channelTarget(server.url), 2000, 'test-channel', undefined);
  try {
    await ch.connect();
    // the three ways in, interleaved within one pass
    const calls: Array<{ want: unknown; got: Promise<unknown> }> = [];
    let n = 0;
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 0) calls.push({ want: ++n, got: ch.call(['INCR', 'n']) });
      else if (i % 3 === 1) {
        const [echo, incr] = ch.pipeline([['ECHO', `p${i}`], ['INCR', 'n']]);
        calls.push({ want: Buffer.from(`p${i}`), got: echo }, { want: ++n, got: incr });
      } else calls.push({ want: Buffer.from(`e${i}`), got: ch.pipelineEncoded(Buffer.from(`*2\r\n$4\r\nECHO\r\n$${`e${i}`.length}\r\ne${i}\r\n`), 1)[0] });
    }
    for (const c of calls) assert.deepEqual(await c.got, c.want);
    // a failing command rejects its own caller only
    const [bad, good] = ch.pipeline([['INCR', 'no such', 'arity'], ['ECHO', 'after']]);
    await assert.rejects(bad);
    assert.deepEqual(await good, Buffer.from('after'));
  } finally {
    await ch.close();
    await server.cleanup();
  }
});
