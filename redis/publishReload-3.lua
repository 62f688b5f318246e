--[[
  The list loader changed many users at once (start, SIGUSR1, or after Redis lost the lists):
  one entry tells every worker to read the lists whole again. The generation marks lists that
  are present: it is set (to a new random id) only when missing, so a worker that sees it
  vanish or change knows Redis lost the lists and reloads.
  KEYS: feed, version, generation. ARGV: feed length, a new generation id.
  Returns the generation in force.
]]
--- @include "includes/feed"

redis.call('SET', KEYS[3], ARGV[2], 'NX')
publish(KEYS[1], KEYS[2], ARGV[1], 'L')
return redis.call('GET', KEYS[3])
