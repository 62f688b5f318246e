--[[
  Cuts a shard's flush batch: renames its pending rows and completions to the batch keys, so
  announces go on writing fresh pending keys while the batch is written to MySQL. If the shard
  has a batch under way (a flusher died or MySQL failed), that one is returned instead: it must
  be finished first, exactly once.
  KEYS: pending, snatches, batch, batch snatches, batch id (all the shard's)
  ARGV: the new batch id, unix time
  Returns {batch id, cut at, 1 new | 0 resumed}, or {'', 0, 0} when there is nothing to flush.
]]
local current = redis.call('HMGET', KEYS[5], 'id', 'at')
if current[1] then return { current[1], tonumber(current[2]), 0 } end
local any = false
for i = 1, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('RENAME', KEYS[i], KEYS[i + 2])
    any = true
  end
end
if not any then return { '', 0, 0 } end
redis.call('HSET', KEYS[5], 'id', ARGV[1], 'at', ARGV[2])
return { ARGV[1], tonumber(ARGV[2]), 1 }
