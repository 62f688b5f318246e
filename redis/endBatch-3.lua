--[[
  Ends a shard's flush batch once MySQL holds all of it: deletes the batch keys, but only if it
  is still the shard's current batch (a flusher that lost its lease and finished late must not
  delete a newer batch).
  KEYS: batch, batch snatches, batch id. ARGV[1] the batch id. Returns 1 if ended.
]]
if redis.call('HGET', KEYS[3], 'id') ~= ARGV[1] then return 0 end
-- UNLINK frees a big batch in the background instead of blocking Redis for it
redis.call('UNLINK', KEYS[1], KEYS[2])
redis.call('DEL', KEYS[3])
return 1
