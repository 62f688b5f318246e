--[[
  The site's runtime settings (update_announce_interval, update_announce_jitter), and their
  reset on SIGHUP (as Ocelot drops them on a config reload).
  KEYS: settings, feed, version. ARGV: name ('' clears them all), value, feed length.
]]
--- @include "includes/feed"

if ARGV[1] == '' then redis.call('DEL', KEYS[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
publish(KEYS[2], KEYS[3], ARGV[3], 's')
return 1
