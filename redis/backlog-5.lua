--[[
  A shard's flush backlog, for the lag metric: rows waiting (pending hash fields and
  completions), rows in the batch under way, and when that batch was cut.
  KEYS: pending, snatches, batch, batch snatches, batch id. Returns {waiting, in batch, cut at or 0}.
]]
--- @flags no-writes
return {
  redis.call('HLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]),
  redis.call('HLEN', KEYS[3]) + redis.call('LLEN', KEYS[4]),
  tonumber(redis.call('HGET', KEYS[5], 'at') or '0'),
}
