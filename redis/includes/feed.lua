--[[
  The change feed: every change to the lists workers keep in memory (passkeys, removed users,
  the whitelist, the site's runtime settings) is written together with an entry in the feed
  stream, in the same script, so a worker that follows the stream sees every change once and
  in order. Entries carry a version (one more each time): a worker that finds a gap (the stream
  was trimmed past it, or Redis lost it) reloads the lists whole instead.
  Fields: v version, o op, then a/b/c (see packages/swarm-store/src/feed.ts, the one reader).
]]
local function publish(feedKey, versionKey, maxLen, op, a, b, c)
  local v = redis.call('INCR', versionKey)
  redis.call('XADD', feedKey, 'MAXLEN', '~', maxLen, '*', 'v', v, 'o', op, 'a', a or '', 'b', b or '', 'c', c or '')
  return v
end
