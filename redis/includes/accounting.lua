--[[
  Accounting rules (ocelot-behaviour §6.5-§6.6, §6.10, §6.12, §10.3) and the pending rows they
  produce. Rows are coalesced in Redis, so their number is bounded by the distinct users,
  torrents and peers, never by time (a long MySQL outage only makes the increments bigger).

  Pending keys (read and cleared by the primary's flush):
    torrents HASH  "<tid>" -> "seeders|leechers|balance"   (latest wins), "<tid>:sn" -> snatches
    peers    HASH  uid u32 .. tid u32 .. hex peer_id       -> kind ('h','l','d') .. packed row
                   .. the peer's accounting since the last flush (credited, real, forgiven and
                   token bytes, seed time, snatches): users_main, users_torrents,
                   users_freetorrents and users_freeleeches rows are sums of these, made at flush
                   time. One read and one write per announce, bounded by the number of peers.
    snatches LIST  "uid|tid|time|ip|ipv6"
    free     HASH  "<uid>:<tid>:<type>:u|d"  forgiven bytes left over when a torrent's free
                   type changed while a peer row was pending (rare)
    expire   LIST  "uid:tid" tokens to expire on the site (token-expiry callback)
]]
-- A pending peer row, written in one struct.pack (one Lua string instead of eight):
-- kind byte, active, uploaded, downloaded, upspeed, downspeed, left, corrupt, time spent,
-- announces, last announce; ip, ipv6 and user agent, each after its length byte; then the
-- accounting block (ACCOUNT below).
local ROW = '>BBI7I7I4I4I7I7I4I4I4Bc0Bc0Bc0I7I7I7I7I7I7I7I4I2B'
-- credited up, credited down, real up, real down, forgiven up, forgiven down, token down,
-- seed time, snatches, free type of the forgiven bytes
local ACCOUNT = '>I7I7I7I7I7I7I7I4I2B'
local ACCOUNT_LEN = 56
local KIND_H, KIND_L = string.byte('h'), string.byte('l')

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

-- The accounting block sits at the end of a pending peer row (a 'd' row has none).
local function readAccount(row)
  if not row or #row < ACCOUNT_LEN + 1 or string.sub(row, 1, 1) == 'd' then return nil end
  return { struct.unpack(ACCOUNT, string.sub(row, -ACCOUNT_LEN)) }
end

-- Writes a peer's pending row: the new row, the running sums of its accounting added to what
-- was pending, and a heavy row stays heavy until flushed (a later light announce refreshes its
-- numbers only). acc = {cu, cd, ru, rd, fu, fd, td, seedtime, snatches}, free = the free type.
local function putPeerRow(key, field, heavy, active, p, up, down, upspeed, downspeed, now, ip4, ip6, ua,
                          acc, free, freeKey, uidStr, tidStr)
  local prev = redis.call('HGET', key, field)
  if prev and not heavy and string.sub(prev, 1, 1) == 'h' then heavy = true end
  local sum = readAccount(prev)
  if sum then
    -- forgiven bytes belong to the free type they were forgiven under
    if sum[10] ~= free and (sum[5] ~= 0 or sum[6] ~= 0) then
      local freeField = uidStr .. ':' .. tidStr .. ':' .. sum[10]
      if sum[5] ~= 0 then redis.call('HINCRBY', freeKey, freeField .. ':u', sum[5]) end
      if sum[6] ~= 0 then redis.call('HINCRBY', freeKey, freeField .. ':d', sum[6]) end
      sum[5], sum[6] = 0, 0
    end
    for i = 1, 9 do acc[i] = acc[i] + sum[i] end
  end
  redis.call('HSET', key, field, struct.pack(ROW, heavy and KIND_H or KIND_L, active, up, down, upspeed, downspeed,
    p.left, p.corrupt, now - p.first, p.announces, now, #ip4, ip4, #ip6, ip6, #ua, ua,
    acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7], acc[8], acc[9], free))
end
