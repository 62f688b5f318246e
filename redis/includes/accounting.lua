--[[
  Accounting rules (ocelot-behaviour §6.5-§6.6, §6.10, §6.12, §10.3) and the pending rows they
  produce. Rows are coalesced in Redis, so their number is bounded by the distinct users,
  torrents and peers, never by time (a long MySQL outage only makes the increments bigger).

  Pending keys (read and cleared by the primary's flush):
    users    HASH  "<uid>:u" / "<uid>:d"                   -> credited bytes (HINCRBY)
    torrents HASH  "<tid>" -> "seeders|leechers|balance"   (latest wins), "<tid>:sn" -> snatches
    peers    HASH  uid u32 .. tid u32 .. hex peer_id       -> kind ('h','l','d') .. packed row
    snatches LIST  "uid|tid|time|ip|ipv6"
    tokens   HASH  "<uid>:<tid>"                           -> bytes downloaded on a token
    free     HASH  "<uid>:<tid>:<type>:u|d"                -> forgiven bytes
    ut       HASH  "<uid>:<tid>:<st|cd|cu|rd|ru|sn>"       -> users_torrents increments
    expire   LIST  "uid:tid" tokens to expire on the site (token-expiry callback)
]]
local PEER_ROW = '>BI7I7I4I4I7I7I4I4I4'

-- Discount of one transfer delta: credited up/down, forgiven up/down, whether a token was used.
-- A freeleech token wins over every torrent type (GazellePW), then neutral, free, 25/50/75 % off.
local function discount(du, dd, free, hasToken)
  if hasToken then return du, 0, 0, 0 end
  if free == 2 then return 0, 0, du, dd end
  if free == 1 then return du, 0, 0, dd end
  if free >= 11 and free <= 13 then
    local forgiven = math.floor(dd * (free - 10) * 25 / 100)
    return du, dd - forgiven, 0, forgiven
  end
  return du, dd, 0, 0
end

local function lenPrefixed(s)
  return string.char(#s) .. s
end

local function peerRow(kind, active, p, up, down, upspeed, downspeed, now, ip4, ip6, ua)
  return kind .. struct.pack(PEER_ROW, active, up, down, upspeed, downspeed, p.left, p.corrupt,
    now - p.first, p.announces, now) .. lenPrefixed(ip4) .. lenPrefixed(ip6) .. lenPrefixed(ua)
end

-- A heavy row stays heavy until flushed: a later light announce refreshes its numbers only.
local function putPeerRow(key, field, row)
  if string.sub(row, 1, 1) == 'l' then
    local prev = redis.call('HGET', key, field)
    if prev and string.sub(prev, 1, 1) == 'h' then row = 'h' .. string.sub(row, 2) end
  end
  redis.call('HSET', key, field, row)
end

local function hincr(key, field, n)
  if n ~= 0 then redis.call('HINCRBY', key, field, n) end
end
